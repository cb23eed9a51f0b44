//! What the gateway reads from the store to decide on a request: a key by
//! the hash of its secret, a workspace's limits, the organization's billing
//! state and limit, a connector. The gateway caches these in memory and
//! invalidates them on announced changes (see `changes`); the rules it
//! applies to them (expiry, grace, billing) are the same ones the Service's
//! key status uses (`policy`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use uuid::Uuid;

use crate::args;
use crate::error::{ErrorCode, Result};
use crate::model::{Connector, ConnectorScope, KeyStatus, RateLimits};
use crate::policy;
use crate::secret::checksum_ok;
use crate::service::{from_ms, ms, Service};

/// A live key as the gateway needs it. Never holds the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayKey {
    pub key_id: Uuid,
    pub workspace_id: Uuid,
    pub owner_id: Uuid,
    pub connector_scope: ConnectorScope,
    /// First instant at which the key is expired.
    pub expires_at: Option<DateTime<Utc>>,
    /// End of a rotation grace period: the key stops working then.
    pub delete_after: Option<DateTime<Utc>>,
    pub monthly_budget_micros: Option<i64>,
}

impl GatewayKey {
    /// Whether the key still opens the gateway at `now`: not past its grace
    /// period, and not expired (billing is the organization's, checked apart).
    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        self.delete_after.is_none_or(|t| t > now) && policy::key_status(self.expires_at, true, now) == KeyStatus::Active
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct GatewayWorkspace {
    pub id: Uuid,
    pub monthly_spend_limit_micros: Option<i64>,
    pub rate_limits: RateLimits,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatewayOrganization {
    pub id: Uuid,
    pub billing_active: bool,
    pub monthly_spend_limit_micros: Option<i64>,
}

#[derive(FromRow)]
struct GatewayKeyRow {
    id: Uuid,
    workspace_id: Uuid,
    owner_id: Uuid,
    connector_scope: String,
    expires_at: Option<i64>,
    delete_after: Option<i64>,
    monthly_budget_micros: Option<i64>,
    key_hash: Vec<u8>,
}

impl Service {
    /// The hash the store knows a presented secret by, or `None` when the
    /// string fails the key format's checksum: such a string cannot be a key,
    /// and is refused without a look at the database or any cache.
    pub fn gateway_key_hash(&self, presented: &str) -> Option<Vec<u8>> {
        checksum_ok(presented).then(|| self.hasher().hash(presented))
    }

    /// The key whose secret has `hash`, unless deleted or past its rotation
    /// grace period. Expired keys are returned: the gateway tells them apart
    /// by time, so a cached entry expires on the dot without a reload.
    pub async fn gateway_key(&self, hash: &[u8]) -> Result<Option<GatewayKey>> {
        let mut tx = self.begin().await?;
        let row: Option<GatewayKeyRow> = tx
            .opt(
                "SELECT id, workspace_id, owner_id, connector_scope, expires_at, delete_after, monthly_budget_micros, key_hash \
                 FROM api_keys WHERE key_hash = $1 AND (delete_after IS NULL OR delete_after > $2)",
                args![hash.to_vec(), ms(self.now())],
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        // Found through the unique index; compare again in constant time.
        if !bool::from(subtle::ConstantTimeEq::ct_eq(row.key_hash.as_slice(), hash)) {
            return Ok(None);
        }
        Ok(Some(GatewayKey {
            key_id: row.id,
            workspace_id: row.workspace_id,
            owner_id: row.owner_id,
            connector_scope: ConnectorScope::parse(&row.connector_scope).unwrap_or_default(),
            expires_at: row.expires_at.map(from_ms),
            delete_after: row.delete_after.map(from_ms),
            monthly_budget_micros: row.monthly_budget_micros,
        }))
    }

    /// A workspace's limits; `None` when it no longer exists.
    pub async fn gateway_workspace(&self, id: Uuid) -> Result<Option<GatewayWorkspace>> {
        let mut tx = self.begin().await?;
        match Self::workspace_in(&mut tx, id).await {
            Ok(ws) => Ok(Some(GatewayWorkspace {
                id: ws.id,
                monthly_spend_limit_micros: ws.monthly_spend_limit_micros,
                rate_limits: ws.rate_limits,
            })),
            Err(e) if e.code == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn gateway_organization(&self) -> Result<GatewayOrganization> {
        let mut tx = self.begin().await?;
        let org = Self::require_org(&mut tx).await?;
        Ok(GatewayOrganization {
            id: org.id,
            billing_active: org.billing_active,
            monthly_spend_limit_micros: org.monthly_spend_limit_micros,
        })
    }

    /// A connector by id, whoever may see it (the gateway decides by the
    /// key's scope with `can_use`).
    pub async fn gateway_connector(&self, id: Uuid) -> Result<Option<Connector>> {
        let mut tx = self.begin().await?;
        match Self::connector_in(&mut tx, id).await {
            Ok(c) => Ok(Some(c)),
            Err(e) if e.code == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}
