//! Sign-in state over real databases: passwords, sessions, Admin API keys and
//! the brute-force limits. Every scenario runs on SQLite and PostgreSQL.

mod common;

use chrono::Duration;
use keydesk_core::auth::{AuthPolicy, Credential};
use keydesk_core::model::OrgRole;
use keydesk_core::{Actor, ErrorCode, NewUser, Sensitive};

use common::{envs, Env};

fn s(v: &str) -> Sensitive<String> {
    Sensitive::new(v.to_owned())
}

async fn user_with_password(env: &Env, email: &str, role: OrgRole) -> (Actor, String) {
    let u = env.svc.create_user(&env.admin, NewUser { email: email.into(), name: "U".into(), org_role: role }).await.unwrap();
    let pw = env.svc.issue_password(&env.admin, u.id).await.unwrap();
    (env.svc.actor(u.id).await.unwrap(), pw.expose().clone())
}

#[tokio::test]
async fn sign_in_opens_a_session_that_authenticates_until_it_expires() {
    for env in envs().await {
        let policy = AuthPolicy::default();
        let (bob, pw) = user_with_password(&env, "bob@example.com", OrgRole::Member).await;
        let opened = env.svc.sign_in(&policy, "  BOB@example.com ", s(&pw), Some("10.0.0.1")).await.unwrap();
        assert_eq!(opened.user.id, bob.user_id, "{}", env.label);
        assert_eq!(opened.session.expires_at - opened.session.created_at, policy.session_ttl);
        let auth = env.svc.authenticate(opened.token.expose()).await.unwrap().expect("session authenticates");
        assert_eq!(auth.actor, bob);
        assert_eq!(auth.credential, Credential::Session(opened.session.id));
        env.clock.advance(policy.session_ttl + Duration::seconds(1));
        assert!(env.svc.authenticate(opened.token.expose()).await.unwrap().is_none(), "expired session refused ({})", env.label);
    }
}

#[tokio::test]
async fn sign_out_revokes_the_session_only() {
    for env in envs().await {
        let policy = AuthPolicy::default();
        let (bob, pw) = user_with_password(&env, "bob@example.com", OrgRole::Member).await;
        let one = env.svc.sign_in(&policy, "bob@example.com", s(&pw), None).await.unwrap();
        let two = env.svc.sign_in(&policy, "bob@example.com", s(&pw), None).await.unwrap();
        env.svc.sign_out(&bob, one.session.id).await.unwrap();
        env.svc.sign_out(&bob, one.session.id).await.unwrap();
        assert!(env.svc.authenticate(one.token.expose()).await.unwrap().is_none(), "{}", env.label);
        assert!(env.svc.authenticate(two.token.expose()).await.unwrap().is_some(), "{}", env.label);
    }
}

#[tokio::test]
async fn wrong_password_unknown_email_and_lockout_give_the_same_answer() {
    for env in envs().await {
        let policy = AuthPolicy { max_failures_per_account: 3, max_failures_per_ip: 100, ..AuthPolicy::default() };
        let (_, pw) = user_with_password(&env, "bob@example.com", OrgRole::Member).await;
        let wrong = env.svc.sign_in(&policy, "bob@example.com", s("not the password"), None).await.unwrap_err();
        let unknown = env.svc.sign_in(&policy, "nobody@example.com", s(&pw), None).await.unwrap_err();
        assert_eq!(wrong.code, ErrorCode::Unauthorized, "{}", env.label);
        assert_eq!(wrong, unknown, "no hint which part was wrong");
        for _ in 0..2 {
            env.svc.sign_in(&policy, "bob@example.com", s("still wrong!"), None).await.unwrap_err();
        }
        // Locked out now: even the right password is refused, with the same error.
        let locked = env.svc.sign_in(&policy, "bob@example.com", s(&pw), None).await.unwrap_err();
        assert_eq!(locked, wrong, "{}", env.label);
        // After the window the right password works again.
        env.clock.advance(policy.failure_window + Duration::seconds(1));
        env.svc.sign_in(&policy, "bob@example.com", s(&pw), None).await.expect("unlocked after the window");
    }
}

