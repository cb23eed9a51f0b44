//! Which backend the window talks to, and switching it: the local store, or
//! one of the saved servers ("profiles") while signed in to it. Owns the
//! profiles file (`profiles.json` in the data folder: server addresses and
//! account names, never a credential), signing in and out, and the session
//! token's trip to and from the keychain (keychain.rs).
//!
//! `Connection` is itself a `Backend`: every call goes to the current
//! backend, and an `unauthorized` answer from a server (the session expired
//! or was revoked) signs the window out of that profile — the token is
//! forgotten, the profile is kept, and the sign-in screen says why.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use async_trait::async_trait;
use keydesk_core::model::{
    ApiKey, AuditEvent, AuditFilter, Connector, ConnectorVisibility, KeyFilter, KeyPage,
    MonthlySpend, NewConnector, NewKey, NewWorkspace, OrgRole, Organization, User, Workspace,
    WorkspaceMember, WorkspacePatch, WorkspaceRole,
};
use keydesk_core::report::ModelDayUsage;
use keydesk_core::secret::Sensitive;
use keydesk_core::{DailyCost, NewUser, OrganizationPatch};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;
use uuid::Uuid;

use crate::backend::{AppState, Backend, BootstrapInput, IssuedKey, KeyUsage, UnavailableBackend};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::keychain::{Remembered, SessionVault};
use crate::local::LocalBackend;
use crate::remote::{parse_server_url, OfflineInfo, Profile, RemoteBackend, RemoteEvent};

/// File name of the saved profiles inside the data folder.
pub const PROFILES_FILE: &str = "profiles.json";

/// What `profiles.json` holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct SavedProfiles {
    /// The profile the app opens with; `None` is the local store.
    active: Option<String>,
    profiles: Vec<Profile>,
}

/// Where the window's data comes from right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    /// The app's own SQLite file.
    Local,
    /// Signed in to the active profile's server.
    Remote,
    /// The active profile's server is chosen, but nobody is signed in.
    SignedOut,
}

/// Everything the window needs to show the connection: the profile switcher,
/// the offline banner, the sign-in screen and its message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionStatus {
    pub kind: ConnectionKind,
    /// The active profile (remote or signed out); `None` in local mode.
    pub profile: Option<Profile>,
    pub profiles: Vec<Profile>,
    /// Where the session token went (remote mode only).
    pub remembered: Option<Remembered>,
    /// Set while the lists shown come from the cache.
    pub offline: Option<OfflineInfo>,
    /// Why the window is signed out, when it did not ask to be.
    pub notice: Option<String>,
}

/// A password or key typed into the sign-in form: wrapped the moment it is
/// read, so it never shows in `Debug` output.
#[derive(Debug)]
pub struct SecretInput(pub Sensitive<String>);

impl<'de> Deserialize<'de> for SecretInput {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|text| SecretInput(Sensitive::new(text)))
    }
}

/// Sign in to a Keydesk server with email and password.
#[derive(Debug, Deserialize)]
pub struct PasswordSignIn {
    pub server_url: String,
    pub email: String,
    pub password: SecretInput,
}

/// Connect to an organization with an Admin API key.
#[derive(Debug, Deserialize)]
pub struct AdminKeySignIn {
    pub server_url: String,
    pub api_key: SecretInput,
}

/// What the app shell hears from the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionEvent {
    /// A list shown from the cache was refreshed with something new.
    Refreshed { kind: String },
    /// Signed in, out, switched, or went offline or back online.
    Changed,
}

pub type ConnectionListener = Arc<dyn Fn(ConnectionEvent) + Send + Sync>;

enum Current {
    Local(Arc<LocalBackend>),
    Remote {
        profile: Profile,
        backend: Box<RemoteBackend>,
        remembered: Remembered,
    },
    SignedOut {
        profile: Profile,
        notice: Option<String>,
    },
    /// No data folder, or the local store would not open.
    Broken(Arc<UnavailableBackend>),
}

