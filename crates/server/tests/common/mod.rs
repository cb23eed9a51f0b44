//! Test harness for the router: a bootstrapped organization on a temp SQLite
//! file with a clock the test can move, and one-shot requests through
//! `app(state)` with `tower::ServiceExt::oneshot`.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use keydesk_core::{Actor, Service};
use keydesk_server::{app, ServerState};
use serde_json::Value;
use tower::ServiceExt;

pub const PEPPER: &[u8] = b"server-test-pepper-0123456789";

#[derive(Clone)]
pub struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
    pub fn advance(&self, d: chrono::Duration) {
        *self.0.lock().unwrap() += d;
    }
}

pub struct TestApp {
    pub router: Router,
    pub state: ServerState,
    pub svc: Service,
    pub clock: TestClock,
    pub admin: Actor,
    _dir: tempfile::TempDir,
}

pub async fn test_app() -> TestApp {
    test_app_with(None).await
}

/// The same app, also serving the gateway with `config` (rate limits in
/// memory).
pub async fn test_gateway(config: keydesk_server::gateway::config::Config) -> TestApp {
    test_app_with(Some(config)).await
}

async fn test_app_with(gateway: Option<keydesk_server::gateway::config::Config>) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("server.db").display());
    let clock = TestClock(Arc::new(Mutex::new(Utc.with_ymd_and_hms(2026, 3, 15, 12, 0, 0).unwrap())));
    let c = clock.clone();
    let svc = Service::connect_with_clock(&url, PEPPER, "kd", Arc::new(move || c.now())).await.unwrap();
    let (_, user) = svc.bootstrap("Acme", "ada@example.com", "Ada Lovelace").await.unwrap();
    let admin = svc.actor(user.id).await.unwrap();
    let mut state = ServerState::new(svc.clone());
    if let Some(config) = gateway {
        let limits = keydesk_server::gateway::limits::RateLimits::memory();
        state.gateway = Some(keydesk_server::gateway::Gateway::start(svc.clone(), config, limits).await.unwrap());
    }
    TestApp { router: app(state.clone()), state, svc, clock, admin, _dir: dir }
}

impl TestApp {
    /// One request and its whole answer: status, headers, JSON body.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> (StatusCode, axum::http::HeaderMap, Value) {
        let mut req = Request::builder().method(Method::from_bytes(method.as_bytes()).unwrap()).uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        (parts.status, parts.headers, value)
    }

    /// One request; `token` goes in `Authorization: Bearer`.
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        self.call_with(method, path, token, body, &[]).await
    }

    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(Method::from_bytes(method.as_bytes()).unwrap()).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = match body {
            Some(b) => req.header("content-type", "application/json").body(Body::from(b.to_string())).unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        (status, value)
    }

    /// A user of the organization with a password; returns (actor, password).
    pub async fn user(&self, email: &str, role: keydesk_core::model::OrgRole) -> (Actor, String) {
        let u = self
            .svc
            .create_user(&self.admin, keydesk_core::NewUser { email: email.into(), name: "Test User".into(), org_role: role })
            .await
            .unwrap();
        let pw = self.svc.issue_password(&self.admin, u.id).await.unwrap();
        (self.svc.actor(u.id).await.unwrap(), pw.expose().clone())
    }

    /// Signs in through the API and returns the session token.
    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let (status, body) =
            self.call("POST", "/v1/auth/sessions", None, Some(serde_json::json!({"email": email, "password": password}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }
}
