//! The notifier's two small files in the data folder: the user's
//! notification preferences and the record of what was already sent. Each
//! is written whole to a temporary file renamed over the old one, so a crash
//! leaves the old file or the new, never half of one. A missing or damaged
//! file reads as the defaults (everything on, nothing sent yet). Without a
//! data folder nothing is written: both then last as long as the app runs.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::schedule::Sent;
use crate::error::{AppError, AppResult};

/// File name of the preferences inside the data folder.
pub const PREFERENCES_FILE: &str = "notification-preferences.json";
/// File name of the record of notifications sent inside the data folder.
pub const SENT_FILE: &str = "notifications-sent.json";

/// Which kinds of desktop notification the user wants. Every kind is on
/// until turned off; a kind missing from the file (saved by an older
/// version) is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(default)]
pub struct Preferences {
    /// A key of mine expires within 7 days (once a day per key).
    pub notify_key_expiry: bool,
    /// A workspace I answer for passed 50, 80 or 100 % of its monthly limit.
    pub notify_spend_alerts: bool,
    /// The server ended my session: sign in again.
    pub notify_session_expired: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            notify_key_expiry: true,
            notify_spend_alerts: true,
            notify_session_expired: true,
        }
    }
}

/// Where the two files live: the data folder, or nowhere.
#[derive(Debug, Clone)]
pub struct Store {
    dir: Option<PathBuf>,
}

impl Store {
    pub fn new(dir: Option<PathBuf>) -> Self {
        Store { dir }
    }

    pub fn load_preferences(&self) -> Preferences {
        self.read(PREFERENCES_FILE)
    }

    pub fn save_preferences(&self, preferences: &Preferences) -> AppResult<()> {
        self.write(PREFERENCES_FILE, preferences, "the notification settings")
    }

    pub fn load_sent(&self) -> Sent {
        self.read(SENT_FILE)
    }

    pub fn save_sent(&self, sent: &Sent) -> AppResult<()> {
        self.write(SENT_FILE, sent, "the record of notifications sent")
    }

    fn read<T: DeserializeOwned + Default>(&self, name: &str) -> T {
        match &self.dir {
            Some(dir) => read_json(&dir.join(name)),
            None => T::default(),
        }
    }

    fn write<T: Serialize>(&self, name: &str, value: &T, what: &str) -> AppResult<()> {
        match &self.dir {
            Some(dir) => write_json_atomically(dir, name, value)
                .map_err(|e| AppError::internal(format!("cannot save {what}: {e}"))),
            None => Ok(()),
        }
    }
}

fn read_json<T: DeserializeOwned + Default>(path: &Path) -> T {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            // A damaged file costs a setting or a repeated notification, not the app.
            eprintln!("keydesk: ignoring {}: {e}", path.display());
            T::default()
        }),
        Err(_) => T::default(),
    }
}

fn write_json_atomically<T: Serialize>(dir: &Path, name: &str, value: &T) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let body = serde_json::to_vec_pretty(value)?;
    let temp = dir.join(format!("{name}.tmp"));
    std::fs::write(&temp, body)?;
    std::fs::rename(&temp, dir.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};
    use uuid::Uuid;

    #[test]
    fn preferences_and_the_sent_record_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(Some(dir.path().join("data")));
        assert_eq!(store.load_preferences(), Preferences::default());
        assert_eq!(store.load_sent(), Sent::default());

        let preferences = Preferences {
            notify_spend_alerts: false,
            ..Preferences::default()
        };
        let mut sent = Sent::default();
        sent.keys.insert(
            Uuid::new_v4(),
            NaiveDate::from_ymd_opt(2026, 3, 15).unwrap(),
        );
        sent.alerts.insert(
            Uuid::new_v4(),
            Utc.with_ymd_and_hms(2026, 3, 15, 9, 30, 0).unwrap(),
        );
        store.save_preferences(&preferences).unwrap();
        store.save_sent(&sent).unwrap();

        let reopened = Store::new(Some(dir.path().join("data")));
        assert_eq!(reopened.load_preferences(), preferences);
        assert_eq!(reopened.load_sent(), sent);
        let left: Vec<_> = std::fs::read_dir(dir.path().join("data"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "temporary files left behind: {left:?}");
    }

    #[test]
    fn a_damaged_or_partial_preferences_file_turns_nothing_off_by_accident() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(Some(dir.path().to_path_buf()));
        std::fs::write(dir.path().join(PREFERENCES_FILE), "{not json").unwrap();
        assert_eq!(store.load_preferences(), Preferences::default());
        std::fs::write(
            dir.path().join(PREFERENCES_FILE),
            r#"{"notify_key_expiry": false}"#,
        )
        .unwrap();
        assert_eq!(
            store.load_preferences(),
            Preferences {
                notify_key_expiry: false,
                ..Preferences::default()
            }
        );
    }

    #[test]
    fn without_a_data_folder_nothing_is_written_and_defaults_are_read() {
        let store = Store::new(None);
        store
            .save_preferences(&Preferences {
                notify_key_expiry: false,
                notify_spend_alerts: false,
                notify_session_expired: false,
            })
            .unwrap();
        assert_eq!(store.load_preferences(), Preferences::default());
    }
}
