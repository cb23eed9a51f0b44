//! Connectors: which ones a key reaches, and who may change them.

use keydesk_core::model::*;
use keydesk_core::ErrorCode;

use crate::common::envs;
use crate::support::{add_user, new_key, workspace};

#[tokio::test]
async fn connector_scope_decides_which_connectors_a_key_reaches() {
    for env in envs().await {
        let ws = workspace(&env, "Conn").await;
        let dev = add_user(&env, "dev@example.com", OrgRole::Member).await;
        env.svc.add_member(&env.admin, ws.id, dev.user_id, WorkspaceRole::Member).await.unwrap();
        let shared = env
            .svc
            .create_connector(
                &env.admin,
                NewConnector { workspace_id: ws.id, name: "Drive".into(), visibility: ConnectorVisibility::Shared },
            )
            .await
            .unwrap();
        let mine = env
            .svc
            .create_connector(&dev, NewConnector { workspace_id: ws.id, name: "My mail".into(), visibility: ConnectorVisibility::Private })
            .await
            .unwrap();
        let err = env
            .svc
            .create_connector(&dev, NewConnector { workspace_id: ws.id, name: "Wiki".into(), visibility: ConnectorVisibility::Shared })
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden, "{}", env.label);
        let shared_only = env.svc.create_key(&dev, new_key(ws.id, "auto")).await.unwrap();
        let private_too = env
            .svc
            .create_key(&dev, NewKey { connector_scope: Some(ConnectorScope::PrivateAndShared), ..new_key(ws.id, "me") })
            .await
            .unwrap();
        let ids = |v: Vec<Connector>| v.into_iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids(env.svc.reachable_connectors(&dev, shared_only.key.key_id).await.unwrap()), vec![shared.id], "{}", env.label);
        let mut both = ids(env.svc.reachable_connectors(&dev, private_too.key.key_id).await.unwrap());
        both.sort();
        let mut want = vec![shared.id, mine.id];
        want.sort();
        assert_eq!(both, want);
        // The admin's private-scope key does not reach the developer's private connector.
        let admin_key = env
            .svc
            .create_key(&env.admin, NewKey { connector_scope: Some(ConnectorScope::PrivateAndShared), ..new_key(ws.id, "adm") })
            .await
            .unwrap();
        assert_eq!(ids(env.svc.reachable_connectors(&env.admin, admin_key.key.key_id).await.unwrap()), vec![shared.id]);
    }
}

#[tokio::test]
async fn connectors_are_changed_by_their_owner_or_a_workspace_admin_only() {
    for env in envs().await {
        let ws = workspace(&env, "Conn admin").await;
        let dev = add_user(&env, "dev@example.com", OrgRole::Member).await;
        let peer = add_user(&env, "peer@example.com", OrgRole::Member).await;
        let lead = add_user(&env, "lead@example.com", OrgRole::Member).await;
        env.svc.add_member(&env.admin, ws.id, dev.user_id, WorkspaceRole::Member).await.unwrap();
        env.svc.add_member(&env.admin, ws.id, peer.user_id, WorkspaceRole::Member).await.unwrap();
        env.svc.add_member(&env.admin, ws.id, lead.user_id, WorkspaceRole::Admin).await.unwrap();
        let private = |name: &str| NewConnector { workspace_id: ws.id, name: name.into(), visibility: ConnectorVisibility::Private };
        let devs = env.svc.create_connector(&dev, private("dev mail")).await.unwrap();
        let devs2 = env.svc.create_connector(&dev, private("dev drive")).await.unwrap();
        // Another member does not even see it.
        assert_eq!(env.svc.delete_connector(&peer, devs.id).await.unwrap_err().code, ErrorCode::NotFound, "{}", env.label);
        // The owner may delete it; a member may not share it with the workspace.
        let err = env.svc.set_connector_visibility(&dev, devs2.id, ConnectorVisibility::Shared).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden, "{}", env.label);
        env.svc.delete_connector(&dev, devs.id).await.unwrap();
        // The workspace admin may share or delete anyone's.
        let shared = env.svc.set_connector_visibility(&lead, devs2.id, ConnectorVisibility::Shared).await.unwrap();
        assert_eq!(shared.visibility, ConnectorVisibility::Shared);
        env.svc.delete_connector(&lead, devs2.id).await.unwrap();
        assert!(env.svc.list_connectors(&env.admin, ws.id).await.unwrap().is_empty(), "{}", env.label);
    }
}
