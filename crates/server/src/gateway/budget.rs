//! This replica's share of the monthly budgets. Before a request is
//! forwarded, its maximum cost is reserved against every limited scope it
//! counts against (the organization, its workspace, its key): from budget
//! this replica already leased from the ledger, or from a new lease (one
//! UPDATE, see `keydesk_core::ledger`). The database is asked only when the
//! local slice runs short. After the response the reservation is settled to
//! the real cost; what was spent reaches the ledger with the usage records,
//! and budget left idle is given back so other replicas can lease it.
//!
//! Invariant: a slice never spends more than it leased, except when a
//! request costs more than its reservation said it could (an upstream that
//! ignored `max_tokens`); that excess is recorded as it happened.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use keydesk_core::changes::Change;
use keydesk_core::ledger::{LeaseSpend, Period, SpendScope};
use keydesk_core::Service;

/// A limited scope a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub scope: SpendScope,
    pub limit_micros: i64,
}

#[derive(Debug, Default)]
struct Slice {
    /// Leased, not reserved, not spent.
    available: i64,
    /// Leased and not yet confirmed back to the ledger as spent or returned
    /// (available + reserved + spent but not yet written).
    outstanding: i64,
    /// Reserved by requests in flight.
    reserved: i64,
    last_used: Option<Instant>,
}

/// Money held for one request in flight.
#[derive(Debug)]
pub struct Reservation {
    pub period: Period,
    pub amount: i64,
    scopes: Vec<SpendScope>,
}

/// Which scope could not cover a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall(pub SpendScope);

/// Leases ask for at least this share of a limit, so that small requests
/// need the database once per many.
const LEASE_FRACTION: i64 = 64;
/// Budget unused this long goes back to the ledger.
pub const IDLE_RETURN: Duration = Duration::from_secs(2);
/// Attempts at reserving when other requests keep taking the budget.
const ATTEMPTS: usize = 8;

pub struct Budget {
    svc: Service,
    slices: Mutex<HashMap<(SpendScope, Period), Slice>>,
    /// One lease at a time per scope and month.
    leasing: DashMap<(SpendScope, Period), Arc<tokio::sync::Mutex<()>>>,
}

impl Budget {
    pub fn new(svc: Service) -> Arc<Budget> {
        let budget = Arc::new(Budget { svc: svc.clone(), slices: Mutex::default(), leasing: DashMap::new() });
        // A changed limit: give back what this replica holds, so the ledger
        // reflects it and the next lease uses the new limit.
        let weak = Arc::downgrade(&budget);
        svc.on_change(Arc::new(move |c| {
            if let Some(b) = weak.upgrade() {
                b.on_change(c);
            }
        }));
        budget
    }

    fn slices(&self) -> std::sync::MutexGuard<'_, HashMap<(SpendScope, Period), Slice>> {
        self.slices.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes `amount` from every limited scope at once, leasing where this
    /// replica holds too little; refuses with the first scope whose limit
    /// cannot cover it.
    pub async fn reserve(&self, limited: &[Limited], period: Period, amount: i64) -> Result<Reservation, Shortfall> {
        let amount = amount.max(0);
        let scopes: Vec<SpendScope> = limited.iter().map(|l| l.scope).collect();
        if limited.is_empty() || amount == 0 {
            return Ok(Reservation { period, amount, scopes });
        }
        for _ in 0..ATTEMPTS {
            let short = {
                let mut slices = self.slices();
                let short = limited.iter().find(|l| slices.get(&(l.scope, period)).is_none_or(|s| s.available < amount)).copied();
                if short.is_none() {
                    let now = Instant::now();
                    for l in limited {
                        let s = slices.get_mut(&(l.scope, period)).expect("checked above");
                        s.available -= amount;
                        s.reserved += amount;
                        s.last_used = Some(now);
                    }
                    return Ok(Reservation { period, amount, scopes });
                }
                short.expect("some scope is short")
            };
            self.top_up(short, period, amount).await?;
        }
        Err(Shortfall(limited[0].scope))
    }

    /// Leases enough for `amount` in one scope, unless another request just
    /// did; refuses when the ledger has not enough left.
    async fn top_up(&self, l: Limited, period: Period, amount: i64) -> Result<(), Shortfall> {
        let lock = self.leasing.entry((l.scope, period)).or_default().clone();
        let _one_at_a_time = lock.lock().await;
        let available = self.slices().get(&(l.scope, period)).map_or(0, |s| s.available);
        if available >= amount {
            return Ok(());
        }
        let want = (amount - available).max(l.limit_micros / LEASE_FRACTION).max(1);
        let lease = match self.svc.lease_budget(l.scope, period, want, l.limit_micros).await {
            Ok(lease) => lease,
            Err(e) => {
                // Without the ledger nothing can be spent safely.
                tracing::error!(detail = %e.message, "leasing budget failed; refusing the request");
                return Err(Shortfall(l.scope));
            }
        };
        let mut slices = self.slices();
        let s = slices.entry((l.scope, period)).or_default();
        s.available += lease.granted_micros;
        s.outstanding += lease.granted_micros;
        s.last_used = Some(Instant::now());
        if s.available < amount {
            return Err(Shortfall(l.scope));
        }
        Ok(())
    }

