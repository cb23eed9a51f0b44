//! Money that moves: usage records written in batches (with the keys'
//! "last used" times), the spend ledger that keeps the organization's, each
//! workspace's and each key's month within its limit however many gateway
//! replicas spend from it, and the spend alerts a workspace raises at 50, 80
//! and 100 % of its limit.
//!
//! The ledger, per scope and calendar month: `committed` (recorded usage)
//! and `leased` (budget handed to replicas, not yet spent or returned). A
//! replica asks for a lease before it forwards a request it has no budget
//! for locally; the lease is granted by one UPDATE only as far as
//! `committed + leased` stays within the limit, so the replicas together
//! never spend beyond it. A recorded batch moves what it spent from `leased`
//! to `committed` in the same transaction that writes its records.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::args;
use crate::authz::{authorize, Action, Subject};
use crate::error::{Error, Result};
use crate::model::UsageRecord;
use crate::policy;
use crate::service::{from_ms, ms, Actor, Service};
use crate::store::Tx;

/// A calendar month in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Period {
    pub year: i32,
    pub month: u32,
}

impl Period {
    pub fn containing(at: DateTime<Utc>) -> Period {
        Period { year: at.year(), month: at.month() }
    }
    /// The stored form, `year * 100 + month`.
    pub fn code(self) -> i32 {
        self.year * 100 + self.month as i32
    }
    pub fn start(self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(self.year, self.month, 1, 0, 0, 0).single().expect("valid month start")
    }
    /// The first instant of the next month: when a spent limit resets.
    pub fn end(self) -> DateTime<Utc> {
        policy::month_bounds(self.start()).1
    }
}

/// Whose budget a sum of money counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpendScope {
    Organization(Uuid),
    Workspace(Uuid),
    ApiKey(Uuid),
}

impl SpendScope {
    fn kind(self) -> &'static str {
        match self {
            SpendScope::Organization(_) => "organization",
            SpendScope::Workspace(_) => "workspace",
            SpendScope::ApiKey(_) => "api_key",
        }
    }
    fn id(self) -> Uuid {
        match self {
            SpendScope::Organization(id) | SpendScope::Workspace(id) | SpendScope::ApiKey(id) => id,
        }
    }
    /// The usage records that count against the scope, as a condition on
    /// `usage_records u` with the scope's id as `$2`.
    fn usage_condition(self) -> &'static str {
        match self {
            // One organization per deployment: every record is its own.
            SpendScope::Organization(_) => "$2 = $2",
            SpendScope::Workspace(_) => "u.workspace_id = $2",
            SpendScope::ApiKey(_) => "u.key_id = $2",
        }
    }
}

/// What a lease request got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    pub granted_micros: i64,
    /// What is left to lease after this grant, across all replicas.
    pub headroom_micros: i64,
}

/// Leased budget a replica spent, to move from `leased` to `committed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseSpend {
    pub scope: SpendScope,
    pub period: Period,
    pub micros: i64,
}

/// One batch of metered work, recorded in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeterBatch {
    pub records: Vec<UsageRecord>,
    /// The part of the records' cost that was paid from leases.
    pub lease_spent: Vec<LeaseSpend>,
    /// Keys used, with when (requests that cost nothing count too).
    pub used: Vec<(Uuid, DateTime<Utc>)>,
}

impl MeterBatch {
    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.lease_spent.is_empty() && self.used.is_empty()
    }
}

/// The spend thresholds that raise an alert, in percent of the limit.
pub const ALERT_THRESHOLDS: [i32; 3] = [50, 80, 100];

/// A workspace's month passed a share of its spending limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendAlert {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub workspace_name: String,
    pub year: i32,
    pub month: u32,
    pub threshold_percent: i32,
    /// The month's spend when the threshold was passed.
    pub spent_micros: i64,
    /// The limit in force then (the lower of the workspace's and the
    /// organization's).
    pub limit_micros: i64,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SpendAlertFilter {
    #[serde(default)]
    pub workspace_id: Option<Uuid>,
    /// Only alerts raised at or after this instant.
    #[serde(default)]
    pub since: Option<DateTime<Utc>>,
    #[serde(default)]
    pub limit: Option<i64>,
}

