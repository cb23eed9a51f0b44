//! The gateway's answers to API requests, through the real router on a
//! SQLite file with a clock the test moves: which keys open it, every
//! refusal with its status, code and headers, rotation grace, spend limits
//! to the instant they reset, "last used", and the metrics page. Requests
//! that reach an upstream are in `gateway_upstream.rs`.

mod common;

use axum::http::StatusCode;
use chrono::{Duration, TimeZone, Utc};
use common::{test_gateway, TestApp};
use keydesk_core::model::{ConnectorScope, ConnectorVisibility, NewConnector, NewKey, RateLimits, UsageRecord, WorkspacePatch};
use keydesk_core::OrganizationPatch;
use keydesk_server::gateway::config::Config;
use serde_json::{json, Value};
use uuid::Uuid;

async fn gateway() -> TestApp {
    test_gateway(Config::default()).await
}

async fn default_workspace(t: &TestApp) -> Uuid {
    t.svc.list_workspaces(&t.admin).await.unwrap()[0].id
}

/// A key of the admin's in the default workspace: (id, secret).
async fn key_with(t: &TestApp, change: impl FnOnce(&mut NewKey)) -> (Uuid, String) {
    let mut new = NewKey { workspace_id: default_workspace(t).await, name: Some("test".into()), ..Default::default() };
    change(&mut new);
    let created = t.svc.create_key(&t.admin, new).await.unwrap();
    (created.key.key_id, created.secret.expose().clone())
}

async fn key(t: &TestApp) -> (Uuid, String) {
    key_with(t, |_| {}).await
}

async fn models(t: &TestApp, secret: &str) -> (StatusCode, axum::http::HeaderMap, Value) {
    t.request("GET", "/v1/models", &[("authorization", &format!("Bearer {secret}"))], None).await
}

async fn chat(t: &TestApp, secret: &str, body: &str) -> (StatusCode, axum::http::HeaderMap, Value) {
    let auth = format!("Bearer {secret}");
    t.request("POST", "/v1/chat/completions", &[("authorization", &auth), ("content-type", "application/json")], Some(body.to_owned()))
        .await
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {body}"))
}

fn usage(key_id: Uuid, workspace_id: Uuid, cost_micros: i64, at: chrono::DateTime<Utc>) -> UsageRecord {
    UsageRecord { key_id, workspace_id, model: "mistral-small-latest".into(), input_tokens: 10, output_tokens: 10, cost_micros, at }
}

#[tokio::test]
async fn a_live_key_lists_the_catalogue_in_the_platforms_model_list_shape() {
    let t = gateway().await;
    let (_, secret) = key(&t).await;
    let (status, headers, body) = models(&t, &secret).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body["object"], "list");
    let data = body["data"].as_array().unwrap();
    let ids: Vec<&str> = data.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"mistral-small-latest") && ids.contains(&"mistral-embed"), "{ids:?}");
    for card in data {
        // BaseModelCard: `id` and `capabilities` required, `type` "base".
        assert_eq!(card["object"], "model");
        assert_eq!(card["type"], "base");
        assert!(card["created"].is_i64() && card["owned_by"].is_string() && card["max_context_length"].is_i64());
        assert!(card["capabilities"]["completion_chat"].is_boolean());
    }
    let embed = data.iter().find(|m| m["id"] == "mistral-embed").unwrap();
    assert_eq!(embed["capabilities"]["completion_chat"], false);

    let auth = format!("Bearer {secret}");
    let (status, _, one) = t.request("GET", "/v1/models/mistral-small-latest", &[("authorization", &auth)], None).await;
    assert_eq!((status, one["id"].as_str()), (StatusCode::OK, Some("mistral-small-latest")));
    let (status, _, missing) = t.request("GET", "/v1/models/no-such-model", &[("authorization", &auth)], None).await;
    assert_eq!((status, code(&missing)), (StatusCode::NOT_FOUND, "not_found"));
}

