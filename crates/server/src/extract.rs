//! Request extractors: JSON, query and path that fail in our error shape,
//! the authenticated caller (session token or Admin API key, from
//! `x-api-key` or `Authorization: Bearer`), and the client address.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use keydesk_core::auth::Credential;
use keydesk_core::Actor;
use serde::Serialize;

use crate::error::ApiError;
use crate::ServerState;

/// `axum::Json`, with rejections in the API's error shape.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// The presented credential: `x-api-key`, else `Authorization: Bearer`.
pub fn presented_credential(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        let v = v.trim();
        if !v.is_empty() {
            return Some(v);
        }
    }
    let auth = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, value) = auth.split_once(' ')?;
    let value = value.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !value.is_empty()).then_some(value)
}

/// Who is calling. Extracting it answers 401 when the credential is missing,
/// unknown, expired or revoked; what the caller may do is decided later, by
/// core's authorization inside each Service operation.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub credential: Credential,
}

impl FromRequestParts<ServerState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, Self::Rejection> {
        let presented = presented_credential(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        let auth = state.svc.authenticate(presented).await?.ok_or_else(ApiError::unauthenticated)?;
        let via = match auth.credential {
            Credential::Session(_) => "session",
            Credential::AdminKey(_) => "admin_api_key",
        };
        tracing::Span::current().record("user_id", tracing::field::display(auth.actor.user_id));
        tracing::Span::current().record("credential", via);
        Ok(Caller { actor: auth.actor, credential: auth.credential })
    }
}

/// The peer address of the connection, when the server knows it (not in
/// router tests without connect info). Proxy headers are not trusted.
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string())))
    }
}
