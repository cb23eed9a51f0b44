//! Two gateway replicas on one PostgreSQL database and one Redis, as real
//! processes: together they never spend beyond a limit, enforce a request
//! rate once, and refuse a key deleted through the other within a second.
//! Skipped outside CI when `KEYDESK_TEST_POSTGRES_URL` or
//! `KEYDESK_TEST_REDIS_URL` is missing (scripts/with-postgres.sh and
//! scripts/with-redis.sh provide them).

mod processes;

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use processes::{fake_upstream, micros, postgres_database, redis_url, Admin, Deployment, Proc};
use serde_json::{json, Value};

struct Replicas {
    _upstream: Proc,
    a: Proc,
    b: Proc,
    deployment: Deployment,
    http: reqwest::Client,
    workspace: String,
}

async fn replicas() -> Option<Replicas> {
    let database = postgres_database().await?;
    let redis = redis_url()?;
    let upstream = fake_upstream();
    let deployment = Deployment::new(Some(database), &upstream.url);
    let a = deployment.serve(Some(&redis));
    let b = deployment.serve(Some(&redis));
    let http = reqwest::Client::builder().pool_max_idle_per_host(300).build().unwrap();
    let workspace = Admin { http: http.clone(), base: &a.url, key: &deployment.admin_key }.default_workspace().await;
    Some(Replicas { _upstream: upstream, a, b, deployment, http, workspace })
}

impl Replicas {
    fn admin<'a>(&'a self, replica: &'a Proc) -> Admin<'a> {
        Admin { http: self.http.clone(), base: &replica.url, key: &self.deployment.admin_key }
    }

    /// Sends `n` chat requests at once, alternating between the replicas;
    /// returns their statuses and error codes.
    async fn burst(&self, secret: &str, n: usize, completion_tokens: u32) -> Vec<(u16, Option<String>)> {
        let body = json!({"model": "fake-model", "max_tokens": 100, "messages": [{"role": "user", "content": "Count the sheep, please."}]});
        let requests = (0..n).map(|i| {
            let base = if i % 2 == 0 { &self.a.url } else { &self.b.url };
            let req = self
                .http
                .post(format!("{base}/v1/chat/completions"))
                .bearer_auth(secret)
                .header("x-fake-completion-tokens", completion_tokens.to_string())
                .json(&body);
            async move {
                let res = req.send().await.unwrap();
                let status = res.status().as_u16();
                let body: Value = res.json().await.unwrap_or(Value::Null);
                (status, body["error"]["code"].as_str().map(str::to_owned))
            }
        });
        join_all(requests).await
    }

    async fn settled_spend(&self) -> Value {
        // Both replicas write usage every 50 ms; wait until it stops moving.
        let admin = self.admin(&self.a);
        let mut last = admin.spend(&self.workspace).await;
        loop {
            tokio::time::sleep(Duration::from_millis(400)).await;
            let now = admin.spend(&self.workspace).await;
            if now == last {
                return now;
            }
            last = now;
        }
    }
}

/// Each request may cost up to 100 output tokens at 30 USD per million
/// (3,000 micro-USD) plus its prompt; 256 of them could cost about 0.8 USD,
/// far above a limit of 0.05 USD.
const LIMIT_USD: f64 = 0.05;
const LIMIT_MICROS: i64 = 50_000;

fn check_burst(results: &[(u16, Option<String>)], code: &str) -> usize {
    let accepted = results.iter().filter(|(s, _)| *s == 200).count();
    for (status, c) in results {
        assert!(*status == 200 || (*status == 429 && c.as_deref() == Some(code)), "every refusal is a 429 {code}: got {status} {c:?}");
    }
    assert!(accepted > 0, "some requests fit within the limit");
    assert!(accepted < results.len(), "the limit refused some requests");
    accepted
}

#[tokio::test]
async fn two_replicas_never_spend_beyond_a_workspace_limit() {
    let Some(r) = replicas().await else { return };
    let admin = r.admin(&r.a);
    admin.settings(&r.workspace, json!({"monthly_spend_limit": LIMIT_USD})).await;
    let (_, secret) = admin.create_key(&r.workspace, &r.deployment.admin_id, json!({})).await;

    let results = r.burst(&secret, 256, 100).await;
    let accepted = check_burst(&results, "workspace_spend_limit_exceeded");
    let spend = r.settled_spend().await;
    let spent = micros(&spend["spent"]);
    let overspend = (spent - LIMIT_MICROS).max(0);
    println!("workspace limit {LIMIT_MICROS} micro-USD: {accepted} of 256 accepted, spent {spent}, overspend {overspend}");
    assert_eq!(overspend, 0);
    assert_eq!(spend["requests"].as_u64(), Some(accepted as u64), "every accepted request is on the bill");
}