/// The current source and its generation, which grows with every switch:
/// an answer that arrives late says which generation it was asked of, so it
/// can never sign out a source that replaced it.
struct Slot {
    current: Current,
    generation: u64,
}

pub struct Connection {
    data_dir: Option<PathBuf>,
    vault: SessionVault,
    slot: RwLock<Slot>,
    saved: Mutex<SavedProfiles>,
    listener: Mutex<Option<ConnectionListener>>,
    this: Weak<Connection>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Opens what the app used last: the local store, or the active profile
    /// with its token from the keychain (no server contact, so the window
    /// opens at once from the cache). `data_dir` is `None` when the platform
    /// gave no data folder; every call then says so.
    pub async fn open(data_dir: Option<PathBuf>, vault: SessionVault) -> Arc<Self> {
        let saved = data_dir.as_deref().map(read_profiles).unwrap_or_default();
        let connection = Arc::new_cyclic(|this| Connection {
            data_dir,
            vault,
            slot: RwLock::new(Slot {
                current: Current::Broken(Arc::new(UnavailableBackend::new("starting"))),
                generation: 0,
            }),
            saved: Mutex::new(saved.clone()),
            listener: Mutex::new(None),
            this: this.clone(),
        });
        let opened = match saved
            .active
            .and_then(|id| saved.profiles.into_iter().find(|p| p.id == id))
        {
            Some(profile) => connection.resume(profile).await,
            None => connection.local().await,
        };
        connection.install(opened).await;
        connection
    }

    /// Who hears refreshes and connection changes (the app shell, which
    /// passes them on to the window).
    pub fn set_listener(&self, listener: ConnectionListener) {
        *self.listener.lock().expect("listener lock") = Some(listener);
    }

    fn tell(&self, event: ConnectionEvent) {
        let listener = self.listener.lock().ok().and_then(|l| l.clone());
        if let Some(listener) = listener {
            listener(event);
        }
    }

    pub async fn status(&self) -> ConnectionStatus {
        let profiles = self.saved.lock().expect("profiles lock").profiles.clone();
        let slot = self.slot.read().await;
        let (kind, profile, remembered, offline, notice) = match &slot.current {
            Current::Local(_) | Current::Broken(_) => {
                (ConnectionKind::Local, None, None, None, None)
            }
            Current::Remote {
                profile,
                backend,
                remembered,
            } => (
                ConnectionKind::Remote,
                Some(profile.clone()),
                Some(remembered.clone()),
                backend.offline_status(),
                None,
            ),
            Current::SignedOut { profile, notice } => (
                ConnectionKind::SignedOut,
                Some(profile.clone()),
                None,
                None,
                notice.clone(),
            ),
        };
        ConnectionStatus {
            kind,
            profile,
            profiles,
            remembered,
            offline,
            notice,
        }
    }

    /// Signs in with email and password; the token goes to the keychain
    /// (or, when there is none, stays in memory and the status says so).
    pub async fn sign_in(&self, input: PasswordSignIn) -> AppResult<ConnectionStatus> {
        parse_server_url(&input.server_url)?;
        if input.email.trim().is_empty() {
            return Err(AppError::validation(
                "email",
                "enter the email address of your account",
            ));
        }
        if input.password.0.expose().is_empty() {
            return Err(AppError::validation("password", "enter your password"));
        }
        let dir = self.data_dir()?;
        let backend =
            RemoteBackend::sign_in(&input.server_url, &input.email, input.password.0, &dir)
                .await
                .map_err(sign_in_error)?;
        self.signed_in(backend).await
    }

