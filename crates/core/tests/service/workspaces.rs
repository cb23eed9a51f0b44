//! Workspaces: validation, unique names, deletion, and their rate limits.

use keydesk_core::model::*;
use keydesk_core::ErrorCode;

use crate::common::envs;
use crate::support::{new_key, workspace};

#[tokio::test]
async fn workspace_validation_errors_name_the_field() {
    for env in envs().await {
        let cases = [
            (NewWorkspace { name: "  ".into(), ..Default::default() }, "name"),
            (NewWorkspace { name: "x".repeat(256), ..Default::default() }, "name"),
            (NewWorkspace { name: "ok".into(), icon: "abc".into(), ..Default::default() }, "icon"),
            (NewWorkspace { name: "ok".into(), description: "d".repeat(256), ..Default::default() }, "description"),
        ];
        for (input, field) in cases {
            let err = env.svc.create_workspace(&env.admin, input).await.unwrap_err();
            assert_eq!(err.code, ErrorCode::Validation, "{}", env.label);
            assert_eq!(err.field.as_deref(), Some(field), "{}", env.label);
        }
        // Nothing was created by the refused attempts.
        assert_eq!(env.svc.list_workspaces(&env.admin).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn duplicate_workspace_name_is_a_conflict_naming_the_name() {
    for env in envs().await {
        workspace(&env, "Équipe Data").await;
        let err =
            env.svc.create_workspace(&env.admin, NewWorkspace { name: "équipe data".into(), ..Default::default() }).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict, "{}", env.label);
        assert_eq!(err.field.as_deref(), Some("name"));
    }
}

#[tokio::test]
async fn default_workspace_cannot_be_deleted() {
    for env in envs().await {
        let default = env.svc.list_workspaces(&env.admin).await.unwrap().remove(0);
        let err = env.svc.delete_workspace(&env.admin, default.id, true).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict, "{}", env.label);
        assert_eq!(env.svc.list_workspaces(&env.admin).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn deleting_a_workspace_needs_confirmation_and_revokes_its_keys() {
    for env in envs().await {
        let ws = workspace(&env, "Temp").await;
        let k1 = env.svc.create_key(&env.admin, new_key(ws.id, "one")).await.unwrap();
        env.svc.create_key(&env.admin, new_key(ws.id, "two")).await.unwrap();
        assert_eq!(env.svc.workspace_key_count(&env.admin, ws.id).await.unwrap(), 2);
        let err = env.svc.delete_workspace(&env.admin, ws.id, false).await.unwrap_err();
        assert_eq!(err.field.as_deref(), Some("confirm"), "{}", env.label);
        assert!(err.message.contains("2 API key"), "{}", err.message);
        assert!(env.svc.authenticate_key(k1.secret.expose()).await.unwrap().is_some(), "unconfirmed delete changed nothing");
        assert_eq!(env.svc.delete_workspace(&env.admin, ws.id, true).await.unwrap(), 2);
        assert!(env.svc.authenticate_key(k1.secret.expose()).await.unwrap().is_none(), "{}", env.label);
        let err = env.svc.get_workspace(&env.admin, ws.id).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound);
    }
}

#[tokio::test]
async fn workspace_rate_limits_per_model_are_stored_and_read_back() {
    for env in envs().await {
        let ws = workspace(&env, "Limited").await;
        let limits = RateLimits {
            requests_per_second: Some(5),
            tokens_per_minute: [("mistral-large-latest".to_string(), 200_000), ("mistral-small-latest".to_string(), 2_000_000)].into(),
        };
        let updated = env
            .svc
            .update_workspace(&env.admin, ws.id, WorkspacePatch { rate_limits: Some(limits.clone()), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(updated.rate_limits, limits, "{}", env.label);
        assert_eq!(env.svc.get_workspace(&env.admin, ws.id).await.unwrap().rate_limits, limits, "{}: read back", env.label);
        let listed = env.svc.list_workspaces(&env.admin).await.unwrap().into_iter().find(|w| w.id == ws.id).unwrap();
        assert_eq!(listed.rate_limits, limits, "{}: in the list", env.label);
        // Other settings leave them alone; clearing them is possible.
        env.svc.update_workspace(&env.admin, ws.id, WorkspacePatch { description: Some("d".into()), ..Default::default() }).await.unwrap();
        assert_eq!(env.svc.get_workspace(&env.admin, ws.id).await.unwrap().rate_limits, limits, "{}", env.label);
        let none = RateLimits { requests_per_second: None, tokens_per_minute: Default::default() };
        env.svc
            .update_workspace(&env.admin, ws.id, WorkspacePatch { rate_limits: Some(none.clone()), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(env.svc.get_workspace(&env.admin, ws.id).await.unwrap().rate_limits, none, "{}", env.label);
    }
}

#[tokio::test]
async fn invalid_workspace_rate_limits_are_refused_naming_the_field() {
    for env in envs().await {
        let ws = workspace(&env, "Bad limits").await;
        let tpm = |model: &str, v: i64| RateLimits { requests_per_second: None, tokens_per_minute: [(model.to_string(), v)].into() };
        let cases = [
            (RateLimits { requests_per_second: Some(0), tokens_per_minute: Default::default() }, "requests_per_second"),
            (RateLimits { requests_per_second: Some(-3), tokens_per_minute: Default::default() }, "requests_per_second"),
            (tpm("mistral-large-latest", 0), "tokens_per_minute"),
            (tpm("mistral-large-latest", -100), "tokens_per_minute"),
            (tpm("  ", 1000), "tokens_per_minute"),
        ];
        for (limits, field) in cases {
            let err = env
                .svc
                .update_workspace(&env.admin, ws.id, WorkspacePatch { rate_limits: Some(limits.clone()), ..Default::default() })
                .await
                .unwrap_err();
            assert_eq!((err.code, err.field.as_deref()), (ErrorCode::Validation, Some(field)), "{}: {limits:?}", env.label);
        }
        let stored = env.svc.get_workspace(&env.admin, ws.id).await.unwrap().rate_limits;
        assert_eq!(stored.requests_per_second, None, "{}: nothing refused was stored", env.label);
        assert!(stored.tokens_per_minute.is_empty(), "{}", env.label);
    }
}
