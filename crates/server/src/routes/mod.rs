//! The route table and the helpers handlers share. Handlers live by area:
//! users and roles, workspaces (with members, settings and connectors), API
//! keys (admin and `me`), billing (limits, usage), per-workspace usage
//! reports and usage events, audit and organization,
//! and sessions.

use axum::routing::{delete, get, patch, post};
use axum::Router;
use keydesk_core::authz::{authorize, Action, Subject};
use keydesk_core::model::WorkspaceRole;
use keydesk_core::{Actor, Service};
use uuid::Uuid;

use crate::error::ApiResult;
use crate::ServerState;
use keydesk_api::MemberWorkspaceInfo;

pub mod billing;
pub mod keys;
pub mod session;
pub mod usage;
pub mod users;
pub mod workspaces;

pub fn router() -> Router<ServerState> {
    Router::new()
        .route("/health", get(session::health))
        .route("/openapi.json", get(session::openapi_json))
        // Sessions and self-service.
        .route("/v1/auth/sessions", post(session::sign_in))
        .route("/v1/auth/sessions/current", delete(session::sign_out))
        .route("/v1/me", get(session::me))
        .route("/v1/me/password", post(session::change_password))
        .route("/v1/me/api-keys", get(keys::list_my_keys).post(keys::create_my_key))
        .route("/v1/me/api-keys/{key_id}", delete(keys::delete_my_key))
        // Users and roles.
        .route("/v1/admin/users", get(users::list_users).post(users::create_users))
        .route("/v1/admin/users/{user_id}", get(users::get_user).patch(users::update_user).delete(users::delete_user))
        .route("/v1/admin/users/{user_id}/password", post(users::issue_password))
        .route("/v1/admin/users-invite", get(users::list_invites).post(users::invite_users))
        .route("/v1/admin/users-invite/{invite_uuid}", delete(users::delete_invite))
        .route("/v1/admin/roles", get(users::roles))
        // Workspaces.
        .route("/v1/admin/workspaces", get(workspaces::list).post(workspaces::create))
        .route("/v1/admin/workspaces/{workspace_uuid}", get(workspaces::get_one).patch(workspaces::update).delete(workspaces::delete_one))
        .route("/v1/admin/workspaces/{workspace_uuid}/settings", patch(workspaces::update_settings))
        .route("/v1/admin/workspaces/{workspace_uuid}/spend", get(usage::workspace_spend))
        .route("/v1/admin/workspaces/{workspace_uuid}/usage/api-keys", get(usage::usage_by_key))
        .route("/v1/admin/workspaces/{workspace_uuid}/add-users", post(workspaces::add_users))
        .route("/v1/admin/workspaces/{workspace_uuid}/users", get(workspaces::list_members).patch(workspaces::upsert_users))
        .route("/v1/admin/workspaces/{workspace_uuid}/remove-users", delete(workspaces::remove_users))
        .route("/v1/admin/workspaces/{workspace_uuid}/connectors", get(workspaces::list_connectors).post(workspaces::create_connector))
        .route("/v1/admin/connectors/{connector_id}", patch(workspaces::set_connector_visibility).delete(workspaces::delete_connector))
        // API keys.
        .route("/v1/admin/api-keys", get(keys::list).post(keys::create))
        .route("/v1/admin/api-keys/{key_id}", get(keys::get_one).patch(keys::update).delete(keys::delete_one))
        .route("/v1/admin/api-keys/{key_id}/rotate", post(keys::rotate))
        .route("/v1/admin/api-keys-delete", post(keys::delete_many))
        .route("/v1/admin/api-keys/{key_id}/connectors", get(keys::reachable_connectors))
        // Billing, usage, audit, organization, Admin API keys.
        .route("/v1/admin/rate-limit", get(billing::rate_limit))
        .route("/v1/admin/spend-limit", get(billing::spend_limit).post(billing::update_spend_limit))
        .route("/v1/admin/usage", get(billing::usage))
        .route("/v1/admin/usage-events", post(usage::record_usage_event))
        .route("/v1/admin/spend-alerts", get(usage::spend_alerts))
        .route("/v1/admin/audit-logs", get(billing::audit_logs))
        .route("/v1/admin/audit-events", get(billing::audit_events))
        .route("/v1/admin/organization", get(billing::organization).patch(billing::update_organization))
        .route("/v1/admin/admin-api-keys", get(billing::list_admin_keys).post(billing::create_admin_key))
        .route("/v1/admin/admin-api-keys/{key_id}", delete(billing::delete_admin_key))
}

/// Checks an organization-level action with core's one authorization
/// function, for the few endpoints that call no Service operation that
/// would check it itself.
pub fn check_org(actor: &Actor, action: Action) -> ApiResult<()> {
    authorize(Subject { org_role: actor.org_role, workspace_role: None, owns_target: false }, action).check()?;
    Ok(())
}

/// The workspaces `user_id` belongs to, with their role, among those whose
/// members the actor may see.
pub async fn memberships(svc: &Service, actor: &Actor, user_id: Uuid) -> ApiResult<Vec<MemberWorkspaceInfo>> {
    Ok(svc.user_memberships(actor, user_id).await?.iter().map(|(ws, role)| ws_info(ws, *role)).collect())
}

pub fn ws_info(ws: &keydesk_core::model::Workspace, role: WorkspaceRole) -> MemberWorkspaceInfo {
    MemberWorkspaceInfo {
        uuid: ws.id,
        name: ws.name.clone(),
        is_default: ws.is_default,
        raw_roles: vec![role.code().to_owned()],
        raw_role: role.code().to_owned(),
    }
}
