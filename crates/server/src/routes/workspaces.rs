//! Workspaces: list, create, read, update, settings (spend and rate limits,
//! key expiry policy), delete, members, and the workspace's connectors.

use axum::extract::State;
use axum::http::StatusCode;
use keydesk_core::model::{NewConnector, NewWorkspace, RateLimits, WorkspacePatch, WorkspaceRole};
use keydesk_core::text::fold_for_search;
use keydesk_core::Service;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::extract::{Caller, Json, Path, Query};
use crate::ServerState;
use keydesk_api::*;

#[utoipa::path(get, path = "/v1/admin/workspaces", tag = "workspaces", params(WorkspacesQuery),
    responses((status = 200, body = WorkspacesOut)))]
pub async fn list(State(st): State<ServerState>, caller: Caller, Query(q): Query<WorkspacesQuery>) -> ApiResult<Json<WorkspacesOut>> {
    let (page, size, offset) = PageParams { page: q.page, page_size: q.page_size }.resolve()?;
    let mut all = st.svc.list_workspaces(&caller.actor).await?;
    if let Some(term) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let term = fold_for_search(term);
        all.retain(|w| fold_for_search(&w.name).contains(&term));
    }
    let items = page_of(&all, offset, size).iter().map(WorkspaceOut::from).collect();
    Ok(Json(WorkspacesOut { total: all.len() as i64, items, object: "list".into(), page, page_size: size }))
}

#[utoipa::path(post, path = "/v1/admin/workspaces", tag = "workspaces", request_body = AdminWorkspaceIn,
    responses((status = 200, body = WorkspaceEnrichedOut)))]
pub async fn create(
    State(st): State<ServerState>,
    caller: Caller,
    Json(body): Json<AdminWorkspaceIn>,
) -> ApiResult<Json<WorkspaceEnrichedOut>> {
    let new = NewWorkspace { name: body.name, description: body.description, icon: body.icon, admin_user_id: Some(body.admin_user_id) };
    let mut ws = st.svc.create_workspace(&caller.actor, new).await?;
    if body.add_all_org_members {
        for user in st.svc.list_users(&caller.actor).await? {
            if user.id != body.admin_user_id {
                st.svc.add_member(&caller.actor, ws.id, user.id, WorkspaceRole::Member).await?;
            }
        }
        ws = st.svc.get_workspace(&caller.actor, ws.id).await?;
    }
    let code = WorkspaceRole::Admin.code().to_owned();
    Ok(Json(WorkspaceEnrichedOut { workspace: WorkspaceOut::from(&ws), raw_roles: vec![code.clone()], raw_role: code }))
}

/// Keydesk: one workspace.
#[utoipa::path(get, path = "/v1/admin/workspaces/{workspace_uuid}", tag = "workspaces", params(("workspace_uuid" = Uuid, Path)),
    responses((status = 200, body = WorkspaceOut)))]
pub async fn get_one(State(st): State<ServerState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<WorkspaceOut>> {
    Ok(Json(WorkspaceOut::from(&st.svc.get_workspace(&caller.actor, id).await?)))
}

#[utoipa::path(patch, path = "/v1/admin/workspaces/{workspace_uuid}", tag = "workspaces", params(("workspace_uuid" = Uuid, Path)),
    request_body = UpdateWorkspaceIn, responses((status = 200, body = WorkspaceOut)))]
pub async fn update(
    State(st): State<ServerState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<UpdateWorkspaceIn>,
) -> ApiResult<Json<WorkspaceOut>> {
    let mut patch = settings_patch(&st, &caller, id, body.settings).await?;
    patch.name = body.name;
    patch.description = body.description;
    patch.icon = body.icon;
    Ok(Json(WorkspaceOut::from(&st.svc.update_workspace(&caller.actor, id, patch).await?)))
}

