//! The gateway's configuration file (TOML): the upstream it forwards to and
//! the credential it uses there, the model catalogue `/v1/models` answers
//! with and the per-model prices usage is charged at, what a request without
//! `max_tokens` reserves, and the sizes of its caches. Without a file the
//! gateway serves a built-in catalogue (`Config::default`) and has no
//! upstream: forwarded requests are then refused with 503.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use keydesk_core::{Error, Result, Sensitive};
use serde::Deserialize;

/// One model of the catalogue, as the file spells it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    pub id: String,
    /// USD per million input (prompt) tokens.
    pub input_price: f64,
    /// USD per million output (completion) tokens.
    #[serde(default)]
    pub output_price: f64,
    #[serde(default = "default_owner")]
    pub owned_by: String,
    #[serde(default = "default_context")]
    pub max_context_length: i64,
    /// Other ids requests may use for this model (priced the same).
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// A chat model (`completion_chat`); false for embedding models.
    #[serde(default = "yes")]
    pub chat: bool,
    /// Unix time shown as `created`; the server's start when absent.
    #[serde(default)]
    pub created: Option<i64>,
}

fn yes() -> bool {
    true
}

fn default_owner() -> String {
    "mistralai".to_owned()
}

fn default_context() -> i64 {
    32768
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamConfig {
    /// Base URL of an OpenAI/Mistral-compatible API, including its version
    /// path: `/v1/chat/completions` goes to `<base_url>/chat/completions`.
    pub base_url: String,
    /// Name of the environment variable holding the upstream's API key.
    #[serde(default = "default_key_env")]
    pub api_key_env: String,
    /// Longest wait for the upstream's response headers, in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// Ask the upstream to end streams with their usage
    /// (`stream_options.include_usage`), which OpenAI-compatible APIs need
    /// and Mistral's sends anyway.
    #[serde(default)]
    pub request_stream_usage: bool,
}

fn default_key_env() -> String {
    "KEYDESK_UPSTREAM_API_KEY".to_owned()
}

fn default_timeout() -> u64 {
    600
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Output tokens reserved (and asked of the upstream as `max_tokens`)
    /// for a request that sets no `max_tokens`.
    #[serde(default = "default_max_tokens")]
    pub default_max_tokens: i64,
    /// Largest request body accepted, in bytes.
    #[serde(default = "default_body_limit")]
    pub max_body_bytes: usize,
    /// How many keys the in-memory key cache holds.
    #[serde(default = "default_key_cache")]
    pub key_cache_capacity: u64,
    /// How often metered usage is written to the database, in milliseconds.
    #[serde(default = "default_flush_ms")]
    pub flush_interval_ms: u64,
}

fn default_max_tokens() -> i64 {
    4096
}
fn default_body_limit() -> usize {
    32 * 1024 * 1024
}
fn default_key_cache() -> u64 {
    1_000_000
}
fn default_flush_ms() -> u64 {
    250
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            default_max_tokens: default_max_tokens(),
            max_body_bytes: default_body_limit(),
            key_cache_capacity: default_key_cache(),
            flush_interval_ms: default_flush_ms(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    upstream: Option<UpstreamConfig>,
    #[serde(default)]
    limits: LimitsConfig,
    #[serde(default)]
    models: Option<Vec<ModelConfig>>,
}

/// A model with its prices in micro-USD per million tokens.
#[derive(Debug, Clone)]
pub struct Model {
    pub config: ModelConfig,
    pub input_price_micros: i64,
    pub output_price_micros: i64,
}

/// The upstream, ready to use.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// Without a trailing slash.
    pub base_url: String,
    pub api_key: Option<Sensitive<String>>,
    pub timeout: Duration,
    pub request_stream_usage: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub upstream: Option<Upstream>,
    pub limits: LimitsConfig,
    /// In catalogue order.
    pub models: Vec<Model>,
    by_id: HashMap<String, usize>,
}

/// The built-in catalogue: (id, USD per million input, per million output,
/// context length). Prices follow the platform's list at the time of
/// writing; a deployment sets its own in the configuration file.
const DEFAULT_MODELS: &[(&str, f64, f64, i64)] = &[
    ("mistral-large-latest", 2.0, 6.0, 131072),
    ("mistral-medium-latest", 0.4, 2.0, 131072),
    ("mistral-small-latest", 0.1, 0.3, 131072),
    ("codestral-latest", 0.3, 0.9, 262144),
    ("ministral-8b-latest", 0.1, 0.1, 131072),
    ("open-mistral-nemo", 0.15, 0.15, 131072),
    ("mistral-embed", 0.1, 0.0, 8192),
];

impl Default for Config {
    fn default() -> Self {
        let models = DEFAULT_MODELS
            .iter()
            .map(|(id, i, o, ctx)| ModelConfig {
                id: (*id).to_owned(),
                input_price: *i,
                output_price: *o,
                owned_by: default_owner(),
                max_context_length: *ctx,
                aliases: vec![],
                description: None,
                chat: !id.contains("embed"),
                created: None,
            })
            .collect();
        Config::build(None, LimitsConfig::default(), models, &|_| None).expect("the built-in catalogue is valid")
    }
}

fn price_micros(field: &str, usd_per_million: f64) -> Result<i64> {
    if !usd_per_million.is_finite() || !(0.0..=1_000_000.0).contains(&usd_per_million) {
        return Err(Error::validation(field, format!("{field} must be a price in USD per million tokens, between 0 and 1000000")));
    }
    Ok((usd_per_million * 1_000_000.0).round() as i64)
}

impl Config {
    /// Reads a configuration file; errors name the file's field.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::validation("gateway_config", format!("cannot read {}: {e}", path.display())))?;
        Self::parse(&text, &|name| std::env::var(name).ok())
    }

    /// Parses the file's text; `env` looks up the upstream key's variable.
    pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Config> {
        let file: FileConfig =
            toml::from_str(text).map_err(|e| Error::validation("gateway_config", format!("invalid gateway configuration: {e}")))?;
        let models = match file.models {
            Some(m) => m,
            None => Config::default().models.into_iter().map(|m| m.config).collect(),
        };
        Config::build(file.upstream, file.limits, models, env)
    }

    fn build(
        upstream: Option<UpstreamConfig>,
        limits: LimitsConfig,
        models: Vec<ModelConfig>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config> {
        if limits.default_max_tokens < 1 {
            return Err(Error::validation("limits.default_max_tokens", "limits.default_max_tokens must be at least 1"));
        }
        if limits.flush_interval_ms == 0 || limits.flush_interval_ms > 60_000 {
            return Err(Error::validation("limits.flush_interval_ms", "limits.flush_interval_ms must be 1 to 60000"));
        }
        let upstream = match upstream {
            None => None,
            Some(u) => {
                let base = u.base_url.trim().trim_end_matches('/').to_owned();
                let parsed = reqwest::Url::parse(&base)
                    .map_err(|e| Error::validation("upstream.base_url", format!("upstream.base_url is not a URL: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(Error::validation("upstream.base_url", "upstream.base_url must be an http:// or https:// URL"));
                }
                let api_key = env(&u.api_key_env).filter(|k| !k.trim().is_empty()).map(|k| Sensitive::new(k.trim().to_owned()));
                Some(Upstream {
                    base_url: base,
                    api_key,
                    timeout: Duration::from_secs(u.timeout_seconds.max(1)),
                    request_stream_usage: u.request_stream_usage,
                })
            }
        };
        let mut by_id = HashMap::new();
        let mut out = Vec::with_capacity(models.len());
        for (i, m) in models.into_iter().enumerate() {
            if m.id.trim().is_empty() {
                return Err(Error::validation("models.id", "every model needs an id"));
            }
            let input_price_micros = price_micros("models.input_price", m.input_price)?;
            let output_price_micros = price_micros("models.output_price", m.output_price)?;
            for name in std::iter::once(&m.id).chain(m.aliases.iter()) {
                if by_id.insert(name.clone(), i).is_some() {
                    return Err(Error::validation("models.id", format!("model id '{name}' appears twice in the catalogue")));
                }
            }
            out.push(Model { config: m, input_price_micros, output_price_micros });
        }
        Ok(Config { upstream, limits, models: out, by_id })
    }

    /// The catalogue entry a request's model id (or alias) names.
    pub fn model(&self, id: &str) -> Option<&Model> {
        self.by_id.get(id).map(|&i| &self.models[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_sets_upstream_prices_and_aliases_and_reads_the_key_from_the_environment() {
        let text = r#"
            [upstream]
            base_url = "http://127.0.0.1:9000/v1/"
            api_key_env = "TEST_UPSTREAM_KEY"

            [limits]
            default_max_tokens = 512

            [[models]]
            id = "test-model"
            input_price = 2.5
            output_price = 10
            aliases = ["test-latest"]
        "#;
        let cfg = Config::parse(text, &|name| (name == "TEST_UPSTREAM_KEY").then(|| "sk-up".to_owned())).unwrap();
        let up = cfg.upstream.as_ref().unwrap();
        assert_eq!(up.base_url, "http://127.0.0.1:9000/v1");
        assert_eq!(up.api_key.as_ref().unwrap().expose(), "sk-up");
        assert_eq!(cfg.limits.default_max_tokens, 512);
        let m = cfg.model("test-latest").unwrap();
        assert_eq!((m.config.id.as_str(), m.input_price_micros, m.output_price_micros), ("test-model", 2_500_000, 10_000_000));
        assert!(cfg.model("mistral-small-latest").is_none(), "a file's catalogue replaces the built-in one");
    }

    #[test]
    fn without_a_file_the_built_in_catalogue_is_served_and_nothing_is_forwarded() {
        let cfg = Config::default();
        assert!(cfg.upstream.is_none());
        assert!(cfg.model("mistral-small-latest").is_some());
        assert_eq!(cfg.model("mistral-large-latest").unwrap().output_price_micros, 6_000_000);
    }

    #[test]
    fn bad_files_are_refused_naming_the_field() {
        let env = |_: &str| None;
        for (text, field) in [
            ("[upstream]\nbase_url = \"ftp://x\"", "upstream.base_url"),
            ("[[models]]\nid = \"a\"\ninput_price = -1", "models.input_price"),
            ("[[models]]\nid = \"a\"\ninput_price = 1\n[[models]]\nid = \"a\"\ninput_price = 1", "models.id"),
            ("[limits]\ndefault_max_tokens = 0", "limits.default_max_tokens"),
            ("unknown = 1", "gateway_config"),
        ] {
            let err = Config::parse(text, &env).unwrap_err();
            assert_eq!(err.field.as_deref(), Some(field), "{text}: {}", err.message);
        }
    }
}
