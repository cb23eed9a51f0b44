//! Real processes for the gateway's tests: the fake upstream, and
//! `keydesk-server` replicas started with `init` and `serve` on 127.0.0.1
//! (SQLite, or a fresh database on the test PostgreSQL server, with Redis
//! when given), driven over HTTP with reqwest.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const SERVER_BIN: &str = env!("CARGO_BIN_EXE_keydesk-server");
/// What the gateway sends the upstream in place of the user's key.
pub const UPSTREAM_KEY: &str = "sk-upstream-test-credential";

/// The fake upstream's binary: built by `cargo test --workspace` next to
/// this test's own directory, or named by `KEYDESK_FAKE_UPSTREAM_BIN`.
fn fake_upstream_bin() -> PathBuf {
    if let Ok(p) = std::env::var("KEYDESK_FAKE_UPSTREAM_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap();
    // target/debug/deps/<test> -> target/debug/keydesk-fake-upstream
    let bin = exe.parent().and_then(Path::parent).unwrap().join("keydesk-fake-upstream");
    assert!(bin.exists(), "{} is missing: run `cargo build -p keydesk-fake-upstream` (or cargo test --workspace)", bin.display());
    bin
}

/// A child process killed when dropped.
pub struct Proc {
    child: Child,
    pub url: String,
}

impl Proc {
    /// Starts `cmd` and waits for its "listening on http://ADDR" line.
    fn start(mut cmd: Command) -> Proc {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.trim().rsplit(' ').next().unwrap_or_default().to_owned();
        assert!(url.starts_with("http://"), "no listening line, got {line:?}");
        Proc { child, url }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn fake_upstream() -> Proc {
    let mut cmd = Command::new(fake_upstream_bin());
    cmd.args(["--listen", "127.0.0.1:0"]);
    Proc::start(cmd)
}

/// A deployment: its database, pepper, gateway configuration and the
/// organization `init` created.
pub struct Deployment {
    pub database: String,
    pub pepper: PathBuf,
    pub config: PathBuf,
    pub admin_key: String,
    pub admin_id: String,
    _dir: tempfile::TempDir,
}

/// The catalogue the tests price by: USD per million tokens.
pub const INPUT_PRICE: i64 = 10;
pub const OUTPUT_PRICE: i64 = 30;

impl Deployment {
    /// `init` on `database` (a SQLite file in a temp dir when `None`), with
    /// the gateway forwarding to `upstream`.
    pub fn new(database: Option<String>, upstream: &str) -> Deployment {
        let dir = tempfile::tempdir().unwrap();
        let database = database.unwrap_or_else(|| dir.path().join("keydesk.db").display().to_string());
        let pepper = dir.path().join("pepper");
        let config = dir.path().join("gateway.toml");
        std::fs::write(
            &config,
            format!(
                "[upstream]\nbase_url = \"{upstream}/v1\"\napi_key_env = \"TEST_UPSTREAM_KEY\"\n\n\
                 [limits]\nflush_interval_ms = 50\n\n\
                 [[models]]\nid = \"fake-model\"\ninput_price = {INPUT_PRICE}\noutput_price = {OUTPUT_PRICE}\n"
            ),
        )
        .unwrap();
        let out = Command::new(SERVER_BIN)
            .args(["init", "--database", &database, "--admin-email", "ada@example.com", "--json", "--pepper-file"])
            .arg(&pepper)
            .output()
            .unwrap();
        assert!(out.status.success(), "init failed: {}", String::from_utf8_lossy(&out.stderr));
        let init: Value = serde_json::from_slice(&out.stdout).unwrap();
        Deployment {
            database,
            pepper,
            config,
            admin_key: init["admin_api_key"].as_str().unwrap().to_owned(),
            admin_id: init["admin_user_id"].as_str().unwrap().to_owned(),
            _dir: dir,
        }
    }

    /// One replica serving this deployment.
    pub fn serve(&self, redis_url: Option<&str>) -> Proc {
        let mut cmd = Command::new(SERVER_BIN);
        cmd.args(["serve", "--database", &self.database, "--listen", "127.0.0.1:0", "--pepper-file"])
            .arg(&self.pepper)
            .arg("--gateway-config")
            .arg(&self.config)
            .env("TEST_UPSTREAM_KEY", UPSTREAM_KEY)
            .env("RUST_LOG", "warn");
        if let Some(url) = redis_url {
            cmd.args(["--redis-url", url]);
        }
        Proc::start(cmd)
    }
}

/// The Admin API of one replica, as the deployment's admin.
pub struct Admin<'a> {
    pub http: reqwest::Client,
    pub base: &'a str,
    pub key: &'a str,
}

impl Admin<'_> {
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method.parse().unwrap(), format!("{}{path}", self.base)).header("x-api-key", self.key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn default_workspace(&self) -> String {
        let (status, body) = self.call("GET", "/v1/admin/workspaces", None).await;
        assert_eq!(status, 200, "{body}");
        body["items"][0]["uuid"].as_str().unwrap().to_owned()
    }

    /// A new key in `workspace` for `user_id`: (key id, secret).
    pub async fn create_key(&self, workspace: &str, user_id: &str, extra: Value) -> (String, String) {
        let mut body = json!({"workspace_uuid": workspace, "user_id": user_id, "name": "gateway test"});
        body.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
        let (status, created) = self.call("POST", "/v1/admin/api-keys", Some(body)).await;
        assert_eq!(status, 200, "{created}");
        (created["key_id"].as_str().unwrap().to_owned(), created["key"].as_str().unwrap().to_owned())
    }

    pub async fn settings(&self, workspace: &str, settings: Value) {
        let (status, body) = self.call("PATCH", &format!("/v1/admin/workspaces/{workspace}/settings"), Some(settings)).await;
        assert_eq!(status, 200, "{body}");
    }

    pub async fn spend(&self, workspace: &str) -> Value {
        let (status, body) = self.call("GET", &format!("/v1/admin/workspaces/{workspace}/spend"), None).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Waits until the workspace's month shows `requests` requests.
    pub async fn spend_after(&self, workspace: &str, requests: i64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let s = self.spend(workspace).await;
            if s["requests"].as_i64() == Some(requests) || Instant::now() > deadline {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// USD as the API shows it, to micro-USD.
pub fn micros(usd: &Value) -> i64 {
    (usd.as_f64().unwrap() * 1_000_000.0).round() as i64
}

/// What `input` and `output` tokens cost at the test prices, in micro-USD
/// (a price in USD per million tokens is one in micro-USD per token).
pub fn price(input: i64, output: i64) -> i64 {
    input * INPUT_PRICE + output * OUTPUT_PRICE
}

/// A fresh database on the test PostgreSQL server, or `None` (skipped
/// outside CI) when there is none.
pub async fn postgres_database() -> Option<String> {
    let base = match std::env::var("KEYDESK_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            assert!(std::env::var("CI").is_err(), "KEYDESK_TEST_POSTGRES_URL must be set in CI (scripts/with-postgres.sh)");
            eprintln!("SKIPPED: KEYDESK_TEST_POSTGRES_URL is not set (bash scripts/with-postgres.sh provides one)");
            return None;
        }
    };
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
    let name = format!("kd_gw_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    Some(format!("{prefix}/{name}"))
}

/// The test Redis server, or `None` (skipped outside CI).
pub fn redis_url() -> Option<String> {
    match std::env::var("KEYDESK_TEST_REDIS_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(std::env::var("CI").is_err(), "KEYDESK_TEST_REDIS_URL must be set in CI (scripts/with-redis.sh)");
            eprintln!("SKIPPED: KEYDESK_TEST_REDIS_URL is not set (bash scripts/with-redis.sh provides one)");
            None
        }
    }
}
