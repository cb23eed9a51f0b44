//! The app's Tauri commands: thin async wrappers that hand each call to the
//! `Arc<dyn Backend>` in state. Arguments arrive in snake_case, errors leave
//! as `AppError` (`{code, message, field?}`), and `RevealOnce` is the single
//! place where a full key secret is serialized for the UI.

use std::sync::Arc;

use keydesk_core::model::{
    ApiKey, AuditEvent, AuditFilter, Connector, ConnectorVisibility, KeyFilter, KeyPage,
    MonthlySpend, NewConnector, NewKey, NewWorkspace, OrgRole, Organization, User, Workspace,
    WorkspaceMember, WorkspaceRole,
};
use keydesk_core::report::ModelDayUsage;
use keydesk_core::{DailyCost, NewUser};
use serde::Serialize;
use tauri::{Runtime, State};
use uuid::Uuid;

use crate::backend::{AppState, Backend, BootstrapInput, IssuedKey, KeyUsage};
use crate::connection::{AdminKeySignIn, Connection, ConnectionStatus, PasswordSignIn};
use crate::error::AppError;
use crate::patch_input::{OrganizationPatchInput, WorkspacePatchInput};

type BackendState<'a> = State<'a, Arc<dyn Backend>>;
type ConnectionState<'a> = State<'a, Arc<Connection>>;
type CommandResult<T> = Result<T, AppError>;

/// A newly issued key on its way to the reveal-once dialog, serialized as
/// `CreatedKey`. Its `Debug` (derived through `IssuedKey`) still redacts the
/// secret.
#[derive(Debug)]
pub struct RevealOnce(pub IssuedKey);

/// What the reveal-once dialog receives: the key, its full secret (this
/// once) and whether the expiry policy moved the requested date.
#[derive(Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CreatedKey<'a> {
    key: &'a keydesk_core::model::ApiKey,
    secret: &'a str,
    expiration_clamped: bool,
}

impl Serialize for RevealOnce {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        CreatedKey {
            key: &self.0.key,
            secret: self.0.secret.expose(),
            expiration_clamped: self.0.expiration_clamped,
        }
        .serialize(serializer)
    }
}

