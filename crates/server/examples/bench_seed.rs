//! Prepares a database for the gateway benchmark (bench/gateway/run.sh):
//! `init`s the organization on a SQLite file, adds `--keys` keys with
//! random secrets nobody knows (straight into the table, in batches), then
//! creates `--real` keys through the Service and prints their secrets, one
//! per line, for the load tool. Never use it on a real deployment.

use std::path::PathBuf;

use clap::Parser;
use keydesk_core::model::NewKey;
use keydesk_core::store::Arg;
use keydesk_core::{KeyHasher, Service};
use uuid::Uuid;

#[derive(Parser)]
struct Cli {
    /// The SQLite file to create.
    #[arg(long)]
    database: PathBuf,
    /// Keys nobody will use, to make the store the size of a large
    /// organization's.
    #[arg(long, default_value_t = 10_000)]
    keys: usize,
    /// Keys whose secrets are printed.
    #[arg(long, default_value_t = 1)]
    real: usize,
}

const KEY_COLS: &str = "api_keys (id, workspace_id, owner_id, name, name_folded, hidden_key, last4_folded, key_hash, product, \
    connector_scope, created_at)";

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let pepper_path = keydesk_server::setup::default_pepper_path(&cli.database.display().to_string()).unwrap();
    let pepper = keydesk_server::setup::load_pepper(&pepper_path, true).unwrap();
    let url = keydesk_server::setup::database_url(&cli.database.display().to_string());
    let svc = Service::connect(&url, &pepper, "kd").await.unwrap();
    let (_, admin) = svc.bootstrap("Bench", "admin@example.com", "Admin").await.unwrap();
    let admin = svc.actor(admin.id).await.unwrap();
    let workspace = svc.list_workspaces(&admin).await.unwrap()[0].id;

    let hasher = KeyHasher::new(&pepper);
    let now = chrono::Utc::now().timestamp_millis();
    let mut done = 0;
    while done < cli.keys {
        let n = (cli.keys - done).min(500);
        let mut sql = format!("INSERT INTO {KEY_COLS} VALUES ");
        let mut args: Vec<Arg> = Vec::with_capacity(n * 11);
        for r in 0..n {
            let i = done + r;
            if r > 0 {
                sql.push(',');
            }
            let b = r * 11;
            sql.push_str(&format!(
                "(${},${},${},${},${},${},${},${},${},${},${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 9,
                b + 10,
                b + 11
            ));
            let name = format!("seeded {i}");
            let last4 = format!("{:04x}", i % 65_536);
            args.extend(keydesk_core::args![
                Uuid::new_v4(),
                workspace,
                admin.user_id,
                Some(name.clone()),
                name,
                format!("kd_x...{last4}"),
                last4,
                hasher.hash(&format!("seed-{i}-{}", Uuid::new_v4().simple())),
                "API",
                "shared",
                now
            ]);
        }
        let mut tx = svc.db().begin().await.unwrap();
        tx.exec(&sql, args).await.unwrap();
        tx.commit().await.unwrap();
        done += n;
    }
    for i in 0..cli.real {
        let key = svc
            .create_key(&admin, NewKey { workspace_id: workspace, name: Some(format!("bench {i}")), ..Default::default() })
            .await
            .unwrap();
        println!("{}", key.secret.expose());
    }
    svc.db().close().await;
}
