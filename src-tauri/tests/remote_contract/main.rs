//! One contract for the `Backend` trait, run against both implementations:
//! `LocalBackend` on a temp SQLite file, and `RemoteBackend` against a real
//! keydesk-server process on 127.0.0.1 (SQLite, and PostgreSQL when
//! `KEYDESK_TEST_POSTGRES_URL` is set). Then what only remote mode has:
//! offline reads from the cache with the server gone, writes refused
//! offline, revoked or unknown credentials answered `unauthorized`, and
//! secret hygiene — after a whole journey no key secret, session token,
//! password or Admin API key is found in any file the app or the server wrote.
//! Usage is metered in each backend's own store (see `Meter`), so the usage
//! reports are part of the one contract too.
//!
//! The server comes from tests/support (a real process on 127.0.0.1), shared
//! with the other desktop test binaries. The contract's scenarios are one
//! module per area, run in order by runs.rs; what they share is in
//! fixtures.rs.

#[path = "../support/mod.rs"]
mod support;

mod fixtures;

// The contract's scenarios, by area.
mod audit;
mod connectors;
mod keys;
mod mistakes;
mod organization;
mod usage;
mod users;
mod workspaces;

// The runs: the contract on each backend, then what only remote mode has.
mod gateway;
mod hygiene;
mod member;
mod offline;
mod runs;
mod sessions;
