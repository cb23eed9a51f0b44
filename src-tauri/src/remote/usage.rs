//! The Usage tab and the audit log view of `RemoteBackend`, as calls to
//! keydesk-server: the month's spend against the limit in force, cost per
//! day and usage per model and day (both from the platform's
//! `GET /v1/admin/usage`), usage per key, the connectors a key reaches and
//! the audit log in Keydesk's own vocabulary. Every read goes through the
//! cache, so the last answer is shown offline. Money crosses the wire in
//! USD, as everywhere in the Admin API, and is turned back into micro-USD.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use keydesk_core::model::{AuditEvent, AuditFilter, Connector, MonthlySpend};
use keydesk_core::report::ModelDayUsage;
use keydesk_core::DailyCost;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{decode, micros, RemoteBackend};
use crate::backend::KeyUsage;
use crate::error::{AppError, AppResult};

/// `GET /v1/admin/workspaces/{id}/spend`.
#[derive(Deserialize)]
struct SpendWire {
    workspace_uuid: Uuid,
    year: i32,
    month: u32,
    spent: f64,
    usage_limit: Option<f64>,
    requests: i64,
    input_tokens: i64,
    output_tokens: i64,
}

/// `GET /v1/admin/usage`: model → day → entries (one per workspace).
#[derive(Deserialize)]
struct UsageWire {
    completion: ModelsWire,
}

#[derive(Deserialize)]
struct ModelsWire {
    #[serde(default)]
    models: BTreeMap<String, BTreeMap<String, Vec<UsageEntryWire>>>,
}

#[derive(Deserialize)]
struct UsageEntryWire {
    #[serde(default)]
    requests: i64,
    #[serde(default)]
    input_tokens: i64,
    #[serde(default)]
    output_tokens: i64,
    #[serde(default)]
    cost: f64,
}

/// `GET /v1/admin/workspaces/{id}/usage/api-keys`.
#[derive(Deserialize)]
struct KeysUsageWire {
    keys: Vec<KeyUsageWire>,
}

#[derive(Deserialize)]
struct KeyUsageWire {
    key_id: Uuid,
    name: Option<String>,
    hidden_key: Option<String>,
    requests: i64,
    input_tokens: i64,
    output_tokens: i64,
    cost: f64,
}

#[derive(Deserialize)]
struct ConnectorsWire {
    connectors: Vec<Connector>,
}

/// `GET /v1/admin/audit-events`.
#[derive(Deserialize)]
struct AuditEventsWire {
    events: Vec<AuditEvent>,
}

/// The audit filter as the server's query parameters (absent ones are left out).
#[derive(Serialize)]
struct AuditQuery<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    actor_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    since: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    until: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<i64>,
}

impl<'a> From<&'a AuditFilter> for AuditQuery<'a> {
    fn from(f: &'a AuditFilter) -> Self {
        AuditQuery {
            actor_id: f.actor_id,
            action: f.action.as_deref(),
            target_id: f.target_id,
            since: f.since,
            until: f.until,
            limit: f.limit,
            offset: f.offset,
        }
    }
}

