//! The gateway's in-memory view of the store: keys by the hash of their
//! secret (and, bounded, the hashes known not to be keys), workspaces'
//! limits, the organization's billing state and limit, connectors. Entries
//! are dropped the moment this process commits a change to them (observer on
//! the Service) and, on PostgreSQL, within milliseconds of another replica's
//! commit (LISTEN); a time to live bounds how stale anything can get should
//! a notification be lost. A load that raced with a change is served but not
//! cached.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use keydesk_core::changes::{Change, ChangeFeed, FeedEvent};
use keydesk_core::gateway::{GatewayKey, GatewayOrganization, GatewayWorkspace};
use keydesk_core::model::Connector;
use keydesk_core::{Result, Service};
use moka::sync::Cache;
use uuid::Uuid;

/// The HMAC of a key's secret.
pub type KeyHash = [u8; 32];

/// Safety net for a lost notification: the longest any entry is trusted.
const KEY_TTL: Duration = Duration::from_secs(300);
const SETTINGS_TTL: Duration = Duration::from_secs(30);
/// How many unknown hashes are remembered.
const NEGATIVE_CAPACITY: u64 = 100_000;

/// A cached value and when it was loaded.
#[derive(Clone)]
struct Fresh<T> {
    value: T,
    loaded: Instant,
}

impl<T: Clone> Fresh<T> {
    fn new(value: T) -> Self {
        Fresh { value, loaded: Instant::now() }
    }
    fn get(&self) -> Option<T> {
        (self.loaded.elapsed() < SETTINGS_TTL).then(|| self.value.clone())
    }
}

pub struct Directory {
    svc: Service,
    keys: Cache<KeyHash, Arc<GatewayKey>>,
    unknown: Cache<KeyHash, ()>,
    /// Key id → hash, to drop a key's entry when the key changes.
    hash_of: DashMap<Uuid, KeyHash>,
    /// Settings, few and read by every request: plain maps, each entry
    /// trusted for `SETTINGS_TTL` after its load.
    workspaces: DashMap<Uuid, Fresh<Option<Arc<GatewayWorkspace>>>>,
    organization: RwLock<Option<Fresh<Arc<GatewayOrganization>>>>,
    /// Only connectors that exist: ids made up by a client cannot fill it.
    connectors: DashMap<Uuid, Fresh<Arc<Connector>>>,
    /// Bumped by every change, so a load that overlapped one is not cached.
    epoch: AtomicU64,
}

impl Directory {
    pub fn new(svc: Service, key_capacity: u64) -> Arc<Directory> {
        let dir = Arc::new(Directory {
            svc: svc.clone(),
            keys: Cache::builder().max_capacity(key_capacity).time_to_live(KEY_TTL).build(),
            unknown: Cache::builder().max_capacity(NEGATIVE_CAPACITY).time_to_live(KEY_TTL).build(),
            hash_of: DashMap::new(),
            workspaces: DashMap::new(),
            organization: RwLock::new(None),
            connectors: DashMap::new(),
            epoch: AtomicU64::new(0),
        });
        let weak = Arc::downgrade(&dir);
        svc.on_change(Arc::new(move |c| {
            if let Some(d) = weak.upgrade() {
                d.apply(c);
            }
        }));
        dir
    }

    /// Drops what `change` made stale.
    pub fn apply(&self, change: Change) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        match change {
            Change::Key(id) => {
                if let Some((_, hash)) = self.hash_of.remove(&id) {
                    self.keys.invalidate(&hash);
                }
            }
            Change::AllKeys => self.forget_keys(),
            Change::Workspace(id) => {
                self.workspaces.remove(&id);
            }
            Change::Organization => *self.organization.write().unwrap_or_else(|e| e.into_inner()) = None,
            Change::Connector(id) => {
                self.connectors.remove(&id);
            }
        }
    }

    /// Forgets everything (after missed notifications).
    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.forget_keys();
        self.workspaces.clear();
        *self.organization.write().unwrap_or_else(|e| e.into_inner()) = None;
        self.connectors.clear();
    }

    fn forget_keys(&self) {
        self.keys.invalidate_all();
        self.hash_of.clear();
    }

    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// The live key with this hash, if any.
    pub async fn key(&self, hash: &[u8]) -> Result<Option<Arc<GatewayKey>>> {
        let Ok(h) = KeyHash::try_from(hash) else { return Ok(None) };
        if let Some(k) = self.keys.get(&h) {
            return Ok(Some(k));
        }
        if self.unknown.contains_key(&h) {
            return Ok(None);
        }
        let before = self.epoch();
        let found = self.svc.gateway_key(hash).await?.map(Arc::new);
        if self.epoch() == before {
            match &found {
                Some(k) => {
                    self.hash_of.insert(k.key_id, h);
                    self.keys.insert(h, k.clone());
                }
                None => self.unknown.insert(h, ()),
            }
        }
        Ok(found)
    }

    pub async fn organization(&self) -> Result<Arc<GatewayOrganization>> {
        if let Some(o) = self.organization.read().unwrap_or_else(|e| e.into_inner()).as_ref().and_then(Fresh::get) {
            return Ok(o);
        }
        let before = self.epoch();
        let org = Arc::new(self.svc.gateway_organization().await?);
        if self.epoch() == before {
            *self.organization.write().unwrap_or_else(|e| e.into_inner()) = Some(Fresh::new(org.clone()));
        }
        Ok(org)
    }

    pub async fn workspace(&self, id: Uuid) -> Result<Option<Arc<GatewayWorkspace>>> {
        if let Some(w) = self.workspaces.get(&id).and_then(|f| f.get()) {
            return Ok(w);
        }
        let before = self.epoch();
        let ws = self.svc.gateway_workspace(id).await?.map(Arc::new);
        if self.epoch() == before {
            self.workspaces.insert(id, Fresh::new(ws.clone()));
        }
        Ok(ws)
    }

    pub async fn connector(&self, id: Uuid) -> Result<Option<Arc<Connector>>> {
        if let Some(c) = self.connectors.get(&id).and_then(|f| f.get()) {
            return Ok(Some(c));
        }
        let before = self.epoch();
        let c = self.svc.gateway_connector(id).await?.map(Arc::new);
        if let Some(found) = c.as_ref().filter(|_| self.epoch() == before) {
            self.connectors.insert(id, Fresh::new(found.clone()));
        }
        Ok(c)
    }
}

/// Follows the changes other replicas commit (PostgreSQL only), handing
/// each to `apply`; after a lost connection, `reset` runs, since whatever
/// changed meanwhile went unheard. Returns `None` on SQLite.
pub async fn follow_other_replicas(
    svc: &Service,
    apply: impl Fn(Change) + Send + 'static,
    reset: impl Fn() + Send + 'static,
) -> Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(mut feed) = ChangeFeed::open(svc.db()).await? else { return Ok(None) };
    Ok(Some(tokio::spawn(async move {
        loop {
            match feed.next().await {
                Ok(FeedEvent::Change(c)) => apply(c),
                Ok(FeedEvent::Reconnected) => {
                    tracing::warn!("change feed reconnected; dropping cached keys and limits");
                    reset();
                }
                Err(e) => {
                    tracing::error!(detail = %e.message, "change feed lost; retrying in 1 s");
                    reset();
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    })))
}
