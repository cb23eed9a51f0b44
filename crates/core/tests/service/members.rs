//! Workspace members: what a member sees, a user's memberships, and batch changes.

use keydesk_core::model::*;
use keydesk_core::{ErrorCode, NewUser};
use uuid::Uuid;

use crate::common::envs;
use crate::support::{add_user, new_key, workspace};

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
