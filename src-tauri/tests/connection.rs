//! The desktop's connection against a real keydesk-server process: signing
//! in and out, switching between the local store and saved servers without
//! a restart, a session that ends on the server sending the window back to
//! sign-in with the profile kept, what a restart opens, and the instant
//! start from the cache with a refresh in the background.
//!
//! These run with whatever keychain the environment has. In the plain test
//! run there is none, so tokens stay in memory (the app's own no-keychain
//! path); scripts/keychain-tests.sh runs them again inside a D-Bus session
//! with gnome-keyring, along with the one test that needs a real keychain
//! (a session surviving a restart), which a plain run leaves out (ignored).

use std::time::Duration;

use keydesk_core::model::{KeyFilter, NewKey, NewWorkspace, OrgRole};
use keydesk_core::secret::Sensitive;
use keydesk_core::NewUser;
use keydesk_desktop::backend::{Backend, BackendMode};
use keydesk_desktop::connection::{
    AdminKeySignIn, Connection, ConnectionEvent, ConnectionKind, ConnectionStatus, PasswordSignIn,
    SecretInput, PROFILES_FILE,
};
use keydesk_desktop::error::ErrorCode;
use keydesk_desktop::keychain::{Remembered, SessionVault};
use keydesk_desktop::remote::{CredentialKind, RemoteBackend};
use keydesk_desktop::team::TeamPolicy;
use uuid::Uuid;

mod support;
use support::TestServer;

/// A keychain service name no other test run uses.
fn vault() -> SessionVault {
    SessionVault::new(&format!("dev.keydesk.test.{}", Uuid::new_v4().simple()))
}

/// A vault on a chosen service name: opened twice, it is a restarted app.
fn vault_named(service: &str) -> SessionVault {
    SessionVault::new(service)
}

fn secret(text: &str) -> SecretInput {
    SecretInput(Sensitive::new(text.to_owned()))
}

fn password_sign_in(server: &TestServer, email: &str, password: &str) -> PasswordSignIn {
    PasswordSignIn {
        server_url: server.url.clone(),
        email: email.into(),
        password: secret(password),
    }
}

fn keychain_is_real() -> bool {
    std::env::var("KEYDESK_KEYCHAIN_TESTS").as_deref() == Ok("secret-service")
}

/// An organization admin over the Admin API key `init` printed.
async fn admin(server: &TestServer) -> RemoteBackend {
    let dir = tempfile::tempdir().unwrap().keep();
    RemoteBackend::with_admin_key(
        &server.url,
        Sensitive::new(server.admin_api_key.clone()),
        &dir,
    )
    .await
    .unwrap()
}

/// A new member with a one-time password, as an admin would hand it out.
async fn new_member(server: &TestServer, email: &str) -> (Uuid, String) {
    let admin = admin(server).await;
    let user = admin
        .create_user(NewUser {
            email: email.into(),
            name: "Bob".into(),
            org_role: OrgRole::Member,
        })
        .await
        .unwrap();
    (user.id, server.issue_password(user.id).await)
}

fn expect_remote(status: &ConnectionStatus, email: &str) {
    assert_eq!(status.kind, ConnectionKind::Remote, "{status:?}");
    assert_eq!(status.profile.as_ref().unwrap().account, email);
}

#[tokio::test]
async fn signing_in_saves_the_profile_and_the_window_reads_the_server() {
    let server = TestServer::start(None);
    let dir = tempfile::tempdir().unwrap();
    let connection = Connection::open(Some(dir.path().to_owned()), vault()).await;
    assert_eq!(connection.status().await.kind, ConnectionKind::Local);

    let status = connection
        .sign_in(password_sign_in(
            &server,
            &server.admin_email,
            &server.admin_password,
        ))
        .await
        .unwrap();
    expect_remote(&status, &server.admin_email);
    assert_eq!(status.profiles.len(), 1);
    assert_eq!(status.profiles[0].credential, CredentialKind::Session);
    if keychain_is_real() {
        assert_eq!(status.remembered, Some(Remembered::Keychain));
    } else {
        assert!(
            status.remembered.is_some(),
            "the status says where the session went"
        );
    }
    let state = connection.state().await.unwrap();
    assert_eq!(state.mode, BackendMode::Remote);
    assert_eq!(state.organization.unwrap().name, "Acme");

    // The profiles file names the server and the account, and nothing secret.
    let saved = std::fs::read_to_string(dir.path().join(PROFILES_FILE)).unwrap();
    assert!(
        saved.contains(&server.url) && saved.contains(&server.admin_email),
        "{saved}"
    );
    assert!(!saved.contains(&server.admin_password));
}

