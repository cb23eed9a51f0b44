//! Usage reports: a workspace's metered requests in one calendar month (UTC),
//! grouped by model and day (the Admin API's usage endpoint) or by key (the
//! Usage tab's breakdown). Access is checked by the same rule as the
//! workspace's monthly spend.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::args;
use crate::error::Result;
use crate::policy;
use crate::service::{Actor, Service};

/// One model's usage on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ModelDayUsage {
    pub model: String,
    pub day: NaiveDate,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_micros: i64,
}

/// One key's usage in a month. `name` and `hidden_key` are `None` once the
/// key has been deleted: its usage still counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct KeyUsage {
    pub key_id: Uuid,
    pub name: Option<String>,
    pub hidden_key: Option<String>,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_micros: i64,
}

impl Service {
    /// Usage of a workspace in the month containing `at`, per key, most
    /// expensive first (equal costs in key id order).
    pub async fn usage_by_key(&self, actor: &Actor, workspace_id: Uuid, at: DateTime<Utc>) -> Result<Vec<KeyUsage>> {
        // Authorizes (ViewUsage) and checks that the workspace exists.
        self.monthly_spend(actor, workspace_id, at).await?;
        let (start, end) = policy::month_bounds(at);
        let mut tx = self.db().begin().await?;
        type Row = (Uuid, Option<String>, Option<String>, i64, i64, i64, i64);
        let rows: Vec<Row> = tx
            .all(
                "SELECT u.key_id, k.name, k.hidden_key, COUNT(*), \
                 CAST(SUM(u.input_tokens) AS BIGINT), CAST(SUM(u.output_tokens) AS BIGINT), \
                 CAST(SUM(u.cost_micros) AS BIGINT) \
                 FROM usage_records u LEFT JOIN api_keys k ON k.id = u.key_id \
                 WHERE u.workspace_id = $1 AND u.at >= $2 AND u.at < $3 \
                 GROUP BY u.key_id, k.name, k.hidden_key ORDER BY 7 DESC, 1",
                args![workspace_id, start.timestamp_millis(), end.timestamp_millis()],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(key_id, name, hidden_key, requests, input_tokens, output_tokens, cost_micros)| KeyUsage {
                key_id,
                name,
                hidden_key,
                requests,
                input_tokens,
                output_tokens,
                cost_micros,
            })
            .collect())
    }

    /// Usage of a workspace in the month containing `at`, per model and day.
    pub async fn usage_by_model(&self, actor: &Actor, workspace_id: Uuid, at: DateTime<Utc>) -> Result<Vec<ModelDayUsage>> {
        // Authorizes (ViewUsage) and checks that the workspace exists.
        self.monthly_spend(actor, workspace_id, at).await?;
        let (start, end) = policy::month_bounds(at);
        let mut tx = self.db().begin().await?;
        let rows: Vec<(String, i64, i64, i64, i64, i64)> = tx
            .all(
                "SELECT model, CAST((at - $2) / $4 AS BIGINT) AS day_index, COUNT(*), \
                 CAST(SUM(input_tokens) AS BIGINT), CAST(SUM(output_tokens) AS BIGINT), CAST(SUM(cost_micros) AS BIGINT) \
                 FROM usage_records WHERE workspace_id = $1 AND at >= $2 AND at < $3 \
                 GROUP BY model, day_index ORDER BY model, day_index",
                args![workspace_id, start.timestamp_millis(), end.timestamp_millis(), 86_400_000_i64],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(model, d, requests, input_tokens, output_tokens, cost_micros)| ModelDayUsage {
                model,
                day: (start + Duration::days(d)).date_naive(),
                requests,
                input_tokens,
                output_tokens,
                cost_micros,
            })
            .collect())
    }
}
