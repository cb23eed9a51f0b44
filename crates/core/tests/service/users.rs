//! Users of the organization: the last admins, who sees whom, and removing a user.

use keydesk_core::model::*;
use keydesk_core::{ErrorCode, NewUser};
use uuid::Uuid;

use crate::common::envs;
use crate::support::{add_user, new_key};

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
