//! Organization-level endpoints: rate and spend limits, usage, the audit
//! log (in the platform's event vocabulary), the organization's own settings
//! and its Admin API keys.

use std::collections::BTreeMap;

use axum::extract::{RawQuery, State};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use keydesk_core::authz::Action;
use keydesk_core::model::{AuditFilter, AuditQuery, Plan};
use keydesk_core::{policy, OrganizationPatch};
use uuid::Uuid;

use super::check_org;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, Json, Path, Query};
use crate::ServerState;
use keydesk_api::*;

/// The default workspace's rate limits stand for the organization's.
#[utoipa::path(get, path = "/v1/admin/rate-limit", tag = "billing", responses((status = 200, body = RateLimitsOut)))]
pub async fn rate_limit(State(st): State<ServerState>, caller: Caller) -> ApiResult<Json<RateLimitsOut>> {
    check_org(&caller.actor, Action::ViewUsage)?;
    let default = st.svc.list_workspaces(&caller.actor).await?.into_iter().find(|w| w.is_default);
    let (rps, tpm) = match default {
        Some(w) => (w.rate_limits.requests_per_second, w.rate_limits.tokens_per_minute),
        None => (None, BTreeMap::new()),
    };
    Ok(Json(RateLimitsOut {
        requests_per_second: i64::from(rps.unwrap_or(0)),
        tokens_limits_by_model: tpm
            .into_iter()
            .map(|(model, per_minute)| (model, TokenLimitsByModel { tokens_per_minute: per_minute, tokens_per_month: 0 }))
            .collect(),
    }))
}

async fn limits(st: &ServerState, caller: &Caller) -> ApiResult<LimitsOut> {
    check_org(&caller.actor, Action::ViewUsage)?;
    let org = st.svc.organization().await?.ok_or_else(|| keydesk_core::Error::not_found("organization"))?;
    let spent = st.svc.organization_spend(&caller.actor, st.svc.now()).await?;
    let limit = org.monthly_spend_limit_micros;
    Ok(LimitsOut {
        limits: LimitsContext {
            completion: UsageLimits {
                no_monthly_limit: limit.is_none(),
                monthly_limit_reached: limit.is_some_and(|l| spent >= l),
                usage: Some(usd(spent)),
                // Vibe keys' spend is part of `usage`; it is not told apart.
                vibe_usage: None,
                total_usage: Some(usd(spent)),
                usage_limit: limit.map(usd),
            },
            last_payment_failure: false,
            last_payment_failure_protection: None,
            currency: CURRENCY.into(),
        },
    })
}

/// The organization's monthly limit and this month's spend (USD).
#[utoipa::path(get, path = "/v1/admin/spend-limit", tag = "billing", responses((status = 200, body = LimitsOut)))]
pub async fn spend_limit(State(st): State<ServerState>, caller: Caller) -> ApiResult<Json<LimitsOut>> {
    Ok(Json(limits(&st, &caller).await?))
}

/// Sets the organization's monthly limit in whole USD, or removes it.
#[utoipa::path(post, path = "/v1/admin/spend-limit", tag = "billing", request_body = NewUsageLimitIn,
    responses((status = 200, body = LimitsOut)))]
pub async fn update_spend_limit(
    State(st): State<ServerState>,
    caller: Caller,
    Json(body): Json<NewUsageLimitIn>,
) -> ApiResult<Json<LimitsOut>> {
    let micros = if body.no_monthly_limit {
        None
    } else {
        Some(body.amount.checked_mul(1_000_000).ok_or_else(|| ApiError::validation("amount", "amount is too large"))?)
    };
    let patch = OrganizationPatch { monthly_spend_limit_micros: Some(micros), ..Default::default() };
    st.svc.update_organization(&caller.actor, patch).await.map_err(|mut e| {
        if e.field.as_deref() == Some("monthly_spend_limit") {
            e.field = Some("amount".into());
        }
        e
    })?;
    Ok(Json(limits(&st, &caller).await?))
}

