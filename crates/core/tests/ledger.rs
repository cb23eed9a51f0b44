//! The gateway's side of the store, on SQLite and PostgreSQL: leases that
//! never hand out more than a limit, batches that move leased money to
//! committed spend, spend alerts once per month, key budgets, and change
//! announcements after a key is deleted.

mod common;

use std::sync::{Arc, Mutex};

use chrono::{Duration, TimeZone, Utc};
use keydesk_core::changes::Change;
use keydesk_core::ledger::{LeaseSpend, MeterBatch, Period, SpendAlertFilter, SpendScope};
use keydesk_core::model::*;
use keydesk_core::{ErrorCode, NewUser, OrganizationPatch};
use uuid::Uuid;

use common::{envs, Env};

async fn workspace_with_limit(env: &Env, name: &str, limit: Option<i64>) -> Workspace {
    let ws = env.svc.create_workspace(&env.admin, NewWorkspace { name: name.into(), ..Default::default() }).await.unwrap();
    env.svc
        .update_workspace(&env.admin, ws.id, WorkspacePatch { monthly_spend_limit_micros: Some(limit), ..Default::default() })
        .await
        .unwrap()
}

fn usage(key: &ApiKey, cost: i64, at: chrono::DateTime<Utc>) -> UsageRecord {
    UsageRecord {
        key_id: key.key_id,
        workspace_id: key.workspace_id,
        model: "m".into(),
        input_tokens: 10,
        output_tokens: 5,
        cost_micros: cost,
        at,
    }
}

#[tokio::test]
async fn concurrent_leases_never_hand_out_more_than_the_limit() {
    for env in envs().await {
        let ws = workspace_with_limit(&env, "Leased", Some(1_000_000)).await;
        let period = Period::containing(env.clock.now());
        let scope = SpendScope::Workspace(ws.id);
        let mut tasks = vec![];
        for _ in 0..32 {
            let svc = env.svc.clone();
            tasks.push(tokio::spawn(async move { svc.lease_budget(scope, period, 70_000, 1_000_000).await.unwrap() }));
        }
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap().granted_micros;
        }
        assert_eq!(total, 1_000_000, "{}: leases add up to the limit exactly", env.label);
        let more = env.svc.lease_budget(scope, period, 1, 1_000_000).await.unwrap();
        assert_eq!(more.granted_micros, 0, "{}", env.label);
        assert_eq!(more.headroom_micros, 0, "{}", env.label);
    }
}

#[tokio::test]
async fn a_lease_starts_from_usage_already_recorded_this_month() {
    for env in envs().await {
        let ws = workspace_with_limit(&env, "Used", Some(1_000_000)).await;
        let key = env.svc.create_key(&env.admin, NewKey { workspace_id: ws.id, ..Default::default() }).await.unwrap().key;
        env.svc.record_usage(&usage(&key, 900_000, env.clock.now())).await.unwrap();
        // Last month's usage does not count against this month.
        env.svc.record_usage(&usage(&key, 500_000, env.clock.now() - Duration::days(31))).await.unwrap();
        let period = Period::containing(env.clock.now());
        let lease = env.svc.lease_budget(SpendScope::Workspace(ws.id), period, 500_000, 1_000_000).await.unwrap();
        assert_eq!(lease.granted_micros, 100_000, "{}", env.label);
    }
}

#[tokio::test]
async fn spending_a_lease_moves_it_to_committed_and_returns_make_room_again() {
    for env in envs().await {
        let ws = workspace_with_limit(&env, "Spent", Some(1_000_000)).await;
        let key = env.svc.create_key(&env.admin, NewKey { workspace_id: ws.id, ..Default::default() }).await.unwrap().key;
        let period = Period::containing(env.clock.now());
        let scope = SpendScope::Workspace(ws.id);
        assert_eq!(env.svc.lease_budget(scope, period, 600_000, 1_000_000).await.unwrap().granted_micros, 600_000);
        let batch = MeterBatch {
            records: vec![usage(&key, 250_000, env.clock.now())],
            lease_spent: vec![LeaseSpend { scope, period, micros: 250_000 }],
            used: vec![],
        };
        env.svc.record_metered(&batch).await.unwrap();
        assert_eq!(env.svc.ledger_committed(scope, period).await.unwrap(), 250_000, "{}", env.label);
        // 250k committed + 350k still leased: 400k left to lease.
        assert_eq!(env.svc.lease_budget(scope, period, 1_000_000, 1_000_000).await.unwrap().granted_micros, 400_000);
        env.svc.return_budget(&[LeaseSpend { scope, period, micros: 300_000 }]).await.unwrap();
        assert_eq!(env.svc.lease_budget(scope, period, 1_000_000, 1_000_000).await.unwrap().granted_micros, 300_000);
        // The records are the workspace's spend, attributed to the key's owner.
        let spend = env.svc.monthly_spend(&env.admin, ws.id, env.clock.now()).await.unwrap();
        assert_eq!(spend.spent_micros, 250_000, "{}", env.label);
        let key_after = env.svc.get_key(&env.admin, key.key_id).await.unwrap();
        assert_eq!(key_after.last_used_at, Some(env.clock.now()), "{}", env.label);
    }
}

