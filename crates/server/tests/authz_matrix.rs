//! The HTTP authorization matrix: every endpoint, called by eight kinds of
//! caller, on a workspace the workspace-level callers belong to ("own") and
//! on one they do not ("other"). The expected status of every cell is
//! written down here by hand from the documented roles — never computed from
//! the code under test.
//!
//! Callers (columns, in this order):
//!   OA  organization admin, signed in (session)
//!   WA  workspace admin of the "own" workspace (organization member)
//!   WM  workspace member of the "own" workspace (organization member)
//!   NM  organization member of no workspace
//!   AK  Admin API key (created by the organization admin)
//!   NO  no credentials
//!   EX  an expired session (of the organization admin)
//!   RV  a signed-out session (of the organization admin)
//!
//! Every cell gets fresh targets, so destructive calls never disturb
//! another cell: a workspace T ("own": WA admin, WM and U members; "other":
//! U its only admin, none of the callers a member), a user U in it, a key of
//! U in it, and as needed a second user V outside it, a shared connector in
//! it, WM's own key in it ("own" only), and an Admin API key.

mod common;

use std::collections::HashMap;

use chrono::Duration;
use keydesk_core::auth::AuthPolicy;
use keydesk_core::model::{ConnectorVisibility, NewConnector, NewKey, NewWorkspace, OrgRole, WorkspaceRole};
use keydesk_core::{Actor, Sensitive};
use serde_json::Value;
use uuid::Uuid;

use common::{test_gateway, TestApp};

const CALLERS: [&str; 8] = ["OA", "WA", "WM", "NM", "AK", "NO", "EX", "RV"];

/// (own, other) per caller, in `CALLERS` order.
type Row = [(u16, u16); 8];

