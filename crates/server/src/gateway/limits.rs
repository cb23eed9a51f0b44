//! Workspace rate limits: requests per second (the whole workspace) and
//! tokens per minute (per model). One replica keeps the counters in memory;
//! with Redis they live there, so that any number of replicas together
//! enforce each limit once.
//!
//! Requests per second: a GCRA with a burst of one second's worth, in memory
//! with `governor`. Tokens per minute are only known after the response, so
//! they are paid afterwards: a request is admitted while the model's
//! tokens of the last minute are within the limit, and its tokens are then
//! charged (a bucket that may go into debt, which `governor` cannot express;
//! it is a few lines of the same GCRA arithmetic). Redis runs the same two
//! algorithms in one Lua script, timed by the Redis server's clock.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

/// A refusal: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

const MINUTE: Duration = Duration::from_secs(60);

pub enum RateLimits {
    Memory(MemoryLimits),
    Redis(RedisLimits),
}

impl RateLimits {
    pub fn memory() -> RateLimits {
        RateLimits::Memory(MemoryLimits::default())
    }

    pub async fn redis(url: &str) -> keydesk_core::Result<RateLimits> {
        Ok(RateLimits::Redis(RedisLimits::connect(url).await?))
    }

    /// One request of the workspace, at most `rps` per second.
    pub async fn admit_request(&self, workspace: Uuid, rps: u32) -> Result<(), RetryAfter> {
        match self {
            RateLimits::Memory(m) => m.admit_request(workspace, rps),
            RateLimits::Redis(r) => r.admit_request(workspace, rps).await,
        }
    }

    /// Whether the model's tokens of the last minute leave room for more.
    pub async fn admit_tokens(&self, workspace: Uuid, model: &str, tpm: u64) -> Result<(), RetryAfter> {
        match self {
            RateLimits::Memory(m) => m.admit_tokens(workspace, model, tpm),
            RateLimits::Redis(r) => r.admit_tokens(workspace, model, tpm).await,
        }
    }

    /// Counts a finished request's tokens against the model's minute.
    pub async fn charge_tokens(&self, workspace: Uuid, model: &str, tpm: u64, tokens: u64) {
        match self {
            RateLimits::Memory(m) => m.charge_tokens(workspace, model, tpm, tokens),
            RateLimits::Redis(r) => r.charge_tokens(workspace, model, tpm, tokens).await,
        }
    }
}

#[derive(Default)]
pub struct MemoryLimits {
    requests: DashMap<Uuid, (u32, Arc<DefaultDirectRateLimiter>)>,
    /// Per workspace and model: the theoretical arrival time of the next
    /// token (GCRA); past `now + 1 min` the minute's tokens are used up.
    tokens: DashMap<(Uuid, String), Mutex<Instant>>,
}

impl MemoryLimits {
    fn admit_request(&self, workspace: Uuid, rps: u32) -> Result<(), RetryAfter> {
        let Some(rate) = NonZeroU32::new(rps) else { return Ok(()) };
        let limiter = {
            let entry = self.requests.get(&workspace).filter(|e| e.0 == rps).map(|e| e.1.clone());
            match entry {
                Some(l) => l,
                None => {
                    // A new workspace, or its limit changed: start afresh.
                    let l = Arc::new(RateLimiter::direct(Quota::per_second(rate)));
                    self.requests.insert(workspace, (rps, l.clone()));
                    l
                }
            }
        };
        limiter.check().map_err(|not_until| RetryAfter(not_until.wait_time_from(DefaultClock::default().now())))
    }

    fn admit_tokens(&self, workspace: Uuid, model: &str, tpm: u64) -> Result<(), RetryAfter> {
        if tpm == 0 {
            return Ok(());
        }
        let Some(entry) = self.tokens.get(&(workspace, model.to_owned())) else { return Ok(()) };
        let tat = *entry.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match tat.checked_duration_since(now + MINUTE) {
            Some(wait) if !wait.is_zero() => Err(RetryAfter(wait)),
            _ => Ok(()),
        }
    }

    fn charge_tokens(&self, workspace: Uuid, model: &str, tpm: u64, tokens: u64) {
        if tpm == 0 || tokens == 0 {
            return;
        }
        let now = Instant::now();
        let entry = self.tokens.entry((workspace, model.to_owned())).or_insert_with(|| Mutex::new(now));
        let mut tat = entry.lock().unwrap_or_else(|e| e.into_inner());
        let per_token = MINUTE.as_secs_f64() / tpm as f64;
        *tat = (*tat).max(now) + Duration::from_secs_f64(per_token * tokens as f64);
    }
}

