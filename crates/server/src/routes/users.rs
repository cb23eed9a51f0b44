//! Organization users, invitations (accepted at once: Keydesk sends no
//! email), one-time passwords and the role catalogue.

use axum::extract::State;
use keydesk_core::authz::Action;
use keydesk_core::model::OrgRole;
use keydesk_core::text::fold_for_search;
use keydesk_core::NewUser;
use uuid::Uuid;

use super::{check_org, memberships};
use crate::error::ApiResult;
use crate::extract::{Caller, Json, Path, Query};
use crate::ServerState;
use keydesk_api::*;

#[utoipa::path(get, path = "/v1/admin/users", tag = "users", params(UsersQuery),
    responses((status = 200, body = OrganizationAdminUsersOut)))]
pub async fn list_users(
    State(st): State<ServerState>,
    caller: Caller,
    Query(q): Query<UsersQuery>,
) -> ApiResult<Json<OrganizationAdminUsersOut>> {
    let (page, size, offset) = PageParams { page: q.page, page_size: q.page_size }.resolve()?;
    let mut users = st.svc.list_users(&caller.actor).await?;
    if let Some(filter) = q.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        let filter = fold_for_search(filter);
        users.retain(|u| fold_for_search(&u.email).contains(&filter));
    }
    let members = page_of(&users, offset, size).iter().map(|u| AdminUserOut::from_user(u, None, false)).collect();
    Ok(Json(OrganizationAdminUsersOut {
        members,
        invites: vec![],
        total: Some(users.len() as i64),
        page: Some(page),
        page_size: Some(size),
    }))
}

#[utoipa::path(post, path = "/v1/admin/users", tag = "users", request_body = Vec<OrganizationMemberCreate>,
    responses((status = 200, body = OrganizationUsersCreateOut)))]
pub async fn create_users(
    State(st): State<ServerState>,
    caller: Caller,
    Json(body): Json<Vec<OrganizationMemberCreate>>,
) -> ApiResult<Json<OrganizationUsersCreateOut>> {
    check_org(&caller.actor, Action::ManageUsers)?;
    let (org_roles, _) = roles_with_api_names(st.svc.roles());
    let mut users = Vec::with_capacity(body.len());
    for m in body {
        let role = org_role_from(keydesk_api::role_fields!(m), &org_roles)?.unwrap_or(OrgRole::Member);
        let name = format!("{} {}", m.first_name.trim(), m.last_name.trim()).trim().to_owned();
        users.push(NewUser { email: m.email, name, org_role: role });
    }
    let added = st.svc.add_users(&caller.actor, users, &[]).await?;
    Ok(Json(OrganizationUsersCreateOut {
        invalid_emails: added.invalid.into_iter().chain(added.existing).collect(),
        email_to_user_id: added.created.into_iter().map(|u| (u.email, u.id.to_string())).collect(),
    }))
}

#[utoipa::path(get, path = "/v1/admin/users/{user_id}", tag = "users", params(("user_id" = Uuid, Path)),
    responses((status = 200, body = AdminUserOut)))]
pub async fn get_user(State(st): State<ServerState>, caller: Caller, Path(user_id): Path<Uuid>) -> ApiResult<Json<AdminUserOut>> {
    let user = st.svc.get_user(&caller.actor, user_id).await?;
    let workspaces = memberships(&st.svc, &caller.actor, user.id).await?;
    Ok(Json(AdminUserOut::from_user(&user, Some(workspaces), true)))
}

#[utoipa::path(patch, path = "/v1/admin/users/{user_id}", tag = "users", params(("user_id" = Uuid, Path)),
    request_body = AdminOrganizationMemberUpdate, responses((status = 200, body = AdminUserOut)))]
pub async fn update_user(
    State(st): State<ServerState>,
    caller: Caller,
    Path(user_id): Path<Uuid>,
    Json(body): Json<AdminOrganizationMemberUpdate>,
) -> ApiResult<Json<AdminUserOut>> {
    check_org(&caller.actor, Action::ManageUsers)?;
    let (org_roles, _) = roles_with_api_names(st.svc.roles());
    let user = match org_role_from(keydesk_api::role_fields!(body), &org_roles)? {
        Some(role) => st.svc.update_user_role(&caller.actor, user_id, role).await?,
        None => st.svc.get_user(&caller.actor, user_id).await?,
    };
    Ok(Json(AdminUserOut::from_user(&user, None, false)))
}

