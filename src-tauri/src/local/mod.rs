//! `LocalBackend`: the embedded default. Owns the app's data directory — the
//! SQLite file and the `pepper` file beside it — and runs every operation
//! through keydesk-core's `Service`, acting as the organization's first admin.
//! The `Backend` operations are in operations.rs, the data folder's files in
//! files.rs and the store's clock in clock.rs.

mod clock;
mod files;
mod operations;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use keydesk_core::service::Clock;
use keydesk_core::{Actor, Service};
use tokio::sync::RwLock;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use clock::clock;
use files::{load_or_create_pepper, sqlite_url};

/// File name of the SQLite store inside the data directory.
pub const DATABASE_FILE: &str = "keydesk.sqlite3";
/// File name of the local store's HMAC key inside the data directory.
pub const PEPPER_FILE: &str = "pepper";
/// Prefix of the keys this deployment issues (`kd_...`).
pub const KEY_PREFIX: &str = "kd";

pub struct LocalBackend {
    service: Service,
    /// The user the app acts as, once known (set by the first run).
    acting_user: RwLock<Option<Uuid>>,
}

impl LocalBackend {
    /// Opens (creating on first use) the store in `data_dir`.
    pub async fn open(data_dir: &Path) -> AppResult<Self> {
        Self::open_with_clock(data_dir, clock()).await
    }

    async fn open_with_clock(data_dir: &Path, clock: Clock) -> AppResult<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            AppError::unavailable(format!(
                "cannot create the data folder {}: {e}",
                data_dir.display()
            ))
        })?;
        let pepper = load_or_create_pepper(&data_dir.join(PEPPER_FILE))?;
        let url = sqlite_url(&data_dir.join(DATABASE_FILE))?;
        let service = Service::connect_with_clock(&url, pepper.expose(), KEY_PREFIX, clock)
            .await
            .map_err(|e| {
                AppError::unavailable(format!(
                    "cannot open the local store in {}: {}",
                    data_dir.display(),
                    e.message
                ))
            })?;
        Ok(LocalBackend {
            service,
            acting_user: RwLock::new(None),
        })
    }

    /// The actor for every call: the organization's first admin.
    async fn actor(&self) -> AppResult<Actor> {
        let cached = *self.acting_user.read().await;
        let user_id = match cached {
            Some(id) => id,
            None => {
                let admin = self
                    .service
                    .first_admin()
                    .await?
                    .ok_or_else(AppError::not_initialized)?;
                *self.acting_user.write().await = Some(admin.id);
                admin.id
            }
        };
        Ok(self.service.actor(user_id).await?)
    }
}

/// The data directory: `KEYDESK_DATA_DIR` when set (tests use it), else the
/// platform's app-data directory given by Tauri.
pub fn data_dir_from_env_or(platform_default: impl FnOnce() -> Option<PathBuf>) -> Option<PathBuf> {
    match std::env::var_os("KEYDESK_DATA_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => platform_default(),
    }
}