#[tokio::test]
async fn requests_without_a_key_or_with_an_unknown_one_are_refused_with_401() {
    let t = gateway().await;
    let (status, headers, body) = t.request("GET", "/v1/models", &[], None).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "missing_api_key"));
    assert_eq!(headers["www-authenticate"], "Bearer");
    assert_eq!(body["error"]["type"], "authentication_error");
    assert!(body["error"]["message"].as_str().unwrap().contains("Authorization: Bearer"));

    // Well formed, valid checksum, never issued here.
    let stranger = keydesk_core::secret::generate_key("kd");
    let (status, _, body) = models(&t, stranger.expose()).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "invalid_api_key"));
    // Asked twice: the second answer comes from the negative cache, the same.
    let (status, _, body) = models(&t, stranger.expose()).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "invalid_api_key"));

    // A session token or an Admin API key is not an API key.
    let (_, pw) = t.user("bob@example.com", keydesk_core::model::OrgRole::Admin).await;
    let session = t.sign_in("bob@example.com", &pw).await;
    let (status, _, _) = models(&t, &session).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_string_failing_the_key_checksum_is_refused_without_touching_the_database() {
    let t = gateway().await;
    let (_, secret) = key(&t).await;
    // The same key with its last checksum character changed.
    let mut forged = secret.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'a' { 'b' } else { 'a' });
    let stranger = keydesk_core::secret::generate_key("kd");

    t.svc.db().close().await;
    let (status, _, body) = models(&t, &forged).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "invalid_api_key"), "answered with the database closed");
    // A string that passes the checksum does need the database, which is
    // gone: the request fails, so the answer above came without it.
    let (status, _, body) = models(&t, stranger.expose()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(body["error"]["message"], "internal server error", "no detail of the failure reaches the client");
}

#[tokio::test]
async fn a_deleted_key_is_refused_with_401_at_once() {
    let t = gateway().await;
    let (id, secret) = key(&t).await;
    assert_eq!(models(&t, &secret).await.0, StatusCode::OK, "used once, so the key is cached");
    t.svc.delete_key(&t.admin, id).await.unwrap();
    let (status, _, body) = models(&t, &secret).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "invalid_api_key"));
}

#[tokio::test]
async fn expired_key_is_refused_with_401_from_its_expiry_instant() {
    let t = gateway().await;
    // The clock reads 2026-03-15 12:00 UTC; the key's last valid day is today.
    let today = t.clock.now().date_naive();
    let (_, secret) = key_with(&t, |k| k.expiration = Some(today)).await;
    t.clock.advance(Duration::hours(12) - Duration::milliseconds(1));
    assert_eq!(models(&t, &secret).await.0, StatusCode::OK, "valid until the last millisecond of its last day");
    t.clock.advance(Duration::milliseconds(1));
    let (status, _, body) = models(&t, &secret).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "expired_api_key"));
    assert!(body["error"]["message"].as_str().unwrap().contains("2026-03-15"), "{body}");
}

#[tokio::test]
async fn with_billing_inactive_keys_are_refused_with_403_saying_so() {
    let t = gateway().await;
    let (_, secret) = key(&t).await;
    assert_eq!(models(&t, &secret).await.0, StatusCode::OK);
    let off = OrganizationPatch { billing_active: Some(false), ..Default::default() };
    t.svc.update_organization(&t.admin, off).await.unwrap();
    let (status, _, body) = models(&t, &secret).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "billing_inactive"));
    assert_eq!(body["error"]["type"], "permission_error");
    assert!(body["error"]["message"].as_str().unwrap().contains("Billing is not active"));

    let on = OrganizationPatch { billing_active: Some(true), ..Default::default() };
    t.svc.update_organization(&t.admin, on).await.unwrap();
    assert_eq!(models(&t, &secret).await.0, StatusCode::OK, "active again at once");
}

