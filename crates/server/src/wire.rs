//! The wire format: request and response bodies exactly as the platform's
//! Admin API names them (`uuid`, `key_id`, `hidden_key`, `raw_roles`...),
//! plus Keydesk's own additions in the same style, and the conversions
//! from core's model types. Role names and codes are translated here.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use keydesk_core::model::{
    ActionAvailability, ApiKey, AuditEvent, ConnectorScope, KeyProduct, KeyStatus, MonthlySpend, OrgRole, RoleInfo, User, Workspace,
    WorkspaceRole,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::ApiError;

pub const CURRENCY: &str = "USD";

pub fn usd(micros: i64) -> f64 {
    micros as f64 / 1_000_000.0
}

/// An amount of USD from a request, as micro-USD; refuses what cannot be one.
pub fn usd_to_micros(field: &str, v: f64) -> Result<i64, crate::error::ApiError> {
    if !v.is_finite() || !(0.0..=1e12).contains(&v) {
        return Err(crate::error::ApiError::validation(field, format!("{field} must be between 0 and 1000000000000")));
    }
    Ok((v * 1_000_000.0).round() as i64)
}

// ---------------------------------------------------------------- roles

/// Organization role names of the Admin API.
pub fn org_role_name(role: OrgRole) -> &'static str {
    match role {
        OrgRole::Admin => "organization_admin",
        OrgRole::Member => "member",
        OrgRole::BillingManager => "billing_manager",
    }
}

/// Workspace role names of the Admin API. Keydesk's workspace member can do
/// what the platform's "workspace_contributor" can.
pub fn workspace_role_name(role: WorkspaceRole) -> &'static str {
    match role {
        WorkspaceRole::Admin => "workspace_admin",
        WorkspaceRole::Member => "workspace_contributor",
    }
}

/// The four ways a request may name roles: `role_names`, `roles` (codes or
/// role uuids), `role_name`, `role`. The first one present wins.
pub struct RoleFields<'a> {
    pub role_names: &'a Option<Vec<String>>,
    pub roles: &'a Option<Vec<String>>,
    pub role_name: &'a Option<String>,
    pub role: &'a Option<String>,
}

/// The role fields of a request body that has all four.
#[macro_export]
macro_rules! role_fields {
    ($body:expr) => {
        $crate::wire::RoleFields { role_names: &$body.role_names, roles: &$body.roles, role_name: &$body.role_name, role: &$body.role }
    };
}

/// Reads one role from whichever role field is present. Several roles give
/// the union of their rights, which in Keydesk is the highest of them
/// (`rank`). `from_code` reads the single-letter codes; role uuids are those
/// listed by `GET /v1/admin/roles`.
fn role_from<R: Copy>(
    fields: RoleFields<'_>,
    role_uuids: &[RoleInfo],
    by_name: impl Fn(&str) -> Option<R>,
    from_code: impl Fn(&str) -> Option<R>,
    rank: impl Fn(R) -> u8,
    unknown: impl Fn(&str) -> String,
) -> Result<Option<R>, ApiError> {
    let by_value = |v: &str| {
        from_code(v).or_else(|| {
            let id = Uuid::parse_str(v).ok()?;
            role_uuids.iter().find(|r| r.uuid == id).and_then(|r| by_name(&r.name))
        })
    };
    fn listed(v: &Option<Vec<String>>) -> Option<Vec<&str>> {
        v.as_ref().filter(|v| !v.is_empty()).map(|v| v.iter().map(String::as_str).collect())
    }
    let (field, values, by_code): (&str, Vec<&str>, bool) = if let Some(v) = listed(fields.role_names) {
        ("role_names", v, false)
    } else if let Some(v) = listed(fields.roles) {
        ("roles", v, true)
    } else if let Some(v) = fields.role_name {
        ("role_name", vec![v.as_str()], false)
    } else if let Some(v) = fields.role {
        ("role", vec![v.as_str()], true)
    } else {
        return Ok(None);
    };
    let mut best: Option<R> = None;
    for v in values {
        let r = if by_code { by_value(v) } else { by_name(v) };
        let r = r.ok_or_else(|| ApiError::validation(field, unknown(v)))?;
        if best.is_none_or(|b| rank(r) > rank(b)) {
            best = Some(r);
        }
    }
    Ok(best)
}

/// Reads the organization role of a request.
pub fn org_role_from(fields: RoleFields<'_>, role_uuids: &[RoleInfo]) -> Result<Option<OrgRole>, ApiError> {
    role_from(
        fields,
        role_uuids,
        |n| match n {
            "organization_admin" => Some(OrgRole::Admin),
            "member" => Some(OrgRole::Member),
            "billing_manager" => Some(OrgRole::BillingManager),
            _ => None,
        },
        OrgRole::from_code,
        |r| match r {
            OrgRole::Member => 0,
            OrgRole::BillingManager => 1,
            OrgRole::Admin => 2,
        },
        |v| format!("unknown organization role '{v}'"),
    )
}

/// Reads the workspace role of a request. The platform's product-access
/// roles (`user`, `dev`, `contributor`...) all mean "member" in Keydesk;
/// roles with no Keydesk meaning (billing, observability) are refused.
pub fn workspace_role_from(fields: RoleFields<'_>, role_uuids: &[RoleInfo]) -> Result<Option<WorkspaceRole>, ApiError> {
    role_from(
        fields,
        role_uuids,
        |n| match n {
            "workspace_admin" => Some(WorkspaceRole::Admin),
            "workspace_contributor" | "contributor" | "user" | "dev" | "dev_contributor" | "mistral_code_user" | "cloud_user" => {
                Some(WorkspaceRole::Member)
            }
            _ => None,
        },
        WorkspaceRole::from_code,
        |r| u8::from(r == WorkspaceRole::Admin),
        |v| format!("workspace role '{v}' is not supported by Keydesk"),
    )
}

