//! Key operations at the scale of a large organization: 1,000,000 keys in
//! 10,000 workspaces, on SQLite and (when KEYDESK_BENCH_POSTGRES_URL is set)
//! PostgreSQL. Measures creating a key, looking a key up by its secret,
//! filtered pages of 100, a user's memberships and the organization's month
//! spend. Sizes can be lowered with KEYDESK_BENCH_KEYS and
//! KEYDESK_BENCH_WORKSPACES for a quick run.

use std::time::Instant;

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion};
use keydesk_core::model::{KeyFilter, KeySort, KeySortColumn, KeyStatus, NewKey};
use keydesk_core::store::Arg;
use keydesk_core::{Actor, KeyHasher, Service};
use uuid::Uuid;

const PEPPER: &[u8] = b"bench-pepper-0123456789abcdef";
const WORDS: &[&str] = &["backend", "données", "staging", "prod", "ci", "notebook", "équipe", "batch", "search", "mobile"];

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Seeded {
    label: &'static str,
    svc: Service,
    admin: Actor,
    workspace: Uuid,
    /// A user who belongs to one workspace in every 1,000.
    member: Uuid,
    secrets: Vec<String>,
    _dir: Option<tempfile::TempDir>,
}

async fn insert_rows(svc: &Service, table_cols: &str, ncols: usize, rows: Vec<Vec<Arg>>) {
    for chunk in rows.chunks(500) {
        let mut sql = format!("INSERT INTO {table_cols} VALUES ");
        let mut args = Vec::with_capacity(chunk.len() * ncols);
        for (r, row) in chunk.iter().enumerate() {
            if r > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..ncols {
                if c > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("${}", r * ncols + c + 1));
            }
            sql.push(')');
            args.extend(row.iter().cloned());
        }
        let mut tx = svc.db().begin().await.unwrap();
        tx.exec(&sql, args).await.unwrap();
        tx.commit().await.unwrap();
    }
}

async fn seed(label: &'static str, url: String, dir: Option<tempfile::TempDir>) -> Seeded {
    let n_keys = env_usize("KEYDESK_BENCH_KEYS", 1_000_000);
    let n_ws = env_usize("KEYDESK_BENCH_WORKSPACES", 10_000);
    let n_users = 1_000;
    let started = Instant::now();
    let svc = Service::connect(&url, PEPPER, "kd").await.unwrap();
    let (_, admin_user) = svc.bootstrap("Bench", "admin@example.com", "Admin").await.unwrap();
    let admin = svc.actor(admin_user.id).await.unwrap();
    let now = Utc::now().timestamp_millis();

    let users: Vec<Uuid> = (0..n_users).map(|_| Uuid::new_v4()).collect();
    let rows = users
        .iter()
        .enumerate()
        .map(|(i, id)| {
            keydesk_core::args![*id, format!("user{i}@example.com"), format!("user{i}@example.com"), format!("User {i}"), "M", now]
        })
        .collect();
    insert_rows(&svc, "users (id, email, email_folded, name, org_role, created_at)", 6, rows).await;

    let workspaces: Vec<Uuid> = (0..n_ws).map(|_| Uuid::new_v4()).collect();
    let rows = workspaces
        .iter()
        .enumerate()
        .map(|(i, id)| keydesk_core::args![*id, format!("Workspace {i}"), format!("workspace {i}"), "", "", false, "{}", now])
        .collect();
    insert_rows(&svc, "workspaces (id, name, name_folded, description, icon, is_default, tokens_per_minute, created_at)", 8, rows).await;
    let rows = workspaces.iter().enumerate().map(|(i, ws)| keydesk_core::args![*ws, users[i % n_users], "A", now]).collect();
    insert_rows(&svc, "workspace_members (workspace_id, user_id, role, added_at)", 4, rows).await;

    let hasher = KeyHasher::new(PEPPER);
    let day = 86_400_000i64;
    let mut batch = Vec::with_capacity(50_000);
    for i in 0..n_keys {
        let fake_secret = format!("seed-{i}-{}", Uuid::new_v4().simple());
        let name = format!("{} {} {i}", WORDS[i % WORDS.len()], WORDS[(i / 7) % WORDS.len()]);
        let expires_at: Option<i64> = match i % 10 {
            0 => Some(now - (1 + (i as i64 % 300)) * day),
            1..=3 => Some(now + (1 + (i as i64 % 300)) * day),
            _ => None,
        };
        let last4 = format!("{:04x}", i % 65_536);
        batch.push(keydesk_core::args![
            Uuid::new_v4(),
            workspaces[i % n_ws],
            users[i % n_users],
            Some(name.clone()),
            keydesk_core::text::fold_for_search(&name),
            format!("kd_x...{last4}"),
            last4,
            hasher.hash(&fake_secret),
            if i % 5 == 0 { "Vibe" } else { "API" },
            "shared",
            now - (n_keys - i) as i64 * 1_000,
            expires_at,
            if i % 3 == 0 { Some(now - (i as i64 % 90) * day) } else { None }
        ]);
        if batch.len() == 50_000 {
            insert_rows(&svc, KEY_COLS, 13, std::mem::take(&mut batch)).await;
        }
    }
    insert_rows(&svc, KEY_COLS, 13, batch).await;
    if let keydesk_core::store::Db::Postgres(pool) = svc.db() {
        sqlx::query("ANALYZE").execute(pool).await.unwrap();
    } else if let keydesk_core::store::Db::Sqlite(pool) = svc.db() {
        sqlx::query("ANALYZE").execute(pool).await.unwrap();
    }
    // Real keys, created through the Service, for the lookup benchmark.
    let workspace = workspaces[n_ws / 2];
    let mut secrets = vec![];
    for i in 0..200 {
        let k = svc
            .create_key(&admin, NewKey { workspace_id: workspaces[i * 37 % n_ws], name: Some(format!("real {i}")), ..Default::default() })
            .await
            .unwrap();
        secrets.push(k.secret.expose().clone());
    }
    eprintln!("[{label}] seeded {n_keys} keys in {n_ws} workspaces in {:.1?}", started.elapsed());
    Seeded { label, svc, admin, workspace, member: users[0], secrets, _dir: dir }
}

