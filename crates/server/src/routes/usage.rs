//! Keydesk's per-workspace usage reports — the month's spend against the
//! limit in force and the month's usage per key — the spend alerts raised as
//! workspaces pass 50, 80 and 100 % of their limits, and the endpoint through
//! which metered requests are reported. The per model and day breakdown is
//! the platform's `GET /v1/admin/usage` (billing.rs).

use axum::extract::State;
use chrono::{DateTime, Utc};
use keydesk_core::authz::Action;
use keydesk_core::model::UsageRecord;
use uuid::Uuid;

use super::billing::parse_month;
use super::check_org;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, Json, Path, Query};
use crate::ServerState;
use keydesk_api::*;

/// How far ahead of the server's clock a reported request may be dated
/// (clock skew between a gateway and the server).
const FUTURE_SKEW_SECONDS: i64 = 300;

/// Longest model id accepted.
const MAX_MODEL_LEN: usize = 200;

/// A month's first instant from the query (the current month by default).
fn month_of(st: &ServerState, q: &MonthQuery) -> ApiResult<DateTime<Utc>> {
    parse_month(q.month.as_deref(), q.year.as_deref(), st.svc.now())
}

/// Keydesk: the workspace's spend in one month (the current one by default)
/// and the limit in force: the lower of the workspace's and the
/// organization's. Seen by the workspace's members, billing managers and
/// organization admins.
#[utoipa::path(get, path = "/v1/admin/workspaces/{workspace_uuid}/spend", tag = "billing",
    params(("workspace_uuid" = Uuid, Path), MonthQuery), responses((status = 200, body = WorkspaceSpendOut)))]
pub async fn workspace_spend(
    State(st): State<ServerState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<MonthQuery>,
) -> ApiResult<Json<WorkspaceSpendOut>> {
    let start = month_of(&st, &q)?;
    let spend = st.svc.monthly_spend(&caller.actor, id, start).await?;
    Ok(Json(WorkspaceSpendOut::from(&spend)))
}

/// Keydesk: the workspace's usage in one month per key, most expensive
/// first; keys deleted since keep their line, without name or hint.
#[utoipa::path(get, path = "/v1/admin/workspaces/{workspace_uuid}/usage/api-keys", tag = "billing",
    params(("workspace_uuid" = Uuid, Path), MonthQuery), responses((status = 200, body = ApiKeysUsageOut)))]
pub async fn usage_by_key(
    State(st): State<ServerState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<MonthQuery>,
) -> ApiResult<Json<ApiKeysUsageOut>> {
    let start = month_of(&st, &q)?;
    // For the month's name; authorized like every usage report (it answers
    // "not found" to those who may not see the workspace).
    let spend = st.svc.monthly_spend(&caller.actor, id, start).await?;
    let keys = st.svc.usage_by_key(&caller.actor, id, start).await?.into_iter().map(ApiKeyUsageOut::from).collect();
    Ok(Json(ApiKeysUsageOut { workspace_uuid: id, year: spend.year, month: spend.month, keys, currency: CURRENCY.into() }))
}

/// Keydesk: spend alerts, newest first — raised once per workspace, month
/// and threshold (50, 80, 100 % of the limit in force) as usage is recorded.
/// Organization admins and billing managers see every workspace's,
/// workspace admins those of the workspaces they administer.
#[utoipa::path(get, path = "/v1/admin/spend-alerts", tag = "billing", params(SpendAlertQuery),
    responses((status = 200, body = SpendAlertListOut)))]
pub async fn spend_alerts(
    State(st): State<ServerState>,
    caller: Caller,
    Query(q): Query<SpendAlertQuery>,
) -> ApiResult<Json<SpendAlertListOut>> {
    let filter = keydesk_core::ledger::SpendAlertFilter { workspace_id: q.workspace_id, since: q.since, limit: q.limit };
    let alerts = st.svc.list_spend_alerts(&caller.actor, filter).await?;
    Ok(Json(SpendAlertListOut { object: "list".into(), data: alerts.iter().map(SpendAlertOut::from).collect() }))
}

/// USD to micro-USD, refusing what cannot be a cost.
fn cost_micros(cost: f64) -> ApiResult<i64> {
    if !cost.is_finite() || !(0.0..=1e9).contains(&cost) {
        return Err(ApiError::validation("cost", "cost must be between 0 and 1000000000 USD"));
    }
    Ok((cost * 1_000_000.0).round() as i64)
}

/// Keydesk: records one metered request against a key and its workspace,
/// as a gateway in front of the platform, or an import of its usage, does.
/// Organization admins only (session or Admin API key): what is recorded
/// here is charged to the workspace and counts against its limit.
#[utoipa::path(post, path = "/v1/admin/usage-events", tag = "billing", request_body = UsageEventIn,
    responses((status = 200, body = UsageEventOut)))]
pub async fn record_usage_event(
    State(st): State<ServerState>,
    caller: Caller,
    Json(body): Json<UsageEventIn>,
) -> ApiResult<Json<UsageEventOut>> {
    check_org(&caller.actor, Action::RecordUsage)?;
    let model = body.model.trim().to_owned();
    if model.is_empty() || model.chars().count() > MAX_MODEL_LEN {
        return Err(ApiError::validation("model", format!("model must be 1 to {MAX_MODEL_LEN} characters")));
    }
    for (field, value) in [("input_tokens", body.input_tokens), ("output_tokens", body.output_tokens)] {
        if value < 0 {
            return Err(ApiError::validation(field, format!("{field} cannot be negative")));
        }
    }
    let cost = cost_micros(body.cost)?;
    let now = st.svc.now();
    let at = body.at.unwrap_or(now);
    if at > now + chrono::Duration::seconds(FUTURE_SKEW_SECONDS) {
        return Err(ApiError::validation("at", "a request cannot be dated in the future"));
    }
    // Stored to the millisecond: answer what is kept.
    let at = DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at);
    let key = st.svc.get_key(&caller.actor, body.key_id).await?;
    let record = UsageRecord {
        key_id: key.key_id,
        workspace_id: key.workspace_id,
        model,
        input_tokens: body.input_tokens,
        output_tokens: body.output_tokens,
        cost_micros: cost,
        at,
    };
    st.svc.record_usage(&record).await?;
    Ok(Json(UsageEventOut {
        key_id: record.key_id,
        workspace_uuid: record.workspace_id,
        model: record.model,
        input_tokens: record.input_tokens,
        output_tokens: record.output_tokens,
        cost: usd(record.cost_micros),
        at: record.at,
    }))
}
