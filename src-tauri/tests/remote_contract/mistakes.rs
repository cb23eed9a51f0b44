//! Contract scenario on mistakes: one answer on both backends, nothing half applied.

use keydesk_core::model::{NewKey, NewWorkspace, WorkspacePatch};
use keydesk_desktop::backend::Backend;
use keydesk_desktop::error::ErrorCode;
use uuid::Uuid;

use crate::fixtures::unique;

/// Mistakes that once got different answers, or a half-applied change, in
/// remote mode: the core rules decide on both backends, in one call.
pub async fn one_mistake_one_answer_and_nothing_half_applied(b: &dyn Backend) {
    // The default workspace is refused as such, confirmed or not.
    let default = b
        .list_workspaces()
        .await
        .unwrap()
        .into_iter()
        .find(|w| w.is_default)
        .unwrap();
    let err = b.delete_workspace(default.id, false).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
    let err = b.delete_workspace(Uuid::new_v4(), false).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound, "{err:?}");

    // Several keys: all of them, or none when one cannot go.
    let ws = b
        .create_workspace(NewWorkspace {
            name: unique("Bulk"),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut ids = vec![];
    for _ in 0..2 {
        ids.push(
            b.create_key(NewKey {
                workspace_id: ws.id,
                ..Default::default()
            })
            .await
            .unwrap()
            .key
            .key_id,
        );
    }
    let err = b
        .delete_keys(vec![ids[0], Uuid::new_v4()])
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound, "{err:?}");
    assert_eq!(
        b.workspace_key_count(ws.id).await.unwrap(),
        2,
        "the first key was not deleted alone"
    );
    assert_eq!(b.delete_keys(ids).await.unwrap(), 2);
    assert_eq!(b.workspace_key_count(ws.id).await.unwrap(), 0);

    // A workspace patch with a refused setting changes nothing.
    let patch = WorkspacePatch {
        name: Some(unique("Renamed")),
        monthly_spend_limit_micros: Some(Some(-1)),
        ..Default::default()
    };
    let err = b.update_workspace(ws.id, patch).await.unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::Validation, Some("monthly_spend_limit")),
        "{err:?}"
    );
    let now = b
        .list_workspaces()
        .await
        .unwrap()
        .into_iter()
        .find(|w| w.id == ws.id)
        .unwrap();
    assert_eq!(now.name, ws.name);
}
