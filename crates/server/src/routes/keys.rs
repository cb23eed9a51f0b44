//! API keys: the Admin API's list, create and delete, Keydesk's read,
//! rename and rotate-with-grace, and the `me` endpoints through which a
//! member manages their own keys (the tray window's API).

use axum::body::Bytes;
use axum::extract::State;
use keydesk_core::model::{KeyFilter, KeyPatch, NewKey};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, Json, Path, Query};
use crate::ServerState;
use keydesk_api::*;

fn page_out(page: keydesk_core::model::KeyPage) -> ApiKeysOut {
    ApiKeysOut { keys: page.keys.iter().map(ApiKeyOut::from_key).collect(), total: page.total, total_exact: page.total_exact }
}

#[utoipa::path(get, path = "/v1/admin/api-keys", tag = "api-keys", params(ApiKeysQuery),
    responses((status = 200, body = ApiKeysOut)))]
pub async fn list(State(st): State<ServerState>, caller: Caller, Query(q): Query<ApiKeysQuery>) -> ApiResult<Json<ApiKeysOut>> {
    let filter = KeyFilter::from(q);
    Ok(Json(page_out(st.svc.list_keys(&caller.actor, filter).await?)))
}

#[utoipa::path(post, path = "/v1/admin/api-keys", tag = "api-keys", request_body = AdminCreateApiKeyIn,
    responses((status = 200, body = ApiKeyOut)))]
pub async fn create(State(st): State<ServerState>, caller: Caller, Json(body): Json<AdminCreateApiKeyIn>) -> ApiResult<Json<ApiKeyOut>> {
    let new = NewKey {
        workspace_id: body.workspace_uuid,
        user_id: Some(body.user_id),
        name: body.name,
        expiration: body.expiration,
        connector_scope: body.connector_scope.map(Into::into),
        product: body.product.map(Into::into),
        monthly_budget_micros: body.monthly_budget.map(|v| usd_to_micros("monthly_budget", v)).transpose()?,
    };
    let created = st.svc.create_key(&caller.actor, new).await?;
    Ok(Json(ApiKeyOut::from_created(&created)))
}

/// Keydesk: one key.
#[utoipa::path(get, path = "/v1/admin/api-keys/{key_id}", tag = "api-keys", params(("key_id" = Uuid, Path)),
    responses((status = 200, body = ApiKeyOut)))]
pub async fn get_one(State(st): State<ServerState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<ApiKeyOut>> {
    Ok(Json(ApiKeyOut::from_key(&st.svc.get_key(&caller.actor, id).await?)))
}

/// Keydesk: changes a key's name or its own monthly budget, the only
/// settings that may change after creation.
#[utoipa::path(patch, path = "/v1/admin/api-keys/{key_id}", tag = "api-keys", params(("key_id" = Uuid, Path)),
    request_body = KeyPatchIn, responses((status = 200, body = ApiKeyOut)))]
pub async fn update(
    State(st): State<ServerState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<KeyPatchIn>,
) -> ApiResult<Json<ApiKeyOut>> {
    body.check_fixed_fields()?;
    let patch = KeyPatch {
        name: body.name,
        monthly_budget_micros: body.monthly_budget.map(|b| b.map(|v| usd_to_micros("monthly_budget", v)).transpose()).transpose()?,
    };
    Ok(Json(ApiKeyOut::from_key(&st.svc.update_key(&caller.actor, id, patch).await?)))
}

#[utoipa::path(delete, path = "/v1/admin/api-keys/{key_id}", tag = "api-keys", params(("key_id" = Uuid, Path)),
    responses((status = 200, body = DeleteApiKeyOut)))]
pub async fn delete_one(State(st): State<ServerState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<DeleteApiKeyOut>> {
    st.svc.delete_key(&caller.actor, id).await?;
    Ok(Json(DeleteApiKeyOut { detail: "API key deleted successfully".into() }))
}

/// Keydesk: deletes several keys in one transaction: if any of them may
/// not be deleted by the caller (or does not exist), none is.
#[utoipa::path(post, path = "/v1/admin/api-keys-delete", tag = "api-keys", request_body = DeleteApiKeysIn,
    responses((status = 200, body = DeleteApiKeysOut)))]
