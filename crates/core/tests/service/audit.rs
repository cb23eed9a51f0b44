//! The audit log: what it records, that it cannot be altered, and querying a long one.

use chrono::Duration;
use keydesk_core::model::*;
use keydesk_core::ErrorCode;
use uuid::Uuid;

use crate::common::{envs, Env};
use crate::support::{add_user, new_key, workspace};

#[tokio::test]
async fn audit_log_records_changes_with_actor_and_values_and_cannot_be_altered() {
    for env in envs().await {
        let ws = workspace(&env, "Audited").await;
        env.svc.update_workspace(&env.admin, ws.id, WorkspacePatch { name: Some("Audited 2".into()), ..Default::default() }).await.unwrap();
        let events = env.svc.list_audit(&env.admin, AuditFilter { target_id: Some(ws.id), ..Default::default() }).await.unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, vec!["workspace.updated", "workspace.created"], "{}", env.label);
        let upd = &events[0];
        assert_eq!(upd.actor_email.as_deref(), Some("ada@example.com"));
        assert_eq!(upd.before.as_ref().unwrap()["name"], "Audited");
        assert_eq!(upd.after.as_ref().unwrap()["name"], "Audited 2");
        // Key events never carry a secret.
        let k = env.svc.create_key(&env.admin, new_key(ws.id, "k")).await.unwrap();
        let all = serde_json::to_string(&env.svc.list_audit(&env.admin, AuditFilter::default()).await.unwrap()).unwrap();
        assert!(!all.contains(k.secret.expose().as_str()));
        let dev = add_user(&env, "dev@example.com", OrgRole::Member).await;
        assert_eq!(env.svc.list_audit(&dev, AuditFilter::default()).await.unwrap_err().code, ErrorCode::Forbidden);
    }
}

/// Runs one statement straight on the store's pool, bypassing the Service.
async fn raw_sql(env: &Env, sql: &str) -> Result<u64, sqlx::Error> {
    match env.svc.db() {
        keydesk_core::store::Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
        keydesk_core::store::Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
    }
}

#[tokio::test]
async fn audit_log_refuses_updates_and_deletes_in_the_database_itself() {
    for env in envs().await {
        workspace(&env, "History").await;
        let before = env.svc.list_audit(&env.admin, AuditFilter::default()).await.unwrap();
        assert!(before.len() >= 3, "{}: bootstrap and workspace creation are logged", env.label);
        for sql in [
            "UPDATE audit_log SET action = 'x'",
            "UPDATE audit_log SET actor_email = NULL WHERE action = 'workspace.created'",
            "DELETE FROM audit_log",
            "DELETE FROM audit_log WHERE action = 'workspace.created'",
        ] {
            assert!(raw_sql(&env, sql).await.is_err(), "{}: `{sql}` altered the audit log", env.label);
        }
        let after = env.svc.list_audit(&env.admin, AuditFilter::default()).await.unwrap();
        assert_eq!(after, before, "{}: the audit log changed", env.label);
    }
}

/// Appends `n` audit events by SQL (an organization with a long history).
async fn append_audit_events(env: &Env, n: usize, action: &str) {
    let at = env.clock.now().timestamp_millis();
    for start in (0..n).step_by(500) {
        let rows = (start..n.min(start + 500)).collect::<Vec<_>>();
        let mut sql = String::from("INSERT INTO audit_log (id, at, actor_id, actor_email, action, target_type) VALUES ");
        let mut args = vec![];
        for (i, _) in rows.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            let b = i * 5;
            sql.push_str(&format!("(${}, ${}, ${}, ${}, ${}, 'workspace')", b + 1, b + 2, b + 3, b + 4, b + 5));
            args.extend(keydesk_core::args![Uuid::new_v4(), at, env.admin.user_id, env.admin.email.clone(), action.to_owned()]);
        }
        let mut tx = env.svc.db().begin().await.unwrap();
        tx.exec(&sql, args).await.unwrap();
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn the_audit_log_is_filtered_ordered_and_paged_by_the_database_however_long_it_is() {
    for env in envs().await {
        let first = env.svc.query_audit(&env.admin, AuditQuery { oldest_first: true, limit: Some(1), ..Default::default() }).await.unwrap();
        append_audit_events(&env, 12_000, "workspace.updated").await;
        // The system's own entry: a purged rotated key.
        let ws = env.svc.list_workspaces(&env.admin).await.unwrap()[0].id;
        let k = env.svc.create_key(&env.admin, new_key(ws, "rotated")).await.unwrap();
        env.svc.rotate_key(&env.admin, k.key.key_id, Some(60)).await.unwrap();
        env.clock.advance(Duration::seconds(61));
        assert_eq!(env.svc.purge_rotated_keys().await.unwrap(), 1);

        // Oldest first reaches the very first event past 12,000 newer ones.
        let oldest =
            env.svc.query_audit(&env.admin, AuditQuery { oldest_first: true, limit: Some(1), ..Default::default() }).await.unwrap();
        assert_eq!(oldest[0].id, first[0].id, "{}", env.label);
        // Several actions at once, newest first.
        let q = AuditQuery { actions: vec!["api_key.created".into(), "api_key.rotated".into()], ..Default::default() };
        let keys: Vec<String> = env.svc.query_audit(&env.admin, q).await.unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(keys, ["api_key.rotated", "api_key.created"], "{}", env.label);
        // What the system did, by target type.
        let q = AuditQuery { by_person: Some(false), target_types: vec!["api_key".into()], ..Default::default() };
        let system = env.svc.query_audit(&env.admin, q).await.unwrap();
        assert_eq!(system.len(), 1, "{}", env.label);
        assert_eq!((system[0].action.as_str(), system[0].actor_id), ("api_key.deleted", None));
        // Paging walks the whole log, oldest first, without gaps.
        let page = |offset| AuditQuery { oldest_first: true, limit: Some(1000), offset: Some(offset), ..Default::default() };
        let mut seen = 0;
        let mut last_seq_event = None;
        for offset in (0..20_000).step_by(1000) {
            let events = env.svc.query_audit(&env.admin, page(offset)).await.unwrap();
            seen += events.len();
            if let Some(e) = events.last() {
                last_seq_event = Some(e.action.clone());
            }
        }
        assert!(seen > 12_000, "{seen}");
        assert_eq!(last_seq_event.as_deref(), Some("api_key.deleted"), "the newest event closes the walk, {}", env.label);
    }
}
