//! The organization: the first run, the billing switch, and what a billing manager may see and change.

use keydesk_core::model::*;
use keydesk_core::{ErrorCode, OrganizationPatch};

use crate::common::envs;
use crate::support::{add_user, new_key, workspace};

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
