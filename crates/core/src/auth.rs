//! Who is calling: passwords (argon2id, hashed on the blocking pool), user
//! sessions (opaque tokens, stored only as hashes, with expiry and sign-out),
//! Admin API keys (stored only as hashes, acting for the admin who created
//! them) and the limits on failed sign-ins per account and per address.
//! It answers "which `Actor` is this?"; what the actor may do is still
//! decided by `authz::authorize`, inside each Service operation.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::Rng;
use serde::Serialize;
use sqlx::FromRow;
use uuid::Uuid;

use crate::args;
use crate::authz::{authorize, Action, Subject};
use crate::error::{Error, ErrorCode, Result};
use crate::model::{OrgRole, User};
use crate::policy;
use crate::secret::{generate_key, hidden_form, Sensitive};
use crate::service::{Actor, Service};
use crate::text::check_len;

/// Session tokens start with this, so they are recognisable in a leak and
/// never confused with an API key.
pub const SESSION_TOKEN_PREFIX: &str = "kds_";
/// Password length bounds, in characters.
pub const MIN_PASSWORD_LEN: usize = 12;
pub const MAX_PASSWORD_LEN: usize = 256;
/// Length of generated one-time passwords.
const GENERATED_PASSWORD_LEN: usize = 20;

/// The one answer to every failed sign-in: it never says which part was wrong,
/// nor that the account or the address is locked out.
const BAD_CREDENTIALS: &str = "invalid email or password";

/// Session lifetime and brute-force limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthPolicy {
    pub session_ttl: Duration,
    /// Failed sign-ins allowed per account within `failure_window`.
    pub max_failures_per_account: i64,
    /// Failed sign-ins allowed per client address within `failure_window`.
    pub max_failures_per_ip: i64,
    pub failure_window: Duration,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        AuthPolicy {
            session_ttl: Duration::hours(12),
            max_failures_per_account: 5,
            max_failures_per_ip: 30,
            failure_window: Duration::minutes(15),
        }
    }
}

/// A signed-in session as anyone may see it (never the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    pub id: Uuid,
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A session just opened: the token is given to the client once.
#[derive(Debug)]
pub struct NewSession {
    pub token: Sensitive<String>,
    pub session: Session,
    pub user: User,
}

/// An Admin API key as listed: never the secret, only its hidden form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminApiKey {
    pub id: Uuid,
    pub name: String,
    pub hidden_key: String,
    pub created_by: Uuid,
    pub created_by_email: String,
    pub created_at: DateTime<Utc>,
    /// Last valid day (UTC), if the key expires.
    pub expiration_date: Option<NaiveDate>,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(Debug)]
pub struct CreatedAdminKey {
    pub key: AdminApiKey,
    pub secret: Sensitive<String>,
}

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Credential {
    Session(Uuid),
    AdminKey(Uuid),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    pub actor: Actor,
    pub credential: Credential,
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

#[derive(FromRow)]
struct SessionRow {
    id: Uuid,
    user_id: Uuid,
    created_at: i64,
    expires_at: i64,
    token_hash: Vec<u8>,
}

#[derive(FromRow)]
struct AdminKeyRow {
    id: Uuid,
    name: String,
    hidden_key: String,
    created_by: Uuid,
    created_by_email: String,
    created_at: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
}

impl AdminKeyRow {
    fn into_model(self) -> AdminApiKey {
        AdminApiKey {
            id: self.id,
            name: self.name,
            hidden_key: self.hidden_key,
            created_by: self.created_by,
            created_by_email: self.created_by_email,
            created_at: from_ms(self.created_at),
            expiration_date: self.expires_at.map(|t| (from_ms(t) - Duration::days(1)).date_naive()),
            last_used_at: self.last_used_at.map(from_ms),
        }
    }
}

const ADMIN_KEY_SELECT: &str = "SELECT k.id, k.name, k.hidden_key, k.created_by, u.email AS created_by_email, \
    k.created_at, k.expires_at, k.last_used_at FROM admin_api_keys k JOIN users u ON u.id = k.created_by";

#[derive(FromRow)]
struct UserAuthRow {
    id: Uuid,
    email: String,
    name: String,
    org_role: String,
    created_at: i64,
    password_hash: Option<String>,
}

impl UserAuthRow {
    fn user(&self) -> User {
        User {
            id: self.id,
            email: self.email.clone(),
            name: self.name.clone(),
            org_role: OrgRole::from_code(&self.org_role).unwrap_or(OrgRole::Member),
            created_at: from_ms(self.created_at),
        }
    }
}

const USER_AUTH_COLS: &str = "id, email, name, org_role, created_at, password_hash";

// ---------------------------------------------------------------- passwords

fn argon2() -> Argon2<'static> {
    // argon2id, version 0x13, the crate's default cost (19 MiB, 2 passes).
    Argon2::default()
}

