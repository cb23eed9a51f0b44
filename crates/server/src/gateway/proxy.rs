//! Forwarding one request to the upstream and settling what it cost: the
//! body is checked and its maximum cost reserved, the request goes out with
//! the upstream's credential in place of the user's key, and the response
//! comes back — a stream chunk by chunk as it arrives, a JSON answer whole —
//! with its `usage` priced, recorded and settled against the reservation.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use futures_util::Stream;
use keydesk_core::model::UsageRecord;

use super::budget::Reservation;
use super::error::GatewayError;
use super::inspect::{inspect, Malformed};
use super::usage::{cost_micros, generated_bytes_of_body, output_tokens_for, usage_of_body, StreamUsage, Tokens};
use super::{route_label, tokens_per_minute, Admitted, Gateway};
use crate::metrics::{OVERHEAD_SECONDS, UPSTREAM_SECONDS};

/// Headers that describe one connection, not the message: never passed on.
const HOP_BY_HOP: [&str; 8] =
    ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"];

/// Headers of the client's request that stay here: its credential, and what
/// the upstream connection sets itself.
fn forwarded_request_headers(from: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(from.len());
    for (name, value) in from {
        let n = name.as_str();
        if HOP_BY_HOP.contains(&n)
            || matches!(n, "host" | "authorization" | "x-api-key" | "content-length" | "cookie" | "x-request-id" | "accept-encoding")
        {
            continue;
        }
        out.append(name.clone(), value.clone());
    }
    out
}

fn forwarded_response_headers(from: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(from.len());
    for (name, value) in from {
        let n = name.as_str();
        if HOP_BY_HOP.contains(&n) || n == "content-length" || n == "set-cookie" {
            continue;
        }
        out.append(name.clone(), value.clone());
    }
    out
}

/// What a finished request settles: the reservation, and who is charged.
struct Charge {
    gw: Arc<Gateway>,
    reservation: Reservation,
    key_id: uuid::Uuid,
    workspace_id: uuid::Uuid,
    /// The catalogue id the request is priced by, when it names a model.
    model_id: Option<String>,
    /// What the reservation assumed (the cap for estimated output).
    reserved: Tokens,
    at: chrono::DateTime<chrono::Utc>,
    /// The workspace's tokens-per-minute limit for the model, if any.
    tokens_per_minute: Option<u64>,
    route: String,
    upstream_started: Instant,
}

impl Charge {
    /// Settles the reservation to `tokens` and records them; `None` when
    /// the request produced nothing billable.
    fn finish(self, tokens: Option<Tokens>) {
        metrics::histogram!(UPSTREAM_SECONDS, "route" => self.route.clone()).record(self.upstream_started.elapsed().as_secs_f64());
        let model = self.model_id.as_deref().and_then(|id| self.gw.config.model(id));
        let (model, tokens) = match (model, tokens) {
            (Some(m), Some(t)) => (m, t),
            _ => {
                self.gw.budget.settle(&self.reservation, 0);
                return;
            }
        };
        let cost = cost_micros(model, tokens);
        let paid = self.gw.budget.settle(&self.reservation, cost);
        self.gw.meter.usage(
            UsageRecord {
                key_id: self.key_id,
                workspace_id: self.workspace_id,
                model: model.config.id.clone(),
                input_tokens: tokens.input,
                output_tokens: tokens.output,
                cost_micros: cost,
                at: self.at,
            },
            paid,
        );
        if let Some(tpm) = self.tokens_per_minute {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                let (gw, ws, id, n) = (self.gw.clone(), self.workspace_id, model.config.id.clone(), tokens.total() as u64);
                rt.spawn(async move { gw.limits.charge_tokens(ws, &id, tpm, n).await });
            }
        }
    }
}

