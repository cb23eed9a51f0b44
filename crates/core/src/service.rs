//! The one `Service`: every operation of the product, applied over the store
//! with validation, the single authorization check and an audit entry for
//! each change. The desktop app and the server are thin layers over it.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use uuid::Uuid;

use crate::args;
use crate::authz::{self, authorize, Action, KeyScope, Subject};
use crate::changes::{Change, ChangeObserver, CHANGES_CHANNEL};
use crate::error::{Error, ErrorCode, Result};
use crate::model::*;
use crate::policy;
use crate::secret::{generate_key, hidden_form, KeyHasher};
use crate::store::{Arg, Db, Tx};
use crate::text::{check_email, check_len, fold_for_search, like_escape};

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
pub struct NewUser {
    pub email: String,
    #[serde(default)]
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

    // ------------------------------------------------------------ organization

    pub(crate) async fn org_in(tx: &mut Tx) -> Result<Option<Organization>> {
        let row: Option<OrgRow> = tx.opt(&format!("SELECT {ORG_COLS} FROM organizations LIMIT 1"), args![]).await?;
        Ok(row.map(OrgRow::into_model))
    }

    pub(crate) async fn require_org(tx: &mut Tx) -> Result<Organization> {
        Self::org_in(tx).await?.ok_or_else(|| Error::not_found("organization"))
    }

    /// The deployment's organization, or `None` before the first run.
    pub async fn organization(&self) -> Result<Option<Organization>> {
        let mut tx = self.begin().await?;
        Self::org_in(&mut tx).await
    }

    /// First run: creates the organization, its first admin and the default
    /// workspace. Refused once an organization exists.
    pub async fn bootstrap(&self, org_name: &str, admin_email: &str, admin_name: &str) -> Result<(Organization, User)> {
        let org_name = org_name.trim();
        let admin_email = admin_email.trim();
        let admin_name = admin_name.trim();
        check_len("organization_name", org_name, 1, 255)?;
        check_email(admin_email)?;
        check_len("name", admin_name, 0, 255)?;
        let mut tx = self.begin().await?;
        if Self::org_in(&mut tx).await?.is_some() {
            return Err(Error::conflict("organization", "this deployment already has an organization"));
        }
        let now = ms(self.now());
        let org_id = Uuid::new_v4();
        tx.exec(
            "INSERT INTO organizations (id, name, plan, billing_active, monthly_spend_limit_micros, key_max_days, created_at) \
             VALUES ($1, $2, 'experiment', $3, NULL, NULL, $4)",
            args![org_id, org_name, true, now],
        )
        .await?;
        let user_id = Uuid::new_v4();
        tx.exec(
            "INSERT INTO users (id, email, email_folded, name, org_role, created_at) VALUES ($1, $2, $3, $4, 'A', $5)",
            args![user_id, admin_email, admin_email.to_lowercase(), admin_name, now],
        )
        .await?;
        let ws_id = Uuid::new_v4();
        tx.exec(
            "INSERT INTO workspaces (id, name, name_folded, description, icon, is_default, tokens_per_minute, created_at) \
             VALUES ($1, 'Default', 'default', '', '', $2, '{}', $3)",
            args![ws_id, true, now],
        )
        .await?;
        tx.exec(
            "INSERT INTO workspace_members (workspace_id, user_id, role, added_at) VALUES ($1, $2, 'A', $3)",
            args![ws_id, user_id, now],
        )
        .await?;
        let org = Self::require_org(&mut tx).await?;
        let user = Self::user_in(&mut tx, user_id).await?;
        let actor = Actor { user_id, email: user.email.clone(), org_role: OrgRole::Admin };
        self.audit(&mut tx, Some(&actor), "organization.created", "organization", Some(org_id), None::<&()>, Some(&org)).await?;
        self.audit(&mut tx, Some(&actor), "user.created", "user", Some(user_id), None::<&()>, Some(&user)).await?;
        tx.commit().await?;
        Ok((org, user))
    }

    pub async fn update_organization(&self, actor: &Actor, patch: OrganizationPatch) -> Result<Organization> {
        let subject = Subject::organization(actor.org_role);
        let touches_settings = patch.name.is_some() || patch.key_max_days.is_some();
        let touches_billing = patch.plan.is_some() || patch.billing_active.is_some() || patch.monthly_spend_limit_micros.is_some();
        // An empty patch changes nothing but is still an organization update:
        // it needs at least the billing right.
        if touches_billing || !touches_settings {
            authorize(subject, Action::ManageBilling).check()?;
        }
        if touches_settings {
            authorize(subject, Action::ManageOrganizationSettings).check()?;
        }
        if let Some(name) = &patch.name {
            check_len("name", name.trim(), 1, 255)?;
        }
        if let Some(limit) = patch.monthly_spend_limit_micros {
            policy::check_spend_limit("monthly_spend_limit", limit, None)?;
        }
        // The organization's policy may go below a workspace's: the platform
        // documents that the organization maximum then becomes the ceiling
        // for new keys. Workspace values are kept as set, so they apply again
        // if the organization loosens its policy later.
        if let Some(days) = patch.key_max_days {
            policy::check_policy_days("key_max_days", days)?;
        }
        let mut tx = self.begin().await?;
        let before = Self::require_org(&mut tx).await?;
        let mut after = before.clone();
        if let Some(name) = patch.name {
            after.name = name.trim().to_owned();
        }
        if let Some(plan) = patch.plan {
            after.plan = plan;
        }
        if let Some(active) = patch.billing_active {
            after.billing_active = active;
        }
        if let Some(limit) = patch.monthly_spend_limit_micros {
            after.monthly_spend_limit_micros = limit;
        }
        if let Some(days) = patch.key_max_days {
            after.key_max_days = days;
        }
        tx.exec(
            "UPDATE organizations SET name = $1, plan = $2, billing_active = $3, monthly_spend_limit_micros = $4, key_max_days = $5 WHERE id = $6",
            args![after.name.clone(), after.plan.as_str(), after.billing_active, after.monthly_spend_limit_micros, after.key_max_days, after.id],
        )
        .await?;
        self.audit(&mut tx, Some(actor), "organization.updated", "organization", Some(after.id), Some(&before), Some(&after)).await?;
        self.commit_announcing(tx, &[Change::Organization]).await?;
        Ok(after)
    }

    /// The roles of the organization and of workspaces, with stable ids.
    pub fn roles(&self) -> Roles {
        let role =
            |n, name: &str, description: &str| RoleInfo { uuid: role_uuid(n), name: name.to_owned(), description: description.to_owned() };
        Roles {
            organization_roles: vec![
                role(1, "admin", "Manages the whole organization: users, workspaces, keys, billing and policies."),
                role(2, "member", "Works in the workspaces they belong to and manages their own keys."),
                role(3, "billing_manager", "Sees usage and manages the plan, billing and spending limits."),
            ],
            workspace_roles: vec![
                role(11, "workspace_admin", "Manages the workspace's members, keys and settings."),
                role(12, "workspace_member", "Uses the workspace, creates own keys and views usage."),
            ],
        }
    }

    // ------------------------------------------------------------ users

    async fn user_in(tx: &mut Tx, id: Uuid) -> Result<User> {
        let row: Option<UserRow> = tx.opt(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"), args![id]).await?;
        row.map(UserRow::into_model).ok_or_else(|| Error::not_found("user"))
    }

    /// The first organization admin, whom local mode acts as.
    pub async fn first_admin(&self) -> Result<Option<User>> {
        let mut tx = self.begin().await?;
        let row: Option<UserRow> =
            tx.opt(&format!("SELECT {USER_COLS} FROM users WHERE org_role = 'A' ORDER BY created_at, id LIMIT 1"), args![]).await?;
        Ok(row.map(UserRow::into_model))
    }

    /// Builds the actor for an authenticated user id.
    pub async fn actor(&self, user_id: Uuid) -> Result<Actor> {
        let mut tx = self.begin().await?;
        let user = Self::user_in(&mut tx, user_id).await.map_err(|e| {
            if e.code == ErrorCode::NotFound {
                Error::unauthorized("this user no longer exists")
            } else {
                e
            }
        })?;
        Ok(Actor { user_id: user.id, email: user.email, org_role: user.org_role })
    }

    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        let mut tx = self.begin().await?;
        let row: Option<UserRow> =
            tx.opt(&format!("SELECT {USER_COLS} FROM users WHERE email_folded = $1"), args![email.trim().to_lowercase()]).await?;
        Ok(row.map(UserRow::into_model))
    }

