//! The shapes keydesk-server answers in, as far as the desktop reads them,
//! and their conversion into keydesk-core's model types.

use super::*;

// Only the fields the desktop uses; serde ignores the rest.

/// What `state()` keeps in the cache.
#[derive(Serialize, Deserialize)]
pub(super) struct StateSnapshot {
    pub(super) organization: Organization,
    pub(super) user: User,
}

/// `POST /v1/auth/sessions`. Not `Debug`: it carries the token.
#[derive(Deserialize)]
pub(super) struct SessionWire {
    pub(super) token: String,
    pub(super) user: UserWire,
}

#[derive(Deserialize)]
pub(super) struct MeWire {
    pub(super) user: UserWire,
}

#[derive(Deserialize)]
pub(super) struct UserWire {
    pub(super) id: Uuid,
    pub(super) email: String,
    pub(super) name: String,
    pub(super) org_role: String,
    pub(super) created_at: DateTime<Utc>,
}

impl UserWire {
    pub(super) fn into_model(self) -> AppResult<User> {
        let org_role = OrgRole::from_code(&self.org_role).ok_or_else(|| {
            AppError::internal(format!("unknown organization role '{}'", self.org_role))
        })?;
        Ok(User {
            id: self.id,
            email: self.email,
            name: self.name,
            org_role,
            created_at: self.created_at,
        })
    }
}

#[derive(Deserialize)]
pub(super) struct OrganizationWire {
    pub(super) uuid: Uuid,
    pub(super) name: String,
    pub(super) plan: String,
    pub(super) billing_active: bool,
    pub(super) monthly_spend_limit: Option<f64>,
    pub(super) key_max_days: Option<i32>,
    pub(super) created_at: DateTime<Utc>,
}

impl OrganizationWire {
    pub(super) fn into_model(self) -> AppResult<Organization> {
        let plan = Plan::parse(&self.plan)
            .ok_or_else(|| AppError::internal(format!("unknown plan '{}'", self.plan)))?;
        Ok(Organization {
            id: self.uuid,
            name: self.name,
            plan,
            billing_active: self.billing_active,
            monthly_spend_limit_micros: self.monthly_spend_limit.map(micros),
            key_max_days: self.key_max_days,
            created_at: self.created_at,
        })
    }
}

#[derive(Deserialize)]
pub(super) struct WorkspacesWire {
    pub(super) total: i64,
    pub(super) items: Vec<WorkspaceWire>,
}

#[derive(Deserialize)]
pub(super) struct SpendLimitWire {
    pub(super) value: Option<f64>,
}

#[derive(Deserialize)]
pub(super) struct RateLimitsWire {
    pub(super) requests_per_second: Option<i32>,
    #[serde(default)]
    pub(super) tokens_per_minute: std::collections::BTreeMap<String, i64>,
}

#[derive(Deserialize)]
pub(super) struct WorkspaceWire {
    pub(super) uuid: Uuid,
    pub(super) name: String,
    pub(super) description: Option<String>,
    pub(super) icon: Option<String>,
    pub(super) members_count: Option<i64>,
    pub(super) spend_limit: Option<SpendLimitWire>,
    pub(super) is_default: bool,
    pub(super) key_max_days: Option<i32>,
    pub(super) rate_limits: Option<RateLimitsWire>,
    pub(super) created_at: DateTime<Utc>,
}

impl WorkspaceWire {
    pub(super) fn into_model(self) -> Workspace {
        let rate_limits = self.rate_limits.map_or(
            RateLimits {
                requests_per_second: None,
                tokens_per_minute: Default::default(),
            },
            |r| RateLimits {
                requests_per_second: r.requests_per_second,
                tokens_per_minute: r.tokens_per_minute,
            },
        );
        Workspace {
            id: self.uuid,
            name: self.name,
            description: self.description.unwrap_or_default(),
            icon: self.icon.unwrap_or_default(),
            is_default: self.is_default,
            members_count: self.members_count.unwrap_or(0),
            monthly_spend_limit_micros: self.spend_limit.and_then(|s| s.value).map(micros),
            rate_limits,
            key_max_days: self.key_max_days,
            created_at: self.created_at,
        }
    }
}