#[tokio::test]
async fn a_connector_outside_the_keys_scope_is_refused_with_403() {
    let t = gateway().await;
    let ws = default_workspace(&t).await;
    let connector = |visibility| NewConnector { workspace_id: ws, name: "github".into(), visibility };
    let private = t.svc.create_connector(&t.admin, connector(ConnectorVisibility::Private)).await.unwrap();
    let shared = t.svc.create_connector(&t.admin, connector(ConnectorVisibility::Shared)).await.unwrap();
    let (_, shared_only) = key(&t).await;
    let (_, with_private) = key_with(&t, |k| k.connector_scope = Some(ConnectorScope::PrivateAndShared)).await;
    let body = |id: String| {
        json!({"model": "mistral-small-latest", "messages": [], "tools": [{"type": "connector", "connector_id": id}]}).to_string()
    };

    let (status, _, refused) = chat(&t, &shared_only, &body(private.id.to_string())).await;
    assert_eq!((status, code(&refused)), (StatusCode::FORBIDDEN, "connector_not_in_scope"));
    let (status, _, refused) = chat(&t, &shared_only, &body(Uuid::new_v4().to_string())).await;
    assert_eq!((status, code(&refused)), (StatusCode::FORBIDDEN, "connector_not_in_scope"), "an unknown connector is not reachable");
    // Allowed ones pass the check and reach the next step: this gateway has
    // no upstream.
    for (secret, id) in [(&shared_only, shared.id), (&with_private, private.id), (&with_private, shared.id)] {
        let (status, _, b) = chat(&t, secret, &body(id.to_string())).await;
        assert_eq!((status, code(&b)), (StatusCode::SERVICE_UNAVAILABLE, "upstream_not_configured"));
    }
}

#[tokio::test]
async fn a_workspace_over_its_requests_per_second_gets_429_with_retry_after() {
    let t = gateway().await;
    let ws = default_workspace(&t).await;
    let limits = RateLimits { requests_per_second: Some(2), tokens_per_minute: Default::default() };
    t.svc.update_workspace(&t.admin, ws, WorkspacePatch { rate_limits: Some(limits), ..Default::default() }).await.unwrap();
    let (_, a) = key(&t).await;
    let (_, b) = key(&t).await;
    assert_eq!(models(&t, &a).await.0, StatusCode::OK);
    assert_eq!(models(&t, &b).await.0, StatusCode::OK, "keys of one workspace share its limit");
    let (status, headers, body) = models(&t, &a).await;
    assert_eq!((status, code(&body)), (StatusCode::TOO_MANY_REQUESTS, "requests_per_second_exceeded"));
    assert_eq!(body["error"]["type"], "rate_limit_error");
    assert_eq!(headers["retry-after"], "1");
}

#[tokio::test]
async fn a_spent_workspace_limit_answers_429_until_the_first_instant_of_next_month() {
    let t = gateway().await;
    let ws = default_workspace(&t).await;
    let patch = WorkspacePatch { monthly_spend_limit_micros: Some(Some(1_000_000)), ..Default::default() };
    t.svc.update_workspace(&t.admin, ws, patch).await.unwrap();
    let (id, secret) = key(&t).await;
    t.svc.record_usage(&usage(id, ws, 1_000_000, t.clock.now())).await.unwrap();

    let (status, headers, body) = models(&t, &secret).await;
    assert_eq!((status, code(&body)), (StatusCode::TOO_MANY_REQUESTS, "workspace_spend_limit_exceeded"), "{body}");
    assert_eq!(body["error"]["resets_at"], "2026-04-01T00:00:00Z");
    let until_april = (Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap() - t.clock.now()).num_seconds();
    assert_eq!(headers["retry-after"], until_april.to_string().as_str());
    assert!(body["error"]["message"].as_str().unwrap().contains("2026-04-01T00:00:00Z"));

    t.clock.advance(Duration::seconds(until_april - 1));
    assert_eq!(models(&t, &secret).await.0, StatusCode::TOO_MANY_REQUESTS, "still March");
    t.clock.advance(Duration::seconds(1));
    assert_eq!(models(&t, &secret).await.0, StatusCode::OK, "a new month, a new budget");
}

