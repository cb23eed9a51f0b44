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

mod admin;
mod usage;

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

/// One saved server + account: the scope of cache entries and, later, of
/// the keychain entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The server's base address, without a trailing slash.
    pub server_url: String,
    /// The account's email address, lower-cased.
    pub account: String,
}

impl Profile {
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
        let profile = Profile {
            server_url: base.as_str().trim_end_matches('/').to_owned(),
            account: user.email.to_lowercase(),
        };
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
        let profile = Profile {
            server_url: base.as_str().trim_end_matches('/').to_owned(),
            account: user.email.to_lowercase(),
        };
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
        let profile = Profile {
            server_url: base.as_str().trim_end_matches('/').to_owned(),
            account: account.trim().to_lowercase(),
        };
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
        self.patch_organization(patch).await
    }

    async fn list_users(&self) -> AppResult<Vec<User>> {
        self.users().await
    }

    async fn create_user(&self, input: NewUser) -> AppResult<User> {
        self.add_user(input).await
    }

    async fn set_user_role(&self, user_id: Uuid, role: OrgRole) -> AppResult<User> {
        self.change_user_role(user_id, role).await
    }

    async fn remove_user(&self, user_id: Uuid) -> AppResult<()> {
        self.delete_user(user_id).await
    }

    async fn list_members(&self, workspace_id: Uuid) -> AppResult<Vec<WorkspaceMember>> {
        self.members(workspace_id).await
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
        self.drop_member(workspace_id, user_id).await
    }

    async fn monthly_spend(&self, workspace_id: Uuid) -> AppResult<MonthlySpend> {
        self.month_spend(workspace_id).await
    }

    async fn daily_costs(&self, workspace_id: Uuid) -> AppResult<Vec<DailyCost>> {
        self.cost_per_day(workspace_id).await
    }

    async fn usage_by_model(&self, workspace_id: Uuid) -> AppResult<Vec<ModelDayUsage>> {
        self.usage_per_model(workspace_id).await
    }

    async fn usage_by_key(&self, workspace_id: Uuid) -> AppResult<Vec<KeyUsage>> {
        self.usage_per_key(workspace_id).await
    }

    async fn list_connectors(&self, workspace_id: Uuid) -> AppResult<Vec<Connector>> {
        self.connectors(workspace_id).await
    }

    async fn create_connector(&self, input: NewConnector) -> AppResult<Connector> {
        self.add_connector(input).await
    }

    async fn set_connector_visibility(
        &self,
        connector_id: Uuid,
        visibility: ConnectorVisibility,
    ) -> AppResult<Connector> {
        self.change_connector_visibility(connector_id, visibility)
            .await
    }

    async fn delete_connector(&self, connector_id: Uuid) -> AppResult<()> {
        self.drop_connector(connector_id).await
    }

    async fn reachable_connectors(&self, key_id: Uuid) -> AppResult<Vec<Connector>> {
        self.key_reach(key_id).await
    }

    async fn list_audit(&self, filter: AuditFilter) -> AppResult<Vec<AuditEvent>> {
        self.audit(filter).await
    }
}

// ---------------------------------------------------------------- helpers

fn client() -> AppResult<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("keydesk-desktop/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AppError::internal(format!("cannot set up the HTTP client: {e}")))
}

