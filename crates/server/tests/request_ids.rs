//! Request ids: every response carries an `x-request-id` (README: "every
//! response carries an `x-request-id`") — successes, errors from handlers and
//! extractors, and requests no route matches. A server-made id is a UUID and
//! differs per request; an id the client sends is kept and echoed back, so a
//! caller can correlate its own trace id with the server's log lines, as
//! long as it is short and plain (at most 64 of `A-Za-z0-9._-`); any other is
//! replaced by a server-made one before it reaches a log line.

mod common;

use axum::body::Body;
use axum::http::{HeaderMap, Request};
use tower::ServiceExt;

use common::{test_app, TestApp};

/// One request through the router; returns the status and the headers.
async fn send(t: &TestApp, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> (u16, HeaderMap) {
    let mut req = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = match body {
        Some(b) => req.header("content-type", "application/json").body(Body::from(b.to_owned())).unwrap(),
        None => req.body(Body::empty()).unwrap(),
    };
    let res = t.router.clone().oneshot(req).await.unwrap();
    (res.status().as_u16(), res.headers().clone())
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    headers.get("x-request-id").map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let t = test_app().await;
    let key = t.svc.create_admin_key(&t.admin, "t", None).await.unwrap();
    let auth = format!("Bearer {}", key.secret.expose());

    // (method, path, headers, body, expected status)
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, Option<&'a str>, u16);
    let cases: Vec<Case> = vec![
        ("GET", "/health", vec![], None, 200),
        ("GET", "/v1/admin/workspaces", vec![("authorization", &auth)], None, 200),
        ("GET", "/v1/me", vec![], None, 401),
        ("POST", "/v1/auth/sessions", vec![], Some(r#"{"email":"ada@example.com","password":"wrong password 1"}"#), 401),
        ("POST", "/v1/admin/workspaces", vec![("authorization", &auth)], Some("{not json"), 400),
        ("POST", "/v1/admin/workspaces", vec![("authorization", &auth)], Some(r#"{"name":" "}"#), 422),
        ("GET", "/v1/admin/workspaces/00000000-0000-4000-8000-000000000000", vec![("authorization", &auth)], None, 404),
        ("GET", "/no/such/route", vec![], None, 404),
        ("DELETE", "/health", vec![], None, 405),
    ];
    let mut seen = vec![];
    for (method, path, headers, body, status) in cases {
        let (s, h) = send(&t, method, path, &headers, body).await;
        assert_eq!(s, status, "{method} {path}");
        let id = request_id(&h).unwrap_or_else(|| panic!("{method} {path} ({s}) has no x-request-id"));
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{method} {path}: a server-made id is a UUID, got {id:?}");
        assert!(!seen.contains(&id), "{method} {path}: id {id} was already given to another request");
        seen.push(id);
    }
}

#[tokio::test]
async fn a_request_id_sent_by_the_client_is_echoed_back() {
    let t = test_app().await;
    let supplied = [("x-request-id", "client-trace-42")];
    for (method, path, status) in [("GET", "/health", 200), ("GET", "/v1/me", 401), ("GET", "/no/such/route", 404)] {
        let (s, h) = send(&t, method, path, &supplied, None).await;
        assert_eq!(s, status, "{method} {path}");
        assert_eq!(request_id(&h).as_deref(), Some("client-trace-42"), "{method} {path}");
        assert_eq!(h.get_all("x-request-id").iter().count(), 1, "{method} {path}: one id, not two");
    }
}

#[tokio::test]
async fn a_long_or_odd_client_request_id_is_replaced_by_a_uuid() {
    let t = test_app().await;
    let long = "a".repeat(65);
    let at_the_limit = "b".repeat(64);
    for bad in [long.as_str(), "two words", "id\twith-tab", "quote\"d", "<script>", "a/b", "x;y=z", ""] {
        let (s, h) = send(&t, "GET", "/health", &[("x-request-id", bad)], None).await;
        assert_eq!(s, 200, "{bad:?}");
        let id = request_id(&h).unwrap_or_else(|| panic!("{bad:?}: no x-request-id"));
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{bad:?} should be replaced by a UUID, got {id:?}");
    }
    for good in [at_the_limit.as_str(), "Trace.ID_2026-03-15", "0"] {
        let (_, h) = send(&t, "GET", "/health", &[("x-request-id", good)], None).await;
        assert_eq!(request_id(&h).as_deref(), Some(good), "{good:?} is acceptable and kept");
    }
    // Two ids, even acceptable ones, are not one id: the server makes its own.
    let (_, h) = send(&t, "GET", "/health", &[("x-request-id", "first"), ("x-request-id", "second")], None).await;
    let ids: Vec<_> = h.get_all("x-request-id").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert!(uuid::Uuid::parse_str(&ids[0]).is_ok(), "{ids:?}");
}