#[tauri::command(rename_all = "snake_case")]
pub async fn connection_status(connection: ConnectionState<'_>) -> CommandResult<ConnectionStatus> {
    Ok(connection.status().await)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sign_in(
    connection: ConnectionState<'_>,
    input: PasswordSignIn,
) -> CommandResult<ConnectionStatus> {
    connection.sign_in(input).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sign_in_with_key(
    connection: ConnectionState<'_>,
    input: AdminKeySignIn,
) -> CommandResult<ConnectionStatus> {
    connection.sign_in_with_key(input).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sign_out(connection: ConnectionState<'_>) -> CommandResult<ConnectionStatus> {
    connection.sign_out().await
}

/// `profile_id: null` switches to the local store.
#[tauri::command(rename_all = "snake_case")]
pub async fn use_profile(
    connection: ConnectionState<'_>,
    profile_id: Option<String>,
) -> CommandResult<ConnectionStatus> {
    connection.use_profile(profile_id).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn forget_profile(
    connection: ConnectionState<'_>,
    profile_id: String,
) -> CommandResult<ConnectionStatus> {
    connection.forget_profile(profile_id).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn get_state(backend: BackendState<'_>) -> CommandResult<AppState> {
    backend.state().await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn bootstrap(
    backend: BackendState<'_>,
    input: BootstrapInput,
) -> CommandResult<AppState> {
    backend.bootstrap(input).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn list_workspaces(backend: BackendState<'_>) -> CommandResult<Vec<Workspace>> {
    backend.list_workspaces().await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn create_workspace(
    backend: BackendState<'_>,
    input: NewWorkspace,
) -> CommandResult<Workspace> {
    backend.create_workspace(input).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn update_workspace(
    backend: BackendState<'_>,
    workspace_id: Uuid,
    patch: WorkspacePatchInput,
) -> CommandResult<Workspace> {
    backend.update_workspace(workspace_id, patch.into()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn workspace_key_count(
    backend: BackendState<'_>,
    workspace_id: Uuid,
) -> CommandResult<i64> {
    backend.workspace_key_count(workspace_id).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn delete_workspace(
    backend: BackendState<'_>,
    workspace_id: Uuid,
    confirmed: bool,
) -> CommandResult<i64> {
    backend.delete_workspace(workspace_id, confirmed).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn list_keys(
    backend: BackendState<'_>,
    filter: Option<KeyFilter>,
) -> CommandResult<KeyPage> {
    backend.list_keys(filter.unwrap_or_default()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn create_key(backend: BackendState<'_>, input: NewKey) -> CommandResult<RevealOnce> {
    backend.create_key(input).await.map(RevealOnce)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn rename_key(
    backend: BackendState<'_>,
    key_id: Uuid,
    name: Option<String>,
) -> CommandResult<ApiKey> {
    backend.rename_key(key_id, name).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn set_key_budget(
    backend: BackendState<'_>,
    key_id: Uuid,
    budget_micros: Option<i64>,
) -> CommandResult<ApiKey> {
    backend.set_key_budget(key_id, budget_micros).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn delete_key(backend: BackendState<'_>, key_id: Uuid) -> CommandResult<()> {
    backend.delete_key(key_id).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn rotate_key(
    backend: BackendState<'_>,
    key_id: Uuid,
    grace_seconds: Option<i64>,
) -> CommandResult<RevealOnce> {
    backend
        .rotate_key(key_id, grace_seconds)
        .await
        .map(RevealOnce)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn delete_keys(backend: BackendState<'_>, key_ids: Vec<Uuid>) -> CommandResult<i64> {
    backend.delete_keys(key_ids).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn update_organization(
    backend: BackendState<'_>,
    patch: OrganizationPatchInput,
) -> CommandResult<Organization> {
    backend.update_organization(patch.into()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn list_users(backend: BackendState<'_>) -> CommandResult<Vec<User>> {
    backend.list_users().await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn create_user(backend: BackendState<'_>, input: NewUser) -> CommandResult<User> {
    backend.create_user(input).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn set_user_role(
    backend: BackendState<'_>,
    user_id: Uuid,
    role: OrgRole,
) -> CommandResult<User> {
    backend.set_user_role(user_id, role).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn remove_user(backend: BackendState<'_>, user_id: Uuid) -> CommandResult<()> {
    backend.remove_user(user_id).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn list_members(
    backend: BackendState<'_>,
    workspace_id: Uuid,
) -> CommandResult<Vec<WorkspaceMember>> {
    backend.list_members(workspace_id).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn add_member(
    backend: BackendState<'_>,
    workspace_id: Uuid,
    user_id: Uuid,
    role: WorkspaceRole,
) -> CommandResult<()> {
    backend.add_member(workspace_id, user_id, role).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn set_member_role(
    backend: BackendState<'_>,
    workspace_id: Uuid,
    user_id: Uuid,
    role: WorkspaceRole,
) -> CommandResult<()> {
    backend.set_member_role(workspace_id, user_id, role).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn remove_member(
    backend: BackendState<'_>,
    workspace_id: Uuid,
    user_id: Uuid,
) -> CommandResult<i64> {
    backend.remove_member(workspace_id, user_id).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn monthly_spend(
    backend: BackendState<'_>,
    workspace_id: Uuid,
) -> CommandResult<MonthlySpend> {
    backend.monthly_spend(workspace_id).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn daily_costs(
    backend: BackendState<'_>,
    workspace_id: Uuid,
) -> CommandResult<Vec<DailyCost>> {
    backend.daily_costs(workspace_id).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn usage_by_model(
    backend: BackendState<'_>,
    workspace_id: Uuid,
) -> CommandResult<Vec<ModelDayUsage>> {
    backend.usage_by_model(workspace_id).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn usage_by_key(
    backend: BackendState<'_>,
    workspace_id: Uuid,
) -> CommandResult<Vec<KeyUsage>> {
    backend.usage_by_key(workspace_id).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn list_connectors(
    backend: BackendState<'_>,
    workspace_id: Uuid,
) -> CommandResult<Vec<Connector>> {
    backend.list_connectors(workspace_id).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn create_connector(
    backend: BackendState<'_>,
    input: NewConnector,
) -> CommandResult<Connector> {
    backend.create_connector(input).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn set_connector_visibility(
    backend: BackendState<'_>,
    connector_id: Uuid,
    visibility: ConnectorVisibility,
) -> CommandResult<Connector> {
    backend
        .set_connector_visibility(connector_id, visibility)
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn delete_connector(backend: BackendState<'_>, connector_id: Uuid) -> CommandResult<()> {
    backend.delete_connector(connector_id).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn reachable_connectors(
    backend: BackendState<'_>,
    key_id: Uuid,
) -> CommandResult<Vec<Connector>> {
    backend.reachable_connectors(key_id).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn list_audit(
    backend: BackendState<'_>,
    filter: Option<AuditFilter>,
) -> CommandResult<Vec<AuditEvent>> {
    backend.list_audit(filter.unwrap_or_default()).await
}

/// The invoke handler with every app command. Keep in step with the
/// `COMMANDS` list in build.rs, which generates their permissions.
pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        connection_status,
        sign_in,
        sign_in_with_key,
        sign_out,
        use_profile,
        forget_profile,
        get_state,
        bootstrap,
        list_workspaces,
        create_workspace,
        update_workspace,
        workspace_key_count,
        delete_workspace,
        list_keys,
        create_key,
        rename_key,
        set_key_budget,
        delete_key,
        rotate_key,
        delete_keys,
        update_organization,
        list_users,
        create_user,
        set_user_role,
        remove_user,
        list_members,
        add_member,
        set_member_role,
        remove_member,
        monthly_spend,
        daily_costs,
        usage_by_model,
        usage_by_key,
        list_connectors,
        create_connector,
        set_connector_visibility,
        delete_connector,
        reachable_connectors,
        list_audit,
        crate::clipboard::copy_secret,
        crate::clipboard::clear_copied_secret,
        crate::env_file::save_env_file,
        crate::start_at_login::start_at_login,
        crate::start_at_login::set_start_at_login,
        crate::tray::open_main_window,
        crate::updates::updates_enabled,
        crate::updates::check_for_update,
        crate::updates::install_update,
        crate::notify::commands::get_preferences,
        crate::notify::commands::set_preferences,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use keydesk_core::model::WorkspacePatch;
    use keydesk_core::secret::Sensitive;
    use keydesk_core::OrganizationPatch;
    use serde_json::{json, Value};
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{mock_builder, mock_context, noop_assets, INVOKE_KEY};
    use tauri::webview::InvokeRequest;

    use crate::backend::UnavailableBackend;
    use crate::error::AppResult;

    /// A backend that refuses every workspace name, to see what JS receives.
    struct RefusingBackend;

    #[async_trait]
    impl Backend for RefusingBackend {
        async fn state(&self) -> AppResult<AppState> {
            Err(AppError::not_initialized())
        }
        async fn bootstrap(&self, _: BootstrapInput) -> AppResult<AppState> {
            Err(AppError::not_initialized())
        }
        async fn list_workspaces(&self) -> AppResult<Vec<Workspace>> {
            Ok(vec![])
        }
        async fn create_workspace(&self, _: NewWorkspace) -> AppResult<Workspace> {
            Err(AppError::validation("name", "name is required"))
        }
        async fn update_workspace(&self, _: Uuid, _: WorkspacePatch) -> AppResult<Workspace> {
            Err(AppError::validation("name", "name is required"))
        }
        async fn workspace_key_count(&self, _: Uuid) -> AppResult<i64> {
            Ok(0)
        }
        async fn delete_workspace(&self, _: Uuid, _: bool) -> AppResult<i64> {
            Ok(0)
        }
        async fn list_keys(&self, _: KeyFilter) -> AppResult<KeyPage> {
            Ok(KeyPage {
                keys: vec![],
                total: 0,
                total_exact: true,
            })
        }
        async fn create_key(&self, _: NewKey) -> AppResult<IssuedKey> {
            Err(AppError::not_initialized())
        }
        async fn rename_key(&self, _: Uuid, _: Option<String>) -> AppResult<ApiKey> {
            Err(AppError::not_initialized())
        }
        async fn set_key_budget(&self, _: Uuid, _: Option<i64>) -> AppResult<ApiKey> {
            Err(AppError::not_initialized())
        }
        async fn delete_key(&self, _: Uuid) -> AppResult<()> {
            Ok(())
        }
        async fn rotate_key(&self, _: Uuid, _: Option<i64>) -> AppResult<IssuedKey> {
            Err(AppError::not_initialized())
        }
        async fn delete_keys(&self, ids: Vec<Uuid>) -> AppResult<i64> {
            Ok(ids.len() as i64)
        }
        async fn update_organization(&self, _: OrganizationPatch) -> AppResult<Organization> {
            Err(AppError::not_initialized())
        }
        async fn list_users(&self) -> AppResult<Vec<User>> {
            Ok(vec![])
        }
        async fn create_user(&self, _: NewUser) -> AppResult<User> {
            Err(AppError::validation("email", "email is invalid"))
        }
        async fn set_user_role(&self, _: Uuid, _: OrgRole) -> AppResult<User> {
            Err(AppError::not_initialized())
        }
        async fn remove_user(&self, _: Uuid) -> AppResult<()> {
            Ok(())
        }
        async fn list_members(&self, _: Uuid) -> AppResult<Vec<WorkspaceMember>> {
            Ok(vec![])
        }
        async fn add_member(&self, _: Uuid, _: Uuid, _: WorkspaceRole) -> AppResult<()> {
            Ok(())
        }
        async fn set_member_role(&self, _: Uuid, _: Uuid, _: WorkspaceRole) -> AppResult<()> {
            Ok(())
        }
        async fn remove_member(&self, _: Uuid, _: Uuid) -> AppResult<i64> {
            Ok(0)
        }
        async fn monthly_spend(&self, _: Uuid) -> AppResult<MonthlySpend> {
            Err(AppError::not_initialized())
        }
        async fn daily_costs(&self, _: Uuid) -> AppResult<Vec<DailyCost>> {
            Ok(vec![])
        }
        async fn usage_by_model(&self, _: Uuid) -> AppResult<Vec<ModelDayUsage>> {
            Ok(vec![])
        }
        async fn usage_by_key(&self, _: Uuid) -> AppResult<Vec<KeyUsage>> {
            Ok(vec![])
        }
        async fn spend_alerts(
            &self,
            _: Option<chrono::DateTime<chrono::Utc>>,
        ) -> AppResult<Vec<crate::backend::SpendAlert>> {
            Ok(vec![])
        }
        async fn list_connectors(&self, _: Uuid) -> AppResult<Vec<Connector>> {
            Ok(vec![])
        }
        async fn create_connector(&self, _: NewConnector) -> AppResult<Connector> {
            Err(AppError::not_initialized())
        }
        async fn set_connector_visibility(
            &self,
            _: Uuid,
            _: ConnectorVisibility,
        ) -> AppResult<Connector> {
            Err(AppError::not_initialized())
        }
        async fn delete_connector(&self, _: Uuid) -> AppResult<()> {
            Ok(())
        }
        async fn reachable_connectors(&self, _: Uuid) -> AppResult<Vec<Connector>> {
            Ok(vec![])
        }
        async fn list_audit(&self, _: AuditFilter) -> AppResult<Vec<AuditEvent>> {
            Ok(vec![])
        }
    }

    fn invoke(backend: Arc<dyn Backend>, cmd: &str, args: Value) -> Result<Value, Value> {
        let app = mock_builder()
            .manage(backend)
            .invoke_handler(handler())
            .build(mock_context(noop_assets()))
            .expect("mock app builds");
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("mock window builds");
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("valid url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        tauri::test::get_ipc_response(&webview, request)
            .map(|body| body.deserialize::<Value>().expect("json body"))
    }

    #[test]
    fn a_validation_error_reaches_js_as_code_message_field() {
        let err = invoke(
            Arc::new(RefusingBackend),
            "create_workspace",
            json!({"input": {"name": ""}}),
        )
        .unwrap_err();
        assert_eq!(
            err,
            json!({"code": "validation", "message": "name is required", "field": "name"})
        );
    }

    #[test]
    fn an_unavailable_store_reaches_js_with_its_reason_and_no_field() {
        let backend = Arc::new(UnavailableBackend::new("cannot open the local store"));
        let err = invoke(backend, "get_state", json!({})).unwrap_err();
        assert_eq!(
            err,
            json!({"code": "unavailable", "message": "cannot open the local store"})
        );
    }

    #[test]
    fn bulk_delete_takes_a_list_of_ids() {
        let ok = invoke(
            Arc::new(RefusingBackend),
            "delete_keys",
            json!({"key_ids": [Uuid::nil(), Uuid::nil()]}),
        );
        assert_eq!(ok.unwrap(), json!(2));
    }

    #[test]
    fn arguments_are_snake_case() {
        let ok = invoke(
            Arc::new(RefusingBackend),
            "workspace_key_count",
            json!({"workspace_id": Uuid::nil()}),
        );
        assert_eq!(ok.unwrap(), json!(0));
    }

    #[test]
    fn reveal_once_serializes_the_secret_and_debug_hides_it() {
        let key: ApiKey = serde_json::from_value(json!({
            "key_id": Uuid::nil(), "name": null, "hidden_key": "kd_a...wxyz",
            "workspace_id": Uuid::nil(), "workspace_name": "Default",
            "owner_id": Uuid::nil(), "owner_email": "ada@example.com",
            "product": "API", "connector_scope": "shared",
            "created_at": "2025-01-01T00:00:00Z", "expiration_date": null,
            "last_used_at": null, "delete_after": null, "status": "active",
            "actions": {"rotate": {"status": "available"}, "delete": {"status": "available"}}
        }))
        .expect("ApiKey shape");
        let secret = "kd_abcdefghijklmnopqrstuvwxyz0123456789ABCD".to_string();
        let reveal = RevealOnce(IssuedKey {
            key,
            secret: Sensitive::new(secret.clone()),
            expiration_clamped: false,
        });
        let value = serde_json::to_value(&reveal).unwrap();
        assert_eq!(value["secret"], json!(secret));
        assert_eq!(value["expiration_clamped"], json!(false));
        assert_eq!(value["key"]["hidden_key"], json!("kd_a...wxyz"));
        assert!(!format!("{reveal:?}").contains(&secret));
    }
}
