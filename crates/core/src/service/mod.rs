//! The one `Service`: every operation of the product, applied over the store
//! with validation, the single authorization check and an audit entry for
//! each change. The desktop app and the server are thin layers over it.
//!
//! This module holds the `Service` itself (connection, clock, change
//! announcements, the audit writer), the store's row types and the helpers
//! the areas share; the operations live by area in its submodules.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use uuid::Uuid;

use crate::args;
use crate::authz::{authorize, Action, Subject};
use crate::changes::{Change, ChangeObserver, CHANGES_CHANNEL};
use crate::error::{Error, ErrorCode, Result};
use crate::model::*;
use crate::policy;
use crate::secret::{generate_key, hidden_form, KeyHasher};
use crate::store::{Arg, Db, Tx};
use crate::text::{check_email, check_len, fold_for_search};

/// Supplies the current time; tests move it to check expiry and months.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Longest rotation grace period.
pub const MAX_GRACE_SECONDS: i64 = 30 * 24 * 3600;
/// Largest page of keys one call returns.
pub const MAX_PAGE: i64 = 1000;
/// Key listings count matches exactly up to this number, then say "more".
pub const COUNT_CAP: i64 = 10_000;

/// The authenticated user an operation runs for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: Uuid,
    pub email: String,
    pub org_role: OrgRole,
}

/// The user fields an admin provides to add someone to the organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, optional_fields = nullable))]
pub struct NewUser {
    pub email: String,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>", optional))]
    pub name: String,
    pub org_role: OrgRole,
}

/// A partial update of organization settings; `Some(None)` clears a value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrganizationPatch {
    pub name: Option<String>,
    pub plan: Option<Plan>,
    pub billing_active: Option<bool>,
    pub monthly_spend_limit_micros: Option<Option<i64>>,
    pub key_max_days: Option<Option<i32>>,
}

/// What the gateway learns from a presented secret.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyAuth {
    pub key_id: Uuid,
    pub workspace_id: Uuid,
    pub owner_id: Uuid,
    pub status: KeyStatus,
    pub connector_scope: ConnectorScope,
}

/// One day's cost in a month's chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DailyCost {
    pub day: NaiveDate,
    pub cost_micros: i64,
}

#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    hasher: KeyHasher,
    key_prefix: String,
    clock: Clock,
    observers: std::sync::RwLock<Vec<ChangeObserver>>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").field("key_prefix", &self.inner.key_prefix).finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------- rows

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

#[derive(FromRow)]
struct OrgRow {
    id: Uuid,
    name: String,
    plan: String,
    billing_active: bool,
    monthly_spend_limit_micros: Option<i64>,
    key_max_days: Option<i32>,
    created_at: i64,
}

impl OrgRow {
    fn into_model(self) -> Organization {
        Organization {
            id: self.id,
            name: self.name,
            plan: Plan::parse(&self.plan).unwrap_or(Plan::Experiment),
            billing_active: self.billing_active,
            monthly_spend_limit_micros: self.monthly_spend_limit_micros,
            key_max_days: self.key_max_days,
            created_at: from_ms(self.created_at),
        }
    }
}

const ORG_COLS: &str = "id, name, plan, billing_active, monthly_spend_limit_micros, key_max_days, created_at";

#[derive(FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    org_role: String,
    created_at: i64,
}

impl UserRow {
    fn into_model(self) -> User {
        User {
            id: self.id,
            email: self.email,
            name: self.name,
            org_role: OrgRole::from_code(&self.org_role).unwrap_or(OrgRole::Member),
            created_at: from_ms(self.created_at),
        }
    }
}

const USER_COLS: &str = "id, email, name, org_role, created_at";

#[derive(FromRow)]
struct WorkspaceRow {
    id: Uuid,
    name: String,
    description: String,
    icon: String,
    is_default: bool,
    members_count: i64,
    monthly_spend_limit_micros: Option<i64>,
    requests_per_second: Option<i32>,
    tokens_per_minute: String,
    key_max_days: Option<i32>,
    created_at: i64,
}

