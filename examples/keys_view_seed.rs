//! Benchmark helper (not a test): fills a local store with many API keys
//! through `LocalBackend`, exactly as the app would create them, then times
//! the backend calls behind the keys view — the first page (200 rows plus the
//! capped count) and one name search per keystroke of a typed query.
//!
//!   cargo run --example keys_view_seed --features tauri/custom-protocol -- <data-dir> [keys]
//!
//! tests/bench/keys-view.sh runs it, then measures the real app on the store.
//! Secrets of the created keys are dropped unread.

use std::path::PathBuf;
use std::time::Instant;

use keydesk_core::model::{KeyFilter, KeyProduct, NewKey, NewWorkspace};
use keydesk_desktop::backend::{Backend, BootstrapInput};
use keydesk_desktop::local::LocalBackend;

const WORDS: &[&str] = &[
    "pipeline",
    "staging",
    "batch",
    "support",
    "analytics",
    "search",
    "chatbot",
    "billing",
    "mobile",
    "backend",
    "ingest",
    "review",
    "Équipe",
    "données",
    "nightly",
    "partner",
];

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .expect("usage: keys_view_seed <data-dir> [keys]"),
    );
    let count: usize = args
        .next()
        .map(|n| n.parse().expect("a number of keys"))
        .unwrap_or(100_000);
    let backend = LocalBackend::open(&dir).await.expect("open the store");

    if backend.state().await.unwrap().organization.is_none() {
        backend
            .bootstrap(BootstrapInput {
                org_name: "Bench Org".into(),
                admin_email: "ada@example.com".into(),
                admin_name: "Ada".into(),
            })
            .await
            .unwrap();
    }
    // Counts are exact only up to 10,000 ("10,000+" beyond): a store past the
    // cap counts as seeded, so a rerun measures instead of seeding again.
    let page = backend.list_keys(KeyFilter::default()).await.unwrap();
    let existing = if page.total_exact {
        page.total as usize
    } else {
        count
    };
    if existing < count {
        let mut workspaces = Vec::new();
        let known = backend.list_workspaces().await.unwrap();
        for i in 0..100 {
            let name = format!("Team {i:03}");
            let id = match known.iter().find(|w| w.name == name) {
                Some(ws) => ws.id,
                None => {
                    backend
                        .create_workspace(NewWorkspace {
                            name,
                            ..Default::default()
                        })
                        .await
                        .unwrap()
                        .id
                }
            };
            workspaces.push(id);
        }
        let started = Instant::now();
        for i in existing..count {
            let name = format!(
                "{} {} {i}",
                WORDS[i % WORDS.len()],
                WORDS[(i / 7) % WORDS.len()]
            );
            let product = if i % 5 == 0 {
                KeyProduct::Vibe
            } else {
                KeyProduct::Api
            };
            backend
                .create_key(NewKey {
                    workspace_id: workspaces[i % workspaces.len()],
                    name: Some(name),
                    product: Some(product),
                    ..Default::default()
                })
                .await
                .unwrap();
            if (i + 1) % 10_000 == 0 {
                eprintln!(
                    "seeded {} keys ({:.0} s)",
                    i + 1,
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }

    // Backend side of the keys view: first page, then each keystroke of a search.
    let mut first = Vec::new();
    for _ in 0..15 {
        let t = Instant::now();
        let page = backend
            .list_keys(KeyFilter {
                limit: Some(200),
                ..Default::default()
            })
            .await
            .unwrap();
        first.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(page.keys.len(), 200);
    }
    println!(
        "backend first page (200 rows + count): median {:.1} ms",
        median(first)
    );
    for query in ["analytics", "Équipe données", "1234"] {
        let mut per_key = Vec::new();
        for end in 1..=query.chars().count() {
            let typed: String = query.chars().take(end).collect();
            let t = Instant::now();
            backend
                .list_keys(KeyFilter {
                    search: Some(typed),
                    limit: Some(200),
                    ..Default::default()
                })
                .await
                .unwrap();
            per_key.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let worst = per_key.iter().cloned().fold(0.0, f64::max);
        println!(
            "backend search per keystroke, typing {query:?}: median {:.1} ms, worst {:.1} ms",
            median(per_key),
            worst
        );
    }
}
