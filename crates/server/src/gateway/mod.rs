//! The gateway: `/v1/*` requests made with API keys Keydesk issued. It
//! authenticates the key, refuses what the organization's rules refuse
//! (billing off, a connector outside the key's scope, a rate limit, a spent
//! monthly budget), answers `GET /v1/models` from its catalogue, and
//! forwards everything else to the configured upstream with the upstream's
//! own credential, metering what the response used.
//!
//! Nothing on the request path waits on the database once its caches are
//! warm: keys and limits come from `directory`, money from this replica's
//! leased slice of each budget (`budget`), rate counters from memory or
//! Redis (`limits`); usage and "last used" are written in batches
//! (`meter`).

pub mod budget;
pub mod catalogue;
pub mod config;
pub mod directory;
pub mod error;
pub mod inspect;
pub mod limits;
pub mod meter;
mod proxy;
pub mod usage;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use chrono::{DateTime, Utc};
use keydesk_core::changes::Change;
use keydesk_core::gateway::{GatewayKey, GatewayOrganization, GatewayWorkspace};
use keydesk_core::ledger::{Period, SpendScope};
use keydesk_core::{can_use, Service};
use uuid::Uuid;

use self::budget::{Budget, Limited, Reservation, Shortfall};
use self::config::{Config, Model};
use self::directory::Directory;
use self::error::GatewayError;
use self::limits::{RateLimits, RetryAfter};
use self::meter::Meter;

/// The route pattern of every forwarded request.
pub const PROXY_ROUTE: &str = "/v1/{*path}";

/// Paths under `/v1` that belong to the Admin API and sessions, never to
/// the gateway: an unknown one there is a 404, not a forwarded request.
const NOT_FORWARDED: [&str; 3] = ["/v1/admin", "/v1/me", "/v1/auth"];

/// A bounded label for a gateway path, for the metrics.
pub fn route_label(path: &str) -> String {
    const KNOWN: [&str; 9] = [
        "/v1/chat/completions",
        "/v1/completions",
        "/v1/fim/completions",
        "/v1/embeddings",
        "/v1/moderations",
        "/v1/chat/moderations",
        "/v1/ocr",
        "/v1/agents/completions",
        "/v1/conversations",
    ];
    KNOWN.iter().find(|k| path == **k).map_or_else(|| "/v1/other".to_owned(), |k| (*k).to_owned())
}

/// A request that passed the key, billing and rate checks.
pub(crate) struct Admitted {
    pub key: Arc<GatewayKey>,
    pub workspace: Arc<GatewayWorkspace>,
    pub organization: Arc<GatewayOrganization>,
    pub now: DateTime<Utc>,
}

impl Admitted {
    /// The budgets this request's money counts against, broadest first.
    fn limited(&self) -> Vec<Limited> {
        let mut out = Vec::with_capacity(3);
        if let Some(l) = self.organization.monthly_spend_limit_micros {
            out.push(Limited { scope: SpendScope::Organization(self.organization.id), limit_micros: l });
        }
        if let Some(l) = self.workspace.monthly_spend_limit_micros {
            out.push(Limited { scope: SpendScope::Workspace(self.workspace.id), limit_micros: l });
        }
        if let Some(l) = self.key.monthly_budget_micros {
            out.push(Limited { scope: SpendScope::ApiKey(self.key.key_id), limit_micros: l });
        }
        out
    }
}

pub struct Gateway {
    pub(crate) svc: Service,
    pub(crate) config: Config,
    pub(crate) directory: Arc<Directory>,
    pub(crate) budget: Arc<Budget>,
    pub(crate) limits: RateLimits,
    pub(crate) meter: Meter,
    pub(crate) http: reqwest::Client,
    /// `/v1/models`, serialized once.
    models_page: Bytes,
    /// Each model's card, by id and alias, serialized once.
    model_cards: std::collections::HashMap<String, Bytes>,
    /// The overhead histogram of the requests answered here, looked up once.
    free_request_overhead: metrics::Histogram,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").field("models", &self.config.models.len()).finish_non_exhaustive()
    }
}

