//! What gateway requests produce, as the desktop shows it: spend, usage, last use.

use chrono::Utc;
use keydesk_core::model::{KeyFilter, NewKey, NewWorkspace};
use keydesk_desktop::backend::Backend;
use uuid::Uuid;

use crate::fixtures::sign_in;
use crate::support::{FakeUpstream, TestServer};

#[tokio::test]
async fn the_desktop_shows_the_spend_usage_and_last_use_that_gateway_requests_produced() {
    let upstream = FakeUpstream::start();
    let server = TestServer::start_with_gateway(&upstream);
    let app_dir = tempfile::tempdir().unwrap();
    let backend = sign_in(&server, app_dir.path()).await;
    let ws = backend
        .create_workspace(NewWorkspace {
            name: "Gateway".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let used = backend
        .create_key(NewKey {
            workspace_id: ws.id,
            name: Some("used".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let idle = backend
        .create_key(NewKey {
            workspace_id: ws.id,
            name: Some("idle".into()),
            ..Default::default()
        })
        .await
        .unwrap();

    // Two requests through the gateway: 7 prompt tokens (70 micro-USD)
    // and 10 output tokens (300) each.
    let http = reqwest::Client::new();
    for _ in 0..2 {
        let res = http
            .post(format!("{}/v1/chat/completions", server.url))
            .bearer_auth(used.secret.expose())
            .header("x-fake-completion-tokens", "10")
            .json(&serde_json::json!({"model": "fake-model", "messages": [{"role": "user", "content": "Say hello to the gateway."}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let spend = loop {
        let spend = backend.monthly_spend(ws.id).await.unwrap();
        if spend.requests == 2 || std::time::Instant::now() > deadline {
            break spend;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!((spend.requests, spend.spent_micros), (2, 740));
    assert_eq!((spend.input_tokens, spend.output_tokens), (14, 20));

    let by_key = backend.usage_by_key(ws.id).await.unwrap();
    assert_eq!(by_key.len(), 1, "only the used key has usage: {by_key:?}");
    assert_eq!(
        (by_key[0].key_id, by_key[0].requests, by_key[0].cost_micros),
        (used.key.key_id, 2, 740)
    );

    let keys = backend
        .list_keys(KeyFilter {
            workspace_id: Some(ws.id),
            ..Default::default()
        })
        .await
        .unwrap()
        .keys;
    let last_used = |id: Uuid| keys.iter().find(|k| k.key_id == id).unwrap().last_used_at;
    let when = last_used(used.key.key_id).expect("the used key shows when it was used");
    assert!((Utc::now() - when).num_seconds() < 60, "{when}");
    assert_eq!(last_used(idle.key.key_id), None);
}