impl WorkspaceRow {
    fn into_model(self) -> Workspace {
        Workspace {
            id: self.id,
            name: self.name,
            description: self.description,
            icon: self.icon,
            is_default: self.is_default,
            members_count: self.members_count,
            monthly_spend_limit_micros: self.monthly_spend_limit_micros,
            rate_limits: RateLimits {
                requests_per_second: self.requests_per_second,
                tokens_per_minute: serde_json::from_str(&self.tokens_per_minute).unwrap_or_default(),
            },
            key_max_days: self.key_max_days,
            created_at: from_ms(self.created_at),
        }
    }
}

const WORKSPACE_SELECT: &str = "SELECT w.id, w.name, w.description, w.icon, w.is_default, \
    (SELECT COUNT(*) FROM workspace_members m WHERE m.workspace_id = w.id) AS members_count, \
    w.monthly_spend_limit_micros, w.requests_per_second, w.tokens_per_minute, w.key_max_days, w.created_at \
    FROM workspaces w";

#[derive(FromRow)]
struct KeyRow {
    id: Uuid,
    name: Option<String>,
    hidden_key: String,
    workspace_id: Uuid,
    workspace_name: String,
    owner_id: Uuid,
    owner_email: String,
    product: String,
    connector_scope: String,
    created_at: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    delete_after: Option<i64>,
    monthly_budget_micros: Option<i64>,
}

/// The columns of `KeyRow`, and the joins they need, over `api_keys k`
/// (macros, so `concat!` can build whole statements from them).
macro_rules! key_columns {
    () => {
        "SELECT k.id, k.name, k.hidden_key, k.workspace_id, w.name AS workspace_name, \
         k.owner_id, u.email AS owner_email, k.product, k.connector_scope, k.created_at, k.expires_at, \
         k.last_used_at, k.delete_after, k.monthly_budget_micros"
    };
}
macro_rules! key_joins {
    () => {
        // LEFT joins (every key has both) keep `k` the outer loop on SQLite,
        // so an index on the sort column can serve the order.
        "LEFT JOIN workspaces w ON w.id = k.workspace_id LEFT JOIN users u ON u.id = k.owner_id"
    };
}
const KEY_SELECT: &str = concat!(key_columns!(), " FROM api_keys k ", key_joins!());

#[derive(FromRow)]
struct MemberRow {
    user_id: Uuid,
    email: String,
    name: String,
    role: String,
    added_at: i64,
}

#[derive(FromRow)]
struct ConnectorRow {
    id: Uuid,
    name: String,
    owner_id: Uuid,
    workspace_id: Uuid,
    visibility: String,
    created_at: i64,
}

impl ConnectorRow {
    fn into_model(self) -> Connector {
        Connector {
            id: self.id,
            name: self.name,
            owner_id: self.owner_id,
            workspace_id: self.workspace_id,
            visibility: if self.visibility == "shared" { ConnectorVisibility::Shared } else { ConnectorVisibility::Private },
            created_at: from_ms(self.created_at),
        }
    }
}

#[derive(FromRow)]
struct AuditRow {
    id: Uuid,
    at: i64,
    actor_id: Option<Uuid>,
    actor_email: Option<String>,
    action: String,
    target_type: String,
    target_id: Option<Uuid>,
    before_json: Option<String>,
    after_json: Option<String>,
}

/// `true` when a key with `scope`, owned by `key_owner` in `key_workspace`,
/// may reach `connector`.
pub fn can_use(scope: ConnectorScope, key_owner: Uuid, key_workspace: Uuid, connector: &Connector) -> bool {
    if connector.workspace_id != key_workspace {
        return false;
    }
    match connector.visibility {
        ConnectorVisibility::Shared => true,
        ConnectorVisibility::Private => scope == ConnectorScope::PrivateAndShared && connector.owner_id == key_owner,
    }
}

fn role_uuid(n: u128) -> Uuid {
    Uuid::from_u128(0x6b65_7964_6573_6b00_0000_0000_0000_0000 | n)
}

fn to_json<T: Serialize>(v: &T) -> Option<String> {
    serde_json::to_string(v).ok()
}