const KEY_COLS: &str = "api_keys (id, workspace_id, owner_id, name, name_folded, hidden_key, last4_folded, key_hash, product, \
    connector_scope, created_at, expires_at, last_used_at)";

async fn fresh_postgres(base: &str) -> String {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(base).await.unwrap();
    let name = format!("kd_bench_{}", Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    format!("{}/{name}", base.rsplit_once('/').unwrap().0)
}

fn bench_keys(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut stores = vec![];
    // KEYDESK_BENCH_SQLITE_DIR keeps the seeded file for inspection.
    let dir = match std::env::var("KEYDESK_BENCH_SQLITE_DIR") {
        Ok(d) => tempfile::tempdir_in(d).unwrap(),
        Err(_) => tempfile::tempdir().unwrap(),
    };
    let sqlite_url = format!("sqlite://{}", dir.path().join("bench.db").display());
    if std::env::var("KEYDESK_BENCH_SQLITE_DIR").is_ok() {
        eprintln!("sqlite bench file: {}", dir.path().join("bench.db").display());
    }
    stores.push(rt.block_on(seed("sqlite", sqlite_url, Some(dir))));
    if let Ok(base) = std::env::var("KEYDESK_BENCH_POSTGRES_URL") {
        let url = rt.block_on(fresh_postgres(&base));
        stores.push(rt.block_on(seed("postgres", url, None)));
    }
    for s in &stores {
        let mut g = c.benchmark_group(s.label);
        g.sample_size(30).measurement_time(std::time::Duration::from_secs(5));
        let ws = s.workspace;
        g.bench_function("create_key", |b| {
            b.to_async(&rt).iter(|| async {
                s.svc.create_key(&s.admin, NewKey { workspace_id: ws, name: Some("bench".into()), ..Default::default() }).await.unwrap()
            })
        });
        let mut i = 0usize;
        g.bench_function("authenticate_key_by_secret", |b| {
            b.to_async(&rt).iter(|| {
                i = (i + 1) % s.secrets.len();
                let secret = s.secrets[i].clone();
                async move { assert!(s.svc.authenticate_key(&secret).await.unwrap().is_some()) }
            })
        });
        // Reads that once took one query per workspace.
        g.bench_function("user_memberships", |b| {
            b.to_async(&rt).iter(|| async { s.svc.user_memberships(&s.admin, s.member).await.unwrap() })
        });
        g.bench_function("organization_month_spend", |b| {
            b.to_async(&rt).iter(|| async { s.svc.organization_spend(&s.admin, Utc::now()).await.unwrap() })
        });
        let pages: Vec<(&str, KeyFilter)> = vec![
            ("page_unfiltered", KeyFilter::default()),
            ("page_by_workspace", KeyFilter { workspace_id: Some(ws), ..Default::default() }),
            ("page_by_name_search", KeyFilter { search: Some("Équipe données 4242".into()), ..Default::default() }),
            ("page_by_common_word", KeyFilter { search: Some("STAGING".into()), ..Default::default() }),
            ("page_by_last4", KeyFilter { search: Some("0a1f".into()), ..Default::default() }),
            ("page_by_status_expired", KeyFilter { status: Some(KeyStatus::Expired), ..Default::default() }),
            ("page_by_status_active", KeyFilter { status: Some(KeyStatus::Active), ..Default::default() }),
            (
                "page_sorted_by_name",
                KeyFilter { sort: Some(KeySort { column: KeySortColumn::Name, descending: false }), ..Default::default() },
            ),
            (
                "page_sorted_by_expiry_in_workspace",
                KeyFilter {
                    workspace_id: Some(ws),
                    sort: Some(KeySort { column: KeySortColumn::Expires, descending: false }),
                    ..Default::default()
                },
            ),
        ];
        for (name, filter) in pages {
            g.bench_function(name, |b| {
                b.to_async(&rt).iter(|| {
                    let f = KeyFilter { limit: Some(100), ..filter.clone() };
                    async move { s.svc.list_keys(&s.admin, f).await.unwrap() }
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench_keys);
criterion_main!(benches);