/// The settings part of a workspace patch, in core's terms. Rate limits are
/// stored as one value: a change to one of its fields keeps the other.
async fn settings_patch(st: &ServerState, caller: &Caller, id: Uuid, body: WorkspaceSettingsIn) -> ApiResult<WorkspacePatch> {
    let monthly_spend_limit_micros = match body.monthly_spend_limit {
        Some(Some(v)) => Some(Some(usd_to_micros("monthly_spend_limit", v)?)),
        Some(None) => Some(None),
        None => None,
    };
    let rate_limits = if body.requests_per_second.is_some() || body.tokens_per_minute.is_some() {
        let current = st.svc.get_workspace(&caller.actor, id).await?;
        Some(RateLimits {
            requests_per_second: body.requests_per_second.unwrap_or(current.rate_limits.requests_per_second),
            tokens_per_minute: body.tokens_per_minute.unwrap_or(current.rate_limits.tokens_per_minute),
        })
    } else {
        None
    };
    Ok(WorkspacePatch { monthly_spend_limit_micros, rate_limits, key_max_days: body.key_max_days, ..Default::default() })
}

/// Keydesk: spend limit, rate limits and key expiry policy of a workspace.
#[utoipa::path(patch, path = "/v1/admin/workspaces/{workspace_uuid}/settings", tag = "workspaces",
    params(("workspace_uuid" = Uuid, Path)), request_body = WorkspaceSettingsIn, responses((status = 200, body = WorkspaceOut)))]
pub async fn update_settings(
    State(st): State<ServerState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<WorkspaceSettingsIn>,
) -> ApiResult<Json<WorkspaceOut>> {
    let patch = settings_patch(&st, &caller, id, body).await?;
    Ok(Json(WorkspaceOut::from(&st.svc.update_workspace(&caller.actor, id, patch).await?)))
}

/// Deletes the workspace and revokes its keys. The call is the confirmation,
/// unless Keydesk's `confirm=false` asks first: then nothing is deleted and
/// the answer (422 on `confirm`) says how many keys would be revoked.
#[utoipa::path(delete, path = "/v1/admin/workspaces/{workspace_uuid}", tag = "workspaces",
    params(("workspace_uuid" = Uuid, Path), DeleteWorkspaceQuery), responses((status = 204, description = "Deleted")))]
pub async fn delete_one(
    State(st): State<ServerState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<DeleteWorkspaceQuery>,
) -> ApiResult<StatusCode> {
    st.svc.delete_workspace(&caller.actor, id, q.confirm.unwrap_or(true)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Keydesk: the members of a workspace.
#[utoipa::path(get, path = "/v1/admin/workspaces/{workspace_uuid}/users", tag = "workspaces", params(("workspace_uuid" = Uuid, Path)),
    responses((status = 200, body = WorkspaceMembersOut)))]
pub async fn list_members(State(st): State<ServerState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<WorkspaceMembersOut>> {
    let members = st.svc.list_members(&caller.actor, id).await?;
    Ok(Json(WorkspaceMembersOut {
        members: members
            .into_iter()
            .map(|m| WorkspaceMemberOut {
                user_uuid: m.user_id,
                email: m.email,
                name: m.name,
                raw_roles: vec![m.role.code().to_owned()],
                raw_role: m.role.code().to_owned(),
                added_at: m.added_at,
            })
            .collect(),
    }))
}

fn parse_members(svc: &Service, body: WorkspaceMemberIn) -> ApiResult<Vec<(Uuid, Option<WorkspaceRole>)>> {
    let (_, ws_roles) = roles_with_api_names(svc.roles());
    body.members
        .unwrap_or_default()
        .into_iter()
        .map(|m| Ok((m.user_uuid, workspace_role_from(keydesk_api::role_fields!(m), &ws_roles)?)))
        .collect()
}

/// Adds users; those already members are left as they are.
#[utoipa::path(post, path = "/v1/admin/workspaces/{workspace_uuid}/add-users", tag = "workspaces",
    params(("workspace_uuid" = Uuid, Path)), request_body = WorkspaceMemberIn, responses((status = 200, body = AddUsersToWorkspaceOut)))]
pub async fn add_users(
    State(st): State<ServerState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<WorkspaceMemberIn>,
) -> ApiResult<Json<AddUsersToWorkspaceOut>> {
    let members = parse_members(&st.svc, body)?;
    let changed = st.svc.put_members(&caller.actor, id, &members, false).await?;
    Ok(Json(AddUsersToWorkspaceOut { added_members_count: changed.added }))
}

