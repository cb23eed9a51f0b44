//! Key expiry policies of the organization and its workspaces, at creation and at rotation.

use chrono::Duration;
use keydesk_core::model::*;
use keydesk_core::{ErrorCode, OrganizationPatch};

use crate::common::envs;
use crate::support::{d, new_key, workspace};

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
