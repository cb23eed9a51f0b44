//! The saved servers: the profiles file, switching between profiles and forgetting one.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult, ErrorCode};
use crate::remote::Profile;

use super::status::ConnectionStatus;
use super::{Connection, ConnectionEvent, Current};

/// File name of the saved profiles inside the data folder.
pub const PROFILES_FILE: &str = "profiles.json";

/// What `profiles.json` holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct SavedProfiles {
    /// The profile the app opens with; `None` is the local store.
    pub(super) active: Option<String>,
    pub(super) profiles: Vec<Profile>,
}

impl Connection {
    /// Switches to the local store (`None`) or a saved profile, without a
    /// restart. A profile with no saved session opens its sign-in screen.
    pub async fn use_profile(&self, profile_id: Option<String>) -> AppResult<ConnectionStatus> {
        let next = match profile_id {
            None => {
                self.team_allows_local()?;
                self.local().await
            }
            Some(id) => {
                let profile = self.profile(&id)?;
                self.team_allows_server(&profile.server_url)?;
                self.resume(profile).await
            }
        };
        let active = match &next {
            Current::Remote { profile, .. } | Current::SignedOut { profile, .. } => {
                Some(profile.id.clone())
            }
            Current::Local(_) | Current::Broken(_) => None,
        };
        self.save(|saved| saved.active = active)?;
        self.install(next).await;
        Ok(self.status().await)
    }

    /// Removes a saved profile, its keychain entry and its cached lists. The
    /// active profile cannot be forgotten: switch away from it first.
    pub async fn forget_profile(&self, profile_id: String) -> AppResult<ConnectionStatus> {
        let profile = self.profile(&profile_id)?;
        if self.saved.lock().expect("profiles lock").active.as_deref() == Some(profile.id.as_str())
        {
            return Err(AppError::validation(
                "profile_id",
                "switch to another profile before removing this one",
            ));
        }
        self.forget_token(&profile).await;
        if let Some(dir) = &self.data_dir {
            if let Ok(cache) = crate::cache::Cache::open(dir).await {
                cache
                    .clear_profile(&crate::remote::cache_scope(
                        &profile.server_url,
                        &profile.account,
                    ))
                    .await
                    .ok();
                cache.close().await;
            }
        }
        self.save(|saved| saved.profiles.retain(|p| p.id != profile.id))?;
        self.tell(ConnectionEvent::Changed);
        Ok(self.status().await)
    }

    fn profile(&self, id: &str) -> AppResult<Profile> {
        self.saved
            .lock()
            .expect("profiles lock")
            .profiles
            .iter()
            .find(|p| p.id == id)
            .cloned()
            .ok_or_else(|| {
                AppError::new(ErrorCode::NotFound, "no saved server by that name")
                    .with_field("profile_id")
            })
    }

    pub(super) fn save(&self, change: impl FnOnce(&mut SavedProfiles)) -> AppResult<()> {
        let dir = self.data_dir()?;
        let mut saved = self.saved.lock().expect("profiles lock");
        let mut next = saved.clone();
        change(&mut next);
        write_profiles(&dir, &next)?;
        *saved = next;
        Ok(())
    }
}

pub(super) fn read_profiles(dir: &Path) -> SavedProfiles {
    let path = dir.join(PROFILES_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            // A damaged file costs the saved servers, not the app.
            eprintln!("keydesk: ignoring {}: {e}", path.display());
            SavedProfiles::default()
        }),
        Err(_) => SavedProfiles::default(),
    }
}

/// Writes the profiles file whole (a temp file renamed over it), so a crash
/// never leaves half of it.
fn write_profiles(dir: &Path, saved: &SavedProfiles) -> AppResult<()> {
    let fail =
        |e: std::io::Error| AppError::internal(format!("cannot save the list of servers: {e}"));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let body = serde_json::to_vec_pretty(saved).map_err(|e| AppError::internal(e.to_string()))?;
    let temp = dir.join(format!("{PROFILES_FILE}.tmp"));
    std::fs::write(&temp, body).map_err(fail)?;
    std::fs::rename(&temp, dir.join(PROFILES_FILE)).map_err(fail)
}
