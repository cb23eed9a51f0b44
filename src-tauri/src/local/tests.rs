//! LocalBackend's own tests: the first run, reopening, every admin view, a damaged pepper.

use super::*;
use keydesk_core::model::{
    AuditFilter, ConnectorVisibility, KeyFilter, KeyStatus, NewKey, NewWorkspace, OrgRole,
    WorkspacePatch, WorkspaceRole,
};
use keydesk_core::{NewUser, OrganizationPatch};

use super::clock::shifted_clock;
use super::files::load_or_create_pepper;
use crate::backend::{Backend, BootstrapInput};

struct TempDir(PathBuf);
impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("keydesk-test-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn first_run_then_workspace_and_key_round_trip() {
    let dir = TempDir::new();
    let backend = LocalBackend::open(&dir.0).await.unwrap();

    let state = backend.state().await.unwrap();
    assert!(state.organization.is_none());
    assert_eq!(
        backend.list_workspaces().await.unwrap_err().code,
        crate::error::ErrorCode::NotInitialized
    );

    let input = BootstrapInput {
        org_name: "Acme".into(),
        admin_email: "ada@example.com".into(),
        admin_name: "Ada".into(),
    };
    let state = backend.bootstrap(input).await.unwrap();
    assert_eq!(state.organization.unwrap().name, "Acme");

    let ws = backend
        .create_workspace(NewWorkspace {
            name: "Research".into(),
            icon: "R".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let issued = backend
        .create_key(NewKey {
            workspace_id: ws.id,
            ..Default::default()
        })
        .await
        .unwrap();
    let secret = issued.secret.expose().clone();
    assert!(secret.starts_with("kd_"));
    assert!(!format!("{issued:?}").contains(&secret));

    let page = backend
        .list_keys(KeyFilter {
            workspace_id: Some(ws.id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.keys.len(), 1);
    assert_eq!(
        page.keys[0].hidden_key,
        format!("{}...{}", &secret[..4], &secret[secret.len() - 4..])
    );
    assert_eq!(page.keys[0].status, KeyStatus::Active);
    assert_eq!(backend.workspace_key_count(ws.id).await.unwrap(), 1);

    // Deleting needs an explicit confirmation.
    let err = backend.delete_workspace(ws.id, false).await.unwrap_err();
    assert_eq!(err.field.as_deref(), Some("confirm"));
    assert_eq!(backend.delete_workspace(ws.id, true).await.unwrap(), 1);
}

#[tokio::test]
async fn reopening_keeps_data_and_the_same_pepper() {
    let dir = TempDir::new();
    {
        let backend = LocalBackend::open(&dir.0).await.unwrap();
        let input = BootstrapInput {
            org_name: "Acme".into(),
            admin_email: "ada@example.com".into(),
            admin_name: "Ada".into(),
        };
        backend.bootstrap(input).await.unwrap();
    }
    let pepper_before = std::fs::read(dir.0.join(PEPPER_FILE)).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.0.join(PEPPER_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let backend = LocalBackend::open(&dir.0).await.unwrap();
    assert_eq!(
        std::fs::read(dir.0.join(PEPPER_FILE)).unwrap(),
        pepper_before
    );
    let state = backend.state().await.unwrap();
    assert_eq!(state.user.unwrap().email, "ada@example.com");
    assert!(!backend.list_workspaces().await.unwrap().is_empty());
}

#[tokio::test]
async fn admin_views_operations_round_trip() {
    use keydesk_core::model::{ConnectorScope, KeyStatus, NewConnector};
    let dir = TempDir::new();
    let shift = dir.0.join("clock-shift");
    std::fs::write(&shift, "0").unwrap();
    let data = dir.0.join("data");
    let backend = LocalBackend::open_with_clock(&data, shifted_clock(Some(shift.clone())))
        .await
        .unwrap();
    backend
        .bootstrap(BootstrapInput {
            org_name: "Acme".into(),
            admin_email: "ada@example.com".into(),
            admin_name: "Ada".into(),
        })
        .await
        .unwrap();

    // Organization settings, then a workspace limit above the org's is refused.
    let org = backend
        .update_organization(OrganizationPatch {
            plan: Some(keydesk_core::model::Plan::Scale),
            monthly_spend_limit_micros: Some(Some(100_000_000)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(org.monthly_spend_limit_micros, Some(100_000_000));
    let bob = backend
        .create_user(NewUser {
            email: "bob@example.com".into(),
            name: "Bob".into(),
            org_role: OrgRole::Member,
        })
        .await
        .unwrap();
    assert_eq!(backend.list_users().await.unwrap().len(), 2);
    let ws = backend
        .create_workspace(NewWorkspace {
            name: "Payments".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    backend
        .add_member(ws.id, bob.id, WorkspaceRole::Member)
        .await
        .unwrap();
    backend
        .set_member_role(ws.id, bob.id, WorkspaceRole::Admin)
        .await
        .unwrap();
    let members = backend.list_members(ws.id).await.unwrap();
    assert!(members
        .iter()
        .any(|m| m.user_id == bob.id && m.role == WorkspaceRole::Admin));
    let too_high = backend
        .update_workspace(
            ws.id,
            WorkspacePatch {
                monthly_spend_limit_micros: Some(Some(200_000_000)),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(too_high.code, crate::error::ErrorCode::Validation);
    let spend = backend.monthly_spend(ws.id).await.unwrap();
    assert_eq!(spend.limit_micros, Some(100_000_000));
    assert!(backend.usage_by_key(ws.id).await.unwrap().is_empty());

    // Usage by key (and by model) for the month.
    let used = backend
        .create_key(NewKey {
            workspace_id: ws.id,
            name: Some("metered".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    for cost in [1_000, 2_000] {
        backend
            .service
            .record_usage(&keydesk_core::model::UsageRecord {
                key_id: used.key.key_id,
                workspace_id: ws.id,
                model: "mistral-small".into(),
                input_tokens: 10,
                output_tokens: 20,
                cost_micros: cost,
                at: chrono::Utc::now(),
            })
            .await
            .unwrap();
    }
    let by_key = backend.usage_by_key(ws.id).await.unwrap();
    assert_eq!(by_key.len(), 1);
    assert_eq!((by_key[0].requests, by_key[0].cost_micros), (2, 3_000));
    assert_eq!(by_key[0].name.as_deref(), Some("metered"));
    assert_eq!(backend.usage_by_model(ws.id).await.unwrap()[0].requests, 2);
    assert_eq!(
        backend.daily_costs(ws.id).await.unwrap()[0].cost_micros,
        3_000
    );

    // Connectors and what a key reaches.
    let shared = backend
        .create_connector(NewConnector {
            workspace_id: ws.id,
            name: "Drive".into(),
            visibility: ConnectorVisibility::Shared,
        })
        .await
        .unwrap();
    let private = backend
        .create_connector(NewConnector {
            workspace_id: ws.id,
            name: "Mail".into(),
            visibility: ConnectorVisibility::Private,
        })
        .await
        .unwrap();
    let key = backend
        .create_key(NewKey {
            workspace_id: ws.id,
            connector_scope: Some(ConnectorScope::Shared),
            ..Default::default()
        })
        .await
        .unwrap();
    let reach = backend.reachable_connectors(key.key.key_id).await.unwrap();
    assert_eq!(
        reach.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![shared.id]
    );
    backend
        .set_connector_visibility(private.id, ConnectorVisibility::Shared)
        .await
        .unwrap();
    assert_eq!(
        backend
            .reachable_connectors(key.key.key_id)
            .await
            .unwrap()
            .len(),
        2
    );
    backend.delete_connector(private.id).await.unwrap();
    assert_eq!(backend.list_connectors(ws.id).await.unwrap().len(), 1);

    // Keys expiring today are expired three (shifted) days later; bulk delete.
    let today = chrono::Utc::now().date_naive();
    for _ in 0..2 {
        backend
            .create_key(NewKey {
                workspace_id: ws.id,
                expiration: Some(today),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    std::fs::write(&shift, "3").unwrap();
    let expired = backend
        .list_keys(KeyFilter {
            status: Some(KeyStatus::Expired),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(expired.keys.len(), 2);
    let ids = expired.keys.iter().map(|k| k.key_id).collect();
    assert_eq!(backend.delete_keys(ids).await.unwrap(), 2);

    // Removing a member, the user, and the audit trail of it all.
    backend.remove_member(ws.id, bob.id).await.unwrap();
    backend.set_user_role(bob.id, OrgRole::Admin).await.unwrap();
    backend.remove_user(bob.id).await.unwrap();
    let audit = backend
        .list_audit(AuditFilter {
            action: Some("api_key.deleted".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
    assert!(!backend
        .list_audit(AuditFilter::default())
        .await
        .unwrap()
        .is_empty());
}

#[test]
fn damaged_pepper_is_refused_not_replaced() {
    let dir = TempDir::new();
    let path = dir.0.join(PEPPER_FILE);
    std::fs::write(&path, b"short").unwrap();
    let err = load_or_create_pepper(&path).unwrap_err();
    assert_eq!(err.code, crate::error::ErrorCode::Unavailable);
    assert_eq!(std::fs::read(&path).unwrap(), b"short");
}