#[tokio::test]
async fn one_address_is_limited_across_accounts() {
    for env in envs().await {
        let policy = AuthPolicy { max_failures_per_account: 100, max_failures_per_ip: 3, ..AuthPolicy::default() };
        let (_, pw) = user_with_password(&env, "bob@example.com", OrgRole::Member).await;
        for i in 0..3 {
            env.svc.sign_in(&policy, &format!("guess{i}@example.com"), s("password-guess"), Some("192.0.2.7")).await.unwrap_err();
        }
        let err = env.svc.sign_in(&policy, "bob@example.com", s(&pw), Some("192.0.2.7")).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Unauthorized, "{}", env.label);
        env.svc.sign_in(&policy, "bob@example.com", s(&pw), Some("192.0.2.8")).await.expect("another address is not limited");
    }
}

#[tokio::test]
async fn issuing_or_changing_a_password_ends_other_sessions() {
    for env in envs().await {
        let policy = AuthPolicy::default();
        let (bob, pw) = user_with_password(&env, "bob@example.com", OrgRole::Member).await;
        let a = env.svc.sign_in(&policy, "bob@example.com", s(&pw), None).await.unwrap();
        let b = env.svc.sign_in(&policy, "bob@example.com", s(&pw), None).await.unwrap();
        let err = env.svc.change_password(&bob, s("wrong current"), s("a brand new password"), None).await.unwrap_err();
        assert_eq!(err.field.as_deref(), Some("current_password"), "{}", env.label);
        let err = env.svc.change_password(&bob, s(&pw), s("short"), None).await.unwrap_err();
        assert_eq!(err.field.as_deref(), Some("new_password"));
        env.svc.change_password(&bob, s(&pw), s("a brand new password"), Some(a.session.id)).await.unwrap();
        assert!(env.svc.authenticate(a.token.expose()).await.unwrap().is_some(), "the caller's session stays");
        assert!(env.svc.authenticate(b.token.expose()).await.unwrap().is_none(), "other sessions end");
        env.svc.sign_in(&policy, "bob@example.com", s("a brand new password"), None).await.unwrap();
        // A member cannot issue a password for someone else.
        let err = env.svc.issue_password(&bob, env.admin.user_id).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden);
        let fresh = env.svc.issue_password(&env.admin, bob.user_id).await.unwrap();
        assert!(env.svc.authenticate(a.token.expose()).await.unwrap().is_none(), "reset ends every session");
        env.svc.sign_in(&policy, "bob@example.com", fresh, None).await.unwrap();
    }
}

#[tokio::test]
async fn admin_api_keys_act_for_their_creator_and_are_stored_hashed() {
    for env in envs().await {
        let created = env.svc.create_admin_key(&env.admin, "ci", None).await.unwrap();
        let secret = created.secret.expose().clone();
        assert!(secret.starts_with("kdadm_"), "{secret:.6}");
        assert!(keydesk_core::checksum_ok(&secret));
        let auth = env.svc.authenticate(&secret).await.unwrap().expect("admin key authenticates");
        assert_eq!(auth.actor, env.admin);
        assert_eq!(auth.credential, Credential::AdminKey(created.key.id));
        let listed = env.svc.list_admin_keys(&env.admin).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(!format!("{listed:?}").contains(&secret[6..]), "{}", env.label);
        // An inference API key is no admin credential.
        let ws = env.svc.list_workspaces(&env.admin).await.unwrap().remove(0);
        let api = env.svc.create_key(&env.admin, keydesk_core::model::NewKey { workspace_id: ws.id, ..Default::default() }).await.unwrap();
        assert!(env.svc.authenticate(api.secret.expose()).await.unwrap().is_none(), "{}", env.label);
        // Members cannot manage Admin API keys.
        let (bob, _) = user_with_password(&env, "bob@example.com", OrgRole::Member).await;
        assert_eq!(env.svc.create_admin_key(&bob, "x", None).await.unwrap_err().code, ErrorCode::Forbidden);
        assert_eq!(env.svc.list_admin_keys(&bob).await.unwrap_err().code, ErrorCode::Forbidden);
        env.svc.delete_admin_key(&env.admin, created.key.id).await.unwrap();
        assert!(env.svc.authenticate(&secret).await.unwrap().is_none(), "{}", env.label);
        assert_eq!(env.svc.delete_admin_key(&env.admin, created.key.id).await.unwrap_err().code, ErrorCode::NotFound);
    }
}