fn hash_password_blocking(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt[..]);
    let salt = SaltString::encode_b64(&salt).map_err(|_| Error::internal("cannot encode a password salt"))?;
    argon2().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|_| Error::internal("cannot hash a password"))
}

/// A hash of a random password, verified against when the account does not
/// exist or has no password, so both cases cost the same time as a real one.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let random = generate_password();
        hash_password_blocking(random.expose()).unwrap_or_default()
    })
}

fn verify_password_blocking(password: &str, stored: Option<&str>) -> bool {
    let (phc, real) = match stored {
        Some(s) => (s, true),
        None => (decoy_hash(), false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    argon2().verify_password(password.as_bytes(), &parsed).is_ok() && real
}

/// Hashes on the blocking pool: argon2 takes tens of milliseconds of CPU.
pub async fn hash_password(password: Sensitive<String>) -> Result<String> {
    tokio::task::spawn_blocking(move || hash_password_blocking(password.expose()))
        .await
        .map_err(|_| Error::internal("password hashing task failed"))?
}

/// Verifies on the blocking pool; `None` as the stored hash always fails,
/// after the same amount of work.
pub async fn verify_password(password: Sensitive<String>, stored: Option<String>) -> Result<bool> {
    tokio::task::spawn_blocking(move || verify_password_blocking(password.expose(), stored.as_deref()))
        .await
        .map_err(|_| Error::internal("password verification task failed"))
}

/// A random password of letters and digits, for first sign-in.
pub fn generate_password() -> Sensitive<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let s: String = (0..GENERATED_PASSWORD_LEN).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    Sensitive::new(s)
}

fn check_new_password(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(Error::validation("new_password", format!("the password must be at least {MIN_PASSWORD_LEN} characters")));
    }
    if n > MAX_PASSWORD_LEN {
        return Err(Error::validation("new_password", format!("the password must be at most {MAX_PASSWORD_LEN} characters")));
    }
    Ok(())
}

fn generate_session_token() -> Sensitive<String> {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes[..]);
    let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    Sensitive::new(format!("{SESSION_TOKEN_PREFIX}{body}"))
}

fn org_check(actor: &Actor, action: Action) -> Result<()> {
    authorize(Subject { org_role: actor.org_role, workspace_role: None, owns_target: false }, action).check()
}

impl Service {
    async fn user_auth_by_id(&self, tx: &mut crate::store::Tx, id: Uuid) -> Result<UserAuthRow> {
        let row: Option<UserAuthRow> = tx.opt(&format!("SELECT {USER_AUTH_COLS} FROM users WHERE id = $1"), args![id]).await?;
        row.ok_or_else(|| Error::not_found("user"))
    }

    // ------------------------------------------------------------ passwords

    /// Gives a user a new random password, returned once; their open
    /// sessions end. Organization admins may do this for anyone (the first
    /// sign-in of a new user), and anyone for themselves.
    pub async fn issue_password(&self, actor: &Actor, user_id: Uuid) -> Result<Sensitive<String>> {
        if user_id != actor.user_id {
            org_check(actor, Action::ManageUsers)?;
        }
        let password = generate_password();
        let hash = hash_password(password.clone()).await?;
        let mut tx = self.db().begin().await?;
        self.user_auth_by_id(&mut tx, user_id).await?;
        let now = ms(self.now());
        tx.exec("UPDATE users SET password_hash = $1 WHERE id = $2", args![hash, user_id]).await?;
        tx.exec("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL", args![now, user_id]).await?;
        let after = serde_json::json!({ "user_id": user_id });
        self.audit(&mut tx, Some(actor), "user.password_reset", "user", Some(user_id), None::<&()>, Some(&after)).await?;
        tx.commit().await?;
        Ok(password)
    }

    /// Changes the actor's own password after checking the current one.
    /// Other sessions of the user end; the caller's own stays open.
    pub async fn change_password(
        &self,
        actor: &Actor,
        current: Sensitive<String>,
        new: Sensitive<String>,
        keep_session: Option<Uuid>,
    ) -> Result<()> {
        check_new_password(new.expose())?;
        let stored = {
            let mut tx = self.db().begin().await?;
            self.user_auth_by_id(&mut tx, actor.user_id).await?.password_hash
        };
        if !verify_password(current, stored).await? {
            return Err(Error::validation("current_password", "the current password is not correct"));
        }
        let hash = hash_password(new).await?;
        let mut tx = self.db().begin().await?;
        tx.exec("UPDATE users SET password_hash = $1 WHERE id = $2", args![hash, actor.user_id]).await?;
        tx.exec(
            "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND id <> $3",
            args![ms(self.now()), actor.user_id, keep_session.unwrap_or(Uuid::nil())],
        )
        .await?;
        self.audit(&mut tx, Some(actor), "user.password_changed", "user", Some(actor.user_id), None::<&()>, None::<&()>).await?;
        tx.commit().await
    }