    /// Settles a reservation to what the request really cost; returns what
    /// of it was paid from leases, to be written with its usage record.
    pub fn settle(&self, r: &Reservation, cost: i64) -> Vec<LeaseSpend> {
        let cost = cost.max(0);
        if r.scopes.is_empty() {
            return vec![];
        }
        let mut slices = self.slices();
        r.scopes
            .iter()
            .map(|scope| {
                let s = slices.entry((*scope, r.period)).or_default();
                s.reserved -= r.amount;
                let unreserved = s.available + r.amount;
                // Paid from the lease: the reservation, and beyond it only
                // what the slice still holds.
                let from_lease = cost.min(unreserved.max(0));
                s.available = unreserved - from_lease;
                LeaseSpend { scope: *scope, period: r.period, micros: from_lease }
            })
            .collect()
    }

    /// The ledger now counts `spent` as committed: it is no longer this
    /// replica's to answer for.
    pub fn written(&self, spent: &[LeaseSpend]) {
        let mut slices = self.slices();
        for l in spent {
            if let Some(s) = slices.get_mut(&(l.scope, l.period)) {
                s.outstanding -= l.micros;
            }
        }
    }

    /// Gives back the unreserved budget of slices idle for `idle` or of past
    /// months (`idle` zero: all of it, as at shutdown).
    pub async fn return_idle(&self, idle: Duration, current: Period) {
        let now = Instant::now();
        let returns = self.take_available(|(_, period), s| *period != current || s.last_used.is_none_or(|t| now.duration_since(t) >= idle));
        self.give_back(returns).await;
    }

    fn take_available(&self, pick: impl Fn(&(SpendScope, Period), &Slice) -> bool) -> Vec<LeaseSpend> {
        let mut slices = self.slices();
        let mut returns = vec![];
        for (key, s) in slices.iter_mut() {
            if s.available > 0 && pick(key, s) {
                returns.push(LeaseSpend { scope: key.0, period: key.1, micros: s.available });
                s.outstanding -= s.available;
                s.available = 0;
            }
        }
        // Nothing held, nothing in flight: forget the slice.
        slices.retain(|_, s| s.outstanding > 0 || s.reserved > 0 || s.available != 0);
        returns
    }

    async fn give_back(&self, returns: Vec<LeaseSpend>) {
        if returns.is_empty() {
            return;
        }
        if let Err(e) = self.svc.return_budget(&returns).await {
            // The money stays counted as leased until the month ends: lost
            // to spending, never overspent.
            tracing::warn!(detail = %e.message, "returning unused budget failed");
        }
    }

    /// A changed limit: gives back what this replica holds of it, so the
    /// ledger reflects it and the next lease uses the new limit.
    pub fn on_change(self: &Arc<Self>, change: Change) {
        let pick: Box<dyn Fn(&SpendScope) -> bool + Send> = match change {
            Change::Organization => Box::new(|s| matches!(s, SpendScope::Organization(_))),
            Change::Workspace(id) => Box::new(move |s| *s == SpendScope::Workspace(id)),
            Change::Key(id) => Box::new(move |s| *s == SpendScope::ApiKey(id)),
            Change::AllKeys | Change::Connector(_) => return,
        };
        let returns = self.take_available(|(scope, _), _| pick(scope));
        if !returns.is_empty() {
            let me = self.clone();
            // Observers must not block: the ledger is told in the background.
            tokio::spawn(async move { me.give_back(returns).await });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A budget whose slices are filled by hand (no ledger involved).
    async fn budget_with(scope: SpendScope, period: Period, leased: i64) -> (Arc<Budget>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("b.db").display());
        let svc = Service::connect(&url, b"budget-test-pepper-0123456789", "kd").await.unwrap();
        let b = Budget::new(svc);
        b.slices().insert((scope, period), Slice { available: leased, outstanding: leased, reserved: 0, last_used: None });
        (b, dir)
    }

    #[tokio::test]
    async fn settling_below_the_reservation_puts_the_difference_back() {
        let scope = SpendScope::Workspace(uuid::Uuid::new_v4());
        let period = Period { year: 2026, month: 3 };
        let (b, _dir) = budget_with(scope, period, 1000).await;
        let r = b.reserve(&[Limited { scope, limit_micros: 1000 }], period, 400).await.unwrap();
        assert_eq!(b.slices()[&(scope, period)].available, 600);
        let paid = b.settle(&r, 150);
        assert_eq!(paid, vec![LeaseSpend { scope, period, micros: 150 }]);
        assert_eq!(b.slices()[&(scope, period)].available, 850);
        b.written(&paid);
        assert_eq!(b.slices()[&(scope, period)].outstanding, 850);
    }

    #[tokio::test]
    async fn a_cost_beyond_the_reservation_is_paid_from_the_lease_only_as_far_as_it_goes() {
        let scope = SpendScope::ApiKey(uuid::Uuid::new_v4());
        let period = Period { year: 2026, month: 3 };
        let (b, _dir) = budget_with(scope, period, 500).await;
        let r = b.reserve(&[Limited { scope, limit_micros: 500 }], period, 400).await.unwrap();
        let paid = b.settle(&r, 900);
        assert_eq!(paid[0].micros, 500, "only what was leased comes off the lease");
        assert_eq!(b.slices()[&(scope, period)].available, 0);
    }
}
