//! The organization, its Admin API keys and its connectors on the wire.

use chrono::{DateTime, NaiveDate, Utc};
use keydesk_core::model::{Connector, ConnectorVisibility, Organization, Plan};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::*;

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminApiKeyOut {
    pub id: Uuid,
    pub name: String,
    pub hidden_key: String,
    /// The full secret: only in the answer that created the key.
    pub key: Option<String>,
    pub created_by: Uuid,
    pub created_by_email: String,
    pub created_at: DateTime<Utc>,
    pub expiration_date: Option<NaiveDate>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<&keydesk_core::auth::AdminApiKey> for AdminApiKeyOut {
    fn from(k: &keydesk_core::auth::AdminApiKey) -> Self {
        AdminApiKeyOut {
            id: k.id,
            name: k.name.clone(),
            hidden_key: k.hidden_key.clone(),
            key: None,
            created_by: k.created_by,
            created_by_email: k.created_by_email.clone(),
            created_at: k.created_at,
            expiration_date: k.expiration_date,
            last_used_at: k.last_used_at,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminApiKeysOut {
    pub keys: Vec<AdminApiKeyOut>,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateAdminApiKeyIn {
    pub name: String,
    pub expiration: Option<NaiveDate>,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganizationOut {
    pub uuid: Uuid,
    pub name: String,
    /// `experiment` (free tier) or `scale` (pay as you go).
    pub plan: String,
    pub billing_active: bool,
    /// Monthly spending limit in USD (null: none).
    pub monthly_spend_limit: Option<f64>,
    /// Longest validity, in days, of new keys (null: no policy).
    pub key_max_days: Option<i32>,
    pub created_at: DateTime<Utc>,
}

impl From<&Organization> for OrganizationOut {
    fn from(o: &Organization) -> Self {
        OrganizationOut {
            uuid: o.id,
            name: o.name.clone(),
            plan: o.plan.as_str().to_owned(),
            billing_active: o.billing_active,
            monthly_spend_limit: o.monthly_spend_limit_micros.map(usd),
            key_max_days: o.key_max_days,
            created_at: o.created_at,
        }
    }
}

/// Organization settings: absent fields stay unchanged, null clears.
#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganizationPatchIn {
    pub name: Option<String>,
    /// `experiment` or `scale`.
    pub plan: Option<String>,
    pub billing_active: Option<bool>,
    #[serde(default, deserialize_with = "crate::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i32>))]
    pub key_max_days: Option<Option<i32>>,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectorOut {
    pub id: Uuid,
    pub name: String,
    pub owner_id: Uuid,
    pub workspace_id: Uuid,
    /// `private` or `shared`.
    pub visibility: String,
    pub created_at: DateTime<Utc>,
}

impl From<&Connector> for ConnectorOut {
    fn from(c: &Connector) -> Self {
        ConnectorOut {
            id: c.id,
            name: c.name.clone(),
            owner_id: c.owner_id,
            workspace_id: c.workspace_id,
            visibility: visibility_name(c.visibility).to_owned(),
            created_at: c.created_at,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectorsOut {
    pub connectors: Vec<ConnectorOut>,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateConnectorIn {
    pub name: String,
    /// `private` (the default) or `shared`.
    pub visibility: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectorVisibilityIn {
    /// `private` or `shared`.
    pub visibility: String,
}

/// A connector visibility's name on the wire.
pub fn visibility_name(v: ConnectorVisibility) -> &'static str {
    match v {
        ConnectorVisibility::Private => "private",
        ConnectorVisibility::Shared => "shared",
    }
}

pub fn parse_visibility(v: &str) -> Result<ConnectorVisibility, FieldError> {
    match v {
        "private" => Ok(ConnectorVisibility::Private),
        "shared" => Ok(ConnectorVisibility::Shared),
        _ => Err(FieldError::new("visibility", "visibility must be 'private' or 'shared'")),
    }
}

impl TryFrom<OrganizationOut> for Organization {
    type Error = Unreadable;

    fn try_from(o: OrganizationOut) -> Result<Self, Unreadable> {
        let plan = Plan::parse(&o.plan).ok_or_else(|| Unreadable(format!("unknown plan '{}'", o.plan)))?;
        Ok(Organization {
            id: o.uuid,
            name: o.name,
            plan,
            billing_active: o.billing_active,
            monthly_spend_limit_micros: o.monthly_spend_limit.map(micros),
            key_max_days: o.key_max_days,
            created_at: o.created_at,
        })
    }
}

impl TryFrom<ConnectorOut> for Connector {
    type Error = Unreadable;

    fn try_from(c: ConnectorOut) -> Result<Self, Unreadable> {
        let visibility = parse_visibility(&c.visibility).map_err(|e| Unreadable(e.message))?;
        Ok(Connector { id: c.id, name: c.name, owner_id: c.owner_id, workspace_id: c.workspace_id, visibility, created_at: c.created_at })
    }
}