const ALL_200: Row = [(200, 200); 8];
const AUTHENTICATED_200: Row = [(200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (401, 401), (401, 401), (401, 401)];
/// Organization admins only (session or Admin API key).
const ORG_ADMIN_200: Row = [(200, 200), (403, 403), (403, 403), (403, 403), (200, 200), (401, 401), (401, 401), (401, 401)];
/// Seeing the workspace: its members and organization admins.
const WS_VIEW_200: Row = [(200, 200), (200, 404), (200, 404), (404, 404), (200, 200), (401, 401), (401, 401), (401, 401)];
/// Managing the workspace: its admins and organization admins; members are refused.
const WS_MANAGE_200: Row = [(200, 200), (200, 404), (403, 404), (404, 404), (200, 200), (401, 401), (401, 401), (401, 401)];
/// Another user's key (or connector): workspace admins and organization
/// admins; a plain member does not even see it.
const OTHERS_KEY_200: Row = [(200, 200), (200, 404), (404, 404), (404, 404), (200, 200), (401, 401), (401, 401), (401, 401)];

struct Case {
    method: &'static str,
    path: &'static str,
    body: Option<&'static str>,
    expect: Row,
}

const fn case(method: &'static str, path: &'static str, body: Option<&'static str>, expect: Row) -> Case {
    Case { method, path, body, expect }
}

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    vec![
        // --- public
        case("GET", "/health", None, ALL_200),
        case("GET", "/openapi.json", None, ALL_200),
        case("GET", "/metrics", None, ALL_200),
        // --- the gateway takes API keys only: no session or Admin API key opens it
        case("GET", "/v1/models", None, [(401, 401); 8]),
        case("GET", "/v1/models/{random}", None, [(401, 401); 8]),
        case("POST", "/v1/auth/sessions", Some(r#"{"email":"login@example.com","password":"{login_password}"}"#), ALL_200),
        // --- sessions and me ({fresh_session}: a new session of the caller, so signing out ends nothing else)
        case("DELETE", "/v1/auth/sessions/current", None,
            [(204, 204), (204, 204), (204, 204), (204, 204), (422, 422), (401, 401), (401, 401), (401, 401)]),
        case("GET", "/v1/me", None, AUTHENTICATED_200),
        case("POST", "/v1/me/password", Some(r#"{"current_password":"not the password","new_password":"correct horse battery staple"}"#),
            [(422, 422), (422, 422), (422, 422), (422, 422), (422, 422), (401, 401), (401, 401), (401, 401)]),
        case("GET", "/v1/me/api-keys", None, AUTHENTICATED_200),
        case("POST", "/v1/me/api-keys", Some(r#"{"workspace_uuid":"{ws}","name":"mine"}"#), WS_VIEW_200),
        // {mykey}: WM's own key in "own"; U's key in "other". Only its owner may delete it here.
        case("DELETE", "/v1/me/api-keys/{mykey}", None,
            [(404, 404), (404, 404), (200, 404), (404, 404), (404, 404), (401, 401), (401, 401), (401, 401)]),
        // --- users and roles
        case("GET", "/v1/admin/users", None, ORG_ADMIN_200),
        case("POST", "/v1/admin/users", Some(r#"[{"email":"{uniq}@example.com","first_name":"New","last_name":"User"}]"#), ORG_ADMIN_200),
        case("GET", "/v1/admin/users/{user}", None, ORG_ADMIN_200),
        case("PATCH", "/v1/admin/users/{user}", Some(r#"{"role_names":["member"]}"#), ORG_ADMIN_200),
        case("DELETE", "/v1/admin/users/{user}", None, ORG_ADMIN_200),
        case("POST", "/v1/admin/users/{user}/password", None, ORG_ADMIN_200),
        case("GET", "/v1/admin/users-invite", None, ORG_ADMIN_200),
        case("POST", "/v1/admin/users-invite", Some(r#"{"email":"{uniq}@example.com","workspace_uuids":["{ws}"]}"#), ORG_ADMIN_200),
        case("DELETE", "/v1/admin/users-invite/{random}", None,
            [(404, 404), (403, 403), (403, 403), (403, 403), (404, 404), (401, 401), (401, 401), (401, 401)]),
        case("GET", "/v1/admin/roles", None, AUTHENTICATED_200),
        // --- workspaces
        case("GET", "/v1/admin/workspaces", None, AUTHENTICATED_200),
        case("POST", "/v1/admin/workspaces", Some(r#"{"name":"W {uniq}","admin_user_id":"{user}"}"#), ORG_ADMIN_200),
        case("GET", "/v1/admin/workspaces/{ws}", None, WS_VIEW_200),
        case("PATCH", "/v1/admin/workspaces/{ws}", Some(r#"{"description":"changed"}"#), WS_MANAGE_200),
        case("PATCH", "/v1/admin/workspaces/{ws}/settings", Some(r#"{"key_max_days":30,"monthly_spend_limit":50.5}"#), WS_MANAGE_200),
        // The month's spend and usage per key: whoever sees the workspace's usage.
        case("GET", "/v1/admin/workspaces/{ws}/spend", None, WS_VIEW_200),
        case("GET", "/v1/admin/workspaces/{ws}/usage/api-keys", None, WS_VIEW_200),
        case("DELETE", "/v1/admin/workspaces/{ws}", None,
            [(204, 204), (403, 404), (403, 404), (404, 404), (204, 204), (401, 401), (401, 401), (401, 401)]),
        case("GET", "/v1/admin/workspaces/{ws}/users", None, WS_VIEW_200),
        case("POST", "/v1/admin/workspaces/{ws}/add-users", Some(r#"{"members":[{"user_uuid":"{user2}"}]}"#), WS_MANAGE_200),
        case("PATCH", "/v1/admin/workspaces/{ws}/users", Some(r#"{"members":[{"user_uuid":"{user2}","role_names":["workspace_admin"]}]}"#), WS_MANAGE_200),
        case("DELETE", "/v1/admin/workspaces/{ws}/remove-users", Some(r#"{"members":[{"user_uuid":"{user}"}]}"#), WS_MANAGE_200),
        // --- connectors
        case("GET", "/v1/admin/workspaces/{ws}/connectors", None, WS_VIEW_200),
        case("POST", "/v1/admin/workspaces/{ws}/connectors", Some(r#"{"name":"Drive","visibility":"shared"}"#), WS_MANAGE_200),
        case("PATCH", "/v1/admin/connectors/{connector}", Some(r#"{"visibility":"private"}"#), OTHERS_KEY_200),
        case("DELETE", "/v1/admin/connectors/{connector}", None, OTHERS_KEY_200),
        // --- API keys ({key}: U's key in T)
        case("GET", "/v1/admin/api-keys", None, AUTHENTICATED_200),
        case("POST", "/v1/admin/api-keys", Some(r#"{"workspace_uuid":"{ws}","user_id":"{user}","name":"for U"}"#), WS_MANAGE_200),
        case("GET", "/v1/admin/api-keys/{key}", None, OTHERS_KEY_200),
        case("PATCH", "/v1/admin/api-keys/{key}", Some(r#"{"name":"renamed"}"#), OTHERS_KEY_200),
        case("DELETE", "/v1/admin/api-keys/{key}", None, OTHERS_KEY_200),
        case("POST", "/v1/admin/api-keys/{key}/rotate", Some(r#"{"grace_period_seconds":60}"#), OTHERS_KEY_200),
        case("POST", "/v1/admin/api-keys-delete", Some(r#"{"key_ids":["{key}"]}"#), OTHERS_KEY_200),
        case("GET", "/v1/admin/api-keys/{key}/connectors", None, OTHERS_KEY_200),
        // A key's own owner sees what it reaches ({mykey}: WM's key in "own", U's in "other").
        case("GET", "/v1/admin/api-keys/{mykey}/connectors", None,
            [(200, 200), (200, 404), (200, 404), (404, 404), (200, 200), (401, 401), (401, 401), (401, 401)]),
        // --- billing, usage, audit, organization
        case("GET", "/v1/admin/rate-limit", None, ORG_ADMIN_200),
        case("GET", "/v1/admin/spend-limit", None, ORG_ADMIN_200),
        case("POST", "/v1/admin/spend-limit", Some(r#"{"amount":1000}"#), ORG_ADMIN_200),
        case("GET", "/v1/admin/usage?workspace_id={ws}", None, WS_VIEW_200),
        // Without a workspace: the caller's own workspaces (none for NM: an empty report).
        case("GET", "/v1/admin/usage", None, AUTHENTICATED_200),
        case("GET", "/v1/admin/audit-logs", None, ORG_ADMIN_200),
        case("GET", "/v1/admin/audit-events", None, ORG_ADMIN_200),
        // Spend alerts: everyone gets those of the workspaces they answer
        // for (none, for most); one workspace's only its admins and org admins.
        case("GET", "/v1/admin/spend-alerts", None, AUTHENTICATED_200),
        case("GET", "/v1/admin/spend-alerts?workspace_id={ws}", None, WS_MANAGE_200),
        // Metering charges a workspace: organization admins only, whoever's key it is.
        case("POST", "/v1/admin/usage-events", Some(r#"{"key_id":"{key}","model":"mistral-small","input_tokens":10,"output_tokens":5,"cost":0.01}"#), ORG_ADMIN_200),
        case("GET", "/v1/admin/organization", None, AUTHENTICATED_200),
        case("PATCH", "/v1/admin/organization", Some(r#"{"name":"Acme"}"#), ORG_ADMIN_200),
        case("GET", "/v1/admin/admin-api-keys", None, ORG_ADMIN_200),
        case("POST", "/v1/admin/admin-api-keys", Some(r#"{"name":"ci"}"#), ORG_ADMIN_200),
        case("DELETE", "/v1/admin/admin-api-keys/{adminkey}", None, ORG_ADMIN_200),
    ]
}

struct Callers {
    tokens: HashMap<&'static str, Option<String>>,
    users: HashMap<&'static str, (String, String)>,
    oa: Actor,
    wa: Actor,
    wm: Actor,
}

async fn callers(t: &TestApp) -> Callers {
    let admin_pw = t.svc.issue_password(&t.admin, t.admin.user_id).await.unwrap().expose().clone();
    let (wa, wa_pw) = t.user("wa@example.com", OrgRole::Member).await;
    let (wm, wm_pw) = t.user("wm@example.com", OrgRole::Member).await;
    let (_, nm_pw) = t.user("nm@example.com", OrgRole::Member).await;
    let (_, login_pw) = t.user("login@example.com", OrgRole::Member).await;
    // The expired session is opened first, with a short life, then time moves on.
    let short = AuthPolicy { session_ttl: Duration::minutes(5), ..AuthPolicy::default() };
    let expired = t.svc.sign_in(&short, "ada@example.com", Sensitive::new(admin_pw.clone()), None).await.unwrap();
    t.clock.advance(Duration::minutes(10));
    let revoked = t.sign_in("ada@example.com", &admin_pw).await;
    let (s, _) = t.call("DELETE", "/v1/auth/sessions/current", Some(&revoked), None).await;
    assert_eq!(s, 204);
    let admin_key = t.svc.create_admin_key(&t.admin, "matrix", None).await.unwrap();
    let mut tokens = HashMap::new();
    tokens.insert("OA", Some(t.sign_in("ada@example.com", &admin_pw).await));
    tokens.insert("WA", Some(t.sign_in("wa@example.com", &wa_pw).await));
    tokens.insert("WM", Some(t.sign_in("wm@example.com", &wm_pw).await));
    tokens.insert("NM", Some(t.sign_in("nm@example.com", &nm_pw).await));
    tokens.insert("AK", Some(admin_key.secret.expose().clone()));
    tokens.insert("NO", None);
    tokens.insert("EX", Some(expired.token.expose().clone()));
    tokens.insert("RV", Some(revoked));
    let mut users = HashMap::new();
    users.insert("OA", ("ada@example.com".to_owned(), admin_pw));
    users.insert("WA", ("wa@example.com".to_owned(), wa_pw));
    users.insert("WM", ("wm@example.com".to_owned(), wm_pw));
    users.insert("NM", ("nm@example.com".to_owned(), nm_pw));
    users.insert("LOGIN", ("login@example.com".to_owned(), login_pw));
    Callers { tokens, users, oa: t.admin.clone(), wa, wm }
}

/// Builds the cell's fresh targets and returns the placeholder values.
async fn fixture(t: &TestApp, c: &Callers, case: &Case, own: bool) -> HashMap<&'static str, String> {
    let svc = &t.svc;
    let text = format!("{} {}", case.path, case.body.unwrap_or_default());
    let uniq = Uuid::new_v4().simple().to_string();
    let u = svc
        .create_user(&c.oa, keydesk_core::NewUser { email: format!("u-{uniq}@example.com"), name: "U".into(), org_role: OrgRole::Member })
        .await
        .unwrap();
    let admin_of_t = if own { c.wa.user_id } else { u.id };
    let ws = svc
        .create_workspace(&c.oa, NewWorkspace { name: format!("T {uniq}"), admin_user_id: Some(admin_of_t), ..Default::default() })
        .await
        .unwrap();
    if own {
        svc.add_member(&c.oa, ws.id, c.wm.user_id, WorkspaceRole::Member).await.unwrap();
        svc.add_member(&c.oa, ws.id, u.id, WorkspaceRole::Member).await.unwrap();
    }
    let key = svc.create_key(&c.oa, NewKey { workspace_id: ws.id, user_id: Some(u.id), ..Default::default() }).await.unwrap();
    let mut v = HashMap::new();
    v.insert("{ws}", ws.id.to_string());
    v.insert("{user}", u.id.to_string());
    v.insert("{key}", key.key.key_id.to_string());
    v.insert("{uniq}", uniq.clone());
    v.insert("{random}", Uuid::new_v4().to_string());
    v.insert("{login_password}", c.users["LOGIN"].1.clone());
    if text.contains("{user2}") {
        let v2 = svc
            .create_user(
                &c.oa,
                keydesk_core::NewUser { email: format!("v-{uniq}@example.com"), name: "V".into(), org_role: OrgRole::Member },
            )
            .await
            .unwrap();
        v.insert("{user2}", v2.id.to_string());
    }
    if text.contains("{mykey}") {
        let id = if own {
            svc.create_key(&c.wm, NewKey { workspace_id: ws.id, ..Default::default() }).await.unwrap().key.key_id
        } else {
            key.key.key_id
        };
        v.insert("{mykey}", id.to_string());
    }
    if text.contains("{connector}") {
        let conn = svc
            .create_connector(&c.oa, NewConnector { workspace_id: ws.id, name: "Drive".into(), visibility: ConnectorVisibility::Shared })
            .await
            .unwrap();
        v.insert("{connector}", conn.id.to_string());
    }
    if text.contains("{adminkey}") {
        v.insert("{adminkey}", svc.create_admin_key(&c.oa, "to delete", None).await.unwrap().key.id.to_string());
    }
    let _ = &c.wa;
    v
}

fn fill(template: &str, values: &HashMap<&'static str, String>) -> String {
    values.iter().fold(template.to_owned(), |s, (k, v)| s.replace(k, v))
}

#[tokio::test]
async fn every_endpoint_answers_every_caller_as_written_down() {
    let t = test_gateway(keydesk_server::gateway::config::Config::default()).await;
    let c = callers(&t).await;
    let mut failures = vec![];
    let mut cells = 0;
    for case in cases() {
        for (i, caller) in CALLERS.iter().enumerate() {
            for own in [true, false] {
                let want = if own { case.expect[i].0 } else { case.expect[i].1 };
                let values = fixture(&t, &c, &case, own).await;
                let path = fill(case.path, &values);
                let body: Option<Value> = case.body.map(|b| serde_json::from_str(&fill(b, &values)).unwrap());
                let token = if case.path == "/v1/auth/sessions/current" && ["OA", "WA", "WM", "NM"].contains(caller) {
                    // Sign out a fresh session, so the caller's matrix session lives on.
                    let (email, pw) = &c.users[caller];
                    Some(t.sign_in(email, pw).await)
                } else {
                    c.tokens[caller].clone()
                };
                let (status, resp) = t.call(case.method, &path, token.as_deref(), body).await;
                cells += 1;
                if status.as_u16() != want {
                    failures.push(format!(
                        "{} {} as {caller} on {} workspace: expected {want}, got {} {}",
                        case.method,
                        case.path,
                        if own { "own" } else { "another" },
                        status.as_u16(),
                        resp
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {cells} cells differ:\n{}", failures.len(), failures.join("\n"));
    eprintln!("authorization matrix: {cells} cells as expected");
}

/// Every route of the router appears in the matrix (so a new endpoint
/// cannot be added without writing its row).
#[tokio::test]
async fn the_matrix_covers_every_documented_operation() {
    let doc = serde_json::to_value(keydesk_server::openapi::document()).unwrap();
    let covered: Vec<(String, String)> =
        cases().iter().map(|c| (c.method.to_lowercase(), c.path.split('?').next().unwrap().to_owned())).collect();
    let mut missing = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            // Path parameters are named differently in the matrix templates.
            let shape = |p: &str| p.split('/').map(|s| if s.starts_with('{') { "{}" } else { s }).collect::<Vec<_>>().join("/");
            if !covered.iter().any(|(m, p)| m == method && shape(p) == shape(path)) {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(missing.is_empty(), "operations without a matrix row: {missing:?}");
}
