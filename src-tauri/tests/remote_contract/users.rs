//! Contract scenarios on the organization's users and the members of its workspaces.

use keydesk_core::model::{NewWorkspace, OrgRole, WorkspaceMember, WorkspaceRole};
use keydesk_desktop::backend::Backend;
use keydesk_desktop::error::ErrorCode;

use crate::fixtures::unique;

pub async fn users_are_added_promoted_and_removed(b: &dyn Backend) {
    let email = format!("{}@example.com", unique("dev").replace(' ', "-"));
    let user = b
        .create_user(keydesk_core::NewUser {
            email: email.clone(),
            name: "Dev Eloper".into(),
            org_role: OrgRole::Member,
        })
        .await
        .unwrap();
    assert_eq!(user.email, email);
    assert_eq!(user.org_role, OrgRole::Member);
    assert!(b
        .list_users()
        .await
        .unwrap()
        .iter()
        .any(|u| u.id == user.id));
    let dup = b
        .create_user(keydesk_core::NewUser {
            email: email.to_uppercase(),
            name: String::new(),
            org_role: OrgRole::Member,
        })
        .await
        .unwrap_err();
    assert_eq!(dup.code, ErrorCode::Conflict);
    assert_eq!(
        b.set_user_role(user.id, OrgRole::BillingManager)
            .await
            .unwrap()
            .org_role,
        OrgRole::BillingManager
    );
    b.remove_user(user.id).await.unwrap();
    assert!(!b
        .list_users()
        .await
        .unwrap()
        .iter()
        .any(|u| u.id == user.id));
}

pub async fn members_are_added_changed_and_removed(b: &dyn Backend) {
    let ws = b
        .create_workspace(NewWorkspace {
            name: unique("Team"),
            ..Default::default()
        })
        .await
        .unwrap();
    let email = format!("{}@example.com", unique("member").replace(' ', "-"));
    let user = b
        .create_user(keydesk_core::NewUser {
            email: email.clone(),
            name: "Mem Ber".into(),
            org_role: OrgRole::Member,
        })
        .await
        .unwrap();
    b.add_member(ws.id, user.id, WorkspaceRole::Member)
        .await
        .unwrap();
    let again = b.add_member(ws.id, user.id, WorkspaceRole::Member).await;
    // The platform's add-users skips present members; local mode says conflict.
    assert!(again.is_ok() || again.unwrap_err().code == ErrorCode::Conflict);
    let role_of = |members: &[WorkspaceMember]| {
        members
            .iter()
            .find(|m| m.user_id == user.id)
            .map(|m| m.role)
    };
    assert_eq!(
        role_of(&b.list_members(ws.id).await.unwrap()),
        Some(WorkspaceRole::Member)
    );
    b.set_member_role(ws.id, user.id, WorkspaceRole::Admin)
        .await
        .unwrap();
    assert_eq!(
        role_of(&b.list_members(ws.id).await.unwrap()),
        Some(WorkspaceRole::Admin)
    );
    b.remove_member(ws.id, user.id).await.unwrap();
    assert_eq!(role_of(&b.list_members(ws.id).await.unwrap()), None);
}
