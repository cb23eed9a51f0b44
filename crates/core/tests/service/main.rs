//! Integration tests of the Service over real databases: every scenario runs
//! on a SQLite file and on PostgreSQL (see tests/common/mod.rs). One module
//! per area; the fixtures they share are in support.rs.

#[path = "../common/mod.rs"]
mod common;
mod support;

mod audit;
mod connectors;
mod key_list;
mod keys;
mod members;
mod organization;
mod policy;
mod usage;
mod users;
mod workspaces;
