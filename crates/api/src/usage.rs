//! Limits, usage and spend on the wire: the platform's billing shapes,
//! Keydesk's monthly spend and per-key usage, spend alerts, usage events.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use keydesk_core::model::*;
use keydesk_core::report::{KeyUsage, ModelDayUsage};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::*;

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenLimitsByModel {
    pub tokens_per_minute: i64,
    /// Keydesk has no monthly token limit: always 0.
    pub tokens_per_month: i64,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RateLimitsOut {
    /// The default workspace's limit; 0 when none is set.
    pub requests_per_second: i64,
    pub tokens_limits_by_model: BTreeMap<String, TokenLimitsByModel>,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageLimits {
    pub no_monthly_limit: bool,
    pub monthly_limit_reached: bool,
    pub usage: Option<f64>,
    pub vibe_usage: Option<f64>,
    pub total_usage: Option<f64>,
    pub usage_limit: Option<f64>,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LimitsContext {
    pub completion: UsageLimits,
    pub last_payment_failure: bool,
    pub last_payment_failure_protection: Option<bool>,
    pub currency: String,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LimitsOut {
    pub limits: LimitsContext,
}

/// `NewUsageLimitIN`: `amount` in whole USD.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewUsageLimitIn {
    pub amount: i64,
    #[serde(default)]
    pub no_monthly_limit: bool,
}

#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct UsageQuery {
    /// Month number (1-12); the current month when absent.
    pub month: Option<String>,
    pub year: Option<String>,
    pub workspace_id: Option<Uuid>,
    /// Accepted; Keydesk has one zone, `global`.
    pub api_zone: Option<String>,
}

/// `BasicModelUsageDataJSON`: model → day (YYYY-MM-DD) → entries.
#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelUsageData {
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub models: BTreeMap<String, BTreeMap<String, Vec<serde_json::Value>>>,
}

#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LibrariesUsageData {
    pub pages: ModelUsageData,
    pub tokens: ModelUsageData,
    pub audio_seconds: ModelUsageData,
}

#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FineTuningData {
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub training: BTreeMap<String, serde_json::Value>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub storage: BTreeMap<String, i64>,
}

#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VibeCodeUsageData {
    pub completion: ModelUsageData,
    pub ocr: ModelUsageData,
    pub connectors: ModelUsageData,
    pub audio: ModelUsageData,
    pub audio_characters: ModelUsageData,
}

/// One entry of a completion usage day: one workspace's requests to one
/// model (Keydesk's content of the spec's free-form usage entries).
#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompletionUsageEntry {
    pub workspace_id: Option<Uuid>,
    #[serde(default)]
    pub requests: i64,
    #[serde(default)]
    pub input_tokens: i64,
    #[serde(default)]
    pub output_tokens: i64,
    /// In USD.
    #[serde(default)]
    pub cost: f64,
}

impl ModelUsageData {
    /// Adds one entry under its model and day.
    pub fn push(&mut self, model: String, day: NaiveDate, entry: &CompletionUsageEntry) {
        let value = serde_json::to_value(entry).unwrap_or_default();
        self.models.entry(model).or_default().entry(day.to_string()).or_default().push(value);
    }

    /// The report in keydesk-core's shape, one row per model and day (by
    /// model, then day), the day's entries summed.
    pub fn model_days(self) -> Result<Vec<ModelDayUsage>, Unreadable> {
        let mut out = Vec::new();
        for (model, days) in self.models {
            for (day, entries) in days {
                let day = NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                    .map_err(|_| Unreadable(format!("the usage report has an unknown day '{day}'")))?;
                let mut row = ModelDayUsage { model: model.clone(), day, requests: 0, input_tokens: 0, output_tokens: 0, cost_micros: 0 };
                for value in entries {
                    let e: CompletionUsageEntry =
                        serde_json::from_value(value).map_err(|e| Unreadable(format!("the usage report has an unreadable entry: {e}")))?;
                    row.requests += e.requests;
                    row.input_tokens += e.input_tokens;
                    row.output_tokens += e.output_tokens;
                    row.cost_micros += micros(e.cost);
                }
                out.push(row);
            }
        }
        Ok(out)
    }
}

