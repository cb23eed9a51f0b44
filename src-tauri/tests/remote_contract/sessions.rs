//! Remote mode's credentials: no bootstrap, and revoked or unknown sessions refused.

use keydesk_core::secret::Sensitive;
use keydesk_desktop::backend::{Backend, BootstrapInput};
use keydesk_desktop::error::ErrorCode;
use keydesk_desktop::remote::RemoteBackend;

use crate::fixtures::sign_in;
use crate::support::TestServer;

#[tokio::test]
async fn bootstrap_is_refused_in_remote_mode() {
    let server = TestServer::start(None);
    let app_dir = tempfile::tempdir().unwrap();
    let backend = sign_in(&server, app_dir.path()).await;
    let err = backend
        .bootstrap(BootstrapInput {
            org_name: "Other".into(),
            admin_email: "eve@example.com".into(),
            admin_name: "Eve".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    assert!(
        err.message.contains("keydesk-server init"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn revoked_or_unknown_sessions_are_unauthorized() {
    let server = TestServer::start(None);
    let app_dir = tempfile::tempdir().unwrap();
    let backend = sign_in(&server, app_dir.path()).await;
    backend.list_workspaces().await.unwrap();

    // The same session, as a second app start would resume it.
    let resumed = RemoteBackend::resume(
        &server.url,
        &server.admin_email,
        Sensitive::new(backend.token().expose().clone()),
        app_dir.path(),
    )
    .await
    .unwrap();
    resumed.list_workspaces().await.unwrap();

    backend.sign_out().await.unwrap();
    // Revoked: unauthorized, and the cache does not hide it.
    let err = resumed.list_workspaces().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    assert_eq!(
        resumed.state().await.unwrap_err().code,
        ErrorCode::Unauthorized
    );
    assert!(resumed.offline_status().is_none());
    // Signing out twice is fine.
    backend.sign_out().await.unwrap();

    let unknown = RemoteBackend::resume(
        &server.url,
        &server.admin_email,
        Sensitive::new("kds_not-a-real-session".into()),
        app_dir.path(),
    )
    .await
    .unwrap();
    assert_eq!(
        unknown.list_workspaces().await.unwrap_err().code,
        ErrorCode::Unauthorized
    );

    let err = RemoteBackend::sign_in(
        &server.url,
        &server.admin_email,
        Sensitive::new("wrong password".into()),
        app_dir.path(),
    )
    .await
    .err()
    .unwrap();
    assert_eq!(err.code, ErrorCode::Unauthorized);
}
