//! Keydesk's wire format: request and response bodies exactly as the
//! platform's Admin API names them (`uuid`, `key_id`, `hidden_key`,
//! `raw_roles`...), Keydesk's own additions in the same style, and the
//! conversions between them and keydesk-core's model. The server answers in
//! these types and the desktop's remote backend reads them, so the two cannot
//! drift apart. With the `openapi` feature every type also describes itself
//! for the server's OpenAPI document.

mod audit;
mod common;
mod gateway;
mod keys;
mod organization;
mod roles;
mod session;
mod usage;
mod users;
mod workspaces;

pub use audit::*;
pub use common::*;
pub use gateway::*;
pub use keys::*;
pub use organization::*;
pub use roles::*;
pub use session::*;
pub use usage::*;
pub use users::*;
pub use workspaces::*;

use serde::Deserialize;

/// The currency of every amount on the wire.
pub const CURRENCY: &str = "USD";

/// Micro-USD (core's unit) as the USD the wire carries.
pub fn usd(micros: i64) -> f64 {
    micros as f64 / 1_000_000.0
}

/// USD from the wire as micro-USD, rounded to the nearest one.
pub fn micros(usd: f64) -> i64 {
    (usd * 1_000_000.0).round() as i64
}

/// An amount of USD from a request, as micro-USD; refuses what cannot be one.
pub fn usd_to_micros(field: &str, v: f64) -> Result<i64, FieldError> {
    if !v.is_finite() || !(0.0..=1e12).contains(&v) {
        return Err(FieldError::new(field, format!("{field} must be between 0 and 1000000000000")));
    }
    Ok(micros(v))
}

/// A request value the wire format cannot accept, naming its field. The
/// server answers it as a validation error (422).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError { field: field.to_owned(), message: message.into() }
    }
}

/// An answer that does not describe a valid model value (an unknown role
/// code, a key without its workspace...): what the reader of the wire gets
/// when the other side speaks a different version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub String);

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Tells an absent field (`None`) from an explicit null (`Some(None)`), for
/// patches where null clears a setting.
pub fn double_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

#[cfg(test)]
mod round_trips {
    //! What the server writes, the desktop reads back as the same model
    //! value: each model type through its wire type, as JSON, and back.

    use std::collections::BTreeMap;

    use chrono::{NaiveDate, TimeZone, Utc};
    use keydesk_core::model::*;
    use keydesk_core::report::KeyUsage;
    use serde::de::DeserializeOwned;
    use serde::Serialize;
    use uuid::Uuid;

    use super::*;

    /// Through JSON, as between the two processes.
    fn over_the_wire<T: Serialize + DeserializeOwned>(value: &T) -> T {
        serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
    }