#[utoipa::path(delete, path = "/v1/admin/users/{user_id}", tag = "users", params(("user_id" = Uuid, Path)),
    responses((status = 200, body = DeleteOut)))]
pub async fn delete_user(State(st): State<ServerState>, caller: Caller, Path(user_id): Path<Uuid>) -> ApiResult<Json<DeleteOut>> {
    st.svc.remove_user(&caller.actor, user_id).await?;
    Ok(Json(DeleteOut { message: "Organization member deleted successfully".into() }))
}

/// Keydesk: gives the user a new one-time password (shown once) and ends
/// their sessions. How a new user signs in for the first time.
#[utoipa::path(post, path = "/v1/admin/users/{user_id}/password", tag = "users", params(("user_id" = Uuid, Path)),
    responses((status = 200, body = IssuedPasswordOut)))]
pub async fn issue_password(
    State(st): State<ServerState>,
    caller: Caller,
    Path(user_id): Path<Uuid>,
) -> ApiResult<Json<IssuedPasswordOut>> {
    let password = st.svc.issue_password(&caller.actor, user_id).await?;
    Ok(Json(IssuedPasswordOut { user_id, password: password.expose().clone() }))
}

/// Invitations are accepted at once: each address becomes a user (Keydesk
/// sends no email) and joins the listed workspaces as a member.
#[utoipa::path(post, path = "/v1/admin/users-invite", tag = "users", request_body = OrganizationInviteIn,
    responses((status = 200, body = OrganizationInvitesCreateOut)))]
pub async fn invite_users(
    State(st): State<ServerState>,
    caller: Caller,
    Json(body): Json<OrganizationInviteIn>,
) -> ApiResult<Json<OrganizationInvitesCreateOut>> {
    check_org(&caller.actor, Action::ManageUsers)?;
    let (org_roles, _) = roles_with_api_names(st.svc.roles());
    let role = org_role_from(keydesk_api::role_fields!(body), &org_roles)?.unwrap_or(OrgRole::Member);
    let workspaces = body.workspace_uuids.clone().unwrap_or_default();
    let emails: Vec<String> = body.email.split([',', '\n', '\r']).map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned).collect();
    let added = st.svc.invite_users(&caller.actor, &emails, role, &workspaces).await?;
    Ok(Json(OrganizationInvitesCreateOut {
        invalid_emails: added.invalid,
        already_members: added.existing,
        invited_members_count: Some(added.created.len() as i64),
    }))
}

/// Always empty: no invitation stays pending in Keydesk.
#[utoipa::path(get, path = "/v1/admin/users-invite", tag = "users",
    responses((status = 200, body = Vec<Object>)))]
pub async fn list_invites(caller: Caller) -> ApiResult<Json<Vec<serde_json::Value>>> {
    check_org(&caller.actor, Action::ViewUsers)?;
    Ok(Json(vec![]))
}

/// Always 404 for admins: no invitation stays pending in Keydesk.
#[utoipa::path(delete, path = "/v1/admin/users-invite/{invite_uuid}", tag = "users", params(("invite_uuid" = Uuid, Path)),
    responses((status = 404, body = keydesk_api::ErrorBody)))]
pub async fn delete_invite(caller: Caller, Path(_invite): Path<Uuid>) -> ApiResult<Json<DeleteOut>> {
    check_org(&caller.actor, Action::ManageUsers)?;
    Err(keydesk_core::Error::not_found("invitation").into())
}

#[utoipa::path(get, path = "/v1/admin/roles", tag = "users", responses((status = 200, body = RolesOut)))]
pub async fn roles(State(st): State<ServerState>, caller: Caller) -> ApiResult<Json<RolesOut>> {
    check_org(&caller.actor, Action::ViewOrganization)?;
    let (org, ws) = roles_with_api_names(st.svc.roles());
    Ok(Json(RolesOut {
        workspace_roles: ws.into_iter().map(RoleOut::from).collect(),
        organization_roles: org.into_iter().map(RoleOut::from).collect(),
    }))
}
