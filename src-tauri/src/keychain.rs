//! The signed-in session's token in the operating system's keychain — the
//! only secret the desktop app keeps. One entry per server and user, under
//! the app identifier as service. When no keychain is reachable the token is
//! kept in memory for this run only and the caller is told so; it is never
//! written to a file.

use std::collections::HashMap;
use std::sync::Mutex;

use keydesk_core::secret::Sensitive;
use serde::Serialize;

use crate::error::{AppError, AppResult, ErrorCode};

/// Which server and user a session belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SessionKey {
    pub server_url: String,
    pub email: String,
}

impl SessionKey {
    /// The keychain account name: one entry per server and user.
    fn account(&self) -> String {
        format!(
            "{} {}",
            self.server_url.trim_end_matches('/'),
            self.email.to_lowercase()
        )
    }
}

/// Where a session token ended up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Remembered {
    /// In the OS keychain: the session survives a restart.
    Keychain,
    /// Only in this process's memory, because the keychain failed.
    MemoryOnly { reason: String },
}

/// Stores, reads and forgets session tokens.
pub struct SessionVault {
    service: String,
    /// Tokens the keychain would not take, for this run only.
    memory: Mutex<HashMap<SessionKey, Sensitive<String>>>,
}

impl std::fmt::Debug for SessionVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionVault")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

fn keychain_unavailable(err: keyring::Error) -> AppError {
    // The platform's own message helps (e.g. no Secret Service on D-Bus) and
    // never contains the secret.
    AppError::new(
        ErrorCode::KeychainUnavailable,
        format!("the system keychain is not available: {err}"),
    )
}

impl SessionVault {
    /// `service` is the app identifier, so dev and release builds (which
    /// use different identifiers) never share entries.
    pub fn new(service: &str) -> Self {
        SessionVault {
            service: service.to_owned(),
            memory: Mutex::new(HashMap::new()),
        }
    }

    fn entry(&self, key: &SessionKey) -> AppResult<keyring::Entry> {
        keyring::Entry::new(&self.service, &key.account()).map_err(keychain_unavailable)
    }

    /// Stores the token in the keychain, or in memory when that fails.
    pub async fn remember(&self, key: &SessionKey, token: &Sensitive<String>) -> Remembered {
        let stored = self.with_entry(key, {
            let token = token.clone();
            move |entry| entry.set_password(token.expose())
        });
        match stored.await {
            Ok(()) => {
                self.memory.lock().expect("vault lock").remove(key);
                Remembered::Keychain
            }
            Err(err) => {
                self.memory
                    .lock()
                    .expect("vault lock")
                    .insert(key.clone(), token.clone());
                Remembered::MemoryOnly {
                    reason: err.message,
                }
            }
        }
    }

