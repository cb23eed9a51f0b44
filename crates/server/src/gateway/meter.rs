//! Writes metered work to the database in batches, off the request path:
//! usage records with the part of their cost paid from leases, and the keys
//! that were used (coalesced to one "last used" update per key and batch).
//! A batch that cannot be written is kept and tried again. The same task
//! gives idle leased budget back to the ledger.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use keydesk_core::ledger::{LeaseSpend, MeterBatch, Period};
use keydesk_core::model::UsageRecord;
use keydesk_core::Service;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::budget::{Budget, IDLE_RETURN};

enum Event {
    Usage { record: UsageRecord, lease_spent: Vec<LeaseSpend> },
    Used { key: Uuid, at: DateTime<Utc> },
    /// Write everything now; answer when done.
    Flush(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct Meter {
    tx: mpsc::UnboundedSender<Event>,
}

impl Meter {
    /// Starts the writer task, which writes every `every`.
    pub fn start(svc: Service, budget: Arc<Budget>, every: Duration) -> (Meter, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(svc, budget, rx, every));
        (Meter { tx }, task)
    }

    pub fn usage(&self, record: UsageRecord, lease_spent: Vec<LeaseSpend>) {
        if self.tx.send(Event::Usage { record, lease_spent }).is_err() {
            tracing::error!("usage writer stopped; a request's usage is lost");
        }
    }

    pub fn used(&self, key: Uuid, at: DateTime<Utc>) {
        let _ = self.tx.send(Event::Used { key, at });
    }

    /// Writes everything metered so far (tests, shutdown).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Event::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }
}

#[derive(Default)]
struct Pending {
    records: Vec<UsageRecord>,
    lease_spent: Vec<LeaseSpend>,
    used: HashMap<Uuid, DateTime<Utc>>,
}

impl Pending {
    fn add(&mut self, event: Event) -> Option<oneshot::Sender<()>> {
        match event {
            Event::Usage { record, lease_spent } => {
                self.records.push(record);
                self.lease_spent.extend(lease_spent);
            }
            Event::Used { key, at } => {
                let e = self.used.entry(key).or_insert(at);
                *e = (*e).max(at);
            }
            Event::Flush(done) => return Some(done),
        }
        None
    }
}

async fn write(svc: &Service, budget: &Budget, pending: &mut Pending) {
    if pending.records.is_empty() && pending.used.is_empty() && pending.lease_spent.is_empty() {
        return;
    }
    let batch = MeterBatch {
        records: std::mem::take(&mut pending.records),
        lease_spent: std::mem::take(&mut pending.lease_spent),
        used: pending.used.drain().collect(),
    };
    match svc.record_metered(&batch).await {
        Ok(()) => budget.written(&batch.lease_spent),
        Err(e) => {
            tracing::error!(detail = %e.message, records = batch.records.len(), "writing usage failed; will retry");
            pending.records = batch.records;
            pending.lease_spent = batch.lease_spent;
            pending.used.extend(batch.used);
        }
    }
}

async fn run(svc: Service, budget: Arc<Budget>, mut rx: mpsc::UnboundedReceiver<Event>, every: Duration) {
    let mut pending = Pending::default();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut returns = tokio::time::interval(Duration::from_secs(1));
    returns.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            event = rx.recv() => {
                let Some(event) = event else {
                    // Every sender is gone: the gateway stopped.
                    write(&svc, &budget, &mut pending).await;
                    return;
                };
                if let Some(done) = pending.add(event) {
                    // Take in what was sent before the flush request.
                    while let Ok(e) = rx.try_recv() {
                        if let Some(other) = pending.add(e) {
                            let _ = other.send(());
                        }
                    }
                    write(&svc, &budget, &mut pending).await;
                    let _ = done.send(());
                }
            }
            _ = tick.tick() => write(&svc, &budget, &mut pending).await,
            _ = returns.tick() => {
                // Only once what was spent is written, or the ledger would
                // count returned money that was in fact spent.
                write(&svc, &budget, &mut pending).await;
                if pending.records.is_empty() {
                    budget.return_idle(IDLE_RETURN, Period::containing(svc.now())).await;
                }
            }
        }
    }
}