/// Adds users, or changes the role of those already members.
#[utoipa::path(patch, path = "/v1/admin/workspaces/{workspace_uuid}/users", tag = "workspaces",
    params(("workspace_uuid" = Uuid, Path)), request_body = WorkspaceMemberIn, responses((status = 200, body = AddOrUpdateUsersToWorkspaceOut)))]
pub async fn upsert_users(
    State(st): State<ServerState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<WorkspaceMemberIn>,
) -> ApiResult<Json<AddOrUpdateUsersToWorkspaceOut>> {
    let members = parse_members(&st.svc, body)?;
    let changed = st.svc.put_members(&caller.actor, id, &members, true).await?;
    Ok(Json(AddOrUpdateUsersToWorkspaceOut { added_members_count: changed.added, updated_members_count: changed.updated }))
}

/// Removes members (their keys in the workspace are revoked). Users who are
/// not members, or are its last admin, are listed in `not_deleted_members`.
#[utoipa::path(delete, path = "/v1/admin/workspaces/{workspace_uuid}/remove-users", tag = "workspaces",
    params(("workspace_uuid" = Uuid, Path)), request_body = RemoveWorkspaceMembersIn, responses((status = 200, body = RemoveWorkspaceMembersOut)))]
pub async fn remove_users(
    State(st): State<ServerState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<RemoveWorkspaceMembersIn>,
) -> ApiResult<Json<RemoveWorkspaceMembersOut>> {
    let users: Vec<Uuid> = body.members.iter().map(|m| m.user_uuid).collect();
    let changed = st.svc.remove_members(&caller.actor, id, &users).await?;
    Ok(Json(RemoveWorkspaceMembersOut { deleted_members_count: changed.removed, not_deleted_members: Some(changed.unchanged) }))
}

/// Keydesk: the workspace's shared connectors and the private ones the caller may see.
#[utoipa::path(get, path = "/v1/admin/workspaces/{workspace_uuid}/connectors", tag = "connectors",
    params(("workspace_uuid" = Uuid, Path)), responses((status = 200, body = ConnectorsOut)))]
pub async fn list_connectors(State(st): State<ServerState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<ConnectorsOut>> {
    let list = st.svc.list_connectors(&caller.actor, id).await?;
    Ok(Json(ConnectorsOut { connectors: list.iter().map(ConnectorOut::from).collect() }))
}

/// Keydesk: creates a connector owned by the caller.
#[utoipa::path(post, path = "/v1/admin/workspaces/{workspace_uuid}/connectors", tag = "connectors",
    params(("workspace_uuid" = Uuid, Path)), request_body = CreateConnectorIn, responses((status = 200, body = ConnectorOut)))]
pub async fn create_connector(
    State(st): State<ServerState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<CreateConnectorIn>,
) -> ApiResult<Json<ConnectorOut>> {
    let visibility = parse_visibility(body.visibility.as_deref().unwrap_or("private"))?;
    let c = st.svc.create_connector(&caller.actor, NewConnector { workspace_id: id, name: body.name, visibility }).await?;
    Ok(Json(ConnectorOut::from(&c)))
}

/// Keydesk: shares or unshares a connector.
#[utoipa::path(patch, path = "/v1/admin/connectors/{connector_id}", tag = "connectors",
    params(("connector_id" = Uuid, Path)), request_body = ConnectorVisibilityIn, responses((status = 200, body = ConnectorOut)))]
pub async fn set_connector_visibility(
    State(st): State<ServerState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<ConnectorVisibilityIn>,
) -> ApiResult<Json<ConnectorOut>> {
    let c = st.svc.set_connector_visibility(&caller.actor, id, parse_visibility(&body.visibility)?).await?;
    Ok(Json(ConnectorOut::from(&c)))
}

#[utoipa::path(delete, path = "/v1/admin/connectors/{connector_id}", tag = "connectors",
    params(("connector_id" = Uuid, Path)), responses((status = 200, body = DeleteOut)))]
pub async fn delete_connector(State(st): State<ServerState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<DeleteOut>> {
    st.svc.delete_connector(&caller.actor, id).await?;
    Ok(Json(DeleteOut { message: "Connector deleted successfully".into() }))
}
