//! Remote mode with the server gone: reads from the cache, writes refused.

use chrono::Utc;
use keydesk_core::model::{AuditFilter, KeyFilter, NewKey, NewWorkspace};
use keydesk_core::secret::Sensitive;
use keydesk_desktop::backend::Backend;
use keydesk_desktop::error::ErrorCode;
use keydesk_desktop::remote::RemoteBackend;

use crate::fixtures::{sign_in, Meter};
use crate::support::TestServer;

#[tokio::test]
async fn offline_lists_come_from_the_cache_and_writes_are_refused() {
    let mut server = TestServer::start(None);
    let app_dir = tempfile::tempdir().unwrap();
    let backend = sign_in(&server, app_dir.path()).await;
    let ws = backend
        .create_workspace(NewWorkspace {
            name: "Cached".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    backend
        .create_key(NewKey {
            workspace_id: ws.id,
            name: Some("offline".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let filter = KeyFilter {
        workspace_id: Some(ws.id),
        ..Default::default()
    };
    let state = backend.state().await.unwrap();
    let workspaces = backend.list_workspaces().await.unwrap();
    let keys = backend.list_keys(filter.clone()).await.unwrap();
    assert!(backend.offline_status().is_none());

    server.kill();

    assert_eq!(backend.list_workspaces().await.unwrap(), workspaces);
    assert_eq!(backend.list_keys(filter.clone()).await.unwrap(), keys);
    assert_eq!(backend.state().await.unwrap(), state);
    let offline = backend.offline_status().expect("marked offline");
    assert!(offline.age_seconds >= 0);
    assert!(offline.fetched_at <= chrono::Utc::now());

    // A list never fetched has nothing to show: the error says why.
    let err = backend
        .list_keys(KeyFilter {
            search: Some("never asked".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unavailable);
    assert!(
        err.message.contains("server unreachable"),
        "{}",
        err.message
    );

    // Writes are refused, not queued.
    let err = backend
        .create_workspace(NewWorkspace {
            name: "Queued?".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unavailable);
    assert!(err.message.contains("server unreachable"));
    let err = backend.delete_key(keys.keys[0].key_id).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unavailable);

    // The next start opens from the cache too (token from the keychain, no server).
    let token = Sensitive::new(backend.token().expose().clone());
    backend.close().await;
    let reopened = RemoteBackend::resume(&server.url, &server.admin_email, token, app_dir.path())
        .await
        .unwrap();
    assert_eq!(reopened.list_workspaces().await.unwrap(), workspaces);
    assert!(reopened.offline_status().is_some());

    // The server is back: fresh data, no longer offline, nothing was queued.
    server.serve();
    let online = RemoteBackend::resume(
        &server.url,
        &server.admin_email,
        Sensitive::new(reopened.token().expose().clone()),
        app_dir.path(),
    )
    .await
    .unwrap();
    let now = online.list_workspaces().await.unwrap();
    assert!(online.offline_status().is_none());
    assert!(!now.iter().any(|w| w.name == "Queued?"));
    assert_eq!(
        online.list_keys(filter).await.unwrap().total,
        1,
        "the delete refused offline did not happen later"
    );
}

#[tokio::test]
async fn usage_reach_and_audit_reads_come_from_the_cache_offline() {
    let mut server = TestServer::start(None);
    let app_dir = tempfile::tempdir().unwrap();
    let backend = sign_in(&server, app_dir.path()).await;
    let ws = backend
        .create_workspace(NewWorkspace {
            name: "Reports".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let key = backend
        .create_key(NewKey {
            workspace_id: ws.id,
            ..Default::default()
        })
        .await
        .unwrap()
        .key;
    Meter::remote(&server)
        .record(&key, "mistral-small", 1, 2, 3_000, Utc::now())
        .await;
    let about_key = AuditFilter {
        target_id: Some(key.key_id),
        ..Default::default()
    };
    let spend = backend.monthly_spend(ws.id).await.unwrap();
    let daily = backend.daily_costs(ws.id).await.unwrap();
    let by_model = backend.usage_by_model(ws.id).await.unwrap();
    let by_key = backend.usage_by_key(ws.id).await.unwrap();
    let reach = backend.reachable_connectors(key.key_id).await.unwrap();
    let audit = backend.list_audit(about_key.clone()).await.unwrap();
    assert_eq!(
        (spend.spent_micros, by_key.len(), audit.len()),
        (3_000, 1, 1)
    );
    assert!(backend.offline_status().is_none());

    server.kill();

    assert_eq!(backend.monthly_spend(ws.id).await.unwrap(), spend);
    assert_eq!(backend.daily_costs(ws.id).await.unwrap(), daily);
    assert_eq!(backend.usage_by_model(ws.id).await.unwrap(), by_model);
    assert_eq!(backend.usage_by_key(ws.id).await.unwrap(), by_key);
    assert_eq!(
        backend.reachable_connectors(key.key_id).await.unwrap(),
        reach
    );
    assert_eq!(backend.list_audit(about_key).await.unwrap(), audit);
    assert!(backend.offline_status().is_some(), "marked offline");
    // A filter never asked for has nothing cached.
    let err = backend
        .list_audit(AuditFilter {
            limit: Some(3),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unavailable);
}

#[tokio::test]
async fn unreachable_server_without_cache_is_unavailable() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app_dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let err = RemoteBackend::sign_in(
        &url,
        "ada@example.com",
        Sensitive::new("pw".into()),
        app_dir.path(),
    )
    .await
    .err()
    .unwrap();
    assert_eq!(err.code, ErrorCode::Unavailable);
    assert!(
        err.message.starts_with("server unreachable"),
        "{}",
        err.message
    );
}