    fn at() -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 30, 0).unwrap()
    }

    #[test]
    fn a_key_reads_back_as_the_key_the_server_described() {
        let key = ApiKey {
            key_id: Uuid::new_v4(),
            name: Some("ci".into()),
            hidden_key: "kd_****abcd".into(),
            workspace_id: Uuid::new_v4(),
            workspace_name: "Research".into(),
            owner_id: Uuid::new_v4(),
            owner_email: "ada@example.com".into(),
            product: KeyProduct::Vibe,
            connector_scope: ConnectorScope::PrivateAndShared,
            created_at: at(),
            expiration_date: NaiveDate::from_ymd_opt(2026, 6, 1),
            last_used_at: Some(at()),
            delete_after: Some(at()),
            monthly_budget_micros: Some(12_500_000),
            status: KeyStatus::Active,
            actions: KeyActions {
                rotate: ActionAvailability::Available,
                delete: ActionAvailability::Unavailable { reason: Some(UnavailableReason::KeyExpired) },
            },
        };
        let back = ApiKey::try_from(over_the_wire(&ApiKeyOut::from_key(&key))).unwrap();
        assert_eq!(back, key);
    }

    #[test]
    fn a_workspace_reads_back_with_its_limit_and_rate_limits() {
        let ws = Workspace {
            id: Uuid::new_v4(),
            name: "Research".into(),
            description: "models".into(),
            icon: "R".into(),
            is_default: false,
            members_count: 3,
            monthly_spend_limit_micros: Some(250_000_000),
            rate_limits: RateLimits {
                requests_per_second: Some(5),
                tokens_per_minute: BTreeMap::from([("mistral-large".to_owned(), 100_000)]),
            },
            key_max_days: Some(90),
            created_at: at(),
        };
        assert_eq!(Workspace::from(over_the_wire(&WorkspaceOut::from(&ws))), ws);
    }

    #[test]
    fn users_organizations_and_connectors_read_back_unchanged() {
        let user = User {
            id: Uuid::new_v4(),
            email: "ada@example.com".into(),
            name: "Ada Lovelace".into(),
            org_role: OrgRole::BillingManager,
            created_at: at(),
        };
        assert_eq!(User::try_from(over_the_wire(&UserOut::from(&user))).unwrap(), user);
        assert_eq!(User::try_from(over_the_wire(&AdminUserOut::from_user(&user, None, true))).unwrap(), user);

        let org = Organization {
            id: Uuid::new_v4(),
            name: "Acme".into(),
            plan: Plan::Scale,
            billing_active: true,
            monthly_spend_limit_micros: Some(1_000_000_000),
            key_max_days: None,
            created_at: at(),
        };
        assert_eq!(Organization::try_from(over_the_wire(&OrganizationOut::from(&org))).unwrap(), org);

        let connector = Connector {
            id: Uuid::new_v4(),
            name: "drive".into(),
            owner_id: Uuid::new_v4(),
            workspace_id: Uuid::new_v4(),
            visibility: ConnectorVisibility::Shared,
            created_at: at(),
        };
        assert_eq!(Connector::try_from(over_the_wire(&ConnectorOut::from(&connector))).unwrap(), connector);
    }

    #[test]
    fn spend_and_per_key_usage_keep_every_micro_usd() {
        let spend = MonthlySpend {
            workspace_id: Uuid::new_v4(),
            year: 2026,
            month: 3,
            spent_micros: 1_234_567,
            limit_micros: Some(5_000_001),
            requests: 7,
            input_tokens: 70,
            output_tokens: 140,
        };
        assert_eq!(MonthlySpend::from(over_the_wire(&WorkspaceSpendOut::from(&spend))), spend);

        let usage = KeyUsage {
            key_id: Uuid::new_v4(),
            name: None,
            hidden_key: None,
            requests: 3,
            input_tokens: 30,
            output_tokens: 60,
            cost_micros: 999_999,
        };
        assert_eq!(KeyUsage::from(over_the_wire(&ApiKeyUsageOut::from(usage.clone()))), usage);
    }

    #[test]
    fn key_and_audit_filters_come_back_whole_through_the_servers_query_shapes() {
        let filter = KeyFilter {
            workspace_id: Some(Uuid::new_v4()),
            owner_id: Some(Uuid::new_v4()),
            search: Some("abcd".into()),
            status: Some(KeyStatus::Inactive),
            product: Some(KeyProduct::Api),
            unused_for_days: Some(30),
            sort: Some(KeySort { column: KeySortColumn::LastUsed, descending: true }),
            limit: Some(50),
            offset: Some(100),
        };
        assert_eq!(KeyFilter::from(over_the_wire(&ApiKeysQuery::from(&filter))), filter);

        let audit = AuditFilter {
            actor_id: Some(Uuid::new_v4()),
            action: Some("api_key.renamed".into()),
            target_id: None,
            since: Some(at()),
            until: None,
            limit: Some(5),
            offset: None,
        };
        assert_eq!(AuditFilter::from(over_the_wire(&AuditEventsQuery::from(&audit))), audit);
    }

    #[test]
    fn an_unknown_role_code_is_unreadable_and_names_the_code() {
        let mut user = UserOut::from(&User {
            id: Uuid::new_v4(),
            email: "a@example.com".into(),
            name: "A".into(),
            org_role: OrgRole::Member,
            created_at: at(),
        });
        user.org_role = "Z".into();
        assert_eq!(User::try_from(user).unwrap_err(), Unreadable("unknown organization role 'Z'".into()));
    }
}
