//! The current source of the data: opening it, replacing it, and running a call on it.

use std::sync::Arc;

use crate::backend::{Backend, UnavailableBackend};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::local::LocalBackend;
use crate::remote::{Profile, RemoteBackend, RemoteEvent};

use super::{Connection, ConnectionEvent, Current, NO_DATA_DIR};

impl Connection {
    /// The local store, opened once.
    pub(super) async fn local(&self) -> Current {
        if let Current::Local(local) = &self.slot.read().await.current {
            return Current::Local(local.clone());
        }
        let Some(dir) = &self.data_dir else {
            return Current::Broken(Arc::new(UnavailableBackend::new(NO_DATA_DIR)));
        };
        match LocalBackend::open(dir).await {
            Ok(local) => Current::Local(Arc::new(local)),
            Err(error) => {
                eprintln!("keydesk: {error}");
                Current::Broken(Arc::new(UnavailableBackend::new(error.message)))
            }
        }
    }

    /// A saved profile with its token from the keychain, or its sign-in
    /// screen when there is none (or no keychain to read it from).
    pub(super) async fn resume(&self, profile: Profile) -> Current {
        let Some(dir) = self.data_dir.clone() else {
            return Current::Broken(Arc::new(UnavailableBackend::new(NO_DATA_DIR)));
        };
        let key = profile.session_key();
        let token = match self.vault.recall(&key).await {
            Ok(Some(token)) => token,
            Ok(None) => {
                return Current::SignedOut {
                    profile,
                    notice: None,
                }
            }
            Err(error) => {
                return Current::SignedOut {
                    profile,
                    notice: Some(format!(
                        "{}. Sign in again; this time the session will last until Keydesk closes.",
                        error.message
                    )),
                }
            }
        };
        let remembered = self.vault.where_kept(&key);
        match RemoteBackend::resume_as(
            &profile.server_url,
            &profile.account,
            token,
            profile.credential,
            &dir,
        )
        .await
        {
            Ok(backend) => {
                backend.set_instant_start(true);
                Current::Remote {
                    profile,
                    backend: Box::new(backend),
                    remembered,
                }
            }
            Err(error) => Current::SignedOut {
                profile,
                notice: Some(error.message),
            },
        }
    }

    /// Makes `next` the current source: a new generation, its background
    /// findings passed on, the replaced server connection closed.
    pub(super) async fn install(&self, next: Current) {
        let replaced = {
            let mut slot = self.slot.write().await;
            slot.generation += 1;
            if let Current::Remote { backend, .. } = &next {
                self.watch(backend, slot.generation);
            }
            std::mem::replace(&mut slot.current, next)
        };
        if let Current::Remote { backend, .. } = replaced {
            backend.set_listener(None);
            backend.close().await;
        }
        self.tell(ConnectionEvent::Changed);
    }

    /// Passes a remote backend's background findings on, for as long as it
    /// is the source of `generation`.
    fn watch(&self, backend: &RemoteBackend, generation: u64) {
        let this = self.this.clone();
        backend.set_listener(Some(Arc::new(move |event| {
            let Some(connection) = this.upgrade() else {
                return;
            };
            match event {
                RemoteEvent::Refreshed { kind } => {
                    connection.tell(ConnectionEvent::Refreshed { kind });
                    connection.tell(ConnectionEvent::Changed);
                }
                RemoteEvent::SessionEnded => {
                    tokio::spawn(async move { connection.session_ended(generation).await });
                }
            }
        })));
    }

    /// The current backend and the generation it belongs to.
    async fn backend(&self) -> (Arc<dyn Backend>, u64) {
        let slot = self.slot.read().await;
        let backend: Arc<dyn Backend> = match &slot.current {
            Current::Local(local) => local.clone(),
            Current::Remote { backend, .. } => Arc::new(RemoteBackend::clone(backend)),
            Current::SignedOut { profile, .. } => {
                Arc::new(UnavailableBackend::failing_with(AppError::new(
                    ErrorCode::Unauthorized,
                    format!("not signed in to {}", profile.server_url),
                )))
            }
            Current::Broken(broken) => broken.clone(),
        };
        (backend, slot.generation)
    }

    /// Runs one call on the current backend; an `unauthorized` answer from a
    /// server ends the session there (unless the source changed meanwhile).
    pub(super) async fn on<T, F, Fut>(&self, call: F) -> AppResult<T>
    where
        F: FnOnce(Arc<dyn Backend>) -> Fut,
        Fut: std::future::Future<Output = AppResult<T>>,
    {
        let (backend, generation) = self.backend().await;
        let was_offline = self.offline().await;
        let result = call(backend).await;
        if let Err(e) = &result {
            if e.code == ErrorCode::Unauthorized {
                self.session_ended(generation).await;
            }
        }
        if self.offline().await != was_offline {
            self.tell(ConnectionEvent::Changed);
        }
        result
    }

    async fn offline(&self) -> bool {
        match &self.slot.read().await.current {
            Current::Remote { backend, .. } => backend.offline_status().is_some(),
            _ => false,
        }
    }
}