/// The first instant of the month named by `month` (1-12) and `year`, each
/// the current one when absent or empty.
pub(crate) fn parse_month(month: Option<&str>, year: Option<&str>, now: DateTime<Utc>) -> ApiResult<DateTime<Utc>> {
    let month = match month.map(str::trim).filter(|s| !s.is_empty()) {
        Some(m) => {
            m.parse::<u32>().ok().filter(|m| (1..=12).contains(m)).ok_or_else(|| ApiError::validation("month", "month must be 1 to 12"))?
        }
        None => now.month(),
    };
    let year = match year.map(str::trim).filter(|s| !s.is_empty()) {
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (1970..=9999).contains(y))
            .ok_or_else(|| ApiError::validation("year", "year must be between 1970 and 9999"))?,
        None => now.year(),
    };
    Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).single().ok_or_else(|| ApiError::validation("month", "no such month"))
}

fn month_label(t: DateTime<Utc>) -> String {
    format!("{:04}-{:02}", t.year(), t.month())
}

/// Cost and tokens of one month, per model and day, over the workspaces the
/// caller may see (or one of them).
#[utoipa::path(get, path = "/v1/admin/usage", tag = "billing", params(UsageQuery), responses((status = 200, body = UsageOut)))]
pub async fn usage(State(st): State<ServerState>, caller: Caller, Query(q): Query<UsageQuery>) -> ApiResult<Json<UsageOut>> {
    let start = parse_month(q.month.as_deref(), q.year.as_deref(), st.svc.now())?;
    let (_, end) = policy::month_bounds(start);
    let (prev_start, _) = policy::month_bounds(start - chrono::Duration::days(1));
    let workspaces: Vec<Uuid> = match q.workspace_id {
        Some(id) => vec![id],
        None => st.svc.list_workspaces(&caller.actor).await?.into_iter().map(|w| w.id).collect(),
    };
    let mut completion = ModelUsageData::default();
    let mut total = 0i64;
    for ws in workspaces {
        for row in st.svc.usage_by_model(&caller.actor, ws, start).await? {
            total = total.saturating_add(row.cost_micros);
            let entry = CompletionUsageEntry {
                workspace_id: Some(ws),
                requests: row.requests,
                input_tokens: row.input_tokens,
                output_tokens: row.output_tokens,
                cost: usd(row.cost_micros),
            };
            completion.push(row.model, row.day, &entry);
        }
    }
    Ok(Json(UsageOut {
        completion,
        ocr: Default::default(),
        connectors: Default::default(),
        libraries_api: Default::default(),
        fine_tuning: Default::default(),
        audio: Default::default(),
        audio_characters: Default::default(),
        // The spec fixes this legacy field at 0.
        vibe_usage: 0.0,
        vibe_code: Default::default(),
        chat: Default::default(),
        date: start,
        previous_month: Some(month_label(prev_start)),
        next_month: Some(month_label(end)),
        start_date: start,
        end_date: end,
        currency: Some(CURRENCY.into()),
        currency_symbol: Some("$".into()),
        prices: st.gateway.as_ref().map(|gw| token_prices(&gw.config)),
        total_cost: usd(total),
    }))
}

