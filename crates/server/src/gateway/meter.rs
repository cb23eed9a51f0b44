//! Writes metered work to the database in batches, off the request path:
//! usage records with the part of their cost paid from leases, and the keys
//! that were used (coalesced to one "last used" update per key and batch).
//! A batch that cannot be written is kept and tried again. The same task
//! gives idle leased budget back to the ledger.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use crossbeam_queue::SegQueue;
use dashmap::DashMap;
use keydesk_core::ledger::{LeaseSpend, MeterBatch, Period};
use keydesk_core::model::UsageRecord;
use keydesk_core::Service;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::budget::{Budget, IDLE_RETURN};

/// What requests metered since the last write. Requests add to it without
/// a lock every request would wait on, and wake nobody: the writer takes it
/// on its next tick.
#[derive(Default)]
struct Shared {
    /// Each request's usage, with what of its cost was paid from leases.
    usage: SegQueue<(UsageRecord, Vec<LeaseSpend>)>,
    /// The latest use of each key, in milliseconds since the epoch (0: not
    /// used since the last write).
    used: DashMap<Uuid, AtomicI64>,
}

/// One batch's worth, as the writer gathers it.
#[derive(Default)]
struct Pending {
    records: Vec<UsageRecord>,
    lease_spent: Vec<LeaseSpend>,
    used: HashMap<Uuid, DateTime<Utc>>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.records.is_empty() && self.lease_spent.is_empty() && self.used.is_empty()
    }

    /// Moves what requests metered since the last take into this batch.
    fn take_from(&mut self, shared: &Shared) {
        while let Some((record, paid)) = shared.usage.pop() {
            self.records.push(record);
            self.lease_spent.extend(paid);
        }
        for entry in shared.used.iter() {
            let ms = entry.value().swap(0, Ordering::AcqRel);
            if let Some(at) = (ms > 0).then(|| DateTime::from_timestamp_millis(ms)).flatten() {
                let e = self.used.entry(*entry.key()).or_insert(at);
                *e = (*e).max(at);
            }
        }
        // Keys not used since the last take leave the map.
        shared.used.retain(|_, ms| ms.load(Ordering::Acquire) != 0);
    }
}

#[derive(Clone)]
pub struct Meter {
    shared: Arc<Shared>,
    /// Asks the writer to write at once, and answers when it has.
    flushes: mpsc::UnboundedSender<oneshot::Sender<()>>,
}

impl Meter {
    /// Starts the writer task, which writes every `every`.
    pub fn start(svc: Service, budget: Arc<Budget>, every: Duration) -> (Meter, tokio::task::JoinHandle<()>) {
        let shared = Arc::new(Shared::default());
        let (flushes, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(svc, budget, shared.clone(), rx, every));
        (Meter { shared, flushes }, task)
    }

    pub fn usage(&self, record: UsageRecord, lease_spent: Vec<LeaseSpend>) {
        self.shared.usage.push((record, lease_spent));
    }

    /// A key was used at `at`; only the latest use per key is written.
    pub fn used(&self, key: Uuid, at: DateTime<Utc>) {
        let ms = at.timestamp_millis();
        if let Some(latest) = self.shared.used.get(&key) {
            latest.fetch_max(ms, Ordering::AcqRel);
            return;
        }
        self.shared.used.entry(key).or_insert_with(|| AtomicI64::new(0)).fetch_max(ms, Ordering::AcqRel);
    }

    /// Writes everything metered so far (tests, shutdown).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.flushes.send(done).is_ok() {
            let _ = wait.await;
        }
    }
}

/// Writes what requests metered, with what an earlier write left; what
/// cannot be written stays in `pending` for the next try.
async fn write(svc: &Service, budget: &Budget, shared: &Shared, pending: &mut Pending) -> bool {
    pending.take_from(shared);
    if pending.is_empty() {
        return true;
    }
    let taken = std::mem::take(pending);
    let batch = MeterBatch { records: taken.records, lease_spent: taken.lease_spent, used: taken.used.into_iter().collect() };
    match svc.record_metered(&batch).await {
        Ok(()) => {
            budget.written(&batch.lease_spent);
            true
        }
        Err(e) => {
            tracing::error!(detail = %e.message, records = batch.records.len(), "writing usage failed; will retry");
            *pending = Pending { records: batch.records, lease_spent: batch.lease_spent, used: batch.used.into_iter().collect() };
            false
        }
    }
}

async fn run(
    svc: Service,
    budget: Arc<Budget>,
    shared: Arc<Shared>,
    mut flushes: mpsc::UnboundedReceiver<oneshot::Sender<()>>,
    every: Duration,
) {
    let mut pending = Pending::default();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut returns = tokio::time::interval(Duration::from_secs(1));
    returns.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            request = flushes.recv() => {
                let Some(done) = request else {
                    // Every meter handle is gone: the gateway stopped.
                    write(&svc, &budget, &shared, &mut pending).await;
                    return;
                };
                write(&svc, &budget, &shared, &mut pending).await;
                let _ = done.send(());
            }
            _ = tick.tick() => {
                write(&svc, &budget, &shared, &mut pending).await;
            }
            _ = returns.tick() => {
                // Only once what was spent is written, or the ledger would
                // count returned money that was in fact spent.
                if write(&svc, &budget, &shared, &mut pending).await {
                    budget.return_idle(IDLE_RETURN, Period::containing(svc.now())).await;
                }
            }
        }
    }
}
