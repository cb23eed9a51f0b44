//! Keydesk's wire format: request and response bodies exactly as the
//! platform's Admin API names them (`uuid`, `key_id`, `hidden_key`,
//! `raw_roles`...), Keydesk's own additions in the same style, and the
//! conversions between them and keydesk-core's model. The server answers in
//! these types and the desktop's remote backend reads them, so the two cannot
//! drift apart. With the `openapi` feature every type also describes itself
//! for the server's OpenAPI document.

mod audit;
mod common;
mod gateway;
mod keys;
mod organization;
mod roles;
mod session;
mod usage;
mod users;
mod workspaces;

pub use audit::*;
pub use common::*;
pub use gateway::*;
pub use keys::*;
pub use organization::*;
pub use roles::*;
pub use session::*;
pub use usage::*;
pub use users::*;
pub use workspaces::*;

use serde::Deserialize;

/// The currency of every amount on the wire.
pub const CURRENCY: &str = "USD";

/// Micro-USD (core's unit) as the USD the wire carries.
pub fn usd(micros: i64) -> f64 {
    micros as f64 / 1_000_000.0
}

/// USD from the wire as micro-USD, rounded to the nearest one.
pub fn micros(usd: f64) -> i64 {
    (usd * 1_000_000.0).round() as i64
}

/// An amount of USD from a request, as micro-USD; refuses what cannot be one.
pub fn usd_to_micros(field: &str, v: f64) -> Result<i64, FieldError> {
    if !v.is_finite() || !(0.0..=1e12).contains(&v) {
        return Err(FieldError::new(field, format!("{field} must be between 0 and 1000000000000")));
    }
    Ok(micros(v))
}

/// A request value the wire format cannot accept, naming its field. The
/// server answers it as a validation error (422).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError { field: field.to_owned(), message: message.into() }
    }
}

/// An answer that does not describe a valid model value (an unknown role
/// code, a key without its workspace...): what the reader of the wire gets
/// when the other side speaks a different version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub String);

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Tells an absent field (`None`) from an explicit null (`Some(None)`), for
/// patches where null clears a setting.
pub fn double_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}
