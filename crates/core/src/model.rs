//! The domain's data types as the rest of the product sees them: what the
//! Service returns and accepts. Field names follow the platform's Admin API
//! where it has an equivalent (`hidden_key`, `expiration_date`, `product`...).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Billing plan of the organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    /// Free tier, for trying the platform.
    Experiment,
    /// Pay as you go.
    Scale,
}

impl Plan {
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Experiment => "experiment",
            Plan::Scale => "scale",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "experiment" => Some(Plan::Experiment),
            "scale" => Some(Plan::Scale),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    pub plan: Plan,
    pub billing_active: bool,
    /// Monthly spending limit of the whole organization, in micro-USD.
    pub monthly_spend_limit_micros: Option<i64>,
    /// Longest validity, in days, of a newly created key. `None`: no policy.
    pub key_max_days: Option<i32>,
    pub created_at: DateTime<Utc>,
}

/// Organization role, with the platform's single-letter codes on the wire
/// of the Admin API (`A`, `M`, `B`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum OrgRole {
    Admin,
    Member,
    BillingManager,
}

impl OrgRole {
    pub fn code(self) -> &'static str {
        match self {
            OrgRole::Admin => "A",
            OrgRole::Member => "M",
            OrgRole::BillingManager => "B",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "A" => Some(OrgRole::Admin),
            "M" => Some(OrgRole::Member),
            "B" => Some(OrgRole::BillingManager),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub org_role: OrgRole,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum WorkspaceRole {
    Admin,
    Member,
}

impl WorkspaceRole {
    pub fn code(self) -> &'static str {
        match self {
            WorkspaceRole::Admin => "A",
            WorkspaceRole::Member => "M",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "A" => Some(WorkspaceRole::Admin),
            "M" => Some(WorkspaceRole::Member),
            _ => None,
        }
    }
}

/// A role as listed by `roles()`: stable uuid, name, description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleInfo {
    pub uuid: Uuid,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Roles {
    pub organization_roles: Vec<RoleInfo>,
    pub workspace_roles: Vec<RoleInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RateLimits {
    /// Requests per second for the whole workspace. `None`: platform default.
    pub requests_per_second: Option<i32>,
    /// Tokens per minute, per model id.
    #[serde(default)]
    pub tokens_per_minute: std::collections::BTreeMap<String, i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Workspace {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub icon: String,
    pub is_default: bool,
    pub members_count: i64,
    /// Monthly spending limit in micro-USD; `None` means no workspace limit.
    pub monthly_spend_limit_micros: Option<i64>,
    pub rate_limits: RateLimits,
    /// Stricter key-validity policy for this workspace, in days.
    pub key_max_days: Option<i32>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, optional_fields = nullable))]
pub struct NewWorkspace {
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>", optional))]
    pub description: String,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>", optional))]
    pub icon: String,
    /// The user who becomes the workspace's first admin (the creator when absent).
    #[serde(default)]
    pub admin_user_id: Option<Uuid>,
}

/// A partial update of a workspace; absent fields are left unchanged.
/// For the nullable settings, `Some(None)` clears the value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkspacePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub icon: Option<String>,
    pub monthly_spend_limit_micros: Option<Option<i64>>,
    pub rate_limits: Option<RateLimits>,
    pub key_max_days: Option<Option<i32>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct WorkspaceMember {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: WorkspaceRole,
    pub added_at: DateTime<Utc>,
}

/// Product an API key is for. `MistralCode` is legacy: it is listed and can
/// be deleted, but no new key of that type is ever created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum KeyProduct {
    #[serde(rename = "API")]
    Api,
    #[serde(rename = "Vibe")]
    Vibe,
    #[serde(rename = "Mistral Code")]
    MistralCode,
}

impl KeyProduct {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyProduct::Api => "API",
            KeyProduct::Vibe => "Vibe",
            KeyProduct::MistralCode => "Mistral Code",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "API" => Some(KeyProduct::Api),
            "Vibe" => Some(KeyProduct::Vibe),
            "Mistral Code" => Some(KeyProduct::MistralCode),
            _ => None,
        }
    }
}

/// Which connectors requests made with a key may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ConnectorScope {
    /// Only connectors shared with the key's workspace.
    #[default]
    Shared,
    /// Also the private connectors of the key's owner.
    PrivateAndShared,
}

impl ConnectorScope {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorScope::Shared => "shared",
            ConnectorScope::PrivateAndShared => "private_and_shared",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "shared" => Some(ConnectorScope::Shared),
            "private_and_shared" => Some(ConnectorScope::PrivateAndShared),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    Active,
    Expired,
    /// Billing is not active for the organization: the key cannot be used.
    Inactive,
}

/// Why an action on a key is unavailable; the spec's reason codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum UnavailableReason {
    UnsupportedScope,
    KeyExpired,
    NotAllowed,
}

/// Availability of one action, shaped like the spec's
/// `ActionAvailable` / `ActionUnavailable`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ActionAvailability {
    Available,
    Unavailable { reason: Option<UnavailableReason> },
}