pub(super) async fn forward(gw: &Arc<Gateway>, req: Request<Body>) -> Result<Response, GatewayError> {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let a: Admitted = gw.admit(&parts.headers).await?;
    let limit = gw.config.limits.max_body_bytes;
    let body = axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large =
            std::iter::successors(Some(&e as &dyn std::error::Error), |e| e.source()).any(|e| e.is::<http_body_util::LengthLimitError>());
        if too_large {
            GatewayError::too_large(limit)
        } else {
            GatewayError::bad_request("unreadable_body", "The request body could not be read.")
        }
    })?;
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let mut request = inspect(&body, content_type).map_err(|Malformed(m)| GatewayError::bad_request("invalid_json", m))?;
    gw.check_connectors(&a, &request.connectors).await?;
    let model = match &request.model {
        None => None,
        Some(id) => Some(gw.config.model(id).ok_or_else(|| {
            GatewayError::bad_request("model_not_found", format!("Model '{id}' is not in this gateway's catalogue (see GET /v1/models)."))
        })?),
    };
    if let Some(m) = model {
        gw.check_tokens_per_minute(&a, m).await?;
    }
    let upstream = gw.config.upstream.as_ref().ok_or_else(GatewayError::no_upstream)?;

    // The most the request may cost: its input bound and the output it may
    // produce. A request without a model is held to the smallest amount, so
    // that a spent budget still refuses it.
    let max_output = request.max_output_tokens.unwrap_or(gw.config.limits.default_max_tokens);
    let reserved = Tokens { input: request.input_tokens_bound, output: max_output };
    let amount = model.map_or(0, |m| cost_micros(m, reserved)).max(1);
    let reservation = gw.reserve(&a, amount).await?;

    // The body goes out as it came, unless the gateway must add what keeps
    // the reservation true (`max_tokens`) or brings the usage back.
    let mut body = body;
    if let (Some(m), Some(json)) = (model, request.json.as_mut()) {
        let mut changed = false;
        if m.config.chat && request.max_output_tokens.is_none() {
            json.insert("max_tokens".to_owned(), max_output.into());
            changed = true;
        }
        if request.stream && upstream.request_stream_usage {
            let options = json.entry("stream_options").or_insert_with(|| serde_json::json!({}));
            if let Some(o) = options.as_object_mut() {
                o.insert("include_usage".to_owned(), true.into());
                changed = true;
            }
        }
        if changed {
            body = Bytes::from(serde_json::to_vec(json).expect("a JSON map serializes"));
        }
    }

    let route = route_label(parts.uri.path());
    let tail = parts.uri.path().strip_prefix("/v1").unwrap_or(parts.uri.path());
    let url = match parts.uri.query() {
        Some(q) => format!("{}{tail}?{q}", upstream.base_url),
        None => format!("{}{tail}", upstream.base_url),
    };
    let mut headers = forwarded_request_headers(&parts.headers);
    if let Some(key) = &upstream.api_key {
        let mut v = HeaderValue::from_str(&format!("Bearer {}", key.expose()))
            .map_err(|_| GatewayError::upstream_failed("The upstream credential is not a valid header value."))?;
        v.set_sensitive(true);
        headers.insert(header::AUTHORIZATION, v);
    }
    let charge = Charge {
        gw: gw.clone(),
        reservation,
        key_id: a.key.key_id,
        workspace_id: a.workspace.id,
        model_id: model.map(|m| m.config.id.clone()),
        reserved,
        tokens_per_minute: model.and_then(|m| tokens_per_minute(&a.workspace, m)),
        at: a.now,
        route: route.clone(),
        upstream_started: Instant::now(),
    };
    let sent = gw.http.request(parts.method, &url).headers(headers).body(body).send().await;
    let upstream_headers_after = charge.upstream_started.elapsed();
    let resp = match sent {
        Ok(r) => r,
        Err(e) => {
            charge.finish(None);
            let timed_out = e.is_timeout();
            tracing::warn!(detail = %e.without_url(), "upstream request failed");
            return Err(if timed_out {
                GatewayError::upstream_failed("The upstream did not answer in time.")
            } else {
                GatewayError::upstream_failed("The upstream could not be reached.")
            });
        }
    };
    let status = resp.status();
    let headers = forwarded_response_headers(resp.headers());
    let is_stream = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("text/event-stream"));

    let body = if is_stream || charge.model_id.is_none() {
        // Passed through as it arrives; a stream is metered on its way.
        let metered = status.is_success() && charge.model_id.is_some();
        let stream = MeteredStream { inner: Box::pin(resp.bytes_stream()), usage: StreamUsage::default(), charge: Some(charge), metered };
        metrics::histogram!(OVERHEAD_SECONDS, "route" => route).record(overhead(started.elapsed(), upstream_headers_after));
        Body::from_stream(stream)
    } else {
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                charge.finish(None);
                tracing::warn!(detail = %e.without_url(), "upstream response cut off");
                return Err(GatewayError::upstream_failed("The upstream's answer was cut off."));
            }
        };
        let upstream_time = charge.upstream_started.elapsed();
        let tokens = status.is_success().then(|| {
            usage_of_body(&bytes).unwrap_or_else(|| Tokens {
                input: charge.reserved.input,
                output: output_tokens_for(generated_bytes_of_body(&bytes), 0, charge.reserved.output),
            })
        });
        charge.finish(tokens);
        metrics::histogram!(OVERHEAD_SECONDS, "route" => route).record(overhead(started.elapsed(), upstream_time));
        Body::from(bytes)
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

fn overhead(total: Duration, upstream: Duration) -> f64 {
    total.saturating_sub(upstream).as_secs_f64()
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// The upstream's stream on its way to the client: every chunk is handed
/// on as it comes, read for its usage on the way; when the stream ends —
/// completely, with an error, or because the client went away — the
/// request is settled by the usage it reported, or else by what was
/// delivered.
struct MeteredStream {
    inner: ByteStream,
    usage: StreamUsage,
    charge: Option<Charge>,
    /// Only successful answers of priced requests are charged.
    metered: bool,
}

impl MeteredStream {
    fn finish(&mut self) {
        let Some(charge) = self.charge.take() else { return };
        if !self.metered {
            charge.finish(None);
            return;
        }
        let tokens = self.usage.reported.unwrap_or(Tokens {
            input: charge.reserved.input,
            output: output_tokens_for(self.usage.content_bytes, self.usage.content_chunks, charge.reserved.output),
        });
        charge.finish(Some(tokens));
    }
}

impl Stream for MeteredStream {
    type Item = Result<Bytes, reqwest::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = self.inner.as_mut().poll_next(cx);
        match &next {
            Poll::Ready(Some(Ok(bytes))) => {
                if self.metered {
                    self.usage.feed(bytes);
                }
            }
            Poll::Ready(Some(Err(_))) | Poll::Ready(None) => self.finish(),
            Poll::Pending => {}
        }
        next
    }
}

impl Drop for MeteredStream {
    fn drop(&mut self) {
        self.finish();
    }
}