#[tokio::test]
async fn sign_in_mistakes_are_reported_on_the_field_that_caused_them() {
    let server = TestServer::start(None);
    let dir = tempfile::tempdir().unwrap();
    let connection = Connection::open(Some(dir.path().to_owned()), vault()).await;

    let field_of = |e: keydesk_desktop::error::AppError| (e.code, e.field);
    let mut bad_url = password_sign_in(&server, &server.admin_email, "x");
    bad_url.server_url = "http://keydesk.example.com".into();
    assert_eq!(
        field_of(connection.sign_in(bad_url).await.unwrap_err()),
        (ErrorCode::Validation, Some("server_url".into()))
    );
    assert_eq!(
        field_of(
            connection
                .sign_in(password_sign_in(&server, " ", "x"))
                .await
                .unwrap_err()
        ),
        (ErrorCode::Validation, Some("email".into()))
    );
    assert_eq!(
        field_of(
            connection
                .sign_in(password_sign_in(&server, &server.admin_email, ""))
                .await
                .unwrap_err()
        ),
        (ErrorCode::Validation, Some("password".into()))
    );
    let wrong = connection
        .sign_in(password_sign_in(
            &server,
            &server.admin_email,
            "not the password",
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (wrong.code, wrong.field.as_deref()),
        (ErrorCode::Unauthorized, Some("password"))
    );
    let unknown = connection
        .sign_in(password_sign_in(&server, "nobody@example.com", "whatever"))
        .await
        .unwrap_err();
    assert_eq!(
        unknown.message, wrong.message,
        "the answer must not tell which part was wrong"
    );
    let key = connection
        .sign_in_with_key(AdminKeySignIn {
            server_url: server.url.clone(),
            api_key: secret("kd_not-a-key"),
        })
        .await
        .unwrap_err();
    assert_eq!(
        (key.code, key.field.as_deref()),
        (ErrorCode::Unauthorized, Some("api_key"))
    );

    // Nothing was saved by the failed attempts, and the window is still local.
    let status = connection.status().await;
    assert_eq!(status.kind, ConnectionKind::Local);
    assert!(status.profiles.is_empty());
}

#[tokio::test]
async fn switching_between_the_local_store_and_servers_needs_no_restart() {
    let server = TestServer::start(None);
    let dir = tempfile::tempdir().unwrap();
    let connection = Connection::open(Some(dir.path().to_owned()), vault()).await;
    let signed_in = connection
        .sign_in(password_sign_in(
            &server,
            &server.admin_email,
            &server.admin_password,
        ))
        .await
        .unwrap();
    let session_profile = signed_in.profile.clone().unwrap();
    let with_key = connection
        .sign_in_with_key(AdminKeySignIn {
            server_url: server.url.clone(),
            api_key: secret(&server.admin_api_key),
        })
        .await
        .unwrap();
    // The Admin API key acts as the same admin: one profile, now by key.
    assert_eq!(with_key.profiles.len(), 1);
    assert_eq!(
        with_key.profile.as_ref().unwrap().credential,
        CredentialKind::AdminKey
    );

    let local = connection.use_profile(None).await.unwrap();
    assert_eq!(local.kind, ConnectionKind::Local);
    assert_eq!(connection.state().await.unwrap().mode, BackendMode::Local);

    let back = connection
        .use_profile(Some(session_profile.id.clone()))
        .await
        .unwrap();
    expect_remote(&back, &server.admin_email);
    assert_eq!(connection.state().await.unwrap().mode, BackendMode::Remote);

    let err = connection
        .use_profile(Some("https://nowhere.example.com x@example.com".into()))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::NotFound, Some("profile_id"))
    );
    let err = connection
        .forget_profile(session_profile.id.clone())
        .await
        .unwrap_err();
    assert_eq!(
        err.field.as_deref(),
        Some("profile_id"),
        "the active profile cannot be removed"
    );
    connection.use_profile(None).await.unwrap();
    assert!(connection
        .forget_profile(session_profile.id)
        .await
        .unwrap()
        .profiles
        .is_empty());
}