impl Gateway {
    /// Starts the gateway over `svc`: its caches, the usage writer and, on
    /// PostgreSQL, the follower of other replicas' changes.
    pub async fn start(svc: Service, config: Config, limits: RateLimits) -> keydesk_core::Result<Arc<Gateway>> {
        let directory = Directory::new(svc.clone(), config.limits.key_cache_capacity);
        let budget = Budget::new(svc.clone());
        let (meter, meter_task) = Meter::start(svc.clone(), budget.clone(), Duration::from_millis(config.limits.flush_interval_ms));
        let mut tasks = vec![meter_task];
        let (d, b) = (directory.clone(), budget.clone());
        let (d2, b2) = (directory.clone(), budget.clone());
        let follow = directory::follow_other_replicas(
            &svc,
            move |c: Change| {
                d.apply(c);
                b.on_change(c);
            },
            move || {
                d2.clear();
                b2.on_change(Change::Organization);
            },
        )
        .await?;
        tasks.extend(follow);
        let mut http = reqwest::Client::builder().pool_max_idle_per_host(256).tcp_nodelay(true);
        if let Some(up) = &config.upstream {
            http = http.connect_timeout(Duration::from_secs(10)).read_timeout(up.timeout);
        }
        let http = http.build().map_err(|e| keydesk_core::Error::internal(format!("cannot build the upstream client: {e}")))?;
        let list = catalogue::model_list(&config, svc.now());
        let mut model_cards = std::collections::HashMap::new();
        for card in &list.data {
            let bytes = Bytes::from(serde_json::to_vec(card).expect("a model card serializes"));
            for name in std::iter::once(&card.id).chain(card.aliases.iter()) {
                model_cards.insert(name.clone(), bytes.clone());
            }
        }
        let models_page = Bytes::from(serde_json::to_vec(&list).expect("the model list serializes"));
        crate::metrics::handle();
        let free_request_overhead = metrics::histogram!(crate::metrics::OVERHEAD_SECONDS, "route" => "/v1/models");
        Ok(Arc::new(Gateway {
            svc,
            config,
            directory,
            budget,
            limits,
            meter,
            http,
            models_page,
            model_cards,
            free_request_overhead,
            tasks,
        }))
    }

    /// Writes what is metered and gives every unspent lease back (shutdown).
    pub async fn stop(&self) {
        self.meter.flush().await;
        self.budget.return_idle(Duration::ZERO, Period::containing(self.svc.now())).await;
        for t in &self.tasks {
            t.abort();
        }
    }

    /// Writes what is metered so far (tests: "visible at once").
    pub async fn flush(&self) {
        self.meter.flush().await;
    }

    /// The key, its workspace and organization, checked: a live key of a
    /// live workspace, billing active, within the workspace's request rate.
    pub(crate) async fn admit(&self, headers: &HeaderMap) -> Result<Admitted, GatewayError> {
        let presented = presented_key(headers).ok_or_else(GatewayError::missing_key)?;
        // A string that fails the checksum is no key: refused here, before
        // any cache or the database is asked.
        let hash = self.svc.gateway_key_hash(presented).ok_or_else(GatewayError::invalid_key)?;
        let key = self.directory.key(&hash).await?.ok_or_else(GatewayError::invalid_key)?;
        let now = self.svc.now();
        if !key.usable_at(now) {
            return Err(match key.expires_at {
                Some(t) if key.delete_after.is_none_or(|d| d > now) => {
                    GatewayError::expired_key((t - chrono::Duration::milliseconds(1)).date_naive())
                }
                _ => GatewayError::invalid_key(),
            });
        }
        let organization = self.directory.organization().await?;
        if !organization.billing_active {
            return Err(GatewayError::billing_inactive());
        }
        // A key outlives its workspace only for the moment of a race.
        let workspace = self.directory.workspace(key.workspace_id).await?.ok_or_else(GatewayError::invalid_key)?;
        if let Some(rps) = workspace.rate_limits.requests_per_second.filter(|r| *r > 0) {
            self.limits.admit_request(workspace.id, rps as u32).await.map_err(|RetryAfter(wait)| {
                GatewayError::rate_limited(
                    "requests_per_second_exceeded",
                    format!("This workspace's rate limit of {rps} requests per second is reached; try again shortly."),
                    wait,
                )
            })?;
        }
        Ok(Admitted { key, workspace, organization, now })
    }

    /// Holds `amount` of every budget the request counts against, or
    /// refuses with the one that cannot cover it. The last check of every
    /// accepted request: the key counts as used from here.
    pub(crate) async fn reserve(&self, a: &Admitted, amount: i64) -> Result<Reservation, GatewayError> {
        let period = Period::containing(a.now);
        let reserved = self.budget.reserve(&a.limited(), period, amount).await;
        if reserved.is_ok() {
            self.meter.used(a.key.key_id, a.now);
        }
        reserved.map_err(|Shortfall(scope)| {
            let (code, whose) = match scope {
                SpendScope::Organization(_) => ("organization_spend_limit_exceeded", "organization's"),
                SpendScope::Workspace(_) => ("workspace_spend_limit_exceeded", "workspace's"),
                SpendScope::ApiKey(_) => ("api_key_budget_exceeded", "API key's"),
            };
            GatewayError::spend_limited(code, whose, period.end(), a.now)
        })
    }

