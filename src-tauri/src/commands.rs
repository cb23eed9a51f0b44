//! The app's Tauri commands: thin async wrappers that hand each call to the
//! `Arc<dyn Backend>` in state. Arguments arrive in snake_case, errors leave
//! as `AppError` (`{code, message, field?}`), and `RevealOnce` is the single
//! place where a full key secret is serialized for the UI.

use std::sync::Arc;

use keydesk_core::model::{
    ApiKey, KeyFilter, KeyPage, NewKey, NewWorkspace, Workspace, WorkspacePatch,
};
use serde::ser::SerializeStruct;
use serde::Serialize;
use tauri::{Runtime, State};
use uuid::Uuid;

use crate::backend::{AppState, Backend, BootstrapInput, IssuedKey};
use crate::error::AppError;

type BackendState<'a> = State<'a, Arc<dyn Backend>>;
type CommandResult<T> = Result<T, AppError>;

/// A newly issued key on its way to the reveal-once dialog:
/// `{"key": ApiKey, "secret": "kd_...", "expiration_clamped": bool}`.
/// Its `Debug` (derived through `IssuedKey`) still redacts the secret.
#[derive(Debug)]
pub struct RevealOnce(pub IssuedKey);

impl Serialize for RevealOnce {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("RevealOnce", 3)?;
        out.serialize_field("key", &self.0.key)?;
        out.serialize_field("secret", self.0.secret.expose().as_str())?;
        out.serialize_field("expiration_clamped", &self.0.expiration_clamped)?;
        out.end()
    }
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
    patch: WorkspacePatch,
) -> CommandResult<Workspace> {
    backend.update_workspace(workspace_id, patch).await
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

/// The invoke handler with every app command. Keep in step with the
/// `COMMANDS` list in build.rs, which generates their permissions.
pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
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
        delete_key,
        rotate_key,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use keydesk_core::secret::Sensitive;
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
        async fn delete_key(&self, _: Uuid) -> AppResult<()> {
            Ok(())
        }
        async fn rotate_key(&self, _: Uuid, _: Option<i64>) -> AppResult<IssuedKey> {
            Err(AppError::not_initialized())
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