/// Core's roles with the Admin API's names.
pub fn roles_with_api_names(svc: &keydesk_core::Service) -> (Vec<RoleInfo>, Vec<RoleInfo>) {
    let roles = svc.roles();
    let rename = |mut r: RoleInfo, name: &str| {
        r.name = name.to_owned();
        r
    };
    let org = roles
        .organization_roles
        .into_iter()
        .map(|r| {
            let name = match r.name.as_str() {
                "admin" => "organization_admin",
                other => {
                    if other == "billing_manager" {
                        "billing_manager"
                    } else {
                        "member"
                    }
                }
            };
            rename(r, name)
        })
        .collect();
    let ws = roles
        .workspace_roles
        .into_iter()
        .map(|r| {
            let name = if r.name == "workspace_admin" { "workspace_admin" } else { "workspace_contributor" };
            rename(r, name)
        })
        .collect();
    (org, ws)
}

// ---------------------------------------------------------------- common

#[derive(Serialize, ToSchema)]
pub struct DeleteOut {
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct DeleteApiKeyOut {
    pub detail: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number to return (from 1).
    pub page: Option<i64>,
    /// Maximum number of results per page.
    pub page_size: Option<i64>,
}

/// Largest `page_size` accepted.
pub const MAX_PAGE_SIZE: i64 = 1000;

impl PageParams {
    /// `(page, page_size, offset)`, validated.
    pub fn resolve(&self) -> Result<(i64, i64, usize), ApiError> {
        let page = self.page.unwrap_or(1);
        let size = self.page_size.unwrap_or(25);
        if page < 1 {
            return Err(ApiError::validation("page", "page must be 1 or more"));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&size) {
            return Err(ApiError::validation("page_size", format!("page_size must be between 1 and {MAX_PAGE_SIZE}")));
        }
        let offset = (page - 1).saturating_mul(size);
        Ok((page, size, usize::try_from(offset).unwrap_or(usize::MAX)))
    }
}

pub fn page_of<T: Clone>(items: &[T], offset: usize, size: i64) -> Vec<T> {
    items.iter().skip(offset).take(size as usize).cloned().collect()
}

// ---------------------------------------------------------------- users

#[derive(Serialize, ToSchema, Clone)]
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
#[derive(Serialize, ToSchema, Clone)]
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

#[derive(Serialize, ToSchema)]
pub struct OrganizationAdminUsersOut {
    pub members: Vec<AdminUserOut>,
    /// Always empty: Keydesk creates users directly, no invitation stays pending.
    pub invites: Vec<serde_json::Value>,
    pub total: Option<i64>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    pub page: Option<i64>,
    pub page_size: Option<i64>,
    /// Email address (or part of it) to filter users by.
    pub email: Option<String>,
}

/// One user to create (`OrganizationMemberCreate`).
#[derive(Deserialize, ToSchema)]
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

#[derive(Serialize, ToSchema)]
pub struct OrganizationUsersCreateOut {
    pub invalid_emails: Vec<String>,
    pub email_to_user_id: BTreeMap<String, String>,
}

/// `AdminOrganizationMemberUpdate`.
#[derive(Deserialize, ToSchema, Default)]
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
#[derive(Deserialize, ToSchema)]
pub struct OrganizationInviteIn {
    /// One address, or several separated by commas or new lines.
    pub email: String,
    pub role_names: Option<Vec<String>>,
    pub roles: Option<Vec<String>>,
    pub role_name: Option<String>,
    pub role: Option<String>,
    pub workspace_uuids: Option<Vec<Uuid>>,
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationInvitesCreateOut {
    pub invalid_emails: Vec<String>,
    pub already_members: Vec<String>,
    pub invited_members_count: Option<i64>,
}

/// A one-time password, shown once (Keydesk addition).
#[derive(Serialize, ToSchema)]
pub struct IssuedPasswordOut {
    pub user_id: Uuid,
    pub password: String,
}

// ---------------------------------------------------------------- roles

#[derive(Serialize, ToSchema)]
pub struct RoleOut {
    pub name: String,
    pub uuid: Uuid,
    pub description: String,
    pub is_custom_role: bool,
}

impl From<RoleInfo> for RoleOut {
    fn from(r: RoleInfo) -> Self {
        RoleOut { name: r.name, uuid: r.uuid, description: r.description, is_custom_role: false }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RolesOut {
    pub workspace_roles: Vec<RoleOut>,
    pub organization_roles: Vec<RoleOut>,
}

// ---------------------------------------------------------------- workspaces

#[derive(Serialize, ToSchema, Clone)]
pub struct WorkspaceSpendLimitOut {
    /// Monthly limit in USD; null when there is none.
    pub value: Option<f64>,
    pub currency: Option<String>,
    pub no_monthly_limit: Option<bool>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct RateLimitsSettings {
    /// Requests per second for the whole workspace; null: no workspace limit.
    pub requests_per_second: Option<i32>,
    /// Tokens per minute, per model id.
    pub tokens_per_minute: BTreeMap<String, i64>,
}

/// `WorkspaceOUT`, with Keydesk's settings added.
#[derive(Serialize, ToSchema, Clone)]
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
#[derive(Serialize, ToSchema)]
pub struct WorkspaceEnrichedOut {
    #[serde(flatten)]
    pub workspace: WorkspaceOut,
    pub raw_roles: Vec<String>,
    pub raw_role: String,
}

#[derive(Serialize, ToSchema)]
pub struct WorkspacesOut {
    pub total: i64,
    pub items: Vec<WorkspaceOut>,
    pub object: String,
    pub page: i64,
    pub page_size: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkspacesQuery {
    /// Keydesk has no archived workspaces: deleted ones are gone.
    pub is_archived: Option<bool>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
    /// Name substring, case- and accent-insensitive.
    pub search: Option<String>,
}

/// `AdminWorkspaceIn`.
#[derive(Deserialize, ToSchema)]
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
#[derive(Deserialize, ToSchema, Default)]
pub struct UpdateWorkspaceIn {
    pub name: Option<String>,
    pub description: Option<String>,
    pub icon: Option<String>,
    /// Keydesk: any of the settings of `PATCH .../settings`, changed in the
    /// same transaction as the fields above.
    #[serde(flatten)]
    pub settings: WorkspaceSettingsIn,
}

/// Keydesk: several keys to delete at once, all or none.
#[derive(Deserialize, ToSchema)]
pub struct DeleteApiKeysIn {
    pub key_ids: Vec<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct DeleteApiKeysOut {
    pub deleted_count: i64,
}

/// Keydesk: whether deleting a workspace is confirmed (the default).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteWorkspaceQuery {
    /// `false`: delete nothing, answer how many keys would be revoked.
    pub confirm: Option<bool>,
}

/// Keydesk's workspace settings: absent fields stay unchanged, null clears.
#[derive(Deserialize, ToSchema, Default)]
pub struct WorkspaceSettingsIn {
    /// Monthly spending limit in USD (null: none).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub monthly_spend_limit: Option<Option<f64>>,
    /// Longest validity, in days, of new keys (null: no workspace policy).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>)]
    pub key_max_days: Option<Option<i32>>,
    /// Requests per second (null: no workspace limit).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>)]
    pub requests_per_second: Option<Option<i32>>,
    /// Tokens per minute per model; replaces the whole map.
    pub tokens_per_minute: Option<BTreeMap<String, i64>>,
}

/// Tells an absent field (`None`) from an explicit null (`Some(None)`).
fn double_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

#[derive(Deserialize, ToSchema)]
pub struct WorkspaceMemberSingleIn {
    pub user_uuid: Uuid,
    pub role_names: Option<Vec<String>>,
    pub roles: Option<Vec<String>>,
    pub role_name: Option<String>,
    pub role: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct WorkspaceMemberIn {
    pub members: Option<Vec<WorkspaceMemberSingleIn>>,
}

#[derive(Serialize, ToSchema)]
pub struct AddUsersToWorkspaceOut {
    pub added_members_count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct AddOrUpdateUsersToWorkspaceOut {
    pub added_members_count: i64,
    pub updated_members_count: i64,
}

#[derive(Deserialize, ToSchema)]
pub struct BaseWorkspaceMemberIn {
    pub user_uuid: Uuid,
}

#[derive(Deserialize, ToSchema)]
pub struct RemoveWorkspaceMembersIn {
    pub members: Vec<BaseWorkspaceMemberIn>,
}

#[derive(Serialize, ToSchema)]
pub struct RemoveWorkspaceMembersOut {
    pub deleted_members_count: i64,
    pub not_deleted_members: Option<Vec<Uuid>>,
}

/// A workspace member (Keydesk addition).
#[derive(Serialize, ToSchema)]
pub struct WorkspaceMemberOut {
    pub user_uuid: Uuid,
    pub email: String,
    pub name: String,
    pub raw_roles: Vec<String>,
    pub raw_role: String,
    pub added_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct WorkspaceMembersOut {
    pub members: Vec<WorkspaceMemberOut>,
}

// ---------------------------------------------------------------- API keys

/// Availability of an action on a key, with the spec's reason codes.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ActionOut {
    Available,
    Unavailable {
        /// `unsupported_scope`, `key_expired` or `not_allowed`.
        #[schema(value_type = Option<String>)]
        reason: Option<keydesk_core::model::UnavailableReason>,
    },
}

impl From<ActionAvailability> for ActionOut {
    fn from(a: ActionAvailability) -> Self {
        match a {
            ActionAvailability::Available => ActionOut::Available,
            ActionAvailability::Unavailable { reason } => ActionOut::Unavailable { reason },
        }
    }
}

#[derive(Serialize, ToSchema, Clone, Copy)]
pub struct ApiKeyActionsOut {
    pub rotate: Option<ActionOut>,
    pub delete: Option<ActionOut>,
}

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
pub enum ProductOut {
    #[serde(rename = "API")]
    Api,
    #[serde(rename = "Mistral Code")]
    MistralCode,
    #[serde(rename = "Vibe")]
    Vibe,
}

impl From<KeyProduct> for ProductOut {
    fn from(p: KeyProduct) -> Self {
        match p {
            KeyProduct::Api => ProductOut::Api,
            KeyProduct::Vibe => ProductOut::Vibe,
            KeyProduct::MistralCode => ProductOut::MistralCode,
        }
    }
}

impl From<ProductOut> for KeyProduct {
    fn from(p: ProductOut) -> Self {
        match p {
            ProductOut::Api => KeyProduct::Api,
            ProductOut::Vibe => KeyProduct::Vibe,
            ProductOut::MistralCode => KeyProduct::MistralCode,
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ConnectorScopeWire {
    Shared,
    PrivateAndShared,
}

impl From<ConnectorScope> for ConnectorScopeWire {
    fn from(s: ConnectorScope) -> Self {
        match s {
            ConnectorScope::Shared => ConnectorScopeWire::Shared,
            ConnectorScope::PrivateAndShared => ConnectorScopeWire::PrivateAndShared,
        }
    }
}

impl From<ConnectorScopeWire> for ConnectorScope {
    fn from(s: ConnectorScopeWire) -> Self {
        match s {
            ConnectorScopeWire::Shared => ConnectorScope::Shared,
            ConnectorScopeWire::PrivateAndShared => ConnectorScope::PrivateAndShared,
        }
    }
}

/// `APIKeyExtendedOUT` (and, with `key` set once at creation, `APIKeyOUT`),
/// with Keydesk's fields added. Not `Debug`: it may carry a secret.
#[derive(Serialize, ToSchema)]
pub struct ApiKeyOut {
    pub key_id: Uuid,
    /// The full secret: only in the answer that created the key.
    pub key: Option<String>,
    pub name: Option<String>,
    pub hidden_key: String,
    pub created_at: Option<DateTime<Utc>>,
    pub expiration_date: Option<NaiveDate>,
    pub actions: ApiKeyActionsOut,
    pub workspace_id: Option<Uuid>,
    pub workspace_name: Option<String>,
    /// Email of the key's owner.
    pub created_by: Option<String>,
    pub product: Option<ProductOut>,
    pub last_used: Option<NaiveDate>,
    pub can_delete: Option<bool>,
    /// Keydesk: the owner's user id.
    pub user_id: Uuid,
    /// Keydesk: `active`, `expired` or `inactive` (billing not active).
    #[schema(value_type = String)]
    pub status: KeyStatus,
    pub connector_scope: ConnectorScopeWire,
    pub last_used_at: Option<DateTime<Utc>>,
    /// Keydesk: set while the key is in a rotation grace period.
    pub rotation_ends_at: Option<DateTime<Utc>>,
    /// Keydesk: true when the requested expiration was moved by the policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_clamped: Option<bool>,
    /// Keydesk: the key's own monthly spending cap in USD (null: none).
    pub monthly_budget: Option<f64>,
}

impl ApiKeyOut {
    pub fn from_key(k: &ApiKey) -> Self {
        ApiKeyOut {
            key_id: k.key_id,
            key: None,
            name: k.name.clone(),
            hidden_key: k.hidden_key.clone(),
            created_at: Some(k.created_at),
            expiration_date: k.expiration_date,
            actions: ApiKeyActionsOut { rotate: Some(k.actions.rotate.into()), delete: Some(k.actions.delete.into()) },
            workspace_id: Some(k.workspace_id),
            workspace_name: Some(k.workspace_name.clone()),
            created_by: Some(k.owner_email.clone()),
            product: Some(k.product.into()),
            last_used: k.last_used_at.map(|t| t.date_naive()),
            can_delete: Some(k.actions.delete.is_available()),
            user_id: k.owner_id,
            status: k.status,
            connector_scope: k.connector_scope.into(),
            last_used_at: k.last_used_at,
            rotation_ends_at: k.delete_after,
            expiration_clamped: None,
            monthly_budget: k.monthly_budget_micros.map(usd),
        }
    }

    pub fn from_created(c: &keydesk_core::model::CreatedKey) -> Self {
        let mut out = Self::from_key(&c.key);
        out.key = Some(c.secret.expose().clone());
        out.expiration_clamped = Some(c.expiration_clamped);
        out
    }
}

#[derive(Serialize, ToSchema)]
pub struct ApiKeysOut {
    pub keys: Vec<ApiKeyOut>,
    /// Keydesk: number of matching keys, counted up to a cap.
    pub total: i64,
    /// Keydesk: false when more than `total` keys match.
    pub total_exact: bool,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApiKeysQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    /// Name substring or the last 4 characters of the key; case- and accent-insensitive.
    pub name: Option<String>,
    /// Keydesk: only keys of this workspace.
    pub workspace_id: Option<Uuid>,
    /// Keydesk: only keys owned by this user.
    pub user_id: Option<Uuid>,
    /// Keydesk: only keys with this status (`active`, `expired`, `inactive`).
    #[param(value_type = Option<String>)]
    pub status: Option<KeyStatus>,
    /// Keydesk: only keys for this product (`API`, `Vibe`, `Mistral Code`).
    #[param(value_type = Option<String>)]
    pub product: Option<ProductOut>,
    /// Keydesk: only keys not used (or never used) in the last N days.
    pub unused_for_days: Option<i32>,
    /// Keydesk: order by this column (`name`, `hidden_key`, `product`,
    /// `workspace`, `owner`, `created`, `last_used`, `expires`, `status`);
    /// newest first when absent.
    #[param(value_type = Option<String>)]
    pub sort: Option<keydesk_core::model::KeySortColumn>,
    /// Keydesk: with `sort`, the descending order.
    pub descending: Option<bool>,
}

/// `AdminCreateAPIKeyIN`, plus Keydesk's product and connector scope.
#[derive(Deserialize, ToSchema)]
pub struct AdminCreateApiKeyIn {
    pub name: Option<String>,
    pub expiration: Option<NaiveDate>,
    pub workspace_uuid: Uuid,
    pub user_id: Uuid,
    pub product: Option<ProductOut>,
    pub connector_scope: Option<ConnectorScopeWire>,
    /// Keydesk: the key's own monthly spending cap in USD (workspace admins).
    pub monthly_budget: Option<f64>,
}

/// Creating one's own key (Keydesk, `POST /v1/me/api-keys`).
#[derive(Deserialize, ToSchema)]
pub struct CreateOwnKeyIn {
    pub workspace_uuid: Uuid,
    pub name: Option<String>,
    pub expiration: Option<NaiveDate>,
    pub product: Option<ProductOut>,
    pub connector_scope: Option<ConnectorScopeWire>,
}

#[derive(Deserialize, ToSchema, Default)]
pub struct RotateKeyIn {
    /// How long the old key keeps working (0 or absent: it stops at once).
    pub grace_period_seconds: Option<i64>,
}

/// Keydesk: the changeable settings of a key; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
pub struct KeyPatchIn {
    /// The new name; null or empty clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    /// The key's own monthly spending cap in USD; null removes it
    /// (workspace admins only).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub monthly_budget: Option<Option<f64>>,
    /// Any other field sent; settings fixed at creation are refused.
    #[serde(flatten)]
    #[schema(ignore)]
    pub other: BTreeMap<String, serde_json::Value>,
}

impl KeyPatchIn {
    /// A key's workspace, owner, product, scope and expiry are set once, at
    /// creation: a patch that names one is refused, naming it, rather than
    /// half applied.
    pub const FIXED_AT_CREATION: [&'static str; 8] =
        ["workspace_uuid", "workspace_id", "user_id", "product", "connector_scope", "expiration", "expiration_date", "key"];

    pub fn check_fixed_fields(&self) -> Result<(), crate::error::ApiError> {
        match Self::FIXED_AT_CREATION.iter().find(|f| self.other.contains_key(**f)) {
            Some(field) => Err(crate::error::ApiError::validation(
                field,
                format!("{field} cannot be changed after the key is created; create a new key (or rotate this one) instead"),
            )),
            None => Ok(()),
        }
    }
}

// ---------------------------------------------------------------- limits and usage

#[derive(Serialize, ToSchema)]
pub struct TokenLimitsByModel {
    pub tokens_per_minute: i64,
    /// Keydesk has no monthly token limit: always 0.
    pub tokens_per_month: i64,
}

#[derive(Serialize, ToSchema)]
pub struct RateLimitsOut {
    /// The default workspace's limit; 0 when none is set.
    pub requests_per_second: i64,
    pub tokens_limits_by_model: BTreeMap<String, TokenLimitsByModel>,
}

#[derive(Serialize, ToSchema)]
pub struct UsageLimits {
    pub no_monthly_limit: bool,
    pub monthly_limit_reached: bool,
    pub usage: Option<f64>,
    pub vibe_usage: Option<f64>,
    pub total_usage: Option<f64>,
    pub usage_limit: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct LimitsContext {
    pub completion: UsageLimits,
    pub last_payment_failure: bool,
    pub last_payment_failure_protection: Option<bool>,
    pub currency: String,
}

#[derive(Serialize, ToSchema)]
pub struct LimitsOut {
    pub limits: LimitsContext,
}

/// `NewUsageLimitIN`: `amount` in whole USD.
#[derive(Deserialize, ToSchema)]
pub struct NewUsageLimitIn {
    pub amount: i64,
    #[serde(default)]
    pub no_monthly_limit: bool,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// Month number (1-12); the current month when absent.
    pub month: Option<String>,
    pub year: Option<String>,
    pub workspace_id: Option<Uuid>,
    /// Accepted; Keydesk has one zone, `global`.
    pub api_zone: Option<String>,
}

/// `BasicModelUsageDataJSON`: model → day (YYYY-MM-DD) → entries.
#[derive(Serialize, ToSchema, Default)]
pub struct ModelUsageData {
    #[schema(value_type = Object)]
    pub models: BTreeMap<String, BTreeMap<String, Vec<serde_json::Value>>>,
}

#[derive(Serialize, ToSchema, Default)]
pub struct LibrariesUsageData {
    pub pages: ModelUsageData,
    pub tokens: ModelUsageData,
    pub audio_seconds: ModelUsageData,
}

#[derive(Serialize, ToSchema, Default)]
pub struct FineTuningData {
    #[schema(value_type = Object)]
    pub training: BTreeMap<String, serde_json::Value>,
    #[schema(value_type = Object)]
    pub storage: BTreeMap<String, i64>,
}

#[derive(Serialize, ToSchema, Default)]
pub struct VibeCodeUsageData {
    pub completion: ModelUsageData,
    pub ocr: ModelUsageData,
    pub connectors: ModelUsageData,
    pub audio: ModelUsageData,
    pub audio_characters: ModelUsageData,
}

/// `PriceData`: one unit price.
#[derive(Serialize, ToSchema)]
pub struct PriceOut {
    /// `api_tokens`.
    pub event_type: Option<String>,
    /// The model id.
    pub billing_metric: String,
    /// `input` or `output` tokens.
    pub billing_group: String,
    /// Always `global`.
    pub api_zone: String,
    /// Always `standard`.
    pub service_tier: String,
    /// USD per token, as an exact decimal string.
    pub price: String,
}

/// `UsageOUTJSON`. Keydesk meters chat/completion requests only; the other
/// categories are present and empty.
#[derive(Serialize, ToSchema)]
pub struct UsageOut {
    pub completion: ModelUsageData,
    pub ocr: ModelUsageData,
    pub connectors: ModelUsageData,
    pub libraries_api: LibrariesUsageData,
    pub fine_tuning: FineTuningData,
    pub audio: ModelUsageData,
    pub audio_characters: ModelUsageData,
    pub vibe_usage: f64,
    pub vibe_code: VibeCodeUsageData,
    pub chat: ModelUsageData,
    pub date: DateTime<Utc>,
    pub previous_month: Option<String>,
    pub next_month: Option<String>,
    pub start_date: DateTime<Utc>,
    pub end_date: DateTime<Utc>,
    pub currency: Option<String>,
    pub currency_symbol: Option<String>,
    /// The gateway's prices; null when this server runs no gateway.
    pub prices: Option<Vec<PriceOut>>,
    /// Keydesk: total cost of the month in USD.
    pub total_cost: f64,
}

/// Keydesk: which calendar month (UTC) a workspace report covers, written
/// as in `GET /v1/admin/usage`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// Month number (1-12); the current month when absent.
    pub month: Option<String>,
    /// The current year when absent.
    pub year: Option<String>,
}

/// Keydesk: a workspace's spend in one calendar month (UTC), against the
/// limit in force there.
#[derive(Serialize, ToSchema)]
pub struct WorkspaceSpendOut {
    pub workspace_uuid: Uuid,
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
    /// Spent in the month, in USD.
    pub spent: f64,
    /// The limit in force, in USD: the lower of the workspace's and the
    /// organization's; null when neither has one.
    pub usage_limit: Option<f64>,
    /// What is left under the limit, in USD (never negative); null without a limit.
    pub remaining: Option<f64>,
    pub no_monthly_limit: bool,
    pub monthly_limit_reached: bool,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub currency: String,
}

impl From<&MonthlySpend> for WorkspaceSpendOut {
    fn from(m: &MonthlySpend) -> Self {
        WorkspaceSpendOut {
            workspace_uuid: m.workspace_id,
            year: m.year,
            month: m.month,
            spent: usd(m.spent_micros),
            usage_limit: m.limit_micros.map(usd),
            remaining: m.remaining_micros().map(usd),
            no_monthly_limit: m.limit_micros.is_none(),
            monthly_limit_reached: m.limit_reached(),
            requests: m.requests,
            input_tokens: m.input_tokens,
            output_tokens: m.output_tokens,
            currency: CURRENCY.into(),
        }
    }
}

/// Keydesk: one key's usage in the month.
#[derive(Serialize, ToSchema)]
pub struct ApiKeyUsageOut {
    pub key_id: Uuid,
    /// Null once the key is deleted (its usage stays on the record).
    pub name: Option<String>,
    /// Null once the key is deleted.
    pub hidden_key: Option<String>,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// In USD.
    pub cost: f64,
}

/// Keydesk: a workspace's usage in one month per key, most expensive first.
#[derive(Serialize, ToSchema)]
pub struct ApiKeysUsageOut {
    pub workspace_uuid: Uuid,
    pub year: i32,
    pub month: u32,
    pub keys: Vec<ApiKeyUsageOut>,
    pub currency: String,
}

/// Keydesk: which spend alerts to list (`GET /v1/admin/spend-alerts`).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpendAlertQuery {
    /// Only this workspace's alerts.
    pub workspace_id: Option<Uuid>,
    /// Only alerts raised at or after this instant (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// At most this many, newest first (1-1000, default 100).
    pub limit: Option<i64>,
}

/// Keydesk: a workspace's month passed a share of its spending limit.
#[derive(Serialize, ToSchema)]
pub struct SpendAlertOut {
    pub id: Uuid,
    pub workspace_uuid: Uuid,
    pub workspace_name: String,
    pub year: i32,
    pub month: u32,
    /// 50, 80 or 100.
    pub threshold_percent: i32,
    /// The month's spend when the threshold was passed, in USD.
    pub spent: f64,
    /// The limit in force then (the lower of the workspace's and the
    /// organization's), in USD.
    pub limit: f64,
    pub currency: String,
    pub created_at: DateTime<Utc>,
}

impl From<&keydesk_core::ledger::SpendAlert> for SpendAlertOut {
    fn from(a: &keydesk_core::ledger::SpendAlert) -> Self {
        SpendAlertOut {
            id: a.id,
            workspace_uuid: a.workspace_id,
            workspace_name: a.workspace_name.clone(),
            year: a.year,
            month: a.month,
            threshold_percent: a.threshold_percent,
            spent: usd(a.spent_micros),
            limit: usd(a.limit_micros),
            currency: CURRENCY.into(),
            created_at: a.at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SpendAlertListOut {
    pub object: String,
    pub data: Vec<SpendAlertOut>,
}

/// Keydesk: one metered request, as a gateway or an importer reports it.
#[derive(Deserialize, ToSchema)]
pub struct UsageEventIn {
    /// The key the request was made with; its workspace is charged.
    pub key_id: Uuid,
    pub model: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// In USD.
    pub cost: f64,
    /// When the request was made; now when absent. Never in the future.
    pub at: Option<DateTime<Utc>>,
}

/// Keydesk: the usage event as recorded.
#[derive(Serialize, ToSchema)]
pub struct UsageEventOut {
    pub key_id: Uuid,
    pub workspace_uuid: Uuid,
    pub model: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// In USD.
    pub cost: f64,
    pub at: DateTime<Utc>,
}

// ---------------------------------------------------------------- audit

#[derive(Serialize, ToSchema)]
pub struct AuditLogOut {
    pub created_at: DateTime<Utc>,
    /// `HUMAN`, `API_KEY` or `OTHER`.
    pub actor_type: String,
    pub actor_metadata: BTreeMap<String, String>,
    /// The platform's event type (e.g. `api_key.create`).
    pub event_type: String,
    pub event_metadata: BTreeMap<String, String>,
    /// The platform's target type (e.g. `API_KEY`).
    pub target_type: String,
    pub target_metadata: BTreeMap<String, String>,
    pub log_id: i64,
    pub organization_uuid: Option<Uuid>,
    pub workspace_uuid: Option<Uuid>,
}

/// Core's audit action → the platform's event type. Actions without an
/// equivalent in the platform's enum are not listed by `/v1/admin/audit-logs`.
/// Keydesk's audit actions that have a platform event type, with it.
/// Actions missing here (key renames, budgets, sign-outs) are not listed in
/// the platform's audit log.
pub const AUDIT_EVENT_TYPES: &[(&str, &str)] = &[
    ("organization.created", "organization.create"),
    ("organization.updated", "organization.update"),
    ("user.created", "user.create"),
    ("user.removed", "user.delete"),
    ("user.role_changed", "user.organization.role.update"),
    ("user.signed_in", "user.log_in"),
    ("user.password_changed", "user.password.update"),
    ("user.password_reset", "user.password.update"),
    ("workspace.created", "workspace.create"),
    ("workspace.updated", "workspace.update"),
    ("workspace.deleted", "workspace.delete"),
    ("workspace.member_added", "workspace.member.add"),
    ("workspace.member_removed", "workspace.member.remove"),
    ("workspace.member_role_changed", "workspace.member.role.update"),
    ("api_key.created", "api_key.create"),
    ("api_key.rotated", "api_key.rotate"),
    ("api_key.deleted", "api_key.delete"),
    ("admin_api_key.created", "admin_api_key.created"),
    ("admin_api_key.deleted", "admin_api_key.delete"),
    ("connector.created", "integration.created"),
    ("connector.visibility_changed", "integration.updated"),
    ("connector.deleted", "integration.deleted"),
];

pub fn event_type_of(action: &str) -> Option<&'static str> {
    AUDIT_EVENT_TYPES.iter().find(|(a, _)| *a == action).map(|(_, t)| *t)
}

/// Keydesk's audit target types with the platform's name for each.
pub const AUDIT_TARGET_TYPES: &[(&str, &str)] = &[
    ("user", "USER"),
    ("organization", "ORGANIZATION"),
    ("workspace", "WORKSPACE"),
    ("api_key", "API_KEY"),
    ("admin_api_key", "ADMIN_API_KEY"),
    ("connector", "INTEGRATION"),
];

pub fn target_type_of(target: &str) -> &'static str {
    AUDIT_TARGET_TYPES.iter().find(|(t, _)| *t == target).map_or("ORGANIZATION", |(_, p)| *p)
}

/// A stable integer id for an event (its uuid's top 53 bits, so it stays
/// exact in JavaScript).
pub fn log_id_of(id: Uuid) -> i64 {
    (id.as_u128() >> 75) as i64
}

impl AuditLogOut {
    pub fn from_event(e: &AuditEvent, event_type: &'static str, organization: Option<Uuid>) -> Self {
        let mut actor = BTreeMap::new();
        if let Some(id) = e.actor_id {
            actor.insert("user_id".to_owned(), id.to_string());
        }
        if let Some(email) = &e.actor_email {
            actor.insert("email".to_owned(), email.clone());
        }
        let mut event = BTreeMap::new();
        event.insert("action".to_owned(), e.action.clone());
        if let Some(after) = &e.after {
            event.insert("after".to_owned(), after.to_string());
        }
        if let Some(before) = &e.before {
            event.insert("before".to_owned(), before.to_string());
        }
        let mut target = BTreeMap::new();
        target.insert("type".to_owned(), e.target_type.clone());
        if let Some(id) = e.target_id {
            target.insert("id".to_owned(), id.to_string());
        }
        AuditLogOut {
            created_at: e.at,
            actor_type: if e.actor_id.is_some() { "HUMAN" } else { "OTHER" }.to_owned(),
            actor_metadata: actor,
            event_type: event_type.to_owned(),
            event_metadata: event,
            target_type: target_type_of(&e.target_type).to_owned(),
            target_metadata: target,
            log_id: log_id_of(e.id),
            organization_uuid: organization,
            workspace_uuid: (e.target_type == "workspace").then_some(e.target_id).flatten(),
        }
    }
}

/// Keydesk: the audit log in Keydesk's own vocabulary, every event listed.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditEventsQuery {
    /// Only events by this user.
    pub actor_id: Option<Uuid>,
    /// Only events with this action (e.g. `api_key.renamed`).
    pub action: Option<String>,
    /// Only events about this workspace, key, user, connector...
    pub target_id: Option<Uuid>,
    /// Only events at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only events before this time.
    pub until: Option<DateTime<Utc>>,
    /// 1 to 1000, default 100.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Keydesk: one audit event, newest first in lists.
#[derive(Serialize, ToSchema)]
pub struct AuditEventOut {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// Null for changes no user made (housekeeping).
    pub actor_id: Option<Uuid>,
    pub actor_email: Option<String>,
    /// What happened, e.g. `workspace.created`, `api_key.renamed`.
    pub action: String,
    /// `organization`, `user`, `workspace`, `api_key`, `admin_api_key` or `connector`.
    pub target_type: String,
    pub target_id: Option<Uuid>,
    /// The target before the change (never a secret).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The target after the change (never a secret).
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

impl From<AuditEvent> for AuditEventOut {
    fn from(e: AuditEvent) -> Self {
        AuditEventOut {
            id: e.id,
            at: e.at,
            actor_id: e.actor_id,
            actor_email: e.actor_email,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            before: e.before,
            after: e.after,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditEventsOut {
    pub events: Vec<AuditEventOut>,
}

// ---------------------------------------------------------------- sessions and me

/// Sign-in body. Not `Debug`: it carries a password.
#[derive(Deserialize, ToSchema)]
pub struct SignInIn {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema, Clone)]
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
#[derive(Serialize, ToSchema)]
pub struct SessionOut {
    /// Opaque token for `Authorization: Bearer`, shown once.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserOut,
}

#[derive(Serialize, ToSchema)]
pub struct MeOut {
    pub user: UserOut,
    /// Workspaces the user belongs to, with their role.
    pub workspaces: Vec<MemberWorkspaceInfo>,
    /// `session` or `admin_api_key`.
    pub credential: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ChangePasswordIn {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyKeysQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    pub name: Option<String>,
    pub workspace_id: Option<Uuid>,
}

// ---------------------------------------------------------------- admin keys, organization, connectors

#[derive(Serialize, ToSchema)]
pub struct AdminApiKeyOut {
    pub id: Uuid,
    pub name: String,
    pub hidden_key: String,
    /// The full secret: only in the answer that created the key.
    pub key: Option<String>,
    pub created_by: Uuid,
    pub created_by_email: String,
    pub created_at: DateTime<Utc>,
    pub expiration_date: Option<NaiveDate>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<&keydesk_core::auth::AdminApiKey> for AdminApiKeyOut {
    fn from(k: &keydesk_core::auth::AdminApiKey) -> Self {
        AdminApiKeyOut {
            id: k.id,
            name: k.name.clone(),
            hidden_key: k.hidden_key.clone(),
            key: None,
            created_by: k.created_by,
            created_by_email: k.created_by_email.clone(),
            created_at: k.created_at,
            expiration_date: k.expiration_date,
            last_used_at: k.last_used_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AdminApiKeysOut {
    pub keys: Vec<AdminApiKeyOut>,
}

#[derive(Deserialize, ToSchema)]
pub struct CreateAdminApiKeyIn {
    pub name: String,
    pub expiration: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationOut {
    pub uuid: Uuid,
    pub name: String,
    /// `experiment` (free tier) or `scale` (pay as you go).
    pub plan: String,
    pub billing_active: bool,
    /// Monthly spending limit in USD (null: none).
    pub monthly_spend_limit: Option<f64>,
    /// Longest validity, in days, of new keys (null: no policy).
    pub key_max_days: Option<i32>,
    pub created_at: DateTime<Utc>,
}

impl From<&keydesk_core::model::Organization> for OrganizationOut {
    fn from(o: &keydesk_core::model::Organization) -> Self {
        OrganizationOut {
            uuid: o.id,
            name: o.name.clone(),
            plan: o.plan.as_str().to_owned(),
            billing_active: o.billing_active,
            monthly_spend_limit: o.monthly_spend_limit_micros.map(usd),
            key_max_days: o.key_max_days,
            created_at: o.created_at,
        }
    }
}

/// Organization settings: absent fields stay unchanged, null clears.
#[derive(Deserialize, ToSchema, Default)]
pub struct OrganizationPatchIn {
    pub name: Option<String>,
    /// `experiment` or `scale`.
    pub plan: Option<String>,
    pub billing_active: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>)]
    pub key_max_days: Option<Option<i32>>,
}

#[derive(Serialize, ToSchema)]
pub struct ConnectorOut {
    pub id: Uuid,
    pub name: String,
    pub owner_id: Uuid,
    pub workspace_id: Uuid,
    /// `private` or `shared`.
    pub visibility: String,
    pub created_at: DateTime<Utc>,
}

impl From<&keydesk_core::model::Connector> for ConnectorOut {
    fn from(c: &keydesk_core::model::Connector) -> Self {
        ConnectorOut {
            id: c.id,
            name: c.name.clone(),
            owner_id: c.owner_id,
            workspace_id: c.workspace_id,
            visibility: match c.visibility {
                keydesk_core::model::ConnectorVisibility::Private => "private",
                keydesk_core::model::ConnectorVisibility::Shared => "shared",
            }
            .to_owned(),
            created_at: c.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ConnectorsOut {
    pub connectors: Vec<ConnectorOut>,
}

#[derive(Deserialize, ToSchema)]
pub struct CreateConnectorIn {
    pub name: String,
    /// `private` (the default) or `shared`.
    pub visibility: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct ConnectorVisibilityIn {
    /// `private` or `shared`.
    pub visibility: String,
}

pub fn parse_visibility(v: &str) -> Result<keydesk_core::model::ConnectorVisibility, ApiError> {
    match v {
        "private" => Ok(keydesk_core::model::ConnectorVisibility::Private),
        "shared" => Ok(keydesk_core::model::ConnectorVisibility::Shared),
        _ => Err(ApiError::validation("visibility", "visibility must be 'private' or 'shared'")),
    }
}

#[derive(Serialize, ToSchema)]
pub struct HealthOut {
    pub status: String,
}

#[cfg(test)]
mod role_field_tests {
    use super::*;

    fn none<T>() -> Option<T> {
        None
    }

    #[test]
    fn several_roles_give_the_highest_and_unknown_ones_name_their_field() {
        let names = Some(vec!["member".to_owned(), "billing_manager".to_owned()]);
        let fields = RoleFields { role_names: &names, roles: &none(), role_name: &none(), role: &none() };
        assert_eq!(org_role_from(fields, &[]).unwrap(), Some(OrgRole::BillingManager));

        let codes = Some(vec!["M".to_owned(), "A".to_owned()]);
        let fields = RoleFields { role_names: &none(), roles: &codes, role_name: &none(), role: &none() };
        assert_eq!(workspace_role_from(fields, &[]).unwrap(), Some(WorkspaceRole::Admin));

        let bad = Some("observability_viewer".to_owned());
        let fields = RoleFields { role_names: &none(), roles: &none(), role_name: &bad, role: &none() };
        let err = workspace_role_from(fields, &[]).unwrap_err();
        assert!(format!("{err:?}").contains("role_name"), "{err:?}");

        let fields = RoleFields { role_names: &none(), roles: &none(), role_name: &none(), role: &none() };
        assert_eq!(org_role_from(fields, &[]).unwrap(), None);
    }
}