    pub async fn list_users(&self, actor: &Actor) -> Result<Vec<User>> {
        Self::org_check(actor, Action::ViewUsers)?;
        let mut tx = self.begin().await?;
        let rows: Vec<UserRow> = tx.all(&format!("SELECT {USER_COLS} FROM users ORDER BY email_folded"), args![]).await?;
        Ok(rows.into_iter().map(UserRow::into_model).collect())
    }

    pub async fn get_user(&self, actor: &Actor, id: Uuid) -> Result<User> {
        let subject = Subject { owns_target: id == actor.user_id, ..Subject::organization(actor.org_role) };
        authorize(subject, Action::ViewUser).check()?;
        let mut tx = self.begin().await?;
        Self::user_in(&mut tx, id).await
    }

    pub(crate) fn org_check(actor: &Actor, action: Action) -> Result<()> {
        authorize(Subject::organization(actor.org_role), action).check()
    }

    pub async fn create_user(&self, actor: &Actor, new: NewUser) -> Result<User> {
        Self::org_check(actor, Action::ManageUsers)?;
        let mut tx = self.begin().await?;
        let user = self.insert_user_in(&mut tx, actor, &new).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Adds a user inside `tx` (the caller checked the actor may): a
    /// validation error or an email already taken is returned before
    /// anything is written, so `tx` stays usable for the rest of a batch.
    pub(crate) async fn insert_user_in(&self, tx: &mut Tx, actor: &Actor, new: &NewUser) -> Result<User> {
        let email = new.email.trim();
        check_email(email)?;
        check_len("name", new.name.trim(), 0, 255)?;
        let taken: Option<(Uuid,)> = tx.opt("SELECT id FROM users WHERE email_folded = $1", args![email.to_lowercase()]).await?;
        if taken.is_some() {
            return Err(Error::conflict("email", "a user with this email already exists"));
        }
        let id = Uuid::new_v4();
        tx.exec(
            "INSERT INTO users (id, email, email_folded, name, org_role, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            args![id, email, email.to_lowercase(), new.name.trim(), new.org_role.code(), ms(self.now())],
        )
        .await
        .map_err(|e| {
            if e.code == ErrorCode::Conflict {
                Error::conflict("email", "a user with this email already exists")
            } else {
                e
            }
        })?;
        let user = Self::user_in(tx, id).await?;
        self.audit(tx, Some(actor), "user.created", "user", Some(id), None::<&()>, Some(&user)).await?;
        Ok(user)
    }

    async fn admin_count(tx: &mut Tx) -> Result<i64> {
        tx.int("SELECT COUNT(*) FROM users WHERE org_role = 'A'", args![]).await
    }

    pub async fn update_user_role(&self, actor: &Actor, id: Uuid, role: OrgRole) -> Result<User> {
        Self::org_check(actor, Action::ManageUsers)?;
        let mut tx = self.begin().await?;
        let before = Self::user_in(&mut tx, id).await?;
        if before.org_role == OrgRole::Admin && role != OrgRole::Admin && Self::admin_count(&mut tx).await? <= 1 {
            return Err(Error::validation("org_role", "the organization must keep at least one admin"));
        }
        tx.exec("UPDATE users SET org_role = $1 WHERE id = $2", args![role.code(), id]).await?;
        let after = Self::user_in(&mut tx, id).await?;
        self.audit(&mut tx, Some(actor), "user.role_changed", "user", Some(id), Some(&before), Some(&after)).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Removes a user from the organization; their keys stop working.
    pub async fn remove_user(&self, actor: &Actor, id: Uuid) -> Result<()> {
        Self::org_check(actor, Action::ManageUsers)?;
        if id == actor.user_id {
            return Err(Error::validation("user_id", "you cannot remove yourself"));
        }
        let mut tx = self.begin().await?;
        let before = Self::user_in(&mut tx, id).await?;
        if before.org_role == OrgRole::Admin && Self::admin_count(&mut tx).await? <= 1 {
            return Err(Error::validation("user_id", "the organization must keep at least one admin"));
        }
        // The user's keys go with them, each with its own audit entry (not
        // silently by the foreign key's cascade).
        let rows: Vec<KeyRow> = tx.all(&format!("{KEY_SELECT} WHERE k.owner_id = $1 ORDER BY k.created_at"), args![id]).await?;
        let billing_active = Self::org_in(&mut tx).await?.is_none_or(|o| o.billing_active);
        for row in rows {
            let key = self.key_from_row(row, billing_active, false);
            tx.exec("DELETE FROM api_keys WHERE id = $1", args![key.key_id]).await?;
            let after = serde_json::json!({ "reason": "owner_removed", "owner_id": id });
            self.audit(&mut tx, Some(actor), "api_key.deleted", "api_key", Some(key.key_id), Some(&key), Some(&after)).await?;
        }
        tx.exec("DELETE FROM users WHERE id = $1", args![id]).await?;
        self.audit(&mut tx, Some(actor), "user.removed", "user", Some(id), Some(&before), None::<&()>).await?;
        self.commit_announcing(tx, &[Change::AllKeys]).await?;
        Ok(())
    }

    // ------------------------------------------------------------ workspaces

    pub(crate) async fn ws_role(tx: &mut Tx, workspace_id: Uuid, user_id: Uuid) -> Result<Option<WorkspaceRole>> {
        let row: Option<(String,)> =
            tx.opt("SELECT role FROM workspace_members WHERE workspace_id = $1 AND user_id = $2", args![workspace_id, user_id]).await?;
        Ok(row.and_then(|(r,)| WorkspaceRole::from_code(&r)))
    }

    pub(crate) async fn subject(tx: &mut Tx, actor: &Actor, workspace_id: Uuid, owns_target: bool) -> Result<Subject> {
        Ok(Subject { org_role: actor.org_role, workspace_role: Self::ws_role(tx, workspace_id, actor.user_id).await?, owns_target })
    }

    pub(crate) async fn workspace_in(tx: &mut Tx, id: Uuid) -> Result<Workspace> {
        let row: Option<WorkspaceRow> = tx.opt(&format!("{WORKSPACE_SELECT} WHERE w.id = $1"), args![id]).await?;
        row.map(WorkspaceRow::into_model).ok_or_else(|| Error::not_found("workspace"))
    }

    /// Loads a workspace and checks `action` on it. A workspace the actor
    /// may not even see answers "not found", so ids do not leak.
    pub(crate) async fn workspace_for(&self, tx: &mut Tx, actor: &Actor, id: Uuid, action: Action) -> Result<(Workspace, Subject)> {
        let ws = Self::workspace_in(tx, id).await?;
        let subject = Self::subject(tx, actor, id, false).await?;
        if !authorize(subject, Action::ViewWorkspace).is_allowed() && !authorize(subject, action).is_allowed() {
            return Err(Error::not_found("workspace"));
        }
        authorize(subject, action).check()?;
        Ok((ws, subject))
    }

    pub async fn list_workspaces(&self, actor: &Actor) -> Result<Vec<Workspace>> {
        let mut tx = self.begin().await?;
        // Viewing a workspace one does not belong to means seeing them all.
        let sees_all = authorize(Subject::organization(actor.org_role), Action::ViewWorkspace).is_allowed();
        let rows: Vec<WorkspaceRow> = if sees_all {
            tx.all(&format!("{WORKSPACE_SELECT} ORDER BY w.is_default DESC, w.name_folded"), args![]).await?
        } else {
            tx.all(
                &format!(
                    "{WORKSPACE_SELECT} WHERE w.id IN (SELECT workspace_id FROM workspace_members WHERE user_id = $1) \
                     ORDER BY w.is_default DESC, w.name_folded"
                ),
                args![actor.user_id],
            )
            .await?
        };
        Ok(rows.into_iter().map(WorkspaceRow::into_model).collect())
    }

    /// The workspaces `user_id` belongs to, with their role there, among
    /// those whose members the actor may see (organization admins: all;
    /// others: the ones they belong to themselves). Two queries, however
    /// many workspaces there are.
    pub async fn user_memberships(&self, actor: &Actor, user_id: Uuid) -> Result<Vec<(Workspace, WorkspaceRole)>> {
        let mut tx = self.begin().await?;
        let sees_all = authorize(Subject::organization(actor.org_role), Action::ViewMembers).is_allowed();
        let rows: Vec<WorkspaceRow> = tx
            .all(
                &format!(
                    "{WORKSPACE_SELECT} WHERE w.id IN (SELECT workspace_id FROM workspace_members WHERE user_id = $1) \
                     AND ($2 OR w.id IN (SELECT workspace_id FROM workspace_members WHERE user_id = $3)) \
                     ORDER BY w.is_default DESC, w.name_folded"
                ),
                args![user_id, sees_all, actor.user_id],
            )
            .await?;
        let roles: Vec<(Uuid, String)> =
            tx.all("SELECT workspace_id, role FROM workspace_members WHERE user_id = $1", args![user_id]).await?;
        let role_of: std::collections::HashMap<Uuid, WorkspaceRole> =
            roles.into_iter().filter_map(|(ws, r)| WorkspaceRole::from_code(&r).map(|r| (ws, r))).collect();
        Ok(rows.into_iter().map(WorkspaceRow::into_model).filter_map(|ws| role_of.get(&ws.id).map(|r| (ws, *r))).collect())
    }

    pub async fn get_workspace(&self, actor: &Actor, id: Uuid) -> Result<Workspace> {
        let mut tx = self.begin().await?;
        let subject = Self::subject(&mut tx, actor, id, false).await?;
        let ws = Self::workspace_in(&mut tx, id).await?;
        if !authorize(subject, Action::ViewWorkspace).is_allowed() {
            return Err(Error::not_found("workspace"));
        }
        Ok(ws)
    }

    fn check_workspace_text(name: Option<&str>, description: Option<&str>, icon: Option<&str>) -> Result<()> {
        if let Some(n) = name {
            check_len("name", n, 1, 255)?;
        }
        if let Some(d) = description {
            check_len("description", d, 0, 255)?;
        }
        if let Some(i) = icon {
            check_len("icon", i, 0, 2)?;
        }
        Ok(())
    }

    fn name_conflict(e: Error) -> Error {
        if e.code == ErrorCode::Conflict {
            Error::conflict("name", "a workspace with this name already exists")
        } else {
            e
        }
    }

    pub async fn create_workspace(&self, actor: &Actor, new: NewWorkspace) -> Result<Workspace> {
        Self::org_check(actor, Action::CreateWorkspace)?;
        let name = new.name.trim();
        Self::check_workspace_text(Some(name), Some(new.description.trim()), Some(new.icon.trim()))?;
        let mut tx = self.begin().await?;
        let admin_id = new.admin_user_id.unwrap_or(actor.user_id);
        if Self::user_in(&mut tx, admin_id).await.is_err() {
            return Err(Error::validation("admin_user_id", "the workspace admin must be a user of the organization"));
        }
        let id = Uuid::new_v4();
        let now = ms(self.now());
        tx.exec(
            "INSERT INTO workspaces (id, name, name_folded, description, icon, is_default, tokens_per_minute, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, '{}', $7)",
            args![id, name, fold_for_search(name), new.description.trim(), new.icon.trim(), false, now],
        )
        .await
        .map_err(Self::name_conflict)?;
        tx.exec("INSERT INTO workspace_members (workspace_id, user_id, role, added_at) VALUES ($1, $2, 'A', $3)", args![id, admin_id, now])
            .await?;
        let ws = Self::workspace_in(&mut tx, id).await?;
        self.audit(&mut tx, Some(actor), "workspace.created", "workspace", Some(id), None::<&()>, Some(&ws)).await?;
        tx.commit().await?;
        Ok(ws)
    }

    pub async fn update_workspace(&self, actor: &Actor, id: Uuid, patch: WorkspacePatch) -> Result<Workspace> {
        let mut tx = self.begin().await?;
        let (before, _) = self.workspace_for(&mut tx, actor, id, Action::UpdateWorkspace).await?;
        let org = Self::require_org(&mut tx).await?;
        let name = patch.name.as_deref().map(str::trim);
        let description = patch.description.as_deref().map(str::trim);
        let icon = patch.icon.as_deref().map(str::trim);
        Self::check_workspace_text(name, description, icon)?;
        if let Some(limit) = patch.monthly_spend_limit_micros {
            policy::check_spend_limit("monthly_spend_limit", limit, org.monthly_spend_limit_micros)?;
        }
        if let Some(days) = patch.key_max_days {
            policy::check_policy_days("key_max_days", days)?;
            // The organization's policy is the ceiling for a new workspace
            // value. A workspace value left above it by a later, stricter
            // organization policy stays stored (the stricter one applies to
            // new keys, see `effective_max_days`), and saving it unchanged
            // is not setting a new one.
            if let (Some(d), Some(org_max)) = (days, org.key_max_days) {
                if d > org_max && days != before.key_max_days {
                    return Err(Error::validation(
                        "key_max_days",
                        format!("key_max_days cannot exceed the organization's policy of {org_max} days"),
                    ));
                }
            }
        }
        if let Some(rl) = &patch.rate_limits {
            if rl.requests_per_second.is_some_and(|r| r < 1) {
                return Err(Error::validation("requests_per_second", "requests_per_second must be at least 1"));
            }
            if let Some((model, _)) = rl.tokens_per_minute.iter().find(|(m, v)| **v < 1 || m.trim().is_empty()) {
                return Err(Error::validation("tokens_per_minute", format!("tokens_per_minute for '{model}' must be at least 1")));
            }
        }
        let mut after = before.clone();
        if let Some(n) = name {
            after.name = n.to_owned();
        }
        if let Some(d) = description {
            after.description = d.to_owned();
        }
        if let Some(i) = icon {
            after.icon = i.to_owned();
        }
        if let Some(l) = patch.monthly_spend_limit_micros {
            after.monthly_spend_limit_micros = l;
        }
        if let Some(rl) = patch.rate_limits {
            after.rate_limits = rl;
        }
        if let Some(d) = patch.key_max_days {
            after.key_max_days = d;
        }
        let tpm: BTreeMap<String, i64> = after.rate_limits.tokens_per_minute.clone();
        tx.exec(
            "UPDATE workspaces SET name = $1, name_folded = $2, description = $3, icon = $4, monthly_spend_limit_micros = $5, \
             requests_per_second = $6, tokens_per_minute = $7, key_max_days = $8 WHERE id = $9",
            args![
                after.name.clone(),
                fold_for_search(&after.name),
                after.description.clone(),
                after.icon.clone(),
                after.monthly_spend_limit_micros,
                after.rate_limits.requests_per_second,
                serde_json::to_string(&tpm).unwrap_or_else(|_| "{}".into()),
                after.key_max_days,
                id
            ],
        )
        .await
        .map_err(Self::name_conflict)?;
        self.audit(&mut tx, Some(actor), "workspace.updated", "workspace", Some(id), Some(&before), Some(&after)).await?;
        self.commit_announcing(tx, &[Change::Workspace(id)]).await?;
        Ok(after)
    }

    /// How many keys deleting the workspace would revoke.
    pub async fn workspace_key_count(&self, actor: &Actor, id: Uuid) -> Result<i64> {
        let mut tx = self.begin().await?;
        self.workspace_for(&mut tx, actor, id, Action::ViewWorkspace).await?;
        tx.int("SELECT COUNT(*) FROM api_keys WHERE workspace_id = $1", args![id]).await
    }

    /// Deletes a workspace and revokes all its keys. The caller must pass
    /// `confirmed = true`, having shown the user how many keys that revokes.
    /// Returns the number of keys revoked.
    pub async fn delete_workspace(&self, actor: &Actor, id: Uuid, confirmed: bool) -> Result<i64> {
        let mut tx = self.begin().await?;
        let (ws, _) = self.workspace_for(&mut tx, actor, id, Action::DeleteWorkspace).await?;
        if ws.is_default {
            return Err(Error::conflict("workspace", "the default workspace cannot be deleted"));
        }
        let keys = tx.int("SELECT COUNT(*) FROM api_keys WHERE workspace_id = $1", args![id]).await?;
        if !confirmed {
            return Err(Error::validation(
                "confirm",
                format!("deleting workspace '{}' revokes {keys} API key(s); confirm to proceed", ws.name),
            ));
        }
        tx.exec("DELETE FROM workspaces WHERE id = $1", args![id]).await?;
        let after = serde_json::json!({ "revoked_keys": keys });
        self.audit(&mut tx, Some(actor), "workspace.deleted", "workspace", Some(id), Some(&ws), Some(&after)).await?;
        self.commit_announcing(tx, &[Change::Workspace(id), Change::AllKeys]).await?;
        Ok(keys)
    }

    // ------------------------------------------------------------ members

    pub async fn list_members(&self, actor: &Actor, workspace_id: Uuid) -> Result<Vec<WorkspaceMember>> {
        let mut tx = self.begin().await?;
        self.workspace_for(&mut tx, actor, workspace_id, Action::ViewMembers).await?;
        let rows: Vec<MemberRow> = tx
            .all(
                "SELECT m.user_id, u.email, u.name, m.role, m.added_at FROM workspace_members m \
                 JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY u.email_folded",
                args![workspace_id],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| WorkspaceMember {
                user_id: r.user_id,
                email: r.email,
                name: r.name,
                role: WorkspaceRole::from_code(&r.role).unwrap_or(WorkspaceRole::Member),
                added_at: from_ms(r.added_at),
            })
            .collect())
    }

    pub async fn add_member(&self, actor: &Actor, workspace_id: Uuid, user_id: Uuid, role: WorkspaceRole) -> Result<()> {
        let mut tx = self.begin().await?;
        self.workspace_for(&mut tx, actor, workspace_id, Action::ManageMembers).await?;
        self.add_member_in(&mut tx, actor, workspace_id, user_id, role).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a member inside `tx`; the caller checked the actor manages the
    /// workspace's members. Refusals come before any write.
    pub(crate) async fn add_member_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        workspace_id: Uuid,
        user_id: Uuid,
        role: WorkspaceRole,
    ) -> Result<()> {
        let user =
            Self::user_in(tx, user_id).await.map_err(|_| Error::validation("user_id", "this user is not part of the organization"))?;
        if Self::ws_role(tx, workspace_id, user_id).await?.is_some() {
            return Err(Error::conflict("user_id", format!("{} is already a member of this workspace", user.email)));
        }
        tx.exec(
            "INSERT INTO workspace_members (workspace_id, user_id, role, added_at) VALUES ($1, $2, $3, $4)",
            args![workspace_id, user_id, role.code(), ms(self.now())],
        )
        .await?;
        let after = serde_json::json!({ "user_id": user_id, "email": user.email, "role": role });
        self.audit(tx, Some(actor), "workspace.member_added", "workspace", Some(workspace_id), None::<&()>, Some(&after)).await?;
        Ok(())
    }

    async fn admins_in(tx: &mut Tx, workspace_id: Uuid) -> Result<i64> {
        tx.int("SELECT COUNT(*) FROM workspace_members WHERE workspace_id = $1 AND role = 'A'", args![workspace_id]).await
    }

    pub async fn set_member_role(&self, actor: &Actor, workspace_id: Uuid, user_id: Uuid, role: WorkspaceRole) -> Result<()> {
        let mut tx = self.begin().await?;
        self.workspace_for(&mut tx, actor, workspace_id, Action::ManageMembers).await?;
        self.set_member_role_in(&mut tx, actor, workspace_id, user_id, role).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn set_member_role_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        workspace_id: Uuid,
        user_id: Uuid,
        role: WorkspaceRole,
    ) -> Result<()> {
        let before = Self::ws_role(tx, workspace_id, user_id).await?.ok_or_else(|| Error::not_found("member"))?;
        if before == WorkspaceRole::Admin && role != WorkspaceRole::Admin && Self::admins_in(tx, workspace_id).await? <= 1 {
            return Err(Error::validation("role", "the workspace must keep at least one admin"));
        }
        tx.exec(
            "UPDATE workspace_members SET role = $1 WHERE workspace_id = $2 AND user_id = $3",
            args![role.code(), workspace_id, user_id],
        )
        .await?;
        let b = serde_json::json!({ "user_id": user_id, "role": before });
        let a = serde_json::json!({ "user_id": user_id, "role": role });
        self.audit(tx, Some(actor), "workspace.member_role_changed", "workspace", Some(workspace_id), Some(&b), Some(&a)).await?;
        Ok(())
    }

    /// Removes a member; their keys in this workspace are revoked with them.
    /// Returns how many keys were revoked.
    pub async fn remove_member(&self, actor: &Actor, workspace_id: Uuid, user_id: Uuid) -> Result<i64> {
        let mut tx = self.begin().await?;
        self.workspace_for(&mut tx, actor, workspace_id, Action::ManageMembers).await?;
        let revoked = self.remove_member_in(&mut tx, actor, workspace_id, user_id).await?;
        self.commit_announcing(tx, &[Change::AllKeys]).await?;
        Ok(revoked)
    }

    /// Removes a member and revokes their keys in the workspace, inside
    /// `tx`; returns how many keys went. Refusals come before any write.
    pub(crate) async fn remove_member_in(&self, tx: &mut Tx, actor: &Actor, workspace_id: Uuid, user_id: Uuid) -> Result<i64> {
        let before = Self::ws_role(tx, workspace_id, user_id).await?.ok_or_else(|| Error::not_found("member"))?;
        if before == WorkspaceRole::Admin && Self::admins_in(tx, workspace_id).await? <= 1 {
            return Err(Error::validation("user_id", "the workspace must keep at least one admin"));
        }
        let revoked = tx.exec("DELETE FROM api_keys WHERE workspace_id = $1 AND owner_id = $2", args![workspace_id, user_id]).await?;
        tx.exec("DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2", args![workspace_id, user_id]).await?;
        let b = serde_json::json!({ "user_id": user_id, "role": before });
        let a = serde_json::json!({ "revoked_keys": revoked });
        self.audit(tx, Some(actor), "workspace.member_removed", "workspace", Some(workspace_id), Some(&b), Some(&a)).await?;
        Ok(revoked as i64)
    }

    // ------------------------------------------------------------ keys

    fn key_from_row(&self, row: KeyRow, billing_active: bool, may_manage: bool) -> ApiKey {
        let now = self.now();
        let expires_at = row.expires_at.map(from_ms);
        let status = policy::key_status(expires_at, billing_active, now);
        let product = KeyProduct::parse(&row.product).unwrap_or(KeyProduct::Api);
        ApiKey {
            key_id: row.id,
            name: row.name,
            hidden_key: row.hidden_key,
            workspace_id: row.workspace_id,
            workspace_name: row.workspace_name,
            owner_id: row.owner_id,
            owner_email: row.owner_email,
            product,
            connector_scope: ConnectorScope::parse(&row.connector_scope).unwrap_or_default(),
            created_at: from_ms(row.created_at),
            expiration_date: expires_at.map(|t| (t - Duration::days(1)).date_naive()),
            last_used_at: row.last_used_at.map(from_ms),
            delete_after: row.delete_after.map(from_ms),
            monthly_budget_micros: row.monthly_budget_micros,
            status,
            actions: policy::key_actions(status, product, may_manage),
        }
    }

    /// Loads a live key the actor may see, with the actor's subject for it.
    async fn key_for(&self, tx: &mut Tx, actor: &Actor, key_id: Uuid) -> Result<(ApiKey, Subject)> {
        let row: Option<KeyRow> = tx
            .opt(
                &format!("{KEY_SELECT} WHERE k.id = $1 AND (k.delete_after IS NULL OR k.delete_after > $2)"),
                args![key_id, ms(self.now())],
            )
            .await?;
        let row = row.ok_or_else(|| Error::not_found("API key"))?;
        let subject = Self::subject(tx, actor, row.workspace_id, row.owner_id == actor.user_id).await?;
        if !authorize(subject, Action::ViewKey).is_allowed() {
            return Err(Error::not_found("API key"));
        }
        let org = Self::require_org(tx).await?;
        let may_manage = authorize(subject, Action::ManageKey).is_allowed();
        Ok((self.key_from_row(row, org.billing_active, may_manage), subject))
    }

    pub async fn get_key(&self, actor: &Actor, key_id: Uuid) -> Result<ApiKey> {
        let mut tx = self.begin().await?;
        Ok(self.key_for(&mut tx, actor, key_id).await?.0)
    }

    async fn insert_key(&self, tx: &mut Tx, spec: &KeySpec) -> Result<crate::secret::ApiKeySecret> {
        let secret = generate_key(&self.inner.key_prefix);
        let plain = secret.expose();
        let name_folded = spec.name.as_deref().map(fold_for_search).unwrap_or_default();
        tx.exec(
            "INSERT INTO api_keys (id, workspace_id, owner_id, name, name_folded, hidden_key, last4_folded, key_hash, product, \
             connector_scope, created_at, expires_at, monthly_budget_micros) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            args![
                spec.id,
                spec.workspace_id,
                spec.owner_id,
                spec.name.clone(),
                name_folded,
                hidden_form(plain),
                plain[plain.len() - 4..].to_lowercase(),
                self.inner.hasher.hash(plain),
                spec.product.as_str(),
                spec.scope.as_str(),
                ms(self.now()),
                spec.expiration.map(|d| ms(policy::expiry_instant(d))),
                spec.monthly_budget_micros
            ],
        )
        .await?;
        Ok(secret)
    }