    // ------------------------------------------------------------ sessions

    /// Writes a sign-in attempt as a pending failure, for the account and,
    /// when known, the address, and commits it before anything is counted.
    /// Returns the ids of its rows (the second is unused without an address).
    async fn record_attempt(&self, email_folded: &str, ip: Option<&str>) -> Result<[Uuid; 2]> {
        let ids = [Uuid::new_v4(), Uuid::new_v4()];
        let now = ms(self.now());
        let mut tx = self.db().begin().await?;
        tx.exec(
            "INSERT INTO login_failures (id, scope, subject, at, pending) VALUES ($1, 'account', $2, $3, TRUE)",
            args![ids[0], email_folded, now],
        )
        .await?;
        if let Some(ip) = ip {
            tx.exec("INSERT INTO login_failures (id, scope, subject, at, pending) VALUES ($1, 'ip', $2, $3, TRUE)", args![ids[1], ip, now])
                .await?;
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Attempts within the window for one account or address: failures and
    /// pending attempts alike, the caller's own included.
    async fn attempts_in_window(&self, tx: &mut crate::store::Tx, policy: &AuthPolicy, scope: &str, subject: &str) -> Result<i64> {
        let since = ms(self.now() - policy.failure_window);
        tx.int("SELECT COUNT(*) FROM login_failures WHERE scope = $1 AND subject = $2 AND at > $3", args![scope, subject, since]).await
    }

    /// Signs in with email and password. Every failure, including a locked
    /// out account or address, is the same `unauthorized` error, and each
    /// well-formed attempt does the same argon2 work, so neither the answer
    /// nor its timing tells a wrong password from a lock or an unknown email.
    /// (Malformed input is refused at once, whatever the account's state.)
    ///
    /// The limits are enforced with the database as the only shared state,
    /// so they hold for concurrent requests and for several server replicas
    /// on one PostgreSQL:
    /// 1. the attempt is written as a pending failure and committed;
    /// 2. the account's and the address's rows in the window are counted,
    ///    pending ones and its own included;
    /// 3. over either limit it is refused: the password is not checked (a
    ///    decoy hash is, for the timing) and its rows are removed;
    /// 4. otherwise the password is checked: wrong, the rows stay as plain
    ///    failures; right, they are removed, and so are the account's
    ///    settled failures (a successful sign-in resets the account count).
    ///
    /// Why no more than `limit` wrong passwords get checked in one window (for an
    /// account, between two successful sign-ins): take the attempts that got
    /// checked with their rows inside one window, in the order their counts
    /// ran. Each committed its row before its own count, and a checked row
    /// goes only when it leaves the window or a right password resets the
    /// account, so the last count saw every one of those rows, its own
    /// included. It was allowed, so there are at most `limit` of them.
    /// Removing a refused attempt's row cannot let an extra one through, as
    /// a count that saw it only came out higher. The price of counting
    /// pending rows: in a burst, attempts see each other and may all be
    /// refused where some would have been allowed one at a time. Each replica
    /// stamps rows with its own clock, so clock skew moves the edges of the
    /// window by that much; it does not change the argument.
    pub async fn sign_in(&self, policy: &AuthPolicy, email: &str, password: Sensitive<String>, ip: Option<&str>) -> Result<NewSession> {
        let email_folded = email.trim().to_lowercase();
        let denied = || Error::unauthorized(BAD_CREDENTIALS);
        if email_folded.is_empty() || email_folded.len() > 254 || password.expose().chars().count() > MAX_PASSWORD_LEN {
            return Err(denied());
        }
        let attempt = self.record_attempt(&email_folded, ip).await?;
        // If anything below fails before the attempt is settled, its rows
        // stay pending and count as a failure until the window passes.
        let (allowed, row) = {
            let mut tx = self.db().begin().await?;
            let mut allowed = self.attempts_in_window(&mut tx, policy, "account", &email_folded).await? <= policy.max_failures_per_account;
            if let Some(ip) = ip {
                allowed &= self.attempts_in_window(&mut tx, policy, "ip", ip).await? <= policy.max_failures_per_ip;
            }
            let row: Option<UserAuthRow> =
                tx.opt(&format!("SELECT {USER_AUTH_COLS} FROM users WHERE email_folded = $1"), args![email_folded.clone()]).await?;
            (allowed, row)
        };
        // A refused attempt, like an unknown email, is checked against the
        // decoy hash: the same work as a real check, and never a match.
        let stored = row.as_ref().filter(|_| allowed).and_then(|r| r.password_hash.clone());
        let ok = verify_password(password, stored).await?;
        if !allowed {
            // Refused attempts are not counted, so the lock ends one window
            // after the last checked failure, however often someone keeps
            // trying meanwhile, and an address that is locked cannot go on
            // adding failures to accounts. That does not stop anyone who
            // knows an email from keeping its account locked: checked wrong
            // passwords, `max_failures_per_account` of them per window, do.
            // One address can keep that up for at most
            // `max_failures_per_ip / max_failures_per_account` accounts.
            let mut tx = self.db().begin().await?;
            tx.exec("DELETE FROM login_failures WHERE id IN ($1, $2)", args![attempt[0], attempt[1]]).await?;
            tx.commit().await?;
            return Err(denied());
        }
        let Some(row) = row.filter(|_| ok) else {
            let mut tx = self.db().begin().await?;
            tx.exec("UPDATE login_failures SET pending = FALSE WHERE id IN ($1, $2)", args![attempt[0], attempt[1]]).await?;
            tx.commit().await?;
            return Err(denied());
        };
        let user = row.user();
        let token = generate_session_token();
        let now = self.now();
        let session = Session { id: Uuid::new_v4(), user_id: user.id, created_at: now, expires_at: now + policy.session_ttl };
        let mut tx = self.db().begin().await?;
        tx.exec(
            "INSERT INTO sessions (id, token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            args![session.id, self.hasher().hash(token.expose()), user.id, ms(now), ms(session.expires_at)],
        )
        .await?;
        tx.exec("DELETE FROM login_failures WHERE id IN ($1, $2)", args![attempt[0], attempt[1]]).await?;
        // Only settled failures: attempts still being checked keep counting,
        // or a sign-in racing a burst of guesses would let more of them in.
        tx.exec("DELETE FROM login_failures WHERE scope = 'account' AND subject = $1 AND pending = FALSE", args![email_folded]).await?;
        let actor = Actor { user_id: user.id, email: user.email.clone(), org_role: user.org_role };
        let after = serde_json::json!({ "session_id": session.id });
        self.audit(&mut tx, Some(&actor), "user.signed_in", "user", Some(user.id), None::<&()>, Some(&after)).await?;
        tx.commit().await?;
        Ok(NewSession { token, session, user })
    }

    /// Ends a session. Ending one that already ended is not an error.
    pub async fn sign_out(&self, actor: &Actor, session_id: Uuid) -> Result<()> {
        let mut tx = self.db().begin().await?;
        let n = tx
            .exec(
                "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
                args![ms(self.now()), session_id, actor.user_id],
            )
            .await?;
        if n > 0 {
            let after = serde_json::json!({ "session_id": session_id });
            self.audit(&mut tx, Some(actor), "user.signed_out", "user", Some(actor.user_id), None::<&()>, Some(&after)).await?;
        }
        tx.commit().await
    }

    /// Resolves a presented credential (session token or Admin API key) to
    /// the actor it stands for. Unknown, expired and revoked credentials are
    /// `None`; so are those of users who no longer exist.
    pub async fn authenticate(&self, credential: &str) -> Result<Option<Authenticated>> {
        if credential.is_empty() || credential.len() > 512 {
            return Ok(None);
        }
        let hash = self.hasher().hash(credential);
        let now = ms(self.now());
        let found = if credential.starts_with(SESSION_TOKEN_PREFIX) {
            let mut tx = self.db().begin().await?;
            let row: Option<SessionRow> = tx
                .opt(
                    "SELECT id, user_id, created_at, expires_at, token_hash FROM sessions \
                     WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
                    args![hash, now],
                )
                .await?;
            row.filter(|r| self.hasher().matches(credential, &r.token_hash) && r.created_at <= r.expires_at)
                .map(|r| (r.user_id, Credential::Session(r.id)))
        } else if crate::secret::checksum_ok(credential) {
            let mut tx = self.db().begin().await?;
            let row: Option<(Uuid, Uuid, Vec<u8>)> = tx
                .opt(
                    "SELECT id, created_by, key_hash FROM admin_api_keys WHERE key_hash = $1 AND (expires_at IS NULL OR expires_at > $2)",
                    args![hash, now],
                )
                .await?;
            match row.filter(|(_, _, h)| self.hasher().matches(credential, h)) {
                Some((id, created_by, _)) => {
                    // At most one write a minute per key, not one per request.
                    tx.exec(
                        "UPDATE admin_api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
                        args![now, id, now - 60_000],
                    )
                    .await?;
                    tx.commit().await?;
                    Some((created_by, Credential::AdminKey(id)))
                }
                None => None,
            }
        } else {
            None
        };
        let Some((user_id, credential)) = found else { return Ok(None) };
        match self.actor(user_id).await {
            Ok(actor) => Ok(Some(Authenticated { actor, credential })),
            Err(e) if e.code == ErrorCode::Unauthorized => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes ended sessions and failures older than the window.
    pub async fn purge_auth_records(&self, policy: &AuthPolicy) -> Result<u64> {
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let a = tx.exec("DELETE FROM sessions WHERE expires_at <= $1 OR revoked_at IS NOT NULL", args![ms(now)]).await?;
        let b = tx.exec("DELETE FROM login_failures WHERE at <= $1", args![ms(now - policy.failure_window)]).await?;
        tx.commit().await?;
        Ok(a + b)
    }

    // ------------------------------------------------------------ Admin API keys

    /// Creates an Admin API key acting for `actor`; the secret is shown once.
    pub async fn create_admin_key(&self, actor: &Actor, name: &str, expiration: Option<NaiveDate>) -> Result<CreatedAdminKey> {
        org_check(actor, Action::ManageAdminKeys)?;
        let name = name.trim();
        check_len("name", name, 1, 255)?;
        let (expiration, _) = policy::clamp_expiration(expiration, None, self.now().date_naive())?;
        let secret = generate_key(&format!("{}adm", self.key_prefix()));
        let id = Uuid::new_v4();
        let mut tx = self.db().begin().await?;
        tx.exec(
            "INSERT INTO admin_api_keys (id, name, hidden_key, key_hash, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args![
                id,
                name,
                hidden_form(secret.expose()),
                self.hasher().hash(secret.expose()),
                actor.user_id,
                ms(self.now()),
                expiration.map(|d| ms(policy::expiry_instant(d)))
            ],
        )
        .await?;
        let row: AdminKeyRow = tx.one(&format!("{ADMIN_KEY_SELECT} WHERE k.id = $1"), args![id]).await?;
        let key = row.into_model();
        self.audit(&mut tx, Some(actor), "admin_api_key.created", "admin_api_key", Some(id), None::<&()>, Some(&key)).await?;
        tx.commit().await?;
        Ok(CreatedAdminKey { key, secret })
    }

    pub async fn list_admin_keys(&self, actor: &Actor) -> Result<Vec<AdminApiKey>> {
        org_check(actor, Action::ManageAdminKeys)?;
        let mut tx = self.db().begin().await?;
        let rows: Vec<AdminKeyRow> = tx.all(&format!("{ADMIN_KEY_SELECT} ORDER BY k.created_at DESC, k.id"), args![]).await?;
        Ok(rows.into_iter().map(AdminKeyRow::into_model).collect())
    }

    pub async fn delete_admin_key(&self, actor: &Actor, id: Uuid) -> Result<()> {
        org_check(actor, Action::ManageAdminKeys)?;
        let mut tx = self.db().begin().await?;
        let row: Option<AdminKeyRow> = tx.opt(&format!("{ADMIN_KEY_SELECT} WHERE k.id = $1"), args![id]).await?;
        let before = row.ok_or_else(|| Error::not_found("Admin API key"))?.into_model();
        tx.exec("DELETE FROM admin_api_keys WHERE id = $1", args![id]).await?;
        self.audit(&mut tx, Some(actor), "admin_api_key.deleted", "admin_api_key", Some(id), Some(&before), None::<&()>).await?;
        tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let h = hash_password_blocking("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "argon2id PHC string");
        assert!(verify_password_blocking("correct horse battery", Some(&h)));
        assert!(!verify_password_blocking("correct horse batterY", Some(&h)));
        assert!(!verify_password_blocking("anything", None));
        assert!(!verify_password_blocking("anything", Some("not a phc string")));
    }

    #[test]
    fn generated_secrets_have_their_shape_and_differ() {
        let p = generate_password();
        assert_eq!(p.expose().chars().count(), GENERATED_PASSWORD_LEN);
        assert_ne!(p.expose(), generate_password().expose());
        let t = generate_session_token();
        assert!(t.expose().starts_with(SESSION_TOKEN_PREFIX));
        assert_eq!(format!("{t:?}"), "<redacted>");
    }
}
