//! `RemoteBackend`: the `Backend` trait over HTTP to a keydesk-server. It
//! signs in with email and password (a session token) or uses an Admin API
//! key, sends that credential as `Authorization: Bearer`, turns the server's
//! JSON errors into `AppError` codes and its wire shapes into keydesk-core's
//! model types, so the commands and the UI cannot tell it from local mode.
//!
//! Reads go through the local cache (cache.rs): every list the server answers
//! is stored; when the server cannot be reached, lists come from the cache
//! and `offline_status()` says since when they are known. Writes are refused
//! while offline (`unavailable`) — nothing is queued. The credential is kept
//! only in memory here, inside `Sensitive`, and is never logged or cached.
//!
//! With `instant_start`, set when the app resumes a saved session, the first
//! read of each list in the first seconds is answered from the cache at once
//! and fetched again in the background; the listener hears when that fetch
//! brought something new (or found the session ended), so the window can
//! redraw. Those seconds end early at the first write: from then on every
//! read asks the server first.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keydesk_api::{MeOut, OrganizationOut, SessionOut, SignInIn};
use keydesk_core::model::{
    ApiKey, AuditEvent, AuditFilter, Connector, ConnectorVisibility, KeyFilter, KeyPage,
    MonthlySpend, NewConnector, NewKey, NewWorkspace, OrgRole, Organization, User, Workspace,
    WorkspaceMember, WorkspacePatch, WorkspaceRole,
};
use keydesk_core::report::ModelDayUsage;
use keydesk_core::secret::Sensitive;
use keydesk_core::{DailyCost, NewUser, OrganizationPatch};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::RwLock;
use uuid::Uuid;

use crate::backend::{
    AppState, Backend, BackendMode, BootstrapInput, IssuedKey, KeyUsage, SpendAlert,
};
use crate::cache::Cache;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::keychain::SessionKey;

mod admin;
mod http;
mod keys;
mod read_through;
mod usage;
mod workspaces;

use self::http::*;
pub use self::http::{error_from, parse_server_url};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long after a resume first reads come from the cache: the window's
/// first screens, not what the user asks for later.
const INSTANT_START: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Lists answered from the cache because the server could not be reached.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct OfflineInfo {
    /// When the server last gave the data now shown.
    pub fetched_at: DateTime<Utc>,
    /// Age of that data when it was served, in seconds.
    pub age_seconds: i64,
}

/// One server and account: what the window lists as a saved profile (in
/// `profiles.json`), the scope of its cache entries, and its keychain entry
/// (`id` names it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Profile {
    pub id: String,
    /// The server's base address, without a trailing slash.
    pub server_url: String,
    /// The account's email address, lower-cased.
    pub account: String,
    pub credential: CredentialKind,
}

impl Profile {
    pub fn new(server_url: &str, account: &str, credential: CredentialKind) -> Self {
        let server_url = server_url.trim_end_matches('/').to_owned();
        let account = account.trim().to_lowercase();
        Profile {
            id: format!("{server_url} {account}"),
            server_url,
            account,
            credential,
        }
    }

    /// The keychain entry of this profile's session.
    pub fn session_key(&self) -> SessionKey {
        SessionKey {
            server_url: self.server_url.clone(),
            email: self.account.clone(),
        }
    }

    fn cache_scope(&self) -> String {
        cache_scope(&self.server_url, &self.account)
    }
}

/// The cache entries of one server + account.
pub fn cache_scope(server_url: &str, account: &str) -> String {
    format!("{server_url}|{account}")
}

/// How the backend authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// A session token from `POST /v1/auth/sessions`; sign-out revokes it.
    Session,
    /// An Admin API key: nothing to revoke on sign-out.
    AdminKey,
}

/// What a background refresh found out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteEvent {
    /// The list of this kind (`state`, `workspaces`, `keys`...) changed on
    /// the server since the cached copy that was shown.
    Refreshed { kind: String },
    /// The server no longer accepts the credential.
    SessionEnded,
}

/// Hears background refreshes; set by the app shell.
pub type RemoteListener = Arc<dyn Fn(RemoteEvent) + Send + Sync>;