    async fn created(&self, tx: &mut Tx, actor: &Actor, id: Uuid) -> Result<ApiKey> {
        let row: KeyRow = tx.one(&format!("{KEY_SELECT} WHERE k.id = $1"), args![id]).await?;
        let org = Self::require_org(tx).await?;
        let subject = Self::subject(tx, actor, row.workspace_id, row.owner_id == actor.user_id).await?;
        Ok(self.key_from_row(row, org.billing_active, authorize(subject, Action::ManageKey).is_allowed()))
    }

    /// Creates a key and returns its secret, which is never retrievable again.
    pub async fn create_key(&self, actor: &Actor, new: NewKey) -> Result<CreatedKey> {
        let owner_id = new.user_id.unwrap_or(actor.user_id);
        let name = new.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
        if let Some(n) = &name {
            check_len("name", n, 0, 255)?;
        }
        let product = new.product.unwrap_or(KeyProduct::Api);
        if product == KeyProduct::MistralCode {
            return Err(Error::validation("product", "Mistral Code keys are legacy: they can be listed and deleted, not created"));
        }
        let mut tx = self.begin().await?;
        let action = if owner_id == actor.user_id { Action::CreateOwnKey } else { Action::CreateKeyForOther };
        let (ws, subject) = self.workspace_for(&mut tx, actor, new.workspace_id, action).await?;
        if new.monthly_budget_micros.is_some() {
            authorize(subject, Action::SetKeyBudget).check()?;
            policy::check_spend_limit("monthly_budget", new.monthly_budget_micros, None)?;
        }
        if owner_id != actor.user_id && Self::ws_role(&mut tx, ws.id, owner_id).await?.is_none() {
            return Err(Error::validation("user_id", "the key's owner must be a member of the workspace"));
        }
        let org = Self::require_org(&mut tx).await?;
        let max_days = policy::effective_max_days(org.key_max_days, ws.key_max_days);
        let (expiration, clamped) = policy::clamp_expiration(new.expiration, max_days, self.today())?;
        let spec = KeySpec {
            id: Uuid::new_v4(),
            workspace_id: ws.id,
            owner_id,
            name,
            product,
            scope: new.connector_scope.unwrap_or_default(),
            expiration,
            monthly_budget_micros: new.monthly_budget_micros,
        };
        let secret = self.insert_key(&mut tx, &spec).await?;
        let key = self.created(&mut tx, actor, spec.id).await?;
        self.audit(&mut tx, Some(actor), "api_key.created", "api_key", Some(key.key_id), None::<&()>, Some(&key)).await?;
        tx.commit().await?;
        Ok(CreatedKey { key, secret, expiration_clamped: clamped })
    }

