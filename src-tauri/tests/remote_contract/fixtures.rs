//! What the suite's scenarios share: unique names, signing in, and metering usage.

use std::path::Path;

use chrono::{DateTime, Utc};
use keydesk_core::model::{ApiKey, UsageRecord};
use keydesk_core::secret::Sensitive;
use keydesk_desktop::remote::RemoteBackend;
use uuid::Uuid;

use crate::support::TestServer;

/// A name no other scenario (or run against the same server) uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix} {}", &Uuid::new_v4().simple().to_string()[..8])
}

/// Records metered requests where each kind of backend keeps them (the
/// desktop itself never meters): in local mode through a second
/// keydesk-core `Service` on the app's own SQLite file, in remote mode
/// through the server's `POST /v1/admin/usage-events` with the
/// organization's Admin API key.
pub enum Meter {
    Local(keydesk_core::Service),
    Remote { url: String, admin_key: String },
}

impl Meter {
    pub async fn local(data_dir: &Path) -> Meter {
        use keydesk_desktop::local::{DATABASE_FILE, KEY_PREFIX, PEPPER_FILE};
        let pepper = std::fs::read(data_dir.join(PEPPER_FILE)).unwrap();
        let url = format!("sqlite://{}", data_dir.join(DATABASE_FILE).display());
        Meter::Local(
            keydesk_core::Service::connect(&url, &pepper, KEY_PREFIX)
                .await
                .unwrap(),
        )
    }

    pub fn remote(server: &TestServer) -> Meter {
        Meter::Remote {
            url: server.url.clone(),
            admin_key: server.admin_api_key.clone(),
        }
    }

    pub async fn record(
        &self,
        key: &ApiKey,
        model: &str,
        input: i64,
        output: i64,
        cost_micros: i64,
        at: DateTime<Utc>,
    ) {
        match self {
            Meter::Local(svc) => svc
                .record_usage(&UsageRecord {
                    key_id: key.key_id,
                    workspace_id: key.workspace_id,
                    model: model.into(),
                    input_tokens: input,
                    output_tokens: output,
                    cost_micros,
                    at,
                })
                .await
                .unwrap(),
            Meter::Remote { url, admin_key } => {
                let body = serde_json::json!({
                    "key_id": key.key_id, "model": model, "input_tokens": input, "output_tokens": output,
                    "cost": cost_micros as f64 / 1_000_000.0, "at": at,
                });
                let answer = reqwest::Client::new()
                    .post(format!(
                        "{}/v1/admin/usage-events",
                        url.trim_end_matches('/')
                    ))
                    .bearer_auth(admin_key)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = answer.status();
                assert_eq!(
                    status,
                    200,
                    "usage event refused: {}",
                    answer.text().await.unwrap_or_default()
                );
            }
        }
    }
}

pub async fn sign_in(server: &TestServer, data_dir: &Path) -> RemoteBackend {
    RemoteBackend::sign_in(
        &server.url,
        &server.admin_email,
        Sensitive::new(server.admin_password.clone()),
        data_dir,
    )
    .await
    .unwrap()
}
