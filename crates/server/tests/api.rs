//! Router tests: the wire format of the Admin API subset, the error shape
//! and status codes, sessions and their brute-force limits, the `me`
//! endpoints and the OpenAPI document.

mod common;

use keydesk_core::model::OrgRole;
use serde_json::json;

use common::test_app;

#[tokio::test]
async fn errors_have_one_shape_and_the_documented_status() {
    let t = test_app().await;
    let key = t.svc.create_admin_key(&t.admin, "t", None).await.unwrap();
    let k = Some(key.secret.expose().as_str());

    let (s, b) = t.call("GET", "/v1/admin/workspaces", None, None).await;
    assert_eq!((s.as_u16(), b["error"]["code"].as_str()), (401, Some("unauthorized")), "{b}");

    // Malformed JSON is 400; well-formed but invalid is 422 naming the field.
    let res = t.router.clone();
    let req = axum::http::Request::post("/v1/admin/workspaces")
        .header("authorization", format!("Bearer {}", key.secret.expose()))
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{not json"))
        .unwrap();
    let resp = tower::ServiceExt::oneshot(res, req).await.unwrap();
    assert_eq!(resp.status(), 400);

    let (s, b) = t.call("POST", "/v1/admin/workspaces", k, Some(json!({"admin_user_id": t.admin.user_id}))).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["code"], "validation");

    let (s, b) = t.call("POST", "/v1/admin/workspaces", k, Some(json!({"name": " ", "admin_user_id": t.admin.user_id}))).await;
    assert_eq!((s.as_u16(), b["error"]["field"].as_str()), (422, Some("name")), "{b}");

    // A unique violation is 409 naming the field.
    let body = json!({"name": "Équipe", "admin_user_id": t.admin.user_id});
    assert_eq!(t.call("POST", "/v1/admin/workspaces", k, Some(body)).await.0, 200);
    let (s, b) = t.call("POST", "/v1/admin/workspaces", k, Some(json!({"name": "équipe", "admin_user_id": t.admin.user_id}))).await;
    assert_eq!((s.as_u16(), b["error"]["code"].as_str(), b["error"]["field"].as_str()), (409, Some("conflict"), Some("name")), "{b}");

    let (s, b) = t.call("GET", &format!("/v1/admin/workspaces/{}", uuid::Uuid::new_v4()), k, None).await;
    assert_eq!((s.as_u16(), b["error"]["code"].as_str()), (404, Some("not_found")));
    let (s, _) = t.call("GET", "/v1/admin/workspaces/not-a-uuid", k, None).await;
    assert_eq!(s, 422);
    let (s, b) = t.call("GET", "/v1/admin/api-keys?limit=-1", k, None).await;
    assert_eq!((s.as_u16(), b["error"]["field"].as_str()), (422, Some("limit")), "{b}");
}

