//! The `Backend` trait: every operation the UI can ask for, independent of
//! where the data lives. `LocalBackend` (local/) implements it over the
//! embedded SQLite store and `RemoteBackend` (remote/) over a Keydesk
//! server's Admin API; the commands cannot tell them apart.
//! Also here: the small payload types the trait adds to keydesk-core's model,
//! and `UnavailableBackend`, which stands in when no store could be opened.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
pub use keydesk_core::ledger::SpendAlert;
use keydesk_core::model::{
    ApiKey, AuditEvent, AuditFilter, Connector, ConnectorVisibility, KeyFilter, KeyPage,
    MonthlySpend, NewConnector, NewKey, NewWorkspace, OrgRole, Organization, User, Workspace,
    WorkspaceMember, WorkspacePatch, WorkspaceRole,
};
pub use keydesk_core::report::KeyUsage;
use keydesk_core::report::ModelDayUsage;
use keydesk_core::secret::Sensitive;
use keydesk_core::{DailyCost, NewUser, OrganizationPatch};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Where the data the UI shows comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum BackendMode {
    /// The app's own SQLite file; no server.
    Local,
    /// A Keydesk server the user signed in to.
    Remote,
}

/// What the UI needs to decide which screen to show.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AppState {
    pub mode: BackendMode,
    /// `None` until the first-run step created the organization.
    pub organization: Option<Organization>,
    /// The user the app acts as; `None` before the first run.
    pub user: Option<User>,
}

/// The first-run form.
#[derive(Debug, Clone, PartialEq, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct BootstrapInput {
    pub org_name: String,
    pub admin_email: String,
    pub admin_name: String,
}

/// A key that was just created (or rotated in): its public form and the one
/// time the full secret is available. `Debug` shows `<redacted>` for the
/// secret, and the type is deliberately not `Serialize` — the commands layer
/// decides, in one place, how the secret crosses to the UI.
#[derive(Debug)]
pub struct IssuedKey {
    pub key: ApiKey,
    pub secret: Sensitive<String>,
    /// True when the requested expiration was moved by the expiry policy.
    pub expiration_clamped: bool,
}

impl From<keydesk_core::model::CreatedKey> for IssuedKey {
    fn from(created: keydesk_core::model::CreatedKey) -> Self {
        IssuedKey {
            key: created.key,
            secret: created.secret,
            expiration_clamped: created.expiration_clamped,
        }
    }
}

/// The operations behind the UI. Object safe: the app keeps one
/// `Arc<dyn Backend>` in Tauri state.
#[async_trait]
pub trait Backend: Send + Sync {
    /// Which organization and user the app shows, if set up.
    async fn state(&self) -> AppResult<AppState>;
    /// First run: creates the organization, its first admin and the default
    /// workspace. Fails with `conflict` when already set up.
    async fn bootstrap(&self, input: BootstrapInput) -> AppResult<AppState>;

    async fn list_workspaces(&self) -> AppResult<Vec<Workspace>>;
    async fn create_workspace(&self, input: NewWorkspace) -> AppResult<Workspace>;
    async fn update_workspace(
        &self,
        workspace_id: Uuid,
        patch: WorkspacePatch,
    ) -> AppResult<Workspace>;
    /// How many keys deleting the workspace would revoke.
    async fn workspace_key_count(&self, workspace_id: Uuid) -> AppResult<i64>;
    /// Deletes a workspace and revokes its keys; returns how many were revoked.
    /// `confirmed` must be true (the UI asked the user first).
    async fn delete_workspace(&self, workspace_id: Uuid, confirmed: bool) -> AppResult<i64>;

    async fn list_keys(&self, filter: KeyFilter) -> AppResult<KeyPage>;
    async fn create_key(&self, input: NewKey) -> AppResult<IssuedKey>;
    async fn rename_key(&self, key_id: Uuid, name: Option<String>) -> AppResult<ApiKey>;
    /// Sets or clears a key's own monthly budget, in micro-USD (workspace
    /// admins only).
    async fn set_key_budget(&self, key_id: Uuid, budget_micros: Option<i64>) -> AppResult<ApiKey>;
    async fn delete_key(&self, key_id: Uuid) -> AppResult<()>;
    /// Issues a replacement with the same settings; the old key is deleted now
    /// or after `grace_seconds`.
    async fn rotate_key(&self, key_id: Uuid, grace_seconds: Option<i64>) -> AppResult<IssuedKey>;
    /// Deletes several keys at once (the bulk bar); returns how many went.
    async fn delete_keys(&self, key_ids: Vec<Uuid>) -> AppResult<i64>;