/// `PriceData`: one unit price.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriceOut {
    /// `api_tokens`.
    pub event_type: Option<String>,
    /// The model id.
    pub billing_metric: String,
    /// `input` or `output` tokens.
    pub billing_group: String,
    /// Always `global`.
    pub api_zone: String,
    /// Always `standard`.
    pub service_tier: String,
    /// USD per token, as an exact decimal string.
    pub price: String,
}

/// `UsageOUTJSON`. Keydesk meters chat/completion requests only; the other
/// categories are present and empty.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageOut {
    pub completion: ModelUsageData,
    pub ocr: ModelUsageData,
    pub connectors: ModelUsageData,
    pub libraries_api: LibrariesUsageData,
    pub fine_tuning: FineTuningData,
    pub audio: ModelUsageData,
    pub audio_characters: ModelUsageData,
    pub vibe_usage: f64,
    pub vibe_code: VibeCodeUsageData,
    pub chat: ModelUsageData,
    pub date: DateTime<Utc>,
    pub previous_month: Option<String>,
    pub next_month: Option<String>,
    pub start_date: DateTime<Utc>,
    pub end_date: DateTime<Utc>,
    pub currency: Option<String>,
    pub currency_symbol: Option<String>,
    /// The gateway's prices; null when this server runs no gateway.
    pub prices: Option<Vec<PriceOut>>,
    /// Keydesk: total cost of the month in USD.
    pub total_cost: f64,
}

/// Keydesk: which calendar month (UTC) a workspace report covers, written
/// as in `GET /v1/admin/usage`.
#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct MonthQuery {
    /// Month number (1-12); the current month when absent.
    pub month: Option<String>,
    /// The current year when absent.
    pub year: Option<String>,
}

/// Keydesk: a workspace's spend in one calendar month (UTC), against the
/// limit in force there.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceSpendOut {
    pub workspace_uuid: Uuid,
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
    /// Spent in the month, in USD.
    pub spent: f64,
    /// The limit in force, in USD: the lower of the workspace's and the
    /// organization's; null when neither has one.
    pub usage_limit: Option<f64>,
    /// What is left under the limit, in USD (never negative); null without a limit.
    pub remaining: Option<f64>,
    pub no_monthly_limit: bool,
    pub monthly_limit_reached: bool,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub currency: String,
}

impl From<&MonthlySpend> for WorkspaceSpendOut {
    fn from(m: &MonthlySpend) -> Self {
        WorkspaceSpendOut {
            workspace_uuid: m.workspace_id,
            year: m.year,
            month: m.month,
            spent: usd(m.spent_micros),
            usage_limit: m.limit_micros.map(usd),
            remaining: m.remaining_micros().map(usd),
            no_monthly_limit: m.limit_micros.is_none(),
            monthly_limit_reached: m.limit_reached(),
            requests: m.requests,
            input_tokens: m.input_tokens,
            output_tokens: m.output_tokens,
            currency: CURRENCY.into(),
        }
    }
}

/// Keydesk: one key's usage in the month.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyUsageOut {
    pub key_id: Uuid,
    /// Null once the key is deleted (its usage stays on the record).
    pub name: Option<String>,
    /// Null once the key is deleted.
    pub hidden_key: Option<String>,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// In USD.
    pub cost: f64,
}

/// Keydesk: a workspace's usage in one month per key, most expensive first.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeysUsageOut {
    pub workspace_uuid: Uuid,
    pub year: i32,
    pub month: u32,
    pub keys: Vec<ApiKeyUsageOut>,
    pub currency: String,
}

