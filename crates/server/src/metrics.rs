//! The server's Prometheus metrics: the process-wide recorder (installed
//! once, on first use), the `/metrics` page, and a layer that counts every
//! request by route and status. The gateway adds its refusals by reason,
//! upstream latency and its own overhead (total minus upstream time).

use std::sync::OnceLock;
use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests answered, labelled `route` and `status`.
pub const REQUESTS: &str = "keydesk_http_requests_total";
/// Gateway refusals, labelled `reason` (the error code).
pub const REFUSALS: &str = "keydesk_gateway_refusals_total";
/// Time the upstream took, in seconds, labelled `route`.
pub const UPSTREAM_SECONDS: &str = "keydesk_gateway_upstream_seconds";
/// Time the gateway itself added, in seconds, labelled `route`.
pub const OVERHEAD_SECONDS: &str = "keydesk_gateway_overhead_seconds";

/// Upstream latency buckets (seconds): from a local model to a long answer.
const UPSTREAM_BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
/// Overhead buckets (seconds): tens of microseconds to a database round trip.
const OVERHEAD_BUCKETS: &[f64] = &[0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed the first time it is asked for. When
/// another recorder is already installed (an embedding program's), the
/// page shows what this one records: nothing.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(UPSTREAM_SECONDS.to_owned()), UPSTREAM_BUCKETS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full(OVERHEAD_SECONDS.to_owned()), OVERHEAD_BUCKETS))
            .expect("bucket lists are not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics shows only this server's own");
        }
        handle
    })
}

/// Keeps histograms drained; the page also does it before each render.
pub fn spawn_upkeep(every: Duration) -> tokio::task::JoinHandle<()> {
    let handle = handle();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            handle.run_upkeep();
        }
    })
}

/// The server's metrics in Prometheus text format: requests by route and
/// status, gateway refusals by reason, upstream latency and gateway
/// overhead histograms.
#[utoipa::path(get, path = "/metrics", tag = "meta", security(()),
    responses((status = 200, content_type = "text/plain", body = String)))]
pub async fn page() -> Response {
    let handle = handle();
    handle.run_upkeep();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render()).into_response()
}

/// Counts each request by its route (the matched pattern, or the gateway's
/// route label) and status.
pub async fn count_requests(req: Request, next: Next) -> Response {
    let route = match req.extensions().get::<MatchedPath>().map(MatchedPath::as_str) {
        Some(crate::gateway::PROXY_ROUTE) => crate::gateway::route_label(req.uri().path()),
        Some(p) => p.to_owned(),
        None => "unmatched".to_owned(),
    };
    let response = next.run(req).await;
    metrics::counter!(REQUESTS, "route" => route, "status" => response.status().as_u16().to_string()).increment(1);
    response
}
