//! The one place that decides who may do what. Every Service method asks
//! `authorize` before it touches the store; nothing else grants access.

use crate::error::Error;
use crate::model::{OrgRole, WorkspaceRole};

/// What the actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See the organization, its plan and billing state.
    ViewOrganization,
    /// Plan, billing, organization spend limit and key expiry policy.
    ManageOrganization,
    /// List users of the organization.
    ViewUsers,
    /// Create, change the role of, or remove organization users.
    ManageUsers,
    /// See the organization's audit log.
    ViewAuditLog,
    /// Create, list or delete Admin API keys.
    ManageAdminKeys,
    CreateWorkspace,
    ViewWorkspace,
    /// Rename, describe, set limits and the workspace key policy.
    UpdateWorkspace,
    DeleteWorkspace,
    ViewMembers,
    ManageMembers,
    /// List every key of a workspace, not only one's own.
    ViewWorkspaceKeys,
    /// Create a key owned by oneself.
    CreateOwnKey,
    /// Create a key owned by another user.
    CreateKeyForOther,
    /// See, rename, delete or rotate one key (ownership decides).
    ViewKey,
    ManageKey,
    ViewUsage,
    /// Create or change a connector shared with the workspace.
    ManageSharedConnectors,
    ViewConnectors,
}

/// Everything the decision depends on, already looked up by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    pub org_role: OrgRole,
    /// The actor's role in the workspace the target belongs to, if any.
    pub workspace_role: Option<WorkspaceRole>,
    /// The target is owned by the actor (their key, their connector).
    pub owns_target: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(&'static str),
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
    /// Turns a denial into the `forbidden` error.
    pub fn check(self) -> Result<(), Error> {
        match self {
            Decision::Allow => Ok(()),
            Decision::Deny(reason) => Err(Error::forbidden(reason)),
        }
    }
}

const ORG_ADMIN_ONLY: &str = "only organization admins can do this";
const NOT_A_MEMBER: &str = "you are not a member of this workspace";
const WS_ADMIN_ONLY: &str = "only workspace admins can do this";
const NOT_YOUR_KEY: &str = "only the key's owner or a workspace admin can do this";

/// Decides whether `subject` may perform `action`.
pub fn authorize(subject: Subject, action: Action) -> Decision {
    use Action::*;
    if subject.org_role == OrgRole::Admin {
        return Decision::Allow;
    }
    let billing = subject.org_role == OrgRole::BillingManager;
    let ws_member = subject.workspace_role.is_some();
    let ws_admin = subject.workspace_role == Some(WorkspaceRole::Admin);
    let allow_if = |ok: bool, reason: &'static str| if ok { Decision::Allow } else { Decision::Deny(reason) };
    match action {
        ViewOrganization => Decision::Allow,
        ManageOrganization => allow_if(billing, ORG_ADMIN_ONLY),
        ViewUsers | ManageUsers | ViewAuditLog | ManageAdminKeys | CreateWorkspace | DeleteWorkspace => {
            Decision::Deny(ORG_ADMIN_ONLY)
        }
        ViewWorkspace | ViewMembers | ViewConnectors => allow_if(ws_member, NOT_A_MEMBER),
        ViewUsage => allow_if(ws_member || billing, NOT_A_MEMBER),
        UpdateWorkspace | ManageMembers | ViewWorkspaceKeys | CreateKeyForOther | ManageSharedConnectors => {
            if !ws_member {
                Decision::Deny(NOT_A_MEMBER)
            } else {
                allow_if(ws_admin, WS_ADMIN_ONLY)
            }
        }
        CreateOwnKey => allow_if(ws_member, NOT_A_MEMBER),
        ViewKey | ManageKey => {
            if !ws_member {
                Decision::Deny(NOT_A_MEMBER)
            } else {
                allow_if(ws_admin || subject.owns_target, NOT_YOUR_KEY)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    /// The actors of the matrix, each as the subject it presents.
    fn actor(name: &str, owns: bool) -> Subject {
        let (org_role, workspace_role) = match name {
            "org_admin" => (OrgRole::Admin, None),
            "billing" => (OrgRole::BillingManager, None),
            "ws_admin" => (OrgRole::Member, Some(WorkspaceRole::Admin)),
            "ws_member" => (OrgRole::Member, Some(WorkspaceRole::Member)),
            "non_member" => (OrgRole::Member, None),
            other => panic!("unknown actor {other}"),
        };
        Subject { org_role, workspace_role, owns_target: owns }
    }

    /// The full matrix, written out by hand: for each action, the actors
    /// allowed when they do NOT own the target, and when they do.
    /// Columns: org_admin, billing, ws_admin, ws_member, non_member.
    #[test]
    fn authorization_matrix_matches_the_documented_roles() {
        let actors = ["org_admin", "billing", "ws_admin", "ws_member", "non_member"];
        #[rustfmt::skip]
        let expected: &[(Action, [bool; 5], [bool; 5])] = &[
            //                          not owner                         owner
            (ViewOrganization,        [true, true, true, true, true],    [true, true, true, true, true]),
            (ManageOrganization,      [true, true, false, false, false], [true, true, false, false, false]),
            (ViewUsers,               [true, false, false, false, false],[true, false, false, false, false]),
            (ManageUsers,             [true, false, false, false, false],[true, false, false, false, false]),
            (ViewAuditLog,            [true, false, false, false, false],[true, false, false, false, false]),
            (ManageAdminKeys,         [true, false, false, false, false],[true, false, false, false, false]),
            (CreateWorkspace,         [true, false, false, false, false],[true, false, false, false, false]),
            (DeleteWorkspace,         [true, false, false, false, false],[true, false, false, false, false]),
            (ViewWorkspace,           [true, false, true, true, false],  [true, false, true, true, false]),
            (UpdateWorkspace,         [true, false, true, false, false], [true, false, true, false, false]),
            (ViewMembers,             [true, false, true, true, false],  [true, false, true, true, false]),
            (ManageMembers,           [true, false, true, false, false], [true, false, true, false, false]),
            (ViewWorkspaceKeys,       [true, false, true, false, false], [true, false, true, false, false]),
            (CreateOwnKey,            [true, false, true, true, false],  [true, false, true, true, false]),
            (CreateKeyForOther,       [true, false, true, false, false], [true, false, true, false, false]),
            (ViewKey,                 [true, false, true, false, false], [true, false, true, true, false]),
            (ManageKey,               [true, false, true, false, false], [true, false, true, true, false]),
            (ViewUsage,               [true, true, true, true, false],   [true, true, true, true, false]),
            (ManageSharedConnectors,  [true, false, true, false, false], [true, false, true, false, false]),
            (ViewConnectors,          [true, false, true, true, false],  [true, false, true, true, false]),
        ];
        let mut failures = Vec::new();
        for (action, not_owner, owner) in expected {
            for (i, name) in actors.iter().enumerate() {
                for (owns, want) in [(false, not_owner[i]), (true, owner[i])] {
                    let got = authorize(actor(name, owns), *action).is_allowed();
                    if got != want {
                        failures.push(format!("{action:?} by {name} (owns={owns}): expected {want}, got {got}"));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn denial_carries_a_reason_for_people() {
        let d = authorize(actor("non_member", false), ViewWorkspace);
        assert_eq!(d, Decision::Deny(NOT_A_MEMBER));
        let err = d.check().unwrap_err();
        assert_eq!(err.code, crate::error::ErrorCode::Forbidden);
    }
}