/// Keydesk: which spend alerts to list (`GET /v1/admin/spend-alerts`).
#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct SpendAlertQuery {
    /// Only this workspace's alerts.
    pub workspace_id: Option<Uuid>,
    /// Only alerts raised at or after this instant (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// At most this many, newest first (1-1000, default 100).
    pub limit: Option<i64>,
}

/// Keydesk: a workspace's month passed a share of its spending limit.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpendAlertOut {
    pub id: Uuid,
    pub workspace_uuid: Uuid,
    pub workspace_name: String,
    pub year: i32,
    pub month: u32,
    /// 50, 80 or 100.
    pub threshold_percent: i32,
    /// The month's spend when the threshold was passed, in USD.
    pub spent: f64,
    /// The limit in force then (the lower of the workspace's and the
    /// organization's), in USD.
    pub limit: f64,
    pub currency: String,
    pub created_at: DateTime<Utc>,
}

impl From<&keydesk_core::ledger::SpendAlert> for SpendAlertOut {
    fn from(a: &keydesk_core::ledger::SpendAlert) -> Self {
        SpendAlertOut {
            id: a.id,
            workspace_uuid: a.workspace_id,
            workspace_name: a.workspace_name.clone(),
            year: a.year,
            month: a.month,
            threshold_percent: a.threshold_percent,
            spent: usd(a.spent_micros),
            limit: usd(a.limit_micros),
            currency: CURRENCY.into(),
            created_at: a.at,
        }
    }
}

impl From<SpendAlertOut> for keydesk_core::ledger::SpendAlert {
    fn from(a: SpendAlertOut) -> Self {
        keydesk_core::ledger::SpendAlert {
            id: a.id,
            workspace_id: a.workspace_uuid,
            workspace_name: a.workspace_name,
            year: a.year,
            month: a.month,
            threshold_percent: a.threshold_percent,
            spent_micros: micros(a.spent),
            limit_micros: micros(a.limit),
            at: a.created_at,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpendAlertListOut {
    pub object: String,
    pub data: Vec<SpendAlertOut>,
}

/// Keydesk: one metered request, as a gateway or an importer reports it.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageEventIn {
    /// The key the request was made with; its workspace is charged.
    pub key_id: Uuid,
    pub model: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// In USD.
    pub cost: f64,
    /// When the request was made; now when absent. Never in the future.
    pub at: Option<DateTime<Utc>>,
}

/// Keydesk: the usage event as recorded.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageEventOut {
    pub key_id: Uuid,
    pub workspace_uuid: Uuid,
    pub model: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// In USD.
    pub cost: f64,
    pub at: DateTime<Utc>,
}

impl From<WorkspaceSpendOut> for MonthlySpend {
    fn from(s: WorkspaceSpendOut) -> Self {
        MonthlySpend {
            workspace_id: s.workspace_uuid,
            year: s.year,
            month: s.month,
            spent_micros: micros(s.spent),
            limit_micros: s.usage_limit.map(micros),
            requests: s.requests,
            input_tokens: s.input_tokens,
            output_tokens: s.output_tokens,
        }
    }
}

impl From<KeyUsage> for ApiKeyUsageOut {
    fn from(k: KeyUsage) -> Self {
        ApiKeyUsageOut {
            key_id: k.key_id,
            name: k.name,
            hidden_key: k.hidden_key,
            requests: k.requests,
            input_tokens: k.input_tokens,
            output_tokens: k.output_tokens,
            cost: usd(k.cost_micros),
        }
    }
}

impl From<ApiKeyUsageOut> for KeyUsage {
    fn from(k: ApiKeyUsageOut) -> Self {
        KeyUsage {
            key_id: k.key_id,
            name: k.name,
            hidden_key: k.hidden_key,
            requests: k.requests,
            input_tokens: k.input_tokens,
            output_tokens: k.output_tokens,
            cost_micros: micros(k.cost),
        }
    }
}