    /// Connects with an Admin API key (an organization hosted by the
    /// platform); the key is kept like a session token.
    pub async fn sign_in_with_key(&self, input: AdminKeySignIn) -> AppResult<ConnectionStatus> {
        parse_server_url(&input.server_url)?;
        if input.api_key.0.expose().trim().is_empty() {
            return Err(AppError::validation("api_key", "paste the Admin API key"));
        }
        let dir = self.data_dir()?;
        let key = Sensitive::new(input.api_key.0.expose().trim().to_owned());
        let backend = RemoteBackend::with_admin_key(&input.server_url, key, &dir)
            .await
            .map_err(|e| {
                if e.code == ErrorCode::Unauthorized {
                    AppError::new(
                        ErrorCode::Unauthorized,
                        "the server did not accept this key",
                    )
                    .with_field("api_key")
                } else {
                    e
                }
            })?;
        self.signed_in(backend).await
    }

    async fn signed_in(&self, backend: RemoteBackend) -> AppResult<ConnectionStatus> {
        let profile = backend.profile().clone();
        let remembered = self
            .vault
            .remember(&profile.session_key(), backend.token())
            .await;
        self.save(|saved| {
            saved.profiles.retain(|p| p.id != profile.id);
            saved.profiles.push(profile.clone());
            saved.active = Some(profile.id.clone());
        })?;
        self.install(Current::Remote {
            profile,
            backend: Box::new(backend),
            remembered,
        })
        .await;
        Ok(self.status().await)
    }

    /// Ends the session: in the keychain and on this computer always, and on
    /// the server when it answers. The profile stays, so signing in again is
    /// one step. When the server could not be told, the sign-in screen says
    /// so.
    pub async fn sign_out(&self) -> AppResult<ConnectionStatus> {
        let (profile, backend, generation) = {
            let mut slot = self.slot.write().await;
            let Current::Remote { profile, .. } = &slot.current else {
                return Err(AppError::new(
                    ErrorCode::Validation,
                    "not signed in to a server",
                ));
            };
            let signed_out = Current::SignedOut {
                profile: profile.clone(),
                notice: None,
            };
            slot.generation += 1;
            let Current::Remote {
                profile, backend, ..
            } = std::mem::replace(&mut slot.current, signed_out)
            else {
                unreachable!("checked above")
            };
            (profile, backend, slot.generation)
        };
        // The window is signed out from here on; the slow parts follow
        // without holding up other calls.
        backend.set_listener(None);
        let mut problems = Vec::new();
        match backend.sign_out().await {
            Ok(()) => {}
            Err(e) if e.code == ErrorCode::Unavailable => problems.push(
                "the server could not be reached to end the session there; it ends when it expires"
                    .to_owned(),
            ),
            Err(e) => problems.push(format!(
                "the server did not end the session ({}); it ends when it expires",
                e.message
            )),
        }
        if let Err(e) = self.vault.forget(&profile.session_key()).await {
            if e.code != ErrorCode::KeychainUnavailable {
                problems.push(format!(
                    "the session could not be removed from the keychain: {}",
                    e.message
                ));
            }
        }
        backend.forget_cached().await;
        backend.close().await;
        if !problems.is_empty() {
            let notice = format!(
                "Signed out on this computer, but {}.",
                problems.join("; and ")
            );
            let mut slot = self.slot.write().await;
            if slot.generation == generation {
                slot.current = Current::SignedOut {
                    profile,
                    notice: Some(notice),
                };
            }
        }
        self.tell(ConnectionEvent::Changed);
        Ok(self.status().await)
    }

    /// Switches to the local store (`None`) or a saved profile, without a
    /// restart. A profile with no saved session opens its sign-in screen.
    pub async fn use_profile(&self, profile_id: Option<String>) -> AppResult<ConnectionStatus> {
        let next = match profile_id {
            None => self.local().await,
            Some(id) => {
                let profile = self.profile(&id)?;
                self.resume(profile).await
            }
        };
        let active = match &next {
            Current::Remote { profile, .. } | Current::SignedOut { profile, .. } => {
                Some(profile.id.clone())
            }
            Current::Local(_) | Current::Broken(_) => None,
        };
        self.save(|saved| saved.active = active)?;
        self.install(next).await;
        Ok(self.status().await)
    }

