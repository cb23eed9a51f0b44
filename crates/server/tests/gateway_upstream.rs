//! The gateway in front of a provider, as real processes: `keydesk-server`
//! on a SQLite file forwarding to the fake upstream, driven over HTTP.
//! What the provider receives, how a stream arrives, what each request is
//! charged, and the tokens-per-minute limit that depends on it.

mod processes;

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use processes::{fake_upstream, micros, price, Admin, Deployment, UPSTREAM_KEY};
use serde_json::{json, Value};

/// "Say hello to the gateway." is 25 bytes: 7 prompt tokens for the fake.
const PROMPT: &str = "Say hello to the gateway.";
const PROMPT_TOKENS: i64 = 7;

fn chat_body(stream: bool, max_tokens: Option<i64>) -> Value {
    let mut body = json!({"model": "fake-model", "stream": stream, "messages": [{"role": "user", "content": PROMPT}]});
    if let Some(m) = max_tokens {
        body["max_tokens"] = m.into();
    }
    body
}

struct Setup {
    upstream: processes::Proc,
    server: processes::Proc,
    deployment: Deployment,
    http: reqwest::Client,
    workspace: String,
    key_id: String,
    secret: String,
}

async fn setup() -> Setup {
    let upstream = fake_upstream();
    let deployment = Deployment::new(None, &upstream.url);
    let server = deployment.serve(None);
    let http = reqwest::Client::new();
    let admin = Admin { http: http.clone(), base: &server.url, key: &deployment.admin_key };
    let workspace = admin.default_workspace().await;
    let (key_id, secret) = admin.create_key(&workspace, &deployment.admin_id, json!({})).await;
    Setup { upstream, server, deployment, http, workspace, key_id, secret }
}

impl Setup {
    fn admin(&self) -> Admin<'_> {
        Admin { http: self.http.clone(), base: &self.server.url, key: &self.deployment.admin_key }
    }

    fn chat(&self, body: &Value, headers: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let mut req = self.http.post(format!("{}/v1/chat/completions", self.server.url)).bearer_auth(&self.secret).json(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req
    }

    async fn upstream_saw(&self) -> Value {
        self.http.get(format!("{}/_last", self.upstream.url)).send().await.unwrap().json().await.unwrap()
    }

    async fn key_usage(&self) -> Value {
        let (status, body) = self.admin().call("GET", &format!("/v1/admin/workspaces/{}/usage/api-keys", self.workspace), None).await;
        assert_eq!(status, 200, "{body}");
        body["keys"].as_array().unwrap().iter().find(|k| k["key_id"] == self.key_id.as_str()).cloned().unwrap_or(Value::Null)
    }
}

#[tokio::test]
async fn a_chat_completion_reaches_the_provider_with_its_credential_and_is_charged_by_its_usage() {
    let s = setup().await;
    let res = s.chat(&chat_body(false, None), &[("x-fake-completion-tokens", "12")]).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["usage"]["completion_tokens"], 12);

    let saw = s.upstream_saw().await;
    assert_eq!(saw["authorization"], format!("Bearer {UPSTREAM_KEY}"), "the provider gets the gateway's credential, never the user's key");
    assert_eq!(saw["body"]["max_tokens"], 4096, "a request without max_tokens is capped at what was reserved");
    assert_eq!(saw["body"]["messages"][0]["content"], PROMPT);

    let spend = s.admin().spend_after(&s.workspace, 1).await;
    assert_eq!(spend["requests"], 1);
    assert_eq!((spend["input_tokens"].as_i64(), spend["output_tokens"].as_i64()), (Some(PROMPT_TOKENS), Some(12)));
    assert_eq!(micros(&spend["spent"]), price(PROMPT_TOKENS, 12));
    let mine = s.key_usage().await;
    assert_eq!((mine["requests"].as_i64(), micros(&mine["cost"])), (Some(1), price(PROMPT_TOKENS, 12)));

    // "Last used" is written with the usage.
    let (_, key) = s.admin().call("GET", &format!("/v1/admin/api-keys/{}", s.key_id), None).await;
    assert!(key["last_used_at"].is_string(), "{key}");
}

#[tokio::test]
async fn a_stream_reaches_the_client_chunk_by_chunk_and_is_charged_by_its_final_usage() {
    let s = setup().await;
    // Four chunks 300 ms apart: the provider needs at least 1.2 s.
    let started = Instant::now();
    let res =
        s.chat(&chat_body(true, Some(50)), &[("x-fake-completion-tokens", "4"), ("x-fake-chunk-delay-ms", "300")]).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut chunks = res.bytes_stream();
    let first = chunks.next().await.unwrap().unwrap();
    let first_at = started.elapsed();
    let mut text = String::from_utf8(first.to_vec()).unwrap();
    while let Some(c) = chunks.next().await {
        text.push_str(std::str::from_utf8(&c.unwrap()).unwrap());
    }
    let done_at = started.elapsed();
    assert!(text.contains("\"content\":\"tok\""), "{text}");
    assert!(first_at < Duration::from_millis(600), "first chunk after {first_at:?}");
    assert!(done_at >= Duration::from_millis(1200), "the stream ended after {done_at:?}");
    assert!(text.contains("\"usage\"") && text.trim_end().ends_with("data: [DONE]"), "the stream is passed on whole: {text}");

    let spend = s.admin().spend_after(&s.workspace, 1).await;
    assert_eq!(micros(&spend["spent"]), price(PROMPT_TOKENS, 4));
}

