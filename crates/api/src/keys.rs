//! API keys on the wire: the platform's key shapes with Keydesk's fields,
//! the key list's query, creation, rotation and patches.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use keydesk_core::model::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::*;

/// Availability of an action on a key, with the spec's reason codes.
#[derive(Serialize, Deserialize, Clone, Copy)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ActionOut {
    Available,
    Unavailable {
        /// `unsupported_scope`, `key_expired` or `not_allowed`.
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        reason: Option<keydesk_core::model::UnavailableReason>,
    },
}

impl From<ActionAvailability> for ActionOut {
    fn from(a: ActionAvailability) -> Self {
        match a {
            ActionAvailability::Available => ActionOut::Available,
            ActionAvailability::Unavailable { reason } => ActionOut::Unavailable { reason },
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Copy)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyActionsOut {
    pub rotate: Option<ActionOut>,
    pub delete: Option<ActionOut>,
}

#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ProductOut {
    #[serde(rename = "API")]
    Api,
    #[serde(rename = "Mistral Code")]
    MistralCode,
    #[serde(rename = "Vibe")]
    Vibe,
}

impl From<KeyProduct> for ProductOut {
    fn from(p: KeyProduct) -> Self {
        match p {
            KeyProduct::Api => ProductOut::Api,
            KeyProduct::Vibe => ProductOut::Vibe,
            KeyProduct::MistralCode => ProductOut::MistralCode,
        }
    }
}

impl From<ProductOut> for KeyProduct {
    fn from(p: ProductOut) -> Self {
        match p {
            ProductOut::Api => KeyProduct::Api,
            ProductOut::Vibe => KeyProduct::Vibe,
            ProductOut::MistralCode => KeyProduct::MistralCode,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConnectorScopeWire {
    Shared,
    PrivateAndShared,
}

impl From<ConnectorScope> for ConnectorScopeWire {
    fn from(s: ConnectorScope) -> Self {
        match s {
            ConnectorScope::Shared => ConnectorScopeWire::Shared,
            ConnectorScope::PrivateAndShared => ConnectorScopeWire::PrivateAndShared,
        }
    }
}

impl From<ConnectorScopeWire> for ConnectorScope {
    fn from(s: ConnectorScopeWire) -> Self {
        match s {
            ConnectorScopeWire::Shared => ConnectorScope::Shared,
            ConnectorScopeWire::PrivateAndShared => ConnectorScope::PrivateAndShared,
        }
    }
}

/// `APIKeyExtendedOUT` (and, with `key` set once at creation, `APIKeyOUT`),
/// with Keydesk's fields added. Not `Debug`: it may carry a secret.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyOut {
    pub key_id: Uuid,
    /// The full secret: only in the answer that created the key.
    pub key: Option<String>,
    pub name: Option<String>,
    pub hidden_key: String,
    pub created_at: Option<DateTime<Utc>>,
    pub expiration_date: Option<NaiveDate>,
    pub actions: ApiKeyActionsOut,
    pub workspace_id: Option<Uuid>,
    pub workspace_name: Option<String>,
    /// Email of the key's owner.
    pub created_by: Option<String>,
    pub product: Option<ProductOut>,
    pub last_used: Option<NaiveDate>,
    pub can_delete: Option<bool>,
    /// Keydesk: the owner's user id.
    pub user_id: Uuid,
    /// Keydesk: `active`, `expired` or `inactive` (billing not active).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub status: KeyStatus,
    pub connector_scope: ConnectorScopeWire,
    pub last_used_at: Option<DateTime<Utc>>,
    /// Keydesk: set while the key is in a rotation grace period.
    pub rotation_ends_at: Option<DateTime<Utc>>,
    /// Keydesk: true when the requested expiration was moved by the policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_clamped: Option<bool>,
    /// Keydesk: the key's own monthly spending cap in USD (null: none).
    pub monthly_budget: Option<f64>,
}

impl ApiKeyOut {
    pub fn from_key(k: &ApiKey) -> Self {
        ApiKeyOut {
            key_id: k.key_id,
            key: None,
            name: k.name.clone(),
            hidden_key: k.hidden_key.clone(),
            created_at: Some(k.created_at),
            expiration_date: k.expiration_date,
            actions: ApiKeyActionsOut { rotate: Some(k.actions.rotate.into()), delete: Some(k.actions.delete.into()) },
            workspace_id: Some(k.workspace_id),
            workspace_name: Some(k.workspace_name.clone()),
            created_by: Some(k.owner_email.clone()),
            product: Some(k.product.into()),
            last_used: k.last_used_at.map(|t| t.date_naive()),
            can_delete: Some(k.actions.delete.is_available()),
            user_id: k.owner_id,
            status: k.status,
            connector_scope: k.connector_scope.into(),
            last_used_at: k.last_used_at,
            rotation_ends_at: k.delete_after,
            expiration_clamped: None,
            monthly_budget: k.monthly_budget_micros.map(usd),
        }
    }

    pub fn from_created(c: &keydesk_core::model::CreatedKey) -> Self {
        let mut out = Self::from_key(&c.key);
        out.key = Some(c.secret.expose().clone());
        out.expiration_clamped = Some(c.expiration_clamped);
        out
    }
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeysOut {
    pub keys: Vec<ApiKeyOut>,
    /// Keydesk: number of matching keys, counted up to a cap.
    pub total: i64,
    /// Keydesk: false when more than `total` keys match.
    pub total_exact: bool,
}

#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ApiKeysQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    /// Name substring or the last 4 characters of the key; case- and accent-insensitive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Keydesk: only keys of this workspace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<Uuid>,
    /// Keydesk: only keys owned by this user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Uuid>,
    /// Keydesk: only keys with this status (`active`, `expired`, `inactive`).
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<KeyStatus>,
    /// Keydesk: only keys for this product (`API`, `Vibe`, `Mistral Code`).
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductOut>,
    /// Keydesk: only keys not used (or never used) in the last N days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unused_for_days: Option<i32>,
    /// Keydesk: order by this column (`name`, `hidden_key`, `product`,
    /// `workspace`, `owner`, `created`, `last_used`, `expires`, `status`);
    /// newest first when absent.
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<keydesk_core::model::KeySortColumn>,
    /// Keydesk: with `sort`, the descending order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub descending: Option<bool>,
}

/// Keydesk: the caller's own keys (`GET /v1/me/api-keys`), with the same
/// filters and order as the organization's list.
#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct MyKeysQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    /// Name substring or the last 4 characters of the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<Uuid>,
    /// `active`, `expired` or `inactive`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>))]
    pub status: Option<KeyStatus>,
    /// `API`, `Vibe` or `Mistral Code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>))]
    pub product: Option<ProductOut>,
    /// Only keys not used (or never used) in the last N days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unused_for_days: Option<i32>,
    /// Order by this column, as in `GET /v1/admin/api-keys`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>))]
    pub sort: Option<KeySortColumn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub descending: Option<bool>,
}

impl MyKeysQuery {
    /// The list filter, for the keys of `owner` (the caller).
    pub fn filter_for(self, owner: Uuid) -> KeyFilter {
        let mut filter = KeyFilter::from(ApiKeysQuery {
            limit: self.limit,
            offset: self.offset,
            name: self.name,
            workspace_id: self.workspace_id,
            user_id: None,
            status: self.status,
            product: self.product,
            unused_for_days: self.unused_for_days,
            sort: self.sort,
            descending: self.descending,
        });
        filter.owner_id = Some(owner);
        filter
    }
}

/// The caller's own keys' filter (its owner is the caller, not sent).
impl From<&KeyFilter> for MyKeysQuery {
    fn from(f: &KeyFilter) -> Self {
        let q = ApiKeysQuery::from(f);
        MyKeysQuery {
            limit: q.limit,
            offset: q.offset,
            name: q.name,
            workspace_id: q.workspace_id,
            status: q.status,
            product: q.product,
            unused_for_days: q.unused_for_days,
            sort: q.sort,
            descending: q.descending,
        }
    }
}

/// `AdminCreateAPIKeyIN`, plus Keydesk's product and connector scope.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminCreateApiKeyIn {
    pub name: Option<String>,
    pub expiration: Option<NaiveDate>,
    pub workspace_uuid: Uuid,
    pub user_id: Uuid,
    pub product: Option<ProductOut>,
    pub connector_scope: Option<ConnectorScopeWire>,
    /// Keydesk: the key's own monthly spending cap in USD (workspace admins).
    pub monthly_budget: Option<f64>,
}

/// Creating one's own key (Keydesk, `POST /v1/me/api-keys`).
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateOwnKeyIn {
    pub workspace_uuid: Uuid,
    pub name: Option<String>,
    pub expiration: Option<NaiveDate>,
    pub product: Option<ProductOut>,
    pub connector_scope: Option<ConnectorScopeWire>,
}

#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RotateKeyIn {
    /// How long the old key keeps working (0 or absent: it stops at once).
    pub grace_period_seconds: Option<i64>,
}

