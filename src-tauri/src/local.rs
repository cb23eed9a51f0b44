//! `LocalBackend`: the embedded default. Owns the app's data directory — the
//! SQLite file and the `pepper` file beside it — and runs every operation
//! through keydesk-core's `Service`, acting as the organization's first admin.

use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use keydesk_core::model::{
    ApiKey, AuditEvent, AuditFilter, Connector, ConnectorVisibility, KeyFilter, KeyPage,
    MonthlySpend, NewConnector, NewKey, NewWorkspace, OrgRole, Organization, User, Workspace,
    WorkspaceMember, WorkspacePatch, WorkspaceRole,
};
use keydesk_core::report::ModelDayUsage;
use keydesk_core::secret::{KeyHasher, Sensitive};
use keydesk_core::service::Clock;
use keydesk_core::{Actor, DailyCost, NewUser, OrganizationPatch, Service};
use tokio::sync::RwLock;
use uuid::Uuid;

use crate::backend::{AppState, Backend, BackendMode, BootstrapInput, IssuedKey, KeyUsage};
use crate::error::{AppError, AppResult};

/// File name of the SQLite store inside the data directory.
pub const DATABASE_FILE: &str = "keydesk.sqlite3";
/// File name of the local store's HMAC key inside the data directory.
pub const PEPPER_FILE: &str = "pepper";
/// Prefix of the keys this deployment issues (`kd_...`).
pub const KEY_PREFIX: &str = "kd";
const PEPPER_LEN: usize = 32;

pub struct LocalBackend {
    service: Service,
    /// The user the app acts as, once known (set by the first run).
    acting_user: RwLock<Option<Uuid>>,
}

impl LocalBackend {
    /// Opens (creating on first use) the store in `data_dir`.
    pub async fn open(data_dir: &Path) -> AppResult<Self> {
        Self::open_with_clock(data_dir, clock()).await
    }

    async fn open_with_clock(data_dir: &Path, clock: Clock) -> AppResult<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            AppError::unavailable(format!(
                "cannot create the data folder {}: {e}",
                data_dir.display()
            ))
        })?;
        let pepper = load_or_create_pepper(&data_dir.join(PEPPER_FILE))?;
        let url = sqlite_url(&data_dir.join(DATABASE_FILE))?;
        let service = Service::connect_with_clock(&url, pepper.expose(), KEY_PREFIX, clock)
            .await
            .map_err(|e| {
                AppError::unavailable(format!(
                    "cannot open the local store in {}: {}",
                    data_dir.display(),
                    e.message
                ))
            })?;
        Ok(LocalBackend {
            service,
            acting_user: RwLock::new(None),
        })
    }

    /// The actor for every call: the organization's first admin.
    async fn actor(&self) -> AppResult<Actor> {
        let cached = *self.acting_user.read().await;
        let user_id = match cached {
            Some(id) => id,
            None => {
                let admin = self
                    .service
                    .first_admin()
                    .await?
                    .ok_or_else(AppError::not_initialized)?;
                *self.acting_user.write().await = Some(admin.id);
                admin.id
            }
        };
        Ok(self.service.actor(user_id).await?)
    }
}

#[async_trait]
impl Backend for LocalBackend {
    async fn state(&self) -> AppResult<AppState> {
        let organization = self.service.organization().await?;
        let user = match organization {
            Some(_) => self.service.first_admin().await?,
            None => None,
        };
        Ok(AppState {
            mode: BackendMode::Local,
            organization,
            user,
        })
    }

    async fn bootstrap(&self, input: BootstrapInput) -> AppResult<AppState> {
        let (organization, admin) = self
            .service
            .bootstrap(&input.org_name, &input.admin_email, &input.admin_name)
            .await?;
        *self.acting_user.write().await = Some(admin.id);
        Ok(AppState {
            mode: BackendMode::Local,
            organization: Some(organization),
            user: Some(admin),
        })
    }

    async fn list_workspaces(&self) -> AppResult<Vec<Workspace>> {
        let actor = self.actor().await?;
        Ok(self.service.list_workspaces(&actor).await?)
    }

    async fn create_workspace(&self, input: NewWorkspace) -> AppResult<Workspace> {
        let actor = self.actor().await?;
        Ok(self.service.create_workspace(&actor, input).await?)
    }

    async fn update_workspace(
        &self,
        workspace_id: Uuid,
        patch: WorkspacePatch,
    ) -> AppResult<Workspace> {
        let actor = self.actor().await?;
        Ok(self
            .service
            .update_workspace(&actor, workspace_id, patch)
            .await?)
    }

