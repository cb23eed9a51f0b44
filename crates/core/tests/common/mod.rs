//! Test harness: runs the same scenario against a temp SQLite file and, when
//! `KEYDESK_TEST_POSTGRES_URL` points at a server, a fresh PostgreSQL
//! database. In CI the PostgreSQL server is required.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use keydesk_core::{Actor, Service};

pub const PEPPER: &[u8] = b"test-pepper-0123456789abcdef";

/// A clock the test can move.
#[derive(Clone)]
pub struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn new() -> Self {
        TestClock(Arc::new(Mutex::new(Utc.with_ymd_and_hms(2026, 3, 15, 12, 0, 0).unwrap())))
    }
    pub fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
    pub fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap() = t;
    }
    pub fn advance(&self, d: chrono::Duration) {
        let mut g = self.0.lock().unwrap();
        *g += d;
    }
}

pub struct Env {
    pub label: &'static str,
    pub svc: Service,
    pub clock: TestClock,
    pub admin: Actor,
    /// The SQLite file, when the backend is SQLite (kept alive by `_dir`).
    pub sqlite_path: Option<std::path::PathBuf>,
    _dir: Option<tempfile::TempDir>,
}

async fn fresh_postgres_url(base: &str) -> String {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(base).await.expect("connect to test PostgreSQL");
    let name = format!("kd_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create test database");
    let (prefix, _) = base.rsplit_once('/').expect("postgres url has a database");
    format!("{prefix}/{name}")
}

/// Database URLs to run each scenario on.
pub async fn database_urls(dir: &std::path::Path) -> Vec<(&'static str, String)> {
    let mut urls = vec![("sqlite", format!("sqlite://{}", dir.join("keydesk.db").display()))];
    match std::env::var("KEYDESK_TEST_POSTGRES_URL") {
        Ok(base) if !base.is_empty() => urls.push(("postgres", fresh_postgres_url(&base).await)),
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "KEYDESK_TEST_POSTGRES_URL must be set in CI (run the tests through scripts/with-postgres.sh)"
            );
            eprintln!("note: KEYDESK_TEST_POSTGRES_URL not set; PostgreSQL leg skipped");
        }
    }
    urls
}

/// One bootstrapped organization per database.
pub async fn envs() -> Vec<Env> {
    let dir = tempfile::tempdir().unwrap();
    let mut out = vec![];
    for (label, url) in database_urls(dir.path()).await {
        let clock = TestClock::new();
        let c = clock.clone();
        let svc = Service::connect_with_clock(&url, PEPPER, "kd", Arc::new(move || c.now())).await.unwrap();
        let (_, user) = svc.bootstrap("Acme", "ada@example.com", "Ada").await.unwrap();
        let admin = svc.actor(user.id).await.unwrap();
        let sqlite_path = (label == "sqlite").then(|| dir.path().join("keydesk.db"));
        out.push(Env { label, svc, clock, admin, sqlite_path, _dir: None });
    }
    if let Some(first) = out.first_mut() {
        first._dir = Some(dir);
    }
    out
}