/// Accepts `https://...`, and plain `http://` only for this machine (a
/// session token must not cross a network in clear text).
pub fn parse_server_url(text: &str) -> AppResult<Url> {
    let invalid = || {
        AppError::validation(
            "server_url",
            "enter the server's address, like https://keydesk.example.com",
        )
    };
    let mut url = Url::parse(text.trim()).map_err(|_| invalid())?;
    if url.host_str().is_none() || url.query().is_some() || url.fragment().is_some() {
        return Err(invalid());
    }
    if !url.username().is_empty() || url.password().is_some() {
        // It would be saved with the profile and sent as a password.
        return Err(AppError::validation(
            "server_url",
            "leave the user name and password out of the address; sign in below instead",
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(AppError::validation(
                "server_url",
                "use https:// for a server on another machine (plain http only for localhost)",
            ))
        }
        _ => return Err(invalid()),
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `path` (starting with `/`) under the server's base address, which may
/// itself have a path (a server behind a reverse proxy prefix).
fn endpoint(base: &Url, path: &str) -> Url {
    base.join(path.trim_start_matches('/'))
        .unwrap_or_else(|_| base.clone())
}

/// The server could not be reached (refused, timed out, TLS failure...).
/// The reqwest error names the URL only; it never carries our headers.
fn transport_error(error: reqwest::Error) -> AppError {
    let why = if error.is_timeout() {
        "it did not answer in time"
    } else if error.is_connect() {
        "the connection failed"
    } else {
        "the request could not be sent"
    };
    AppError::unavailable(format!("server unreachable: {why}"))
}

/// The error body keydesk-server sends: `{"error": {code, message, field}}`.
#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorWire,
}

#[derive(Deserialize)]
struct ErrorWire {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    field: Option<String>,
}

/// Passes a 2xx answer through; anything else becomes an `AppError`.
async fn checked(response: Response) -> AppResult<Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let bytes = response.bytes().await.unwrap_or_default();
    Err(error_from(status, &bytes))
}

/// Maps a failed answer to an `AppError`: the server's own code when it sent
/// one we know, else the HTTP status.
pub fn error_from(status: StatusCode, body: &[u8]) -> AppError {
    let wire = serde_json::from_slice::<ErrorEnvelope>(body)
        .ok()
        .map(|e| e.error);
    let by_status = match status.as_u16() {
        400 | 422 => ErrorCode::Validation,
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        409 => ErrorCode::Conflict,
        429 | 502 | 503 | 504 => ErrorCode::Unavailable,
        _ => ErrorCode::Internal,
    };
    let by_body = wire
        .as_ref()
        .and_then(|w| w.code.as_deref())
        .and_then(|c| match c {
            "validation" => Some(ErrorCode::Validation),
            "not_found" => Some(ErrorCode::NotFound),
            "conflict" => Some(ErrorCode::Conflict),
            "forbidden" => Some(ErrorCode::Forbidden),
            "unauthorized" => Some(ErrorCode::Unauthorized),
            "internal" => Some(ErrorCode::Internal),
            _ => None,
        });
    // A gateway in front of the server (503...) speaks for the server being away.
    let code = if by_status == ErrorCode::Unavailable {
        by_status
    } else {
        by_body.unwrap_or(by_status)
    };
    let message = match code {
        ErrorCode::Unauthorized => {
            "your session has ended or the credential is not valid: sign in again".to_owned()
        }
        ErrorCode::Unavailable => format!(
            "server unreachable: it answered {} — try again later",
            status
        ),
        _ => wire
            .as_ref()
            .and_then(|w| w.message.clone())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| format!("the server answered {status}")),
    };
    AppError {
        code,
        message,
        field: wire.and_then(|w| w.field),
    }
}