#[tokio::test]
async fn a_stream_cut_off_midway_is_charged_by_what_was_delivered() {
    let s = setup().await;
    let res = s
        .chat(
            &chat_body(true, Some(100)),
            // Spaced out, so each chunk is on the wire before the cut.
            &[("x-fake-completion-tokens", "40"), ("x-fake-cut-after", "5"), ("x-fake-chunk-delay-ms", "30")],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut chunks = res.bytes_stream();
    let mut delivered = String::new();
    let mut broke = false;
    while let Some(c) = chunks.next().await {
        match c {
            Ok(b) => delivered.push_str(std::str::from_utf8(&b).unwrap()),
            Err(_) => {
                broke = true;
                break;
            }
        }
    }
    assert!(broke, "the client sees the stream break, not a clean end");
    assert_eq!(delivered.matches("\"content\":").count(), 5, "{delivered}");
    assert!(!delivered.contains("\"usage\""));

    let spend = s.admin().spend_after(&s.workspace, 1).await;
    let output = spend["output_tokens"].as_i64().unwrap();
    assert!((5..40).contains(&output), "charged {output} output tokens for 5 delivered of 40");
    assert!(micros(&spend["spent"]) < price(PROMPT_TOKENS + 100, 100), "less than the reservation");
}

#[tokio::test]
async fn a_provider_error_is_passed_on_and_costs_nothing() {
    let s = setup().await;
    let res = s.chat(&chat_body(false, None), &[("x-fake-status", "503")]).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let ok = s.chat(&chat_body(false, Some(3)), &[]).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let spend = s.admin().spend_after(&s.workspace, 1).await;
    assert_eq!(spend["requests"], 1, "only the answered request is on the bill");
    assert_eq!(micros(&spend["spent"]), price(PROMPT_TOKENS, 3));
}

#[tokio::test]
async fn the_workspace_spend_equals_the_sum_of_its_usage_records_exactly() {
    let s = setup().await;
    let mut expected = 0;
    for (i, stream) in [false, true, false, true, false, false].into_iter().enumerate() {
        let n = (i as i64 + 1) * 3;
        let tokens = n.to_string();
        let res = s.chat(&chat_body(stream, Some(500)), &[("x-fake-completion-tokens", &tokens)]).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.bytes().await.unwrap();
        expected += price(PROMPT_TOKENS, n);
    }
    let spend = s.admin().spend_after(&s.workspace, 6).await;
    assert_eq!(micros(&spend["spent"]), expected);
    assert_eq!(micros(&s.key_usage().await["cost"]), expected);

    // The ledger the limits are checked against says the same.
    let svc = keydesk_core::Service::connect(&format!("sqlite://{}", s.deployment.database), &base64_pepper(&s.deployment.pepper), "kd")
        .await
        .unwrap();
    let ws = uuid::Uuid::parse_str(&s.workspace).unwrap();
    let period = keydesk_core::ledger::Period::containing(svc.now());
    let committed = svc.ledger_committed(keydesk_core::ledger::SpendScope::Workspace(ws), period).await.unwrap();
    assert_eq!(committed, expected);
}

fn base64_pepper(path: &std::path::Path) -> Vec<u8> {
    keydesk_server::setup::load_pepper(path, false).unwrap()
}

#[tokio::test]
async fn tokens_per_minute_refuse_a_model_once_its_minute_is_used() {
    let s = setup().await;
    s.admin().settings(&s.workspace, json!({"tokens_per_minute": {"fake-model": 100}})).await;
    let first = s.chat(&chat_body(false, Some(500)), &[("x-fake-completion-tokens", "150")]).send().await.unwrap();
    assert_eq!(first.status(), 200);
    first.bytes().await.unwrap();
    // The tokens are counted once the answer is in; give the count a moment.
    let deadline = Instant::now() + Duration::from_secs(3);
    let refused = loop {
        let res = s.chat(&chat_body(false, Some(5)), &[]).send().await.unwrap();
        if res.status() == 429 || Instant::now() > deadline {
            break res;
        }
        res.bytes().await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "tokens_per_minute_exceeded");
}

#[tokio::test]
async fn passing_half_and_four_fifths_of_a_limit_raises_one_alert_each_readable_from_the_admin_api() {
    let s = setup().await;
    s.admin().settings(&s.workspace, json!({"monthly_spend_limit": 0.01})).await;
    // 10,000 micro-USD; each request costs its 7 prompt tokens (70) plus 30
    // per output token.
    for (n, max, after) in [(150, 200, 4_570), (20, 100, 5_240), (100, 100, 8_310)] {
        let res = s.chat(&chat_body(false, Some(max)), &[("x-fake-completion-tokens", &n.to_string())]).send().await.unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let requests = s.admin().spend(&s.workspace).await["requests"].as_i64().unwrap() + 1;
        assert_eq!(micros(&s.admin().spend_after(&s.workspace, requests).await["spent"]), after);
    }
    let (status, alerts) = s.admin().call("GET", &format!("/v1/admin/spend-alerts?workspace_id={}", s.workspace), None).await;
    assert_eq!(status, 200, "{alerts}");
    let data = alerts["data"].as_array().unwrap();
    let thresholds: Vec<i64> = data.iter().map(|a| a["threshold_percent"].as_i64().unwrap()).collect();
    assert_eq!(thresholds, [80, 50], "newest first, each once");
    assert_eq!((micros(&data[0]["spent"]), micros(&data[0]["limit"])), (8_310, 10_000));
    assert_eq!(data[1]["workspace_name"], "Default");

    // What is left (1,690) cannot cover another request's maximum (over
    // 3,000): refused before it reaches the provider.
    let res = s.chat(&chat_body(false, Some(100)), &[]).send().await.unwrap();
    assert_eq!(res.status(), 429);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "workspace_spend_limit_exceeded");
}