#[tokio::test]
async fn secrets_never_reach_the_database_file() {
    for env in envs().await {
        let Some(path) = env.sqlite_path.clone() else { continue };
        let (_, pw) = user_with_password(&env, "bob@example.com", OrgRole::Member).await;
        let session = env.svc.sign_in(&AuthPolicy::default(), "bob@example.com", s(&pw), None).await.unwrap();
        let admin_key = env.svc.create_admin_key(&env.admin, "ci", None).await.unwrap();
        env.svc.db().close().await;
        let mut bytes = std::fs::read(&path).unwrap();
        for suffix in ["-wal", "-shm"] {
            if let Ok(more) = std::fs::read(format!("{}{suffix}", path.display())) {
                bytes.extend(more);
            }
        }
        let hay = String::from_utf8_lossy(&bytes);
        for secret in [pw.as_str(), session.token.expose().as_str(), admin_key.secret.expose().as_str()] {
            assert!(!hay.contains(secret), "a secret was written to the database file");
        }
    }
}

#[tokio::test]
async fn removed_users_and_demoted_creators_lose_their_credentials() {
    for env in envs().await {
        let (carol, pw) = user_with_password(&env, "carol@example.com", OrgRole::Admin).await;
        let key = env.svc.create_admin_key(&carol, "carol's", None).await.unwrap();
        let session = env.svc.sign_in(&AuthPolicy::default(), "carol@example.com", s(&pw), None).await.unwrap();
        env.svc.update_user_role(&env.admin, carol.user_id, OrgRole::Member).await.unwrap();
        let auth = env.svc.authenticate(key.secret.expose()).await.unwrap().unwrap();
        assert_eq!(auth.actor.org_role, OrgRole::Member, "the key acts with the creator's current role");
        env.svc.remove_user(&env.admin, carol.user_id).await.unwrap();
        assert!(env.svc.authenticate(key.secret.expose()).await.unwrap().is_none(), "{}", env.label);
        assert!(env.svc.authenticate(session.token.expose()).await.unwrap().is_none(), "{}", env.label);
    }
}

/// Failed sign-ins on record for an account (`scope` "account", the folded
/// email) or an address (`scope` "ip"). Once every attempt has finished,
/// these are the guesses whose password was really checked: an attempt
/// refused by a limit leaves nothing behind, and a wrong guess stays until
/// it leaves the window (or, for an account, until a successful sign-in).
async fn failures_on_record(env: &Env, scope: &str, subject: &str) -> i64 {
    let mut tx = env.svc.db().begin().await.unwrap();
    tx.int("SELECT COUNT(*) FROM login_failures WHERE scope = $1 AND subject = $2", keydesk_core::args![scope, subject]).await.unwrap()
}

/// Fires `passwords` at `email` all at once from `ip`; returns each result.
async fn concurrent_sign_ins(
    env: &Env,
    policy: &AuthPolicy,
    email: &str,
    passwords: Vec<String>,
    ip: &str,
) -> Vec<keydesk_core::Result<()>> {
    let mut set = tokio::task::JoinSet::new();
    for pw in passwords {
        let (svc, policy, email, ip) = (env.svc.clone(), policy.clone(), email.to_owned(), ip.to_owned());
        set.spawn(async move { svc.sign_in(&policy, &email, s(&pw), Some(&ip)).await.map(|_| ()) });
    }
    set.join_all().await
}

