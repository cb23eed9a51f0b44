//! Workspaces and their members on the wire, with Keydesk's workspace
//! settings (spend limit, key policy, rate limits).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use keydesk_core::model::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::*;

#[derive(Serialize, Deserialize, Clone)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceSpendLimitOut {
    /// Monthly limit in USD; null when there is none.
    pub value: Option<f64>,
    pub currency: Option<String>,
    pub no_monthly_limit: Option<bool>,
}

#[derive(Serialize, Deserialize, Clone)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RateLimitsSettings {
    /// Requests per second for the whole workspace; null: no workspace limit.
    pub requests_per_second: Option<i32>,
    /// Tokens per minute, per model id.
    pub tokens_per_minute: BTreeMap<String, i64>,
}

/// `WorkspaceOUT`, with Keydesk's settings added.
#[derive(Serialize, Deserialize, Clone)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceOut {
    pub uuid: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub icon: Option<String>,
    pub members_count: Option<i64>,
    pub spend_limit: Option<WorkspaceSpendLimitOut>,
    pub is_default: bool,
    /// Keydesk: longest validity, in days, of new keys in this workspace.
    pub key_max_days: Option<i32>,
    /// Keydesk: request and token rate limits.
    pub rate_limits: RateLimitsSettings,
    pub created_at: DateTime<Utc>,
}

impl From<&Workspace> for WorkspaceOut {
    fn from(w: &Workspace) -> Self {
        WorkspaceOut {
            uuid: w.id,
            name: w.name.clone(),
            description: Some(w.description.clone()),
            icon: Some(w.icon.clone()),
            members_count: Some(w.members_count),
            spend_limit: Some(WorkspaceSpendLimitOut {
                value: w.monthly_spend_limit_micros.map(usd),
                currency: Some(CURRENCY.into()),
                no_monthly_limit: Some(w.monthly_spend_limit_micros.is_none()),
            }),
            is_default: w.is_default,
            key_max_days: w.key_max_days,
            rate_limits: RateLimitsSettings {
                requests_per_second: w.rate_limits.requests_per_second,
                tokens_per_minute: w.rate_limits.tokens_per_minute.clone(),
            },
            created_at: w.created_at,
        }
    }
}

/// `WorkspaceEnrichedOUT`: the workspace and the roles granted in it.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceEnrichedOut {
    #[serde(flatten)]
    pub workspace: WorkspaceOut,
    pub raw_roles: Vec<String>,
    pub raw_role: String,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspacesOut {
    pub total: i64,
    pub items: Vec<WorkspaceOut>,
    pub object: String,
    pub page: i64,
    pub page_size: i64,
}

#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct WorkspacesQuery {
    /// Keydesk has no archived workspaces: deleted ones are gone.
    pub is_archived: Option<bool>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
    /// Name substring, case- and accent-insensitive.
    pub search: Option<String>,
}

/// `AdminWorkspaceIn`.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminWorkspaceIn {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub icon: String,
    #[serde(default)]
    pub add_all_org_members: bool,
    pub admin_user_id: Uuid,
}

/// `UpdateWorkspaceIN`: absent or null fields stay unchanged.
#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateWorkspaceIn {
    pub name: Option<String>,
    pub description: Option<String>,
    pub icon: Option<String>,
    /// Keydesk: any of the settings of `PATCH .../settings`, changed in the
    /// same transaction as the fields above.
    #[serde(flatten)]
    pub settings: WorkspaceSettingsIn,
}

impl UpdateWorkspaceIn {
    /// Whether the patch changes nothing at all.
    pub fn is_empty(&self) -> bool {
        let WorkspaceSettingsIn { monthly_spend_limit, key_max_days, requests_per_second, tokens_per_minute } = &self.settings;
        self.name.is_none()
            && self.description.is_none()
            && self.icon.is_none()
            && monthly_spend_limit.is_none()
            && key_max_days.is_none()
            && requests_per_second.is_none()
            && tokens_per_minute.is_none()
    }
}

/// Keydesk: several keys to delete at once, all or none.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeleteApiKeysIn {
    pub key_ids: Vec<Uuid>,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeleteApiKeysOut {
    pub deleted_count: i64,
}

/// Keydesk: whether deleting a workspace is confirmed (the default).
#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct DeleteWorkspaceQuery {
    /// `false`: delete nothing, answer how many keys would be revoked.
    pub confirm: Option<bool>,
}

/// Keydesk's workspace settings: absent fields stay unchanged, null clears.
#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceSettingsIn {
    /// Monthly spending limit in USD (null: none).
    #[serde(default, deserialize_with = "crate::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub monthly_spend_limit: Option<Option<f64>>,
    /// Longest validity, in days, of new keys (null: no workspace policy).
    #[serde(default, deserialize_with = "crate::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i32>))]
    pub key_max_days: Option<Option<i32>>,
    /// Requests per second (null: no workspace limit).
    #[serde(default, deserialize_with = "crate::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i32>))]
    pub requests_per_second: Option<Option<i32>>,
    /// Tokens per minute per model; replaces the whole map.
    pub tokens_per_minute: Option<BTreeMap<String, i64>>,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceMemberSingleIn {
    pub user_uuid: Uuid,
    pub role_names: Option<Vec<String>>,
    pub roles: Option<Vec<String>>,
    pub role_name: Option<String>,
    pub role: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceMemberIn {
    pub members: Option<Vec<WorkspaceMemberSingleIn>>,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddUsersToWorkspaceOut {
    pub added_members_count: i64,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddOrUpdateUsersToWorkspaceOut {
    pub added_members_count: i64,
    pub updated_members_count: i64,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BaseWorkspaceMemberIn {
    pub user_uuid: Uuid,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemoveWorkspaceMembersIn {
    pub members: Vec<BaseWorkspaceMemberIn>,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemoveWorkspaceMembersOut {
    pub deleted_members_count: i64,
    pub not_deleted_members: Option<Vec<Uuid>>,
}

/// A workspace member (Keydesk addition).
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceMemberOut {
    pub user_uuid: Uuid,
    pub email: String,
    pub name: String,
    pub raw_roles: Vec<String>,
    pub raw_role: String,
    pub added_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceMembersOut {
    pub members: Vec<WorkspaceMemberOut>,
}

impl From<WorkspaceOut> for Workspace {
    fn from(w: WorkspaceOut) -> Self {
        Workspace {
            id: w.uuid,
            name: w.name,
            description: w.description.unwrap_or_default(),
            icon: w.icon.unwrap_or_default(),
            is_default: w.is_default,
            members_count: w.members_count.unwrap_or(0),
            monthly_spend_limit_micros: w.spend_limit.and_then(|s| s.value).map(micros),
            rate_limits: RateLimits {
                requests_per_second: w.rate_limits.requests_per_second,
                tokens_per_minute: w.rate_limits.tokens_per_minute,
            },
            key_max_days: w.key_max_days,
            created_at: w.created_at,
        }
    }
}

impl TryFrom<WorkspaceMemberOut> for WorkspaceMember {
    type Error = Unreadable;

    fn try_from(m: WorkspaceMemberOut) -> Result<Self, Unreadable> {
        let role = WorkspaceRole::from_code(&m.raw_role).ok_or_else(|| Unreadable(format!("unknown workspace role '{}'", m.raw_role)))?;
        Ok(WorkspaceMember { user_id: m.user_uuid, email: m.email, name: m.name, role, added_at: m.added_at })
    }
}
