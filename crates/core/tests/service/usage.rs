//! Usage and spend: a workspace's calendar month and the organization's.

use chrono::{Duration, TimeZone, Utc};
use keydesk_core::model::*;
use keydesk_core::{ErrorCode, NewUser, OrganizationPatch};

use crate::common::envs;
use crate::support::{d, new_key, workspace};

#[tokio::test]
async fn monthly_spend_sums_one_calendar_month_in_utc_against_the_limit() {
    for env in envs().await {
        let ws = workspace(&env, "Spend").await;
        env.svc
            .update_organization(&env.admin, OrganizationPatch { monthly_spend_limit_micros: Some(Some(50_000_000)), ..Default::default() })
            .await
            .unwrap();
        let over = env
            .svc
            .update_workspace(
                &env.admin,
                ws.id,
                WorkspacePatch { monthly_spend_limit_micros: Some(Some(60_000_000)), ..Default::default() },
            )
            .await
            .unwrap_err();
        assert_eq!(over.field.as_deref(), Some("monthly_spend_limit"), "{}", env.label);
        env.svc
            .update_workspace(&env.admin, ws.id, WorkspacePatch { monthly_spend_limit_micros: Some(Some(2_000_000)), ..Default::default() })
            .await
            .unwrap();
        let k = env.svc.create_key(&env.admin, new_key(ws.id, "k")).await.unwrap();
        let rec = |at, cost| UsageRecord {
            key_id: k.key.key_id,
            workspace_id: ws.id,
            model: "m".into(),
            input_tokens: 1,
            output_tokens: 1,
            cost_micros: cost,
            at,
        };
        // 23:59:59 UTC on Feb 28 belongs to February, 00:00 Mar 1 to March.
        env.svc.record_usage(&rec(Utc.with_ymd_and_hms(2026, 2, 28, 23, 59, 59).unwrap(), 5_000_000)).await.unwrap();
        env.svc.record_usage(&rec(Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(), 1_500_000)).await.unwrap();
        env.svc.record_usage(&rec(Utc.with_ymd_and_hms(2026, 3, 20, 8, 0, 0).unwrap(), 600_000)).await.unwrap();
        let march = env.svc.monthly_spend(&env.admin, ws.id, Utc.with_ymd_and_hms(2026, 3, 15, 0, 0, 0).unwrap()).await.unwrap();
        assert_eq!(march.spent_micros, 2_100_000, "{}", env.label);
        assert_eq!(march.requests, 2);
        assert_eq!(march.limit_micros, Some(2_000_000));
        assert!(march.limit_reached());
        let feb = env.svc.monthly_spend(&env.admin, ws.id, Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap()).await.unwrap();
        assert_eq!(feb.spent_micros, 5_000_000);
        let days = env.svc.daily_costs(&env.admin, ws.id, Utc.with_ymd_and_hms(2026, 3, 15, 0, 0, 0).unwrap()).await.unwrap();
        assert_eq!(
            days,
            vec![
                keydesk_core::DailyCost { day: d("2026-03-01"), cost_micros: 1_500_000 },
                keydesk_core::DailyCost { day: d("2026-03-20"), cost_micros: 600_000 },
            ],
            "{}",
            env.label
        );
    }
}

#[tokio::test]
async fn the_organizations_month_spend_counts_every_workspace_deleted_ones_included() {
    for env in envs().await {
        let mut total = 0;
        let mut doomed = None;
        for (i, cost) in [1_500_000i64, 250_000].into_iter().enumerate() {
            let ws =
                env.svc.create_workspace(&env.admin, NewWorkspace { name: format!("Spender {i}"), ..Default::default() }).await.unwrap();
            let key = env.svc.create_key(&env.admin, new_key(ws.id, "k")).await.unwrap();
            let rec = UsageRecord {
                key_id: key.key.key_id,
                workspace_id: ws.id,
                model: "m".into(),
                input_tokens: 1,
                output_tokens: 1,
                cost_micros: cost,
                at: env.clock.now(),
            };
            env.svc.record_usage(&rec).await.unwrap();
            total += cost;
            doomed = Some(ws.id);
        }
        env.svc.delete_workspace(&env.admin, doomed.unwrap(), true).await.unwrap();
        assert_eq!(env.svc.organization_spend(&env.admin, env.clock.now()).await.unwrap(), total, "{}", env.label);
        let next_month = env.clock.now() + Duration::days(40);
        assert_eq!(env.svc.organization_spend(&env.admin, next_month).await.unwrap(), 0);
        let member = env
            .svc
            .create_user(&env.admin, NewUser { email: "m@example.com".into(), name: "M".into(), org_role: OrgRole::Member })
            .await
            .unwrap();
        let member = env.svc.actor(member.id).await.unwrap();
        assert_eq!(env.svc.organization_spend(&member, env.clock.now()).await.unwrap_err().code, ErrorCode::Forbidden);
    }
}