    /// The stored token, if any: memory first (this run), then the keychain.
    /// A missing entry is `None`; an unreachable keychain is an error.
    pub async fn recall(&self, key: &SessionKey) -> AppResult<Option<Sensitive<String>>> {
        if let Some(token) = self.memory.lock().expect("vault lock").get(key) {
            return Ok(Some(token.clone()));
        }
        match self.with_entry(key, |entry| entry.get_password()).await {
            Ok(token) => Ok(Some(Sensitive::new(token))),
            Err(err) if err.code == ErrorCode::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Where a token `recall` finds is kept: in memory only when the
    /// keychain would not take it this run.
    pub fn where_kept(&self, key: &SessionKey) -> Remembered {
        if self.memory.lock().expect("vault lock").contains_key(key) {
            Remembered::MemoryOnly {
                reason: "the system keychain was not available when you signed in".to_owned(),
            }
        } else {
            Remembered::Keychain
        }
    }

    /// Forgets the token everywhere. Forgetting a missing entry succeeds.
    pub async fn forget(&self, key: &SessionKey) -> AppResult<()> {
        self.memory.lock().expect("vault lock").remove(key);
        match self
            .with_entry(key, |entry| entry.delete_credential())
            .await
        {
            Ok(()) => Ok(()),
            Err(err) if err.code == ErrorCode::NotFound => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Runs a keychain call on the blocking pool (it may wait on D-Bus).
    async fn with_entry<T: Send + 'static>(
        &self,
        key: &SessionKey,
        call: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
    ) -> AppResult<T> {
        let entry = self.entry(key)?;
        let result = tokio::task::spawn_blocking(move || call(&entry))
            .await
            .map_err(|e| AppError::internal(format!("keychain task failed: {e}")))?;
        result.map_err(|err| match err {
            keyring::Error::NoEntry => AppError::new(ErrorCode::NotFound, "no saved session"),
            other => keychain_unavailable(other),
        })
    }
}

#[cfg(test)]
mod tests {
    //! These talk to a real keychain, so a plain `cargo test` leaves them
    //! out (ignored); scripts/keychain-tests.sh runs each by name where it
    //! belongs: inside a D-Bus session with gnome-keyring unlocked, and with
    //! no D-Bus session at all in a scratch HOME.

    use super::*;

    fn key(email: &str) -> SessionKey {
        SessionKey {
            server_url: "http://127.0.0.1:9/".into(),
            email: email.into(),
        }
    }

    fn token() -> Sensitive<String> {
        keydesk_core::secret::generate_key("kdtest")
    }

    #[tokio::test]
    #[ignore = "needs a running Secret Service; scripts/keychain-tests.sh runs it"]
    async fn session_token_is_stored_read_back_after_restart_and_deleted_in_the_real_keychain() {
        let who = key(&format!(
            "dev-{}@example.com",
            uuid::Uuid::new_v4().simple()
        ));
        let token = token();
        let vault = SessionVault::new("dev.keydesk.test");
        assert_eq!(vault.remember(&who, &token).await, Remembered::Keychain);
        // A new vault is a restarted app: nothing in memory, all from the keychain.
        let restarted = SessionVault::new("dev.keydesk.test");
        assert_eq!(
            restarted
                .recall(&who)
                .await
                .unwrap()
                .map(|t| t.expose().clone()),
            Some(token.expose().clone())
        );
        // Another identifier (a dev build) does not see the release entry.
        assert!(SessionVault::new("dev.keydesk.other")
            .recall(&who)
            .await
            .unwrap()
            .is_none());
        restarted.forget(&who).await.unwrap();
        assert!(SessionVault::new("dev.keydesk.test")
            .recall(&who)
            .await
            .unwrap()
            .is_none());
        // Forgetting twice is fine.
        restarted.forget(&who).await.unwrap();
    }

    #[tokio::test]
    #[ignore = "needs no D-Bus session and a scratch HOME; scripts/keychain-tests.sh runs it"]
    async fn without_a_keychain_the_token_stays_in_memory_and_nothing_is_written_to_disk() {
        // The script points HOME and the XDG folders at a scratch directory,
        // which this test searches for the token afterwards: never the real one.
        assert_eq!(
            std::env::var("KEYDESK_KEYCHAIN_TESTS").as_deref(),
            Ok("absent"),
            "run by scripts/keychain-tests.sh, with no D-Bus session and HOME in a scratch directory"
        );
        let home = std::path::PathBuf::from(std::env::var("HOME").unwrap());
        let who = key("nokeychain@example.com");
        let token = token();
        let vault = SessionVault::new("dev.keydesk.test");
        match vault.remember(&who, &token).await {
            Remembered::MemoryOnly { reason } => {
                assert!(reason.contains("keychain is not available"), "{reason}")
            }
            other => panic!("expected memory-only, got {other:?}"),
        }
        assert_eq!(
            vault
                .recall(&who)
                .await
                .unwrap()
                .map(|t| t.expose().clone()),
            Some(token.expose().clone())
        );
        // A restarted app has no session: the token never left memory.
        assert_eq!(
            SessionVault::new("dev.keydesk.test")
                .recall(&who)
                .await
                .unwrap_err()
                .code,
            ErrorCode::KeychainUnavailable
        );
        vault.forget(&who).await.ok();
        assert!(vault.memory.lock().unwrap().is_empty());
        let mut stack = vec![home];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    let needle = token.expose().as_bytes();
                    assert!(
                        !bytes.windows(needle.len()).any(|w| w == needle),
                        "token written to {}",
                        path.display()
                    );
                }
            }
        }
    }
}
