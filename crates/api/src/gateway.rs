//! The gateway's own answers under `/v1/*`: the model catalogue in the
//! platform's `ModelList` shape, and the refusal body the platform's SDKs
//! read.

use serde::{Deserialize, Serialize};

/// What a model can do; the capabilities Keydesk's catalogue knows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelCapabilities {
    pub completion_chat: bool,
    pub function_calling: bool,
    pub completion_fim: bool,
    pub fine_tuning: bool,
    pub vision: bool,
    pub classification: bool,
}

/// The platform's `BaseModelCard`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelList {
    /// Always `list`.
    pub object: String,
    pub data: Vec<ModelCard>,
}

/// A gateway refusal, as sent.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GatewayErrorBody {
    pub error: GatewayErrorDetail,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GatewayErrorDetail {
    /// `invalid_request_error`, `authentication_error`, `permission_error`,
    /// `rate_limit_error` or `api_error`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What was refused, e.g. `invalid_api_key`, `billing_inactive`,
    /// `workspace_spend_limit_exceeded`.
    pub code: String,
    pub message: String,
    /// For a spent monthly limit: when requests are accepted again (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resets_at: Option<String>,
}