/// Rows per multi-row INSERT of usage records (9 values each).
const RECORDS_PER_INSERT: usize = 200;

impl Service {
    /// Makes sure the ledger row of `scope` and `period` exists, starting
    /// from the usage already recorded for it. Must run before the caller
    /// writes usage in the same transaction, so the new usage is counted
    /// once, by the caller's own update.
    async fn ensure_ledger_row(tx: &mut Tx, scope: SpendScope, period: Period) -> Result<()> {
        let sql = format!(
            "INSERT INTO spend_ledger (scope, scope_id, period, committed_micros, leased_micros) \
             SELECT $1, $2, $3, CAST(COALESCE(SUM(u.cost_micros), 0) AS BIGINT), 0 FROM usage_records u \
             WHERE {} AND u.at >= $4 AND u.at < $5 \
             AND NOT EXISTS (SELECT 1 FROM spend_ledger l WHERE l.scope = $1 AND l.scope_id = $2 AND l.period = $3) \
             ON CONFLICT (scope, scope_id, period) DO NOTHING",
            scope.usage_condition()
        );
        tx.exec(&sql, args![scope.kind(), scope.id(), period.code(), ms(period.start()), ms(period.end())]).await?;
        Ok(())
    }

    /// Leases up to `want_micros` of `scope`'s budget for `period`, as far
    /// as `limit_micros` allows given what is recorded and leased already.
    pub async fn lease_budget(&self, scope: SpendScope, period: Period, want_micros: i64, limit_micros: i64) -> Result<Lease> {
        if want_micros <= 0 {
            return Err(Error::validation("want_micros", "a lease must ask for a positive amount"));
        }
        let mut tx = self.begin().await?;
        Self::ensure_ledger_row(&mut tx, scope, period).await?;
        // Every right-hand side reads the row as it was, so both columns
        // get the same grant.
        let granted: Option<(i64, i64, i64)> = tx
            .opt(
                "UPDATE spend_ledger SET \
                 last_grant_micros = CASE WHEN $4 < $5 - committed_micros - leased_micros THEN $4 ELSE $5 - committed_micros - leased_micros END, \
                 leased_micros = leased_micros + CASE WHEN $4 < $5 - committed_micros - leased_micros THEN $4 ELSE $5 - committed_micros - leased_micros END \
                 WHERE scope = $1 AND scope_id = $2 AND period = $3 AND committed_micros + leased_micros < $5 \
                 RETURNING last_grant_micros, committed_micros, leased_micros",
                args![scope.kind(), scope.id(), period.code(), want_micros, limit_micros],
            )
            .await?;
        let lease = match granted {
            Some((g, committed, leased)) => Lease { granted_micros: g, headroom_micros: (limit_micros - committed - leased).max(0) },
            None => Lease { granted_micros: 0, headroom_micros: 0 },
        };
        tx.commit().await?;
        Ok(lease)
    }