#[tokio::test]
async fn a_session_revoked_on_the_server_returns_to_sign_in_and_keeps_the_profile() {
    let server = TestServer::start(None);
    let (bob, password) = new_member(&server, "bob@example.com").await;
    let dir = tempfile::tempdir().unwrap();
    let connection = Connection::open(Some(dir.path().to_owned()), vault()).await;
    connection
        .sign_in(password_sign_in(&server, "bob@example.com", &password))
        .await
        .unwrap();
    connection.list_workspaces().await.unwrap();
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    connection.set_listener(std::sync::Arc::new(move |event| {
        let _ = events_tx.send(event);
    }));

    // The admin removes Bob: his session is no longer accepted.
    admin(&server).await.remove_user(bob).await.unwrap();

    let err = connection.list_workspaces().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthorized);
    let status = connection.status().await;
    assert_eq!(status.kind, ConnectionKind::SignedOut);
    assert_eq!(status.profile.as_ref().unwrap().account, "bob@example.com");
    assert_eq!(status.profiles.len(), 1, "the profile is kept");
    assert!(
        status
            .notice
            .as_deref()
            .unwrap_or_default()
            .contains("has ended"),
        "{:?}",
        status.notice
    );
    assert_eq!(events.recv().await, Some(ConnectionEvent::Changed));
    // Every call now asks for a sign-in; nothing falls back to another source.
    assert_eq!(
        connection.state().await.unwrap_err().code,
        ErrorCode::Unauthorized
    );
}

#[tokio::test]
async fn signing_out_ends_the_session_and_a_restart_opens_the_sign_in_screen() {
    let server = TestServer::start(None);
    let dir = tempfile::tempdir().unwrap();
    let service = format!("dev.keydesk.test.{}", Uuid::new_v4().simple());
    let connection = Connection::open(Some(dir.path().to_owned()), vault_named(&service)).await;
    connection
        .sign_in(password_sign_in(
            &server,
            &server.admin_email,
            &server.admin_password,
        ))
        .await
        .unwrap();
    connection.list_workspaces().await.unwrap();

    let out = connection.sign_out().await.unwrap();
    assert_eq!(out.kind, ConnectionKind::SignedOut);
    assert_eq!(
        out.notice, None,
        "a sign-out the user asked for needs no explanation"
    );
    assert_eq!(
        connection.list_workspaces().await.unwrap_err().code,
        ErrorCode::Unauthorized
    );
    // Nothing of the organization stays readable in the cache.
    let cache = keydesk_desktop::cache::Cache::open(dir.path())
        .await
        .unwrap();
    let scope = keydesk_desktop::remote::cache_scope(&server.url, &server.admin_email);
    assert!(cache
        .get::<serde_json::Value>(&scope, "workspaces", "")
        .await
        .unwrap()
        .is_none());
    cache.close().await;

    let restarted = Connection::open(Some(dir.path().to_owned()), vault_named(&service)).await;
    let status = restarted.status().await;
    assert_eq!(status.kind, ConnectionKind::SignedOut);
    assert_eq!(status.profile.unwrap().account, server.admin_email);
}

#[tokio::test]
#[ignore = "needs a running Secret Service; scripts/keychain-tests.sh runs it"]
async fn a_restart_resumes_the_session_from_the_keychain() {
    let server = TestServer::start(None);
    let dir = tempfile::tempdir().unwrap();
    let service = format!("dev.keydesk.test.{}", Uuid::new_v4().simple());
    let connection = Connection::open(Some(dir.path().to_owned()), vault_named(&service)).await;
    let status = connection
        .sign_in(password_sign_in(
            &server,
            &server.admin_email,
            &server.admin_password,
        ))
        .await
        .unwrap();
    assert_eq!(status.remembered, Some(Remembered::Keychain));
    drop(connection);

    let restarted = Connection::open(Some(dir.path().to_owned()), vault_named(&service)).await;
    expect_remote(&restarted.status().await, &server.admin_email);
    assert_eq!(
        restarted.state().await.unwrap().user.unwrap().email,
        server.admin_email
    );
    restarted.sign_out().await.unwrap();
    let after = Connection::open(Some(dir.path().to_owned()), vault_named(&service)).await;
    assert_eq!(after.status().await.kind, ConnectionKind::SignedOut);
}