#[derive(Deserialize)]
pub(super) struct KeysWire {
    pub(super) keys: Vec<KeyWire>,
    pub(super) total: i64,
    pub(super) total_exact: bool,
}

#[derive(Deserialize)]
pub(super) struct KeyActionsWire {
    pub(super) rotate: Option<keydesk_core::model::ActionAvailability>,
    pub(super) delete: Option<keydesk_core::model::ActionAvailability>,
}

/// One API key as the server sends it. Not `Debug`: at creation and
/// rotation it carries the full secret in `key`.
#[derive(Deserialize)]
pub(super) struct KeyWire {
    pub(super) key_id: Uuid,
    #[serde(default)]
    pub(super) key: Option<String>,
    pub(super) name: Option<String>,
    pub(super) hidden_key: String,
    pub(super) created_at: Option<DateTime<Utc>>,
    pub(super) expiration_date: Option<NaiveDate>,
    pub(super) actions: KeyActionsWire,
    pub(super) workspace_id: Option<Uuid>,
    pub(super) workspace_name: Option<String>,
    pub(super) created_by: Option<String>,
    pub(super) product: Option<KeyProduct>,
    pub(super) user_id: Uuid,
    pub(super) status: KeyStatus,
    pub(super) connector_scope: ConnectorScope,
    pub(super) last_used_at: Option<DateTime<Utc>>,
    pub(super) rotation_ends_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(super) expiration_clamped: Option<bool>,
    #[serde(default)]
    pub(super) monthly_budget: Option<f64>,
}

impl KeyWire {
    /// The public form; the secret, if any, must have been taken out first.
    pub(super) fn into_model(self) -> AppResult<ApiKey> {
        let missing = |what: &str| AppError::internal(format!("the server's key has no {what}"));
        let not_allowed = keydesk_core::model::ActionAvailability::Unavailable {
            reason: Some(keydesk_core::model::UnavailableReason::NotAllowed),
        };
        Ok(ApiKey {
            key_id: self.key_id,
            name: self.name,
            hidden_key: self.hidden_key,
            workspace_id: self.workspace_id.ok_or_else(|| missing("workspace"))?,
            workspace_name: self.workspace_name.unwrap_or_default(),
            owner_id: self.user_id,
            owner_email: self.created_by.unwrap_or_default(),
            product: self.product.unwrap_or(KeyProduct::Api),
            connector_scope: self.connector_scope,
            created_at: self.created_at.ok_or_else(|| missing("creation time"))?,
            expiration_date: self.expiration_date,
            last_used_at: self.last_used_at,
            delete_after: self.rotation_ends_at,
            monthly_budget_micros: self.monthly_budget.map(micros),
            status: self.status,
            actions: KeyActions {
                rotate: self.actions.rotate.unwrap_or(not_allowed),
                delete: self.actions.delete.unwrap_or(not_allowed),
            },
        })
    }
}

/// `GET /v1/admin/api-keys` query parameters.
#[derive(Serialize)]
pub(super) struct KeysQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) workspace_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) user_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) status: Option<KeyStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) product: Option<KeyProduct>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) unused_for_days: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) sort: Option<KeySortColumn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) descending: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) offset: Option<i64>,
}

impl From<&KeyFilter> for KeysQuery {
    fn from(f: &KeyFilter) -> Self {
        KeysQuery {
            workspace_id: f.workspace_id,
            user_id: f.owner_id,
            name: f.search.clone().filter(|s| !s.trim().is_empty()),
            status: f.status,
            product: f.product,
            unused_for_days: f.unused_for_days,
            sort: f.sort.map(|s| s.column),
            descending: f.sort.map(|s| s.descending),
            limit: f.limit,
            offset: f.offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keydesk_core::model::{KeyFilter, KeyStatus};
    use serde_json::json;
    use uuid::Uuid;

    #[test]
    pub(super) fn key_filters_become_the_servers_query_names() {
        let ws = Uuid::new_v4();
        let q = KeysQuery::from(&KeyFilter {
            workspace_id: Some(ws),
            search: Some("ci".into()),
            status: Some(KeyStatus::Expired),
            limit: Some(10),
            ..Default::default()
        });
        let v = serde_json::to_value(&q).unwrap();
        assert_eq!(
            v,
            json!({"workspace_id": ws, "name": "ci", "status": "expired", "limit": 10})
        );
    }
}
