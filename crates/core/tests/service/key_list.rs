//! The key list: search, filters, sorting and paging.

use chrono::Duration;
use keydesk_core::model::*;

use crate::common::envs;
use crate::support::{new_key, workspace};

#[tokio::test]
async fn key_search_matches_name_ignoring_case_and_accents_and_the_last_four() {
    for env in envs().await {
        let ws = workspace(&env, "Search").await;
        env.svc.create_key(&env.admin, new_key(ws.id, "Données Prod")).await.unwrap();
        env.svc.create_key(&env.admin, new_key(ws.id, "staging")).await.unwrap();
        let k3 = env.svc.create_key(&env.admin, new_key(ws.id, "100% legit")).await.unwrap();
        let search = |s: &str| KeyFilter { search: Some(s.into()), ..Default::default() };
        let by_name = env.svc.list_keys(&env.admin, search("DONNEES")).await.unwrap();
        assert_eq!(by_name.total, 1, "{}", env.label);
        assert_eq!(by_name.keys[0].name.as_deref(), Some("Données Prod"));
        let pct = env.svc.list_keys(&env.admin, search("0%")).await.unwrap();
        assert_eq!(pct.total, 1, "{}: % is matched literally", env.label);
        let secret = k3.secret.expose();
        let last4 = secret[secret.len() - 4..].to_uppercase();
        let by_last4 = env.svc.list_keys(&env.admin, search(&last4)).await.unwrap();
        assert!(by_last4.keys.iter().any(|k| k.key_id == k3.key.key_id), "{}", env.label);
        assert_eq!(env.svc.list_keys(&env.admin, search("nothing-like-this")).await.unwrap().total, 0);
        // Two-letter terms and quotes are matched literally too.
        assert_eq!(env.svc.list_keys(&env.admin, search("gi")).await.unwrap().total, 2, "{}", env.label);
        assert_eq!(env.svc.list_keys(&env.admin, search("\"prod")).await.unwrap().total, 0);
    }
}

#[tokio::test]
async fn key_search_follows_renames_and_deletions() {
    for env in envs().await {
        let ws = workspace(&env, "Renames").await;
        let k = env.svc.create_key(&env.admin, new_key(ws.id, "alpha service")).await.unwrap();
        env.svc.rename_key(&env.admin, k.key.key_id, Some("Bêta service".into())).await.unwrap();
        let search = |s: &str| KeyFilter { search: Some(s.into()), ..Default::default() };
        assert_eq!(env.svc.list_keys(&env.admin, search("alpha")).await.unwrap().total, 0, "{}", env.label);
        assert_eq!(env.svc.list_keys(&env.admin, search("beta serv")).await.unwrap().total, 1, "{}", env.label);
        env.svc.delete_workspace(&env.admin, ws.id, true).await.unwrap();
        assert_eq!(env.svc.list_keys(&env.admin, search("beta")).await.unwrap().total, 0, "{}", env.label);
        let ws2 = workspace(&env, "Again").await;
        env.svc.create_key(&env.admin, new_key(ws2.id, "beta again")).await.unwrap();
        assert_eq!(env.svc.list_keys(&env.admin, search("beta")).await.unwrap().total, 1, "{}", env.label);
    }
}

#[tokio::test]
async fn unused_for_days_filter_finds_keys_not_used_recently() {
    for env in envs().await {
        let ws = workspace(&env, "Idle").await;
        let idle = env.svc.create_key(&env.admin, new_key(ws.id, "idle")).await.unwrap();
        let busy = env.svc.create_key(&env.admin, new_key(ws.id, "busy")).await.unwrap();
        env.clock.advance(Duration::days(40));
        env.svc
            .record_usage(&UsageRecord {
                key_id: busy.key.key_id,
                workspace_id: ws.id,
                model: "mistral-small".into(),
                input_tokens: 10,
                output_tokens: 5,
                cost_micros: 100,
                at: env.clock.now(),
            })
            .await
            .unwrap();
        let unused = env.svc.list_keys(&env.admin, KeyFilter { unused_for_days: Some(30), ..Default::default() }).await.unwrap();
        assert_eq!(unused.keys.iter().map(|k| k.key_id).collect::<Vec<_>>(), vec![idle.key.key_id], "{}", env.label);
        let busy_now = env.svc.get_key(&env.admin, busy.key.key_id).await.unwrap();
        assert_eq!(busy_now.last_used_at, Some(env.clock.now()));
        // Bulk delete of the selection.
        assert_eq!(env.svc.delete_keys(&env.admin, &[idle.key.key_id]).await.unwrap(), 1);
    }
}