/// What `state()` keeps in the cache.
#[derive(Serialize, Deserialize)]
struct StateSnapshot {
    organization: Organization,
    user: User,
}

/// Cheap to clone: every clone shares the connection pool, the cache and
/// the offline state, so a background refresh can own one.
#[derive(Clone)]
pub struct RemoteBackend {
    http: reqwest::Client,
    base: Url,
    profile: Profile,
    token: Sensitive<String>,
    kind: CredentialKind,
    cache: Cache,
    me: Arc<RwLock<Option<User>>>,
    offline: Arc<Mutex<Option<OfflineInfo>>>,
    /// Until when first reads are answered from the cache (see the module
    /// comment).
    instant_until: Arc<Mutex<Option<Instant>>>,
    /// The (kind, key) reads already answered in this run.
    served: Arc<Mutex<HashSet<String>>>,
    listener: Arc<Mutex<Option<RemoteListener>>>,
}

impl RemoteBackend {
    /// Signs in with email and password and opens the profile's cache in
    /// `data_dir`.
    pub async fn sign_in(
        server_url: &str,
        email: &str,
        password: Sensitive<String>,
        data_dir: &Path,
    ) -> AppResult<Self> {
        let base = parse_server_url(server_url)?;
        let http = client()?;
        let request = http
            .post(endpoint(&base, "/v1/auth/sessions"))
            .json(&SignInIn {
                email: email.trim().to_owned(),
                password: password.expose().clone(),
            });
        let response = checked(request.send().await.map_err(transport_error)?).await?;
        let session: SessionOut = decode(response).await?;
        let user = User::try_from(session.user)?;
        let token = Sensitive::new(session.token);
        let profile = Profile::new(base.as_str(), &user.email, CredentialKind::Session);
        let backend = Self::assemble(
            http,
            base,
            profile,
            token,
            CredentialKind::Session,
            data_dir,
        )
        .await?;
        *backend.me.write().await = Some(user);
        Ok(backend)
    }

    /// Uses an Admin API key (a platform-hosted organization); asks the
    /// server who the key acts as.
    pub async fn with_admin_key(
        server_url: &str,
        api_key: Sensitive<String>,
        data_dir: &Path,
    ) -> AppResult<Self> {
        let base = parse_server_url(server_url)?;
        let http = client()?;
        let request = http
            .get(endpoint(&base, "/v1/me"))
            .bearer_auth(api_key.expose());
        let response = checked(request.send().await.map_err(transport_error)?).await?;
        let me: MeOut = decode(response).await?;
        let user = User::try_from(me.user)?;
        let profile = Profile::new(base.as_str(), &user.email, CredentialKind::AdminKey);
        let backend = Self::assemble(
            http,
            base,
            profile,
            api_key,
            CredentialKind::AdminKey,
            data_dir,
        )
        .await?;
        *backend.me.write().await = Some(user);
        Ok(backend)
    }

    /// Resumes a saved session (a token read from the keychain) without
    /// contacting the server, so the app opens at once, offline included.
    pub async fn resume(
        server_url: &str,
        account: &str,
        token: Sensitive<String>,
        data_dir: &Path,
    ) -> AppResult<Self> {
        Self::resume_as(
            server_url,
            account,
            token,
            CredentialKind::Session,
            data_dir,
        )
        .await
    }

    /// `resume` for either kind of saved credential.
    pub async fn resume_as(
        server_url: &str,
        account: &str,
        token: Sensitive<String>,
        kind: CredentialKind,
        data_dir: &Path,
    ) -> AppResult<Self> {
        let base = parse_server_url(server_url)?;
        let profile = Profile::new(base.as_str(), account, kind);
        Self::assemble(client()?, base, profile, token, kind, data_dir).await
    }