    /// Removes a saved profile, its keychain entry and its cached lists. The
    /// active profile cannot be forgotten: switch away from it first.
    pub async fn forget_profile(&self, profile_id: String) -> AppResult<ConnectionStatus> {
        let profile = self.profile(&profile_id)?;
        if self.saved.lock().expect("profiles lock").active.as_deref() == Some(profile.id.as_str())
        {
            return Err(AppError::validation(
                "profile_id",
                "switch to another profile before removing this one",
            ));
        }
        self.forget_token(&profile).await;
        if let Some(dir) = &self.data_dir {
            if let Ok(cache) = crate::cache::Cache::open(dir).await {
                cache
                    .clear_profile(&crate::remote::cache_scope(
                        &profile.server_url,
                        &profile.account,
                    ))
                    .await
                    .ok();
                cache.close().await;
            }
        }
        self.save(|saved| saved.profiles.retain(|p| p.id != profile.id))?;
        self.tell(ConnectionEvent::Changed);
        Ok(self.status().await)
    }

    /// Removes a profile's token from memory and the keychain. A keychain
    /// that cannot be reached holds nothing of ours to remove (the token
    /// could not be stored there either), so that is no reason to fail.
    async fn forget_token(&self, profile: &Profile) {
        if let Err(e) = self.vault.forget(&profile.session_key()).await {
            eprintln!("keydesk: {e}");
        }
    }

    fn profile(&self, id: &str) -> AppResult<Profile> {
        self.saved
            .lock()
            .expect("profiles lock")
            .profiles
            .iter()
            .find(|p| p.id == id)
            .cloned()
            .ok_or_else(|| {
                AppError::new(ErrorCode::NotFound, "no saved server by that name")
                    .with_field("profile_id")
            })
    }

    fn data_dir(&self) -> AppResult<PathBuf> {
        self.data_dir
            .clone()
            .ok_or_else(|| AppError::unavailable(NO_DATA_DIR))
    }

    /// The local store, opened once.
    async fn local(&self) -> Current {
        if let Current::Local(local) = &self.slot.read().await.current {
            return Current::Local(local.clone());
        }
        let Some(dir) = &self.data_dir else {
            return Current::Broken(Arc::new(UnavailableBackend::new(NO_DATA_DIR)));
        };
        match LocalBackend::open(dir).await {
            Ok(local) => Current::Local(Arc::new(local)),
            Err(error) => {
                eprintln!("keydesk: {error}");
                Current::Broken(Arc::new(UnavailableBackend::new(error.message)))
            }
        }
    }

    /// A saved profile with its token from the keychain, or its sign-in
    /// screen when there is none (or no keychain to read it from).
    async fn resume(&self, profile: Profile) -> Current {
        let Some(dir) = self.data_dir.clone() else {
            return Current::Broken(Arc::new(UnavailableBackend::new(NO_DATA_DIR)));
        };
        let key = profile.session_key();
        let token = match self.vault.recall(&key).await {
            Ok(Some(token)) => token,
            Ok(None) => {
                return Current::SignedOut {
                    profile,
                    notice: None,
                }
            }
            Err(error) => {
                return Current::SignedOut {
                    profile,
                    notice: Some(format!(
                        "{}. Sign in again; this time the session will last until Keydesk closes.",
                        error.message
                    )),
                }
            }
        };
        let remembered = self.vault.where_kept(&key);
        match RemoteBackend::resume_as(
            &profile.server_url,
            &profile.account,
            token,
            profile.credential,
            &dir,
        )
        .await
        {
            Ok(backend) => {
                backend.set_instant_start(true);
                Current::Remote {
                    profile,
                    backend: Box::new(backend),
                    remembered,
                }
            }
            Err(error) => Current::SignedOut {
                profile,
                notice: Some(error.message),
            },
        }
    }

