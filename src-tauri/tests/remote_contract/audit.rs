//! Contract scenario on the audit log: newest first, and its filters.

use chrono::Utc;
use keydesk_core::model::{AuditEvent, AuditFilter, NewKey, NewWorkspace};
use keydesk_desktop::backend::Backend;
use keydesk_desktop::error::ErrorCode;
use uuid::Uuid;

use crate::fixtures::unique;

pub async fn audit_lists_changes_newest_first_and_filters_them(b: &dyn Backend) {
    let me = b.state().await.unwrap().user.unwrap();
    let since = Utc::now();
    let ws = b
        .create_workspace(NewWorkspace {
            name: unique("Audited"),
            ..Default::default()
        })
        .await
        .unwrap();
    let key = b
        .create_key(NewKey {
            workspace_id: ws.id,
            name: Some("before".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .key;
    b.rename_key(key.key_id, Some("after".into()))
        .await
        .unwrap();
    b.delete_key(key.key_id).await.unwrap();

    let filter = |f: AuditFilter| AuditFilter {
        since: Some(since),
        ..f
    };
    let actions =
        |events: Vec<AuditEvent>| events.into_iter().map(|e| e.action).collect::<Vec<_>>();
    let about_key = b
        .list_audit(filter(AuditFilter {
            target_id: Some(key.key_id),
            ..Default::default()
        }))
        .await
        .unwrap();
    assert_eq!(
        actions(about_key),
        ["api_key.deleted", "api_key.renamed", "api_key.created"]
    );
    let renames = b
        .list_audit(filter(AuditFilter {
            action: Some("api_key.renamed".into()),
            target_id: Some(key.key_id),
            ..Default::default()
        }))
        .await
        .unwrap();
    assert_eq!(renames.len(), 1);
    let rename = &renames[0];
    assert_eq!(
        (rename.actor_id, rename.actor_email.as_deref()),
        (Some(me.id), Some(me.email.as_str()))
    );
    assert_eq!(
        (rename.target_type.as_str(), rename.target_id),
        ("api_key", Some(key.key_id))
    );
    assert_eq!(rename.before.as_ref().unwrap()["name"], "before");
    assert_eq!(rename.after.as_ref().unwrap()["name"], "after");
    assert!(rename.at >= since - chrono::Duration::milliseconds(1) && rename.at <= Utc::now());

    let about_ws = b
        .list_audit(filter(AuditFilter {
            target_id: Some(ws.id),
            ..Default::default()
        }))
        .await
        .unwrap();
    assert_eq!(actions(about_ws), ["workspace.created"]);
    let mine = |limit, offset| {
        filter(AuditFilter {
            actor_id: Some(me.id),
            limit: Some(limit),
            offset: Some(offset),
            ..Default::default()
        })
    };
    assert_eq!(
        actions(b.list_audit(mine(1, 0)).await.unwrap()),
        ["api_key.deleted"]
    );
    assert_eq!(
        actions(b.list_audit(mine(2, 1)).await.unwrap()),
        ["api_key.renamed", "api_key.created"]
    );
    let nobody = filter(AuditFilter {
        actor_id: Some(Uuid::new_v4()),
        ..Default::default()
    });
    assert!(b.list_audit(nobody).await.unwrap().is_empty());
    let before_it = AuditFilter {
        until: Some(since - chrono::Duration::milliseconds(1)),
        target_id: Some(key.key_id),
        ..Default::default()
    };
    assert!(b.list_audit(before_it).await.unwrap().is_empty());
    let err = b
        .list_audit(AuditFilter {
            limit: Some(0),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::Validation, Some("limit"))
    );
}