/// Keydesk: the changeable settings of a key; absent fields stay as they are.
#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyPatchIn {
    /// The new name; null or empty clears it.
    #[serde(default, deserialize_with = "crate::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub name: Option<Option<String>>,
    /// The key's own monthly spending cap in USD; null removes it
    /// (workspace admins only).
    #[serde(default, deserialize_with = "crate::double_option", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub monthly_budget: Option<Option<f64>>,
    /// Any other field sent; settings fixed at creation are refused.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub other: BTreeMap<String, serde_json::Value>,
}

impl KeyPatchIn {
    /// A key's workspace, owner, product, scope and expiry are set once, at
    /// creation: a patch that names one is refused, naming it, rather than
    /// half applied.
    pub const FIXED_AT_CREATION: [&'static str; 8] =
        ["workspace_uuid", "workspace_id", "user_id", "product", "connector_scope", "expiration", "expiration_date", "key"];

    pub fn check_fixed_fields(&self) -> Result<(), FieldError> {
        match Self::FIXED_AT_CREATION.iter().find(|f| self.other.contains_key(**f)) {
            Some(field) => Err(FieldError::new(
                field,
                format!("{field} cannot be changed after the key is created; create a new key (or rotate this one) instead"),
            )),
            None => Ok(()),
        }
    }
}

impl From<ActionOut> for ActionAvailability {
    fn from(a: ActionOut) -> Self {
        match a {
            ActionOut::Available => ActionAvailability::Available,
            ActionOut::Unavailable { reason } => ActionAvailability::Unavailable { reason },
        }
    }
}

/// The public form of a key as the server sent it. The secret, if the
/// answer carried one, is not part of it: take it out of `key` first.
impl TryFrom<ApiKeyOut> for ApiKey {
    type Error = Unreadable;