    /// Gives back leased budget a replica will not spend.
    pub async fn return_budget(&self, returns: &[LeaseSpend]) -> Result<()> {
        if returns.iter().all(|r| r.micros <= 0) {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for r in returns.iter().filter(|r| r.micros > 0) {
            tx.exec(
                "UPDATE spend_ledger SET leased_micros = CASE WHEN leased_micros > $4 THEN leased_micros - $4 ELSE 0 END \
                 WHERE scope = $1 AND scope_id = $2 AND period = $3",
                args![r.scope.kind(), r.scope.id(), r.period.code(), r.micros],
            )
            .await?;
        }
        tx.commit().await
    }

    /// The recorded spend of a scope in a month, as the ledger knows it
    /// (what the limits are checked against).
    pub async fn ledger_committed(&self, scope: SpendScope, period: Period) -> Result<i64> {
        let mut tx = self.begin().await?;
        Self::ensure_ledger_row(&mut tx, scope, period).await?;
        let v = tx
            .int(
                "SELECT committed_micros FROM spend_ledger WHERE scope = $1 AND scope_id = $2 AND period = $3",
                args![scope.kind(), scope.id(), period.code()],
            )
            .await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Records one request's usage reported from outside the gateway (the
    /// usage-events endpoint), like a one-record batch. Such spend was
    /// leased by nobody, so the budgets it counts against are announced as
    /// changed: gateway replicas give back what they hold of them and lease
    /// again against what is left.
    pub async fn record_usage(&self, rec: &UsageRecord) -> Result<()> {
        self.record_metered(&MeterBatch { records: vec![rec.clone()], lease_spent: vec![], used: vec![(rec.key_id, rec.at)] }).await?;
        let tx = self.begin().await?;
        self.commit_announcing(
            tx,
            &[
                crate::changes::Change::Organization,
                crate::changes::Change::Workspace(rec.workspace_id),
                crate::changes::Change::Key(rec.key_id),
            ],
        )
        .await
    }

    /// Writes a batch of metered work in one transaction: the usage records
    /// (each attributed to its key's owner), the ledger's committed spend
    /// per organization, workspace and key and month, what was paid from
    /// leases, the keys' "last used" times, and any spend alert the batch
    /// raised.
    pub async fn record_metered(&self, batch: &MeterBatch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        for rec in &batch.records {
            if rec.input_tokens < 0 || rec.output_tokens < 0 || rec.cost_micros < 0 {
                return Err(Error::validation("usage", "token counts and cost cannot be negative"));
            }
        }
        let mut tx = self.begin().await?;
        let org = Self::require_org(&mut tx).await?;
        // Cost per scope and month, and the workspaces that spent.
        let mut spent: BTreeMap<(SpendScope, Period), i64> = BTreeMap::new();
        for rec in &batch.records {
            let period = Period::containing(rec.at);
            for scope in [SpendScope::Organization(org.id), SpendScope::Workspace(rec.workspace_id), SpendScope::ApiKey(rec.key_id)] {
                *spent.entry((scope, period)).or_default() += rec.cost_micros;
            }
        }
        let mut from_leases: BTreeMap<(SpendScope, Period), i64> = BTreeMap::new();
        for l in &batch.lease_spent {
            *from_leases.entry((l.scope, l.period)).or_default() += l.micros.max(0);
        }
        let mut touched: Vec<(SpendScope, Period)> = spent.keys().chain(from_leases.keys()).copied().collect();
        touched.sort();
        touched.dedup();
        for (scope, period) in &touched {
            Self::ensure_ledger_row(&mut tx, *scope, *period).await?;
        }
        for chunk in batch.records.chunks(RECORDS_PER_INSERT) {
            let mut sql = String::from(
                "INSERT INTO usage_records (id, key_id, workspace_id, owner_id, model, input_tokens, output_tokens, cost_micros, at) VALUES ",
            );
            let mut a = Vec::with_capacity(chunk.len() * 8);
            for (i, rec) in chunk.iter().enumerate() {
                let n = i * 8;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, (SELECT owner_id FROM api_keys WHERE id = ${}), ${}, ${}, ${}, ${}, ${})",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 2,
                    n + 4,
                    n + 5,
                    n + 6,
                    n + 7,
                    n + 8
                ));
                a.extend(args![
                    Uuid::new_v4(),
                    rec.key_id,
                    rec.workspace_id,
                    rec.model.clone(),
                    rec.input_tokens,
                    rec.output_tokens,
                    rec.cost_micros,
                    ms(rec.at)
                ]);
            }
            tx.exec(&sql, a).await?;
        }
        for key @ (scope, period) in &touched {
            let cost = spent.get(key).copied().unwrap_or(0);
            let leased = from_leases.get(key).copied().unwrap_or(0);
            tx.exec(
                "UPDATE spend_ledger SET committed_micros = committed_micros + $4, \
                 leased_micros = CASE WHEN leased_micros > $5 THEN leased_micros - $5 ELSE 0 END \
                 WHERE scope = $1 AND scope_id = $2 AND period = $3",
                args![scope.kind(), scope.id(), period.code(), cost, leased],
            )
            .await?;
        }
        let mut last_used: BTreeMap<Uuid, DateTime<Utc>> = BTreeMap::new();
        for (key, at) in batch.used.iter().copied().chain(batch.records.iter().map(|r| (r.key_id, r.at))) {
            let e = last_used.entry(key).or_insert(at);
            *e = (*e).max(at);
        }
        for (key, at) in &last_used {
            tx.exec(
                "UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
                args![ms(*at), *key],
            )
            .await?;
        }
        for (scope, period) in spent.keys() {
            if let SpendScope::Workspace(ws) = scope {
                self.raise_alerts(&mut tx, *ws, *period, org.monthly_spend_limit_micros).await?;
            }
        }
        tx.commit().await
    }

    /// Records the thresholds a workspace's month has passed, each once.
    async fn raise_alerts(&self, tx: &mut Tx, workspace_id: Uuid, period: Period, org_limit: Option<i64>) -> Result<()> {
        let ws_limit: Option<(Option<i64>,)> =
            tx.opt("SELECT monthly_spend_limit_micros FROM workspaces WHERE id = $1", args![workspace_id]).await?;
        // A workspace deleted since has nobody left to warn.
        let Some((ws_limit,)) = ws_limit else { return Ok(()) };
        let Some(limit) = policy::effective_spend_limit(org_limit, ws_limit).filter(|l| *l > 0) else { return Ok(()) };
        let committed = tx
            .int(
                "SELECT committed_micros FROM spend_ledger WHERE scope = 'workspace' AND scope_id = $1 AND period = $2",
                args![workspace_id, period.code()],
            )
            .await?;
        for t in ALERT_THRESHOLDS {
            if i128::from(committed) * 100 >= i128::from(limit) * i128::from(t) {
                tx.exec(
                    "INSERT INTO spend_alerts (id, workspace_id, period, threshold_percent, spent_micros, limit_micros, at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (workspace_id, period, threshold_percent) DO NOTHING",
                    args![Uuid::new_v4(), workspace_id, period.code(), t, committed, limit, ms(self.now())],
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Spend alerts, newest first: of one workspace, or of every workspace
    /// the actor answers for (all of them for organization admins and
    /// billing managers, the ones they administer for workspace admins).
    pub async fn list_spend_alerts(&self, actor: &Actor, filter: SpendAlertFilter) -> Result<Vec<SpendAlert>> {
        let limit = filter.limit.unwrap_or(100);
        if !(1..=crate::service::MAX_PAGE).contains(&limit) {
            return Err(Error::validation("limit", format!("limit must be between 1 and {}", crate::service::MAX_PAGE)));
        }
        let mut tx = self.begin().await?;
        let sees_all = authorize(Subject::organization(actor.org_role), Action::ViewSpendAlerts).is_allowed();
        if let Some(ws) = filter.workspace_id {
            Self::workspace_in(&mut tx, ws).await?;
            let subject = Self::subject(&mut tx, actor, ws, false).await?;
            if !authorize(subject, Action::ViewWorkspace).is_allowed() {
                return Err(Error::not_found("workspace"));
            }
            authorize(subject, Action::ViewSpendAlerts).check()?;
        }
        type Row = (Uuid, Uuid, String, i32, i32, i64, i64, i64);
        let rows: Vec<Row> = tx
            .all(
                "SELECT a.id, a.workspace_id, w.name, a.period, a.threshold_percent, a.spent_micros, a.limit_micros, a.at \
                 FROM spend_alerts a JOIN workspaces w ON w.id = a.workspace_id \
                 WHERE ($1 OR EXISTS (SELECT 1 FROM workspace_members m WHERE m.workspace_id = a.workspace_id \
                        AND m.user_id = $2 AND m.role = 'A')) \
                 AND ($3 OR a.workspace_id = $4) AND a.at >= $5 \
                 ORDER BY a.at DESC, a.threshold_percent DESC LIMIT $6",
                args![
                    sees_all,
                    actor.user_id,
                    filter.workspace_id.is_none(),
                    filter.workspace_id.unwrap_or_default(),
                    filter.since.map(ms).unwrap_or(i64::MIN),
                    limit
                ],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, workspace_id, workspace_name, period, threshold_percent, spent_micros, limit_micros, at)| SpendAlert {
                id,
                workspace_id,
                workspace_name,
                year: period / 100,
                month: (period % 100) as u32,
                threshold_percent,
                spent_micros,
                limit_micros,
                at: from_ms(at),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_ends_at_the_first_instant_of_the_next_month() {
        let p = Period::containing(Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap());
        assert_eq!(p.code(), 202612);
        assert_eq!(p.start(), Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
        assert_eq!(p.end(), Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
    }
}