#[tokio::test]
async fn usage_reported_from_outside_counts_against_budget_this_replica_already_holds() {
    let t = gateway().await;
    let ws = default_workspace(&t).await;
    let patch = WorkspacePatch { monthly_spend_limit_micros: Some(Some(1_000_000)), ..Default::default() };
    t.svc.update_workspace(&t.admin, ws, patch).await.unwrap();
    let (id, secret) = key(&t).await;
    // The first request leases a slice of the workspace's budget.
    assert_eq!(models(&t, &secret).await.0, StatusCode::OK);
    // An importer reports the whole limit as spent elsewhere.
    let (status, body) = t
        .call_with(
            "POST",
            "/v1/admin/usage-events",
            None,
            Some(json!({"key_id": id, "model": "mistral-small-latest", "input_tokens": 1, "output_tokens": 1, "cost": 1.0})),
            &[("x-api-key", &t.svc.create_admin_key(&t.admin, "importer", None).await.unwrap().secret.expose().clone())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The slice held before is not spent on top of it.
    let (status, _, body) = models(&t, &secret).await;
    assert_eq!((status, code(&body)), (StatusCode::TOO_MANY_REQUESTS, "workspace_spend_limit_exceeded"));
}

#[tokio::test]
async fn a_spent_organization_limit_answers_429_with_its_own_code() {
    let t = gateway().await;
    let ws = default_workspace(&t).await;
    let patch = OrganizationPatch { monthly_spend_limit_micros: Some(Some(2_000_000)), ..Default::default() };
    t.svc.update_organization(&t.admin, patch).await.unwrap();
    let (id, secret) = key(&t).await;
    t.svc.record_usage(&usage(id, ws, 2_000_000, t.clock.now())).await.unwrap();
    let (status, _, body) = models(&t, &secret).await;
    assert_eq!((status, code(&body)), (StatusCode::TOO_MANY_REQUESTS, "organization_spend_limit_exceeded"), "{body}");
    assert_eq!(body["error"]["resets_at"], "2026-04-01T00:00:00Z");
}

#[tokio::test]
async fn a_key_past_its_own_budget_is_refused_while_its_workspace_goes_on() {
    let t = gateway().await;
    let ws = default_workspace(&t).await;
    let (spent, spent_secret) = key_with(&t, |k| k.monthly_budget_micros = Some(500_000)).await;
    let (_, other) = key(&t).await;
    let spent_at = t.clock.now();
    t.svc.record_usage(&usage(spent, ws, 500_000, spent_at)).await.unwrap();
    t.clock.advance(Duration::minutes(1));
    let (status, _, body) = models(&t, &spent_secret).await;
    assert_eq!((status, code(&body)), (StatusCode::TOO_MANY_REQUESTS, "api_key_budget_exceeded"), "{body}");
    assert_eq!(models(&t, &other).await.0, StatusCode::OK);
    // A refused request does not count as a use of the key.
    t.state.gateway.as_ref().unwrap().flush().await;
    assert_eq!(t.svc.get_key(&t.admin, spent).await.unwrap().last_used_at, Some(spent_at));
}

#[tokio::test]
async fn malformed_requests_are_refused_with_400_and_never_a_5xx() {
    let t = gateway().await;
    let (_, secret) = key(&t).await;
    for bad in [
        "{\"model\": ",
        "[1, 2]",
        "{\"model\": 42}",
        "{\"model\": \"mistral-small-latest\", \"max_tokens\": -5}",
        "{\"model\": \"mistral-small-latest\", \"stream\": \"yes\"}",
        "\u{0}\u{1}",
    ] {
        let (status, _, body) = chat(&t, &secret, bad).await;
        assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid_json"), "{bad:?}: {body}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
    }
    let (status, _, body) = chat(&t, &secret, r#"{"model": "gpt-17", "messages": []}"#).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "model_not_found"));
    assert!(body["error"]["message"].as_str().unwrap().contains("gpt-17"));
    // Admin API paths are not forwarded, whatever follows them.
    let (status, _, _) = t.request("GET", "/v1/admin/no-such-thing", &[("authorization", &format!("Bearer {secret}"))], None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn during_a_rotation_grace_both_keys_work_and_after_it_the_old_one_gets_401() {
    let t = gateway().await;
    let (id, old) = key(&t).await;
    assert_eq!(models(&t, &old).await.0, StatusCode::OK);
    let rotated = t.svc.rotate_key(&t.admin, id, Some(3600)).await.unwrap();
    let new = rotated.secret.expose().clone();
    assert_eq!(models(&t, &old).await.0, StatusCode::OK, "the old key works during the grace period");
    assert_eq!(models(&t, &new).await.0, StatusCode::OK);
    t.clock.advance(Duration::seconds(3600));
    let (status, _, body) = models(&t, &old).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "invalid_api_key"));
    assert_eq!(models(&t, &new).await.0, StatusCode::OK);

    // Without a grace period the old key stops at once.
    let (id, old) = key(&t).await;
    assert_eq!(models(&t, &old).await.0, StatusCode::OK);
    t.svc.rotate_key(&t.admin, id, None).await.unwrap();
    assert_eq!(models(&t, &old).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_used_key_shows_when_it_was_last_used_and_an_unused_one_does_not() {
    let t = gateway().await;
    let (used, secret) = key(&t).await;
    let (unused, _) = key(&t).await;
    assert_eq!(t.svc.get_key(&t.admin, used).await.unwrap().last_used_at, None);
    t.clock.advance(Duration::minutes(5));
    for _ in 0..3 {
        assert_eq!(models(&t, &secret).await.0, StatusCode::OK);
    }
    t.state.gateway.as_ref().unwrap().flush().await;
    assert_eq!(t.svc.get_key(&t.admin, used).await.unwrap().last_used_at, Some(t.clock.now()));
    assert_eq!(t.svc.get_key(&t.admin, unused).await.unwrap().last_used_at, None);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_and_refusals_by_reason() {
    let t = gateway().await;
    let (_, secret) = key(&t).await;
    models(&t, &secret).await;
    models(&t, "kd_not-a-key").await;
    let (status, headers, page) = t.request("GET", "/metrics", &[], None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/plain"));
    let page = page.as_str().unwrap();
    for line in [
        "keydesk_http_requests_total{route=\"/v1/models\",status=\"200\"}",
        "keydesk_http_requests_total{route=\"/v1/models\",status=\"401\"}",
        "keydesk_gateway_refusals_total{reason=\"invalid_api_key\"}",
        "keydesk_gateway_overhead_seconds_bucket{route=\"/v1/models\",le=\"0.0001\"}",
    ] {
        assert!(page.contains(line), "missing {line} in\n{page}");
    }
}

#[tokio::test]
async fn the_usage_report_lists_the_prices_usage_is_charged_at() {
    let t = gateway().await;
    let admin_key = t.svc.create_admin_key(&t.admin, "reports", None).await.unwrap();
    let (status, report) = t.call("GET", "/v1/admin/usage", Some(admin_key.secret.expose()), None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let prices = report["prices"].as_array().unwrap();
    let price = |model: &str, group: &str| {
        prices.iter().find(|p| p["billing_metric"] == model && p["billing_group"] == group).map(|p| p["price"].clone())
    };
    // 0.1 and 0.3 USD per million tokens in the built-in catalogue.
    assert_eq!(price("mistral-small-latest", "input"), Some(json!("0.0000001")));
    assert_eq!(price("mistral-small-latest", "output"), Some(json!("0.0000003")));
    assert_eq!(price("mistral-large-latest", "output"), Some(json!("0.000006")));
    assert!(prices.iter().all(|p| p["event_type"] == "api_tokens" && p["api_zone"] == "global" && p["service_tier"] == "standard"));

    let (_, limits) = t.call("GET", "/v1/admin/spend-limit", Some(admin_key.secret.expose()), None).await;
    assert!(limits["limits"]["completion"]["vibe_usage"].is_null(), "not a made-up 0: {limits}");

    // A server without a gateway has no prices to tell.
    let plain = common::test_app().await;
    let key = plain.svc.create_admin_key(&plain.admin, "reports", None).await.unwrap();
    let (_, report) = plain.call("GET", "/v1/admin/usage", Some(key.secret.expose()), None).await;
    assert!(report["prices"].is_null(), "{report}");
}
