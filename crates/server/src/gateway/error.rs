//! The gateway's refusals, in the shape the platform's SDKs read:
//! `{"error": {"type", "code", "message"}}` with the right status, and
//! `Retry-After` on 429. Each refusal has a reason label for the metrics.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use keydesk_api::{GatewayErrorBody, GatewayErrorDetail};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayError {
    pub status: StatusCode,
    /// `invalid_request_error`, `authentication_error`, `permission_error`,
    /// `rate_limit_error` or `api_error`.
    pub kind: &'static str,
    pub code: &'static str,
    pub message: String,
    /// Seconds a client should wait before trying again (429).
    pub retry_after: Option<u64>,
    /// When a spent monthly limit lets requests through again.
    pub resets_at: Option<DateTime<Utc>>,
}

impl GatewayError {
    fn new(status: StatusCode, kind: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        GatewayError { status, kind, code, message: message.into(), retry_after: None, resets_at: None }
    }

    pub fn invalid_key() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "invalid_api_key",
            "The API key is not valid: it is unknown, deleted, or was rotated out. Send a key as `Authorization: Bearer <key>`.",
        )
    }

    pub fn missing_key() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "missing_api_key",
            "No API key: send one as `Authorization: Bearer <key>`.",
        )
    }

    pub fn expired_key(last_day: chrono::NaiveDate) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "expired_api_key",
            format!("The API key expired after {last_day}; create a new one."),
        )
    }

    pub fn billing_inactive() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "permission_error",
            "billing_inactive",
            "Billing is not active for this organization, so its API keys are inactive. An admin can activate billing to use them.",
        )
    }

    pub fn connector_out_of_scope(connector: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "permission_error",
            "connector_not_in_scope",
            format!("Connector {connector} is not reachable with this key's connector access scope."),
        )
    }

    pub fn rate_limited(code: &'static str, message: String, retry_after: std::time::Duration) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", code, message);
        e.retry_after = Some(retry_after.as_secs_f64().ceil().max(1.0) as u64);
        e
    }

    /// A monthly limit that leaves too little for the request; access
    /// resumes at `resets_at` (the first instant of next month, UTC).
    pub fn spend_limited(code: &'static str, whose: &str, resets_at: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        let at = resets_at.to_rfc3339_opts(SecondsFormat::Secs, true);
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            code,
            format!(
                "The {whose} monthly spending limit is reached (or too little of it is left for this request's maximum cost); \
                 requests are accepted again from {at}, or sooner if an admin raises the limit."
            ),
        );
        e.retry_after = Some((resets_at - now).num_seconds().max(1) as u64);
        e.resets_at = Some(resets_at);
        e
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", code, message)
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            "request_too_large",
            format!("The request body exceeds {limit} bytes."),
        )
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "invalid_request_error", "not_found", message)
    }

    pub fn no_upstream() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "api_error",
            "upstream_not_configured",
            "This gateway has no upstream configured: only /v1/models is served.",
        )
    }

    pub fn upstream_failed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, "api_error", "upstream_unavailable", message)
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "api_error", "internal", "internal server error")
    }
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        metrics::counter!("keydesk_gateway_refusals_total", "reason" => self.code).increment(1);
        let body = GatewayErrorBody {
            error: GatewayErrorDetail {
                kind: self.kind.to_owned(),
                code: self.code.to_owned(),
                message: self.message,
                resets_at: self.resets_at.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Store failures: logged with their detail, answered generically.
impl From<keydesk_core::Error> for GatewayError {
    fn from(e: keydesk_core::Error) -> Self {
        tracing::error!(code = e.code.as_str(), detail = %e.message, "gateway store error");
        GatewayError::internal()
    }
}