// The guarantee under test is "at most the limit checked", whatever the
// interleaving: how many of the 20 get checked (anything from 0 to 5) is up
// to the scheduler, so only the upper bound is asserted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_passwords_for_one_account_get_no_more_checks_than_its_limit() {
    for env in envs().await {
        let policy = AuthPolicy { max_failures_per_account: 5, max_failures_per_ip: 1000, ..AuthPolicy::default() };
        let (_, pw) = user_with_password(&env, "bob@example.com", OrgRole::Member).await;
        let guesses = (0..20).map(|i| format!("wrong guess number {i}")).collect();
        let results = concurrent_sign_ins(&env, &policy, "bob@example.com", guesses, "198.51.100.1").await;
        assert!(results.iter().all(|r| r.as_ref().is_err_and(|e| e.code == ErrorCode::Unauthorized)), "{}", env.label);
        let checked = failures_on_record(&env, "ip", "198.51.100.1").await;
        assert!(checked <= 5, "{}: {checked} of 20 concurrent guesses were checked, the limit is 5", env.label);
        assert_eq!(failures_on_record(&env, "account", "bob@example.com").await, checked, "{}", env.label);
        // The right password now works exactly when the checked guesses left room.
        let right = env.svc.sign_in(&policy, "bob@example.com", s(&pw), Some("198.51.100.2")).await;
        assert_eq!(right.is_ok(), checked < 5, "{}: {checked} failures on record", env.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_passwords_from_one_address_get_no_more_checks_than_its_limit() {
    for env in envs().await {
        let policy = AuthPolicy { max_failures_per_account: 1000, max_failures_per_ip: 4, ..AuthPolicy::default() };
        let mut set = tokio::task::JoinSet::new();
        for i in 0..12 {
            let (svc, policy) = (env.svc.clone(), policy.clone());
            set.spawn(async move {
                svc.sign_in(&policy, &format!("guess{i}@example.com"), s("password-guess"), Some("203.0.113.9")).await.map(|_| ())
            });
        }
        assert!(set.join_all().await.iter().all(|r| r.is_err()), "{}", env.label);
        let checked = failures_on_record(&env, "ip", "203.0.113.9").await;
        assert!(checked <= 4, "{}: {checked} of 12 concurrent guesses were checked, the limit is 4", env.label);
    }
}

#[tokio::test]
async fn attempts_refused_by_the_lock_do_not_make_it_last_longer() {
    for env in envs().await {
        let policy = AuthPolicy { max_failures_per_account: 3, max_failures_per_ip: 100, ..AuthPolicy::default() };
        let (_, pw) = user_with_password(&env, "bob@example.com", OrgRole::Member).await;
        for _ in 0..3 {
            env.svc.sign_in(&policy, "bob@example.com", s("not the password"), None).await.unwrap_err();
        }
        // Well inside the window the owner keeps trying: refused, uncounted.
        env.clock.advance(policy.failure_window - Duration::minutes(1));
        for _ in 0..5 {
            env.svc.sign_in(&policy, "bob@example.com", s(&pw), None).await.unwrap_err();
        }
        // The lock ends a window after the last checked failure.
        env.clock.advance(Duration::minutes(1) + Duration::seconds(1));
        env.svc.sign_in(&policy, "bob@example.com", s(&pw), None).await.expect("the refused attempts were not counted");
    }
}

#[tokio::test]
async fn attempts_refused_at_a_locked_address_do_not_count_against_the_account() {
    for env in envs().await {
        let policy = AuthPolicy { max_failures_per_account: 3, max_failures_per_ip: 3, ..AuthPolicy::default() };
        let (_, pw) = user_with_password(&env, "bob@example.com", OrgRole::Member).await;
        for i in 0..3 {
            env.svc.sign_in(&policy, &format!("guess{i}@example.com"), s("password-guess"), Some("192.0.2.7")).await.unwrap_err();
        }
        // The address is locked; its further guesses at bob are never checked.
        for _ in 0..5 {
            env.svc.sign_in(&policy, "bob@example.com", s("password-guess"), Some("192.0.2.7")).await.unwrap_err();
        }
        env.svc.sign_in(&policy, "bob@example.com", s(&pw), Some("192.0.2.8")).await.expect("bob is not locked");
    }
}
