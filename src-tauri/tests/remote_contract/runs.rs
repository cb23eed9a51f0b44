//! The whole contract, run on the local backend and on real servers.

use keydesk_core::secret::Sensitive;
use keydesk_desktop::backend::{Backend, BackendMode, BootstrapInput};
use keydesk_desktop::local::LocalBackend;
use keydesk_desktop::remote::RemoteBackend;

use crate::audit::audit_lists_changes_newest_first_and_filters_them;
use crate::connectors::{
    connectors_are_created_shared_and_deleted, keys_reach_connectors_by_their_scope,
};
use crate::fixtures::{sign_in, Meter};
use crate::keys::{
    key_rename_rotate_with_grace_and_delete, key_secret_is_shown_once_then_only_hidden,
    keys_sort_by_name_on_the_backend,
};
use crate::mistakes::one_mistake_one_answer_and_nothing_half_applied;
use crate::organization::{
    organization_policy_is_set_and_cleared, state_names_the_organization_and_user,
};
use crate::support::{fresh_postgres_database, TestServer};
use crate::usage::usage_is_reported_per_month_day_model_and_key;
use crate::users::{members_are_added_changed_and_removed, users_are_added_promoted_and_removed};
use crate::workspaces::{
    deleting_a_workspace_needs_confirmation, duplicate_workspace_name_is_a_conflict,
    the_default_workspace_cannot_be_deleted, validation_error_names_the_field,
    workspace_create_list_rename,
};

/// Every scenario, in order, on one backend.
async fn contract(b: &dyn Backend, mode: BackendMode, email: &str, meter: &Meter) {
    state_names_the_organization_and_user(b, mode, email).await;
    workspace_create_list_rename(b).await;
    validation_error_names_the_field(b).await;
    duplicate_workspace_name_is_a_conflict(b).await;
    key_secret_is_shown_once_then_only_hidden(b).await;
    key_rename_rotate_with_grace_and_delete(b).await;
    deleting_a_workspace_needs_confirmation(b).await;
    the_default_workspace_cannot_be_deleted(b).await;
    users_are_added_promoted_and_removed(b).await;
    members_are_added_changed_and_removed(b).await;
    connectors_are_created_shared_and_deleted(b).await;
    organization_policy_is_set_and_cleared(b).await;
    keys_sort_by_name_on_the_backend(b).await;
    usage_is_reported_per_month_day_model_and_key(b, meter).await;
    keys_reach_connectors_by_their_scope(b).await;
    audit_lists_changes_newest_first_and_filters_them(b).await;
    one_mistake_one_answer_and_nothing_half_applied(b).await;
}

/// `CI` set to anything but empty, `0` or `false`, as CI services set it.
fn running_in_ci() -> bool {
    std::env::var("CI")
        .is_ok_and(|v| !matches!(v.trim().to_ascii_lowercase().as_str(), "" | "0" | "false"))
}

#[tokio::test]
async fn contract_holds_for_the_local_backend() {
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::open(dir.path()).await.unwrap();
    backend
        .bootstrap(BootstrapInput {
            org_name: "Acme".into(),
            admin_email: "ada@example.com".into(),
            admin_name: "Ada Lovelace".into(),
        })
        .await
        .unwrap();
    let meter = Meter::local(dir.path()).await;
    contract(&backend, BackendMode::Local, "ada@example.com", &meter).await;
}

#[tokio::test]
async fn contract_holds_for_the_remote_backend_on_sqlite() {
    let server = TestServer::start(None);
    let app_dir = tempfile::tempdir().unwrap();
    let backend = sign_in(&server, app_dir.path()).await;
    contract(
        &backend,
        BackendMode::Remote,
        &server.admin_email,
        &Meter::remote(&server),
    )
    .await;
    assert!(backend.offline_status().is_none());
}

#[tokio::test]
async fn contract_holds_for_the_remote_backend_on_postgres() {
    let url = std::env::var("KEYDESK_TEST_POSTGRES_URL").unwrap_or_default();
    if url.is_empty() {
        // In CI a skipped PostgreSQL run would pass unnoticed: there it fails.
        assert!(
            !running_in_ci(),
            "KEYDESK_TEST_POSTGRES_URL must be set in CI (run the tests through scripts/with-postgres.sh)"
        );
        eprintln!("SKIPPED: KEYDESK_TEST_POSTGRES_URL is not set (bash scripts/with-postgres.sh provides one)");
        return;
    }
    let database = fresh_postgres_database(&url).await;
    let server = TestServer::start(Some(database));
    let app_dir = tempfile::tempdir().unwrap();
    let backend = sign_in(&server, app_dir.path()).await;
    contract(
        &backend,
        BackendMode::Remote,
        &server.admin_email,
        &Meter::remote(&server),
    )
    .await;
}

#[tokio::test]
async fn contract_holds_with_an_admin_api_key() {
    let server = TestServer::start(None);
    let app_dir = tempfile::tempdir().unwrap();
    let backend = RemoteBackend::with_admin_key(
        &server.url,
        Sensitive::new(server.admin_api_key.clone()),
        app_dir.path(),
    )
    .await
    .unwrap();
    contract(
        &backend,
        BackendMode::Remote,
        &server.admin_email,
        &Meter::remote(&server),
    )
    .await;
    // Signing out of a key-based profile revokes nothing: the key still works.
    backend.sign_out().await.unwrap();
    backend.list_workspaces().await.unwrap();
}
