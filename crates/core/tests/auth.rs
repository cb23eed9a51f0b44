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
