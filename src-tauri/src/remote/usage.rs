//! The Usage tab and the audit log view of `RemoteBackend`, as calls to
//! keydesk-server: the month's spend against the limit in force, cost per
//! day and usage per model and day (both from the platform's
//! `GET /v1/admin/usage`), usage per key, the connectors a key reaches and
//! the audit log in Keydesk's own vocabulary. Every read the window shows
//! goes through the cache, so the last answer is shown offline; the spend
//! alerts, which only the notifier asks for, are always asked of the server.
//! Money crosses the wire in USD, as everywhere in the Admin API, and is
//! turned back into micro-USD.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use keydesk_api::{
    ApiKeysUsageOut, AuditEventsOut, AuditEventsQuery, ConnectorsOut, SpendAlertListOut,
    SpendAlertQuery, UsageOut, WorkspaceSpendOut,
};
use keydesk_core::model::{AuditEvent, AuditFilter, Connector, MonthlySpend};
use keydesk_core::report::ModelDayUsage;
use keydesk_core::DailyCost;
use reqwest::Method;
use uuid::Uuid;

use super::{decode, read_all, RemoteBackend};
use crate::backend::{KeyUsage, SpendAlert};
use crate::error::{AppError, AppResult};

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
        let usage: UsageOut = decode(self.execute(request).await?).await?;
        Ok(usage.completion.model_days()?)
    }

    async fn fetch_spend(&self, workspace_id: Uuid) -> AppResult<MonthlySpend> {
        let spend: WorkspaceSpendOut = self
            .call(
                Method::GET,
                &format!("/v1/admin/workspaces/{workspace_id}/spend"),
                None,
            )
            .await?;
        Ok(spend.into())
    }

    async fn fetch_key_usage(&self, workspace_id: Uuid) -> AppResult<Vec<KeyUsage>> {
        let answer: ApiKeysUsageOut = self
            .call(
                Method::GET,
                &format!("/v1/admin/workspaces/{workspace_id}/usage/api-keys"),
                None,
            )
            .await?;
        Ok(answer.keys.into_iter().map(KeyUsage::from).collect())
    }

    async fn fetch_key_connectors(&self, key_id: Uuid) -> AppResult<Vec<Connector>> {
        let answer: ConnectorsOut = self
            .call(
                Method::GET,
                &format!("/v1/admin/api-keys/{key_id}/connectors"),
                None,
            )
            .await?;
        read_all(answer.connectors)
    }

    async fn fetch_audit(&self, filter: &AuditFilter) -> AppResult<Vec<AuditEvent>> {
        let request = self
            .request(Method::GET, "/v1/admin/audit-events")
            .query(&AuditEventsQuery::from(filter));
        let answer: AuditEventsOut = decode(self.execute(request).await?).await?;
        Ok(answer.events.into_iter().map(AuditEvent::from).collect())
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

    /// Not cached: a notifier asks it to hear of new alerts, and an answer
    /// from the cache would tell nothing new. Offline, it fails.
    pub(super) async fn spend_alerts(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> AppResult<Vec<SpendAlert>> {
        let request = self
            .request(Method::GET, "/v1/admin/spend-alerts")
            .query(&SpendAlertQuery {
                since,
                ..Default::default()
            });
        let answer: SpendAlertListOut = decode(self.execute(request).await?).await?;
        Ok(answer.data.into_iter().map(SpendAlert::from).collect())
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
    use chrono::{DateTime, Utc};
    use keydesk_api::{CompletionUsageEntry, ModelUsageData};

    fn entry(requests: i64, cost: f64) -> CompletionUsageEntry {
        CompletionUsageEntry {
            workspace_id: None,
            requests,
            input_tokens: requests * 10,
            output_tokens: requests * 20,
            cost,
        }
    }

    #[test]
    fn the_usage_report_becomes_model_days_and_cost_per_day() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        let mut report = ModelUsageData::default();
        report.push("mistral-small".into(), day(2), &entry(2, 0.003));
        report.push("mistral-small".into(), day(15), &entry(1, 0.25));
        report.push("mistral-large".into(), day(15), &entry(1, 0.75));
        report.push("mistral-large".into(), day(15), &entry(3, 0.000_001));
        let rows = report.model_days().unwrap();
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
        let mut report = ModelUsageData::default();
        report.models.insert(
            "m".to_owned(),
            BTreeMap::from([(
                "March 2".to_owned(),
                vec![serde_json::json!({"requests": 1})],
            )]),
        );
        let err = AppError::from(report.model_days().unwrap_err());
        assert!(err.message.contains("March 2"), "{}", err.message);
    }

    #[test]
    fn spend_alerts_from_the_server_become_core_alerts_in_micro_usd() {
        let answer: SpendAlertListOut = serde_json::from_value(serde_json::json!({
            "object": "list",
            "data": [{
                "id": "5f0c6a1e-8a47-4f0e-9d59-1b0d3c1d2e01",
                "workspace_uuid": "5f0c6a1e-8a47-4f0e-9d59-1b0d3c1d2e02",
                "workspace_name": "Production",
                "year": 2026,
                "month": 3,
                "threshold_percent": 80,
                "spent": 80.25,
                "limit": 100.0,
                "currency": "USD",
                "created_at": "2026-03-15T12:00:00Z"
            }]
        }))
        .unwrap();
        let alerts: Vec<SpendAlert> = answer.data.into_iter().map(SpendAlert::from).collect();
        assert_eq!(alerts.len(), 1);
        let alert = &alerts[0];
        assert_eq!(alert.workspace_name, "Production");
        assert_eq!((alert.year, alert.month), (2026, 3));
        assert_eq!(alert.threshold_percent, 80);
        assert_eq!(alert.spent_micros, 80_250_000);
        assert_eq!(alert.limit_micros, 100_000_000);
        assert_eq!(alert.at.to_rfc3339(), "2026-03-15T12:00:00+00:00");

        let since = DateTime::parse_from_rfc3339("2026-03-14T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let request = reqwest::Client::new()
            .get("http://127.0.0.1:9/v1/admin/spend-alerts")
            .query(&SpendAlertQuery {
                since: Some(since),
                ..Default::default()
            })
            .build()
            .unwrap();
        assert_eq!(
            request.url().query(),
            Some("since=2026-03-14T12%3A00%3A00Z")
        );
    }

    #[test]
    fn audit_filters_become_the_servers_query_parameters() {
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
        let request = reqwest::Client::new()
            .get("http://127.0.0.1:9/v1/admin/audit-events")
            .query(&AuditEventsQuery::from(&filter))
            .build()
            .unwrap();
        assert_eq!(
            request.url().query(),
            Some(
                format!(
                    "actor_id={actor}&action=api_key.renamed&since=2026-03-15T12%3A00%3A00Z&limit=5"
                )
                .as_str()
            )
        );
    }
}
