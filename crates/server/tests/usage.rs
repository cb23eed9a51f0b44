//! Keydesk's usage, reach and audit endpoints: usage events feed the
//! workspace's month spend, the platform's per model and day report and the
//! per key report; a key reaches connectors by its scope; the full audit log
//! filters by actor, action, target and time. The test clock stands at
//! 2026-03-15 12:00 UTC, so every expected figure below is fixed.

mod common;

use keydesk_core::model::{ConnectorScope, ConnectorVisibility, NewConnector, NewKey, NewWorkspace, OrgRole, WorkspaceRole};
use serde_json::{json, Value};
use uuid::Uuid;

use common::{test_app, TestApp};

async fn admin_key(t: &TestApp) -> String {
    t.svc.create_admin_key(&t.admin, "meter", None).await.unwrap().secret.expose().clone()
}

#[allow(clippy::too_many_arguments)]
async fn event(t: &TestApp, k: &str, key: Uuid, model: &str, input: i64, output: i64, cost: f64, at: &str) -> (u16, Value) {
    let body = json!({"key_id": key, "model": model, "input_tokens": input, "output_tokens": output, "cost": cost, "at": at});
    let (s, b) = t.call("POST", "/v1/admin/usage-events", Some(k), Some(body)).await;
    (s.as_u16(), b)
}

#[tokio::test]
async fn usage_events_feed_the_month_spend_and_the_per_key_report() {
    let t = test_app().await;
    let k = admin_key(&t).await;
    let ws = t.svc.create_workspace(&t.admin, NewWorkspace { name: "Metered".into(), ..Default::default() }).await.unwrap();
    let other = t.svc.create_workspace(&t.admin, NewWorkspace { name: "Elsewhere".into(), ..Default::default() }).await.unwrap();
    let new_key = |ws: Uuid, name: &str| NewKey { workspace_id: ws, name: Some(name.into()), ..Default::default() };
    let alpha = t.svc.create_key(&t.admin, new_key(ws.id, "alpha")).await.unwrap().key;
    let beta = t.svc.create_key(&t.admin, new_key(ws.id, "beta")).await.unwrap().key;
    let gamma = t.svc.create_key(&t.admin, new_key(other.id, "gamma")).await.unwrap().key;

    let (s, recorded) = event(&t, &k, alpha.key_id, "mistral-small", 10, 20, 1.5, "2026-03-02T10:00:00Z").await;
    assert_eq!(s, 200, "{recorded}");
    assert_eq!(recorded["workspace_uuid"], json!(ws.id), "the key's workspace is charged");
    assert_eq!(recorded["cost"], 1.5);
    assert_eq!(event(&t, &k, alpha.key_id, "mistral-small", 1, 2, 0.25, "2026-03-15T11:00:00Z").await.0, 200);
    assert_eq!(event(&t, &k, beta.key_id, "mistral-large", 100, 50, 0.75, "2026-03-15T09:00:00Z").await.0, 200);
    // The previous month, and another workspace: not in this month's figures.
    assert_eq!(event(&t, &k, alpha.key_id, "mistral-small", 7, 7, 5.0, "2026-02-28T23:59:59Z").await.0, 200);
    assert_eq!(event(&t, &k, gamma.key_id, "mistral-small", 7, 7, 9.0, "2026-03-10T00:00:00Z").await.0, 200);

    let (s, spend) = t.call("GET", &format!("/v1/admin/workspaces/{}/spend", ws.id), Some(&k), None).await;
    assert_eq!(s, 200, "{spend}");
    assert_eq!(
        spend,
        json!({
            "workspace_uuid": ws.id, "year": 2026, "month": 3, "spent": 2.5, "usage_limit": null, "remaining": null,
            "no_monthly_limit": true, "monthly_limit_reached": false, "requests": 3, "input_tokens": 111,
            "output_tokens": 72, "currency": "USD"
        })
    );
    let (_, february) = t.call("GET", &format!("/v1/admin/workspaces/{}/spend?month=2&year=2026", ws.id), Some(&k), None).await;
    assert_eq!((february["month"].as_i64(), february["spent"].as_f64(), february["requests"].as_i64()), (Some(2), Some(5.0), Some(1)));

    // The lower of the workspace's and the organization's limit is in force.
    let (s, _) = t.call("POST", "/v1/admin/spend-limit", Some(&k), Some(json!({"amount": 100}))).await;
    assert_eq!(s, 200);
    let (s, _) =
        t.call("PATCH", &format!("/v1/admin/workspaces/{}/settings", ws.id), Some(&k), Some(json!({"monthly_spend_limit": 2.0}))).await;
    assert_eq!(s, 200);
    let (_, spend) = t.call("GET", &format!("/v1/admin/workspaces/{}/spend", ws.id), Some(&k), None).await;
    assert_eq!(
        (
            spend["usage_limit"].as_f64(),
            spend["remaining"].as_f64(),
            spend["monthly_limit_reached"].as_bool(),
            spend["no_monthly_limit"].as_bool()
        ),
        (Some(2.0), Some(0.0), Some(true), Some(false))
    );

    // The platform's report carries the month per model and day.
    let (_, usage) = t.call("GET", &format!("/v1/admin/usage?workspace_id={}", ws.id), Some(&k), None).await;
    let small = &usage["completion"]["models"]["mistral-small"];
    assert_eq!(small["2026-03-02"][0]["cost"], 1.5, "{usage}");
    assert_eq!(small["2026-03-15"][0]["input_tokens"], 1);
    assert_eq!(usage["completion"]["models"]["mistral-large"]["2026-03-15"][0]["requests"], 1);
    assert_eq!(usage["total_cost"], 2.5);

    // Per key, most expensive first; a deleted key keeps its line.
    let by_key = |month: &str| format!("/v1/admin/workspaces/{}/usage/api-keys{month}", ws.id);
    let (s, keys) = t.call("GET", &by_key(""), Some(&k), None).await;
    assert_eq!(s, 200, "{keys}");
    assert_eq!(
        keys["keys"],
        json!([
            {"key_id": alpha.key_id, "name": "alpha", "hidden_key": alpha.hidden_key, "requests": 2, "input_tokens": 11, "output_tokens": 22, "cost": 1.75},
            {"key_id": beta.key_id, "name": "beta", "hidden_key": beta.hidden_key, "requests": 1, "input_tokens": 100, "output_tokens": 50, "cost": 0.75},
        ])
    );
    assert_eq!((keys["year"].as_i64(), keys["month"].as_i64()), (Some(2026), Some(3)));
    t.svc.delete_key(&t.admin, beta.key_id).await.unwrap();
    let (_, keys) = t.call("GET", &by_key(""), Some(&k), None).await;
    assert_eq!(keys["keys"][1]["key_id"], json!(beta.key_id));
    assert!(keys["keys"][1]["name"].is_null() && keys["keys"][1]["hidden_key"].is_null(), "{keys}");
    let (_, february) = t.call("GET", &by_key("?month=2"), Some(&k), None).await;
    assert_eq!(february["keys"].as_array().unwrap().len(), 1);
    assert_eq!(february["keys"][0]["cost"], 5.0);

    // Recording marks the key as used, at the latest request.
    let (_, listed) = t.call("GET", &format!("/v1/admin/api-keys/{}", alpha.key_id), Some(&k), None).await;
    assert_eq!(listed["last_used_at"], "2026-03-15T11:00:00Z");
}