#[tokio::test]
async fn a_workspace_raises_each_spend_alert_once_a_month() {
    for env in envs().await {
        let ws = workspace_with_limit(&env, "Alerting", Some(1_000_000)).await;
        let key = env.svc.create_key(&env.admin, NewKey { workspace_id: ws.id, ..Default::default() }).await.unwrap().key;
        let now = env.clock.now();
        env.svc.record_usage(&usage(&key, 400_000, now)).await.unwrap();
        assert!(env.svc.list_spend_alerts(&env.admin, SpendAlertFilter::default()).await.unwrap().is_empty(), "{}", env.label);
        env.svc.record_usage(&usage(&key, 150_000, now)).await.unwrap(); // 55 %
        env.svc.record_usage(&usage(&key, 100_000, now)).await.unwrap(); // 65 %: no second 50 % alert
        let alerts = env.svc.list_spend_alerts(&env.admin, SpendAlertFilter::default()).await.unwrap();
        assert_eq!(alerts.iter().map(|a| a.threshold_percent).collect::<Vec<_>>(), [50], "{}", env.label);
        assert_eq!(alerts[0].spent_micros, 550_000);
        assert_eq!(alerts[0].limit_micros, 1_000_000);
        assert_eq!(alerts[0].workspace_name, "Alerting");
        env.svc.record_usage(&usage(&key, 500_000, now)).await.unwrap(); // 115 %: 80 and 100 at once
        let alerts =
            env.svc.list_spend_alerts(&env.admin, SpendAlertFilter { workspace_id: Some(ws.id), ..Default::default() }).await.unwrap();
        assert_eq!(alerts.iter().map(|a| a.threshold_percent).collect::<Vec<_>>(), [100, 80, 50], "{}", env.label);
        // Next month starts afresh.
        let next = Utc.with_ymd_and_hms(2026, 4, 2, 0, 0, 0).unwrap();
        env.clock.set(next);
        env.svc.record_usage(&usage(&key, 600_000, next)).await.unwrap();
        let alerts = env.svc.list_spend_alerts(&env.admin, SpendAlertFilter { since: Some(next), ..Default::default() }).await.unwrap();
        assert_eq!(alerts.len(), 1, "{}", env.label);
        assert_eq!((alerts[0].year, alerts[0].month, alerts[0].threshold_percent), (2026, 4, 50));
    }
}

#[tokio::test]
async fn spend_alerts_are_shown_to_workspace_admins_and_billing_not_to_members() {
    for env in envs().await {
        let ws = workspace_with_limit(&env, "Watched", Some(100)).await;
        let other = workspace_with_limit(&env, "Elsewhere", Some(100)).await;
        let mk = |email: &str, role| NewUser { email: email.into(), name: email.into(), org_role: role };
        let member = env.svc.create_user(&env.admin, mk("m@example.com", OrgRole::Member)).await.unwrap();
        let ws_admin = env.svc.create_user(&env.admin, mk("wa@example.com", OrgRole::Member)).await.unwrap();
        let billing = env.svc.create_user(&env.admin, mk("b@example.com", OrgRole::BillingManager)).await.unwrap();
        env.svc.add_member(&env.admin, ws.id, member.id, WorkspaceRole::Member).await.unwrap();
        env.svc.add_member(&env.admin, ws.id, ws_admin.id, WorkspaceRole::Admin).await.unwrap();
        for w in [&ws, &other] {
            let key = env.svc.create_key(&env.admin, NewKey { workspace_id: w.id, ..Default::default() }).await.unwrap().key;
            env.svc.record_usage(&usage(&key, 60, env.clock.now())).await.unwrap();
        }
        let seen = |alerts: Vec<keydesk_core::ledger::SpendAlert>| alerts.into_iter().map(|a| a.workspace_name).collect::<Vec<_>>();
        let admin_of_ws = env.svc.actor(ws_admin.id).await.unwrap();
        assert_eq!(seen(env.svc.list_spend_alerts(&admin_of_ws, Default::default()).await.unwrap()), ["Watched"], "{}", env.label);
        let billing = env.svc.actor(billing.id).await.unwrap();
        assert_eq!(env.svc.list_spend_alerts(&billing, Default::default()).await.unwrap().len(), 2, "{}", env.label);
        let member = env.svc.actor(member.id).await.unwrap();
        assert!(env.svc.list_spend_alerts(&member, Default::default()).await.unwrap().is_empty(), "{}", env.label);
        let err =
            env.svc.list_spend_alerts(&member, SpendAlertFilter { workspace_id: Some(ws.id), ..Default::default() }).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden, "{}", env.label);
    }
}