    fn try_from(k: ApiKeyOut) -> Result<Self, Unreadable> {
        let missing = |what: &str| Unreadable(format!("the server's key has no {what}"));
        let not_allowed = ActionAvailability::Unavailable { reason: Some(UnavailableReason::NotAllowed) };
        Ok(ApiKey {
            key_id: k.key_id,
            name: k.name,
            hidden_key: k.hidden_key,
            workspace_id: k.workspace_id.ok_or_else(|| missing("workspace"))?,
            workspace_name: k.workspace_name.unwrap_or_default(),
            owner_id: k.user_id,
            owner_email: k.created_by.unwrap_or_default(),
            product: k.product.map_or(KeyProduct::Api, Into::into),
            connector_scope: k.connector_scope.into(),
            created_at: k.created_at.ok_or_else(|| missing("creation time"))?,
            expiration_date: k.expiration_date,
            last_used_at: k.last_used_at,
            delete_after: k.rotation_ends_at,
            monthly_budget_micros: k.monthly_budget.map(micros),
            status: k.status,
            actions: KeyActions {
                rotate: k.actions.rotate.map_or(not_allowed, Into::into),
                delete: k.actions.delete.map_or(not_allowed, Into::into),
            },
        })
    }
}

impl From<&KeyFilter> for ApiKeysQuery {
    fn from(f: &KeyFilter) -> Self {
        ApiKeysQuery {
            limit: f.limit,
            offset: f.offset,
            name: f.search.clone().filter(|s| !s.trim().is_empty()),
            workspace_id: f.workspace_id,
            user_id: f.owner_id,
            status: f.status,
            product: f.product.map(Into::into),
            unused_for_days: f.unused_for_days,
            sort: f.sort.map(|s| s.column),
            descending: f.sort.map(|s| s.descending),
        }
    }
}

impl From<ApiKeysQuery> for KeyFilter {
    fn from(q: ApiKeysQuery) -> Self {
        KeyFilter {
            workspace_id: q.workspace_id,
            owner_id: q.user_id,
            search: q.name,
            status: q.status,
            product: q.product.map(Into::into),
            unused_for_days: q.unused_for_days,
            sort: q.sort.map(|column| KeySort { column, descending: q.descending.unwrap_or(false) }),
            limit: q.limit,
            offset: q.offset,
        }
    }
}
