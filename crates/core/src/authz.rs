//! The one place that decides who may do what. Every Service method asks
//! `authorize` before it touches the store; nothing else grants access.

use crate::error::Error;
use crate::model::{OrgRole, WorkspaceRole};

/// What the actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See the organization, its plan and billing state.
    ViewOrganization,
    /// Plan, billing state and the organization's monthly spend limit:
    /// organization admins and billing managers.
    ManageBilling,
    /// The organization's name and its key expiry policy: organization
    /// admins only (billing managers "cannot change Organization settings").
    ManageOrganizationSettings,
    /// List users of the organization, or see any one of them.
    ViewUsers,
    /// See one user; the target is owned when it is the actor themself.
    ViewUser,
    /// Create, change the role of, or remove organization users.
    ManageUsers,
    /// See the organization's audit log.
    ViewAuditLog,
    /// Create, list or delete Admin API keys.
    ManageAdminKeys,
    /// Record metered usage against a key (what the gateway does; also an
    /// endpoint for admins, to import or test usage).
    RecordUsage,
    CreateWorkspace,
    /// See a workspace: its name, settings and limits. Asked without a
    /// workspace role, it says whether the actor sees every workspace.
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
    /// Set or clear one key's monthly budget: workspace admins, not the
    /// key's owner (a budget an admin set is a cap its owner cannot lift).
    SetKeyBudget,
    /// Read a workspace's spend alerts (50 / 80 / 100 % of its limit): those
    /// who answer for its money, its admins and billing managers.
    ViewSpendAlerts,
    /// Create or change a connector shared with the workspace.
    ManageSharedConnectors,
    /// Change the visibility of, or delete, one connector (ownership decides).
    ManageConnector,
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

impl Subject {
    /// The actor as seen from outside any workspace, owning nothing.
    pub fn organization(org_role: OrgRole) -> Subject {
        Subject { org_role, workspace_role: None, owns_target: false }
    }
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
const SETTINGS_ADMIN_ONLY: &str = "only organization admins can change the organization's name or the key expiry policy";
const BILLING_ONLY: &str = "only organization admins and billing managers can change the plan, billing or spending limit";
const NOT_A_MEMBER: &str = "you are not a member of this workspace";
const WS_ADMIN_ONLY: &str = "only workspace admins can do this";
const NOT_YOUR_KEY: &str = "only the key's owner or a workspace admin can do this";
const NOT_YOUR_CONNECTOR: &str = "only the connector's owner or a workspace admin can do this";
const NOT_YOURSELF: &str = "only organization admins can see other users";

/// Decides whether `subject` may perform `action`.
///
/// Roles add up: a billing manager who is also a workspace admin has both
/// the billing rights and that workspace's admin rights.
pub fn authorize(subject: Subject, action: Action) -> Decision {
    use Action::*;
    if subject.org_role == OrgRole::Admin {
        return Decision::Allow;
    }
    let billing = subject.org_role == OrgRole::BillingManager;
    let ws_member = subject.workspace_role.is_some();
    let ws_admin = subject.workspace_role == Some(WorkspaceRole::Admin);
    let allow_if = |ok: bool, reason: &'static str| if ok { Decision::Allow } else { Decision::Deny(reason) };
    // Ownership counts only inside a workspace one still belongs to.
    let admin_or_owner = |reason: &'static str| {
        if !ws_member {
            Decision::Deny(NOT_A_MEMBER)
        } else {
            allow_if(ws_admin || subject.owns_target, reason)
        }
    };
    match action {
        ViewOrganization => Decision::Allow,
        ManageBilling => allow_if(billing, BILLING_ONLY),
        ManageOrganizationSettings => Decision::Deny(SETTINGS_ADMIN_ONLY),
        ViewUser => allow_if(subject.owns_target, NOT_YOURSELF),
        ViewUsers | ManageUsers | ViewAuditLog | ManageAdminKeys | RecordUsage | CreateWorkspace | DeleteWorkspace => {
            Decision::Deny(ORG_ADMIN_ONLY)
        }
        // Billing managers see every workspace (for its usage and limits),
        // not its members, keys or connectors.
        ViewWorkspace | ViewUsage => allow_if(ws_member || billing, NOT_A_MEMBER),
        ViewMembers | ViewConnectors | CreateOwnKey => allow_if(ws_member, NOT_A_MEMBER),
        ViewSpendAlerts => allow_if(ws_admin || billing, WS_ADMIN_ONLY),
        UpdateWorkspace | ManageMembers | ViewWorkspaceKeys | CreateKeyForOther | ManageSharedConnectors | SetKeyBudget => {
            if !ws_member {
                Decision::Deny(NOT_A_MEMBER)
            } else {
                allow_if(ws_admin, WS_ADMIN_ONLY)
            }
        }
        ViewKey | ManageKey => admin_or_owner(NOT_YOUR_KEY),
        ManageConnector => admin_or_owner(NOT_YOUR_CONNECTOR),
    }
}