#[tokio::test]
async fn api_keys_use_the_platform_field_names_and_show_the_secret_once() {
    let t = test_app().await;
    let key = t.svc.create_admin_key(&t.admin, "t", None).await.unwrap();
    let k = Some(key.secret.expose().as_str());
    let (_, list) = t.call("GET", "/v1/admin/workspaces", k, None).await;
    let ws = list["items"][0]["uuid"].as_str().unwrap().to_owned();
    assert_eq!(list["items"][0]["is_default"], true);
    assert_eq!(list["object"], "list");

    let body = json!({"workspace_uuid": ws, "user_id": t.admin.user_id, "name": "backend", "expiration": "2026-12-31"});
    let (s, created) = t.call("POST", "/v1/admin/api-keys", k, Some(body)).await;
    assert_eq!(s, 200, "{created}");
    let secret = created["key"].as_str().unwrap().to_owned();
    assert!(keydesk_core::checksum_ok(&secret));
    assert_eq!(created["hidden_key"], format!("{}...{}", &secret[..4], &secret[secret.len() - 4..]));
    assert_eq!(created["expiration_date"], "2026-12-31");
    assert_eq!(created["actions"]["rotate"]["status"], "available");
    assert_eq!(created["actions"]["delete"]["status"], "available");
    assert_eq!(created["product"], "API");
    assert!(t.svc.authenticate_key(&secret).await.unwrap().is_some());

    let (_, page) = t.call("GET", "/v1/admin/api-keys?name=BACK&limit=10&offset=0", k, None).await;
    let listed = &page["keys"][0];
    for field in [
        "key_id",
        "key",
        "name",
        "hidden_key",
        "created_at",
        "expiration_date",
        "actions",
        "workspace_id",
        "workspace_name",
        "created_by",
        "product",
        "last_used",
        "can_delete",
    ] {
        assert!(listed.get(field).is_some(), "{field} missing in {listed}");
    }
    assert!(listed["key"].is_null(), "the secret is never listed");
    assert_eq!(listed["created_by"], "ada@example.com");
    assert_eq!(listed["can_delete"], true);
    assert!(!page.to_string().contains(&secret));

    // Rotation with grace: a new secret, and the old one works until the grace ends.
    let id = created["key_id"].as_str().unwrap();
    let (s, rotated) = t.call("POST", &format!("/v1/admin/api-keys/{id}/rotate"), k, Some(json!({"grace_period_seconds": 3600}))).await;
    assert_eq!(s, 200, "{rotated}");
    let new_secret = rotated["key"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    assert!(t.svc.authenticate_key(&secret).await.unwrap().is_some());
    t.clock.advance(chrono::Duration::hours(2));
    assert!(t.svc.authenticate_key(&secret).await.unwrap().is_none());
    assert!(t.svc.authenticate_key(new_secret).await.unwrap().is_some());

    let new_id = rotated["key_id"].as_str().unwrap();
    let (s, renamed) = t.call("PATCH", &format!("/v1/admin/api-keys/{new_id}"), k, Some(json!({"name": "renamed"}))).await;
    assert_eq!((s.as_u16(), renamed["name"].as_str()), (200, Some("renamed")));
    let (s, del) = t.call("DELETE", &format!("/v1/admin/api-keys/{new_id}"), k, None).await;
    assert_eq!((s.as_u16(), del["detail"].as_str()), (200, Some("API key deleted successfully")));
}

#[tokio::test]
async fn admin_credentials_come_in_either_header_and_api_keys_are_not_admin_credentials() {
    let t = test_app().await;
    let admin_key = t.svc.create_admin_key(&t.admin, "t", None).await.unwrap();
    let (s, _) = t.call_with("GET", "/v1/admin/roles", None, None, &[("x-api-key", admin_key.secret.expose())]).await;
    assert_eq!(s, 200);
    let ws = t.svc.list_workspaces(&t.admin).await.unwrap().remove(0);
    let api = t.svc.create_key(&t.admin, keydesk_core::model::NewKey { workspace_id: ws.id, ..Default::default() }).await.unwrap();
    let (s, _) = t.call_with("GET", "/v1/admin/roles", None, None, &[("x-api-key", api.secret.expose())]).await;
    assert_eq!(s, 401, "an inference key is refused");
    let (s, roles) = t.call("GET", "/v1/admin/roles", Some(admin_key.secret.expose()), None).await;
    assert_eq!(s, 200);
    let names: Vec<&str> = roles["organization_roles"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["organization_admin", "member", "billing_manager"]);
}

#[tokio::test]
async fn sign_in_failures_and_lockouts_all_look_the_same() {
    let t = test_app().await;
    let (_, pw) = t.user("bob@example.com", OrgRole::Member).await;
    let attempt = |password: &str| json!({"email": "bob@example.com", "password": password});
    let (s, first) = t.call("POST", "/v1/auth/sessions", None, Some(attempt("wrong password"))).await;
    assert_eq!(s, 401);
    let (s, unknown) = t.call("POST", "/v1/auth/sessions", None, Some(json!({"email": "nobody@example.com", "password": pw}))).await;
    assert_eq!((s.as_u16(), &unknown), (401, &first));
    for _ in 0..4 {
        t.call("POST", "/v1/auth/sessions", None, Some(attempt("wrong password"))).await;
    }
    let (s, locked) = t.call("POST", "/v1/auth/sessions", None, Some(attempt(&pw))).await;
    assert_eq!((s.as_u16(), &locked), (401, &first), "locked out, same answer");
    t.clock.advance(chrono::Duration::minutes(16));
    let token = t.sign_in("bob@example.com", &pw).await;
    let (s, me) = t.call("GET", "/v1/me", Some(&token), None).await;
    assert_eq!((s.as_u16(), me["user"]["email"].as_str(), me["credential"].as_str()), (200, Some("bob@example.com"), Some("session")));
    assert_eq!(t.call("DELETE", "/v1/auth/sessions/current", Some(&token), None).await.0, 204);
    assert_eq!(t.call("GET", "/v1/me", Some(&token), None).await.0, 401);
}

#[tokio::test]
async fn a_member_manages_their_own_keys_from_the_tray_endpoints() {
    let t = test_app().await;
    let (bob, pw) = t.user("bob@example.com", OrgRole::Member).await;
    let ws = t.svc.list_workspaces(&t.admin).await.unwrap().remove(0);
    t.svc.add_member(&t.admin, ws.id, bob.user_id, keydesk_core::model::WorkspaceRole::Member).await.unwrap();
    let token = t.sign_in("bob@example.com", &pw).await;
    let tok = Some(token.as_str());
    let (_, me) = t.call("GET", "/v1/me", tok, None).await;
    assert_eq!(me["workspaces"][0]["raw_role"], "M", "{me}");
    let (s, created) = t.call("POST", "/v1/me/api-keys", tok, Some(json!({"workspace_uuid": ws.id, "name": "laptop"}))).await;
    assert_eq!(s, 200, "{created}");
    assert!(created["key"].as_str().is_some());
    t.svc
        .create_key(&t.admin, keydesk_core::model::NewKey { workspace_id: ws.id, name: Some("admin's".into()), ..Default::default() })
        .await
        .unwrap();
    let (_, mine) = t.call("GET", "/v1/me/api-keys", tok, None).await;
    assert_eq!(mine["keys"].as_array().unwrap().len(), 1, "{mine}");
    let id = created["key_id"].as_str().unwrap();
    assert_eq!(t.call("DELETE", &format!("/v1/me/api-keys/{id}"), tok, None).await.0, 200);
    assert_eq!(t.call("GET", "/v1/me/api-keys", tok, None).await.1["keys"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn the_openapi_document_lists_the_admin_api_and_keydesk_additions() {
    let t = test_app().await;
    let (s, doc) = t.call("GET", "/openapi.json", None, None).await;
    assert_eq!(s, 200);
    for path in [
        "/v1/admin/api-keys",
        "/v1/admin/workspaces/{workspace_uuid}/add-users",
        "/v1/auth/sessions",
        "/v1/me/api-keys/{key_id}",
        "/v1/admin/api-keys/{key_id}/rotate",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    assert!(doc["components"]["securitySchemes"].get("AdminApiKey").is_some());
}

#[tokio::test]
async fn the_key_list_filters_by_status_product_and_idle_days() {
    let t = test_app().await;
    let key = t.svc.create_admin_key(&t.admin, "t", None).await.unwrap();
    let k = Some(key.secret.expose().as_str());
    let (_, list) = t.call("GET", "/v1/admin/workspaces", k, None).await;
    let ws = list["items"][0]["uuid"].as_str().unwrap().to_owned();
    let soon = json!({"workspace_uuid": ws, "user_id": t.admin.user_id, "name": "soon", "expiration": "2026-03-20"});
    let vibe = json!({"workspace_uuid": ws, "user_id": t.admin.user_id, "name": "vibe", "product": "Vibe"});
    assert_eq!(t.call("POST", "/v1/admin/api-keys", k, Some(soon)).await.0, 200);
    assert_eq!(t.call("POST", "/v1/admin/api-keys", k, Some(vibe)).await.0, 200);
    t.clock.advance(chrono::Duration::days(10));

    let names = |page: &serde_json::Value| -> Vec<String> {
        page["keys"].as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap().to_owned()).collect()
    };
    let (s, expired) = t.call("GET", "/v1/admin/api-keys?status=expired", k, None).await;
    assert_eq!((s.as_u16(), names(&expired)), (200, vec!["soon".to_owned()]));
    let (_, active) = t.call("GET", "/v1/admin/api-keys?status=active", k, None).await;
    assert_eq!(names(&active), vec!["vibe".to_owned()]);
    let (_, by_product) = t.call("GET", "/v1/admin/api-keys?product=Vibe", k, None).await;
    assert_eq!(names(&by_product), vec!["vibe".to_owned()]);
    let (_, idle) = t.call("GET", "/v1/admin/api-keys?unused_for_days=5", k, None).await;
    assert_eq!(idle["total"], 2, "never-used keys count as idle");
    let (s, bad) = t.call("GET", "/v1/admin/api-keys?status=lost", k, None).await;
    assert_eq!((s.as_u16(), bad["error"]["field"].as_str()), (422, Some("query")));
}

#[tokio::test]
async fn a_key_patch_naming_a_setting_fixed_at_creation_is_refused_naming_it_and_changes_nothing() {
    let t = test_app().await;
    let admin_key = t.svc.create_admin_key(&t.admin, "t", None).await.unwrap();
    let k = Some(admin_key.secret.expose().as_str());
    let ws = t.svc.list_workspaces(&t.admin).await.unwrap()[0].id;
    let other =
        t.svc.create_workspace(&t.admin, keydesk_core::model::NewWorkspace { name: "Other".into(), ..Default::default() }).await.unwrap();
    let key = t
        .svc
        .create_key(&t.admin, keydesk_core::model::NewKey { workspace_id: ws, name: Some("before".into()), ..Default::default() })
        .await
        .unwrap();
    let path = format!("/v1/admin/api-keys/{}", key.key.key_id);
    for (field, value) in [
        ("workspace_uuid", json!(other.id)),
        ("expiration", json!("2030-01-01")),
        ("connector_scope", json!("private_and_shared")),
        ("product", json!("Vibe")),
        ("user_id", json!(t.admin.user_id)),
    ] {
        let mut body = json!({"name": "after"});
        body[field] = value;
        let (s, b) = t.call("PATCH", &path, k, Some(body)).await;
        assert_eq!((s.as_u16(), b["error"]["field"].as_str()), (422, Some(field)), "{b}");
        assert!(b["error"]["message"].as_str().unwrap().contains("cannot be changed"), "{b}");
    }
    let unchanged = t.svc.get_key(&t.admin, key.key.key_id).await.unwrap();
    assert_eq!((unchanged.name.as_deref(), unchanged.workspace_id), (Some("before"), ws), "nothing of a refused patch was applied");
    // The name alone is still changed as before.
    let (s, b) = t.call("PATCH", &path, k, Some(json!({"name": "after"}))).await;
    assert_eq!((s.as_u16(), b["name"].as_str()), (200, Some("after")), "{b}");
}

#[tokio::test]
async fn the_platform_audit_log_reaches_the_oldest_events_of_a_long_history() {
    let t = test_app().await;
    let admin_key = t.svc.create_admin_key(&t.admin, "audit", None).await.unwrap();
    let k = Some(admin_key.secret.expose().as_str());
    // 10,500 newer events on top of the organization's creation.
    let at = t.clock.now().timestamp_millis();
    for _ in 0..21 {
        let mut sql = String::from("INSERT INTO audit_log (id, at, actor_id, action, target_type) VALUES ");
        let mut args = vec![];
        for i in 0..500 {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("(${}, ${}, ${}, 'workspace.updated', 'workspace')", i * 3 + 1, i * 3 + 2, i * 3 + 3));
            args.extend(keydesk_core::args![uuid::Uuid::new_v4(), at, t.admin.user_id]);
        }
        let mut tx = t.svc.db().begin().await.unwrap();
        tx.exec(&sql, args).await.unwrap();
        tx.commit().await.unwrap();
    }
    let (s, oldest) = t.call("GET", "/v1/admin/audit-logs?sort=ascending&limit=2", k, None).await;
    assert_eq!(s, 200, "{oldest}");
    let types: Vec<&str> = oldest.as_array().unwrap().iter().map(|e| e["event_type"].as_str().unwrap()).collect();
    assert_eq!(types, ["organization.create", "user.create"], "the first events, not the oldest of the newest 10,000");

    // Filters combine in the query: one event type among 10,500 others.
    let (_, created) = t.call("GET", "/v1/admin/audit-logs?event_type=organization.create&event_type=admin_api_key.created", k, None).await;
    let types: Vec<&str> = created.as_array().unwrap().iter().map(|e| e["event_type"].as_str().unwrap()).collect();
    assert_eq!(types, ["admin_api_key.created", "organization.create"], "newest first");
    let (_, none) = t.call("GET", "/v1/admin/audit-logs?actor_type=OTHER", k, None).await;
    assert_eq!(none, json!([]), "nothing here was done by the system");
    let (_, by_type) = t.call("GET", "/v1/admin/audit-logs?target_type=ADMIN_API_KEY", k, None).await;
    assert_eq!(by_type.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_member_batch_that_fails_midway_leaves_the_workspace_as_it_was() {
    let t = test_app().await;
    let admin_key = t.svc.create_admin_key(&t.admin, "t", None).await.unwrap();
    let k = Some(admin_key.secret.expose().as_str());
    let ws = t.svc.list_workspaces(&t.admin).await.unwrap()[0].id;
    let (bob, _) = t.user("bob@example.com", OrgRole::Member).await;
    let body = json!({"members": [{"user_uuid": bob.user_id}, {"user_uuid": uuid::Uuid::new_v4()}]});
    for (method, path) in [("PATCH", format!("/v1/admin/workspaces/{ws}/users")), ("POST", format!("/v1/admin/workspaces/{ws}/add-users"))]
    {
        let (s, b) = t.call(method, &path, k, Some(body.clone())).await;
        assert_eq!((s.as_u16(), b["error"]["field"].as_str()), (422, Some("user_id")), "{method} {b}");
        let members = t.svc.list_members(&t.admin, ws).await.unwrap();
        assert!(!members.iter().any(|m| m.user_id == bob.user_id), "{method}: the first user was not added alone");
    }
    // Inviting into a workspace listed twice is refused before anyone is created.
    let (s, b) =
        t.call("POST", "/v1/admin/users-invite", k, Some(json!({"email": "carol@example.com", "workspace_uuids": [ws, ws]}))).await;
    assert_eq!((s.as_u16(), b["error"]["field"].as_str()), (422, Some("workspace_uuids")), "{b}");
    assert!(t.svc.find_user_by_email("carol@example.com").await.unwrap().is_none());
}

#[tokio::test]
async fn several_keys_are_deleted_together_or_not_at_all() {
    let t = test_app().await;
    let ws = t.svc.list_workspaces(&t.admin).await.unwrap()[0].id;
    let (bob, pw) = t.user("bob@example.com", OrgRole::Member).await;
    t.svc.add_member(&t.admin, ws, bob.user_id, keydesk_core::model::WorkspaceRole::Member).await.unwrap();
    let new = |name: &str| keydesk_core::model::NewKey { workspace_id: ws, name: Some(name.into()), ..Default::default() };
    let bobs = t.svc.create_key(&bob, new("bob's")).await.unwrap().key.key_id;
    let admins = t.svc.create_key(&t.admin, new("admin's")).await.unwrap().key.key_id;
    let session = t.sign_in("bob@example.com", &pw).await;

    // Bob may delete his own key, not the admin's: neither goes.
    let (s, b) = t.call("POST", "/v1/admin/api-keys-delete", Some(&session), Some(json!({"key_ids": [bobs, admins]}))).await;
    assert_eq!(s, 404, "another member's key is not even visible to Bob: {b}");
    assert!(t.svc.get_key(&t.admin, bobs).await.is_ok(), "his own key was not deleted alone");
    let (s, b) = t.call("POST", "/v1/admin/api-keys-delete", Some(&session), Some(json!({"key_ids": []}))).await;
    assert_eq!((s.as_u16(), b["error"]["field"].as_str()), (422, Some("key_ids")));

    let admin_key = t.svc.create_admin_key(&t.admin, "t", None).await.unwrap();
    let (s, b) =
        t.call("POST", "/v1/admin/api-keys-delete", Some(admin_key.secret.expose()), Some(json!({"key_ids": [bobs, admins]}))).await;
    assert_eq!((s.as_u16(), b["deleted_count"].as_i64()), (200, Some(2)), "{b}");
}

#[tokio::test]
async fn a_workspace_patch_changes_details_and_settings_in_one_call() {
    let t = test_app().await;
    let admin_key = t.svc.create_admin_key(&t.admin, "t", None).await.unwrap();
    let k = Some(admin_key.secret.expose().as_str());
    let ws =
        t.svc.create_workspace(&t.admin, keydesk_core::model::NewWorkspace { name: "Lab".into(), ..Default::default() }).await.unwrap();
    let path = format!("/v1/admin/workspaces/{}", ws.id);
    let (s, b) = t.call("PATCH", &path, k, Some(json!({"name": "Lab 2", "monthly_spend_limit": 12.5, "requests_per_second": 7}))).await;
    assert_eq!(s, 200, "{b}");
    let now = t.svc.get_workspace(&t.admin, ws.id).await.unwrap();
    assert_eq!(
        (now.name.as_str(), now.monthly_spend_limit_micros, now.rate_limits.requests_per_second),
        ("Lab 2", Some(12_500_000), Some(7))
    );
    // A refused setting refuses the whole patch: the name stays.
    let (s, b) = t.call("PATCH", &path, k, Some(json!({"name": "Lab 3", "monthly_spend_limit": -1}))).await;
    assert_eq!((s.as_u16(), b["error"]["field"].as_str()), (422, Some("monthly_spend_limit")), "{b}");
    assert_eq!(t.svc.get_workspace(&t.admin, ws.id).await.unwrap().name, "Lab 2");

    // Deleting can ask first: nothing goes, the answer counts the keys.
    t.svc.create_key(&t.admin, keydesk_core::model::NewKey { workspace_id: ws.id, ..Default::default() }).await.unwrap();
    let (s, b) = t.call("DELETE", &format!("{path}?confirm=false"), k, None).await;
    assert_eq!((s.as_u16(), b["error"]["field"].as_str()), (422, Some("confirm")), "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("1 API key"), "{b}");
    assert!(t.svc.get_workspace(&t.admin, ws.id).await.is_ok());
    let (s, _) = t.call("DELETE", &path, k, None).await;
    assert_eq!(s, 204);
}