#[tokio::test]
async fn usage_events_and_reports_refuse_what_cannot_be() {
    let t = test_app().await;
    let k = admin_key(&t).await;
    let ws = t.svc.list_workspaces(&t.admin).await.unwrap().remove(0);
    let key = t.svc.create_key(&t.admin, NewKey { workspace_id: ws.id, ..Default::default() }).await.unwrap().key.key_id;
    let field = |b: &Value| b["error"]["field"].as_str().map(str::to_owned);
    for (model, input, output, cost, at, want) in [
        ("m", -1, 0, 0.1, "2026-03-15T00:00:00Z", "input_tokens"),
        ("m", 0, -5, 0.1, "2026-03-15T00:00:00Z", "output_tokens"),
        ("m", 0, 0, -0.01, "2026-03-15T00:00:00Z", "cost"),
        ("  ", 0, 0, 0.1, "2026-03-15T00:00:00Z", "model"),
        // An hour after the server's clock.
        ("m", 0, 0, 0.1, "2026-03-15T13:00:00Z", "at"),
    ] {
        let (s, b) = event(&t, &k, key, model, input, output, cost, at).await;
        assert_eq!((s, field(&b)), (422, Some(want.to_owned())), "{b}");
    }
    assert_eq!(event(&t, &k, Uuid::new_v4(), "m", 0, 0, 0.1, "2026-03-15T00:00:00Z").await.0, 404);
    // Nothing refused was recorded.
    let spend = t.svc.monthly_spend(&t.admin, ws.id, t.clock.now()).await.unwrap();
    assert_eq!(spend.requests, 0);
    // Without `at`, the request is dated now.
    let body = json!({"key_id": key, "model": "m", "input_tokens": 1, "output_tokens": 1, "cost": 0.5});
    let (s, b) = t.call("POST", "/v1/admin/usage-events", Some(&k), Some(body)).await;
    assert_eq!((s.as_u16(), b["at"].as_str()), (200, Some("2026-03-15T12:00:00Z")), "{b}");

    let (s, b) = t.call("GET", &format!("/v1/admin/workspaces/{}/spend?month=13", ws.id), Some(&k), None).await;
    assert_eq!((s.as_u16(), field(&b)), (422, Some("month".to_owned())));
    let (s, _) = t.call("GET", &format!("/v1/admin/workspaces/{}/usage/api-keys", Uuid::new_v4()), Some(&k), None).await;
    assert_eq!(s, 404);
    let (s, _) = t.call("GET", &format!("/v1/admin/workspaces/{}/spend", Uuid::new_v4()), Some(&k), None).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn a_key_reaches_shared_connectors_and_by_its_scope_its_owners_private_ones() {
    let t = test_app().await;
    let (bob, pw) = t.user("bob@example.com", OrgRole::Member).await;
    let ws = t.svc.create_workspace(&t.admin, NewWorkspace { name: "Reach".into(), ..Default::default() }).await.unwrap();
    t.svc.add_member(&t.admin, ws.id, bob.user_id, WorkspaceRole::Member).await.unwrap();
    let connector = |name: &str, visibility| NewConnector { workspace_id: ws.id, name: name.into(), visibility };
    let drive = t.svc.create_connector(&t.admin, connector("Drive", ConnectorVisibility::Shared)).await.unwrap();
    let mail = t.svc.create_connector(&t.admin, connector("Mail", ConnectorVisibility::Private)).await.unwrap();
    let notes = t.svc.create_connector(&bob, connector("Notes", ConnectorVisibility::Private)).await.unwrap();
    let key = |owner: Uuid, scope| NewKey { workspace_id: ws.id, user_id: Some(owner), connector_scope: Some(scope), ..Default::default() };
    let bob_shared = t.svc.create_key(&t.admin, key(bob.user_id, ConnectorScope::Shared)).await.unwrap().key.key_id;
    let bob_both = t.svc.create_key(&t.admin, key(bob.user_id, ConnectorScope::PrivateAndShared)).await.unwrap().key.key_id;
    let ada_both = t.svc.create_key(&t.admin, key(t.admin.user_id, ConnectorScope::PrivateAndShared)).await.unwrap().key.key_id;

    let k = admin_key(&t).await;
    let app = &t;
    let reach = |token: String, key: Uuid| async move {
        let (s, b) = app.call("GET", &format!("/v1/admin/api-keys/{key}/connectors"), Some(&token), None).await;
        let ids: Vec<String> =
            b["connectors"].as_array().map(|a| a.iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()).unwrap_or_default();
        (s.as_u16(), ids)
    };
    let ids = |list: &[Uuid]| list.iter().map(Uuid::to_string).collect::<Vec<_>>();
    assert_eq!(reach(k.clone(), bob_shared).await, (200, ids(&[drive.id])));
    assert_eq!(reach(k.clone(), bob_both).await, (200, ids(&[drive.id, notes.id])));
    assert_eq!(reach(k.clone(), ada_both).await, (200, ids(&[drive.id, mail.id])));
    let (_, body) = t.call("GET", &format!("/v1/admin/api-keys/{bob_both}/connectors"), Some(&k), None).await;
    assert_eq!(body["connectors"][1]["visibility"], "private");
    assert_eq!(body["connectors"][1]["owner_id"], json!(bob.user_id));

    // Bob sees what his own keys reach, not what the admin's key does.
    let token = t.sign_in("bob@example.com", &pw).await;
    assert_eq!(reach(token.clone(), bob_both).await, (200, ids(&[drive.id, notes.id])));
    assert_eq!(reach(token, ada_both).await.0, 404);
    assert_eq!(reach(k, Uuid::new_v4()).await.0, 404);
}

#[tokio::test]
async fn the_audit_events_list_every_change_and_filter_it() {
    let t = test_app().await;
    let k = admin_key(&t).await;
    let start = t.clock.now();
    t.clock.advance(chrono::Duration::hours(1));
    let ws = t.svc.create_workspace(&t.admin, NewWorkspace { name: "Audited".into(), ..Default::default() }).await.unwrap();
    let key =
        t.svc.create_key(&t.admin, NewKey { workspace_id: ws.id, name: Some("before".into()), ..Default::default() }).await.unwrap().key;
    t.clock.advance(chrono::Duration::hours(1));
    let renamed_at = t.clock.now();
    t.svc.rename_key(&t.admin, key.key_id, Some("after".into())).await.unwrap();
    t.svc.delete_key(&t.admin, key.key_id).await.unwrap();

    let list = |query: String| {
        let k = k.clone();
        let t = &t;
        async move {
            let (s, b) = t.call("GET", &format!("/v1/admin/audit-events{query}"), Some(&k), None).await;
            assert_eq!(s, 200, "{b}");
            b["events"].as_array().unwrap().clone()
        }
    };
    let actions = |events: &[Value]| events.iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect::<Vec<_>>();

    // A rename is listed here (the platform's audit-logs has no event type for it).
    let renames = list("?action=api_key.renamed".into()).await;
    assert_eq!(renames.len(), 1);
    let e = &renames[0];
    assert_eq!((e["target_type"].as_str(), e["target_id"].clone()), (Some("api_key"), json!(key.key_id)));
    assert_eq!((e["before"]["name"].as_str(), e["after"]["name"].as_str()), (Some("before"), Some("after")));
    assert_eq!((e["actor_id"].clone(), e["actor_email"].as_str()), (json!(t.admin.user_id), Some("ada@example.com")));
    assert_eq!(e["at"], "2026-03-15T14:00:00Z");

    let about_key = list(format!("?target_id={}", key.key_id)).await;
    assert_eq!(actions(&about_key), ["api_key.deleted", "api_key.renamed", "api_key.created"], "newest first");
    let since = list(format!("?since={}", renamed_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))).await;
    assert_eq!(actions(&since), ["api_key.deleted", "api_key.renamed"]);
    let until = list(format!("?until={}&target_id={}", renamed_at.format("%Y-%m-%dT%H:%M:%SZ"), key.key_id)).await;
    assert_eq!(actions(&until), ["api_key.created"]);
    // Before the first hour passed: the set-up (at 12:00), not the workspace (13:00).
    let early = actions(&list(format!("?until={}", (start + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"))).await);
    assert!(early.contains(&"admin_api_key.created".to_owned()), "{early:?}");
    assert!(!early.iter().any(|a| a.starts_with("api_key") || a == "workspace.created"), "{early:?}");
    assert_eq!(list(format!("?target_id={}&action=workspace.created", ws.id)).await.len(), 1);
    assert!(list(format!("?actor_id={}", Uuid::new_v4())).await.is_empty());
    assert_eq!(list(format!("?actor_id={}&limit=1", t.admin.user_id)).await[0]["action"], "api_key.deleted");
    assert_eq!(list(format!("?actor_id={}&limit=1&offset=1", t.admin.user_id)).await[0]["action"], "api_key.renamed");

    let (s, b) = t.call("GET", "/v1/admin/audit-events?limit=0", Some(&k), None).await;
    assert_eq!((s.as_u16(), b["error"]["field"].as_str()), (422, Some("limit")));
    let (s, b) = t.call("GET", "/v1/admin/audit-events?since=yesterday", Some(&k), None).await;
    assert_eq!((s.as_u16(), b["error"]["field"].as_str()), (422, Some("query")));
}

#[tokio::test]
async fn the_openapi_document_describes_the_usage_reach_and_audit_additions() {
    let t = test_app().await;
    let (_, doc) = t.call("GET", "/openapi.json", None, None).await;
    for (path, method) in [
        ("/v1/admin/workspaces/{workspace_uuid}/spend", "get"),
        ("/v1/admin/workspaces/{workspace_uuid}/usage/api-keys", "get"),
        ("/v1/admin/usage-events", "post"),
        ("/v1/admin/api-keys/{key_id}/connectors", "get"),
        ("/v1/admin/audit-events", "get"),
    ] {
        assert!(doc["paths"][path].get(method).is_some(), "{method} {path} missing");
    }
    let params: Vec<&str> = doc["paths"]["/v1/admin/audit-events"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["actor_id", "action", "target_id", "since", "until", "limit", "offset"]);
    for schema in ["WorkspaceSpendOut", "ApiKeysUsageOut", "UsageEventIn", "AuditEventsOut"] {
        assert!(doc["components"]["schemas"].get(schema).is_some(), "{schema} missing");
    }
}
