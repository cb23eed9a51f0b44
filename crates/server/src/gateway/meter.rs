//! Writes metered work to the database in batches, off the request path:
//! usage records with the part of their cost paid from leases, and the keys
//! that were used (coalesced to one "last used" update per key and batch).
//! A batch that cannot be written is kept and tried again. The same task
//! gives idle leased budget back to the ledger.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use keydesk_core::ledger::{LeaseSpend, MeterBatch, Period};
use keydesk_core::model::UsageRecord;
use keydesk_core::Service;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::budget::{Budget, IDLE_RETURN};

/// What was metered since the last write. Requests add to it under a short
/// lock and wake nobody: the writer takes it whole on its next tick.
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

    fn merge(&mut self, other: Pending) {
        self.records.extend(other.records);
        self.lease_spent.extend(other.lease_spent);
        for (key, at) in other.used {
            let e = self.used.entry(key).or_insert(at);
            *e = (*e).max(at);
        }
    }
}

#[derive(Clone)]
pub struct Meter {
    pending: Arc<Mutex<Pending>>,
    /// Asks the writer to write at once, and answers when it has.
    flushes: mpsc::UnboundedSender<oneshot::Sender<()>>,
}

impl Meter {
    /// Starts the writer task, which writes every `every`.
    pub fn start(svc: Service, budget: Arc<Budget>, every: Duration) -> (Meter, tokio::task::JoinHandle<()>) {
        let pending = Arc::new(Mutex::new(Pending::default()));
        let (flushes, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(svc, budget, pending.clone(), rx, every));
        (Meter { pending, flushes }, task)
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn usage(&self, record: UsageRecord, lease_spent: Vec<LeaseSpend>) {
        let mut p = self.pending();
        p.records.push(record);
        p.lease_spent.extend(lease_spent);
    }

    /// A key was used at `at`; only the latest use per key is written.
    pub fn used(&self, key: Uuid, at: DateTime<Utc>) {
        let mut p = self.pending();
        let e = p.used.entry(key).or_insert(at);
        if *e < at {
            *e = at;
        }
    }

    /// Writes everything metered so far (tests, shutdown).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.flushes.send(done).is_ok() {
            let _ = wait.await;
        }
    }
}

/// Writes what is pending; what cannot be written is kept for the next try.
async fn write(svc: &Service, budget: &Budget, shared: &Mutex<Pending>) -> bool {
    let taken = std::mem::take(&mut *shared.lock().unwrap_or_else(|e| e.into_inner()));
    if taken.is_empty() {
        return true;
    }
    let batch = MeterBatch { records: taken.records, lease_spent: taken.lease_spent, used: taken.used.into_iter().collect() };
    match svc.record_metered(&batch).await {
        Ok(()) => {
            budget.written(&batch.lease_spent);
            true
        }
        Err(e) => {
            tracing::error!(detail = %e.message, records = batch.records.len(), "writing usage failed; will retry");
            let failed = Pending { records: batch.records, lease_spent: batch.lease_spent, used: batch.used.into_iter().collect() };
            shared.lock().unwrap_or_else(|e| e.into_inner()).merge(failed);
            false
        }
    }
}

async fn run(
    svc: Service,
    budget: Arc<Budget>,
    pending: Arc<Mutex<Pending>>,
    mut flushes: mpsc::UnboundedReceiver<oneshot::Sender<()>>,
    every: Duration,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut returns = tokio::time::interval(Duration::from_secs(1));
    returns.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            request = flushes.recv() => {
                let Some(done) = request else {
                    // Every meter handle is gone: the gateway stopped.
                    write(&svc, &budget, &pending).await;
                    return;
                };
                write(&svc, &budget, &pending).await;
                let _ = done.send(());
            }
            _ = tick.tick() => {
                write(&svc, &budget, &pending).await;
            }
            _ = returns.tick() => {
                // Only once what was spent is written, or the ledger would
                // count returned money that was in fact spent.
                if write(&svc, &budget, &pending).await {
                    budget.return_idle(IDLE_RETURN, Period::containing(svc.now())).await;
                }
            }
        }
    }
}