#[tokio::test]
async fn two_replicas_never_spend_beyond_a_keys_own_budget() {
    let Some(r) = replicas().await else { return };
    let admin = r.admin(&r.b);
    let (key_id, secret) = admin.create_key(&r.workspace, &r.deployment.admin_id, json!({"monthly_budget": LIMIT_USD})).await;

    let results = r.burst(&secret, 256, 100).await;
    let accepted = check_burst(&results, "api_key_budget_exceeded");
    r.settled_spend().await;
    let (status, usage) = admin.call("GET", &format!("/v1/admin/workspaces/{}/usage/api-keys", r.workspace), None).await;
    assert_eq!(status, 200);
    let mine = usage["keys"].as_array().unwrap().iter().find(|k| k["key_id"] == key_id.as_str()).unwrap();
    let spent = micros(&mine["cost"]);
    let overspend = (spent - LIMIT_MICROS).max(0);
    println!("key budget {LIMIT_MICROS} micro-USD: {accepted} of 256 accepted, spent {spent}, overspend {overspend}");
    assert_eq!(overspend, 0);
}

#[tokio::test]
async fn two_replicas_with_redis_enforce_a_request_rate_once() {
    let Some(r) = replicas().await else { return };
    let admin = r.admin(&r.a);
    let rps = 5;
    admin.settings(&r.workspace, json!({"requests_per_second": rps})).await;
    let (_, secret) = admin.create_key(&r.workspace, &r.deployment.admin_id, json!({})).await;
    // Warm both replicas' caches of the key and the workspace, then wait
    // for the burst allowance to refill.
    for replica in [&r.a, &r.b] {
        r.http.get(format!("{}/v1/models", replica.url)).bearer_auth(&secret).send().await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let started = Instant::now();
    let statuses = join_all((0..40).map(|i| {
        let base = if i % 2 == 0 { &r.a.url } else { &r.b.url };
        let req = r.http.get(format!("{base}/v1/models")).bearer_auth(&secret);
        async move { req.send().await.unwrap().status().as_u16() }
    }))
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    let accepted = statuses.iter().filter(|s| **s == 200).count();
    assert!(statuses.iter().all(|s| *s == 200 || *s == 429), "{statuses:?}");
    // A burst of one second's worth, then the rate, for both replicas together.
    let allowed = rps as f64 * (1.0 + elapsed);
    println!("{accepted} of 40 accepted in {elapsed:.3} s across two replicas; the limit allows {allowed:.1}");
    assert!(accepted >= rps, "the burst allowance is served");
    assert!(accepted as f64 <= allowed.floor(), "two replicas accepted {accepted}, more than one limit allows ({allowed:.1})");
}

#[tokio::test]
async fn a_key_deleted_through_one_replica_is_refused_by_the_other_within_a_second() {
    let Some(r) = replicas().await else { return };
    let admin = r.admin(&r.a);
    let (key_id, secret) = admin.create_key(&r.workspace, &r.deployment.admin_id, json!({})).await;
    let models = |base: &str| r.http.get(format!("{base}/v1/models")).bearer_auth(&secret).send();
    // Both replicas have the key in their caches.
    assert_eq!(models(&r.a.url).await.unwrap().status(), 200);
    assert_eq!(models(&r.b.url).await.unwrap().status(), 200);

    let (status, _) = admin.call("DELETE", &format!("/v1/admin/api-keys/{key_id}"), None).await;
    assert!(status == 200 || status == 204, "{status}");
    let deleted_at = Instant::now();
    assert_eq!(models(&r.a.url).await.unwrap().status(), 401, "the replica that deleted it refuses it at once");
    let refused_after = loop {
        if models(&r.b.url).await.unwrap().status() == 401 {
            break deleted_at.elapsed();
        }
        assert!(deleted_at.elapsed() < Duration::from_secs(5), "the other replica still accepts the deleted key");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    println!("the other replica refused the deleted key after {refused_after:?}");
    assert!(refused_after < Duration::from_secs(1), "{refused_after:?}");
}
