//! The model catalogue as the platform's SDKs read it: `ModelList` of
//! `BaseModelCard`s (fields and defaults of the platform's spec), built once
//! from the configuration.

use chrono::{DateTime, Utc};
use keydesk_api::{ModelCapabilities, ModelCard, ModelList};

use super::config::Config;

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
