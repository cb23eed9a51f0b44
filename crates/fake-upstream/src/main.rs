//! A stand-in for the AI provider behind the gateway, for tests and
//! benchmarks: OpenAI/Mistral-compatible chat completions (plain and
//! streamed, with `usage`), embeddings and a model list, answered at once
//! and deterministically. Request headers steer it:
//!
//! - `x-fake-completion-tokens: N` — tokens to generate (default: 16,
//!   never more than the request's `max_tokens`);
//! - `x-fake-chunk-delay-ms: N` — pause between streamed chunks;
//! - `x-fake-cut-after: N` — end a stream abruptly after N chunks, without
//!   its usage;
//! - `x-fake-status: N` — answer with this status and an error body.
//!
//! `GET /_last` shows the `authorization` header and body of the last
//! request, so tests can check what the gateway sent. Prompt tokens are
//! counted as one per four bytes of message text, rounded up.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clap::Parser;
use serde_json::{json, Value};

#[derive(Parser)]
#[command(name = "keydesk-fake-upstream", about = "A fake OpenAI/Mistral-compatible provider for tests and benchmarks")]
struct Cli {
    /// Address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
}

#[derive(Default)]
struct Last {
    authorization: Option<String>,
    body: Option<Value>,
}

type Shared = Arc<Mutex<Last>>;

fn header_num(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn text_bytes(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        Value::Array(a) => a.iter().map(text_bytes).sum(),
        Value::Object(o) => o.get("content").map_or(0, text_bytes),
        _ => 0,
    }
}

fn remember(last: &Shared, headers: &HeaderMap, body: &Value) {
    let mut l = last.lock().unwrap();
    l.authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    l.body = Some(body.clone());
}

fn parse(body: &Bytes) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": {"type": "invalid_request_error", "message": message}}))).into_response()
}

fn forced_status(headers: &HeaderMap) -> Option<Response> {
    let code = header_num(headers, "x-fake-status")?;
    let status = StatusCode::from_u16(code as u16).ok()?;
    Some((status, Json(json!({"error": {"type": "api_error", "message": "forced by x-fake-status"}}))).into_response())
}

async fn chat(State(last): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let body = match parse(&body) {
        Ok(b) => b,
        Err(e) => return bad_request(e),
    };
    remember(&last, &headers, &body);
    if let Some(r) = forced_status(&headers) {
        return r;
    }
    let model = body["model"].as_str().unwrap_or("unknown").to_owned();
    let prompt_tokens = text_bytes(&body["messages"]).div_ceil(4) as u64;
    let wanted = header_num(&headers, "x-fake-completion-tokens").unwrap_or(16);
    let completion_tokens = body["max_tokens"].as_u64().map_or(wanted, |m| wanted.min(m));
    let usage = json!({
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    });
    if body["stream"].as_bool() != Some(true) {
        let text = vec!["tok"; completion_tokens as usize].join(" ");
        return Json(json!({
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": usage,
        }))
        .into_response();
    }
    let delay = header_num(&headers, "x-fake-chunk-delay-ms").map(Duration::from_millis);
    let cut_after = header_num(&headers, "x-fake-cut-after");
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let chunk = |delta: Value, finish: Value, usage: Option<&Value>| {
            let mut c = json!({
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": 1_700_000_000,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            });
            if let Some(u) = usage {
                c["usage"] = u.clone();
            }
            Bytes::from(format!("data: {c}\n\n"))
        };
        for i in 0..completion_tokens {
            if cut_after.is_some_and(|n| i >= n) {
                // Dropping the sender mid-stream ends the body with an error.
                let _ = tx.send(Err(std::io::Error::other("cut off on purpose"))).await;
                return;
            }
            let content = if i == 0 { "tok".to_owned() } else { " tok".to_owned() };
            if tx.send(Ok(chunk(json!({"role": "assistant", "content": content}), Value::Null, None))).await.is_err() {
                return;
            }
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
        }
        let _ = tx.send(Ok(chunk(json!({}), json!("stop"), Some(&usage)))).await;
        let _ = tx.send(Ok(Bytes::from_static(b"data: [DONE]\n\n"))).await;
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(stream))
        .unwrap()
}

async fn embeddings(State(last): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let body = match parse(&body) {
        Ok(b) => b,
        Err(e) => return bad_request(e),
    };
    remember(&last, &headers, &body);
    if let Some(r) = forced_status(&headers) {
        return r;
    }
    let inputs: Vec<Value> = match &body["input"] {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    let tokens = inputs.iter().map(text_bytes).sum::<usize>().div_ceil(4) as u64;
    let data: Vec<Value> =
        inputs.iter().enumerate().map(|(i, _)| json!({"object": "embedding", "index": i, "embedding": [0.1, 0.2, 0.3]})).collect();
    Json(json!({
        "object": "list",
        "model": body["model"],
        "data": data,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }))
    .into_response()
}

async fn models() -> Json<Value> {
    Json(json!({"object": "list", "data": [{"id": "fake-model", "object": "model", "created": 0, "owned_by": "fake"}]}))
}

async fn last(State(last): State<Shared>) -> Json<Value> {
    let l = last.lock().unwrap();
    Json(json!({"authorization": l.authorization, "body": l.body}))
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let shared: Shared = Arc::default();
    // Served both with and without the `/v1` prefix, whichever base URL the
    // gateway is given.
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/chat/completions", post(chat))
        .route("/v1/embeddings", post(embeddings))
        .route("/embeddings", post(embeddings))
        .route("/v1/models", get(models))
        .route("/models", get(models))
        .route("/_last", get(last))
        .with_state(shared);
    let listener = tokio::net::TcpListener::bind(cli.listen).await.expect("bind the listen address");
    // Scripts and tests read this line to learn the port.
    println!("fake-upstream listening on http://{}", listener.local_addr().unwrap());
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .unwrap();
}