    /// The organization's settings: plan, billing, spend limit, key policy.
    async fn update_organization(&self, patch: OrganizationPatch) -> AppResult<Organization>;

    async fn list_users(&self) -> AppResult<Vec<User>>;
    async fn create_user(&self, input: NewUser) -> AppResult<User>;
    async fn set_user_role(&self, user_id: Uuid, role: OrgRole) -> AppResult<User>;
    async fn remove_user(&self, user_id: Uuid) -> AppResult<()>;

    async fn list_members(&self, workspace_id: Uuid) -> AppResult<Vec<WorkspaceMember>>;
    async fn add_member(
        &self,
        workspace_id: Uuid,
        user_id: Uuid,
        role: WorkspaceRole,
    ) -> AppResult<()>;
    async fn set_member_role(
        &self,
        workspace_id: Uuid,
        user_id: Uuid,
        role: WorkspaceRole,
    ) -> AppResult<()>;
    /// Removes a member; returns how many of their keys in it were revoked.
    async fn remove_member(&self, workspace_id: Uuid, user_id: Uuid) -> AppResult<i64>;

    /// The workspace's spend in the current calendar month (UTC).
    async fn monthly_spend(&self, workspace_id: Uuid) -> AppResult<MonthlySpend>;
    /// Cost per day of the current month.
    async fn daily_costs(&self, workspace_id: Uuid) -> AppResult<Vec<DailyCost>>;
    /// The current month's usage per model and day.
    async fn usage_by_model(&self, workspace_id: Uuid) -> AppResult<Vec<ModelDayUsage>>;
    /// The current month's usage per key, most expensive first.
    async fn usage_by_key(&self, workspace_id: Uuid) -> AppResult<Vec<KeyUsage>>;
    /// Spend alerts (a workspace's month passed 50, 80 or 100 % of its
    /// limit) of every workspace the user answers for, newest first; only
    /// those raised at or after `since` when given. Someone who administers
    /// no workspace gets an empty list.
    async fn spend_alerts(&self, since: Option<DateTime<Utc>>) -> AppResult<Vec<SpendAlert>>;

    async fn list_connectors(&self, workspace_id: Uuid) -> AppResult<Vec<Connector>>;
    async fn create_connector(&self, input: NewConnector) -> AppResult<Connector>;
    async fn set_connector_visibility(
        &self,
        connector_id: Uuid,
        visibility: ConnectorVisibility,
    ) -> AppResult<Connector>;
    async fn delete_connector(&self, connector_id: Uuid) -> AppResult<()>;
    /// The connectors requests made with this key may reach, by its scope.
    async fn reachable_connectors(&self, key_id: Uuid) -> AppResult<Vec<Connector>>;

    async fn list_audit(&self, filter: AuditFilter) -> AppResult<Vec<AuditEvent>>;
}

/// Stands in for the real backend when there is none to talk to: when the
/// store could not be opened at start (every call answers `unavailable`
/// with the reason, so the window says what went wrong instead of the app
/// dying silently), or while nobody is signed in to the chosen server
/// (every call answers `unauthorized`).
pub struct UnavailableBackend {
    error: AppError,
}

impl UnavailableBackend {
    pub fn new(reason: impl Into<String>) -> Self {
        UnavailableBackend {
            error: AppError::unavailable(reason),
        }
    }

    /// Answers every call with `error`.
    pub fn failing_with(error: AppError) -> Self {
        UnavailableBackend { error }
    }

    fn fail<T>(&self) -> AppResult<T> {
        Err(self.error.clone())
    }
}