    async fn assemble(
        http: reqwest::Client,
        base: Url,
        profile: Profile,
        token: Sensitive<String>,
        kind: CredentialKind,
        data_dir: &Path,
    ) -> AppResult<Self> {
        let cache = Cache::open(data_dir).await?;
        Ok(RemoteBackend {
            http,
            base,
            profile,
            token,
            kind,
            cache,
            me: Arc::new(RwLock::new(None)),
            offline: Arc::new(Mutex::new(None)),
            instant_until: Arc::new(Mutex::new(None)),
            served: Arc::new(Mutex::new(HashSet::new())),
            listener: Arc::new(Mutex::new(None)),
        })
    }

    /// How this backend authenticates.
    pub fn credential_kind(&self) -> CredentialKind {
        self.kind
    }

    /// The server + account this backend works for.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The credential, for the keychain (and nothing else).
    pub fn token(&self) -> &Sensitive<String> {
        &self.token
    }

    /// Ends the session on the server. With an Admin API key there is no
    /// session to end, and the key stays valid.
    pub async fn sign_out(&self) -> AppResult<()> {
        if let CredentialKind::AdminKey = self.kind {
            return Ok(());
        }
        match self
            .send(Method::DELETE, "/v1/auth/sessions/current", None)
            .await
        {
            Ok(_) => Ok(()),
            // Already expired or revoked: signed out either way.
            Err(e) if e.code == ErrorCode::Unauthorized => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Drops this profile's cached lists (on sign-out: nothing of the
    /// organization stays readable on this computer).
    pub async fn forget_cached(&self) {
        if let Err(e) = self.cache.clear_profile(&self.profile.cache_scope()).await {
            eprintln!("keydesk: {e}");
        }
    }

    /// Closes the cache file.
    pub async fn close(&self) {
        self.cache.close().await;
    }

    /// The signed-in user, asked once.
    async fn current_user(&self) -> AppResult<User> {
        if let Some(user) = self.me.read().await.clone() {
            return Ok(user);
        }
        let me: MeOut = self.call(Method::GET, "/v1/me", None).await?;
        let user = User::try_from(me.user)?;
        *self.me.write().await = Some(user.clone());
        Ok(user)
    }

    async fn fetch_state(&self) -> AppResult<StateSnapshot> {
        let user = {
            let me: MeOut = self.call(Method::GET, "/v1/me", None).await?;
            User::try_from(me.user)?
        };
        *self.me.write().await = Some(user.clone());
        let org: OrganizationOut = self
            .call(Method::GET, "/v1/admin/organization", None)
            .await?;
        Ok(StateSnapshot {
            organization: org.try_into()?,
            user,
        })
    }
}

#[async_trait]
impl Backend for RemoteBackend {
    async fn state(&self) -> AppResult<AppState> {
        let snapshot = self
            .read_through("state", "", |b| async move { b.fetch_state().await })
            .await?;
        Ok(AppState {
            mode: BackendMode::Remote,
            organization: Some(snapshot.organization),
            user: Some(snapshot.user),
        })
    }

    async fn bootstrap(&self, _input: BootstrapInput) -> AppResult<AppState> {
        Err(AppError::new(
            ErrorCode::Forbidden,
            "a Keydesk server's organization is created on the server with `keydesk-server init`; sign in to it instead",
        ))
    }

    async fn list_workspaces(&self) -> AppResult<Vec<Workspace>> {
        self.list_workspaces().await
    }

    async fn create_workspace(&self, input: NewWorkspace) -> AppResult<Workspace> {
        self.create_workspace(input).await
    }

    async fn update_workspace(
        &self,
        workspace_id: Uuid,
        patch: WorkspacePatch,
    ) -> AppResult<Workspace> {
        self.update_workspace(workspace_id, patch).await
    }

    async fn workspace_key_count(&self, workspace_id: Uuid) -> AppResult<i64> {
        self.workspace_key_count(workspace_id).await
    }

    async fn delete_workspace(&self, workspace_id: Uuid, confirmed: bool) -> AppResult<i64> {
        self.delete_workspace(workspace_id, confirmed).await
    }

    async fn list_keys(&self, filter: KeyFilter) -> AppResult<KeyPage> {
        self.list_keys(filter).await
    }

    async fn create_key(&self, input: NewKey) -> AppResult<IssuedKey> {
        self.create_key(input).await
    }

    async fn rename_key(&self, key_id: Uuid, name: Option<String>) -> AppResult<ApiKey> {
        self.rename_key(key_id, name).await
    }

    async fn set_key_budget(&self, key_id: Uuid, budget_micros: Option<i64>) -> AppResult<ApiKey> {
        self.set_key_budget(key_id, budget_micros).await
    }

    async fn delete_key(&self, key_id: Uuid) -> AppResult<()> {
        self.delete_key(key_id).await
    }

    async fn rotate_key(&self, key_id: Uuid, grace_seconds: Option<i64>) -> AppResult<IssuedKey> {
        self.rotate_key(key_id, grace_seconds).await
    }

    async fn delete_keys(&self, key_ids: Vec<Uuid>) -> AppResult<i64> {
        self.delete_keys(key_ids).await
    }

    async fn update_organization(&self, patch: OrganizationPatch) -> AppResult<Organization> {
        self.update_organization(patch).await
    }

    async fn list_users(&self) -> AppResult<Vec<User>> {
        self.list_users().await
    }

    async fn create_user(&self, input: NewUser) -> AppResult<User> {
        self.create_user(input).await
    }

    async fn set_user_role(&self, user_id: Uuid, role: OrgRole) -> AppResult<User> {
        self.set_user_role(user_id, role).await
    }

    async fn remove_user(&self, user_id: Uuid) -> AppResult<()> {
        self.remove_user(user_id).await
    }

    async fn list_members(&self, workspace_id: Uuid) -> AppResult<Vec<WorkspaceMember>> {
        self.list_members(workspace_id).await
    }

    async fn add_member(
        &self,
        workspace_id: Uuid,
        user_id: Uuid,
        role: WorkspaceRole,
    ) -> AppResult<()> {
        self.put_member(workspace_id, user_id, role, true).await
    }

    async fn set_member_role(
        &self,
        workspace_id: Uuid,
        user_id: Uuid,
        role: WorkspaceRole,
    ) -> AppResult<()> {
        self.put_member(workspace_id, user_id, role, false).await
    }

    async fn remove_member(&self, workspace_id: Uuid, user_id: Uuid) -> AppResult<i64> {
        self.remove_member(workspace_id, user_id).await
    }

    async fn monthly_spend(&self, workspace_id: Uuid) -> AppResult<MonthlySpend> {
        self.monthly_spend(workspace_id).await
    }

    async fn daily_costs(&self, workspace_id: Uuid) -> AppResult<Vec<DailyCost>> {
        self.daily_costs(workspace_id).await
    }

    async fn usage_by_model(&self, workspace_id: Uuid) -> AppResult<Vec<ModelDayUsage>> {
        self.usage_by_model(workspace_id).await
    }

    async fn usage_by_key(&self, workspace_id: Uuid) -> AppResult<Vec<KeyUsage>> {
        self.usage_by_key(workspace_id).await
    }

    async fn spend_alerts(&self, since: Option<DateTime<Utc>>) -> AppResult<Vec<SpendAlert>> {
        self.spend_alerts(since).await
    }

    async fn list_connectors(&self, workspace_id: Uuid) -> AppResult<Vec<Connector>> {
        self.list_connectors(workspace_id).await
    }

    async fn create_connector(&self, input: NewConnector) -> AppResult<Connector> {
        self.create_connector(input).await
    }

    async fn set_connector_visibility(
        &self,
        connector_id: Uuid,
        visibility: ConnectorVisibility,
    ) -> AppResult<Connector> {
        self.set_connector_visibility(connector_id, visibility)
            .await
    }

    async fn delete_connector(&self, connector_id: Uuid) -> AppResult<()> {
        self.delete_connector(connector_id).await
    }

    async fn reachable_connectors(&self, key_id: Uuid) -> AppResult<Vec<Connector>> {
        self.reachable_connectors(key_id).await
    }

    async fn list_audit(&self, filter: AuditFilter) -> AppResult<Vec<AuditEvent>> {
        self.list_audit(filter).await
    }
}