/// The per model and day report, in keydesk-core's shape: by model, then
/// day, as local mode orders it.
fn model_days(usage: UsageWire) -> AppResult<Vec<ModelDayUsage>> {
    let mut out = Vec::new();
    for (model, days) in usage.completion.models {
        for (day, entries) in days {
            let day = NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|_| {
                AppError::internal(format!(
                    "the server's usage report has an unknown day '{day}'"
                ))
            })?;
            let mut row = ModelDayUsage {
                model: model.clone(),
                day,
                requests: 0,
                input_tokens: 0,
                output_tokens: 0,
                cost_micros: 0,
            };
            for e in entries {
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

/// Cost per day, summed over models, oldest day first.
fn daily(rows: &[ModelDayUsage]) -> Vec<DailyCost> {
    let mut days: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for r in rows {
        *days.entry(r.day).or_default() += r.cost_micros;
    }
    days.into_iter()
        .map(|(day, cost_micros)| DailyCost { day, cost_micros })
        .collect()
}

impl RemoteBackend {
    async fn fetch_model_days(&self, workspace_id: Uuid) -> AppResult<Vec<ModelDayUsage>> {
        let request = self
            .request(Method::GET, "/v1/admin/usage")
            .query(&[("workspace_id", workspace_id)]);
        let usage: UsageWire = decode(self.execute(request).await?).await?;
        model_days(usage)
    }

    async fn fetch_spend(&self, workspace_id: Uuid) -> AppResult<MonthlySpend> {
        let s: SpendWire = self
            .call(
                Method::GET,
                &format!("/v1/admin/workspaces/{workspace_id}/spend"),
                None,
            )
            .await?;
        Ok(MonthlySpend {
            workspace_id: s.workspace_uuid,
            year: s.year,
            month: s.month,
            spent_micros: micros(s.spent),
            limit_micros: s.usage_limit.map(micros),
            requests: s.requests,
            input_tokens: s.input_tokens,
            output_tokens: s.output_tokens,
        })
    }

    async fn fetch_key_usage(&self, workspace_id: Uuid) -> AppResult<Vec<KeyUsage>> {
        let answer: KeysUsageWire = self
            .call(
                Method::GET,
                &format!("/v1/admin/workspaces/{workspace_id}/usage/api-keys"),
                None,
            )
            .await?;
        Ok(answer
            .keys
            .into_iter()
            .map(|k| KeyUsage {
                key_id: k.key_id,
                name: k.name,
                hidden_key: k.hidden_key,
                requests: k.requests,
                input_tokens: k.input_tokens,
                output_tokens: k.output_tokens,
                cost_micros: micros(k.cost),
            })
            .collect())
    }

    async fn fetch_key_connectors(&self, key_id: Uuid) -> AppResult<Vec<Connector>> {
        let answer: ConnectorsWire = self
            .call(
                Method::GET,
                &format!("/v1/admin/api-keys/{key_id}/connectors"),
                None,
            )
            .await?;
        Ok(answer.connectors)
    }

    async fn fetch_audit(&self, filter: &AuditFilter) -> AppResult<Vec<AuditEvent>> {
        let request = self
            .request(Method::GET, "/v1/admin/audit-events")
            .query(&AuditQuery::from(filter));
        let answer: AuditEventsWire = decode(self.execute(request).await?).await?;
        Ok(answer.events)
    }

    /// The workspace's spend this month (the server's month) and the limit in force.
    pub(super) async fn monthly_spend(&self, workspace_id: Uuid) -> AppResult<MonthlySpend> {
        self.read_through(
            "month_spend",
            &workspace_id.to_string(),
            move |b| async move { b.fetch_spend(workspace_id).await },
        )
        .await
    }

    /// Summed from the per model and day report (and its cached copy offline).
    pub(super) async fn daily_costs(&self, workspace_id: Uuid) -> AppResult<Vec<DailyCost>> {
        Ok(daily(&self.usage_by_model(workspace_id).await?))
    }

    pub(super) async fn usage_by_model(&self, workspace_id: Uuid) -> AppResult<Vec<ModelDayUsage>> {
        self.read_through(
            "model_usage",
            &workspace_id.to_string(),
            move |b| async move { b.fetch_model_days(workspace_id).await },
        )
        .await
    }

    pub(super) async fn usage_by_key(&self, workspace_id: Uuid) -> AppResult<Vec<KeyUsage>> {
        self.read_through(
            "key_usage",
            &workspace_id.to_string(),
            move |b| async move { b.fetch_key_usage(workspace_id).await },
        )
        .await
    }

    pub(super) async fn reachable_connectors(&self, key_id: Uuid) -> AppResult<Vec<Connector>> {
        self.read_through("key_connectors", &key_id.to_string(), move |b| async move {
            b.fetch_key_connectors(key_id).await
        })
        .await
    }

    pub(super) async fn list_audit(&self, filter: AuditFilter) -> AppResult<Vec<AuditEvent>> {
        let key = serde_json::to_string(&filter)
            .map_err(|e| AppError::internal(format!("cannot encode an audit filter: {e}")))?;
        self.read_through("audit", &key, move |b| async move {
            b.fetch_audit(&filter).await
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(requests: i64, cost: f64) -> UsageEntryWire {
        UsageEntryWire {
            requests,
            input_tokens: requests * 10,
            output_tokens: requests * 20,
            cost,
        }
    }

    #[test]
    fn the_usage_report_becomes_model_days_and_cost_per_day() {
        let mut models = BTreeMap::new();
        let mut small = BTreeMap::new();
        small.insert("2026-03-02".to_owned(), vec![entry(2, 0.003)]);
        small.insert("2026-03-15".to_owned(), vec![entry(1, 0.25)]);
        models.insert("mistral-small".to_owned(), small);
        let mut large = BTreeMap::new();
        large.insert(
            "2026-03-15".to_owned(),
            vec![entry(1, 0.75), entry(3, 0.000_001)],
        );
        models.insert("mistral-large".to_owned(), large);
        let rows = model_days(UsageWire {
            completion: ModelsWire { models },
        })
        .unwrap();
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        let got: Vec<(&str, NaiveDate, i64, i64)> = rows
            .iter()
            .map(|r| (r.model.as_str(), r.day, r.requests, r.cost_micros))
            .collect();
        assert_eq!(
            got,
            vec![
                ("mistral-large", day(15), 4, 750_001),
                ("mistral-small", day(2), 2, 3_000),
                ("mistral-small", day(15), 1, 250_000)
            ]
        );
        assert_eq!(rows[0].input_tokens, 40);
        assert_eq!(
            daily(&rows),
            vec![
                DailyCost {
                    day: day(2),
                    cost_micros: 3_000
                },
                DailyCost {
                    day: day(15),
                    cost_micros: 1_000_001
                }
            ]
        );
    }

    #[test]
    fn a_day_the_report_cannot_name_is_an_error() {
        let mut days = BTreeMap::new();
        days.insert("March 2".to_owned(), vec![entry(1, 0.1)]);
        let mut models = BTreeMap::new();
        models.insert("m".to_owned(), days);
        let err = model_days(UsageWire {
            completion: ModelsWire { models },
        })
        .unwrap_err();
        assert!(err.message.contains("March 2"), "{}", err.message);
    }

    #[test]
    fn audit_filters_become_the_servers_query_names() {
        let actor = Uuid::new_v4();
        let since = DateTime::parse_from_rfc3339("2026-03-15T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let filter = AuditFilter {
            actor_id: Some(actor),
            action: Some("api_key.renamed".into()),
            since: Some(since),
            limit: Some(5),
            ..Default::default()
        };
        let v = serde_json::to_value(AuditQuery::from(&filter)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"actor_id": actor, "action": "api_key.renamed", "since": "2026-03-15T12:00:00Z", "limit": 5})
        );
    }
}
