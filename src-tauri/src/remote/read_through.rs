//! The read side of `RemoteBackend`: every list the server answers is kept
//! in the local cache; when the server cannot be reached the cached copy is
//! answered and the backend says since when it is known; in the first
//! seconds after a resume, first reads come from the cache at once and are
//! refreshed in the background, and a listener hears what changed.

use super::*;

impl RemoteBackend {
    /// Answers each list's first read from the cache at once and refreshes
    /// it in the background, for the first seconds or until the first write.
    pub fn set_instant_start(&self, on: bool) {
        self.set_instant_until(on.then(|| Instant::now() + INSTANT_START));
    }

    pub(super) fn set_instant_until(&self, until: Option<Instant>) {
        if let Ok(mut slot) = self.instant_until.lock() {
            *slot = until;
        }
    }

    fn instant(&self) -> bool {
        self.instant_until
            .lock()
            .map(|until| until.is_some_and(|t| Instant::now() < t))
            .unwrap_or(false)
    }

    /// Who hears what background refreshes find.
    pub fn set_listener(&self, listener: Option<RemoteListener>) {
        if let Ok(mut slot) = self.listener.lock() {
            *slot = listener;
        }
    }

    fn tell(&self, event: RemoteEvent) {
        let listener = self.listener.lock().ok().and_then(|l| l.clone());
        if let Some(listener) = listener {
            listener(event);
        }
    }

    /// `Some` while the lists shown come from the cache because the server
    /// was unreachable at the last read; `None` once it answers again.
    pub fn offline_status(&self) -> Option<OfflineInfo> {
        self.offline.lock().map(|o| o.clone()).unwrap_or(None)
    }

    /// Reads through the cache: the server's answer is stored and returned;
    /// when the server is unreachable, the last stored answer is returned
    /// instead and the backend reports itself offline. Any other error
    /// (unauthorized, forbidden...) is answered as is. In instant-start mode
    /// a first read is answered from the cache and fetched in the background.
    pub(super) async fn read_through<T, F, Fut>(
        &self,
        kind: &str,
        key: &str,
        fetch: F,
    ) -> AppResult<T>
    where
        T: Serialize + DeserializeOwned + Send + Sync + 'static,
        F: FnOnce(RemoteBackend) -> Fut,
        Fut: std::future::Future<Output = AppResult<T>> + Send + 'static,
    {
        let scope = self.profile.cache_scope();
        let first_read = self
            .served
            .lock()
            .map(|mut served| served.insert(format!("{kind}|{key}")))
            .unwrap_or(false);
        if first_read && self.instant() {
            if let Some(cached) = self.cache.get::<T>(&scope, kind, key).await.ok().flatten() {
                let refresh = fetch(self.clone());
                let this = self.clone();
                let (kind, key, fetched_at) = (kind.to_owned(), key.to_owned(), cached.fetched_at);
                let shown = cached.value;
                let answer = serde_json::to_value(&shown).ok();
                tokio::spawn(async move {
                    match refresh.await {
                        Ok(fresh) => {
                            this.store(&kind, &key, &fresh).await;
                            this.set_offline(None);
                            if serde_json::to_value(&fresh).ok() != answer {
                                this.tell(RemoteEvent::Refreshed { kind });
                            }
                        }
                        Err(e) if e.code == ErrorCode::Unauthorized => {
                            this.tell(RemoteEvent::SessionEnded)
                        }
                        Err(e) if e.code == ErrorCode::Unavailable => {
                            this.mark_offline_since(fetched_at);
                            this.tell(RemoteEvent::Refreshed { kind });
                        }
                        Err(_) => {}
                    }
                });
                return Ok(shown);
            }
        }
        match fetch(self.clone()).await {
            Ok(value) => {
                self.store(kind, key, &value).await;
                Ok(value)
            }
            Err(error) if error.code == ErrorCode::Unavailable => {
                match self.cache.get::<T>(&scope, kind, key).await.ok().flatten() {
                    Some(cached) => {
                        self.mark_offline_since(cached.fetched_at);
                        Ok(cached.value)
                    }
                    None => Err(error),
                }
            }
            Err(error) => Err(error),
        }
    }

    async fn store<T: Serialize>(&self, kind: &str, key: &str, value: &T) {
        let scope = self.profile.cache_scope();
        if let Err(e) = self.cache.put(&scope, kind, key, value, Utc::now()).await {
            // A cache that cannot be written costs offline reads only.
            eprintln!("keydesk: {e}");
        }
    }

    fn mark_offline_since(&self, fetched_at: DateTime<Utc>) {
        let age = (Utc::now() - fetched_at).num_seconds().max(0);
        self.set_offline(Some(OfflineInfo {
            fetched_at,
            age_seconds: age,
        }));
    }

    pub(super) fn set_offline(&self, info: Option<OfflineInfo>) {
        if let Ok(mut slot) = self.offline.lock() {
            *slot = info;
        }
    }
}
