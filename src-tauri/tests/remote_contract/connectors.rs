//! Contract scenarios on connectors and which of them a key reaches.

use keydesk_core::model::{
    Connector, ConnectorScope, ConnectorVisibility, NewConnector, NewKey, NewWorkspace, OrgRole,
    WorkspaceRole,
};
use keydesk_desktop::backend::Backend;
use keydesk_desktop::error::ErrorCode;
use uuid::Uuid;

use crate::fixtures::unique;

pub async fn connectors_are_created_shared_and_deleted(b: &dyn Backend) {
    let ws = b
        .create_workspace(NewWorkspace {
            name: unique("Conn"),
            ..Default::default()
        })
        .await
        .unwrap();
    let c = b
        .create_connector(NewConnector {
            workspace_id: ws.id,
            name: "Drive".into(),
            visibility: ConnectorVisibility::Private,
        })
        .await
        .unwrap();
    assert_eq!(c.visibility, ConnectorVisibility::Private);
    let shared = b
        .set_connector_visibility(c.id, ConnectorVisibility::Shared)
        .await
        .unwrap();
    assert_eq!(shared.visibility, ConnectorVisibility::Shared);
    assert_eq!(
        b.list_connectors(ws.id)
            .await
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>(),
        vec![c.id]
    );
    let empty = b
        .create_connector(NewConnector {
            workspace_id: ws.id,
            name: " ".into(),
            visibility: ConnectorVisibility::Shared,
        })
        .await
        .unwrap_err();
    assert_eq!(
        (empty.code, empty.field.as_deref()),
        (ErrorCode::Validation, Some("name"))
    );
    b.delete_connector(c.id).await.unwrap();
    assert!(b.list_connectors(ws.id).await.unwrap().is_empty());
}

fn connector_names(list: &[Connector]) -> Vec<(String, ConnectorVisibility)> {
    list.iter()
        .map(|c| (c.name.clone(), c.visibility))
        .collect()
}

pub async fn keys_reach_connectors_by_their_scope(b: &dyn Backend) {
    let ws = b
        .create_workspace(NewWorkspace {
            name: unique("Reach"),
            ..Default::default()
        })
        .await
        .unwrap();
    let connector = |name: &str, visibility| NewConnector {
        workspace_id: ws.id,
        name: name.into(),
        visibility,
    };
    b.create_connector(connector("Drive", ConnectorVisibility::Shared))
        .await
        .unwrap();
    let mail = b
        .create_connector(connector("Mail", ConnectorVisibility::Private))
        .await
        .unwrap();
    let email = format!("{}@example.com", unique("reach").replace(' ', "-"));
    let colleague = b
        .create_user(keydesk_core::NewUser {
            email,
            name: "Col League".into(),
            org_role: OrgRole::Member,
        })
        .await
        .unwrap();
    b.add_member(ws.id, colleague.id, WorkspaceRole::Member)
        .await
        .unwrap();
    let key = |owner: Option<Uuid>, scope| NewKey {
        workspace_id: ws.id,
        user_id: owner,
        connector_scope: Some(scope),
        ..Default::default()
    };
    let shared_only = b
        .create_key(key(None, ConnectorScope::Shared))
        .await
        .unwrap()
        .key
        .key_id;
    let mine_too = b
        .create_key(key(None, ConnectorScope::PrivateAndShared))
        .await
        .unwrap()
        .key
        .key_id;
    let theirs = b
        .create_key(key(Some(colleague.id), ConnectorScope::PrivateAndShared))
        .await
        .unwrap()
        .key
        .key_id;

    let drive = ("Drive".to_owned(), ConnectorVisibility::Shared);
    let private_mail = ("Mail".to_owned(), ConnectorVisibility::Private);
    assert_eq!(
        connector_names(&b.reachable_connectors(shared_only).await.unwrap()),
        vec![drive.clone()]
    );
    assert_eq!(
        connector_names(&b.reachable_connectors(mine_too).await.unwrap()),
        vec![drive.clone(), private_mail]
    );
    // The private connector is its owner's: another user's key never reaches it.
    assert_eq!(
        connector_names(&b.reachable_connectors(theirs).await.unwrap()),
        vec![drive.clone()]
    );
    b.set_connector_visibility(mail.id, ConnectorVisibility::Shared)
        .await
        .unwrap();
    let shared_mail = ("Mail".to_owned(), ConnectorVisibility::Shared);
    assert_eq!(
        connector_names(&b.reachable_connectors(shared_only).await.unwrap()),
        vec![drive, shared_mail]
    );
    assert_eq!(
        b.reachable_connectors(Uuid::new_v4())
            .await
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
}