/// Which keys of one workspace a key listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyScope {
    /// Every key of the workspace.
    All,
    /// Only the actor's own keys.
    Own,
    /// No key of the workspace.
    Nothing,
}

/// The keys a listing shows an actor with `org_role` in a workspace where
/// they hold `workspace_role` (`None`: a workspace they do not belong to).
/// It follows `ViewWorkspaceKeys` and `ViewKey`, so a listing never shows a
/// key that `ViewKey` would hide.
pub fn key_scope(org_role: OrgRole, workspace_role: Option<WorkspaceRole>) -> KeyScope {
    let subject = |owns_target| Subject { org_role, workspace_role, owns_target };
    if authorize(subject(false), Action::ViewWorkspaceKeys).is_allowed() && authorize(subject(false), Action::ViewKey).is_allowed() {
        KeyScope::All
    } else if authorize(subject(true), Action::ViewKey).is_allowed() {
        KeyScope::Own
    } else {
        KeyScope::Nothing
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    /// The actors of the matrix, in column order.
    const ACTORS: [&str; 8] =
        ["org_admin", "org_admin_ws_member", "billing", "billing_ws_admin", "billing_ws_member", "ws_admin", "ws_member", "non_member"];

    /// Each actor as the subject it presents.
    fn actor(name: &str, owns: bool) -> Subject {
        let (org_role, workspace_role) = match name {
            "org_admin" => (OrgRole::Admin, None),
            // An organization admin added to a workspace as a plain member
            // keeps every organization right there.
            "org_admin_ws_member" => (OrgRole::Admin, Some(WorkspaceRole::Member)),
            "billing" => (OrgRole::BillingManager, None),
            "billing_ws_admin" => (OrgRole::BillingManager, Some(WorkspaceRole::Admin)),
            "billing_ws_member" => (OrgRole::BillingManager, Some(WorkspaceRole::Member)),
            "ws_admin" => (OrgRole::Member, Some(WorkspaceRole::Admin)),
            "ws_member" => (OrgRole::Member, Some(WorkspaceRole::Member)),
            "non_member" => (OrgRole::Member, None),
            other => panic!("unknown actor {other}"),
        };
        Subject { org_role, workspace_role, owns_target: owns }
    }

    const T: bool = true;
    const F: bool = false;

    /// The full matrix, written out by hand: for each action, the actors
    /// allowed when they do NOT own the target, and when they do.
    /// Columns: org_admin, org_admin_ws_member, billing, billing_ws_admin,
    /// billing_ws_member, ws_admin, ws_member, non_member.
    #[test]
    fn authorization_matrix_matches_the_documented_roles() {
        #[rustfmt::skip]
        let expected: &[(Action, [bool; 8], [bool; 8])] = &[
            //                              not owner                  owner
            (ViewOrganization,           [T, T, T, T, T, T, T, T], [T, T, T, T, T, T, T, T]),
            (ManageBilling,              [T, T, T, T, T, F, F, F], [T, T, T, T, T, F, F, F]),
            (ManageOrganizationSettings, [T, T, F, F, F, F, F, F], [T, T, F, F, F, F, F, F]),
            (ViewUsers,                  [T, T, F, F, F, F, F, F], [T, T, F, F, F, F, F, F]),
            (ViewUser,                   [T, T, F, F, F, F, F, F], [T, T, T, T, T, T, T, T]),
            (ManageUsers,                [T, T, F, F, F, F, F, F], [T, T, F, F, F, F, F, F]),
            (ViewAuditLog,               [T, T, F, F, F, F, F, F], [T, T, F, F, F, F, F, F]),
            (ManageAdminKeys,            [T, T, F, F, F, F, F, F], [T, T, F, F, F, F, F, F]),
            (RecordUsage,                [T, T, F, F, F, F, F, F], [T, T, F, F, F, F, F, F]),
            (CreateWorkspace,            [T, T, F, F, F, F, F, F], [T, T, F, F, F, F, F, F]),
            (DeleteWorkspace,            [T, T, F, F, F, F, F, F], [T, T, F, F, F, F, F, F]),
            (ViewWorkspace,              [T, T, T, T, T, T, T, F], [T, T, T, T, T, T, T, F]),
            (UpdateWorkspace,            [T, T, F, T, F, T, F, F], [T, T, F, T, F, T, F, F]),
            (ViewMembers,                [T, T, F, T, T, T, T, F], [T, T, F, T, T, T, T, F]),
            (ManageMembers,              [T, T, F, T, F, T, F, F], [T, T, F, T, F, T, F, F]),
            (ViewWorkspaceKeys,          [T, T, F, T, F, T, F, F], [T, T, F, T, F, T, F, F]),
            (CreateOwnKey,               [T, T, F, T, T, T, T, F], [T, T, F, T, T, T, T, F]),
            (CreateKeyForOther,          [T, T, F, T, F, T, F, F], [T, T, F, T, F, T, F, F]),
            (ViewKey,                    [T, T, F, T, F, T, F, F], [T, T, F, T, T, T, T, F]),
            (ManageKey,                  [T, T, F, T, F, T, F, F], [T, T, F, T, T, T, T, F]),
            (ViewUsage,                  [T, T, T, T, T, T, T, F], [T, T, T, T, T, T, T, F]),
            (SetKeyBudget,               [T, T, F, T, F, T, F, F], [T, T, F, T, F, T, F, F]),
            (ViewSpendAlerts,            [T, T, T, T, T, T, F, F], [T, T, T, T, T, T, F, F]),
            (ManageSharedConnectors,     [T, T, F, T, F, T, F, F], [T, T, F, T, F, T, F, F]),
            (ManageConnector,            [T, T, F, T, F, T, F, F], [T, T, F, T, T, T, T, F]),
            (ViewConnectors,             [T, T, F, T, T, T, T, F], [T, T, F, T, T, T, T, F]),
        ];
        let mut failures = Vec::new();
        for (action, not_owner, owner) in expected {
            for (i, name) in ACTORS.iter().enumerate() {
                for (owns, want) in [(false, not_owner[i]), (true, owner[i])] {
                    let got = authorize(actor(name, owns), *action).is_allowed();
                    if got != want {
                        failures.push(format!("{action:?} by {name} (owns={owns}): expected {want}, got {got}"));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        // Every action has a row, so a new one cannot slip in unreviewed.
        let listed: Vec<Action> = expected.iter().map(|(a, _, _)| *a).collect();
        for a in [
            ViewOrganization,
            ManageBilling,
            ManageOrganizationSettings,
            ViewUsers,
            ViewUser,
            ManageUsers,
            ViewAuditLog,
            ManageAdminKeys,
            RecordUsage,
            CreateWorkspace,
            ViewWorkspace,
            UpdateWorkspace,
            DeleteWorkspace,
            ViewMembers,
            ManageMembers,
            ViewWorkspaceKeys,
            CreateOwnKey,
            CreateKeyForOther,
            ViewKey,
            ManageKey,
            ViewUsage,
            SetKeyBudget,
            ViewSpendAlerts,
            ManageSharedConnectors,
            ManageConnector,
            ViewConnectors,
        ] {
            assert!(listed.contains(&a), "{a:?} has no row in the matrix");
        }
    }

    /// What a key listing shows each actor of one workspace, by hand.
    #[test]
    fn key_listing_shows_all_keys_to_admins_and_own_keys_to_members() {
        use KeyScope::{All, Nothing, Own};
        let expected = [All, All, Nothing, All, Own, All, Own, Nothing];
        for (name, want) in ACTORS.iter().zip(expected) {
            let s = actor(name, false);
            assert_eq!(key_scope(s.org_role, s.workspace_role), want, "{name}");
        }
    }

    #[test]
    fn denial_carries_a_reason_for_people() {
        let d = authorize(actor("non_member", false), ViewWorkspace);
        assert_eq!(d, Decision::Deny(NOT_A_MEMBER));
        let err = d.check().unwrap_err();
        assert_eq!(err.code, crate::error::ErrorCode::Forbidden);
        let d = authorize(actor("billing", false), ManageOrganizationSettings);
        assert_eq!(d, Decision::Deny(SETTINGS_ADMIN_ONLY));
    }
}
