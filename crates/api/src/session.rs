//! Sessions and the signed-in user on the wire: sign-in, `me`, passwords,
//! one's own keys.

use chrono::{DateTime, Utc};
use keydesk_core::model::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::*;

/// Sign-in body. Not `Debug`: it carries a password.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInIn {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, Deserialize, Clone)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserOut {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    /// `A` admin, `M` member, `B` billing manager.
    pub org_role: String,
    /// `organization_admin`, `member` or `billing_manager`.
    pub org_role_name: String,
    pub created_at: DateTime<Utc>,
}

impl From<&User> for UserOut {
    fn from(u: &User) -> Self {
        UserOut {
            id: u.id,
            email: u.email.clone(),
            name: u.name.clone(),
            org_role: u.org_role.code().to_owned(),
            org_role_name: org_role_name(u.org_role).to_owned(),
            created_at: u.created_at,
        }
    }
}

/// A new session. Not `Debug`: it carries the token.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionOut {
    /// Opaque token for `Authorization: Bearer`, shown once.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserOut,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeOut {
    pub user: UserOut,
    /// Workspaces the user belongs to, with their role.
    pub workspaces: Vec<MemberWorkspaceInfo>,
    /// `session` or `admin_api_key`.
    pub credential: String,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePasswordIn {
    pub current_password: String,
    pub new_password: String,
}

impl TryFrom<UserOut> for User {
    type Error = Unreadable;

    fn try_from(u: UserOut) -> Result<Self, Unreadable> {
        let org_role = OrgRole::from_code(&u.org_role).ok_or_else(|| Unreadable(format!("unknown organization role '{}'", u.org_role)))?;
        Ok(User { id: u.id, email: u.email, name: u.name, org_role, created_at: u.created_at })
    }
}