/// The gateway's catalogue as `PriceData`: an input and an output price per
/// model, in USD per token (what usage is charged at). `null` in the report
/// when this server runs no gateway.
fn token_prices(config: &crate::gateway::config::Config) -> Vec<PriceOut> {
    let per_token = |micros_per_million: i64| {
        // micro-USD per million tokens is 1e-12 USD per token: exact decimals.
        let whole = micros_per_million / 1_000_000_000_000;
        let frac = micros_per_million % 1_000_000_000_000;
        let s = format!("{whole}.{frac:012}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    };
    config
        .models
        .iter()
        .flat_map(|m| {
            [("input", m.input_price_micros), ("output", m.output_price_micros)].map(|(group, micros)| PriceOut {
                event_type: Some("api_tokens".into()),
                billing_metric: m.config.id.clone(),
                billing_group: group.into(),
                api_zone: "global".into(),
                service_tier: "standard".into(),
                price: per_token(micros),
            })
        })
        .collect()
}

/// The platform's audit-log query, as sent.
struct AuditLogQuery {
    actor_types: Vec<String>,
    event_types: Vec<String>,
    target_types: Vec<String>,
    actor: Option<Uuid>,
    ascending: bool,
    after: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
    limit: usize,
}

fn parse_audit_query(raw: Option<&str>) -> ApiResult<AuditLogQuery> {
    let mut q = AuditLogQuery {
        actor_types: vec![],
        event_types: vec![],
        target_types: vec![],
        actor: None,
        ascending: false,
        after: None,
        before: None,
        limit: 20,
    };
    let time = |field: &str, v: &str| {
        DateTime::parse_from_rfc3339(v)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| ApiError::validation(field, format!("{field} must be an RFC 3339 date-time")))
    };
    for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "actor_type" => q.actor_types.push(v.into_owned()),
            "event_type" => q.event_types.push(v.into_owned()),
            "target_type" => q.target_types.push(v.into_owned()),
            "actor_user_uuid" if !v.is_empty() => {
                q.actor = Some(Uuid::parse_str(&v).map_err(|_| ApiError::validation("actor_user_uuid", "actor_user_uuid must be a UUID"))?)
            }
            "sort" => {
                q.ascending = match v.as_ref() {
                    "ascending" => true,
                    "descending" => false,
                    _ => return Err(ApiError::validation("sort", "sort must be 'ascending' or 'descending'")),
                }
            }
            "after" if !v.is_empty() => q.after = Some(time("after", &v)?),
            "before" if !v.is_empty() => q.before = Some(time("before", &v)?),
            "limit" => {
                q.limit = v
                    .parse::<usize>()
                    .ok()
                    .filter(|l| (1..=1000).contains(l))
                    .ok_or_else(|| ApiError::validation("limit", "limit must be between 1 and 1000"))?
            }
            _ => {}
        }
    }
    Ok(q)
}

/// The audit log in the platform's vocabulary. Keydesk events with no
/// equivalent in the platform's event types (key renames) are not listed here.
#[utoipa::path(get, path = "/v1/admin/audit-logs", tag = "audit", params(
        ("actor_type" = Option<Vec<String>>, Query), ("event_type" = Option<Vec<String>>, Query),
        ("target_type" = Option<Vec<String>>, Query), ("actor_user_uuid" = Option<String>, Query),
        ("sort" = Option<String>, Query, description = "ascending or descending (default)"),
        ("after" = Option<DateTime<Utc>>, Query), ("before" = Option<DateTime<Utc>>, Query),
        ("limit" = Option<i64>, Query, description = "1 to 1000, default 20")),
    responses((status = 200, body = Vec<AuditLogOut>)))]
pub async fn audit_logs(State(st): State<ServerState>, caller: Caller, RawQuery(raw): RawQuery) -> ApiResult<Json<Vec<AuditLogOut>>> {
    let q = parse_audit_query(raw.as_deref())?;
    check_org(&caller.actor, Action::ViewAuditLog)?;
    // The platform's names, turned into Keydesk's for the database to filter by.
    let actions: Vec<String> = AUDIT_EVENT_TYPES
        .iter()
        .filter(|(_, t)| q.event_types.is_empty() || q.event_types.iter().any(|e| e == t))
        .map(|(a, _)| (*a).to_owned())
        .collect();
    let target_types: Vec<String> =
        AUDIT_TARGET_TYPES.iter().filter(|(_, p)| q.target_types.iter().any(|t| t == p)).map(|(t, _)| (*t).to_owned()).collect();
    let people = q.actor_types.iter().any(|t| t == "HUMAN");
    let system = q.actor_types.iter().any(|t| t == "OTHER");
    let nothing_matches =
        actions.is_empty() || (!q.target_types.is_empty() && target_types.is_empty()) || (!q.actor_types.is_empty() && !people && !system);
    if nothing_matches {
        return Ok(Json(vec![]));
    }
    let query = AuditQuery {
        actor_id: q.actor,
        actions,
        target_types,
        by_person: if people == system { None } else { Some(people) },
        since: q.after,
        until: q.before,
        oldest_first: q.ascending,
        limit: Some(q.limit as i64),
        ..Default::default()
    };
    let org = st.svc.organization().await?.map(|o| o.id);
    let events = st.svc.query_audit(&caller.actor, query).await?;
    Ok(Json(events.iter().filter_map(|e| event_type_of(&e.action).map(|t| AuditLogOut::from_event(e, t, org))).collect()))
}

