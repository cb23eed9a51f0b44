//! Operations on many users or members at once, each one transaction: a
//! batch either applies whole or not at all. Items the platform reports
//! rather than fails on (an email already taken, a user already a member,
//! one who is not a member) are told apart from failures, which roll the
//! whole batch back.

use uuid::Uuid;

use crate::authz::Action;
use crate::changes::Change;
use crate::error::{ErrorCode, Result};
use crate::model::{OrgRole, User, WorkspaceRole};
use crate::service::{Actor, NewUser, Service};

/// What a batch of new users did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsersAdded {
    pub created: Vec<User>,
    /// Emails of users who already exist.
    pub existing: Vec<String>,
    /// Emails refused as invalid.
    pub invalid: Vec<String>,
}

/// What a batch of membership changes did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembersChanged {
    pub added: i64,
    pub updated: i64,
    pub removed: i64,
    /// Users left as they were: not members (removal) or the last admin.
    pub unchanged: Vec<Uuid>,
}

impl Service {
    /// Adds users, and makes each a member of `workspaces`, in one
    /// transaction. Invalid or taken emails are reported, not failed on.
    pub async fn add_users(&self, actor: &Actor, users: Vec<NewUser>, workspaces: &[Uuid]) -> Result<UsersAdded> {
        Self::org_check(actor, Action::ManageUsers)?;
        if let Some(twice) = workspaces.iter().enumerate().find(|(i, w)| workspaces[..*i].contains(w)).map(|(_, w)| w) {
            return Err(crate::Error::validation("workspace_uuids", format!("workspace {twice} is listed twice")));
        }
        let mut tx = self.begin().await?;
        for ws in workspaces {
            self.workspace_for(&mut tx, actor, *ws, Action::ManageMembers).await.map_err(|e| {
                if e.code == ErrorCode::NotFound {
                    crate::Error::validation("workspace_uuids", format!("workspace {ws} does not exist"))
                } else {
                    e
                }
            })?;
        }
        let mut out = UsersAdded::default();
        for new in users {
            match self.insert_user_in(&mut tx, actor, &new).await {
                Ok(user) => {
                    for ws in workspaces {
                        self.add_member_in(&mut tx, actor, *ws, user.id, WorkspaceRole::Member).await?;
                    }
                    out.created.push(user);
                }
                Err(e) if e.code == ErrorCode::Conflict => out.existing.push(new.email),
                Err(e) if e.code == ErrorCode::Validation => out.invalid.push(new.email),
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Invites people by email with one organization role: `add_users` with
    /// no name.
    pub async fn invite_users(&self, actor: &Actor, emails: &[String], role: OrgRole, workspaces: &[Uuid]) -> Result<UsersAdded> {
        let users = emails.iter().map(|e| NewUser { email: e.clone(), name: String::new(), org_role: role }).collect();
        self.add_users(actor, users, workspaces).await
    }

    /// Adds users to a workspace, or (with `update_roles`) sets the role of
    /// those already members. A role of `None` adds as a member and leaves
    /// an existing member's role alone. One transaction.
    pub async fn put_members(
        &self,
        actor: &Actor,
        workspace_id: Uuid,
        members: &[(Uuid, Option<WorkspaceRole>)],
        update_roles: bool,
    ) -> Result<MembersChanged> {
        let mut tx = self.begin().await?;
        self.workspace_for(&mut tx, actor, workspace_id, Action::ManageMembers).await?;
        let mut out = MembersChanged::default();
        for (user, role) in members {
            match Self::ws_role(&mut tx, workspace_id, *user).await? {
                Some(current) => match role.filter(|r| update_roles && *r != current) {
                    Some(role) => {
                        self.set_member_role_in(&mut tx, actor, workspace_id, *user, role).await?;
                        out.updated += 1;
                    }
                    None => out.unchanged.push(*user),
                },
                None => {
                    self.add_member_in(&mut tx, actor, workspace_id, *user, role.unwrap_or(WorkspaceRole::Member)).await?;
                    out.added += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Removes members (revoking their keys in the workspace) in one
    /// transaction; users who are not members, or would leave the
    /// workspace without an admin, are reported unchanged.
    pub async fn remove_members(&self, actor: &Actor, workspace_id: Uuid, users: &[Uuid]) -> Result<MembersChanged> {
        let mut tx = self.begin().await?;
        self.workspace_for(&mut tx, actor, workspace_id, Action::ManageMembers).await?;
        let mut out = MembersChanged::default();
        for user in users {
            match self.remove_member_in(&mut tx, actor, workspace_id, *user).await {
                Ok(_) => out.removed += 1,
                Err(e) if matches!(e.code, ErrorCode::Validation | ErrorCode::NotFound) => out.unchanged.push(*user),
                Err(e) => return Err(e),
            }
        }
        let changes: &[Change] = if out.removed > 0 { &[Change::AllKeys] } else { &[] };
        self.commit_announcing(tx, changes).await?;
        Ok(out)
    }
}