#[tokio::test]
async fn paging_rejects_bad_bounds_naming_the_field() {
    for env in envs().await {
        let err = env.svc.list_keys(&env.admin, KeyFilter { limit: Some(0), ..Default::default() }).await.unwrap_err();
        assert_eq!(err.field.as_deref(), Some("limit"), "{}", env.label);
        let err = env.svc.list_keys(&env.admin, KeyFilter { offset: Some(-1), ..Default::default() }).await.unwrap_err();
        assert_eq!(err.field.as_deref(), Some("offset"));
    }
}

#[tokio::test]
async fn keys_sort_by_any_column_across_pages_with_newest_first_between_equals() {
    for env in envs().await {
        let ws = workspace(&env, "Sorted").await;
        let today = env.clock.now().date_naive();
        let names = ["delta", "Alpha", "charlie", "Bravo", "echo"];
        for (i, name) in names.iter().enumerate() {
            let expiration = (i % 2 == 0).then(|| today + Duration::days(10 - i as i64));
            env.svc.create_key(&env.admin, NewKey { expiration, ..new_key(ws.id, name) }).await.unwrap();
            env.clock.advance(Duration::seconds(1));
        }
        let sorted = |column, descending, limit, offset| KeyFilter {
            workspace_id: Some(ws.id),
            sort: Some(KeySort { column, descending }),
            limit: Some(limit),
            offset: Some(offset),
            ..Default::default()
        };
        let names_of = |p: KeyPage| p.keys.into_iter().map(|k| k.name.unwrap()).collect::<Vec<_>>();
        // Two pages of two and one: the order holds across pages.
        let mut all = vec![];
        for offset in [0, 2, 4] {
            all.extend(names_of(env.svc.list_keys(&env.admin, sorted(KeySortColumn::Name, false, 2, offset)).await.unwrap()));
        }
        assert_eq!(all, vec!["Alpha", "Bravo", "charlie", "delta", "echo"], "{}", env.label);
        let desc = names_of(env.svc.list_keys(&env.admin, sorted(KeySortColumn::Name, true, 10, 0)).await.unwrap());
        assert_eq!(desc, vec!["echo", "delta", "charlie", "Bravo", "Alpha"], "{}", env.label);
        // Expiry: soonest first, never-expiring last (newest first among them).
        let exp = names_of(env.svc.list_keys(&env.admin, sorted(KeySortColumn::Expires, false, 10, 0)).await.unwrap());
        assert_eq!(exp, vec!["echo", "charlie", "delta", "Bravo", "Alpha"], "{}", env.label);
        // Status: expired keys after the others.
        env.clock.advance(Duration::days(8));
        let status = names_of(env.svc.list_keys(&env.admin, sorted(KeySortColumn::Status, false, 10, 0)).await.unwrap());
        assert_eq!(status.last().map(String::as_str), Some("echo"), "{}: {status:?}", env.label);
        // Workspace and owner sort by name and email.
        let other = workspace(&env, "Another").await;
        env.svc.create_key(&env.admin, new_key(other.id, "zulu")).await.unwrap();
        let by_ws = env
            .svc
            .list_keys(
                &env.admin,
                KeyFilter { sort: Some(KeySort { column: KeySortColumn::Workspace, descending: false }), ..Default::default() },
            )
            .await
            .unwrap();
        assert_eq!(by_ws.keys[0].workspace_name, "Another", "{}", env.label);
    }
}