#[tokio::test]
async fn a_resumed_session_shows_the_cache_at_once_and_refreshes_in_the_background() {
    let server = TestServer::start(None);
    let dir = tempfile::tempdir().unwrap();
    let first = RemoteBackend::sign_in(
        &server.url,
        &server.admin_email,
        Sensitive::new(server.admin_password.clone()),
        dir.path(),
    )
    .await
    .unwrap();
    let known = first.list_workspaces().await.unwrap();
    let default_keys = KeyFilter {
        workspace_id: Some(known[0].id),
        ..Default::default()
    };
    assert_eq!(
        first.list_keys(default_keys.clone()).await.unwrap().total,
        0
    );
    let token = Sensitive::new(first.token().expose().clone());
    first.close().await;

    // Meanwhile someone else adds a workspace.
    admin(&server)
        .await
        .create_workspace(NewWorkspace {
            name: "Added elsewhere".into(),
            ..Default::default()
        })
        .await
        .unwrap();

    let resumed = RemoteBackend::resume(&server.url, &server.admin_email, token, dir.path())
        .await
        .unwrap();
    resumed.set_instant_start(true);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    resumed.set_listener(Some(std::sync::Arc::new(move |event| {
        let _ = tx.send(event);
    })));
    assert_eq!(
        resumed.list_workspaces().await.unwrap(),
        known,
        "the first read is the cached list"
    );
    let event = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a refresh arrives");
    assert_eq!(
        event,
        Some(keydesk_desktop::remote::RemoteEvent::Refreshed {
            kind: "workspaces".into()
        })
    );
    let fresh = resumed.list_workspaces().await.unwrap();
    assert!(
        fresh.iter().any(|w| w.name == "Added elsewhere"),
        "the next read has the server's news"
    );

    // After a write every read asks the server first, even one whose list
    // the cache holds and this run has not read yet.
    resumed
        .create_key(NewKey {
            workspace_id: known[0].id,
            name: Some("fresh".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        resumed.list_keys(default_keys).await.unwrap().total,
        1,
        "not the cached empty page"
    );
}

/// A team file as an installer would ship it, read back as the app does.
fn team_file(dir: &std::path::Path, json: serde_json::Value) -> TeamPolicy {
    let path = dir.join("team.json");
    std::fs::write(&path, json.to_string()).unwrap();
    TeamPolicy::read(&path)
}

#[tokio::test]
async fn a_team_without_local_mode_starts_on_its_server_and_allows_no_other() {
    let server = TestServer::start(None);
    let dir = tempfile::tempdir().unwrap();
    let rules = tempfile::tempdir().unwrap();
    let team = team_file(
        rules.path(),
        serde_json::json!({
            "default_server_url": server.url,
            "allowed_servers": [server.url],
            "local_mode": false,
        }),
    );
    let connection =
        Connection::open_for_team(Some(dir.path().to_owned()), vault(), Some(team)).await;

    let status = connection.status().await;
    assert_eq!(
        status.kind,
        ConnectionKind::SignedOut,
        "the sign-in screen first"
    );
    assert_eq!(
        status.profile.as_ref().unwrap().server_url,
        server.url.trim_end_matches('/'),
        "with the team's server filled in"
    );
    assert!(status.team.as_ref().is_some_and(|t| !t.local_mode));

    let local = connection.use_profile(None).await.unwrap_err();
    assert_eq!(local.code, ErrorCode::Forbidden, "{local:?}");
    assert!(
        local.message.contains("local store is turned off"),
        "{local:?}"
    );

    let elsewhere = connection
        .sign_in(PasswordSignIn {
            server_url: "https://elsewhere.example".into(),
            email: server.admin_email.clone(),
            password: secret(&server.admin_password),
        })
        .await
        .unwrap_err();
    assert_eq!(
        elsewhere.field.as_deref(),
        Some("server_url"),
        "{elsewhere:?}"
    );
    assert!(
        elsewhere.message.contains(server.url.trim_end_matches('/')),
        "{elsewhere:?}"
    );
    let with_key = connection
        .sign_in_with_key(AdminKeySignIn {
            server_url: "https://elsewhere.example".into(),
            api_key: secret(&server.admin_api_key),
        })
        .await
        .unwrap_err();
    assert_eq!(with_key.field.as_deref(), Some("server_url"));

    let status = connection
        .sign_in(password_sign_in(
            &server,
            &server.admin_email,
            &server.admin_password,
        ))
        .await
        .unwrap();
    expect_remote(&status, &server.admin_email);
}

#[tokio::test]
async fn a_saved_profile_on_a_server_the_team_no_longer_allows_is_neither_resumed_nor_offered() {
    let server = TestServer::start(None);
    let dir = tempfile::tempdir().unwrap();
    let connection = Connection::open(Some(dir.path().to_owned()), vault()).await;
    connection
        .sign_in(password_sign_in(
            &server,
            &server.admin_email,
            &server.admin_password,
        ))
        .await
        .unwrap();
    drop(connection);

    let rules = tempfile::tempdir().unwrap();
    let team = team_file(
        rules.path(),
        serde_json::json!({
            "default_server_url": "https://keys.team.example",
            "allowed_servers": ["https://keys.team.example"],
            "local_mode": false,
        }),
    );
    let restarted =
        Connection::open_for_team(Some(dir.path().to_owned()), vault(), Some(team)).await;
    let status = restarted.status().await;
    assert_eq!(status.kind, ConnectionKind::SignedOut);
    assert_eq!(
        status.profile.as_ref().unwrap().server_url,
        "https://keys.team.example"
    );
    assert!(status.profiles.is_empty(), "{:?}", status.profiles);
}