/// The counters in Redis, one key per workspace (and model), expiring when
/// idle. Should Redis be unreachable, requests are let through (and logged):
/// a rate limit is not worth an outage.
pub struct RedisLimits {
    conn: redis::aio::ConnectionManager,
    script: redis::Script,
}

/// GCRA in Redis. KEYS[1]: the counter. ARGV: mode (`take`: admit one unit
/// if within the tolerance and count it; `peek`: admit without counting;
/// `charge`: count without checking), the emission interval and the
/// tolerance in microseconds, and the units. Returns the microseconds to
/// wait, 0 when admitted.
const GCRA: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local mode = ARGV[1]
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local units = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if mode ~= 'charge' then
  local wait = tat - tolerance - now
  if mode == 'take' then wait = tat + interval * units - tolerance - interval - now end
  if wait > 0 then return math.ceil(wait) end
  if mode == 'peek' then return 0 end
end
local new_tat = tat + interval * units
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1000)
return 0
"#;

impl RedisLimits {
    async fn connect(url: &str) -> keydesk_core::Result<RedisLimits> {
        let bad = |e: redis::RedisError| keydesk_core::Error::validation("redis_url", format!("cannot use Redis at the given URL: {e}"));
        let client = redis::Client::open(url).map_err(bad)?;
        let conn = client.get_connection_manager().await.map_err(bad)?;
        Ok(RedisLimits { conn, script: redis::Script::new(GCRA) })
    }

    async fn run(&self, key: String, mode: &str, interval_us: u64, tolerance_us: u64, units: u64) -> Result<(), RetryAfter> {
        let mut conn = self.conn.clone();
        let r: redis::RedisResult<u64> =
            self.script.key(key).arg(mode).arg(interval_us).arg(tolerance_us).arg(units).invoke_async(&mut conn).await;
        match r {
            Ok(0) => Ok(()),
            Ok(wait_us) => Err(RetryAfter(Duration::from_micros(wait_us))),
            Err(e) => {
                metrics::counter!("keydesk_gateway_rate_limiter_errors_total").increment(1);
                tracing::warn!(detail = %e, "Redis rate limiter unavailable; request let through");
                Ok(())
            }
        }
    }

    async fn admit_request(&self, workspace: Uuid, rps: u32) -> Result<(), RetryAfter> {
        if rps == 0 {
            return Ok(());
        }
        let interval = 1_000_000 / u64::from(rps);
        // A burst of one second's worth, like governor's per_second quota.
        let tolerance = interval * u64::from(rps - 1);
        self.run(format!("keydesk:rps:{workspace}"), "take", interval.max(1), tolerance, 1).await
    }

    async fn admit_tokens(&self, workspace: Uuid, model: &str, tpm: u64) -> Result<(), RetryAfter> {
        if tpm == 0 {
            return Ok(());
        }
        let interval = (60_000_000 / tpm).max(1);
        self.run(format!("keydesk:tpm:{workspace}:{model}"), "peek", interval, 60_000_000, 0).await
    }

    async fn charge_tokens(&self, workspace: Uuid, model: &str, tpm: u64, tokens: u64) {
        if tpm == 0 || tokens == 0 {
            return;
        }
        let interval = (60_000_000 / tpm).max(1);
        let _ = self.run(format!("keydesk:tpm:{workspace}:{model}"), "charge", interval, 0, tokens).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_beyond_the_rate_are_refused_with_a_wait() {
        let m = MemoryLimits::default();
        let ws = Uuid::new_v4();
        let admitted = (0..20).filter(|_| m.admit_request(ws, 5).is_ok()).count();
        assert_eq!(admitted, 5, "a burst of one second's worth");
        let RetryAfter(wait) = m.admit_request(ws, 5).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(200), "{wait:?}");
        // Another workspace has its own limit.
        assert!(m.admit_request(Uuid::new_v4(), 5).is_ok());
    }

    #[test]
    fn a_model_over_its_tokens_per_minute_waits_until_the_minute_frees_them() {
        let m = MemoryLimits::default();
        let ws = Uuid::new_v4();
        assert!(m.admit_tokens(ws, "big", 1000).is_ok());
        m.charge_tokens(ws, "big", 1000, 900);
        assert!(m.admit_tokens(ws, "big", 1000).is_ok(), "900 of 1000 used");
        m.charge_tokens(ws, "big", 1000, 600);
        let RetryAfter(wait) = m.admit_tokens(ws, "big", 1000).unwrap_err();
        // 1500 tokens at 1000/min: 30 s over the minute.
        assert!(wait > Duration::from_secs(29) && wait <= Duration::from_secs(30), "{wait:?}");
        assert!(m.admit_tokens(ws, "small", 1000).is_ok(), "other models are not affected");
    }
}