async fn decode<T: DeserializeOwned>(response: Response) -> AppResult<T> {
    let bytes = response.bytes().await.map_err(transport_error)?;
    // serde's message may quote a value from the body (which can hold a
    // secret), so only the position is reported.
    serde_json::from_slice(&bytes).map_err(|e| {
        AppError::internal(format!(
            "unexpected answer from the server (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

fn micros(usd: f64) -> i64 {
    (usd * 1_000_000.0).round() as i64
}

// ---------------------------------------------------------------- wire shapes
// Only the fields the desktop uses; serde ignores the rest.

/// What `state()` keeps in the cache.
#[derive(Serialize, Deserialize)]
struct StateSnapshot {
    organization: Organization,
    user: User,
}

/// `POST /v1/auth/sessions`. Not `Debug`: it carries the token.
#[derive(Deserialize)]
struct SessionWire {
    token: String,
    user: UserWire,
}

#[derive(Deserialize)]
struct MeWire {
    user: UserWire,
}

#[derive(Deserialize)]
struct UserWire {
    id: Uuid,
    email: String,
    name: String,
    org_role: String,
    created_at: DateTime<Utc>,
}

impl UserWire {
    fn into_model(self) -> AppResult<User> {
        let org_role = OrgRole::from_code(&self.org_role).ok_or_else(|| {
            AppError::internal(format!("unknown organization role '{}'", self.org_role))
        })?;
        Ok(User {
            id: self.id,
            email: self.email,
            name: self.name,
            org_role,
            created_at: self.created_at,
        })
    }
}

#[derive(Deserialize)]
struct OrganizationWire {
    uuid: Uuid,
    name: String,
    plan: String,
    billing_active: bool,
    monthly_spend_limit: Option<f64>,
    key_max_days: Option<i32>,
    created_at: DateTime<Utc>,
}

impl OrganizationWire {
    fn into_model(self) -> AppResult<Organization> {
        let plan = Plan::parse(&self.plan)
            .ok_or_else(|| AppError::internal(format!("unknown plan '{}'", self.plan)))?;
        Ok(Organization {
            id: self.uuid,
            name: self.name,
            plan,
            billing_active: self.billing_active,
            monthly_spend_limit_micros: self.monthly_spend_limit.map(micros),
            key_max_days: self.key_max_days,
            created_at: self.created_at,
        })
    }
}

#[derive(Deserialize)]
struct WorkspacesWire {
    total: i64,
    items: Vec<WorkspaceWire>,
}

#[derive(Deserialize)]
struct SpendLimitWire {
    value: Option<f64>,
}

#[derive(Deserialize)]
struct RateLimitsWire {
    requests_per_second: Option<i32>,
    #[serde(default)]
    tokens_per_minute: std::collections::BTreeMap<String, i64>,
}

#[derive(Deserialize)]
struct WorkspaceWire {
    uuid: Uuid,
    name: String,
    description: Option<String>,
    icon: Option<String>,
    members_count: Option<i64>,
    spend_limit: Option<SpendLimitWire>,
    is_default: bool,
    key_max_days: Option<i32>,
    rate_limits: Option<RateLimitsWire>,
    created_at: DateTime<Utc>,
}

impl WorkspaceWire {
    fn into_model(self) -> Workspace {
        let rate_limits = self.rate_limits.map_or(
            RateLimits {
                requests_per_second: None,
                tokens_per_minute: Default::default(),
            },
            |r| RateLimits {
                requests_per_second: r.requests_per_second,
                tokens_per_minute: r.tokens_per_minute,
            },
        );
        Workspace {
            id: self.uuid,
            name: self.name,
            description: self.description.unwrap_or_default(),
            icon: self.icon.unwrap_or_default(),
            is_default: self.is_default,
            members_count: self.members_count.unwrap_or(0),
            monthly_spend_limit_micros: self.spend_limit.and_then(|s| s.value).map(micros),
            rate_limits,
            key_max_days: self.key_max_days,
            created_at: self.created_at,
        }
    }
}

#[derive(Deserialize)]
struct KeysWire {
    keys: Vec<KeyWire>,
    total: i64,
    total_exact: bool,
}

#[derive(Deserialize)]
struct KeyActionsWire {
    rotate: Option<keydesk_core::model::ActionAvailability>,
    delete: Option<keydesk_core::model::ActionAvailability>,
}

/// One API key as the server sends it. Not `Debug`: at creation and
/// rotation it carries the full secret in `key`.
#[derive(Deserialize)]
struct KeyWire {
    key_id: Uuid,
    #[serde(default)]
    key: Option<String>,
    name: Option<String>,
    hidden_key: String,
    created_at: Option<DateTime<Utc>>,
    expiration_date: Option<NaiveDate>,
    actions: KeyActionsWire,
    workspace_id: Option<Uuid>,
    workspace_name: Option<String>,
    created_by: Option<String>,
    product: Option<KeyProduct>,
    user_id: Uuid,
    status: KeyStatus,
    connector_scope: ConnectorScope,
    last_used_at: Option<DateTime<Utc>>,
    rotation_ends_at: Option<DateTime<Utc>>,
    #[serde(default)]
    expiration_clamped: Option<bool>,
    #[serde(default)]
    monthly_budget: Option<f64>,
}

impl KeyWire {
    /// The public form; the secret, if any, must have been taken out first.
    fn into_model(self) -> AppResult<ApiKey> {
        let missing = |what: &str| AppError::internal(format!("the server's key has no {what}"));
        let not_allowed = keydesk_core::model::ActionAvailability::Unavailable {
            reason: Some(keydesk_core::model::UnavailableReason::NotAllowed),
        };
        Ok(ApiKey {
            key_id: self.key_id,
            name: self.name,
            hidden_key: self.hidden_key,
            workspace_id: self.workspace_id.ok_or_else(|| missing("workspace"))?,
            workspace_name: self.workspace_name.unwrap_or_default(),
            owner_id: self.user_id,
            owner_email: self.created_by.unwrap_or_default(),
            product: self.product.unwrap_or(KeyProduct::Api),
            connector_scope: self.connector_scope,
            created_at: self.created_at.ok_or_else(|| missing("creation time"))?,
            expiration_date: self.expiration_date,
            last_used_at: self.last_used_at,
            delete_after: self.rotation_ends_at,
            monthly_budget_micros: self.monthly_budget.map(micros),
            status: self.status,
            actions: KeyActions {
                rotate: self.actions.rotate.unwrap_or(not_allowed),
                delete: self.actions.delete.unwrap_or(not_allowed),
            },
        })
    }
}

/// `GET /v1/admin/api-keys` query parameters.
#[derive(Serialize)]
struct KeysQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<KeyStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    product: Option<KeyProduct>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unused_for_days: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sort: Option<KeySortColumn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    descending: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<i64>,
}

impl From<&KeyFilter> for KeysQuery {
    fn from(f: &KeyFilter) -> Self {
        KeysQuery {
            workspace_id: f.workspace_id,
            user_id: f.owner_id,
            name: f.search.clone().filter(|s| !s.trim().is_empty()),
            status: f.status,
            product: f.product,
            unused_for_days: f.unused_for_days,
            sort: f.sort.map(|s| s.column),
            descending: f.sort.map(|s| s.descending),
            limit: f.limit,
            offset: f.offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_keep_code_and_field() {
        let body =
            br#"{"error":{"code":"validation","message":"name is required","field":"name"}}"#;
        let err = error_from(StatusCode::UNPROCESSABLE_ENTITY, body);
        assert_eq!(err.code, ErrorCode::Validation);
        assert_eq!(err.field.as_deref(), Some("name"));
        assert_eq!(err.message, "name is required");

        let conflict = br#"{"error":{"code":"conflict","message":"taken","field":"name"}}"#;
        assert_eq!(
            error_from(StatusCode::CONFLICT, conflict).code,
            ErrorCode::Conflict
        );
    }

    #[test]
    fn bare_statuses_map_to_codes() {
        for (status, code) in [
            (401, ErrorCode::Unauthorized),
            (403, ErrorCode::Forbidden),
            (404, ErrorCode::NotFound),
            (409, ErrorCode::Conflict),
            (422, ErrorCode::Validation),
            (400, ErrorCode::Validation),
            (500, ErrorCode::Internal),
            (502, ErrorCode::Unavailable),
            (503, ErrorCode::Unavailable),
        ] {
            let err = error_from(StatusCode::from_u16(status).unwrap(), b"<html>oops</html>");
            assert_eq!(err.code, code, "status {status}");
        }
    }

    #[test]
    fn server_urls_need_https_except_on_this_machine() {
        assert!(parse_server_url("https://keydesk.example.com").is_ok());
        assert!(parse_server_url("http://127.0.0.1:8080").is_ok());
        assert!(parse_server_url("http://localhost:8080/").is_ok());
        let err = parse_server_url("http://keydesk.example.com").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("server_url"));
        assert!(parse_server_url("keydesk.example.com").is_err());
        assert!(parse_server_url("ftp://example.com").is_err());
        // A path prefix is kept: endpoints go under it.
        let base = parse_server_url("https://example.com/keydesk").unwrap();
        assert_eq!(
            endpoint(&base, "/v1/me").as_str(),
            "https://example.com/keydesk/v1/me"
        );
    }

    #[test]
    fn key_filters_become_the_servers_query_names() {
        let ws = Uuid::new_v4();
        let q = KeysQuery::from(&KeyFilter {
            workspace_id: Some(ws),
            search: Some("ci".into()),
            status: Some(KeyStatus::Expired),
            limit: Some(10),
            ..Default::default()
        });
        let v = serde_json::to_value(&q).unwrap();
        assert_eq!(
            v,
            json!({"workspace_id": ws, "name": "ci", "status": "expired", "limit": 10})
        );
    }
}
