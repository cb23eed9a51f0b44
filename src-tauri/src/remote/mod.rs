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
use chrono::{DateTime, NaiveDate, Utc};
use keydesk_core::model::{
    ApiKey, AuditEvent, AuditFilter, Connector, ConnectorScope, ConnectorVisibility, KeyActions,
    KeyFilter, KeyPage, KeyProduct, KeySortColumn, KeyStatus, MonthlySpend, NewConnector, NewKey,
    NewWorkspace, OrgRole, Organization, Plan, RateLimits, User, Workspace, WorkspaceMember,
    WorkspacePatch, WorkspaceRole,
};
use keydesk_core::report::ModelDayUsage;
use keydesk_core::secret::Sensitive;
use keydesk_core::{DailyCost, NewUser, OrganizationPatch};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use tokio::sync::RwLock;
use uuid::Uuid;

use crate::backend::{AppState, Backend, BackendMode, BootstrapInput, IssuedKey, KeyUsage};
use crate::cache::Cache;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::keychain::SessionKey;

mod admin;
mod http;
mod usage;
mod wire;

use self::http::*;
pub use self::http::{error_from, parse_server_url};
use self::wire::*;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long after a resume first reads come from the cache: the window's
/// first screens, not what the user asks for later.
const INSTANT_START: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The server's largest workspace page.
const WORKSPACE_PAGE: usize = 1000;

/// Lists answered from the cache because the server could not be reached.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfflineInfo {
    /// When the server last gave the data now shown.
    pub fetched_at: DateTime<Utc>,
    /// Age of that data when it was served, in seconds.
    pub age_seconds: i64,
}