    /// Lists keys the actor may see, newest first, filtered and paged.
    pub async fn list_keys(&self, actor: &Actor, filter: KeyFilter) -> Result<KeyPage> {
        let (limit, offset) = page_bounds(filter.limit, filter.offset, 100)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let org = Self::require_org(&mut tx).await?;
        let mut cond: Vec<String> = vec![];
        let mut a: Vec<Arg> = vec![];
        // The rows searched, and their order: newest first. On SQLite the
        // integer rowid follows creation order and every index carries it, so
        // that order needs no sort step.
        let mut from = "api_keys k";
        let mut order = if self.inner.db.is_postgres() { "k.created_at DESC, k.id DESC" } else { "k.seq DESC" };
        let mut sorted_by: Option<String> = None;
        let p = |a: &mut Vec<Arg>, v: Arg| {
            a.push(v);
            format!("${}", a.len())
        };
        let n = p(&mut a, ms(now).into());
        cond.push(format!("(k.delete_after IS NULL OR k.delete_after > {n})"));
        // Which keys the actor sees, as `key_scope` decides it: outside any
        // workspace (every key, for organization admins), then by the role
        // held in each workspace.
        let outside = authz::key_scope(actor.org_role, None);
        if outside != KeyScope::All {
            let u = p(&mut a, actor.user_id.into());
            let mut visible = vec![];
            if outside == KeyScope::Own {
                visible.push(format!("k.owner_id = {u}"));
            }
            let (mut all_roles, mut own_roles) = (vec![], vec![]);
            for role in [WorkspaceRole::Admin, WorkspaceRole::Member] {
                match authz::key_scope(actor.org_role, Some(role)) {
                    KeyScope::All => all_roles.push(p(&mut a, role.code().into())),
                    KeyScope::Own => own_roles.push(p(&mut a, role.code().into())),
                    KeyScope::Nothing => {}
                }
            }
            let in_workspaces_as = |roles: &[String]| {
                format!(
                    "k.workspace_id IN (SELECT workspace_id FROM workspace_members WHERE user_id = {u} AND role IN ({}))",
                    roles.join(", ")
                )
            };
            if !all_roles.is_empty() {
                visible.push(in_workspaces_as(&all_roles));
            }
            if !own_roles.is_empty() {
                visible.push(format!("(k.owner_id = {u} AND {})", in_workspaces_as(&own_roles)));
            }
            cond.push(if visible.is_empty() { "1 = 0".to_owned() } else { format!("({})", visible.join(" OR ")) });
        }
        if let Some(ws) = filter.workspace_id {
            let x = p(&mut a, ws.into());
            cond.push(format!("k.workspace_id = {x}"));
        }
        if let Some(owner) = filter.owner_id {
            let x = p(&mut a, owner.into());
            cond.push(format!("k.owner_id = {x}"));
        }
        if let Some(product) = filter.product {
            let x = p(&mut a, product.as_str().into());
            cond.push(format!("k.product = {x}"));
        }
        if let Some(term) = filter.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let folded = fold_for_search(term);
            let last4 = (folded.chars().count() == 4).then(|| p(&mut a, folded.clone().into()));
            let by_name = if folded.chars().count() >= 3 && !self.inner.db.is_postgres() {
                // SQLite: the trigram index answers substring queries of 3+ characters.
                let phrase = p(&mut a, format!("\"{}\"", folded.replace('"', "\"\"")).into());
                match &last4 {
                    Some(l4) => format!(
                        "k.seq IN (SELECT rowid FROM api_keys_name_search WHERE api_keys_name_search MATCH {phrase} \
                         UNION SELECT seq FROM api_keys WHERE last4_folded = {l4})"
                    ),
                    None => {
                        // Walk the matches newest first and stop at the page's
                        // end, instead of collecting every match of a common word.
                        from = "api_keys_name_search f JOIN api_keys k ON k.seq = f.rowid";
                        order = "f.rowid DESC";
                        format!("f.api_keys_name_search MATCH {phrase}")
                    }
                }
            } else {
                // PostgreSQL's trigram GIN index serves LIKE; short terms scan.
                let like = p(&mut a, format!("%{}%", like_escape(&folded)).into());
                match &last4 {
                    Some(l4) => format!("(k.name_folded LIKE {like} ESCAPE '\\' OR k.last4_folded = {l4})"),
                    None => format!("k.name_folded LIKE {like} ESCAPE '\\'"),
                }
            };
            cond.push(by_name);
        }
        if let Some(status) = filter.status {
            let n = p(&mut a, ms(now).into());
            match status {
                KeyStatus::Expired => cond.push(format!("(k.expires_at IS NOT NULL AND k.expires_at <= {n})")),
                KeyStatus::Active | KeyStatus::Inactive => {
                    cond.push(format!("(k.expires_at IS NULL OR k.expires_at > {n})"));
                    let wanted_billing = status == KeyStatus::Active;
                    if org.billing_active != wanted_billing {
                        cond.push("1 = 0".into());
                    }
                }
            }
        }
        if let Some(days) = filter.unused_for_days {
            if days < 0 {
                return Err(Error::validation("unused_for_days", "unused_for_days cannot be negative"));
            }
            let cutoff = p(&mut a, ms(now - Duration::days(i64::from(days))).into());
            cond.push(format!("COALESCE(k.last_used_at, k.created_at) < {cutoff}"));
        }
        let where_sql = cond.join(" AND ");
        // Counting stops past COUNT_CAP, so a broad filter over a million
        // keys costs no more than a narrow one.
        let mut count_args = a.clone();
        let cap = p(&mut count_args, (COUNT_CAP + 1).into());
        let counted =
            tx.int(&format!("SELECT COUNT(*) FROM (SELECT 1 FROM {from} WHERE {where_sql} LIMIT {cap}) AS matching"), count_args).await?;
        // The sort's own argument comes after the count's, which does not use it.
        if let Some(sort) = filter.sort {
            let expr = match sort.column {
                KeySortColumn::Name => "k.name_folded".to_owned(),
                KeySortColumn::HiddenKey => "k.hidden_key".to_owned(),
                KeySortColumn::Product => "k.product".to_owned(),
                KeySortColumn::Workspace => "w.name_folded".to_owned(),
                KeySortColumn::Owner => "u.email_folded".to_owned(),
                KeySortColumn::Created => "k.created_at".to_owned(),
                // Never used sorts as the oldest use, never expiring as the latest date.
                KeySortColumn::LastUsed => "COALESCE(k.last_used_at, 0)".to_owned(),
                KeySortColumn::Expires => format!("COALESCE(k.expires_at, {})", i64::MAX),
                KeySortColumn::Status => {
                    let n = p(&mut a, ms(now).into());
                    format!("CASE WHEN k.expires_at IS NOT NULL AND k.expires_at <= {n} THEN 1 ELSE 0 END")
                }
            };
            let dir = if sort.descending { "DESC" } else { "ASC" };
            sorted_by = Some(format!("{expr} {dir}, "));
        }
        let l = p(&mut a, limit.into());
        let o = p(&mut a, offset.into());
        // A chosen column first; newest first between equal values.
        let order = format!("{}{order}", sorted_by.unwrap_or_default());
        let rows: Vec<KeyRow> = tx
            .all(
                &format!(
                    concat!(key_columns!(), " FROM {} ", key_joins!(), " WHERE {} ORDER BY {} LIMIT {} OFFSET {}"),
                    from, where_sql, order, l, o
                ),
                a,
            )
            .await?;
        // The actor's role in each key's workspace decides the actions shown.
        let roles: Vec<(Uuid, String)> =
            tx.all("SELECT workspace_id, role FROM workspace_members WHERE user_id = $1", args![actor.user_id]).await?;
        let roles: BTreeMap<Uuid, WorkspaceRole> =
            roles.into_iter().filter_map(|(w, r)| WorkspaceRole::from_code(&r).map(|r| (w, r))).collect();
        let keys = rows
            .into_iter()
            .map(|r| {
                let subject = Subject {
                    org_role: actor.org_role,
                    workspace_role: roles.get(&r.workspace_id).copied(),
                    owns_target: r.owner_id == actor.user_id,
                };
                let may_manage = authorize(subject, Action::ManageKey).is_allowed();
                self.key_from_row(r, org.billing_active, may_manage)
            })
            .collect();
        Ok(KeyPage { keys, total: counted.min(COUNT_CAP), total_exact: counted <= COUNT_CAP })
    }

    /// Changes a key's name, the only mutable property of a key.
    pub async fn rename_key(&self, actor: &Actor, key_id: Uuid, name: Option<String>) -> Result<ApiKey> {
        self.update_key(actor, key_id, KeyPatch { name: Some(name), ..Default::default() }).await
    }

    /// Sets or clears a key's own monthly budget (micro-USD). The gateway
    /// holds requests made with the key to it, on top of the workspace's and
    /// the organization's limits.
    pub async fn set_key_budget(&self, actor: &Actor, key_id: Uuid, budget_micros: Option<i64>) -> Result<ApiKey> {
        self.update_key(actor, key_id, KeyPatch { monthly_budget_micros: Some(budget_micros), ..Default::default() }).await
    }

    /// Changes what may change of a key, all or nothing: its name (the key's
    /// owner or a workspace admin) and its monthly budget (workspace admins).
    pub async fn update_key(&self, actor: &Actor, key_id: Uuid, patch: KeyPatch) -> Result<ApiKey> {
        let name = patch.name.map(|n| n.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned));
        if let Some(Some(n)) = &name {
            check_len("name", n, 0, 255)?;
        }
        if let Some(budget) = patch.monthly_budget_micros {
            policy::check_spend_limit("monthly_budget", budget, None)?;
        }
        let mut tx = self.begin().await?;
        let (before, subject) = self.key_for(&mut tx, actor, key_id).await?;
        authorize(subject, Action::ManageKey).check()?;
        let mut changes = vec![];
        if let Some(name) = &name {
            tx.exec(
                "UPDATE api_keys SET name = $1, name_folded = $2 WHERE id = $3",
                args![name.clone(), name.as_deref().map(fold_for_search).unwrap_or_default(), key_id],
            )
            .await?;
        }
        if let Some(budget) = patch.monthly_budget_micros {
            authorize(Subject { owns_target: false, ..subject }, Action::SetKeyBudget).check()?;
            tx.exec("UPDATE api_keys SET monthly_budget_micros = $1 WHERE id = $2", args![budget, key_id]).await?;
            changes.push(Change::Key(key_id));
        }
        let after = self.created(&mut tx, actor, key_id).await?;
        if name.is_some() {
            self.audit(&mut tx, Some(actor), "api_key.renamed", "api_key", Some(key_id), Some(&before), Some(&after)).await?;
        }
        if patch.monthly_budget_micros.is_some() {
            self.audit(&mut tx, Some(actor), "api_key.budget_changed", "api_key", Some(key_id), Some(&before), Some(&after)).await?;
        }
        self.commit_announcing(tx, &changes).await?;
        Ok(after)
    }

    pub async fn delete_key(&self, actor: &Actor, key_id: Uuid) -> Result<()> {
        let mut tx = self.begin().await?;
        let (before, subject) = self.key_for(&mut tx, actor, key_id).await?;
        authorize(subject, Action::ManageKey).check()?;
        tx.exec("DELETE FROM api_keys WHERE id = $1", args![key_id]).await?;
        self.audit(&mut tx, Some(actor), "api_key.deleted", "api_key", Some(key_id), Some(&before), None::<&()>).await?;
        self.commit_announcing(tx, &[Change::Key(key_id)]).await?;
        Ok(())
    }

    /// Deletes several keys at once; all must be deletable by the actor, or
    /// none is deleted. Returns how many were deleted.
    pub async fn delete_keys(&self, actor: &Actor, key_ids: &[Uuid]) -> Result<i64> {
        let mut tx = self.begin().await?;
        let mut deleted = Vec::with_capacity(key_ids.len());
        for id in key_ids {
            let (key, subject) = self.key_for(&mut tx, actor, *id).await?;
            authorize(subject, Action::ManageKey).check()?;
            tx.exec("DELETE FROM api_keys WHERE id = $1", args![*id]).await?;
            deleted.push(key);
        }
        for key in &deleted {
            self.audit(&mut tx, Some(actor), "api_key.deleted", "api_key", Some(key.key_id), Some(key), None::<&()>).await?;
        }
        let changes: Vec<Change> = deleted.iter().map(|k| Change::Key(k.key_id)).collect();
        self.commit_announcing(tx, &changes).await?;
        Ok(deleted.len() as i64)
    }

    /// Replaces a key by a new one with the same settings. The old key is
    /// deleted now, or keeps working for `grace_seconds` and is then gone.
    pub async fn rotate_key(&self, actor: &Actor, key_id: Uuid, grace_seconds: Option<i64>) -> Result<CreatedKey> {
        let grace = grace_seconds.unwrap_or(0);
        if !(0..=MAX_GRACE_SECONDS).contains(&grace) {
            return Err(Error::validation(
                "grace_period_seconds",
                format!("grace_period_seconds must be between 0 and {MAX_GRACE_SECONDS}"),
            ));
        }
        let mut tx = self.begin().await?;
        let (old, _) = self.key_for(&mut tx, actor, key_id).await?;
        match old.actions.rotate {
            ActionAvailability::Available => {}
            ActionAvailability::Unavailable { reason: Some(UnavailableReason::KeyExpired) } => {
                return Err(Error::conflict("key_id", "an expired key cannot be rotated; create a new key instead"))
            }
            ActionAvailability::Unavailable { reason: Some(UnavailableReason::UnsupportedScope) } => {
                return Err(Error::conflict("key_id", "legacy Mistral Code keys cannot be rotated"))
            }
            ActionAvailability::Unavailable { .. } => {
                return Err(Error::forbidden("only the key's owner or a workspace admin can rotate it"))
            }
        }
        // The replacement is a new key, so the expiry policy in force now
        // applies to it: the old date is kept when the policy allows it, and
        // moved to the latest allowed day otherwise (a never-expiring key
        // gets the policy's maximum from today).
        let org = Self::require_org(&mut tx).await?;
        let ws = Self::workspace_in(&mut tx, old.workspace_id).await?;
        let max_days = policy::effective_max_days(org.key_max_days, ws.key_max_days);
        let (expiration, clamped) = policy::clamp_expiration(old.expiration_date, max_days, self.today())?;
        let spec = KeySpec {
            id: Uuid::new_v4(),
            workspace_id: old.workspace_id,
            owner_id: old.owner_id,
            name: old.name.clone(),
            product: old.product,
            scope: old.connector_scope,
            expiration,
            monthly_budget_micros: old.monthly_budget_micros,
        };
        let secret = self.insert_key(&mut tx, &spec).await?;
        if grace == 0 {
            tx.exec("DELETE FROM api_keys WHERE id = $1", args![key_id]).await?;
        } else {
            tx.exec("UPDATE api_keys SET delete_after = $1 WHERE id = $2", args![ms(self.now() + Duration::seconds(grace)), key_id])
                .await?;
        }
        let key = self.created(&mut tx, actor, spec.id).await?;
        let after = serde_json::json!({ "new_key": &key, "grace_period_seconds": grace, "expiration_clamped": clamped });
        self.audit(&mut tx, Some(actor), "api_key.rotated", "api_key", Some(key_id), Some(&old), Some(&after)).await?;
        self.commit_announcing(tx, &[Change::Key(key_id)]).await?;
        Ok(CreatedKey { key, secret, expiration_clamped: clamped })
    }

    /// Looks up a presented secret for the gateway. Malformed secrets are
    /// refused without touching the database. Unknown, deleted and past-grace
    /// keys are `None`.
    pub async fn authenticate_key(&self, secret: &str) -> Result<Option<KeyAuth>> {
        // The gateway's own lookup, with the status the key has now.
        let Some(hash) = self.gateway_key_hash(secret) else { return Ok(None) };
        let Some(key) = self.gateway_key(&hash).await? else { return Ok(None) };
        let org = self.gateway_organization().await?;
        Ok(Some(KeyAuth {
            key_id: key.key_id,
            workspace_id: key.workspace_id,
            owner_id: key.owner_id,
            status: policy::key_status(key.expires_at, org.billing_active, self.now()),
            connector_scope: key.connector_scope,
        }))
    }

    /// Removes keys whose rotation grace period has ended, each with an
    /// `api_key.deleted` audit entry by the system (no actor). From the end
    /// of the grace period such a key is already refused and hidden; this
    /// removes the row, so the entry's time is when the purge ran and
    /// `after.grace_ended_at` says when the key stopped working. The server
    /// runs it periodically, and every `connect` runs it once, so local mode
    /// purges at each start.
    pub async fn purge_rotated_keys(&self) -> Result<u64> {
        let now = ms(self.now());
        let mut tx = self.begin().await?;
        let rows: Vec<KeyRow> = tx
            .all(&format!("{KEY_SELECT} WHERE k.delete_after IS NOT NULL AND k.delete_after <= $1 ORDER BY k.delete_after"), args![now])
            .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let billing_active = Self::org_in(&mut tx).await?.is_none_or(|o| o.billing_active);
        let mut removed = vec![];
        for row in rows {
            let key = self.key_from_row(row, billing_active, false);
            // Only the purge that actually removes the row records it, should
            // two run at once.
            let n = tx
                .exec("DELETE FROM api_keys WHERE id = $1 AND delete_after IS NOT NULL AND delete_after <= $2", args![key.key_id, now])
                .await?;
            if n == 1 {
                let after = serde_json::json!({ "reason": "rotation_grace_period_ended", "grace_ended_at": key.delete_after });
                self.audit(&mut tx, None, "api_key.deleted", "api_key", Some(key.key_id), Some(&key), Some(&after)).await?;
                removed.push(Change::Key(key.key_id));
            }
        }
        self.commit_announcing(tx, &removed).await?;
        Ok(removed.len() as u64)
    }

    // ------------------------------------------------------------ connectors

    pub(crate) async fn connector_in(tx: &mut Tx, id: Uuid) -> Result<Connector> {
        let row: Option<ConnectorRow> =
            tx.opt("SELECT id, name, owner_id, workspace_id, visibility, created_at FROM connectors WHERE id = $1", args![id]).await?;
        row.map(ConnectorRow::into_model).ok_or_else(|| Error::not_found("connector"))
    }

    pub async fn create_connector(&self, actor: &Actor, new: NewConnector) -> Result<Connector> {
        let name = new.name.trim();
        check_len("name", name, 1, 255)?;
        let mut tx = self.begin().await?;
        let action = match new.visibility {
            ConnectorVisibility::Shared => Action::ManageSharedConnectors,
            ConnectorVisibility::Private => Action::ViewConnectors,
        };
        self.workspace_for(&mut tx, actor, new.workspace_id, action).await?;
        let id = Uuid::new_v4();
        let vis = if new.visibility == ConnectorVisibility::Shared { "shared" } else { "private" };
        tx.exec(
            "INSERT INTO connectors (id, name, owner_id, workspace_id, visibility, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            args![id, name, actor.user_id, new.workspace_id, vis, ms(self.now())],
        )
        .await?;
        let c = Self::connector_in(&mut tx, id).await?;
        self.audit(&mut tx, Some(actor), "connector.created", "connector", Some(id), None::<&()>, Some(&c)).await?;
        self.commit_announcing(tx, &[Change::Connector(id)]).await?;
        Ok(c)
    }

    /// Shared connectors of a workspace and the private ones the actor may see
    /// (their own; all of them for workspace and organization admins).
    pub async fn list_connectors(&self, actor: &Actor, workspace_id: Uuid) -> Result<Vec<Connector>> {
        let mut tx = self.begin().await?;
        let (_, subject) = self.workspace_for(&mut tx, actor, workspace_id, Action::ViewConnectors).await?;
        // Others' private connectors: shown to those who may manage them.
        let sees_private = authorize(Subject { owns_target: false, ..subject }, Action::ManageConnector).is_allowed();
        let rows: Vec<ConnectorRow> = tx
            .all(
                "SELECT id, name, owner_id, workspace_id, visibility, created_at FROM connectors WHERE workspace_id = $1 \
                 AND (visibility = 'shared' OR owner_id = $2 OR $3) ORDER BY name",
                args![workspace_id, actor.user_id, sees_private],
            )
            .await?;
        Ok(rows.into_iter().map(ConnectorRow::into_model).collect())
    }

    async fn connector_for(&self, tx: &mut Tx, actor: &Actor, id: Uuid) -> Result<Connector> {
        let c = Self::connector_in(tx, id).await?;
        let subject = Self::subject(tx, actor, c.workspace_id, c.owner_id == actor.user_id).await?;
        // A connector one may not manage is not shown to exist.
        if !authorize(subject, Action::ManageConnector).is_allowed() {
            return Err(Error::not_found("connector"));
        }
        Ok(c)
    }

    pub async fn set_connector_visibility(&self, actor: &Actor, id: Uuid, visibility: ConnectorVisibility) -> Result<Connector> {
        let mut tx = self.begin().await?;
        let before = self.connector_for(&mut tx, actor, id).await?;
        if visibility == ConnectorVisibility::Shared || before.visibility == ConnectorVisibility::Shared {
            let subject = Self::subject(&mut tx, actor, before.workspace_id, false).await?;
            authorize(subject, Action::ManageSharedConnectors).check()?;
        }
        let vis = if visibility == ConnectorVisibility::Shared { "shared" } else { "private" };
        tx.exec("UPDATE connectors SET visibility = $1 WHERE id = $2", args![vis, id]).await?;
        let after = Self::connector_in(&mut tx, id).await?;
        self.audit(&mut tx, Some(actor), "connector.visibility_changed", "connector", Some(id), Some(&before), Some(&after)).await?;
        self.commit_announcing(tx, &[Change::Connector(id)]).await?;
        Ok(after)
    }

    pub async fn delete_connector(&self, actor: &Actor, id: Uuid) -> Result<()> {
        let mut tx = self.begin().await?;
        let before = self.connector_for(&mut tx, actor, id).await?;
        tx.exec("DELETE FROM connectors WHERE id = $1", args![id]).await?;
        self.audit(&mut tx, Some(actor), "connector.deleted", "connector", Some(id), Some(&before), None::<&()>).await?;
        self.commit_announcing(tx, &[Change::Connector(id)]).await?;
        Ok(())
    }

    /// The connectors requests made with this key may reach.
    pub async fn reachable_connectors(&self, actor: &Actor, key_id: Uuid) -> Result<Vec<Connector>> {
        let mut tx = self.begin().await?;
        let (key, _) = self.key_for(&mut tx, actor, key_id).await?;
        let rows: Vec<ConnectorRow> = tx
            .all(
                "SELECT id, name, owner_id, workspace_id, visibility, created_at FROM connectors WHERE workspace_id = $1 ORDER BY name",
                args![key.workspace_id],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(ConnectorRow::into_model)
            .filter(|c| can_use(key.connector_scope, key.owner_id, key.workspace_id, c))
            .collect())
    }

    // ------------------------------------------------------------ usage

    /// A workspace's spend in the calendar month (UTC) containing `at`, with
    /// the limit in force.
    pub async fn monthly_spend(&self, actor: &Actor, workspace_id: Uuid, at: DateTime<Utc>) -> Result<MonthlySpend> {
        let mut tx = self.begin().await?;
        let ws = self.get_workspace_in(&mut tx, actor, workspace_id).await?;
        self.spend_in(&mut tx, &ws, at).await
    }

    /// The same, for the gateway (no actor: the key was authenticated).
    pub async fn workspace_spend(&self, workspace_id: Uuid, at: DateTime<Utc>) -> Result<MonthlySpend> {
        let mut tx = self.begin().await?;
        let ws = Self::workspace_in(&mut tx, workspace_id).await?;
        self.spend_in(&mut tx, &ws, at).await
    }

    async fn get_workspace_in(&self, tx: &mut Tx, actor: &Actor, workspace_id: Uuid) -> Result<Workspace> {
        let subject = Self::subject(tx, actor, workspace_id, false).await?;
        let ws = Self::workspace_in(tx, workspace_id).await?;
        if !authorize(subject, Action::ViewUsage).is_allowed() {
            return Err(Error::not_found("workspace"));
        }
        Ok(ws)
    }

    async fn spend_in(&self, tx: &mut Tx, ws: &Workspace, at: DateTime<Utc>) -> Result<MonthlySpend> {
        let org = Self::require_org(tx).await?;
        let (start, end) = policy::month_bounds(at);
        let (spent, requests, input, output): (i64, i64, i64, i64) = tx
            .one(
                "SELECT CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT), COUNT(*), \
                 CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT), CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT) \
                 FROM usage_records WHERE workspace_id = $1 AND at >= $2 AND at < $3",
                args![ws.id, ms(start), ms(end)],
            )
            .await?;
        Ok(MonthlySpend {
            workspace_id: ws.id,
            year: chrono::Datelike::year(&start),
            month: chrono::Datelike::month(&start),
            spent_micros: spent,
            limit_micros: policy::effective_spend_limit(org.monthly_spend_limit_micros, ws.monthly_spend_limit_micros),
            requests,
            input_tokens: input,
            output_tokens: output,
        })
    }

    /// The organization's spend in the calendar month (UTC) containing
    /// `at`: every usage record of the month, of workspaces deleted since
    /// too — the spend ledger's sum, which the organization's limit is
    /// checked against, read in one row however many workspaces there are.
    pub async fn organization_spend(&self, actor: &Actor, at: DateTime<Utc>) -> Result<i64> {
        authorize(Subject::organization(actor.org_role), Action::ViewUsage).check()?;
        let org = self.gateway_organization().await?;
        self.ledger_committed(crate::ledger::SpendScope::Organization(org.id), crate::ledger::Period::containing(at)).await
    }

    /// Cost per day (UTC) of a workspace in the month containing `at`.
    pub async fn daily_costs(&self, actor: &Actor, workspace_id: Uuid, at: DateTime<Utc>) -> Result<Vec<DailyCost>> {
        let mut tx = self.begin().await?;
        self.get_workspace_in(&mut tx, actor, workspace_id).await?;
        let (start, end) = policy::month_bounds(at);
        let day_ms: i64 = 86_400_000;
        let rows: Vec<(i64, i64)> = tx
            .all(
                "SELECT CAST((at - $2) / $4 AS BIGINT) AS day_index, CAST(SUM(cost_micros) AS BIGINT) FROM usage_records \
                 WHERE workspace_id = $1 AND at >= $2 AND at < $3 GROUP BY day_index ORDER BY day_index",
                args![workspace_id, ms(start), ms(end), day_ms],
            )
            .await?;
        Ok(rows.into_iter().map(|(d, c)| DailyCost { day: (start + Duration::days(d)).date_naive(), cost_micros: c }).collect())
    }

    // ------------------------------------------------------------ audit log

    pub async fn list_audit(&self, actor: &Actor, filter: AuditFilter) -> Result<Vec<AuditEvent>> {
        self.query_audit(actor, filter.into()).await
    }

    /// The audit log filtered, ordered and paged by the database.
    pub async fn query_audit(&self, actor: &Actor, q: AuditQuery) -> Result<Vec<AuditEvent>> {
        Self::org_check(actor, Action::ViewAuditLog)?;
        let (limit, offset) = page_bounds(q.limit, q.offset, 100)?;
        let mut cond = vec!["1 = 1".to_owned()];
        let mut a: Vec<Arg> = vec![];
        let any_of = |a: &mut Vec<Arg>, column: &str, values: &[String]| -> String {
            let slots: Vec<String> = values
                .iter()
                .map(|v| {
                    a.push(v.clone().into());
                    format!("${}", a.len())
                })
                .collect();
            format!("{column} IN ({})", slots.join(", "))
        };
        if let Some(v) = q.actor_id {
            a.push(v.into());
            cond.push(format!("actor_id = ${}", a.len()));
        }
        if !q.actions.is_empty() {
            cond.push(any_of(&mut a, "action", &q.actions));
        }
        if let Some(v) = q.target_id {
            a.push(v.into());
            cond.push(format!("target_id = ${}", a.len()));
        }
        if !q.target_types.is_empty() {
            cond.push(any_of(&mut a, "target_type", &q.target_types));
        }
        match q.by_person {
            Some(true) => cond.push("actor_id IS NOT NULL".to_owned()),
            Some(false) => cond.push("actor_id IS NULL".to_owned()),
            None => {}
        }
        if let Some(v) = q.since {
            a.push(ms(v).into());
            cond.push(format!("at >= ${}", a.len()));
        }
        if let Some(v) = q.until {
            a.push(ms(v).into());
            cond.push(format!("at < ${}", a.len()));
        }
        a.push(limit.into());
        a.push(offset.into());
        let sql = format!(
            "SELECT id, at, actor_id, actor_email, action, target_type, target_id, before_json, after_json FROM audit_log \
             WHERE {} ORDER BY seq {} LIMIT ${} OFFSET ${}",
            cond.join(" AND "),
            if q.oldest_first { "ASC" } else { "DESC" },
            a.len() - 1,
            a.len()
        );
        let mut tx = self.begin().await?;
        let rows: Vec<AuditRow> = tx.all(&sql, a).await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditEvent {
                id: r.id,
                at: from_ms(r.at),
                actor_id: r.actor_id,
                actor_email: r.actor_email,
                action: r.action,
                target_type: r.target_type,
                target_id: r.target_id,
                before: r.before_json.and_then(|s| serde_json::from_str(&s).ok()),
                after: r.after_json.and_then(|s| serde_json::from_str(&s).ok()),
            })
            .collect())
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
