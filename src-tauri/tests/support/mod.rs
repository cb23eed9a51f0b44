//! A real keydesk-server for the desktop's integration tests: `init` then
//! `serve` on a free port of 127.0.0.1, SQLite in a temp dir or a fresh
//! PostgreSQL database; its log goes to `server.log` in its folder.
//!
//! The server binary is `KEYDESK_SERVER_BIN` when set, else it is built with
//! `cargo build -p keydesk-server` into the test's own target directory.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use uuid::Uuid;

/// The keydesk-server binary, built once per test process.
fn server_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("KEYDESK_SERVER_BIN") {
            let bin = PathBuf::from(bin);
            assert!(
                bin.exists(),
                "KEYDESK_SERVER_BIN={} does not exist: build it with cargo build -p keydesk-server",
                bin.display()
            );
            return bin;
        }
        // This test runs from <target>/debug/deps/.
        let exe = std::env::current_exe().unwrap();
        let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
        let target_dir = profile_dir.parent().unwrap();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "-p",
                "keydesk-server",
                "--bin",
                "keydesk-server",
                "--target-dir",
            ])
            .arg(target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "cargo build -p keydesk-server failed");
        let bin = profile_dir.join(format!("keydesk-server{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.exists(), "{} was not built", bin.display());
        bin
    })
}

/// The fake provider a gateway forwards to: `KEYDESK_FAKE_UPSTREAM_BIN`, or
/// the one `cargo test --workspace` builds beside this test.
pub struct FakeUpstream {
    child: Child,
    pub url: String,
}

impl FakeUpstream {
    pub fn start() -> FakeUpstream {
        let bin = std::env::var_os("KEYDESK_FAKE_UPSTREAM_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let exe = std::env::current_exe().unwrap();
                exe.parent().unwrap().parent().unwrap().join(format!(
                    "keydesk-fake-upstream{}",
                    std::env::consts::EXE_SUFFIX
                ))
            });
        assert!(
            bin.exists(),
            "{} is missing: cargo build -p keydesk-fake-upstream",
            bin.display()
        );
        let mut child = Command::new(bin)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().rsplit(' ').next().unwrap().to_owned();
        FakeUpstream { child, url }
    }
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct TestServer {
    child: Option<Child>,
    pub url: String,
    pub dir: tempfile::TempDir,
    /// The gateway's configuration file, when it forwards to a provider.
    pub gateway_config: Option<PathBuf>,
    pub admin_email: String,
    pub admin_password: String,
    pub admin_api_key: String,
    pub database: String,
}

impl TestServer {
    /// A one-time password for `user_id`, issued over the Admin API with
    /// the admin's key, as an admin would hand it to a new member.
    pub async fn issue_password(&self, user_id: Uuid) -> String {
        let issued: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/v1/admin/users/{user_id}/password", self.url))
            .header("x-api-key", &self.admin_api_key)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        issued["password"].as_str().unwrap().to_owned()
    }

    /// `init` then `serve` on a free port; SQLite in a temp dir unless a
    /// PostgreSQL database URL is given.
    pub fn start(postgres: Option<String>) -> TestServer {
        Self::start_with(postgres, None)
    }

    /// The same, with a gateway forwarding to `upstream` and pricing its
    /// `fake-model` at 10 USD (input) and 30 USD (output) per million tokens.
    pub fn start_with_gateway(upstream: &FakeUpstream) -> TestServer {
        Self::start_with(None, Some(upstream))
    }

    fn start_with(postgres: Option<String>, upstream: Option<&FakeUpstream>) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let gateway_config = upstream.map(|up| {
            let path = dir.path().join("gateway.toml");
            let text = format!(
                "[upstream]\nbase_url = \"{}/v1\"\n[limits]\nflush_interval_ms = 50\n\
                 [[models]]\nid = \"fake-model\"\ninput_price = 10\noutput_price = 30\n",
                up.url
            );
            std::fs::write(&path, text).unwrap();
            path
        });
        let database =
            postgres.unwrap_or_else(|| dir.path().join("server.db").display().to_string());
        let pepper = dir.path().join("server.pepper");
        let admin_email = "ada@example.com".to_owned();
        let out = Command::new(server_bin())
            .args([
                "init",
                "--database",
                &database,
                "--admin-email",
                &admin_email,
                "--admin-name",
                "Ada Lovelace",
                "--org-name",
                "Acme",
                "--json",
            ])
            .arg("--pepper-file")
            .arg(&pepper)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let init: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut server = TestServer {
            child: None,
            url: String::new(),
            dir,
            gateway_config,
            admin_email,
            admin_password: init["admin_password"].as_str().unwrap().to_owned(),
            admin_api_key: init["admin_api_key"].as_str().unwrap().to_owned(),
            database,
        };
        server.serve();
        server
    }

    pub fn serve(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("server.log"))
            .unwrap();
        let mut cmd = Command::new(server_bin());
        cmd.args([
            "serve",
            "--database",
            &self.database,
            "--listen",
            "127.0.0.1:0",
        ])
        .arg("--pepper-file")
        .arg(self.dir.path().join("server.pepper"));
        if let Some(config) = &self.gateway_config {
            cmd.arg("--gateway-config").arg(config);
        }
        let mut child = cmd
            .env("RUST_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("keydesk-server listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        self.url = url;
        self.child = Some(child);
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A fresh database on the PostgreSQL server of `KEYDESK_TEST_POSTGRES_URL`.
pub async fn fresh_postgres_database(url: &str) -> String {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let name = format!("keydesk_desktop_{}", Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let (base, _) = url.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}
