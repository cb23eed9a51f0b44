//! Organization members on the wire: listing, creating, inviting and
//! changing users, and one-time passwords.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use keydesk_core::model::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Unreadable;

#[derive(Serialize, Deserialize, Clone)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberWorkspaceInfo {
    pub uuid: Uuid,
    pub name: String,
    pub is_default: bool,
    /// Workspace role codes: `A` admin, `M` member.
    pub raw_roles: Vec<String>,
    pub raw_role: String,
}

/// An organization member (`AdminOrganizationMemberOUT`, and with
/// `first_name`/`last_name` the single-user `AdminUserOUT`).
#[derive(Serialize, Deserialize, Clone)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminUserOut {
    pub uuid: Uuid,
    pub oid_id: Option<Uuid>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub is_sso_outsider: Option<bool>,
    pub workspaces: Option<Vec<MemberWorkspaceInfo>>,
    pub subscriptions: Vec<serde_json::Value>,
    /// Organization role codes: `A` admin, `M` member, `B` billing manager.
    pub raw_roles: Vec<String>,
    pub raw_role: String,
    pub subscription_types: Option<Vec<String>>,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
}

impl AdminUserOut {
    pub fn from_user(u: &User, workspaces: Option<Vec<MemberWorkspaceInfo>>, with_names: bool) -> Self {
        let (first, last) = match u.name.trim().split_once(' ') {
            Some((f, l)) => (f.to_owned(), l.trim().to_owned()),
            None => (u.name.trim().to_owned(), String::new()),
        };
        AdminUserOut {
            uuid: u.id,
            oid_id: None,
            name: Some(u.name.clone()),
            email: Some(u.email.clone()),
            is_sso_outsider: Some(false),
            workspaces,
            subscriptions: vec![],
            raw_roles: vec![u.org_role.code().to_owned()],
            raw_role: u.org_role.code().to_owned(),
            subscription_types: None,
            created_at: u.created_at,
            first_name: with_names.then_some(first),
            last_name: with_names.then_some(last),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganizationAdminUsersOut {
    pub members: Vec<AdminUserOut>,
    /// Always empty: Keydesk creates users directly, no invitation stays pending.
    pub invites: Vec<serde_json::Value>,
    pub total: Option<i64>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct UsersQuery {
    pub page: Option<i64>,
    pub page_size: Option<i64>,
    /// Email address (or part of it) to filter users by.
    pub email: Option<String>,
}

/// One user to create (`OrganizationMemberCreate`).
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganizationMemberCreate {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role_names: Option<Vec<String>>,
    pub roles: Option<Vec<String>>,
    pub role_name: Option<String>,
    pub role: Option<String>,
    /// Accepted and ignored: Keydesk has no product seats.
    pub subscription_types: Option<Vec<String>>,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganizationUsersCreateOut {
    pub invalid_emails: Vec<String>,
    pub email_to_user_id: BTreeMap<String, String>,
}

/// `AdminOrganizationMemberUpdate`.
#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminOrganizationMemberUpdate {
    pub role_names: Option<Vec<String>>,
    pub roles: Option<Vec<String>>,
    pub role_name: Option<String>,
    pub role: Option<String>,
    /// Accepted and ignored: Keydesk has no product seats.
    pub subscription_types: Option<Vec<String>>,
}

/// `OrganizationInviteIN`. Keydesk sends no email: invited addresses become
/// users at once and sign in with a password an admin issues them.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganizationInviteIn {
    /// One address, or several separated by commas or new lines.
    pub email: String,
    pub role_names: Option<Vec<String>>,
    pub roles: Option<Vec<String>>,
    pub role_name: Option<String>,
    pub role: Option<String>,
    pub workspace_uuids: Option<Vec<Uuid>>,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganizationInvitesCreateOut {
    pub invalid_emails: Vec<String>,
    pub already_members: Vec<String>,
    pub invited_members_count: Option<i64>,
}

/// A one-time password, shown once (Keydesk addition).
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuedPasswordOut {
    pub user_id: Uuid,
    pub password: String,
}

impl TryFrom<AdminUserOut> for User {
    type Error = Unreadable;

    fn try_from(u: AdminUserOut) -> Result<Self, Unreadable> {
        let org_role = OrgRole::from_code(&u.raw_role).ok_or_else(|| Unreadable(format!("unknown organization role '{}'", u.raw_role)))?;
        Ok(User { id: u.uuid, email: u.email.unwrap_or_default(), name: u.name.unwrap_or_default(), org_role, created_at: u.created_at })
    }
}