    /// The checks of a request answered here, which costs nothing but
    /// still needs budget left: the smallest amount is held and given
    /// straight back.
    async fn check_free_request(&self, headers: &HeaderMap) -> Result<(), GatewayError> {
        let started = Instant::now();
        let result = async {
            let a = self.admit(headers).await?;
            let r = self.reserve(&a, 1).await?;
            self.budget.settle(&r, 0);
            Ok(())
        }
        .await;
        self.free_request_overhead.record(started.elapsed().as_secs_f64());
        result
    }

    /// Refuses a request naming a connector the key may not reach.
    pub(crate) async fn check_connectors(&self, a: &Admitted, ids: &[String]) -> Result<(), GatewayError> {
        for id in ids {
            let connector = match Uuid::parse_str(id) {
                Ok(uuid) => self.directory.connector(uuid).await?,
                Err(_) => None,
            };
            let reachable = connector.is_some_and(|c| can_use(a.key.connector_scope, a.key.owner_id, a.key.workspace_id, &c));
            if !reachable {
                return Err(GatewayError::connector_out_of_scope(id));
            }
        }
        Ok(())
    }

    pub(crate) async fn check_tokens_per_minute(&self, a: &Admitted, model: &Model) -> Result<(), GatewayError> {
        let Some(tpm) = tokens_per_minute(&a.workspace, model) else { return Ok(()) };
        self.limits.admit_tokens(a.workspace.id, &model.config.id, tpm).await.map_err(|RetryAfter(wait)| {
            GatewayError::rate_limited(
                "tokens_per_minute_exceeded",
                format!("This workspace's limit of {tpm} tokens per minute for {} is reached; try again later.", model.config.id),
                wait,
            )
        })
    }
}

/// The workspace's tokens-per-minute limit for `model`, by its id or alias.
pub(crate) fn tokens_per_minute(ws: &GatewayWorkspace, model: &Model) -> Option<u64> {
    let tpm = &ws.rate_limits.tokens_per_minute;
    std::iter::once(&model.config.id)
        .chain(model.config.aliases.iter())
        .find_map(|name| tpm.get(name))
        .copied()
        .filter(|t| *t > 0)
        .map(|t| t as u64)
}

/// The key a request presents: `Authorization: Bearer`, or `x-api-key`.
fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, rest) = v.trim().split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim()).filter(|k| !k.is_empty());
    }
    headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim).filter(|k| !k.is_empty())
}

/// The gateway's model catalogue, for any live API key. The request passes
/// the same checks as every API request (billing, rate limit, a spent
/// budget) but costs nothing.
#[utoipa::path(get, path = "/v1/models", tag = "gateway", security(("ApiKey" = [])),
    responses((status = 200, body = keydesk_api::ModelList), (status = 401, body = keydesk_api::GatewayErrorBody),
        (status = 403, body = keydesk_api::GatewayErrorBody), (status = 429, body = keydesk_api::GatewayErrorBody)))]
pub async fn list_models(State(gw): State<Arc<Gateway>>, req: Request) -> Response {
    match gw.check_free_request(req.headers()).await {
        Ok(()) => ([(header::CONTENT_TYPE, "application/json")], gw.models_page.clone()).into_response(),
        Err(e) => e.into_response(),
    }
}

/// One model of the gateway's catalogue, by id or alias.
#[utoipa::path(get, path = "/v1/models/{model_id}", tag = "gateway", security(("ApiKey" = [])),
    params(("model_id" = String, Path)),
    responses((status = 200, body = keydesk_api::ModelCard), (status = 401, body = keydesk_api::GatewayErrorBody),
        (status = 404, body = keydesk_api::GatewayErrorBody)))]
pub async fn get_model(State(gw): State<Arc<Gateway>>, Path(model_id): Path<String>, req: Request) -> Response {
    if let Err(e) = gw.check_free_request(req.headers()).await {
        return e.into_response();
    }
    match gw.model_cards.get(&model_id) {
        Some(card) => ([(header::CONTENT_TYPE, "application/json")], card.clone()).into_response(),
        None => GatewayError::not_found(format!("Model '{model_id}' is not in this gateway's catalogue.")).into_response(),
    }
}

/// Every other `/v1/*` request.
async fn forward(State(gw): State<Arc<Gateway>>, req: Request<Body>) -> Response {
    let path = req.uri().path();
    if NOT_FORWARDED.iter().any(|p| path.strip_prefix(p).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))) {
        return GatewayError::not_found(format!("No such endpoint: {path}.")).into_response();
    }
    match proxy::forward(&gw, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// The gateway's routes, to merge into the server's router.
pub fn router(gw: Arc<Gateway>) -> Router {
    Router::new()
        .route("/v1/models", get(list_models))
        .route("/v1/models/{model_id}", get(get_model))
        .route(PROXY_ROUTE, any(forward))
        .with_state(gw)
}