#[async_trait]
impl Backend for UnavailableBackend {
    async fn state(&self) -> AppResult<AppState> {
        self.fail()
    }
    async fn bootstrap(&self, _input: BootstrapInput) -> AppResult<AppState> {
        self.fail()
    }
    async fn list_workspaces(&self) -> AppResult<Vec<Workspace>> {
        self.fail()
    }
    async fn create_workspace(&self, _input: NewWorkspace) -> AppResult<Workspace> {
        self.fail()
    }
    async fn update_workspace(
        &self,
        _workspace_id: Uuid,
        _patch: WorkspacePatch,
    ) -> AppResult<Workspace> {
        self.fail()
    }
    async fn workspace_key_count(&self, _workspace_id: Uuid) -> AppResult<i64> {
        self.fail()
    }
    async fn delete_workspace(&self, _workspace_id: Uuid, _confirmed: bool) -> AppResult<i64> {
        self.fail()
    }
    async fn list_keys(&self, _filter: KeyFilter) -> AppResult<KeyPage> {
        self.fail()
    }
    async fn create_key(&self, _input: NewKey) -> AppResult<IssuedKey> {
        self.fail()
    }
    async fn rename_key(&self, _key_id: Uuid, _name: Option<String>) -> AppResult<ApiKey> {
        self.fail()
    }
    async fn set_key_budget(
        &self,
        _key_id: Uuid,
        _budget_micros: Option<i64>,
    ) -> AppResult<ApiKey> {
        self.fail()
    }
    async fn delete_key(&self, _key_id: Uuid) -> AppResult<()> {
        self.fail()
    }
    async fn rotate_key(&self, _key_id: Uuid, _grace_seconds: Option<i64>) -> AppResult<IssuedKey> {
        self.fail()
    }
    async fn delete_keys(&self, _key_ids: Vec<Uuid>) -> AppResult<i64> {
        self.fail()
    }
    async fn update_organization(&self, _patch: OrganizationPatch) -> AppResult<Organization> {
        self.fail()
    }
    async fn list_users(&self) -> AppResult<Vec<User>> {
        self.fail()
    }
    async fn create_user(&self, _input: NewUser) -> AppResult<User> {
        self.fail()
    }
    async fn set_user_role(&self, _user_id: Uuid, _role: OrgRole) -> AppResult<User> {
        self.fail()
    }
    async fn remove_user(&self, _user_id: Uuid) -> AppResult<()> {
        self.fail()
    }
    async fn list_members(&self, _workspace_id: Uuid) -> AppResult<Vec<WorkspaceMember>> {
        self.fail()
    }
    async fn add_member(&self, _w: Uuid, _u: Uuid, _role: WorkspaceRole) -> AppResult<()> {
        self.fail()
    }
    async fn set_member_role(&self, _w: Uuid, _u: Uuid, _role: WorkspaceRole) -> AppResult<()> {
        self.fail()
    }
    async fn remove_member(&self, _w: Uuid, _u: Uuid) -> AppResult<i64> {
        self.fail()
    }
    async fn monthly_spend(&self, _workspace_id: Uuid) -> AppResult<MonthlySpend> {
        self.fail()
    }
    async fn daily_costs(&self, _workspace_id: Uuid) -> AppResult<Vec<DailyCost>> {
        self.fail()
    }
    async fn usage_by_model(&self, _workspace_id: Uuid) -> AppResult<Vec<ModelDayUsage>> {
        self.fail()
    }
    async fn usage_by_key(&self, _workspace_id: Uuid) -> AppResult<Vec<KeyUsage>> {
        self.fail()
    }
    async fn spend_alerts(&self, _since: Option<DateTime<Utc>>) -> AppResult<Vec<SpendAlert>> {
        self.fail()
    }
    async fn list_connectors(&self, _workspace_id: Uuid) -> AppResult<Vec<Connector>> {
        self.fail()
    }
    async fn create_connector(&self, _input: NewConnector) -> AppResult<Connector> {
        self.fail()
    }
    async fn set_connector_visibility(
        &self,
        _connector_id: Uuid,
        _visibility: ConnectorVisibility,
    ) -> AppResult<Connector> {
        self.fail()
    }
    async fn delete_connector(&self, _connector_id: Uuid) -> AppResult<()> {
        self.fail()
    }
    async fn reachable_connectors(&self, _key_id: Uuid) -> AppResult<Vec<Connector>> {
        self.fail()
    }
    async fn list_audit(&self, _filter: AuditFilter) -> AppResult<Vec<AuditEvent>> {
        self.fail()
    }
}