fn page_bounds(limit: Option<i64>, offset: Option<i64>, default: i64) -> Result<(i64, i64)> {
    let limit = limit.unwrap_or(default);
    let offset = offset.unwrap_or(0);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::validation("limit", format!("limit must be between 1 and {MAX_PAGE}")));
    }
    if offset < 0 {
        return Err(Error::validation("offset", "offset cannot be negative"));
    }
    Ok((limit, offset))
}

impl Service {
    /// Opens the store (`sqlite://...` or `postgres://...`), migrates it,
    /// and keys the HMAC with `pepper`. `key_prefix` starts every new key.
    pub async fn connect(database_url: &str, pepper: &[u8], key_prefix: &str) -> Result<Service> {
        Self::connect_with_clock(database_url, pepper, key_prefix, Arc::new(Utc::now)).await
    }

    pub async fn connect_with_clock(database_url: &str, pepper: &[u8], key_prefix: &str, clock: Clock) -> Result<Service> {
        if key_prefix.is_empty() || key_prefix.len() > 16 || !key_prefix.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::validation("key_prefix", "key_prefix must be 1 to 16 letters or digits"));
        }
        if pepper.len() < 16 {
            return Err(Error::validation("pepper", "pepper must be at least 16 bytes"));
        }
        let db = Db::connect(database_url).await?;
        let svc = Service {
            inner: Arc::new(Inner {
                db,
                hasher: KeyHasher::new(pepper),
                key_prefix: key_prefix.to_owned(),
                clock,
                observers: Default::default(),
            }),
        };
        // Keys whose rotation grace ended while nothing was running go now.
        svc.purge_rotated_keys().await?;
        Ok(svc)
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The pepper-keyed hasher, shared with the auth module (sessions, Admin API keys).
    pub(crate) fn hasher(&self) -> &KeyHasher {
        &self.inner.hasher
    }

    /// The deployment's key prefix, shared with the auth module.
    pub(crate) fn key_prefix(&self) -> &str {
        &self.inner.key_prefix
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.inner.clock)()
    }

    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    pub(crate) async fn begin(&self) -> Result<Tx> {
        self.inner.db.begin().await
    }

    /// Registers `observer` to hear of every change this Service commits.
    pub fn on_change(&self, observer: ChangeObserver) {
        self.inner.observers.write().unwrap_or_else(|e| e.into_inner()).push(observer);
    }

    /// Commits `tx` having announced `changes`: on PostgreSQL with NOTIFY
    /// (delivered to other replicas at commit), then to this process's
    /// observers once the commit succeeded.
    pub(crate) async fn commit_announcing(&self, mut tx: Tx, changes: &[Change]) -> Result<()> {
        if self.inner.db.is_postgres() {
            for c in changes {
                tx.exec("SELECT pg_notify($1, $2)", args![CHANGES_CHANNEL, c.to_payload()]).await?;
            }
        }
        tx.commit().await?;
        let observers = self.inner.observers.read().unwrap_or_else(|e| e.into_inner()).clone();
        for c in changes {
            for o in &observers {
                o(*c);
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------ audit

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn audit<B: Serialize, A: Serialize>(
        &self,
        tx: &mut Tx,
        actor: Option<&Actor>,
        action: &str,
        target_type: &str,
        target_id: Option<Uuid>,
        before: Option<&B>,
        after: Option<&A>,
    ) -> Result<()> {
        tx.exec(
            "INSERT INTO audit_log (id, at, actor_id, actor_email, action, target_type, target_id, before_json, after_json) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            args![
                Uuid::new_v4(),
                ms(self.now()),
                actor.map(|a| a.user_id),
                actor.map(|a| a.email.clone()),
                action,
                target_type,
                target_id,
                before.and_then(to_json),
                after.and_then(to_json)
            ],
        )
        .await?;
        Ok(())
    }
}

/// The settings of a key about to be inserted.
struct KeySpec {
    id: Uuid,
    workspace_id: Uuid,
    owner_id: Uuid,
    name: Option<String>,
    product: KeyProduct,
    scope: ConnectorScope,
    expiration: Option<NaiveDate>,
    monthly_budget_micros: Option<i64>,
}

// The operations, by area (declared after the row macros they use).
mod audit;
mod connectors;
mod key_query;
mod keys;
mod members;
mod organization;
mod usage;
mod users;
mod workspaces;