    /// Makes `next` the current source: a new generation, its background
    /// findings passed on, the replaced server connection closed.
    async fn install(&self, next: Current) {
        let replaced = {
            let mut slot = self.slot.write().await;
            slot.generation += 1;
            if let Current::Remote { backend, .. } = &next {
                self.watch(backend, slot.generation);
            }
            std::mem::replace(&mut slot.current, next)
        };
        if let Current::Remote { backend, .. } = replaced {
            backend.set_listener(None);
            backend.close().await;
        }
        self.tell(ConnectionEvent::Changed);
    }

    /// Passes a remote backend's background findings on, for as long as it
    /// is the source of `generation`.
    fn watch(&self, backend: &RemoteBackend, generation: u64) {
        let this = self.this.clone();
        backend.set_listener(Some(Arc::new(move |event| {
            let Some(connection) = this.upgrade() else {
                return;
            };
            match event {
                RemoteEvent::Refreshed { kind } => {
                    connection.tell(ConnectionEvent::Refreshed { kind });
                    connection.tell(ConnectionEvent::Changed);
                }
                RemoteEvent::SessionEnded => {
                    tokio::spawn(async move { connection.session_ended(generation).await });
                }
            }
        })));
    }

    /// The server refused the credential of the source of `generation`:
    /// forget it, keep the profile, and send the window to the sign-in
    /// screen with the reason. Nothing happens when that source has been
    /// replaced since.
    async fn session_ended(&self, generation: u64) {
        let (profile, backend) = {
            let mut slot = self.slot.write().await;
            if slot.generation != generation {
                return;
            }
            let Current::Remote { profile, .. } = &slot.current else {
                return;
            };
            let notice = format!(
                "Your session on {} has ended (it expired, or was signed out elsewhere). Sign in again to continue.",
                profile.server_url
            );
            let signed_out = Current::SignedOut {
                profile: profile.clone(),
                notice: Some(notice),
            };
            slot.generation += 1;
            let Current::Remote {
                profile, backend, ..
            } = std::mem::replace(&mut slot.current, signed_out)
            else {
                unreachable!("checked above")
            };
            (profile, backend)
        };
        backend.set_listener(None);
        self.forget_token(&profile).await;
        backend.close().await;
        self.tell(ConnectionEvent::Changed);
    }

    /// The current backend and the generation it belongs to.
    async fn backend(&self) -> (Arc<dyn Backend>, u64) {
        let slot = self.slot.read().await;
        let backend: Arc<dyn Backend> = match &slot.current {
            Current::Local(local) => local.clone(),
            Current::Remote { backend, .. } => Arc::new(RemoteBackend::clone(backend)),
            Current::SignedOut { profile, .. } => {
                Arc::new(UnavailableBackend::failing_with(AppError::new(
                    ErrorCode::Unauthorized,
                    format!("not signed in to {}", profile.server_url),
                )))
            }
            Current::Broken(broken) => broken.clone(),
        };
        (backend, slot.generation)
    }

    /// Runs one call on the current backend; an `unauthorized` answer from a
    /// server ends the session there (unless the source changed meanwhile).
    async fn on<T, F, Fut>(&self, call: F) -> AppResult<T>
    where
        F: FnOnce(Arc<dyn Backend>) -> Fut,
        Fut: std::future::Future<Output = AppResult<T>>,
    {
        let (backend, generation) = self.backend().await;
        let was_offline = self.offline().await;
        let result = call(backend).await;
        if let Err(e) = &result {
            if e.code == ErrorCode::Unauthorized {
                self.session_ended(generation).await;
            }
        }
        if self.offline().await != was_offline {
            self.tell(ConnectionEvent::Changed);
        }
        result
    }

    async fn offline(&self) -> bool {
        match &self.slot.read().await.current {
            Current::Remote { backend, .. } => backend.offline_status().is_some(),
            _ => false,
        }
    }

    fn save(&self, change: impl FnOnce(&mut SavedProfiles)) -> AppResult<()> {
        let dir = self.data_dir()?;
        let mut saved = self.saved.lock().expect("profiles lock");
        let mut next = saved.clone();
        change(&mut next);
        write_profiles(&dir, &next)?;
        *saved = next;
        Ok(())
    }
}

