//! The `keydesk-server` binary: reads its arguments and environment, then
//! serves, initializes or migrates. Everything else is in the library.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use keydesk_core::{Sensitive, Service};
use keydesk_server::gateway::config::Config as GatewayConfig;
use keydesk_server::gateway::limits::RateLimits;
use keydesk_server::gateway::Gateway;
use keydesk_server::{app, setup, spawn_housekeeping, ServerState};

#[derive(Parser)]
#[command(name = "keydesk-server", version, about = "Keydesk's server: the Admin API and the API gateway over SQLite or PostgreSQL")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        secrets: SecretArgs,
        /// Address to listen on.
        #[arg(long, env = "KEYDESK_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Session lifetime, in minutes.
        #[arg(long, env = "KEYDESK_SESSION_TTL_MINUTES", default_value_t = 720)]
        session_ttl_minutes: i64,
        /// Log format: `text` or `json`.
        #[arg(long, env = "KEYDESK_LOG_FORMAT", default_value = "text")]
        log_format: String,
        /// The gateway's configuration file (TOML: upstream, model
        /// catalogue and prices, limits). Without one, `/v1/models` serves
        /// the built-in catalogue and nothing is forwarded.
        #[arg(long, env = "KEYDESK_GATEWAY_CONFIG")]
        gateway_config: Option<PathBuf>,
        /// Keep rate-limit counters in this Redis (`redis://host:port`), so
        /// that several replicas enforce each limit together. Without it,
        /// they are kept in this process's memory.
        #[arg(long, env = "KEYDESK_REDIS_URL")]
        redis_url: Option<String>,
    },
    /// Create the organization, its first admin and an Admin API key; print
    /// the admin's one-time password and the key, once.
    Init {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        secrets: SecretArgs,
        #[arg(long)]
        admin_email: String,
        #[arg(long, default_value = "")]
        admin_name: String,
        #[arg(long, default_value = "Keydesk")]
        org_name: String,
        /// Print exactly one JSON object:
        /// {"organization_id","admin_user_id","admin_password","admin_api_key"}.
        #[arg(long)]
        json: bool,
    },
    /// Bring the database schema up to date, then exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Args)]
struct DbArgs {
    /// A SQLite file path (the default kind), or a postgres:// URL.
    #[arg(long, env = "KEYDESK_DATABASE", default_value = "keydesk.db")]
    database: String,
}

#[derive(Args)]
struct SecretArgs {
    /// File holding the pepper (base64) that keys the hashes of secrets.
    /// Default: beside a SQLite database, `<database>.pepper`.
    #[arg(long, env = "KEYDESK_PEPPER_FILE")]
    pepper_file: Option<PathBuf>,
    /// Prefix of new API keys.
    #[arg(long, env = "KEYDESK_KEY_PREFIX", default_value = "kd")]
    key_prefix: String,
}

fn pepper(db: &DbArgs, secrets: &SecretArgs, create: bool) -> keydesk_core::Result<Vec<u8>> {
    if let Ok(value) = std::env::var("KEYDESK_PEPPER") {
        return setup::pepper_from_env(&value);
    }
    let path = secrets
        .pepper_file
        .clone()
        .or_else(|| setup::default_pepper_path(&db.database))
        .ok_or_else(|| keydesk_core::Error::validation("pepper_file", "with PostgreSQL, pass --pepper-file or set KEYDESK_PEPPER"))?;
    setup::load_pepper(&path, create)
}

fn init_logs(format: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

async fn run(cli: Cli) -> keydesk_core::Result<()> {
    match cli.command {
        Command::Serve { db, secrets, listen, session_ttl_minutes, log_format, gateway_config, redis_url } => {
            init_logs(&log_format);
            if !(1..=60 * 24 * 90).contains(&session_ttl_minutes) {
                return Err(keydesk_core::Error::validation("session_ttl_minutes", "session_ttl_minutes must be 1 to 129600"));
            }
            let pepper = pepper(&db, &secrets, false)?;
            let svc = Service::connect(&setup::database_url(&db.database), &pepper, &secrets.key_prefix).await?;
            let config = match &gateway_config {
                Some(path) => GatewayConfig::load(path)?,
                None => GatewayConfig::default(),
            };
            if config.upstream.as_ref().is_some_and(|u| u.api_key.is_none()) {
                tracing::warn!("the gateway's upstream has no API key in its environment variable; requests go out without one");
            }
            let limits = match &redis_url {
                Some(url) => RateLimits::redis(url).await?,
                None => RateLimits::memory(),
            };
            let gateway = Gateway::start(svc.clone(), config, limits).await?;
            let mut state = ServerState::new(svc);
            state.auth.session_ttl = chrono::Duration::minutes(session_ttl_minutes);
            state.gateway = Some(gateway.clone());
            spawn_housekeeping(state.clone(), Duration::from_secs(300));
            keydesk_server::metrics::spawn_upkeep(Duration::from_secs(5));
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|e| keydesk_core::Error::internal(format!("cannot listen on {listen}: {e}")))?;
            let addr = listener.local_addr().map_err(|e| keydesk_core::Error::internal(e.to_string()))?;
            tracing::info!(%addr, "keydesk-server listening");
            // Scripts and tests read this line to learn the port.
            println!("keydesk-server listening on http://{addr}");
            let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
            axum::serve(listener, service)
                .with_graceful_shutdown(shutdown_signal())
                .await
                .map_err(|e| keydesk_core::Error::internal(format!("server error: {e}")))?;
            // Usage metered so far is written; leased budget goes back.
            gateway.stop().await;
            tracing::info!("keydesk-server stopped");
            Ok(())
        }
        Command::Init { db, secrets, admin_email, admin_name, org_name, json } => {
            let pepper = pepper(&db, &secrets, true)?;
            let svc = Service::connect(&setup::database_url(&db.database), &pepper, &secrets.key_prefix).await?;
            let admin_name =
                if admin_name.trim().is_empty() { admin_email.split('@').next().unwrap_or_default().to_owned() } else { admin_name };
            let (org, admin) = svc.bootstrap(&org_name, &admin_email, &admin_name).await?;
            let actor = svc.actor(admin.id).await?;
            let password: Sensitive<String> = svc.issue_password(&actor, admin.id).await?;
            let key = svc.create_admin_key(&actor, "created by keydesk-server init", None).await?;
            if json {
                let out = serde_json::json!({
                    "organization_id": org.id,
                    "admin_user_id": admin.id,
                    "admin_password": password.expose(),
                    "admin_api_key": key.secret.expose(),
                });
                println!("{out}");
            } else {
                println!("Organization '{}' created ({}).", org.name, org.id);
                println!("First admin: {} ({})", admin.email, admin.id);
                println!();
                println!("One-time password: {}", password.expose());
                println!("Admin API key:     {}", key.secret.expose());
                println!();
                println!("Both are shown only this once. Sign in with the password and change it");
                println!("(POST /v1/me/password); use the key as `x-api-key` or `Authorization: Bearer`.");
            }
            svc.db().close().await;
            Ok(())
        }
        Command::Migrate { db } => {
            let store = keydesk_core::store::Db::connect(&setup::database_url(&db.database)).await?;
            store.close().await;
            println!("keydesk-server: database schema is up to date");
            Ok(())
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let field = e.field.as_deref().map(|f| format!(" ({f})")).unwrap_or_default();
            eprintln!("keydesk-server: error: {}{field}", e.message);
            ExitCode::FAILURE
        }
    }
}
