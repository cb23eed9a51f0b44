//! Sessions (sign in with email and password, sign out), the caller's own
//! profile and password, and the unauthenticated `/health` and
//! `/openapi.json`.

use axum::extract::State;
use axum::http::StatusCode;
use keydesk_core::auth::Credential;
use keydesk_core::Sensitive;

use super::memberships;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, ClientIp, Json};
use crate::ServerState;
use keydesk_api::*;

#[utoipa::path(get, path = "/health", tag = "meta", security(()), responses((status = 200, body = HealthOut)))]
pub async fn health() -> Json<HealthOut> {
    Json(HealthOut { status: "ok".into() })
}

#[utoipa::path(get, path = "/openapi.json", tag = "meta", security(()), responses((status = 200, description = "This document")))]
pub async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(crate::openapi::document())
}

/// Signs in. Wrong credentials and locked-out accounts or addresses all get
/// the same 401.
#[utoipa::path(post, path = "/v1/auth/sessions", tag = "sessions", security(()), request_body = SignInIn,
    responses((status = 200, body = SessionOut), (status = 401, body = keydesk_api::ErrorBody)))]
pub async fn sign_in(State(st): State<ServerState>, ClientIp(ip): ClientIp, Json(body): Json<SignInIn>) -> ApiResult<Json<SessionOut>> {
    let SignInIn { email, password } = body;
    let opened = st.svc.sign_in(&st.auth, &email, Sensitive::new(password), ip.as_deref()).await?;
    tracing::info!(user_id = %opened.user.id, session_id = %opened.session.id, "signed in");
    Ok(Json(SessionOut { token: opened.token.expose().clone(), expires_at: opened.session.expires_at, user: UserOut::from(&opened.user) }))
}

/// Signs out: the session presented with this request ends.
#[utoipa::path(delete, path = "/v1/auth/sessions/current", tag = "sessions", responses((status = 204, description = "Signed out")))]
pub async fn sign_out(State(st): State<ServerState>, caller: Caller) -> ApiResult<StatusCode> {
    match caller.credential {
        Credential::Session(id) => {
            st.svc.sign_out(&caller.actor, id).await?;
            Ok(StatusCode::NO_CONTENT)
        }
        Credential::AdminKey(_) => Err(ApiError::validation("authorization", "this request was not made with a session")),
    }
}

/// The caller, their workspaces and how they authenticated.
#[utoipa::path(get, path = "/v1/me", tag = "me", responses((status = 200, body = MeOut)))]
pub async fn me(State(st): State<ServerState>, caller: Caller) -> ApiResult<Json<MeOut>> {
    let user = st.svc.get_user(&caller.actor, caller.actor.user_id).await?;
    let workspaces = memberships(&st.svc, &caller.actor, user.id).await?;
    let credential = match caller.credential {
        Credential::Session(_) => "session",
        Credential::AdminKey(_) => "admin_api_key",
    };
    Ok(Json(MeOut { user: UserOut::from(&user), workspaces, credential: credential.into() }))
}

/// Changes the caller's password; their other sessions end.
#[utoipa::path(post, path = "/v1/me/password", tag = "me", request_body = ChangePasswordIn, responses((status = 204, description = "Changed")))]
pub async fn change_password(State(st): State<ServerState>, caller: Caller, Json(body): Json<ChangePasswordIn>) -> ApiResult<StatusCode> {
    let ChangePasswordIn { current_password, new_password } = body;
    let keep = match caller.credential {
        Credential::Session(id) => Some(id),
        Credential::AdminKey(_) => None,
    };
    st.svc.change_password(&caller.actor, Sensitive::new(current_password), Sensitive::new(new_password), keep).await?;
    Ok(StatusCode::NO_CONTENT)
}