const NO_DATA_DIR: &str =
    "no data folder: the platform gave no app-data directory and KEYDESK_DATA_DIR is not set";

/// A refused sign-in names no part of what was wrong (the server does not
/// say either); the message sits under the password field.
fn sign_in_error(error: AppError) -> AppError {
    if error.code == ErrorCode::Unauthorized {
        AppError::new(
            ErrorCode::Unauthorized,
            "wrong email or password, or too many attempts: check them, or wait a few minutes",
        )
        .with_field("password")
    } else {
        error
    }
}

fn read_profiles(dir: &Path) -> SavedProfiles {
    let path = dir.join(PROFILES_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            // A damaged file costs the saved servers, not the app.
            eprintln!("keydesk: ignoring {}: {e}", path.display());
            SavedProfiles::default()
        }),
        Err(_) => SavedProfiles::default(),
    }
}

/// Writes the profiles file whole (a temp file renamed over it), so a crash
/// never leaves half of it.
fn write_profiles(dir: &Path, saved: &SavedProfiles) -> AppResult<()> {
    let fail =
        |e: std::io::Error| AppError::internal(format!("cannot save the list of servers: {e}"));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let body = serde_json::to_vec_pretty(saved).map_err(|e| AppError::internal(e.to_string()))?;
    let temp = dir.join(format!("{PROFILES_FILE}.tmp"));
    std::fs::write(&temp, body).map_err(fail)?;
    std::fs::rename(&temp, dir.join(PROFILES_FILE)).map_err(fail)
}

