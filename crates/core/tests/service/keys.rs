//! API keys over their life: issued, authenticated, expired, rotated, legacy ones, and purged.

use chrono::Duration;
use keydesk_core::model::*;
use keydesk_core::ErrorCode;
use uuid::Uuid;

use crate::common::{envs, Env};
use crate::support::{add_user, new_key, workspace};

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
        keydesk_core::Service::connect_with_clock(&url, crate::common::PEPPER, "kd", std::sync::Arc::new(move || c.now())).await.unwrap();
    let events = reopened.list_audit(&env.admin, AuditFilter { target_id: Some(old.key.key_id), ..Default::default() }).await.unwrap();
    assert_eq!(events[0].action, "api_key.deleted");
    assert_eq!(events[0].actor_id, None);
    assert_eq!(reopened.purge_rotated_keys().await.unwrap(), 0, "already purged at open");
}
