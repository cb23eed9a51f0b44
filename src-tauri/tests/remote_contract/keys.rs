//! Contract scenarios on API keys: the secret shown once, rename, rotate, delete, sort.

use keydesk_core::model::{KeyFilter, KeySort, KeySortColumn, KeyStatus, NewKey, NewWorkspace};
use keydesk_desktop::backend::Backend;
use keydesk_desktop::error::ErrorCode;
use uuid::Uuid;

use crate::fixtures::unique;

pub async fn key_secret_is_shown_once_then_only_hidden(b: &dyn Backend) {
    let ws = b
        .create_workspace(NewWorkspace {
            name: unique("Keys"),
            ..Default::default()
        })
        .await
        .unwrap();
    let issued = b
        .create_key(NewKey {
            workspace_id: ws.id,
            name: Some("ci".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let secret = issued.secret.expose().clone();
    assert!(
        keydesk_core::secret::checksum_ok(&secret),
        "documented key format"
    );
    assert!(
        !format!("{issued:?}").contains(&secret),
        "Debug hides the secret"
    );
    assert_eq!(issued.key.workspace_id, ws.id);
    assert_eq!(issued.key.status, KeyStatus::Active);

    let page = b
        .list_keys(KeyFilter {
            workspace_id: Some(ws.id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    assert!(page.total_exact);
    let listed = &page.keys[0];
    assert_eq!(listed.key_id, issued.key.key_id);
    assert_eq!(
        listed.hidden_key,
        format!("{}...{}", &secret[..4], &secret[secret.len() - 4..])
    );
    let json = serde_json::to_string(&page).unwrap();
    assert!(
        !json.contains(&secret),
        "a listing never carries the secret"
    );

    // The filters the key list offers.
    let by_status = b
        .list_keys(KeyFilter {
            workspace_id: Some(ws.id),
            status: Some(KeyStatus::Expired),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_status.total, 0);
    let by_name = b
        .list_keys(KeyFilter {
            workspace_id: Some(ws.id),
            search: Some("CI".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_name.keys.len(), 1);
    assert_eq!(b.workspace_key_count(ws.id).await.unwrap(), 1);
}

pub async fn key_rename_rotate_with_grace_and_delete(b: &dyn Backend) {
    let ws = b
        .create_workspace(NewWorkspace {
            name: unique("Rotation"),
            ..Default::default()
        })
        .await
        .unwrap();
    let first = b
        .create_key(NewKey {
            workspace_id: ws.id,
            name: Some("deploy".into()),
            ..Default::default()
        })
        .await
        .unwrap();

    let renamed = b
        .rename_key(first.key.key_id, Some("deploy-bot".into()))
        .await
        .unwrap();
    assert_eq!(renamed.name.as_deref(), Some("deploy-bot"));

    // With a grace period, the old key stays until it ends.
    let second = b.rotate_key(first.key.key_id, Some(3600)).await.unwrap();
    assert_ne!(second.key.key_id, first.key.key_id);
    assert_ne!(second.secret.expose(), first.secret.expose());
    assert_eq!(second.key.name.as_deref(), Some("deploy-bot"));
    let page = b
        .list_keys(KeyFilter {
            workspace_id: Some(ws.id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    let old = page
        .keys
        .iter()
        .find(|k| k.key_id == first.key.key_id)
        .unwrap();
    assert!(
        old.delete_after.is_some(),
        "the old key is in its grace period"
    );

    // Without one, the old key is gone at once.
    let third = b.rotate_key(second.key.key_id, None).await.unwrap();
    let page = b
        .list_keys(KeyFilter {
            workspace_id: Some(ws.id),
            ..Default::default()
        })
        .await
        .unwrap();
    let ids: Vec<Uuid> = page.keys.iter().map(|k| k.key_id).collect();
    assert!(ids.contains(&third.key.key_id));
    assert!(!ids.contains(&second.key.key_id));

    b.delete_key(third.key.key_id).await.unwrap();
    let err = b.delete_key(third.key.key_id).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let err = b.rename_key(Uuid::new_v4(), None).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
}

pub async fn keys_sort_by_name_on_the_backend(b: &dyn Backend) {
    let ws = b
        .create_workspace(NewWorkspace {
            name: unique("Sort"),
            ..Default::default()
        })
        .await
        .unwrap();
    for name in ["bravo", "Alpha", "charlie"] {
        b.create_key(NewKey {
            workspace_id: ws.id,
            name: Some(name.into()),
            ..Default::default()
        })
        .await
        .unwrap();
    }
    let list = |descending| KeyFilter {
        workspace_id: Some(ws.id),
        sort: Some(KeySort {
            column: KeySortColumn::Name,
            descending,
        }),
        limit: Some(2),
        ..Default::default()
    };
    let names = |p: keydesk_core::model::KeyPage| {
        p.keys
            .into_iter()
            .map(|k| k.name.unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(b.list_keys(list(false)).await.unwrap()),
        vec!["Alpha", "bravo"]
    );
    assert_eq!(
        names(b.list_keys(list(true)).await.unwrap()),
        vec!["charlie", "bravo"]
    );
}