#[async_trait]
impl Backend for Connection {
    async fn state(&self) -> AppResult<AppState> {
        self.on(|b| async move { b.state().await }).await
    }
    async fn bootstrap(&self, input: BootstrapInput) -> AppResult<AppState> {
        self.on(|b| async move { b.bootstrap(input).await }).await
    }
    async fn list_workspaces(&self) -> AppResult<Vec<Workspace>> {
        self.on(|b| async move { b.list_workspaces().await }).await
    }
    async fn create_workspace(&self, input: NewWorkspace) -> AppResult<Workspace> {
        self.on(|b| async move { b.create_workspace(input).await })
            .await
    }
    async fn update_workspace(
        &self,
        workspace_id: Uuid,
        patch: WorkspacePatch,
    ) -> AppResult<Workspace> {
        self.on(|b| async move { b.update_workspace(workspace_id, patch).await })
            .await
    }
    async fn workspace_key_count(&self, workspace_id: Uuid) -> AppResult<i64> {
        self.on(|b| async move { b.workspace_key_count(workspace_id).await })
            .await
    }
    async fn delete_workspace(&self, workspace_id: Uuid, confirmed: bool) -> AppResult<i64> {
        self.on(|b| async move { b.delete_workspace(workspace_id, confirmed).await })
            .await
    }
    async fn list_keys(&self, filter: KeyFilter) -> AppResult<KeyPage> {
        self.on(|b| async move { b.list_keys(filter).await }).await
    }
    async fn create_key(&self, input: NewKey) -> AppResult<IssuedKey> {
        self.on(|b| async move { b.create_key(input).await }).await
    }
    async fn rename_key(&self, key_id: Uuid, name: Option<String>) -> AppResult<ApiKey> {
        self.on(|b| async move { b.rename_key(key_id, name).await })
            .await
    }
    async fn set_key_budget(&self, key_id: Uuid, budget_micros: Option<i64>) -> AppResult<ApiKey> {
        self.on(|b| async move { b.set_key_budget(key_id, budget_micros).await })
            .await
    }
    async fn delete_key(&self, key_id: Uuid) -> AppResult<()> {
        self.on(|b| async move { b.delete_key(key_id).await }).await
    }
    async fn rotate_key(&self, key_id: Uuid, grace_seconds: Option<i64>) -> AppResult<IssuedKey> {
        self.on(|b| async move { b.rotate_key(key_id, grace_seconds).await })
            .await
    }
    async fn delete_keys(&self, key_ids: Vec<Uuid>) -> AppResult<i64> {
        self.on(|b| async move { b.delete_keys(key_ids).await })
            .await
    }
    async fn update_organization(&self, patch: OrganizationPatch) -> AppResult<Organization> {
        self.on(|b| async move { b.update_organization(patch).await })
            .await
    }
    async fn list_users(&self) -> AppResult<Vec<User>> {
        self.on(|b| async move { b.list_users().await }).await
    }
    async fn create_user(&self, input: NewUser) -> AppResult<User> {
        self.on(|b| async move { b.create_user(input).await }).await
    }
    async fn set_user_role(&self, user_id: Uuid, role: OrgRole) -> AppResult<User> {
        self.on(|b| async move { b.set_user_role(user_id, role).await })
            .await
    }
    async fn remove_user(&self, user_id: Uuid) -> AppResult<()> {
        self.on(|b| async move { b.remove_user(user_id).await })
            .await
    }
    async fn list_members(&self, workspace_id: Uuid) -> AppResult<Vec<WorkspaceMember>> {
        self.on(|b| async move { b.list_members(workspace_id).await })
            .await
    }
    async fn add_member(
        &self,
        workspace_id: Uuid,
        user_id: Uuid,
        role: WorkspaceRole,
    ) -> AppResult<()> {
        self.on(|b| async move { b.add_member(workspace_id, user_id, role).await })
            .await
    }
    async fn set_member_role(
        &self,
        workspace_id: Uuid,
        user_id: Uuid,
        role: WorkspaceRole,
    ) -> AppResult<()> {
        self.on(|b| async move { b.set_member_role(workspace_id, user_id, role).await })
            .await
    }
    async fn remove_member(&self, workspace_id: Uuid, user_id: Uuid) -> AppResult<i64> {
        self.on(|b| async move { b.remove_member(workspace_id, user_id).await })
            .await
    }
    async fn monthly_spend(&self, workspace_id: Uuid) -> AppResult<MonthlySpend> {
        self.on(|b| async move { b.monthly_spend(workspace_id).await })
            .await
    }
    async fn daily_costs(&self, workspace_id: Uuid) -> AppResult<Vec<DailyCost>> {
        self.on(|b| async move { b.daily_costs(workspace_id).await })
            .await
    }
    async fn usage_by_model(&self, workspace_id: Uuid) -> AppResult<Vec<ModelDayUsage>> {
        self.on(|b| async move { b.usage_by_model(workspace_id).await })
            .await
    }
    async fn usage_by_key(&self, workspace_id: Uuid) -> AppResult<Vec<KeyUsage>> {
        self.on(|b| async move { b.usage_by_key(workspace_id).await })
            .await
    }
    async fn list_connectors(&self, workspace_id: Uuid) -> AppResult<Vec<Connector>> {
        self.on(|b| async move { b.list_connectors(workspace_id).await })
            .await
    }
    async fn create_connector(&self, input: NewConnector) -> AppResult<Connector> {
        self.on(|b| async move { b.create_connector(input).await })
            .await
    }
    async fn set_connector_visibility(
        &self,
        connector_id: Uuid,
        visibility: ConnectorVisibility,
    ) -> AppResult<Connector> {
        self.on(|b| async move { b.set_connector_visibility(connector_id, visibility).await })
            .await
    }
    async fn delete_connector(&self, connector_id: Uuid) -> AppResult<()> {
        self.on(|b| async move { b.delete_connector(connector_id).await })
            .await
    }
    async fn reachable_connectors(&self, key_id: Uuid) -> AppResult<Vec<Connector>> {
        self.on(|b| async move { b.reachable_connectors(key_id).await })
            .await
    }
    async fn list_audit(&self, filter: AuditFilter) -> AppResult<Vec<AuditEvent>> {
        self.on(|b| async move { b.list_audit(filter).await }).await
    }
}
