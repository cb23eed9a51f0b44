//! The server's one error type: core's `Error` plus the HTTP status it maps
//! to. Every failure leaves as JSON `{"error": {"code", "message", "field"}}`;
//! internal errors are logged with their detail and answered generically.
//! Request bodies, queries and paths that do not parse become errors of the
//! same shape (400 for malformed JSON, 422 for well-formed but invalid input).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keydesk_api::{ErrorBody, ErrorDetail};
use keydesk_core::{Error, ErrorCode};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub error: Error,
}

pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::Validation => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        ApiError { status: status_of(error.code), error }
    }
}

/// A request value the wire format refused: a validation error on its field.
impl From<keydesk_api::FieldError> for ApiError {
    fn from(e: keydesk_api::FieldError) -> Self {
        ApiError::validation(&e.field, e.message)
    }
}

impl ApiError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Error::validation(field, message).into()
    }

    /// Missing, unknown, expired or revoked credentials: one answer for all.
    pub fn unauthenticated() -> Self {
        Error::unauthorized("missing or invalid credentials").into()
    }

    fn with_status(status: StatusCode, error: Error) -> Self {
        ApiError { status, error }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ApiError { status, error } = self;
        let detail = if status.is_server_error() {
            // Core's messages for internal errors may carry storage detail:
            // for the log only. They never contain secrets (only hashes are stored).
            tracing::error!(code = error.code.as_str(), detail = %error.message, "internal error");
            ErrorDetail { code: "internal".into(), message: "internal server error".into(), field: None }
        } else {
            ErrorDetail { code: error.code.as_str().into(), message: error.message, field: error.field }
        };
        let mut response = (status, axum::Json(ErrorBody { error: detail })).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let (status, message) = match &rejection {
            JsonRejection::JsonDataError(e) => (StatusCode::UNPROCESSABLE_ENTITY, format!("invalid request body: {}", e.body_text())),
            JsonRejection::JsonSyntaxError(_) => (StatusCode::BAD_REQUEST, "the request body is not valid JSON".to_owned()),
            JsonRejection::MissingJsonContentType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "the request body must be JSON (Content-Type: application/json)".to_owned())
            }
            _ => (StatusCode::BAD_REQUEST, "the request body could not be read".to_owned()),
        };
        ApiError::with_status(status, Error::validation("body", message))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            Error::validation("query", format!("invalid query: {}", rejection.body_text())),
        )
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        let status = match &rejection {
            PathRejection::FailedToDeserializePathParams(_) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::with_status(status, Error::validation("path", format!("invalid path: {}", rejection.body_text())))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
