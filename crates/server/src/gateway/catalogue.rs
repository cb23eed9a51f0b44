//! The model catalogue as the platform's SDKs read it: `ModelList` of
//! `BaseModelCard`s (fields and defaults of the platform's spec), built once
//! from the configuration.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::config::Config;

/// What a model can do; the capabilities Keydesk's catalogue knows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelCapabilities {
    pub completion_chat: bool,
    pub function_calling: bool,
    pub completion_fim: bool,
    pub fine_tuning: bool,
    pub vision: bool,
    pub classification: bool,
}

/// The platform's `BaseModelCard`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelCard {
    pub id: String,
    /// Always `model`.
    pub object: String,
    /// Unix time.
    pub created: i64,
    pub owned_by: String,
    pub capabilities: ModelCapabilities,
    pub name: Option<String>,
    pub description: Option<String>,
    pub max_context_length: i64,
    pub aliases: Vec<String>,
    /// Always `base`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// The platform's `ModelList`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelList {
    /// Always `list`.
    pub object: String,
    pub data: Vec<ModelCard>,
}

/// The catalogue's cards; `created` is `started` where the file sets none.
pub fn model_list(config: &Config, started: DateTime<Utc>) -> ModelList {
    let data = config
        .models
        .iter()
        .map(|m| {
            let c = &m.config;
            ModelCard {
                id: c.id.clone(),
                object: "model".into(),
                created: c.created.unwrap_or(started.timestamp()),
                owned_by: c.owned_by.clone(),
                capabilities: ModelCapabilities {
                    completion_chat: c.chat,
                    function_calling: c.chat,
                    completion_fim: c.id.starts_with("codestral"),
                    fine_tuning: false,
                    vision: false,
                    classification: false,
                },
                name: Some(c.id.clone()),
                description: c.description.clone(),
                max_context_length: c.max_context_length,
                aliases: c.aliases.clone(),
                kind: "base".into(),
            }
        })
        .collect();
    ModelList { object: "list".into(), data }
}