    async fn workspace_key_count(&self, workspace_id: Uuid) -> AppResult<i64> {
        let actor = self.actor().await?;
        Ok(self
            .service
            .workspace_key_count(&actor, workspace_id)
            .await?)
    }

    async fn delete_workspace(&self, workspace_id: Uuid, confirmed: bool) -> AppResult<i64> {
        let actor = self.actor().await?;
        Ok(self
            .service
            .delete_workspace(&actor, workspace_id, confirmed)
            .await?)
    }

    async fn list_keys(&self, filter: KeyFilter) -> AppResult<KeyPage> {
        let actor = self.actor().await?;
        Ok(self.service.list_keys(&actor, filter).await?)
    }

    async fn create_key(&self, input: NewKey) -> AppResult<IssuedKey> {
        let actor = self.actor().await?;
        Ok(self.service.create_key(&actor, input).await?.into())
    }

    async fn rename_key(&self, key_id: Uuid, name: Option<String>) -> AppResult<ApiKey> {
        let actor = self.actor().await?;
        Ok(self.service.rename_key(&actor, key_id, name).await?)
    }

    async fn set_key_budget(&self, key_id: Uuid, budget_micros: Option<i64>) -> AppResult<ApiKey> {
        let actor = self.actor().await?;
        Ok(self
            .service
            .set_key_budget(&actor, key_id, budget_micros)
            .await?)
    }

    async fn delete_key(&self, key_id: Uuid) -> AppResult<()> {
        let actor = self.actor().await?;
        Ok(self.service.delete_key(&actor, key_id).await?)
    }

    async fn rotate_key(&self, key_id: Uuid, grace_seconds: Option<i64>) -> AppResult<IssuedKey> {
        let actor = self.actor().await?;
        Ok(self
            .service
            .rotate_key(&actor, key_id, grace_seconds)
            .await?
            .into())
    }

    async fn delete_keys(&self, key_ids: Vec<Uuid>) -> AppResult<i64> {
        let actor = self.actor().await?;
        Ok(self.service.delete_keys(&actor, &key_ids).await?)
    }

    async fn update_organization(&self, patch: OrganizationPatch) -> AppResult<Organization> {
        let actor = self.actor().await?;
        Ok(self.service.update_organization(&actor, patch).await?)
    }

    async fn list_users(&self) -> AppResult<Vec<User>> {
        let actor = self.actor().await?;
        Ok(self.service.list_users(&actor).await?)
    }

    async fn create_user(&self, input: NewUser) -> AppResult<User> {
        let actor = self.actor().await?;
        Ok(self.service.create_user(&actor, input).await?)
    }

    async fn set_user_role(&self, user_id: Uuid, role: OrgRole) -> AppResult<User> {
        let actor = self.actor().await?;
        Ok(self.service.update_user_role(&actor, user_id, role).await?)
    }

    async fn remove_user(&self, user_id: Uuid) -> AppResult<()> {
        let actor = self.actor().await?;
        Ok(self.service.remove_user(&actor, user_id).await?)
    }

    async fn list_members(&self, workspace_id: Uuid) -> AppResult<Vec<WorkspaceMember>> {
        let actor = self.actor().await?;
        Ok(self.service.list_members(&actor, workspace_id).await?)
    }

    async fn add_member(
        &self,
        workspace_id: Uuid,
        user_id: Uuid,
        role: WorkspaceRole,
    ) -> AppResult<()> {
        let actor = self.actor().await?;
        Ok(self
            .service
            .add_member(&actor, workspace_id, user_id, role)
            .await?)
    }

    async fn set_member_role(
        &self,
        workspace_id: Uuid,
        user_id: Uuid,
        role: WorkspaceRole,
    ) -> AppResult<()> {
        let actor = self.actor().await?;
        Ok(self
            .service
            .set_member_role(&actor, workspace_id, user_id, role)
            .await?)
    }

    async fn remove_member(&self, workspace_id: Uuid, user_id: Uuid) -> AppResult<i64> {
        let actor = self.actor().await?;
        Ok(self
            .service
            .remove_member(&actor, workspace_id, user_id)
            .await?)
    }

    async fn monthly_spend(&self, workspace_id: Uuid) -> AppResult<MonthlySpend> {
        let actor = self.actor().await?;
        let now = self.service.now();
        Ok(self
            .service
            .monthly_spend(&actor, workspace_id, now)
            .await?)
    }

    async fn daily_costs(&self, workspace_id: Uuid) -> AppResult<Vec<DailyCost>> {
        let actor = self.actor().await?;
        let now = self.service.now();
        Ok(self.service.daily_costs(&actor, workspace_id, now).await?)
    }

