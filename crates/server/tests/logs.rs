//! No secret reaches a log line: passwords, session tokens, API keys and
//! Admin API keys, whether accepted or refused. In its own test binary, so
//! that the capturing subscriber is the only one in the process (tracing
//! caches per-callsite interest across threads).

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use keydesk_core::model::OrgRole;
use serde_json::json;

use common::test_app;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_reaches_a_log_line() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(move || writer.clone()).finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let t = test_app().await;
    let (_, pw) = t.user("bob@example.com", OrgRole::Admin).await;
    let token = t.sign_in("bob@example.com", &pw).await;
    let ws = t.svc.list_workspaces(&t.admin).await.unwrap().remove(0);
    let (_, created) =
        t.call("POST", "/v1/admin/api-keys", Some(&token), Some(json!({"workspace_uuid": ws.id, "user_id": t.admin.user_id}))).await;
    let (_, admin_key) = t.call("POST", "/v1/admin/admin-api-keys", Some(&token), Some(json!({"name": "ci"}))).await;
    let admin_secret = admin_key["key"].as_str().unwrap().to_owned();
    t.call("GET", "/v1/admin/users", Some(&admin_secret), None).await;
    t.call("POST", "/v1/auth/sessions", None, Some(json!({"email": "bob@example.com", "password": "wrong-guess-123"}))).await;
    let (_, pw2) = (0, t.svc.issue_password(&t.admin, t.admin.user_id).await.unwrap().expose().clone());
    t.call_with("GET", "/v1/me", None, None, &[("x-api-key", &pw2)]).await;

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("request"), "logs were captured: {text}");
    for secret in [pw.as_str(), token.as_str(), created["key"].as_str().unwrap(), admin_secret.as_str(), "wrong-guess-123", pw2.as_str()] {
        assert!(!text.contains(secret), "a secret reached the logs");
    }
}
