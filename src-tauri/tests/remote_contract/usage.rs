//! Contract scenario on the usage reports: month, day, model and key.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use keydesk_core::model::{MonthlySpend, NewKey, NewWorkspace, WorkspacePatch};
use keydesk_core::report::ModelDayUsage;
use keydesk_core::DailyCost;
use keydesk_desktop::backend::{Backend, KeyUsage};
use keydesk_desktop::error::ErrorCode;
use uuid::Uuid;

use crate::fixtures::{unique, Meter};

/// The first instant of the calendar month (UTC) containing `t`.
fn month_start(t: DateTime<Utc>) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(t.year(), t.month(), 1, 0, 0, 0)
        .unwrap()
}

pub async fn usage_is_reported_per_month_day_model_and_key(b: &dyn Backend, meter: &Meter) {
    let ws = b
        .create_workspace(NewWorkspace {
            name: unique("Usage"),
            ..Default::default()
        })
        .await
        .unwrap();
    let elsewhere = b
        .create_workspace(NewWorkspace {
            name: unique("Elsewhere"),
            ..Default::default()
        })
        .await
        .unwrap();
    let empty = b.monthly_spend(ws.id).await.unwrap();
    assert_eq!(
        (empty.workspace_id, empty.spent_micros, empty.requests),
        (ws.id, 0, 0)
    );
    assert!(b.daily_costs(ws.id).await.unwrap().is_empty());
    assert!(b.usage_by_model(ws.id).await.unwrap().is_empty());
    assert!(b.usage_by_key(ws.id).await.unwrap().is_empty());

    let key = |ws: Uuid, name: &str| NewKey {
        workspace_id: ws,
        name: Some(name.into()),
        ..Default::default()
    };
    let alpha = b.create_key(key(ws.id, "alpha")).await.unwrap().key;
    let beta = b.create_key(key(ws.id, "beta")).await.unwrap().key;
    let gone = b.create_key(key(ws.id, "gone")).await.unwrap().key;
    let other = b.create_key(key(elsewhere.id, "other")).await.unwrap().key;
    let now = Utc::now();
    let start = month_start(now);
    let first_day = start + chrono::Duration::seconds(1);
    meter
        .record(&alpha, "mistral-small", 10, 20, 1_000, first_day)
        .await;
    meter
        .record(&alpha, "mistral-small", 5, 5, 2_000, now)
        .await;
    meter
        .record(&beta, "mistral-large", 100, 50, 500_000, now)
        .await;
    meter.record(&gone, "mistral-small", 1, 1, 300, now).await;
    // Last month, and another workspace: in none of this month's figures.
    meter
        .record(
            &alpha,
            "mistral-small",
            9,
            9,
            7_000_000,
            start - chrono::Duration::seconds(1),
        )
        .await;
    meter
        .record(&other, "mistral-small", 9, 9, 9_000_000, now)
        .await;
    b.delete_key(gone.key_id).await.unwrap();
    b.update_workspace(
        ws.id,
        WorkspacePatch {
            monthly_spend_limit_micros: Some(Some(2_000_000)),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    let spend = b.monthly_spend(ws.id).await.unwrap();
    assert_eq!(
        spend,
        MonthlySpend {
            workspace_id: ws.id,
            year: now.year(),
            month: now.month(),
            spent_micros: 503_300,
            limit_micros: Some(2_000_000),
            requests: 4,
            input_tokens: 116,
            output_tokens: 76,
        }
    );

    // Written out per (model, day); the first day and today may be one day.
    let (d1, today) = (first_day.date_naive(), now.date_naive());
    let mut by_model: std::collections::BTreeMap<(&str, NaiveDate), (i64, i64, i64, i64)> =
        Default::default();
    for (model, day, input, output, cost) in [
        ("mistral-small", d1, 10, 20, 1_000),
        ("mistral-small", today, 5, 5, 2_000),
        ("mistral-large", today, 100, 50, 500_000),
        ("mistral-small", today, 1, 1, 300),
    ] {
        let e = by_model.entry((model, day)).or_default();
        *e = (e.0 + 1, e.1 + input, e.2 + output, e.3 + cost);
    }
    let expected: Vec<ModelDayUsage> = by_model
        .iter()
        .map(
            |(&(model, day), &(requests, input_tokens, output_tokens, cost_micros))| {
                ModelDayUsage {
                    model: model.into(),
                    day,
                    requests,
                    input_tokens,
                    output_tokens,
                    cost_micros,
                }
            },
        )
        .collect();
    assert_eq!(b.usage_by_model(ws.id).await.unwrap(), expected);
    let mut per_day: std::collections::BTreeMap<NaiveDate, i64> = Default::default();
    *per_day.entry(d1).or_default() += 1_000;
    *per_day.entry(today).or_default() += 502_300;
    let expected: Vec<DailyCost> = per_day
        .into_iter()
        .map(|(day, cost_micros)| DailyCost { day, cost_micros })
        .collect();
    assert_eq!(b.daily_costs(ws.id).await.unwrap(), expected);

    // Most expensive first; the deleted key keeps its line, nameless.
    let line = |k: &keydesk_core::model::ApiKey,
                named: bool,
                requests,
                input_tokens,
                output_tokens,
                cost_micros| KeyUsage {
        key_id: k.key_id,
        name: named.then(|| k.name.clone()).flatten(),
        hidden_key: named.then(|| k.hidden_key.clone()),
        requests,
        input_tokens,
        output_tokens,
        cost_micros,
    };
    assert_eq!(
        b.usage_by_key(ws.id).await.unwrap(),
        vec![
            line(&beta, true, 1, 100, 50, 500_000),
            line(&alpha, true, 2, 15, 25, 3_000),
            line(&gone, false, 1, 1, 1, 300)
        ]
    );

    let unknown = Uuid::new_v4();
    assert_eq!(
        b.monthly_spend(unknown).await.unwrap_err().code,
        ErrorCode::NotFound
    );
    assert_eq!(
        b.daily_costs(unknown).await.unwrap_err().code,
        ErrorCode::NotFound
    );
    assert_eq!(
        b.usage_by_model(unknown).await.unwrap_err().code,
        ErrorCode::NotFound
    );
    assert_eq!(
        b.usage_by_key(unknown).await.unwrap_err().code,
        ErrorCode::NotFound
    );

    // Passing half of the limit raises the 50 % alert, listed for the admin.
    meter
        .record(&beta, "mistral-large", 1, 1, 600_000, Utc::now())
        .await;
    let alerts: Vec<_> = b
        .spend_alerts(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.workspace_id == ws.id)
        .collect();
    let seen: Vec<_> = alerts
        .iter()
        .map(|a| {
            (
                a.workspace_name.as_str(),
                a.threshold_percent,
                a.spent_micros,
                a.limit_micros,
            )
        })
        .collect();
    assert_eq!(seen, [(ws.name.as_str(), 50, 1_103_300, 2_000_000)]);
    let later = Utc::now() + chrono::Duration::hours(1);
    assert!(b.spend_alerts(Some(later)).await.unwrap().is_empty());
}