#[tokio::test]
async fn only_workspace_admins_set_a_key_budget_and_it_survives_rotation() {
    for env in envs().await {
        let ws = workspace_with_limit(&env, "Budgets", None).await;
        let dev = env
            .svc
            .create_user(&env.admin, NewUser { email: "dev@example.com".into(), name: "Dev".into(), org_role: OrgRole::Member })
            .await
            .unwrap();
        env.svc.add_member(&env.admin, ws.id, dev.id, WorkspaceRole::Member).await.unwrap();
        let dev = env.svc.actor(dev.id).await.unwrap();
        let own = env.svc.create_key(&dev, NewKey { workspace_id: ws.id, ..Default::default() }).await.unwrap().key;
        // The owner cannot lift or set a cap on their own key...
        let err = env.svc.set_key_budget(&dev, own.key_id, Some(5_000_000)).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden, "{}", env.label);
        let err = env
            .svc
            .create_key(&dev, NewKey { workspace_id: ws.id, monthly_budget_micros: Some(1), ..Default::default() })
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden, "{}", env.label);
        // ...an admin can, and a negative one is refused naming the field.
        let set = env.svc.set_key_budget(&env.admin, own.key_id, Some(5_000_000)).await.unwrap();
        assert_eq!(set.monthly_budget_micros, Some(5_000_000));
        let err = env.svc.set_key_budget(&env.admin, own.key_id, Some(-1)).await.unwrap_err();
        assert_eq!(err.field.as_deref(), Some("monthly_budget"), "{}", env.label);
        let rotated = env.svc.rotate_key(&env.admin, own.key_id, None).await.unwrap();
        assert_eq!(rotated.key.monthly_budget_micros, Some(5_000_000), "{}", env.label);
        let cleared = env.svc.set_key_budget(&env.admin, rotated.key.key_id, None).await.unwrap();
        assert_eq!(cleared.monthly_budget_micros, None);
        let audit = env
            .svc
            .list_audit(&env.admin, AuditFilter { action: Some("api_key.budget_changed".into()), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(audit.len(), 2, "{}", env.label);
    }
}

#[tokio::test]
async fn observers_hear_of_deleted_rotated_and_changed_things_after_commit() {
    for env in envs().await {
        let heard: Arc<Mutex<Vec<Change>>> = Arc::default();
        let h = heard.clone();
        env.svc.on_change(Arc::new(move |c| h.lock().unwrap().push(c)));
        let ws = workspace_with_limit(&env, "Observed", None).await;
        let a = env.svc.create_key(&env.admin, NewKey { workspace_id: ws.id, ..Default::default() }).await.unwrap().key;
        let b = env.svc.create_key(&env.admin, NewKey { workspace_id: ws.id, ..Default::default() }).await.unwrap().key;
        env.svc.delete_key(&env.admin, a.key_id).await.unwrap();
        env.svc.rotate_key(&env.admin, b.key_id, Some(60)).await.unwrap();
        env.svc.update_organization(&env.admin, OrganizationPatch { billing_active: Some(false), ..Default::default() }).await.unwrap();
        // A refused change announces nothing.
        let _ = env.svc.delete_key(&env.admin, Uuid::new_v4()).await.unwrap_err();
        let heard = heard.lock().unwrap().clone();
        assert_eq!(heard, [Change::Workspace(ws.id), Change::Key(a.key_id), Change::Key(b.key_id), Change::Organization], "{}", env.label);
    }
}

#[tokio::test]
async fn the_gateway_finds_a_live_key_by_its_hash_and_refuses_a_bad_checksum_outright() {
    for env in envs().await {
        let ws = workspace_with_limit(&env, "Lookup", None).await;
        let created = env.svc.create_key(&env.admin, NewKey { workspace_id: ws.id, ..Default::default() }).await.unwrap();
        let secret = created.secret.expose().clone();
        let hash = env.svc.gateway_key_hash(&secret).expect("a well-formed key has a hash");
        let found = env.svc.gateway_key(&hash).await.unwrap().expect("live key is found");
        assert_eq!(found.key_id, created.key.key_id);
        assert!(found.usable_at(env.clock.now()));
        let mut broken = secret.clone().into_bytes();
        let last = broken.len() - 1;
        broken[last] = if broken[last] == b'A' { b'B' } else { b'A' };
        assert!(env.svc.gateway_key_hash(std::str::from_utf8(&broken).unwrap()).is_none(), "{}", env.label);
        // During a rotation grace period the old key is still found, and it
        // stops being usable when the grace ends.
        env.svc.rotate_key(&env.admin, created.key.key_id, Some(3600)).await.unwrap();
        let old = env.svc.gateway_key(&hash).await.unwrap().expect("old key works during the grace");
        assert!(old.usable_at(env.clock.now() + Duration::minutes(59)));
        assert!(!old.usable_at(env.clock.now() + Duration::minutes(60)));
        env.clock.advance(Duration::minutes(61));
        assert!(env.svc.gateway_key(&hash).await.unwrap().is_none(), "{}", env.label);
    }
}
