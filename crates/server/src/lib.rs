//! keydesk-server: the HTTP face of keydesk-core. `app(state)` builds the
//! router — the platform's Admin API subset, Keydesk's additions (sessions,
//! `me` endpoints, rotation, settings, connectors), `/health`,
//! `/openapi.json` and `/metrics`, and, when the state carries one, the
//! gateway's `/v1/*` — with request ids, request counts and structured
//! request logs. Every rule lives in core's `Service`; handlers only
//! translate HTTP to calls and back.

pub mod error;
pub mod extract;
pub mod gateway;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod setup;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderName, Request};
use axum::routing::get;
use axum::Router;
use keydesk_core::auth::AuthPolicy;
use keydesk_core::Service;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct ServerState {
    pub svc: Service,
    pub auth: AuthPolicy,
    /// The gateway, when this server serves `/v1/*` API requests.
    pub gateway: Option<Arc<gateway::Gateway>>,
}

impl ServerState {
    pub fn new(svc: Service) -> Self {
        ServerState { svc, auth: AuthPolicy::default(), gateway: None }
    }
}

const REQUEST_ID: &str = "x-request-id";
/// Longest request id taken from a client.
const MAX_CLIENT_REQUEST_ID_LEN: usize = 64;

/// Whether a client's request id may be kept: it ends up in logs and in the
/// response, so only short ids of letters, digits, `.`, `_` and `-` are.
fn acceptable_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_CLIENT_REQUEST_ID_LEN
        && id.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Drops the client's `x-request-id` unless it is one acceptable value, so
/// that `SetRequestIdLayer`, which keeps whatever header it finds, makes a
/// UUID instead.
async fn drop_unacceptable_request_id(mut req: Request<Body>) -> Request<Body> {
    let mut values = req.headers().get_all(REQUEST_ID).iter();
    let keep = match (values.next(), values.next()) {
        (Some(only), None) => acceptable_request_id(only.as_bytes()),
        _ => false,
    };
    if !keep {
        req.headers_mut().remove(REQUEST_ID);
    }
    req
}

/// The whole HTTP API over `state`.
pub fn app(state: ServerState) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID);
    // The span names the method, the path (never the query or headers, so
    // no credential can reach a log line) and the request id.
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request<_>| {
            let id = req.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok()).unwrap_or("-");
            tracing::info_span!(
                "request",
                request_id = %id,
                method = %req.method(),
                path = %req.uri().path(),
                user_id = tracing::field::Empty,
                credential = tracing::field::Empty,
            )
        })
        .on_response(DefaultOnResponse::new().level(Level::INFO))
        .on_failure(DefaultOnFailure::new().level(Level::ERROR));
    // Installed before the first request, so that nothing counted is lost.
    metrics::handle();
    let gateway = state.gateway.clone();
    let mut router = routes::router().with_state(state);
    if let Some(gw) = gateway {
        router = router.merge(gateway::router(gw));
    }
    router
        .route("/metrics", get(metrics::page))
        .layer(axum::middleware::from_fn(metrics::count_requests))
        .layer(trace)
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_unacceptable_request_id))
}

/// Background upkeep: removes keys whose rotation grace ended, and ended
/// sessions and old sign-in failures, every `every`.
pub fn spawn_housekeeping(state: ServerState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match state.svc.purge_rotated_keys().await {
                Ok(n) if n > 0 => tracing::info!(removed = n, "removed rotated keys after their grace period"),
                Ok(_) => {}
                Err(e) => tracing::warn!(code = e.code.as_str(), detail = %e.message, "purging rotated keys failed"),
            }
            if let Err(e) = state.svc.purge_auth_records(&state.auth).await {
                tracing::warn!(code = e.code.as_str(), detail = %e.message, "purging sign-in records failed");
            }
        }
    })
}