/// Keydesk: the organization, its plan, billing state and policies.
#[utoipa::path(get, path = "/v1/admin/organization", tag = "organization", responses((status = 200, body = OrganizationOut)))]
pub async fn organization(State(st): State<ServerState>, caller: Caller) -> ApiResult<Json<OrganizationOut>> {
    check_org(&caller.actor, Action::ViewOrganization)?;
    let org = st.svc.organization().await?.ok_or_else(|| keydesk_core::Error::not_found("organization"))?;
    Ok(Json(OrganizationOut::from(&org)))
}

/// Keydesk: name, plan, billing state and the key expiry policy.
#[utoipa::path(patch, path = "/v1/admin/organization", tag = "organization", request_body = OrganizationPatchIn,
    responses((status = 200, body = OrganizationOut)))]
pub async fn update_organization(
    State(st): State<ServerState>,
    caller: Caller,
    Json(body): Json<OrganizationPatchIn>,
) -> ApiResult<Json<OrganizationOut>> {
    let plan = match body.plan.as_deref() {
        Some(p) => Some(Plan::parse(p).ok_or_else(|| ApiError::validation("plan", "plan must be 'experiment' or 'scale'"))?),
        None => None,
    };
    let patch = OrganizationPatch {
        name: body.name,
        plan,
        billing_active: body.billing_active,
        monthly_spend_limit_micros: None,
        key_max_days: body.key_max_days,
    };
    Ok(Json(OrganizationOut::from(&st.svc.update_organization(&caller.actor, patch).await?)))
}

/// Keydesk: the organization's Admin API keys (never their secrets).
#[utoipa::path(get, path = "/v1/admin/admin-api-keys", tag = "organization", responses((status = 200, body = AdminApiKeysOut)))]
pub async fn list_admin_keys(State(st): State<ServerState>, caller: Caller) -> ApiResult<Json<AdminApiKeysOut>> {
    let keys = st.svc.list_admin_keys(&caller.actor).await?;
    Ok(Json(AdminApiKeysOut { keys: keys.iter().map(AdminApiKeyOut::from).collect() }))
}

/// Keydesk: creates an Admin API key acting for the caller; the secret is in `key`, once.
#[utoipa::path(post, path = "/v1/admin/admin-api-keys", tag = "organization", request_body = CreateAdminApiKeyIn,
    responses((status = 200, body = AdminApiKeyOut)))]
pub async fn create_admin_key(
    State(st): State<ServerState>,
    caller: Caller,
    Json(body): Json<CreateAdminApiKeyIn>,
) -> ApiResult<Json<AdminApiKeyOut>> {
    let created = st.svc.create_admin_key(&caller.actor, &body.name, body.expiration).await?;
    let mut out = AdminApiKeyOut::from(&created.key);
    out.key = Some(created.secret.expose().clone());
    Ok(Json(out))
}

#[utoipa::path(delete, path = "/v1/admin/admin-api-keys/{key_id}", tag = "organization", params(("key_id" = Uuid, Path)),
    responses((status = 200, body = DeleteApiKeyOut)))]
pub async fn delete_admin_key(State(st): State<ServerState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<DeleteApiKeyOut>> {
    st.svc.delete_admin_key(&caller.actor, id).await?;
    Ok(Json(DeleteApiKeyOut { detail: "Admin API key deleted successfully".into() }))
}

/// Keydesk: the audit log as Keydesk records it — every event, in Keydesk's
/// action names, with the target before and after the change — filtered by
/// actor, action, target and time, newest first, a page at a time.
#[utoipa::path(get, path = "/v1/admin/audit-events", tag = "audit", params(AuditEventsQuery),
    responses((status = 200, body = AuditEventsOut)))]
pub async fn audit_events(
    State(st): State<ServerState>,
    caller: Caller,
    Query(q): Query<AuditEventsQuery>,
) -> ApiResult<Json<AuditEventsOut>> {
    let filter = AuditFilter::from(q);
    let events = st.svc.list_audit(&caller.actor, filter).await?;
    Ok(Json(AuditEventsOut { events: events.into_iter().map(AuditEventOut::from).collect() }))
}