impl ActionAvailability {
    pub fn is_available(self) -> bool {
        matches!(self, ActionAvailability::Available)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct KeyActions {
    pub rotate: ActionAvailability,
    pub delete: ActionAvailability,
}

/// An API key as anyone may see it: never the secret, only its hidden form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ApiKey {
    pub key_id: Uuid,
    pub name: Option<String>,
    pub hidden_key: String,
    pub workspace_id: Uuid,
    pub workspace_name: String,
    pub owner_id: Uuid,
    pub owner_email: String,
    pub product: KeyProduct,
    pub connector_scope: ConnectorScope,
    pub created_at: DateTime<Utc>,
    /// Last day the key is valid (inclusive, UTC). `None`: never expires.
    pub expiration_date: Option<NaiveDate>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// Set while the key is in a rotation grace period.
    pub delete_after: Option<DateTime<Utc>>,
    /// The key's own monthly spending cap in micro-USD, on top of the
    /// workspace's and the organization's. `None`: no cap of its own.
    pub monthly_budget_micros: Option<i64>,
    pub status: KeyStatus,
    pub actions: KeyActions,
}

/// A key just created: its public form and the one-time secret.
#[derive(Debug)]
pub struct CreatedKey {
    pub key: ApiKey,
    pub secret: crate::secret::ApiKeySecret,
    /// True when the requested expiration was moved by the policy.
    pub expiration_clamped: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, optional_fields = nullable))]
pub struct NewKey {
    pub workspace_id: Uuid,
    /// The owner; the acting user when absent.
    #[serde(default)]
    pub user_id: Option<Uuid>,
    #[serde(default)]
    pub name: Option<String>,
    /// Requested last valid day. Clamped by the expiry policy.
    #[serde(default)]
    pub expiration: Option<NaiveDate>,
    #[serde(default)]
    pub connector_scope: Option<ConnectorScope>,
    /// `API` when absent. `Mistral Code` is refused.
    #[serde(default)]
    pub product: Option<KeyProduct>,
    /// The key's own monthly budget in micro-USD (workspace admins only).
    #[serde(default)]
    pub monthly_budget_micros: Option<i64>,
}

/// A change to a key's changeable settings; absent fields stay as they are,
/// `Some(None)` clears.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyPatch {
    #[serde(default)]
    pub name: Option<Option<String>>,
    #[serde(default)]
    pub monthly_budget_micros: Option<Option<i64>>,
}

/// A column the key list can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum KeySortColumn {
    Name,
    HiddenKey,
    Product,
    Workspace,
    Owner,
    Created,
    LastUsed,
    /// Keys that never expire come after every date.
    Expires,
    /// Expired keys after the others.
    Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct KeySort {
    pub column: KeySortColumn,
    #[serde(default)]
    pub descending: bool,
}

/// Filters for listing keys. All are optional and combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, optional_fields = nullable))]
pub struct KeyFilter {
    #[serde(default)]
    pub workspace_id: Option<Uuid>,
    #[serde(default)]
    pub owner_id: Option<Uuid>,
    /// Name substring or last 4 characters; case- and accent-insensitive.
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub status: Option<KeyStatus>,
    #[serde(default)]
    pub product: Option<KeyProduct>,
    /// Keys not used (or never used) in the last N days.
    #[serde(default)]
    pub unused_for_days: Option<i32>,
    /// Order of the list; newest first when absent (and between equals).
    #[serde(default)]
    pub sort: Option<KeySort>,
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub offset: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct KeyPage {
    pub keys: Vec<ApiKey>,
    /// Number of matching keys, counted up to a cap (see `total_exact`).
    pub total: i64,
    /// False when more than `total` keys match ("10,000+").
    pub total_exact: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ConnectorVisibility {
    /// Only its owner's keys with scope `private_and_shared` reach it.
    Private,
    /// Every key of the workspace reaches it.
    Shared,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Connector {
    pub id: Uuid,
    pub name: String,
    pub owner_id: Uuid,
    pub workspace_id: Uuid,
    pub visibility: ConnectorVisibility,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct NewConnector {
    pub workspace_id: Uuid,
    pub name: String,
    pub visibility: ConnectorVisibility,
}

/// One metered request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageRecord {
    pub key_id: Uuid,
    pub workspace_id: Uuid,
    pub model: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_micros: i64,
    pub at: DateTime<Utc>,
}

/// A workspace's spend in one calendar month (UTC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct MonthlySpend {
    pub workspace_id: Uuid,
    pub year: i32,
    pub month: u32,
    pub spent_micros: i64,
    /// The limit in force: the workspace's, else the organization's.
    pub limit_micros: Option<i64>,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
}

impl MonthlySpend {
    pub fn remaining_micros(&self) -> Option<i64> {
        self.limit_micros.map(|l| (l - self.spent_micros).max(0))
    }
    pub fn limit_reached(&self) -> bool {
        self.limit_micros.is_some_and(|l| self.spent_micros >= l)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AuditEvent {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_email: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<Uuid>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, optional_fields = nullable))]
pub struct AuditFilter {
    #[serde(default)]
    pub actor_id: Option<Uuid>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub target_id: Option<Uuid>,
    #[serde(default)]
    pub since: Option<DateTime<Utc>>,
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub offset: Option<i64>,
}

/// A query of the audit log beyond `AuditFilter`: several actions or target
/// types at once, people or the system, oldest first. Filtered, sorted and
/// paged by the database, so any page of any size of log can be reached.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditQuery {
    pub actor_id: Option<Uuid>,
    /// Any of these actions; empty: every action.
    pub actions: Vec<String>,
    pub target_id: Option<Uuid>,
    /// Any of these target types; empty: every type.
    pub target_types: Vec<String>,
    /// `Some(true)`: only what people did; `Some(false)`: only what the
    /// system did (no actor).
    pub by_person: Option<bool>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
    pub oldest_first: bool,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl From<AuditFilter> for AuditQuery {
    fn from(f: AuditFilter) -> Self {
        AuditQuery {
            actor_id: f.actor_id,
            actions: f.action.into_iter().collect(),
            target_id: f.target_id,
            since: f.since,
            until: f.until,
            limit: f.limit,
            offset: f.offset,
            ..Default::default()
        }
    }
}
