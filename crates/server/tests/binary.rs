//! The real binary: `init --json` prints exactly one JSON object, `migrate`
//! succeeds, and `serve` on 127.0.0.1:0 answers the Admin API with the key
//! `init` printed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_keydesk-server");

fn get(port: u16, path: &str, api_key: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: {api_key}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

#[test]
fn init_then_serve_answers_with_the_printed_admin_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let db = db.to_str().unwrap();

    let out = Command::new(BIN).args(["init", "--database", db, "--admin-email", "ada@example.com", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim().lines().count(), 1, "exactly one line: {stdout}");
    let init: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let keys: Vec<&String> = init.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["admin_api_key", "admin_password", "admin_user_id", "organization_id"]);
    let api_key = init["admin_api_key"].as_str().unwrap().to_owned();

    // A second init is refused: the deployment has its organization.
    let again = Command::new(BIN).args(["init", "--database", db, "--admin-email", "bob@example.com", "--json"]).output().unwrap();
    assert!(!again.status.success());

    let migrate = Command::new(BIN).args(["migrate", "--database", db]).output().unwrap();
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));

    let mut child = Command::new(BIN)
        .args(["serve", "--database", db, "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port: u16 = line.trim().rsplit(':').next().unwrap().parse().expect("listening line has the port");

    let (status, body) = get(port, "/v1/admin/workspaces", &api_key);
    let (health, _) = get(port, "/health", "");
    let (unauth, _) = get(port, "/v1/admin/workspaces", "kdadm_wrong");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"is_default\":true"), "{body}");
    assert_eq!(health, 200);
    assert_eq!(unauth, 401);
}
