//! keydesk-core: the domain of Keydesk — organizations, users, workspaces,
//! members, API keys, connectors, usage and the audit log — and the one
//! `Service` that applies its rules over SQLite or PostgreSQL. It knows
//! nothing of Tauri or HTTP.

pub mod auth;
pub mod authz;
pub mod batch;
pub mod changes;
pub mod error;
pub mod gateway;
pub mod ledger;
pub mod model;
pub mod policy;
pub mod report;
pub mod secret;
pub mod service;
pub mod store;
pub mod text;

pub use error::{Error, ErrorCode, Result};
pub use secret::{checksum_ok, ApiKeySecret, KeyHasher, Sensitive};
pub use service::{can_use, Actor, DailyCost, KeyAuth, NewUser, OrganizationPatch, Service};
