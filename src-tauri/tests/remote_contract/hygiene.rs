//! Secret hygiene: after a whole journey no secret is in any file written.

use std::path::{Path, PathBuf};

use keydesk_core::model::{AuditFilter, KeyFilter, NewKey, NewWorkspace};
use keydesk_core::secret::Sensitive;
use keydesk_desktop::backend::Backend;
use keydesk_desktop::remote::RemoteBackend;

use crate::fixtures::{sign_in, Meter};
use crate::support::TestServer;

/// Every file under `dir`, recursively.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn no_secret_reaches_any_file_after_a_journey() {
    let mut server = TestServer::start(None);
    let app_dir = tempfile::tempdir().unwrap();
    let mut secrets: Vec<(String, String)> = vec![
        ("admin password".into(), server.admin_password.clone()),
        (
            "Admin API key init printed".into(),
            server.admin_api_key.clone(),
        ),
    ];

    let backend = sign_in(&server, app_dir.path()).await;
    secrets.push(("session token".into(), backend.token().expose().clone()));
    backend.state().await.unwrap();
    let ws = backend
        .create_workspace(NewWorkspace {
            name: "Hygiene".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut last = None;
    for i in 0..3 {
        let issued = backend
            .create_key(NewKey {
                workspace_id: ws.id,
                name: Some(format!("key {i}")),
                ..Default::default()
            })
            .await
            .unwrap();
        secrets.push((format!("key {i}"), issued.secret.expose().clone()));
        last = Some(issued.key.key_id);
    }
    let rotated = backend.rotate_key(last.unwrap(), Some(60)).await.unwrap();
    secrets.push(("rotated key".into(), rotated.secret.expose().clone()));
    backend.list_workspaces().await.unwrap();
    backend
        .list_keys(KeyFilter {
            workspace_id: Some(ws.id),
            ..Default::default()
        })
        .await
        .unwrap();
    backend.list_keys(KeyFilter::default()).await.unwrap();
    // Usage metered with the Admin API key, then every report read (and cached).
    Meter::remote(&server)
        .record(
            &rotated.key,
            "mistral-small",
            10,
            20,
            1_000,
            chrono::Utc::now(),
        )
        .await;
    assert_eq!(backend.usage_by_key(ws.id).await.unwrap().len(), 1);
    backend.monthly_spend(ws.id).await.unwrap();
    backend.daily_costs(ws.id).await.unwrap();
    backend.usage_by_model(ws.id).await.unwrap();
    backend
        .reachable_connectors(rotated.key.key_id)
        .await
        .unwrap();
    backend.list_audit(AuditFilter::default()).await.unwrap();
    // A second profile in the same app, signed in with the Admin API key.
    let by_key = RemoteBackend::with_admin_key(
        &server.url,
        Sensitive::new(server.admin_api_key.clone()),
        &app_dir.path().join("admin-key"),
    )
    .await
    .unwrap();
    by_key.list_workspaces().await.unwrap();
    by_key
        .list_audit(AuditFilter {
            action: Some("api_key.rotated".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    by_key.close().await;
    backend.sign_out().await.unwrap();
    backend.close().await;
    server.kill();

    let mut files = vec![];
    files_under(app_dir.path(), &mut files);
    files_under(server.dir.path(), &mut files);
    assert!(files
        .iter()
        .any(|f| f.ends_with(keydesk_desktop::cache::CACHE_FILE)));
    assert!(files.iter().any(|f| f.ends_with("server.db")));
    assert!(files.iter().any(|f| f.ends_with("server.log")));
    // The cache did get the lists (so the scan below means something).
    let cache_bytes: Vec<u8> = files
        .iter()
        .filter(|f| f.starts_with(app_dir.path()))
        .flat_map(|f| std::fs::read(f).unwrap())
        .collect();
    assert!(contains(&cache_bytes, b"Hygiene"));
    assert!(contains(&cache_bytes, rotated.key.hidden_key.as_bytes()));
    assert!(
        contains(&cache_bytes, b"api_key.rotated"),
        "the audit log was cached"
    );
    assert!(
        contains(&cache_bytes, b"mistral-small"),
        "the usage reports were cached"
    );

    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        for (what, secret) in &secrets {
            assert!(
                !contains(&bytes, secret.as_bytes()),
                "the {what} was found in {}",
                file.display()
            );
        }
    }
}