pub async fn delete_many(
    State(st): State<ServerState>,
    caller: Caller,
    Json(body): Json<DeleteApiKeysIn>,
) -> ApiResult<Json<DeleteApiKeysOut>> {
    if body.key_ids.is_empty() {
        return Err(ApiError::validation("key_ids", "key_ids lists no key"));
    }
    Ok(Json(DeleteApiKeysOut { deleted_count: st.svc.delete_keys(&caller.actor, &body.key_ids).await? }))
}

/// Keydesk: replaces a key by a new one with the same settings (the new
/// secret is in `key`). The old key stops now, or after the grace period.
#[utoipa::path(post, path = "/v1/admin/api-keys/{key_id}/rotate", tag = "api-keys", params(("key_id" = Uuid, Path)),
    request_body(content = Option<RotateKeyIn>, description = "Optional; an empty body rotates without grace"),
    responses((status = 200, body = ApiKeyOut)))]
pub async fn rotate(State(st): State<ServerState>, caller: Caller, Path(id): Path<Uuid>, body: Bytes) -> ApiResult<Json<ApiKeyOut>> {
    let input: RotateKeyIn = if body.iter().all(u8::is_ascii_whitespace) {
        RotateKeyIn::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            if e.is_syntax() || e.is_eof() {
                ApiError {
                    status: axum::http::StatusCode::BAD_REQUEST,
                    error: keydesk_core::Error::validation("body", "the request body is not valid JSON"),
                }
            } else {
                ApiError::validation("body", format!("invalid request body: {e}"))
            }
        })?
    };
    let created = st.svc.rotate_key(&caller.actor, id, input.grace_period_seconds).await?;
    Ok(Json(ApiKeyOut::from_created(&created)))
}

/// The caller's own keys, in every workspace they belong to.
#[utoipa::path(get, path = "/v1/me/api-keys", tag = "me", params(MyKeysQuery), responses((status = 200, body = ApiKeysOut)))]
pub async fn list_my_keys(State(st): State<ServerState>, caller: Caller, Query(q): Query<MyKeysQuery>) -> ApiResult<Json<ApiKeysOut>> {
    let filter = q.filter_for(caller.actor.user_id);
    Ok(Json(page_out(st.svc.list_keys(&caller.actor, filter).await?)))
}

/// Creates a key owned by the caller in a workspace they belong to.
#[utoipa::path(post, path = "/v1/me/api-keys", tag = "me", request_body = CreateOwnKeyIn, responses((status = 200, body = ApiKeyOut)))]
pub async fn create_my_key(State(st): State<ServerState>, caller: Caller, Json(body): Json<CreateOwnKeyIn>) -> ApiResult<Json<ApiKeyOut>> {
    let new = NewKey {
        workspace_id: body.workspace_uuid,
        user_id: None,
        name: body.name,
        expiration: body.expiration,
        connector_scope: body.connector_scope.map(Into::into),
        product: body.product.map(Into::into),
        monthly_budget_micros: None,
    };
    Ok(Json(ApiKeyOut::from_created(&st.svc.create_key(&caller.actor, new).await?)))
}

/// Deletes one of the caller's own keys; anyone else's key is "not found" here.
#[utoipa::path(delete, path = "/v1/me/api-keys/{key_id}", tag = "me", params(("key_id" = Uuid, Path)),
    responses((status = 200, body = DeleteApiKeyOut)))]
pub async fn delete_my_key(State(st): State<ServerState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<DeleteApiKeyOut>> {
    let key = st.svc.get_key(&caller.actor, id).await?;
    if key.owner_id != caller.actor.user_id {
        return Err(keydesk_core::Error::not_found("API key").into());
    }
    st.svc.delete_key(&caller.actor, id).await?;
    Ok(Json(DeleteApiKeyOut { detail: "API key deleted successfully".into() }))
}

/// Keydesk: the connectors requests made with this key may reach: the
/// workspace's shared ones, and with the `private_and_shared` scope also
/// its owner's private ones.
#[utoipa::path(get, path = "/v1/admin/api-keys/{key_id}/connectors", tag = "connectors", params(("key_id" = Uuid, Path)),
    responses((status = 200, body = ConnectorsOut)))]
pub async fn reachable_connectors(State(st): State<ServerState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<ConnectorsOut>> {
    let list = st.svc.reachable_connectors(&caller.actor, id).await?;
    Ok(Json(ConnectorsOut { connectors: list.iter().map(ConnectorOut::from).collect() }))
}
