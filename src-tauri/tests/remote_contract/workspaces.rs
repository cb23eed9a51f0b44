//! Contract scenarios on workspaces: create, list, rename, refuse, delete.

use keydesk_core::model::{NewKey, NewWorkspace, WorkspacePatch};
use keydesk_desktop::backend::Backend;
use keydesk_desktop::error::ErrorCode;

use crate::fixtures::unique;

pub async fn workspace_create_list_rename(b: &dyn Backend) {
    let name = unique("Research");
    let ws = b
        .create_workspace(NewWorkspace {
            name: name.clone(),
            description: "models and evals".into(),
            icon: "R".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(ws.name, name);
    assert_eq!(ws.description, "models and evals");
    assert!(!ws.is_default);
    assert_eq!(ws.members_count, 1, "the creator is its first admin");

    let listed = b.list_workspaces().await.unwrap();
    assert!(listed.iter().any(|w| w.id == ws.id && w.name == name));
    assert!(listed.iter().any(|w| w.is_default));

    let renamed = unique("Research and Development");
    let updated = b
        .update_workspace(
            ws.id,
            WorkspacePatch {
                name: Some(renamed.clone()),
                monthly_spend_limit_micros: Some(Some(25_000_000)),
                key_max_days: Some(Some(30)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name, renamed);
    assert_eq!(updated.description, "models and evals");
    assert_eq!(updated.monthly_spend_limit_micros, Some(25_000_000));
    assert_eq!(updated.key_max_days, Some(30));
    let listed = b.list_workspaces().await.unwrap();
    let again = listed.iter().find(|w| w.id == ws.id).unwrap();
    assert_eq!(again, &updated);
}

pub async fn validation_error_names_the_field(b: &dyn Backend) {
    let err = b
        .create_workspace(NewWorkspace {
            name: "   ".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Validation, "{err:?}");
    assert_eq!(err.field.as_deref(), Some("name"));
}

pub async fn duplicate_workspace_name_is_a_conflict(b: &dyn Backend) {
    let name = unique("Platform");
    b.create_workspace(NewWorkspace {
        name: name.clone(),
        ..Default::default()
    })
    .await
    .unwrap();
    let err = b
        .create_workspace(NewWorkspace {
            name,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
    assert_eq!(err.field.as_deref(), Some("name"));
}

pub async fn deleting_a_workspace_needs_confirmation(b: &dyn Backend) {
    let ws = b
        .create_workspace(NewWorkspace {
            name: unique("Temporary"),
            ..Default::default()
        })
        .await
        .unwrap();
    for _ in 0..2 {
        b.create_key(NewKey {
            workspace_id: ws.id,
            ..Default::default()
        })
        .await
        .unwrap();
    }
    assert_eq!(b.workspace_key_count(ws.id).await.unwrap(), 2);
    let err = b.delete_workspace(ws.id, false).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Validation);
    assert_eq!(err.field.as_deref(), Some("confirm"));
    assert!(b
        .list_workspaces()
        .await
        .unwrap()
        .iter()
        .any(|w| w.id == ws.id));

    assert_eq!(b.delete_workspace(ws.id, true).await.unwrap(), 2);
    assert!(!b
        .list_workspaces()
        .await
        .unwrap()
        .iter()
        .any(|w| w.id == ws.id));
    let err = b.delete_workspace(ws.id, true).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
}

pub async fn the_default_workspace_cannot_be_deleted(b: &dyn Backend) {
    let default = b
        .list_workspaces()
        .await
        .unwrap()
        .into_iter()
        .find(|w| w.is_default)
        .unwrap();
    let err = b.delete_workspace(default.id, true).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
}
