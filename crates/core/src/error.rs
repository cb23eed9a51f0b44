//! The domain's one error type. Every failure the Service reports carries a
//! stable machine-readable `code` the UI and the API branch on, and a message
//! written for people. Validation errors also name the offending field.

use serde::Serialize;

/// Stable error codes; the wire form is the snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Validation,
    NotFound,
    Conflict,
    Forbidden,
    Unauthorized,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Validation => "validation",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Internal => "internal",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    /// The input field the error is about, for validation and conflicts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Error { code: ErrorCode::Validation, message: message.into(), field: Some(field.to_owned()) }
    }
    pub fn not_found(what: &str) -> Self {
        Error { code: ErrorCode::NotFound, message: format!("{what} not found"), field: None }
    }
    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        Error { code: ErrorCode::Conflict, message: message.into(), field: Some(field.to_owned()) }
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Error { code: ErrorCode::Forbidden, message: message.into(), field: None }
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Error { code: ErrorCode::Unauthorized, message: message.into(), field: None }
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Error { code: ErrorCode::Internal, message: message.into(), field: None }
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err {
            if db.is_unique_violation() {
                let field = unique_violation_field(db.message(), db.constraint());
                return Error::conflict(field, format!("a record with this {field} already exists"));
            }
        }
        // Database messages never contain secrets (only hashes are stored),
        // but they are detail for logs, not for users.
        Error::internal(format!("storage error: {err}"))
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        Error::internal(format!("migration failed: {err}"))
    }
}

/// Maps a unique-constraint violation to the user-facing field it concerns.
fn unique_violation_field(message: &str, constraint: Option<&str>) -> &'static str {
    let hay = format!("{} {}", constraint.unwrap_or_default(), message);
    if hay.contains("workspaces") && hay.contains("name") {
        "name"
    } else if hay.contains("users") && hay.contains("email") {
        "email"
    } else if hay.contains("memberships") || hay.contains("workspace_members") {
        "user_id"
    } else if hay.contains("connectors") {
        "name"
    } else {
        "id"
    }
}
