//! Integration tests of the Service over real databases: every scenario runs
//! on a SQLite file and on PostgreSQL (see common/mod.rs).

mod common;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use keydesk_core::model::*;
use keydesk_core::{Actor, ErrorCode, NewUser, OrganizationPatch};
use uuid::Uuid;

use common::{envs, Env};

async fn add_user(env: &Env, email: &str, role: OrgRole) -> Actor {
    let u = env.svc.create_user(&env.admin, NewUser { email: email.into(), name: email.into(), org_role: role }).await.unwrap();
    env.svc.actor(u.id).await.unwrap()
}

async fn workspace(env: &Env, name: &str) -> Workspace {
    env.svc.create_workspace(&env.admin, NewWorkspace { name: name.into(), ..Default::default() }).await.unwrap()
}

fn new_key(ws: Uuid, name: &str) -> NewKey {
    NewKey { workspace_id: ws, name: Some(name.into()), ..Default::default() }
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[tokio::test]
async fn first_run_creates_organization_admin_and_default_workspace_once() {
    for env in envs().await {
        let org = env.svc.organization().await.unwrap().expect("org exists");
        assert_eq!(org.name, "Acme", "{}", env.label);
        assert_eq!(env.admin.org_role, OrgRole::Admin);
        let ws = env.svc.list_workspaces(&env.admin).await.unwrap();
        assert_eq!(ws.len(), 1);
        assert!(ws[0].is_default);
        assert_eq!(ws[0].members_count, 1);
        let again = env.svc.bootstrap("Other", "bob@example.com", "Bob").await.unwrap_err();
        assert_eq!(again.code, ErrorCode::Conflict, "{}", env.label);
    }
}

#[tokio::test]
async fn workspace_validation_errors_name_the_field() {
    for env in envs().await {
        let cases = [
            (NewWorkspace { name: "  ".into(), ..Default::default() }, "name"),
            (NewWorkspace { name: "x".repeat(256), ..Default::default() }, "name"),
            (NewWorkspace { name: "ok".into(), icon: "abc".into(), ..Default::default() }, "icon"),
            (NewWorkspace { name: "ok".into(), description: "d".repeat(256), ..Default::default() }, "description"),
        ];
        for (input, field) in cases {
            let err = env.svc.create_workspace(&env.admin, input).await.unwrap_err();
            assert_eq!(err.code, ErrorCode::Validation, "{}", env.label);
            assert_eq!(err.field.as_deref(), Some(field), "{}", env.label);
        }
        // Nothing was created by the refused attempts.
        assert_eq!(env.svc.list_workspaces(&env.admin).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn duplicate_workspace_name_is_a_conflict_naming_the_name() {
    for env in envs().await {
        workspace(&env, "Équipe Data").await;
        let err =
            env.svc.create_workspace(&env.admin, NewWorkspace { name: "équipe data".into(), ..Default::default() }).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict, "{}", env.label);
        assert_eq!(err.field.as_deref(), Some("name"));
    }
}

#[tokio::test]
async fn default_workspace_cannot_be_deleted() {
    for env in envs().await {
        let default = env.svc.list_workspaces(&env.admin).await.unwrap().remove(0);
        let err = env.svc.delete_workspace(&env.admin, default.id, true).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict, "{}", env.label);
        assert_eq!(env.svc.list_workspaces(&env.admin).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn deleting_a_workspace_needs_confirmation_and_revokes_its_keys() {
    for env in envs().await {
        let ws = workspace(&env, "Temp").await;
        let k1 = env.svc.create_key(&env.admin, new_key(ws.id, "one")).await.unwrap();
        env.svc.create_key(&env.admin, new_key(ws.id, "two")).await.unwrap();
        assert_eq!(env.svc.workspace_key_count(&env.admin, ws.id).await.unwrap(), 2);
        let err = env.svc.delete_workspace(&env.admin, ws.id, false).await.unwrap_err();
        assert_eq!(err.field.as_deref(), Some("confirm"), "{}", env.label);
        assert!(err.message.contains("2 API key"), "{}", err.message);
        assert!(env.svc.authenticate_key(k1.secret.expose()).await.unwrap().is_some(), "unconfirmed delete changed nothing");
        assert_eq!(env.svc.delete_workspace(&env.admin, ws.id, true).await.unwrap(), 2);
        assert!(env.svc.authenticate_key(k1.secret.expose()).await.unwrap().is_none(), "{}", env.label);
        let err = env.svc.get_workspace(&env.admin, ws.id).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound);
    }
}

#[tokio::test]
async fn created_key_authenticates_and_is_listed_only_in_hidden_form() {
    for env in envs().await {
        let ws = workspace(&env, "Prod").await;
        let created = env.svc.create_key(&env.admin, new_key(ws.id, "backend")).await.unwrap();
        let secret = created.secret.expose().clone();
        assert!(keydesk_core::checksum_ok(&secret));
        let hidden = format!("{}...{}", &secret[..4], &secret[secret.len() - 4..]);
        assert_eq!(created.key.hidden_key, hidden);
        let auth = env.svc.authenticate_key(&secret).await.unwrap().expect("key authenticates");
        assert_eq!(auth.key_id, created.key.key_id);
        assert_eq!(auth.workspace_id, ws.id);
        assert_eq!(auth.status, KeyStatus::Active);
        let page = env.svc.list_keys(&env.admin, KeyFilter { workspace_id: Some(ws.id), ..Default::default() }).await.unwrap();
        assert_eq!(page.total, 1);
        assert!(page.total_exact);
        let listed = serde_json::to_string(&page).unwrap();
        assert!(listed.contains(&hidden));
        assert!(!listed.contains(&secret), "{}: full secret in a listing", env.label);
        // A key with one character changed is refused.
        let mut wrong = secret.clone().into_bytes();
        wrong[5] = if wrong[5] == b'a' { b'b' } else { b'a' };
        assert!(env.svc.authenticate_key(std::str::from_utf8(&wrong).unwrap()).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn full_secret_is_never_written_to_the_database_file() {
    let env = envs().await.into_iter().find(|e| e.label == "sqlite").unwrap();
    let ws = workspace(&env, "Prod").await;
    let mut secrets = vec![];
    for i in 0..5 {
        let k = env.svc.create_key(&env.admin, new_key(ws.id, &format!("k{i}"))).await.unwrap();
        secrets.push(k.secret.expose().clone());
        let r = env.svc.rotate_key(&env.admin, k.key.key_id, Some(3600)).await.unwrap();
        secrets.push(r.secret.expose().clone());
    }
    env.svc.db().close().await;
    let path = env.sqlite_path.clone().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    for suffix in ["-wal", "-shm"] {
        if let Ok(more) = std::fs::read(format!("{}{suffix}", path.display())) {
            bytes.extend(more);
        }
    }
    for s in &secrets {
        assert!(!bytes.windows(s.len()).any(|w| w == s.as_bytes()), "secret found in the database file");
        // Not even the random part alone.
        let random = &s.as_bytes()[3..35];
        assert!(!bytes.windows(random.len()).any(|w| w == random));
    }
}

#[tokio::test]
async fn key_search_matches_name_ignoring_case_and_accents_and_the_last_four() {
    for env in envs().await {
        let ws = workspace(&env, "Search").await;
        env.svc.create_key(&env.admin, new_key(ws.id, "Données Prod")).await.unwrap();
        env.svc.create_key(&env.admin, new_key(ws.id, "staging")).await.unwrap();
        let k3 = env.svc.create_key(&env.admin, new_key(ws.id, "100% legit")).await.unwrap();
        let search = |s: &str| KeyFilter { search: Some(s.into()), ..Default::default() };
        let by_name = env.svc.list_keys(&env.admin, search("DONNEES")).await.unwrap();
        assert_eq!(by_name.total, 1, "{}", env.label);
        assert_eq!(by_name.keys[0].name.as_deref(), Some("Données Prod"));
        let pct = env.svc.list_keys(&env.admin, search("0%")).await.unwrap();
        assert_eq!(pct.total, 1, "{}: % is matched literally", env.label);
        let secret = k3.secret.expose();
        let last4 = secret[secret.len() - 4..].to_uppercase();
        let by_last4 = env.svc.list_keys(&env.admin, search(&last4)).await.unwrap();
        assert!(by_last4.keys.iter().any(|k| k.key_id == k3.key.key_id), "{}", env.label);
        assert_eq!(env.svc.list_keys(&env.admin, search("nothing-like-this")).await.unwrap().total, 0);
        // Two-letter terms and quotes are matched literally too.
        assert_eq!(env.svc.list_keys(&env.admin, search("gi")).await.unwrap().total, 2, "{}", env.label);
        assert_eq!(env.svc.list_keys(&env.admin, search("\"prod")).await.unwrap().total, 0);
    }
}

#[tokio::test]
async fn key_search_follows_renames_and_deletions() {
    for env in envs().await {
        let ws = workspace(&env, "Renames").await;
        let k = env.svc.create_key(&env.admin, new_key(ws.id, "alpha service")).await.unwrap();
        env.svc.rename_key(&env.admin, k.key.key_id, Some("Bêta service".into())).await.unwrap();
        let search = |s: &str| KeyFilter { search: Some(s.into()), ..Default::default() };
        assert_eq!(env.svc.list_keys(&env.admin, search("alpha")).await.unwrap().total, 0, "{}", env.label);
        assert_eq!(env.svc.list_keys(&env.admin, search("beta serv")).await.unwrap().total, 1, "{}", env.label);
        env.svc.delete_workspace(&env.admin, ws.id, true).await.unwrap();
        assert_eq!(env.svc.list_keys(&env.admin, search("beta")).await.unwrap().total, 0, "{}", env.label);
        let ws2 = workspace(&env, "Again").await;
        env.svc.create_key(&env.admin, new_key(ws2.id, "beta again")).await.unwrap();
        assert_eq!(env.svc.list_keys(&env.admin, search("beta")).await.unwrap().total, 1, "{}", env.label);
    }
}

#[tokio::test]
async fn expiry_policy_clamps_new_keys_to_the_stricter_maximum() {
    for env in envs().await {
        let today = env.clock.now().date_naive();
        env.svc.update_organization(&env.admin, OrganizationPatch { key_max_days: Some(Some(30)), ..Default::default() }).await.unwrap();
        let ws = workspace(&env, "Strict").await;
        // A workspace may not be looser than the organization.
        let err = env
            .svc
            .update_workspace(&env.admin, ws.id, WorkspacePatch { key_max_days: Some(Some(60)), ..Default::default() })
            .await
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("key_max_days"), "{}", env.label);
        env.svc.update_workspace(&env.admin, ws.id, WorkspacePatch { key_max_days: Some(Some(10)), ..Default::default() }).await.unwrap();
        let no_date = env.svc.create_key(&env.admin, new_key(ws.id, "a")).await.unwrap();
        assert_eq!(no_date.key.expiration_date, Some(today + Duration::days(10)), "{}", env.label);
        assert!(no_date.expiration_clamped);
        let far =
            env.svc.create_key(&env.admin, NewKey { expiration: Some(today + Duration::days(365)), ..new_key(ws.id, "b") }).await.unwrap();
        assert_eq!(far.key.expiration_date, Some(today + Duration::days(10)));
        let near =
            env.svc.create_key(&env.admin, NewKey { expiration: Some(today + Duration::days(3)), ..new_key(ws.id, "c") }).await.unwrap();
        assert_eq!(near.key.expiration_date, Some(today + Duration::days(3)));
        assert!(!near.expiration_clamped);
        // In the default workspace only the organization's 30 days apply.
        let default = env.svc.list_workspaces(&env.admin).await.unwrap().into_iter().find(|w| w.is_default).unwrap();
        let k = env.svc.create_key(&env.admin, new_key(default.id, "d")).await.unwrap();
        assert_eq!(k.key.expiration_date, Some(today + Duration::days(30)));
    }
}

#[tokio::test]
async fn key_without_policy_or_date_never_expires_and_past_dates_are_refused() {
    for env in envs().await {
        let ws = workspace(&env, "Open").await;
        let k = env.svc.create_key(&env.admin, new_key(ws.id, "forever")).await.unwrap();
        assert_eq!(k.key.expiration_date, None);
        let err = env.svc.create_key(&env.admin, NewKey { expiration: Some(d("2020-01-01")), ..new_key(ws.id, "past") }).await.unwrap_err();
        assert_eq!(err.field.as_deref(), Some("expiration"), "{}", env.label);
    }
}

#[tokio::test]
async fn expired_key_is_refused_by_status_and_cannot_be_rotated_but_can_be_deleted() {
    for env in envs().await {
        let ws = workspace(&env, "Exp").await;
        let today = env.clock.now().date_naive();
        let k = env
            .svc
            .create_key(&env.admin, NewKey { expiration: Some(today + Duration::days(2)), ..new_key(ws.id, "short") })
            .await
            .unwrap();
        env.clock.advance(Duration::days(2));
        assert_eq!(env.svc.get_key(&env.admin, k.key.key_id).await.unwrap().status, KeyStatus::Active, "valid through its last day");
        env.clock.advance(Duration::days(1));
        let key = env.svc.get_key(&env.admin, k.key.key_id).await.unwrap();
        assert_eq!(key.status, KeyStatus::Expired, "{}", env.label);
        assert_eq!(key.actions.rotate, ActionAvailability::Unavailable { reason: Some(UnavailableReason::KeyExpired) });
        assert!(key.actions.delete.is_available());
        let auth = env.svc.authenticate_key(k.secret.expose()).await.unwrap().unwrap();
        assert_eq!(auth.status, KeyStatus::Expired);
        let err = env.svc.rotate_key(&env.admin, k.key.key_id, None).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict);
        let expired = env.svc.list_keys(&env.admin, KeyFilter { status: Some(KeyStatus::Expired), ..Default::default() }).await.unwrap();
        assert_eq!(expired.total, 1);
        let active = env.svc.list_keys(&env.admin, KeyFilter { status: Some(KeyStatus::Active), ..Default::default() }).await.unwrap();
        assert_eq!(active.total, 0);
        env.svc.delete_key(&env.admin, k.key.key_id).await.unwrap();
        assert!(env.svc.authenticate_key(k.secret.expose()).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn rotation_with_grace_keeps_both_keys_working_until_the_grace_ends() {
    for env in envs().await {
        let ws = workspace(&env, "Rot").await;
        let old = env
            .svc
            .create_key(&env.admin, NewKey { connector_scope: Some(ConnectorScope::PrivateAndShared), ..new_key(ws.id, "svc") })
            .await
            .unwrap();
        let new = env.svc.rotate_key(&env.admin, old.key.key_id, Some(3600)).await.unwrap();
        assert_ne!(new.key.key_id, old.key.key_id);
        assert_eq!(new.key.name.as_deref(), Some("svc"));
        assert_eq!(new.key.workspace_id, ws.id);
        assert_eq!(new.key.connector_scope, ConnectorScope::PrivateAndShared);
        assert!(env.svc.authenticate_key(old.secret.expose()).await.unwrap().is_some(), "{}", env.label);
        assert!(env.svc.authenticate_key(new.secret.expose()).await.unwrap().is_some());
        assert_eq!(env.svc.list_keys(&env.admin, KeyFilter { workspace_id: Some(ws.id), ..Default::default() }).await.unwrap().total, 2);
        env.clock.advance(Duration::seconds(3601));
        assert!(env.svc.authenticate_key(old.secret.expose()).await.unwrap().is_none(), "{}", env.label);
        assert!(env.svc.authenticate_key(new.secret.expose()).await.unwrap().is_some());
        assert_eq!(env.svc.list_keys(&env.admin, KeyFilter { workspace_id: Some(ws.id), ..Default::default() }).await.unwrap().total, 1);
        assert_eq!(env.svc.purge_rotated_keys().await.unwrap(), 1);
    }
}

#[tokio::test]
async fn rotation_without_grace_deletes_the_old_key_at_once() {
    for env in envs().await {
        let ws = workspace(&env, "Rot0").await;
        let old = env.svc.create_key(&env.admin, new_key(ws.id, "svc")).await.unwrap();
        let new = env.svc.rotate_key(&env.admin, old.key.key_id, None).await.unwrap();
        assert!(env.svc.authenticate_key(old.secret.expose()).await.unwrap().is_none(), "{}", env.label);
        assert!(env.svc.authenticate_key(new.secret.expose()).await.unwrap().is_some());
        let err = env.svc.rotate_key(&env.admin, old.key.key_id, Some(MAX + 1)).await.unwrap_err();
        assert_eq!(err.field.as_deref(), Some("grace_period_seconds"));
    }
}
const MAX: i64 = keydesk_core::service::MAX_GRACE_SECONDS;

#[tokio::test]
async fn legacy_mistral_code_keys_cannot_be_created() {
    for env in envs().await {
        let ws = workspace(&env, "Legacy").await;
        let err =
            env.svc.create_key(&env.admin, NewKey { product: Some(KeyProduct::MistralCode), ..new_key(ws.id, "old") }).await.unwrap_err();
        assert_eq!(err.field.as_deref(), Some("product"), "{}", env.label);
        let vibe = env.svc.create_key(&env.admin, NewKey { product: Some(KeyProduct::Vibe), ..new_key(ws.id, "v") }).await.unwrap();
        assert_eq!(vibe.key.product, KeyProduct::Vibe);
        let name_too_long = env.svc.create_key(&env.admin, new_key(ws.id, &"n".repeat(256))).await.unwrap_err();
        assert_eq!(name_too_long.field.as_deref(), Some("name"));
    }
}

#[tokio::test]
async fn members_see_only_their_workspaces_and_their_own_keys() {
    for env in envs().await {
        let team = workspace(&env, "Team").await;
        let secret_ws = workspace(&env, "Secret").await;
        let dev = add_user(&env, "dev@example.com", OrgRole::Member).await;
        let lead = add_user(&env, "lead@example.com", OrgRole::Member).await;
        env.svc.add_member(&env.admin, team.id, dev.user_id, WorkspaceRole::Member).await.unwrap();
        env.svc.add_member(&env.admin, team.id, lead.user_id, WorkspaceRole::Admin).await.unwrap();
        let dup = env.svc.add_member(&env.admin, team.id, dev.user_id, WorkspaceRole::Member).await.unwrap_err();
        assert_eq!(dup.code, ErrorCode::Conflict, "{}", env.label);

        let names: Vec<String> = env.svc.list_workspaces(&dev).await.unwrap().into_iter().map(|w| w.name).collect();
        assert_eq!(names, vec!["Team".to_string()], "{}", env.label);
        assert_eq!(env.svc.get_workspace(&dev, secret_ws.id).await.unwrap_err().code, ErrorCode::NotFound);
        assert_eq!(env.svc.create_key(&dev, new_key(secret_ws.id, "x")).await.unwrap_err().code, ErrorCode::NotFound);

        let mine = env.svc.create_key(&dev, new_key(team.id, "mine")).await.unwrap();
        let admins = env.svc.create_key(&env.admin, new_key(team.id, "admin's")).await.unwrap();
        let dev_view = env.svc.list_keys(&dev, KeyFilter::default()).await.unwrap();
        assert_eq!(dev_view.keys.iter().map(|k| k.key_id).collect::<Vec<_>>(), vec![mine.key.key_id], "{}", env.label);
        assert_eq!(env.svc.delete_key(&dev, admins.key.key_id).await.unwrap_err().code, ErrorCode::NotFound);
        // The workspace admin sees and manages every key of the workspace.
        let lead_view = env.svc.list_keys(&lead, KeyFilter::default()).await.unwrap();
        assert_eq!(lead_view.total, 2);
        assert!(lead_view.keys.iter().all(|k| k.actions.delete.is_available()));
        // Members cannot create workspaces or keys for others.
        let err = env.svc.create_workspace(&dev, NewWorkspace { name: "Mine".into(), ..Default::default() }).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden);
        let err = env.svc.create_key(&dev, NewKey { user_id: Some(lead.user_id), ..new_key(team.id, "for lead") }).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden);
        // Removing the member revokes their keys in that workspace.
        assert_eq!(env.svc.remove_member(&lead, team.id, dev.user_id).await.unwrap(), 1);
        assert!(env.svc.authenticate_key(mine.secret.expose()).await.unwrap().is_none());
        assert!(env.svc.list_workspaces(&dev).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_last_admins_cannot_be_removed_or_demoted() {
    for env in envs().await {
        let err = env.svc.update_user_role(&env.admin, env.admin.user_id, OrgRole::Member).await.unwrap_err();
        assert_eq!(err.field.as_deref(), Some("org_role"), "{}", env.label);
        let default = env.svc.list_workspaces(&env.admin).await.unwrap().remove(0);
        let err = env.svc.set_member_role(&env.admin, default.id, env.admin.user_id, WorkspaceRole::Member).await.unwrap_err();
        assert_eq!(err.field.as_deref(), Some("role"));
        let dup = env
            .svc
            .create_user(&env.admin, NewUser { email: "ADA@example.com".into(), name: "".into(), org_role: OrgRole::Member })
            .await
            .unwrap_err();
        assert_eq!((dup.code, dup.field.as_deref()), (ErrorCode::Conflict, Some("email")), "{}", env.label);
    }
}

#[tokio::test]
async fn keys_are_inactive_while_billing_is_not_active() {
    for env in envs().await {
        let ws = workspace(&env, "Bill").await;
        let k = env.svc.create_key(&env.admin, new_key(ws.id, "k")).await.unwrap();
        env.svc.update_organization(&env.admin, OrganizationPatch { billing_active: Some(false), ..Default::default() }).await.unwrap();
        assert_eq!(env.svc.get_key(&env.admin, k.key.key_id).await.unwrap().status, KeyStatus::Inactive, "{}", env.label);
        assert_eq!(env.svc.authenticate_key(k.secret.expose()).await.unwrap().unwrap().status, KeyStatus::Inactive);
        let inactive = env.svc.list_keys(&env.admin, KeyFilter { status: Some(KeyStatus::Inactive), ..Default::default() }).await.unwrap();
        assert_eq!(inactive.total, 1);
        let active = env.svc.list_keys(&env.admin, KeyFilter { status: Some(KeyStatus::Active), ..Default::default() }).await.unwrap();
        assert_eq!(active.total, 0);
    }
}

#[tokio::test]
async fn unused_for_days_filter_finds_keys_not_used_recently() {
    for env in envs().await {
        let ws = workspace(&env, "Idle").await;
        let idle = env.svc.create_key(&env.admin, new_key(ws.id, "idle")).await.unwrap();
        let busy = env.svc.create_key(&env.admin, new_key(ws.id, "busy")).await.unwrap();
        env.clock.advance(Duration::days(40));
        env.svc
            .record_usage(&UsageRecord {
                key_id: busy.key.key_id,
                workspace_id: ws.id,
                model: "mistral-small".into(),
                input_tokens: 10,
                output_tokens: 5,
                cost_micros: 100,
                at: env.clock.now(),
            })
            .await
            .unwrap();
        let unused = env.svc.list_keys(&env.admin, KeyFilter { unused_for_days: Some(30), ..Default::default() }).await.unwrap();
        assert_eq!(unused.keys.iter().map(|k| k.key_id).collect::<Vec<_>>(), vec![idle.key.key_id], "{}", env.label);
        let busy_now = env.svc.get_key(&env.admin, busy.key.key_id).await.unwrap();
        assert_eq!(busy_now.last_used_at, Some(env.clock.now()));
        // Bulk delete of the selection.
        assert_eq!(env.svc.delete_keys(&env.admin, &[idle.key.key_id]).await.unwrap(), 1);
    }
}

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
async fn connector_scope_decides_which_connectors_a_key_reaches() {
    for env in envs().await {
        let ws = workspace(&env, "Conn").await;
        let dev = add_user(&env, "dev@example.com", OrgRole::Member).await;
        env.svc.add_member(&env.admin, ws.id, dev.user_id, WorkspaceRole::Member).await.unwrap();
        let shared = env
            .svc
            .create_connector(
                &env.admin,
                NewConnector { workspace_id: ws.id, name: "Drive".into(), visibility: ConnectorVisibility::Shared },
            )
            .await
            .unwrap();
        let mine = env
            .svc
            .create_connector(&dev, NewConnector { workspace_id: ws.id, name: "My mail".into(), visibility: ConnectorVisibility::Private })
            .await
            .unwrap();
        let err = env
            .svc
            .create_connector(&dev, NewConnector { workspace_id: ws.id, name: "Wiki".into(), visibility: ConnectorVisibility::Shared })
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden, "{}", env.label);
        let shared_only = env.svc.create_key(&dev, new_key(ws.id, "auto")).await.unwrap();
        let private_too = env
            .svc
            .create_key(&dev, NewKey { connector_scope: Some(ConnectorScope::PrivateAndShared), ..new_key(ws.id, "me") })
            .await
            .unwrap();
        let ids = |v: Vec<Connector>| v.into_iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids(env.svc.reachable_connectors(&dev, shared_only.key.key_id).await.unwrap()), vec![shared.id], "{}", env.label);
        let mut both = ids(env.svc.reachable_connectors(&dev, private_too.key.key_id).await.unwrap());
        both.sort();
        let mut want = vec![shared.id, mine.id];
        want.sort();
        assert_eq!(both, want);
        // The admin's private-scope key does not reach the developer's private connector.
        let admin_key = env
            .svc
            .create_key(&env.admin, NewKey { connector_scope: Some(ConnectorScope::PrivateAndShared), ..new_key(ws.id, "adm") })
            .await
            .unwrap();
        assert_eq!(ids(env.svc.reachable_connectors(&env.admin, admin_key.key.key_id).await.unwrap()), vec![shared.id]);
    }
}

#[tokio::test]
async fn audit_log_records_changes_with_actor_and_values_and_cannot_be_altered() {
    for env in envs().await {
        let ws = workspace(&env, "Audited").await;
        env.svc.update_workspace(&env.admin, ws.id, WorkspacePatch { name: Some("Audited 2".into()), ..Default::default() }).await.unwrap();
        let events = env.svc.list_audit(&env.admin, AuditFilter { target_id: Some(ws.id), ..Default::default() }).await.unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, vec!["workspace.updated", "workspace.created"], "{}", env.label);
        let upd = &events[0];
        assert_eq!(upd.actor_email.as_deref(), Some("ada@example.com"));
        assert_eq!(upd.before.as_ref().unwrap()["name"], "Audited");
        assert_eq!(upd.after.as_ref().unwrap()["name"], "Audited 2");
        // Key events never carry a secret.
        let k = env.svc.create_key(&env.admin, new_key(ws.id, "k")).await.unwrap();
        let all = serde_json::to_string(&env.svc.list_audit(&env.admin, AuditFilter::default()).await.unwrap()).unwrap();
        assert!(!all.contains(k.secret.expose().as_str()));
        let dev = add_user(&env, "dev@example.com", OrgRole::Member).await;
        assert_eq!(env.svc.list_audit(&dev, AuditFilter::default()).await.unwrap_err().code, ErrorCode::Forbidden);
    }
}

#[tokio::test]
async fn paging_rejects_bad_bounds_naming_the_field() {
    for env in envs().await {
        let err = env.svc.list_keys(&env.admin, KeyFilter { limit: Some(0), ..Default::default() }).await.unwrap_err();
        assert_eq!(err.field.as_deref(), Some("limit"), "{}", env.label);
        let err = env.svc.list_keys(&env.admin, KeyFilter { offset: Some(-1), ..Default::default() }).await.unwrap_err();
        assert_eq!(err.field.as_deref(), Some("offset"));
    }
}

#[tokio::test]
async fn keys_sort_by_any_column_across_pages_with_newest_first_between_equals() {
    for env in envs().await {
        let ws = workspace(&env, "Sorted").await;
        let today = env.clock.now().date_naive();
        let names = ["delta", "Alpha", "charlie", "Bravo", "echo"];
        for (i, name) in names.iter().enumerate() {
            let expiration = (i % 2 == 0).then(|| today + Duration::days(10 - i as i64));
            env.svc.create_key(&env.admin, NewKey { expiration, ..new_key(ws.id, name) }).await.unwrap();
            env.clock.advance(Duration::seconds(1));
        }
        let sorted = |column, descending, limit, offset| KeyFilter {
            workspace_id: Some(ws.id),
            sort: Some(KeySort { column, descending }),
            limit: Some(limit),
            offset: Some(offset),
            ..Default::default()
        };
        let names_of = |p: KeyPage| p.keys.into_iter().map(|k| k.name.unwrap()).collect::<Vec<_>>();
        // Two pages of two and one: the order holds across pages.
        let mut all = vec![];
        for offset in [0, 2, 4] {
            all.extend(names_of(env.svc.list_keys(&env.admin, sorted(KeySortColumn::Name, false, 2, offset)).await.unwrap()));
        }
        assert_eq!(all, vec!["Alpha", "Bravo", "charlie", "delta", "echo"], "{}", env.label);
        let desc = names_of(env.svc.list_keys(&env.admin, sorted(KeySortColumn::Name, true, 10, 0)).await.unwrap());
        assert_eq!(desc, vec!["echo", "delta", "charlie", "Bravo", "Alpha"], "{}", env.label);
        // Expiry: soonest first, never-expiring last (newest first among them).
        let exp = names_of(env.svc.list_keys(&env.admin, sorted(KeySortColumn::Expires, false, 10, 0)).await.unwrap());
        assert_eq!(exp, vec!["echo", "charlie", "delta", "Bravo", "Alpha"], "{}", env.label);
        // Status: expired keys after the others.
        env.clock.advance(Duration::days(8));
        let status = names_of(env.svc.list_keys(&env.admin, sorted(KeySortColumn::Status, false, 10, 0)).await.unwrap());
        assert_eq!(status.last().map(String::as_str), Some("echo"), "{}: {status:?}", env.label);
        // Workspace and owner sort by name and email.
        let other = workspace(&env, "Another").await;
        env.svc.create_key(&env.admin, new_key(other.id, "zulu")).await.unwrap();
        let by_ws = env
            .svc
            .list_keys(
                &env.admin,
                KeyFilter { sort: Some(KeySort { column: KeySortColumn::Workspace, descending: false }), ..Default::default() },
            )
            .await
            .unwrap();
        assert_eq!(by_ws.keys[0].workspace_name, "Another", "{}", env.label);
    }
}

/// Runs one statement straight on the store's pool, bypassing the Service.
async fn raw_sql(env: &Env, sql: &str) -> Result<u64, sqlx::Error> {
    match env.svc.db() {
        keydesk_core::store::Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
        keydesk_core::store::Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
    }
}

#[tokio::test]
async fn audit_log_refuses_updates_and_deletes_in_the_database_itself() {
    for env in envs().await {
        workspace(&env, "History").await;
        let before = env.svc.list_audit(&env.admin, AuditFilter::default()).await.unwrap();
        assert!(before.len() >= 3, "{}: bootstrap and workspace creation are logged", env.label);
        for sql in [
            "UPDATE audit_log SET action = 'x'",
            "UPDATE audit_log SET actor_email = NULL WHERE action = 'workspace.created'",
            "DELETE FROM audit_log",
            "DELETE FROM audit_log WHERE action = 'workspace.created'",
        ] {
            assert!(raw_sql(&env, sql).await.is_err(), "{}: `{sql}` altered the audit log", env.label);
        }
        let after = env.svc.list_audit(&env.admin, AuditFilter::default()).await.unwrap();
        assert_eq!(after, before, "{}: the audit log changed", env.label);
    }
}

#[tokio::test]
async fn organization_key_policy_out_of_range_is_refused_naming_the_field() {
    for env in envs().await {
        for days in [0, -1, 3651, 100_000, i32::MAX, i32::MIN] {
            let err = env
                .svc
                .update_organization(&env.admin, OrganizationPatch { key_max_days: Some(Some(days)), ..Default::default() })
                .await
                .unwrap_err();
            assert_eq!((err.code, err.field.as_deref()), (ErrorCode::Validation, Some("key_max_days")), "{}: {days}", env.label);
        }
        assert_eq!(env.svc.organization().await.unwrap().unwrap().key_max_days, None, "{}: refused values were stored", env.label);
        // The bounds themselves are accepted.
        for days in [1, 3650] {
            let org = env
                .svc
                .update_organization(&env.admin, OrganizationPatch { key_max_days: Some(Some(days)), ..Default::default() })
                .await
                .unwrap();
            assert_eq!(org.key_max_days, Some(days), "{}", env.label);
        }
        let ws = workspace(&env, "Bounds").await;
        let err = env
            .svc
            .update_workspace(&env.admin, ws.id, WorkspacePatch { key_max_days: Some(Some(0)), ..Default::default() })
            .await
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("key_max_days"), "{}", env.label);
    }
}

#[tokio::test]
async fn rotation_applies_the_expiry_policy_in_force_now() {
    for env in envs().await {
        let today = env.clock.now().date_naive();
        let ws = workspace(&env, "Rotated under policy").await;
        let default = env.svc.list_workspaces(&env.admin).await.unwrap().into_iter().find(|w| w.is_default).unwrap();
        // Keys issued before any policy existed.
        let forever = env.svc.create_key(&env.admin, new_key(ws.id, "forever")).await.unwrap();
        let far = env
            .svc
            .create_key(&env.admin, NewKey { expiration: Some(today + Duration::days(365)), ..new_key(ws.id, "far") })
            .await
            .unwrap();
        let near =
            env.svc.create_key(&env.admin, NewKey { expiration: Some(today + Duration::days(5)), ..new_key(ws.id, "near") }).await.unwrap();
        let org_wide = env.svc.create_key(&env.admin, new_key(default.id, "org wide")).await.unwrap();
        assert_eq!(forever.key.expiration_date, None);
        // Without a policy, rotation keeps "never expires".
        let still_forever = env.svc.rotate_key(&env.admin, forever.key.key_id, None).await.unwrap();
        assert_eq!(still_forever.key.expiration_date, None, "{}", env.label);
        assert!(!still_forever.expiration_clamped);
        // Then policies are switched on: 30 days for the organization, 20 here.
        env.svc.update_organization(&env.admin, OrganizationPatch { key_max_days: Some(Some(30)), ..Default::default() }).await.unwrap();
        env.svc.update_workspace(&env.admin, ws.id, WorkspacePatch { key_max_days: Some(Some(20)), ..Default::default() }).await.unwrap();
        env.clock.advance(Duration::days(2));
        let now = env.clock.now().date_naive();

        let r = env.svc.rotate_key(&env.admin, still_forever.key.key_id, None).await.unwrap();
        assert_eq!(r.key.expiration_date, Some(now + Duration::days(20)), "{}: never-expiring key gets the maximum from now", env.label);
        assert!(r.expiration_clamped, "{}", env.label);
        let r = env.svc.rotate_key(&env.admin, far.key.key_id, None).await.unwrap();
        assert_eq!(r.key.expiration_date, Some(now + Duration::days(20)), "{}: too late a date is clamped", env.label);
        assert!(r.expiration_clamped);
        let r = env.svc.rotate_key(&env.admin, near.key.key_id, None).await.unwrap();
        assert_eq!(r.key.expiration_date, Some(today + Duration::days(5)), "{}: an allowed date is kept", env.label);
        assert!(!r.expiration_clamped);
        // Where only the organization's policy applies, its 30 days do.
        let r = env.svc.rotate_key(&env.admin, org_wide.key.key_id, None).await.unwrap();
        assert_eq!(r.key.expiration_date, Some(now + Duration::days(30)), "{}", env.label);
        assert!(r.expiration_clamped);
        // The new expiry is what the gateway and the listing see.
        assert_eq!(env.svc.get_key(&env.admin, r.key.key_id).await.unwrap().expiration_date, Some(now + Duration::days(30)));
        let rotated = env
            .svc
            .list_audit(
                &env.admin,
                AuditFilter { action: Some("api_key.rotated".into()), target_id: Some(org_wide.key.key_id), ..Default::default() },
            )
            .await
            .unwrap();
        assert_eq!(rotated[0].after.as_ref().unwrap()["expiration_clamped"], true, "{}", env.label);
    }
}

#[tokio::test]
async fn lowering_the_organization_policy_below_a_workspace_policy_makes_the_organization_policy_apply() {
    for env in envs().await {
        let today = env.clock.now().date_naive();
        let org_policy = |days| OrganizationPatch { key_max_days: Some(days), ..Default::default() };
        let ws_policy = |days| WorkspacePatch { key_max_days: Some(days), ..Default::default() };
        env.svc.update_organization(&env.admin, org_policy(Some(90))).await.unwrap();
        let ws = workspace(&env, "Stricter").await;
        env.svc.update_workspace(&env.admin, ws.id, ws_policy(Some(30))).await.unwrap();
        // The organization goes below the workspace's 30 days: accepted, as
        // the platform documents ("the Organization maximum becomes the
        // effective ceiling"); the workspace keeps its own value.
        env.svc.update_organization(&env.admin, org_policy(Some(10))).await.unwrap();
        assert_eq!(env.svc.get_workspace(&env.admin, ws.id).await.unwrap().key_max_days, Some(30), "{}", env.label);
        let k = env.svc.create_key(&env.admin, new_key(ws.id, "a")).await.unwrap();
        assert_eq!(k.key.expiration_date, Some(today + Duration::days(10)), "{}: the stricter organization policy applies", env.label);
        assert!(k.expiration_clamped);
        // A new workspace value above the organization's is still refused...
        let err = env.svc.update_workspace(&env.admin, ws.id, ws_policy(Some(20))).await.unwrap_err();
        assert_eq!((err.code, err.field.as_deref()), (ErrorCode::Validation, Some("key_max_days")), "{}", env.label);
        assert!(err.message.contains("10 days"), "{}", err.message);
        // ...but saving the settings with the stored value unchanged is not.
        let saved = env
            .svc
            .update_workspace(&env.admin, ws.id, WorkspacePatch { name: Some("Stricter 2".into()), ..ws_policy(Some(30)) })
            .await
            .unwrap();
        assert_eq!((saved.name.as_str(), saved.key_max_days), ("Stricter 2", Some(30)), "{}", env.label);
        // When the organization loosens again, the workspace's 30 days are back.
        env.svc.update_organization(&env.admin, org_policy(Some(90))).await.unwrap();
        let k = env.svc.create_key(&env.admin, new_key(ws.id, "b")).await.unwrap();
        assert_eq!(k.key.expiration_date, Some(today + Duration::days(30)), "{}", env.label);
        // And with no organization policy at all, the workspace's alone applies.
        env.svc.update_organization(&env.admin, org_policy(None)).await.unwrap();
        let k = env.svc.create_key(&env.admin, new_key(ws.id, "c")).await.unwrap();
        assert_eq!(k.key.expiration_date, Some(today + Duration::days(30)), "{}", env.label);
    }
}

#[tokio::test]
async fn workspace_rate_limits_per_model_are_stored_and_read_back() {
    for env in envs().await {
        let ws = workspace(&env, "Limited").await;
        let limits = RateLimits {
            requests_per_second: Some(5),
            tokens_per_minute: [("mistral-large-latest".to_string(), 200_000), ("mistral-small-latest".to_string(), 2_000_000)].into(),
        };
        let updated = env
            .svc
            .update_workspace(&env.admin, ws.id, WorkspacePatch { rate_limits: Some(limits.clone()), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(updated.rate_limits, limits, "{}", env.label);
        assert_eq!(env.svc.get_workspace(&env.admin, ws.id).await.unwrap().rate_limits, limits, "{}: read back", env.label);
        let listed = env.svc.list_workspaces(&env.admin).await.unwrap().into_iter().find(|w| w.id == ws.id).unwrap();
        assert_eq!(listed.rate_limits, limits, "{}: in the list", env.label);
        // Other settings leave them alone; clearing them is possible.
        env.svc.update_workspace(&env.admin, ws.id, WorkspacePatch { description: Some("d".into()), ..Default::default() }).await.unwrap();
        assert_eq!(env.svc.get_workspace(&env.admin, ws.id).await.unwrap().rate_limits, limits, "{}", env.label);
        let none = RateLimits { requests_per_second: None, tokens_per_minute: Default::default() };
        env.svc
            .update_workspace(&env.admin, ws.id, WorkspacePatch { rate_limits: Some(none.clone()), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(env.svc.get_workspace(&env.admin, ws.id).await.unwrap().rate_limits, none, "{}", env.label);
    }
}

#[tokio::test]
async fn invalid_workspace_rate_limits_are_refused_naming_the_field() {
    for env in envs().await {
        let ws = workspace(&env, "Bad limits").await;
        let tpm = |model: &str, v: i64| RateLimits { requests_per_second: None, tokens_per_minute: [(model.to_string(), v)].into() };
        let cases = [
            (RateLimits { requests_per_second: Some(0), tokens_per_minute: Default::default() }, "requests_per_second"),
            (RateLimits { requests_per_second: Some(-3), tokens_per_minute: Default::default() }, "requests_per_second"),
            (tpm("mistral-large-latest", 0), "tokens_per_minute"),
            (tpm("mistral-large-latest", -100), "tokens_per_minute"),
            (tpm("  ", 1000), "tokens_per_minute"),
        ];
        for (limits, field) in cases {
            let err = env
                .svc
                .update_workspace(&env.admin, ws.id, WorkspacePatch { rate_limits: Some(limits.clone()), ..Default::default() })
                .await
                .unwrap_err();
            assert_eq!((err.code, err.field.as_deref()), (ErrorCode::Validation, Some(field)), "{}: {limits:?}", env.label);
        }
        let stored = env.svc.get_workspace(&env.admin, ws.id).await.unwrap().rate_limits;
        assert_eq!(stored.requests_per_second, None, "{}: nothing refused was stored", env.label);
        assert!(stored.tokens_per_minute.is_empty(), "{}", env.label);
    }
}

#[tokio::test]
async fn billing_manager_changes_billing_and_spend_limit_but_not_the_name_or_key_policy() {
    for env in envs().await {
        let billing = add_user(&env, "billing@example.com", OrgRole::BillingManager).await;
        let org = env
            .svc
            .update_organization(
                &billing,
                OrganizationPatch {
                    plan: Some(Plan::Scale),
                    billing_active: Some(false),
                    monthly_spend_limit_micros: Some(Some(250_000_000)),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            (org.plan, org.billing_active, org.monthly_spend_limit_micros),
            (Plan::Scale, false, Some(250_000_000)),
            "{}",
            env.label
        );
        let refused = [
            OrganizationPatch { name: Some("Renamed".into()), ..Default::default() },
            OrganizationPatch { key_max_days: Some(Some(30)), ..Default::default() },
            // Mixed with a billing field, the whole change is refused.
            OrganizationPatch { name: Some("Renamed".into()), billing_active: Some(true), ..Default::default() },
        ];
        for patch in refused {
            let err = env.svc.update_organization(&billing, patch.clone()).await.unwrap_err();
            assert_eq!(err.code, ErrorCode::Forbidden, "{}: {patch:?}", env.label);
        }
        let now = env.svc.organization().await.unwrap().unwrap();
        assert_eq!(
            (now.name.as_str(), now.key_max_days, now.billing_active),
            ("Acme", None, false),
            "{}: nothing refused was applied",
            env.label
        );
        // The change is logged under the billing manager.
        let events = env
            .svc
            .list_audit(
                &env.admin,
                AuditFilter { actor_id: Some(billing.user_id), action: Some("organization.updated".into()), ..Default::default() },
            )
            .await
            .unwrap();
        assert_eq!(events.len(), 1, "{}", env.label);
        // A plain member may change none of it.
        let dev = add_user(&env, "dev@example.com", OrgRole::Member).await;
        let err =
            env.svc.update_organization(&dev, OrganizationPatch { plan: Some(Plan::Experiment), ..Default::default() }).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden, "{}", env.label);
        // The organization admin may change the name and the policy.
        env.svc
            .update_organization(
                &env.admin,
                OrganizationPatch { name: Some("Acme 2".into()), key_max_days: Some(Some(30)), ..Default::default() },
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn billing_manager_sees_every_workspace_and_its_spend_but_not_its_members() {
    for env in envs().await {
        let team = workspace(&env, "Team").await;
        let other = workspace(&env, "Other").await;
        let billing = add_user(&env, "billing@example.com", OrgRole::BillingManager).await;
        let names: Vec<String> = env.svc.list_workspaces(&billing).await.unwrap().into_iter().map(|w| w.name).collect();
        assert_eq!(names, vec!["Default", "Other", "Team"], "{}", env.label);
        assert_eq!(env.svc.get_workspace(&billing, other.id).await.unwrap().name, "Other", "{}", env.label);
        env.svc.monthly_spend(&billing, other.id, env.clock.now()).await.unwrap();
        let err = env.svc.list_members(&billing, other.id).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden, "{}: members are not shown", env.label);
        // Nor the workspace's keys, nor its settings.
        let k = env.svc.create_key(&env.admin, new_key(other.id, "admin's")).await.unwrap();
        assert_eq!(env.svc.list_keys(&billing, KeyFilter::default()).await.unwrap().total, 0, "{}", env.label);
        assert_eq!(env.svc.get_key(&billing, k.key.key_id).await.unwrap_err().code, ErrorCode::NotFound);
        let err = env
            .svc
            .update_workspace(&billing, other.id, WorkspacePatch { monthly_spend_limit_micros: Some(Some(1)), ..Default::default() })
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden, "{}", env.label);
        // Roles add up: as a member of Team, the billing manager sees its
        // members and their own keys there, still not the others'.
        env.svc.add_member(&env.admin, team.id, billing.user_id, WorkspaceRole::Member).await.unwrap();
        assert_eq!(env.svc.list_members(&billing, team.id).await.unwrap().len(), 2, "{}", env.label);
        let mine = env.svc.create_key(&billing, new_key(team.id, "mine")).await.unwrap();
        env.svc.create_key(&env.admin, new_key(team.id, "admin's in team")).await.unwrap();
        let listed = env.svc.list_keys(&billing, KeyFilter::default()).await.unwrap();
        assert_eq!(listed.keys.iter().map(|k| k.key_id).collect::<Vec<_>>(), vec![mine.key.key_id], "{}", env.label);
        assert!(listed.keys[0].actions.delete.is_available());
        assert_eq!(env.svc.list_members(&billing, other.id).await.unwrap_err().code, ErrorCode::Forbidden);
        // As a workspace admin of Team, every key of Team.
        env.svc.set_member_role(&env.admin, team.id, billing.user_id, WorkspaceRole::Admin).await.unwrap();
        assert_eq!(env.svc.list_keys(&billing, KeyFilter::default()).await.unwrap().total, 2, "{}", env.label);
        // Still not the organization's name.
        let err =
            env.svc.update_organization(&billing, OrganizationPatch { name: Some("X".into()), ..Default::default() }).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden, "{}", env.label);
    }
}

#[tokio::test]
async fn users_see_themselves_but_only_admins_see_other_users() {
    for env in envs().await {
        let dev = add_user(&env, "dev@example.com", OrgRole::Member).await;
        let billing = add_user(&env, "billing@example.com", OrgRole::BillingManager).await;
        assert_eq!(env.svc.get_user(&dev, dev.user_id).await.unwrap().email, "dev@example.com", "{}", env.label);
        assert_eq!(env.svc.get_user(&billing, billing.user_id).await.unwrap().org_role, OrgRole::BillingManager);
        for (who, whom) in [(&dev, &billing), (&billing, &dev), (&dev, &env.admin)] {
            assert_eq!(env.svc.get_user(who, whom.user_id).await.unwrap_err().code, ErrorCode::Forbidden, "{}", env.label);
        }
        assert_eq!(env.svc.get_user(&env.admin, dev.user_id).await.unwrap().email, "dev@example.com");
    }
}

#[tokio::test]
async fn connectors_are_changed_by_their_owner_or_a_workspace_admin_only() {
    for env in envs().await {
        let ws = workspace(&env, "Conn admin").await;
        let dev = add_user(&env, "dev@example.com", OrgRole::Member).await;
        let peer = add_user(&env, "peer@example.com", OrgRole::Member).await;
        let lead = add_user(&env, "lead@example.com", OrgRole::Member).await;
        env.svc.add_member(&env.admin, ws.id, dev.user_id, WorkspaceRole::Member).await.unwrap();
        env.svc.add_member(&env.admin, ws.id, peer.user_id, WorkspaceRole::Member).await.unwrap();
        env.svc.add_member(&env.admin, ws.id, lead.user_id, WorkspaceRole::Admin).await.unwrap();
        let private = |name: &str| NewConnector { workspace_id: ws.id, name: name.into(), visibility: ConnectorVisibility::Private };
        let devs = env.svc.create_connector(&dev, private("dev mail")).await.unwrap();
        let devs2 = env.svc.create_connector(&dev, private("dev drive")).await.unwrap();
        // Another member does not even see it.
        assert_eq!(env.svc.delete_connector(&peer, devs.id).await.unwrap_err().code, ErrorCode::NotFound, "{}", env.label);
        // The owner may delete it; a member may not share it with the workspace.
        let err = env.svc.set_connector_visibility(&dev, devs2.id, ConnectorVisibility::Shared).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden, "{}", env.label);
        env.svc.delete_connector(&dev, devs.id).await.unwrap();
        // The workspace admin may share or delete anyone's.
        let shared = env.svc.set_connector_visibility(&lead, devs2.id, ConnectorVisibility::Shared).await.unwrap();
        assert_eq!(shared.visibility, ConnectorVisibility::Shared);
        env.svc.delete_connector(&lead, devs2.id).await.unwrap();
        assert!(env.svc.list_connectors(&env.admin, ws.id).await.unwrap().is_empty(), "{}", env.label);
    }
}

/// Marks a key as a legacy Mistral Code key straight in the store, as if it
/// had been issued before that type was retired (no operation creates one).
async fn make_legacy(env: &Env, key_id: Uuid) {
    let mut tx = env.svc.db().begin().await.unwrap();
    let n = tx.exec("UPDATE api_keys SET product = 'Mistral Code' WHERE id = $1", keydesk_core::args![key_id]).await.unwrap();
    assert_eq!(n, 1);
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn legacy_mistral_code_keys_are_listed_and_deletable_but_cannot_be_rotated() {
    for env in envs().await {
        let ws = workspace(&env, "Legacy keys").await;
        let dev = add_user(&env, "dev@example.com", OrgRole::Member).await;
        env.svc.add_member(&env.admin, ws.id, dev.user_id, WorkspaceRole::Member).await.unwrap();
        let legacy = env.svc.create_key(&dev, new_key(ws.id, "old code key")).await.unwrap();
        let other = env.svc.create_key(&dev, new_key(ws.id, "old code key 2")).await.unwrap();
        make_legacy(&env, legacy.key.key_id).await;
        make_legacy(&env, other.key.key_id).await;
        env.svc.create_key(&dev, new_key(ws.id, "studio key")).await.unwrap();
        // Listed, with its type, for its owner and for the admin.
        for who in [&dev, &env.admin] {
            let page = env
                .svc
                .list_keys(who, KeyFilter { workspace_id: Some(ws.id), product: Some(KeyProduct::MistralCode), ..Default::default() })
                .await
                .unwrap();
            assert_eq!(page.total, 2, "{}", env.label);
            assert!(page.keys.iter().all(|k| k.product == KeyProduct::MistralCode));
            assert!(page.keys.iter().all(|k| k.actions.delete.is_available() && !k.actions.rotate.is_available()), "{}", env.label);
        }
        // It still authenticates until it is deleted.
        assert!(env.svc.authenticate_key(legacy.secret.expose()).await.unwrap().is_some(), "{}", env.label);
        // Rotation is refused and changes nothing.
        for who in [&dev, &env.admin] {
            let err = env.svc.rotate_key(who, legacy.key.key_id, Some(60)).await.unwrap_err();
            assert_eq!((err.code, err.field.as_deref()), (ErrorCode::Conflict, Some("key_id")), "{}", env.label);
        }
        assert_eq!(env.svc.list_keys(&env.admin, KeyFilter { workspace_id: Some(ws.id), ..Default::default() }).await.unwrap().total, 3);
        // No new one can be created, by anyone.
        for who in [&dev, &env.admin] {
            let err =
                env.svc.create_key(who, NewKey { product: Some(KeyProduct::MistralCode), ..new_key(ws.id, "new") }).await.unwrap_err();
            assert_eq!(err.field.as_deref(), Some("product"), "{}", env.label);
        }
        // The owner deletes one, the admin the other.
        env.svc.delete_key(&dev, legacy.key.key_id).await.unwrap();
        env.svc.delete_key(&env.admin, other.key.key_id).await.unwrap();
        assert!(env.svc.authenticate_key(legacy.secret.expose()).await.unwrap().is_none(), "{}", env.label);
        let left = env.svc.list_keys(&env.admin, KeyFilter { workspace_id: Some(ws.id), ..Default::default() }).await.unwrap();
        assert_eq!(left.keys.iter().map(|k| k.product).collect::<Vec<_>>(), vec![KeyProduct::Api], "{}", env.label);
    }
}

#[tokio::test]
async fn purging_a_key_whose_rotation_grace_ended_leaves_a_system_audit_entry() {
    for env in envs().await {
        let ws = workspace(&env, "Purged").await;
        let old = env.svc.create_key(&env.admin, new_key(ws.id, "svc")).await.unwrap();
        env.svc.rotate_key(&env.admin, old.key.key_id, Some(60)).await.unwrap();
        // Nothing is purged during the grace period.
        assert_eq!(env.svc.purge_rotated_keys().await.unwrap(), 0, "{}", env.label);
        env.clock.advance(Duration::seconds(61));
        assert_eq!(env.svc.purge_rotated_keys().await.unwrap(), 1, "{}", env.label);
        let events = env.svc.list_audit(&env.admin, AuditFilter { target_id: Some(old.key.key_id), ..Default::default() }).await.unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, vec!["api_key.deleted", "api_key.rotated", "api_key.created"], "{}", env.label);
        let purged = &events[0];
        assert_eq!((purged.actor_id, purged.actor_email.as_deref()), (None, None), "{}: the system did it", env.label);
        assert_eq!(purged.before.as_ref().unwrap()["name"], "svc");
        assert_eq!(purged.after.as_ref().unwrap()["reason"], "rotation_grace_period_ended");
        // A second run finds nothing and logs nothing.
        assert_eq!(env.svc.purge_rotated_keys().await.unwrap(), 0);
        let again = env.svc.list_audit(&env.admin, AuditFilter { target_id: Some(old.key.key_id), ..Default::default() }).await.unwrap();
        assert_eq!(again.len(), 3, "{}", env.label);
    }
}

#[tokio::test]
async fn opening_the_database_purges_keys_whose_grace_ended_while_closed() {
    let env = envs().await.into_iter().find(|e| e.label == "sqlite").unwrap();
    let ws = workspace(&env, "Offline").await;
    let old = env.svc.create_key(&env.admin, new_key(ws.id, "svc")).await.unwrap();
    env.svc.rotate_key(&env.admin, old.key.key_id, Some(3600)).await.unwrap();
    env.svc.db().close().await;
    // The app opens again the next day, as local mode does at start.
    env.clock.advance(Duration::days(1));
    let c = env.clock.clone();
    let url = format!("sqlite://{}", env.sqlite_path.clone().unwrap().display());
    let reopened =
        keydesk_core::Service::connect_with_clock(&url, common::PEPPER, "kd", std::sync::Arc::new(move || c.now())).await.unwrap();
    let events = reopened.list_audit(&env.admin, AuditFilter { target_id: Some(old.key.key_id), ..Default::default() }).await.unwrap();
    assert_eq!(events[0].action, "api_key.deleted");
    assert_eq!(events[0].actor_id, None);
    assert_eq!(reopened.purge_rotated_keys().await.unwrap(), 0, "already purged at open");
}

#[tokio::test]
async fn removing_a_user_records_the_deletion_of_each_of_their_keys() {
    for env in envs().await {
        let ws = env.svc.list_workspaces(&env.admin).await.unwrap()[0].id;
        let u = env
            .svc
            .create_user(&env.admin, NewUser { email: "leaver@example.com".into(), name: "Leaver".into(), org_role: OrgRole::Member })
            .await
            .unwrap();
        env.svc.add_member(&env.admin, ws, u.id, WorkspaceRole::Member).await.unwrap();
        let mut theirs = vec![];
        for name in ["ci", "laptop"] {
            let k = NewKey { user_id: Some(u.id), ..new_key(ws, name) };
            theirs.push(env.svc.create_key(&env.admin, k).await.unwrap().key.key_id);
        }
        let mine = env.svc.create_key(&env.admin, new_key(ws, "admin's")).await.unwrap().key.key_id;

        env.svc.remove_user(&env.admin, u.id).await.unwrap();

        let deleted =
            env.svc.list_audit(&env.admin, AuditFilter { action: Some("api_key.deleted".into()), ..Default::default() }).await.unwrap();
        let mut targets: Vec<Uuid> = deleted.iter().filter_map(|e| e.target_id).collect();
        targets.sort();
        theirs.sort();
        assert_eq!(targets, theirs, "one entry per key of the removed user, {}", env.label);
        for e in &deleted {
            assert_eq!(e.actor_id, Some(env.admin.user_id));
            assert_eq!(e.after.as_ref().unwrap()["reason"], "owner_removed");
            assert_eq!(e.before.as_ref().unwrap()["name"].as_str().map(|n| ["ci", "laptop"].contains(&n)), Some(true), "{:?}", e.before);
        }
        let page = env.svc.list_keys(&env.admin, KeyFilter { workspace_id: Some(ws), ..Default::default() }).await.unwrap();
        assert_eq!(page.keys.iter().map(|k| k.key_id).collect::<Vec<_>>(), vec![mine], "{}", env.label);
    }
}

/// Appends `n` audit events by SQL (an organization with a long history).
async fn append_audit_events(env: &Env, n: usize, action: &str) {
    let at = env.clock.now().timestamp_millis();
    for start in (0..n).step_by(500) {
        let rows = (start..n.min(start + 500)).collect::<Vec<_>>();
        let mut sql = String::from("INSERT INTO audit_log (id, at, actor_id, actor_email, action, target_type) VALUES ");
        let mut args = vec![];
        for (i, _) in rows.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            let b = i * 5;
            sql.push_str(&format!("(${}, ${}, ${}, ${}, ${}, 'workspace')", b + 1, b + 2, b + 3, b + 4, b + 5));
            args.extend(keydesk_core::args![Uuid::new_v4(), at, env.admin.user_id, env.admin.email.clone(), action.to_owned()]);
        }
        let mut tx = env.svc.db().begin().await.unwrap();
        tx.exec(&sql, args).await.unwrap();
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn the_audit_log_is_filtered_ordered_and_paged_by_the_database_however_long_it_is() {
    for env in envs().await {
        let first = env.svc.query_audit(&env.admin, AuditQuery { oldest_first: true, limit: Some(1), ..Default::default() }).await.unwrap();
        append_audit_events(&env, 12_000, "workspace.updated").await;
        // The system's own entry: a purged rotated key.
        let ws = env.svc.list_workspaces(&env.admin).await.unwrap()[0].id;
        let k = env.svc.create_key(&env.admin, new_key(ws, "rotated")).await.unwrap();
        env.svc.rotate_key(&env.admin, k.key.key_id, Some(60)).await.unwrap();
        env.clock.advance(Duration::seconds(61));
        assert_eq!(env.svc.purge_rotated_keys().await.unwrap(), 1);

        // Oldest first reaches the very first event past 12,000 newer ones.
        let oldest =
            env.svc.query_audit(&env.admin, AuditQuery { oldest_first: true, limit: Some(1), ..Default::default() }).await.unwrap();
        assert_eq!(oldest[0].id, first[0].id, "{}", env.label);
        // Several actions at once, newest first.
        let q = AuditQuery { actions: vec!["api_key.created".into(), "api_key.rotated".into()], ..Default::default() };
        let keys: Vec<String> = env.svc.query_audit(&env.admin, q).await.unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(keys, ["api_key.rotated", "api_key.created"], "{}", env.label);
        // What the system did, by target type.
        let q = AuditQuery { by_person: Some(false), target_types: vec!["api_key".into()], ..Default::default() };
        let system = env.svc.query_audit(&env.admin, q).await.unwrap();
        assert_eq!(system.len(), 1, "{}", env.label);
        assert_eq!((system[0].action.as_str(), system[0].actor_id), ("api_key.deleted", None));
        // Paging walks the whole log, oldest first, without gaps.
        let page = |offset| AuditQuery { oldest_first: true, limit: Some(1000), offset: Some(offset), ..Default::default() };
        let mut seen = 0;
        let mut last_seq_event = None;
        for offset in (0..20_000).step_by(1000) {
            let events = env.svc.query_audit(&env.admin, page(offset)).await.unwrap();
            seen += events.len();
            if let Some(e) = events.last() {
                last_seq_event = Some(e.action.clone());
            }
        }
        assert!(seen > 12_000, "{seen}");
        assert_eq!(last_seq_event.as_deref(), Some("api_key.deleted"), "the newest event closes the walk, {}", env.label);
    }
}

#[tokio::test]
async fn a_users_memberships_are_read_at_once_and_only_where_the_reader_may_see_members() {
    for env in envs().await {
        let user = |email: &str, role| NewUser { email: email.into(), name: "T".into(), org_role: role };
        let dev = env.svc.create_user(&env.admin, user("dev@example.com", OrgRole::Member)).await.unwrap();
        let peer = env.svc.create_user(&env.admin, user("peer@example.com", OrgRole::Member)).await.unwrap();
        let billing = env.svc.create_user(&env.admin, user("bill@example.com", OrgRole::BillingManager)).await.unwrap();
        let mut joined = vec![];
        for (i, role) in [WorkspaceRole::Admin, WorkspaceRole::Member, WorkspaceRole::Member].into_iter().enumerate() {
            let ws = env.svc.create_workspace(&env.admin, NewWorkspace { name: format!("Team {i}"), ..Default::default() }).await.unwrap();
            env.svc.add_member(&env.admin, ws.id, dev.id, role).await.unwrap();
            joined.push((ws.id, role));
        }
        env.svc.create_workspace(&env.admin, NewWorkspace { name: "Elsewhere".into(), ..Default::default() }).await.unwrap();
        env.svc.add_member(&env.admin, joined[1].0, peer.id, WorkspaceRole::Member).await.unwrap();

        let seen = |list: Vec<(Workspace, WorkspaceRole)>| list.into_iter().map(|(w, r)| (w.id, r)).collect::<Vec<_>>();
        let mut by_admin = seen(env.svc.user_memberships(&env.admin, dev.id).await.unwrap());
        by_admin.sort_by_key(|(id, _)| *id);
        let mut expected = joined.clone();
        expected.sort_by_key(|(id, _)| *id);
        assert_eq!(by_admin, expected, "{}", env.label);
        let peer_actor = env.svc.actor(peer.id).await.unwrap();
        assert_eq!(
            seen(env.svc.user_memberships(&peer_actor, dev.id).await.unwrap()),
            vec![joined[1]],
            "only shared workspaces, {}",
            env.label
        );
        let dev_actor = env.svc.actor(dev.id).await.unwrap();
        assert_eq!(env.svc.user_memberships(&dev_actor, dev.id).await.unwrap().len(), 3, "one's own, {}", env.label);
        let billing_actor = env.svc.actor(billing.id).await.unwrap();
        assert!(
            env.svc.user_memberships(&billing_actor, dev.id).await.unwrap().is_empty(),
            "billing managers see no members, {}",
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

#[tokio::test]
async fn a_batch_of_member_changes_applies_whole_or_not_at_all() {
    for env in envs().await {
        let ws = env.svc.create_workspace(&env.admin, NewWorkspace { name: "Batch".into(), ..Default::default() }).await.unwrap();
        let mk = |email: &str| NewUser { email: email.into(), name: "T".into(), org_role: OrgRole::Member };
        let a = env.svc.create_user(&env.admin, mk("a@example.com")).await.unwrap();
        let b = env.svc.create_user(&env.admin, mk("b@example.com")).await.unwrap();
        let stranger = Uuid::new_v4();

        // The second item fails after the first was added: neither stays.
        let err = env.svc.put_members(&env.admin, ws.id, &[(a.id, None), (stranger, None)], true).await.unwrap_err();
        assert_eq!((err.code, err.field.as_deref()), (ErrorCode::Validation, Some("user_id")), "{}", env.label);
        let members = env.svc.list_members(&env.admin, ws.id).await.unwrap();
        assert!(!members.iter().any(|m| m.user_id == a.id), "nothing of a failed batch stays, {}", env.label);

        // Adding and changing roles in one call.
        let done = env.svc.put_members(&env.admin, ws.id, &[(a.id, None), (b.id, Some(WorkspaceRole::Admin))], true).await.unwrap();
        assert_eq!((done.added, done.updated), (2, 0));
        let done = env.svc.put_members(&env.admin, ws.id, &[(a.id, Some(WorkspaceRole::Admin)), (b.id, None)], true).await.unwrap();
        assert_eq!((done.added, done.updated, done.unchanged.clone()), (0, 1, vec![b.id]), "{}", env.label);

        // Removal reports who stays: not members, and the last admin.
        let done = env.svc.remove_members(&env.admin, ws.id, &[a.id, stranger]).await.unwrap();
        assert_eq!((done.removed, done.unchanged.clone()), (1, vec![stranger]), "{}", env.label);

        // New users and their memberships: together or not at all.
        let users = vec![mk("c@example.com"), mk("not an email"), mk("A@example.com"), mk("d@example.com")];
        let added = env.svc.add_users(&env.admin, users, &[ws.id]).await.unwrap();
        let emails: Vec<&str> = added.created.iter().map(|u| u.email.as_str()).collect();
        assert_eq!(emails, ["c@example.com", "d@example.com"], "{}", env.label);
        assert_eq!((added.invalid.clone(), added.existing.clone()), (vec!["not an email".to_owned()], vec!["A@example.com".to_owned()]));
        let members = env.svc.list_members(&env.admin, ws.id).await.unwrap();
        assert!(added.created.iter().all(|u| members.iter().any(|m| m.user_id == u.id)), "{}", env.label);
        let err = env.svc.add_users(&env.admin, vec![mk("e@example.com")], &[ws.id, Uuid::new_v4()]).await.unwrap_err();
        assert_eq!(err.field.as_deref(), Some("workspace_uuids"));
        assert!(env.svc.find_user_by_email("e@example.com").await.unwrap().is_none(), "no user without their workspaces, {}", env.label);
    }
}
