//! An organization member's own keys in remote mode: listed, created and
//! deleted through the self-service endpoints (`/v1/me/api-keys`), with the
//! same rules and answers as the admin's list, and nothing of anyone else's.

use keydesk_core::model::{KeyFilter, NewKey, OrgRole, WorkspaceRole};
use keydesk_core::secret::Sensitive;
use keydesk_core::NewUser;
use keydesk_desktop::backend::Backend;
use keydesk_desktop::error::ErrorCode;
use keydesk_desktop::remote::RemoteBackend;

use crate::fixtures::sign_in;
use crate::support::TestServer;

/// How many requests the server answered on `route` so far (its metrics).
async fn answered(server: &TestServer, route: &str) -> u64 {
    let page = reqwest::get(format!("{}/metrics", server.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    page.lines()
        .filter(|l| {
            l.starts_with("keydesk_http_requests_total{")
                && l.contains(&format!("route=\"{route}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

#[tokio::test]
async fn a_members_own_keys_go_through_the_self_service_endpoints() {
    let server = TestServer::start(None);
    let dir = tempfile::tempdir().unwrap();
    let admin = sign_in(&server, dir.path()).await;
    let member = admin
        .create_user(NewUser {
            email: "dev@example.com".into(),
            name: "Dana Dev".into(),
            org_role: OrgRole::Member,
        })
        .await
        .unwrap();
    let home = admin
        .list_workspaces()
        .await
        .unwrap()
        .into_iter()
        .find(|w| w.is_default)
        .unwrap();
    admin
        .add_member(home.id, member.id, WorkspaceRole::Member)
        .await
        .unwrap();
    let admins_key = admin
        .create_key(NewKey {
            workspace_id: home.id,
            name: Some("admin's".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let password = server.issue_password(member.id).await;
    let member_dir = tempfile::tempdir().unwrap();
    let dana = RemoteBackend::sign_in(
        &server.url,
        "dev@example.com",
        Sensitive::new(password),
        member_dir.path(),
    )
    .await
    .unwrap();

    let before = answered(&server, "/v1/me/api-keys").await;
    let created = dana
        .create_key(NewKey {
            workspace_id: home.id,
            name: Some("laptop".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(created.key.owner_id, member.id);
    assert!(
        created.secret.expose().len() > 20,
        "the secret is shown once, at creation"
    );

    let mine = dana
        .list_keys(KeyFilter {
            owner_id: Some(member.id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        mine.keys.iter().map(|k| k.key_id).collect::<Vec<_>>(),
        vec![created.key.key_id]
    );
    let searched = dana
        .list_keys(KeyFilter {
            search: Some("lapt".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        searched.total, 1,
        "the self-service list searches like the admin's"
    );
    assert_eq!(
        answered(&server, "/v1/me/api-keys").await - before,
        3,
        "create and both lists went through /v1/me/api-keys"
    );

    // Someone else's key is not theirs to delete: "not found", as on the server.
    let refused = dana.delete_key(admins_key.key.key_id).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::NotFound);
    dana.delete_key(created.key.key_id).await.unwrap();
    assert_eq!(answered(&server, "/v1/me/api-keys/{key_id}").await, 2);
    assert!(dana
        .list_keys(KeyFilter::default())
        .await
        .unwrap()
        .keys
        .is_empty());
    // The admin's key is still there.
    assert_eq!(
        admin.list_keys(KeyFilter::default()).await.unwrap().total,
        1
    );
    // A member who administers no workspace has no spend alerts to hear of.
    assert!(dana.spend_alerts(None).await.unwrap().is_empty());
}