/// One server and account: what the window lists as a saved profile (in
/// `profiles.json`), the scope of its cache entries, and its keychain entry
/// (`id` names it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
        #[derive(Serialize)]
        struct SignIn<'a> {
            email: &'a str,
            password: &'a str,
        }
        let request = http
            .post(endpoint(&base, "/v1/auth/sessions"))
            .json(&SignIn {
                email: email.trim(),
                password: password.expose(),
            });
        let response = checked(request.send().await.map_err(transport_error)?).await?;
        let session: SessionWire = decode(response).await?;
        let user = session.user.into_model()?;
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
        let me: MeWire = decode(response).await?;
        let user = me.user.into_model()?;
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

    /// Answers each list's first read from the cache at once and refreshes
    /// it in the background, for the first seconds or until the first write.
    pub fn set_instant_start(&self, on: bool) {
        self.set_instant_until(on.then(|| Instant::now() + INSTANT_START));
    }

    fn set_instant_until(&self, until: Option<Instant>) {
        if let Ok(mut slot) = self.instant_until.lock() {
            *slot = until;
        }
    }

    fn instant(&self) -> bool {
        self.instant_until
            .lock()
            .map(|until| until.is_some_and(|t| Instant::now() < t))
            .unwrap_or(false)
    }

    /// Who hears what background refreshes find.
    pub fn set_listener(&self, listener: Option<RemoteListener>) {
        if let Ok(mut slot) = self.listener.lock() {
            *slot = listener;
        }
    }

    fn tell(&self, event: RemoteEvent) {
        let listener = self.listener.lock().ok().and_then(|l| l.clone());
        if let Some(listener) = listener {
            listener(event);
        }
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

    /// `Some` while the lists shown come from the cache because the server
    /// was unreachable at the last read; `None` once it answers again.
    pub fn offline_status(&self) -> Option<OfflineInfo> {
        self.offline.lock().map(|o| o.clone()).unwrap_or(None)
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

    // ------------------------------------------------------------ HTTP

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, endpoint(&self.base, path))
            .bearer_auth(self.token.expose())
    }

    /// Sends a request; a non-2xx answer becomes the matching `AppError`.
    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> AppResult<Response> {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.execute(request).await
    }

    async fn execute(&self, request: RequestBuilder) -> AppResult<Response> {
        let request = request
            .build()
            .map_err(|e| AppError::internal(format!("cannot build the request: {e}")))?;
        let writes = request.method() != Method::GET;
        if writes {
            self.set_instant_until(None);
        }
        let sent = self.http.execute(request).await.map_err(|e| {
            let never_arrived = e.is_connect();
            let mut error = transport_error(e);
            if writes && never_arrived {
                error
                    .message
                    .push_str("; nothing was changed, and nothing is kept to send later");
            } else if writes {
                // The request may have reached the server before the answer was lost.
                error
                    .message
                    .push_str("; the change may have been made: look before trying again");
            }
            error
        })?;
        let response = checked(sent).await?;
        self.set_offline(None);
        Ok(response)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> AppResult<T> {
        decode(self.send(method, path, body).await?).await
    }

    fn set_offline(&self, info: Option<OfflineInfo>) {
        if let Ok(mut slot) = self.offline.lock() {
            *slot = info;
        }
    }

    /// Reads through the cache: the server's answer is stored and returned;
    /// when the server is unreachable, the last stored answer is returned
    /// instead and the backend reports itself offline. Any other error
    /// (unauthorized, forbidden...) is answered as is. In instant-start mode
    /// a first read is answered from the cache and fetched in the background.
    async fn read_through<T, F, Fut>(&self, kind: &str, key: &str, fetch: F) -> AppResult<T>
    where
        T: Serialize + DeserializeOwned + Send + Sync + 'static,
        F: FnOnce(RemoteBackend) -> Fut,
        Fut: std::future::Future<Output = AppResult<T>> + Send + 'static,
    {
        let scope = self.profile.cache_scope();
        let first_read = self
            .served
            .lock()
            .map(|mut served| served.insert(format!("{kind}|{key}")))
            .unwrap_or(false);
        if first_read && self.instant() {
            if let Some(cached) = self.cache.get::<T>(&scope, kind, key).await.ok().flatten() {
                let refresh = fetch(self.clone());
                let this = self.clone();
                let (kind, key, fetched_at) = (kind.to_owned(), key.to_owned(), cached.fetched_at);
                let shown = cached.value;
                let answer = serde_json::to_value(&shown).ok();
                tokio::spawn(async move {
                    match refresh.await {
                        Ok(fresh) => {
                            this.store(&kind, &key, &fresh).await;
                            this.set_offline(None);
                            if serde_json::to_value(&fresh).ok() != answer {
                                this.tell(RemoteEvent::Refreshed { kind });
                            }
                        }
                        Err(e) if e.code == ErrorCode::Unauthorized => {
                            this.tell(RemoteEvent::SessionEnded)
                        }
                        Err(e) if e.code == ErrorCode::Unavailable => {
                            this.mark_offline_since(fetched_at);
                            this.tell(RemoteEvent::Refreshed { kind });
                        }
                        Err(_) => {}
                    }
                });
                return Ok(shown);
            }
        }
        match fetch(self.clone()).await {
            Ok(value) => {
                self.store(kind, key, &value).await;
                Ok(value)
            }
            Err(error) if error.code == ErrorCode::Unavailable => {
                match self.cache.get::<T>(&scope, kind, key).await.ok().flatten() {
                    Some(cached) => {
                        self.mark_offline_since(cached.fetched_at);
                        Ok(cached.value)
                    }
                    None => Err(error),
                }
            }
            Err(error) => Err(error),
        }
    }

    async fn store<T: Serialize>(&self, kind: &str, key: &str, value: &T) {
        let scope = self.profile.cache_scope();
        if let Err(e) = self.cache.put(&scope, kind, key, value, Utc::now()).await {
            // A cache that cannot be written costs offline reads only.
            eprintln!("keydesk: {e}");
        }
    }

    fn mark_offline_since(&self, fetched_at: DateTime<Utc>) {
        let age = (Utc::now() - fetched_at).num_seconds().max(0);
        self.set_offline(Some(OfflineInfo {
            fetched_at,
            age_seconds: age,
        }));
    }

    /// The signed-in user, asked once.
    async fn current_user(&self) -> AppResult<User> {
        if let Some(user) = self.me.read().await.clone() {
            return Ok(user);
        }
        let me: MeWire = self.call(Method::GET, "/v1/me", None).await?;
        let user = me.user.into_model()?;
        *self.me.write().await = Some(user.clone());
        Ok(user)
    }

    async fn fetch_state(&self) -> AppResult<StateSnapshot> {
        let me: MeWire = self.call(Method::GET, "/v1/me", None).await?;
        let user = me.user.into_model()?;
        *self.me.write().await = Some(user.clone());
        let org: OrganizationWire = self
            .call(Method::GET, "/v1/admin/organization", None)
            .await?;
        Ok(StateSnapshot {
            organization: org.into_model()?,
            user,
        })
    }

    async fn fetch_workspaces(&self) -> AppResult<Vec<Workspace>> {
        let mut all = Vec::new();
        for page in 1.. {
            let request = self
                .request(Method::GET, "/v1/admin/workspaces")
                .query(&[("page", page), ("page_size", WORKSPACE_PAGE)]);
            let body: WorkspacesWire = decode(self.execute(request).await?).await?;
            let got = body.items.len();
            for item in body.items {
                all.push(item.into_model());
            }
            if got < WORKSPACE_PAGE || all.len() as i64 >= body.total {
                break;
            }
        }
        Ok(all)
    }

    async fn fetch_keys(&self, filter: &KeyFilter) -> AppResult<KeyPage> {
        let request = self
            .request(Method::GET, "/v1/admin/api-keys")
            .query(&KeysQuery::from(filter));
        let body: KeysWire = decode(self.execute(request).await?).await?;
        Ok(KeyPage {
            keys: body
                .keys
                .into_iter()
                .map(KeyWire::into_model)
                .collect::<AppResult<_>>()?,
            total: body.total,
            total_exact: body.total_exact,
        })
    }

    async fn get_workspace(&self, workspace_id: Uuid) -> AppResult<Workspace> {
        let ws: WorkspaceWire = self
            .call(
                Method::GET,
                &format!("/v1/admin/workspaces/{workspace_id}"),
                None,
            )
            .await?;
        Ok(ws.into_model())
    }

    async fn issued(&self, response: Response) -> AppResult<IssuedKey> {
        let mut wire: KeyWire = decode(response).await?;
        let secret = wire
            .key
            .take()
            .ok_or_else(|| AppError::internal("the server did not return the new key's secret"))?;
        let clamped = wire.expiration_clamped.unwrap_or(false);
        Ok(IssuedKey {
            key: wire.into_model()?,
            secret: Sensitive::new(secret),
            expiration_clamped: clamped,
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
        self.read_through(
            "workspaces",
            "",
            |b| async move { b.fetch_workspaces().await },
        )
        .await
    }

    async fn create_workspace(&self, input: NewWorkspace) -> AppResult<Workspace> {
        let admin = match input.admin_user_id {
            Some(id) => id,
            None => self.current_user().await?.id,
        };
        let body = json!({
            "name": input.name,
            "description": input.description,
            "icon": input.icon,
            "admin_user_id": admin,
        });
        let ws: WorkspaceWire = self
            .call(Method::POST, "/v1/admin/workspaces", Some(body))
            .await?;
        Ok(ws.into_model())
    }

    async fn update_workspace(
        &self,
        workspace_id: Uuid,
        patch: WorkspacePatch,
    ) -> AppResult<Workspace> {
        // One PATCH: the server applies details and settings together.
        let mut body = Map::new();
        if let Some(name) = patch.name {
            body.insert("name".into(), json!(name));
        }
        if let Some(description) = patch.description {
            body.insert("description".into(), json!(description));
        }
        if let Some(icon) = patch.icon {
            body.insert("icon".into(), json!(icon));
        }
        if let Some(limit) = patch.monthly_spend_limit_micros {
            body.insert(
                "monthly_spend_limit".into(),
                json!(limit.map(|m| m as f64 / 1_000_000.0)),
            );
        }
        if let Some(days) = patch.key_max_days {
            body.insert("key_max_days".into(), json!(days));
        }
        if let Some(limits) = patch.rate_limits {
            body.insert(
                "requests_per_second".into(),
                json!(limits.requests_per_second),
            );
            body.insert("tokens_per_minute".into(), json!(limits.tokens_per_minute));
        }
        if body.is_empty() {
            return self.get_workspace(workspace_id).await;
        }
        let ws: WorkspaceWire = self
            .call(
                Method::PATCH,
                &format!("/v1/admin/workspaces/{workspace_id}"),
                Some(Value::Object(body)),
            )
            .await?;
        Ok(ws.into_model())
    }

    async fn workspace_key_count(&self, workspace_id: Uuid) -> AppResult<i64> {
        let page = self
            .fetch_keys(&KeyFilter {
                workspace_id: Some(workspace_id),
                limit: Some(1),
                ..Default::default()
            })
            .await?;
        Ok(page.total)
    }

    async fn delete_workspace(&self, workspace_id: Uuid, confirmed: bool) -> AppResult<i64> {
        // The server's core decides, in its order: visibility, permission,
        // the default workspace, then confirmation (which names the count).
        let keys = self.workspace_key_count(workspace_id).await?;
        self.send(
            Method::DELETE,
            &format!("/v1/admin/workspaces/{workspace_id}?confirm={confirmed}"),
            None,
        )
        .await?;
        Ok(keys)
    }

    async fn list_keys(&self, filter: KeyFilter) -> AppResult<KeyPage> {
        let key = serde_json::to_string(&filter)
            .map_err(|e| AppError::internal(format!("cannot encode a key filter: {e}")))?;
        self.read_through("keys", &key, |b| async move { b.fetch_keys(&filter).await })
            .await
    }

    async fn create_key(&self, input: NewKey) -> AppResult<IssuedKey> {
        let owner = match input.user_id {
            Some(id) => id,
            None => self.current_user().await?.id,
        };
        let body = json!({
            "workspace_uuid": input.workspace_id,
            "user_id": owner,
            "name": input.name,
            "expiration": input.expiration,
            "connector_scope": input.connector_scope,
            "product": input.product,
            "monthly_budget": input.monthly_budget_micros.map(|m| m as f64 / 1_000_000.0),
        });
        let response = self
            .send(Method::POST, "/v1/admin/api-keys", Some(body))
            .await?;
        self.issued(response).await
    }

    async fn rename_key(&self, key_id: Uuid, name: Option<String>) -> AppResult<ApiKey> {
        let key: KeyWire = self
            .call(
                Method::PATCH,
                &format!("/v1/admin/api-keys/{key_id}"),
                Some(json!({ "name": name })),
            )
            .await?;
        key.into_model()
    }

    async fn set_key_budget(&self, key_id: Uuid, budget_micros: Option<i64>) -> AppResult<ApiKey> {
        let key: KeyWire = self
            .call(
                Method::PATCH,
                &format!("/v1/admin/api-keys/{key_id}"),
                Some(json!({ "monthly_budget": budget_micros.map(|m| m as f64 / 1_000_000.0) })),
            )
            .await?;
        key.into_model()
    }

    async fn delete_key(&self, key_id: Uuid) -> AppResult<()> {
        self.send(
            Method::DELETE,
            &format!("/v1/admin/api-keys/{key_id}"),
            None,
        )
        .await?;
        Ok(())
    }

    async fn rotate_key(&self, key_id: Uuid, grace_seconds: Option<i64>) -> AppResult<IssuedKey> {
        let response = self
            .send(
                Method::POST,
                &format!("/v1/admin/api-keys/{key_id}/rotate"),
                Some(json!({ "grace_period_seconds": grace_seconds })),
            )
            .await?;
        self.issued(response).await
    }

    async fn delete_keys(&self, key_ids: Vec<Uuid>) -> AppResult<i64> {
        // One call: the server deletes all of them or none.
        let out: Value = self
            .call(
                Method::POST,
                "/v1/admin/api-keys-delete",
                Some(json!({ "key_ids": key_ids })),
            )
            .await?;
        Ok(out["deleted_count"].as_i64().unwrap_or(0))
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