    async fn usage_by_model(&self, workspace_id: Uuid) -> AppResult<Vec<ModelDayUsage>> {
        let actor = self.actor().await?;
        let now = self.service.now();
        Ok(self
            .service
            .usage_by_model(&actor, workspace_id, now)
            .await?)
    }

    async fn usage_by_key(&self, workspace_id: Uuid) -> AppResult<Vec<KeyUsage>> {
        let actor = self.actor().await?;
        let now = self.service.now();
        Ok(self.service.usage_by_key(&actor, workspace_id, now).await?)
    }

    async fn list_connectors(&self, workspace_id: Uuid) -> AppResult<Vec<Connector>> {
        let actor = self.actor().await?;
        Ok(self.service.list_connectors(&actor, workspace_id).await?)
    }

    async fn create_connector(&self, input: NewConnector) -> AppResult<Connector> {
        let actor = self.actor().await?;
        Ok(self.service.create_connector(&actor, input).await?)
    }

    async fn set_connector_visibility(
        &self,
        connector_id: Uuid,
        visibility: ConnectorVisibility,
    ) -> AppResult<Connector> {
        let actor = self.actor().await?;
        Ok(self
            .service
            .set_connector_visibility(&actor, connector_id, visibility)
            .await?)
    }

    async fn delete_connector(&self, connector_id: Uuid) -> AppResult<()> {
        let actor = self.actor().await?;
        Ok(self.service.delete_connector(&actor, connector_id).await?)
    }

    async fn reachable_connectors(&self, key_id: Uuid) -> AppResult<Vec<Connector>> {
        let actor = self.actor().await?;
        Ok(self.service.reachable_connectors(&actor, key_id).await?)
    }

    async fn list_audit(&self, filter: AuditFilter) -> AppResult<Vec<AuditEvent>> {
        let actor = self.actor().await?;
        Ok(self.service.list_audit(&actor, filter).await?)
    }
}

/// The store's clock: the system time, except in debug builds when
/// `KEYDESK_TEST_CLOCK_FILE` names a file holding a whole number of days to
/// shift it by (re-read on every call). TEST ONLY: the end-to-end test uses it
/// to create keys "in the past" that have expired by "now"; release builds
/// ignore the variable.
fn clock() -> Clock {
    #[cfg(debug_assertions)]
    {
        let file = std::env::var_os("KEYDESK_TEST_CLOCK_FILE").filter(|p| !p.is_empty());
        shifted_clock(file.map(PathBuf::from))
    }
    #[cfg(not(debug_assertions))]
    std::sync::Arc::new(chrono::Utc::now)
}

/// The system clock, shifted by the whole days written in `file` (if any).
#[cfg(debug_assertions)]
fn shifted_clock(file: Option<PathBuf>) -> Clock {
    if let Some(path) = file {
        return std::sync::Arc::new(move || {
            let days = std::fs::read_to_string(&path)
                .ok()
                .and_then(|text| text.trim().parse::<i64>().ok())
                .unwrap_or(0);
            chrono::Utc::now() + chrono::Duration::days(days)
        });
    }
    std::sync::Arc::new(chrono::Utc::now)
}

/// The sqlx URL of the SQLite file, created if missing (`mode=rwc`).
fn sqlite_url(path: &Path) -> AppResult<String> {
    let text = path.to_str().ok_or_else(|| {
        AppError::unavailable(format!(
            "the data folder path is not valid UTF-8: {}",
            path.display()
        ))
    })?;
    // The URL form cannot carry these characters in a file name.
    if text.contains(['?', '#']) {
        return Err(AppError::unavailable(format!(
            "the data folder path must not contain '?' or '#': {text}"
        )));
    }
    Ok(format!("sqlite://{text}?mode=rwc"))
}

