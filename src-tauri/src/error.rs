//! The desktop shell's one error type. Whatever fails behind a command — the
//! domain, the local store, later a remote server — reaches the UI as
//! `{"code": "...", "message": "...", "field": "..."}`; the UI branches on
//! `code` and shows `field` errors next to the input they name.

use serde::Serialize;

/// Stable, machine-readable error codes (snake_case on the wire). The first
/// six mirror keydesk-core's codes; the others belong to the shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Validation,
    NotFound,
    Conflict,
    Forbidden,
    Unauthorized,
    Internal,
    /// The first-run step has not been completed: there is no organization.
    NotInitialized,
    /// The store behind the backend cannot be reached or opened.
    Unavailable,
    /// The operating system's keychain cannot be used (e.g. no Secret
    /// Service on Linux): a session will not be remembered.
    KeychainUnavailable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, ts_rs::TS)]
#[ts(export, rename = "BackendErrorPayload")]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    /// The input field the error is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError {
            code: ErrorCode::Validation,
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    /// The same error, about the input `field`.
    pub fn with_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }

    pub fn not_initialized() -> Self {
        AppError::new(
            ErrorCode::NotInitialized,
            "Keydesk is not set up yet: create the organization first",
        )
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        AppError::new(ErrorCode::Unavailable, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        AppError::new(ErrorCode::Internal, message)
    }
}

/// A server answer that names no valid model value (a newer or older
/// server): internal, with what could not be read.
impl From<keydesk_api::Unreadable> for AppError {
    fn from(error: keydesk_api::Unreadable) -> Self {
        AppError::internal(format!("unexpected answer from the server: {error}"))
    }
}

impl From<keydesk_core::Error> for AppError {
    fn from(error: keydesk_core::Error) -> Self {
        use keydesk_core::ErrorCode as Core;
        let code = match error.code {
            Core::Validation => ErrorCode::Validation,
            Core::NotFound => ErrorCode::NotFound,
            Core::Conflict => ErrorCode::Conflict,
            Core::Forbidden => ErrorCode::Forbidden,
            Core::Unauthorized => ErrorCode::Unauthorized,
            Core::Internal => ErrorCode::Internal,
        };
        if code == ErrorCode::Internal {
            // Core messages never carry secrets; internal ones are worth a log line.
            eprintln!("keydesk: internal error: {}", error.message);
        }
        AppError {
            code,
            message: error.message,
            field: error.field,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serializes_as_code_message_and_optional_field() {
        let with_field = AppError::validation("name", "name is required");
        assert_eq!(
            serde_json::to_value(&with_field).unwrap(),
            json!({"code": "validation", "message": "name is required", "field": "name"})
        );
        let without = AppError::not_initialized();
        let value = serde_json::to_value(&without).unwrap();
        assert_eq!(value["code"], "not_initialized");
        assert!(value.get("field").is_none());
    }

    #[test]
    fn core_errors_keep_their_code_and_field() {
        let core =
            keydesk_core::Error::conflict("name", "a workspace with this name already exists");
        let err = AppError::from(core);
        assert_eq!(err.code, ErrorCode::Conflict);
        assert_eq!(err.field.as_deref(), Some("name"));
    }
}