/// Reads the local store's HMAC key, or creates it (32 random bytes, owner
/// read/write only) on first start. Without it, stored key hashes cannot be
/// checked, so an unreadable or malformed file is an error, never replaced.
fn load_or_create_pepper(path: &Path) -> AppResult<Sensitive<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.len() == PEPPER_LEN => Ok(Sensitive::new(bytes)),
        Ok(bytes) => Err(AppError::unavailable(format!(
            "{} is damaged: expected {PEPPER_LEN} bytes, found {}",
            path.display(),
            bytes.len()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let pepper = Sensitive::new(KeyHasher::random_pepper());
            write_private_file(path, pepper.expose()).map_err(|e| {
                AppError::unavailable(format!("cannot write {}: {e}", path.display()))
            })?;
            Ok(pepper)
        }
        Err(e) => Err(AppError::unavailable(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// Creates `path` (failing if it exists) readable and writable by its owner only.
fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// The data directory: `KEYDESK_DATA_DIR` when set (tests use it), else the
/// platform's app-data directory given by Tauri.
pub fn data_dir_from_env_or(platform_default: impl FnOnce() -> Option<PathBuf>) -> Option<PathBuf> {
    match std::env::var_os("KEYDESK_DATA_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => platform_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keydesk_core::model::KeyStatus;

    struct TempDir(PathBuf);
    impl TempDir {
        fn new() -> Self {
            let dir = std::env::temp_dir().join(format!("keydesk-test-{}", Uuid::new_v4()));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[tokio::test]
    async fn first_run_then_workspace_and_key_round_trip() {
        let dir = TempDir::new();
        let backend = LocalBackend::open(&dir.0).await.unwrap();

        let state = backend.state().await.unwrap();
        assert!(state.organization.is_none());
        assert_eq!(
            backend.list_workspaces().await.unwrap_err().code,
            crate::error::ErrorCode::NotInitialized
        );

        let input = BootstrapInput {
            org_name: "Acme".into(),
            admin_email: "ada@example.com".into(),
            admin_name: "Ada".into(),
        };
        let state = backend.bootstrap(input).await.unwrap();
        assert_eq!(state.organization.unwrap().name, "Acme");

        let ws = backend
            .create_workspace(NewWorkspace {
                name: "Research".into(),
                icon: "R".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        let issued = backend
            .create_key(NewKey {
                workspace_id: ws.id,
                ..Default::default()
            })
            .await
            .unwrap();
        let secret = issued.secret.expose().clone();
        assert!(secret.starts_with("kd_"));
        assert!(!format!("{issued:?}").contains(&secret));

        let page = backend
            .list_keys(KeyFilter {
                workspace_id: Some(ws.id),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(page.keys.len(), 1);
        assert_eq!(
            page.keys[0].hidden_key,
            format!("{}...{}", &secret[..4], &secret[secret.len() - 4..])
        );
        assert_eq!(page.keys[0].status, KeyStatus::Active);
        assert_eq!(backend.workspace_key_count(ws.id).await.unwrap(), 1);

        // Deleting needs an explicit confirmation.
        let err = backend.delete_workspace(ws.id, false).await.unwrap_err();
        assert_eq!(err.field.as_deref(), Some("confirm"));
        assert_eq!(backend.delete_workspace(ws.id, true).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn reopening_keeps_data_and_the_same_pepper() {
        let dir = TempDir::new();
        {
            let backend = LocalBackend::open(&dir.0).await.unwrap();
            let input = BootstrapInput {
                org_name: "Acme".into(),
                admin_email: "ada@example.com".into(),
                admin_name: "Ada".into(),
            };
            backend.bootstrap(input).await.unwrap();
        }
        let pepper_before = std::fs::read(dir.0.join(PEPPER_FILE)).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.0.join(PEPPER_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let backend = LocalBackend::open(&dir.0).await.unwrap();
        assert_eq!(
            std::fs::read(dir.0.join(PEPPER_FILE)).unwrap(),
            pepper_before
        );
        let state = backend.state().await.unwrap();
        assert_eq!(state.user.unwrap().email, "ada@example.com");
        assert!(!backend.list_workspaces().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn admin_views_operations_round_trip() {
        use keydesk_core::model::{ConnectorScope, KeyStatus, NewConnector};
        let dir = TempDir::new();
        let shift = dir.0.join("clock-shift");
        std::fs::write(&shift, "0").unwrap();
        let data = dir.0.join("data");
        let backend = LocalBackend::open_with_clock(&data, shifted_clock(Some(shift.clone())))
            .await
            .unwrap();
        backend
            .bootstrap(BootstrapInput {
                org_name: "Acme".into(),
                admin_email: "ada@example.com".into(),
                admin_name: "Ada".into(),
            })
            .await
            .unwrap();

        // Organization settings, then a workspace limit above the org's is refused.
        let org = backend
            .update_organization(OrganizationPatch {
                plan: Some(keydesk_core::model::Plan::Scale),
                monthly_spend_limit_micros: Some(Some(100_000_000)),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(org.monthly_spend_limit_micros, Some(100_000_000));
        let bob = backend
            .create_user(NewUser {
                email: "bob@example.com".into(),
                name: "Bob".into(),
                org_role: OrgRole::Member,
            })
            .await
            .unwrap();
        assert_eq!(backend.list_users().await.unwrap().len(), 2);
        let ws = backend
            .create_workspace(NewWorkspace {
                name: "Payments".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        backend
            .add_member(ws.id, bob.id, WorkspaceRole::Member)
            .await
            .unwrap();
        backend
            .set_member_role(ws.id, bob.id, WorkspaceRole::Admin)
            .await
            .unwrap();
        let members = backend.list_members(ws.id).await.unwrap();
        assert!(members
            .iter()
            .any(|m| m.user_id == bob.id && m.role == WorkspaceRole::Admin));
        let too_high = backend
            .update_workspace(
                ws.id,
                WorkspacePatch {
                    monthly_spend_limit_micros: Some(Some(200_000_000)),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(too_high.code, crate::error::ErrorCode::Validation);
        let spend = backend.monthly_spend(ws.id).await.unwrap();
        assert_eq!(spend.limit_micros, Some(100_000_000));
        assert!(backend.usage_by_key(ws.id).await.unwrap().is_empty());

        // Usage by key (and by model) for the month.
        let used = backend
            .create_key(NewKey {
                workspace_id: ws.id,
                name: Some("metered".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        for cost in [1_000, 2_000] {
            backend
                .service
                .record_usage(&keydesk_core::model::UsageRecord {
                    key_id: used.key.key_id,
                    workspace_id: ws.id,
                    model: "mistral-small".into(),
                    input_tokens: 10,
                    output_tokens: 20,
                    cost_micros: cost,
                    at: chrono::Utc::now(),
                })
                .await
                .unwrap();
        }
        let by_key = backend.usage_by_key(ws.id).await.unwrap();
        assert_eq!(by_key.len(), 1);
        assert_eq!((by_key[0].requests, by_key[0].cost_micros), (2, 3_000));
        assert_eq!(by_key[0].name.as_deref(), Some("metered"));
        assert_eq!(backend.usage_by_model(ws.id).await.unwrap()[0].requests, 2);
        assert_eq!(
            backend.daily_costs(ws.id).await.unwrap()[0].cost_micros,
            3_000
        );

        // Connectors and what a key reaches.
        let shared = backend
            .create_connector(NewConnector {
                workspace_id: ws.id,
                name: "Drive".into(),
                visibility: ConnectorVisibility::Shared,
            })
            .await
            .unwrap();
        let private = backend
            .create_connector(NewConnector {
                workspace_id: ws.id,
                name: "Mail".into(),
                visibility: ConnectorVisibility::Private,
            })
            .await
            .unwrap();
        let key = backend
            .create_key(NewKey {
                workspace_id: ws.id,
                connector_scope: Some(ConnectorScope::Shared),
                ..Default::default()
            })
            .await
            .unwrap();
        let reach = backend.reachable_connectors(key.key.key_id).await.unwrap();
        assert_eq!(
            reach.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![shared.id]
        );
        backend
            .set_connector_visibility(private.id, ConnectorVisibility::Shared)
            .await
            .unwrap();
        assert_eq!(
            backend
                .reachable_connectors(key.key.key_id)
                .await
                .unwrap()
                .len(),
            2
        );
        backend.delete_connector(private.id).await.unwrap();
        assert_eq!(backend.list_connectors(ws.id).await.unwrap().len(), 1);

        // Keys expiring today are expired three (shifted) days later; bulk delete.
        let today = chrono::Utc::now().date_naive();
        for _ in 0..2 {
            backend
                .create_key(NewKey {
                    workspace_id: ws.id,
                    expiration: Some(today),
                    ..Default::default()
                })
                .await
                .unwrap();
        }
        std::fs::write(&shift, "3").unwrap();
        let expired = backend
            .list_keys(KeyFilter {
                status: Some(KeyStatus::Expired),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(expired.keys.len(), 2);
        let ids = expired.keys.iter().map(|k| k.key_id).collect();
        assert_eq!(backend.delete_keys(ids).await.unwrap(), 2);

        // Removing a member, the user, and the audit trail of it all.
        backend.remove_member(ws.id, bob.id).await.unwrap();
        backend.set_user_role(bob.id, OrgRole::Admin).await.unwrap();
        backend.remove_user(bob.id).await.unwrap();
        let audit = backend
            .list_audit(AuditFilter {
                action: Some("api_key.deleted".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(audit.len(), 2);
        assert!(!backend
            .list_audit(AuditFilter::default())
            .await
            .unwrap()
            .is_empty());
    }

    #[test]
    fn damaged_pepper_is_refused_not_replaced() {
        let dir = TempDir::new();
        let path = dir.0.join(PEPPER_FILE);
        std::fs::write(&path, b"short").unwrap();
        let err = load_or_create_pepper(&path).unwrap_err();
        assert_eq!(err.code, crate::error::ErrorCode::Unavailable);
        assert_eq!(std::fs::read(&path).unwrap(), b"short");
    }
}
