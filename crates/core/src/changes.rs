//! Change announcements: what a committed operation changed that a cache of
//! the gateway's may hold (a key, every key, a workspace's limits, the
//! organization, a connector). Observers registered on the `Service` hear of
//! a change synchronously once it is committed, so the process that made it
//! never serves a stale answer afterwards. On PostgreSQL the same change is
//! also sent with NOTIFY on `CHANGES_CHANNEL` inside the transaction, which
//! PostgreSQL delivers to every listening replica at commit.

use std::sync::Arc;

use uuid::Uuid;

/// The PostgreSQL channel the changes are announced on.
pub const CHANGES_CHANNEL: &str = "keydesk_changes";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    /// One key was deleted, rotated out, or had its budget changed.
    Key(Uuid),
    /// Keys were removed in bulk (a member, a user or a workspace went).
    AllKeys,
    /// A workspace's limits changed, or it was deleted.
    Workspace(Uuid),
    /// Organization settings (billing, spend limit) changed.
    Organization,
    /// A connector was created, changed or deleted.
    Connector(Uuid),
}

impl Change {
    /// The NOTIFY payload: `kind` or `kind:uuid`.
    pub fn to_payload(self) -> String {
        match self {
            Change::Key(id) => format!("key:{id}"),
            Change::AllKeys => "keys".to_owned(),
            Change::Workspace(id) => format!("workspace:{id}"),
            Change::Organization => "organization".to_owned(),
            Change::Connector(id) => format!("connector:{id}"),
        }
    }

    /// Reads a NOTIFY payload back; `None` for anything else.
    pub fn from_payload(payload: &str) -> Option<Change> {
        let (kind, id) = match payload.split_once(':') {
            Some((k, id)) => (k, Some(Uuid::parse_str(id).ok()?)),
            None => (payload, None),
        };
        match (kind, id) {
            ("key", Some(id)) => Some(Change::Key(id)),
            ("keys", None) => Some(Change::AllKeys),
            ("workspace", Some(id)) => Some(Change::Workspace(id)),
            ("organization", None) => Some(Change::Organization),
            ("connector", Some(id)) => Some(Change::Connector(id)),
            _ => None,
        }
    }
}

/// Called with each committed change, on the task that committed it: keep it
/// quick and never block.
pub type ChangeObserver = Arc<dyn Fn(Change) + Send + Sync>;

/// What a change feed says next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedEvent {
    Change(Change),
    /// The connection to PostgreSQL was lost and is back: changes made in
    /// between were not heard, so everything cached may be stale.
    Reconnected,
}

/// The changes other replicas commit, heard with LISTEN on PostgreSQL.
pub struct ChangeFeed {
    listener: sqlx::postgres::PgListener,
}

impl ChangeFeed {
    /// Listens on `CHANGES_CHANNEL`; `None` on SQLite, which has one
    /// process only.
    pub async fn open(db: &crate::store::Db) -> crate::Result<Option<ChangeFeed>> {
        let crate::store::Db::Postgres(pool) = db else { return Ok(None) };
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(CHANGES_CHANNEL).await?;
        Ok(Some(ChangeFeed { listener }))
    }

    /// The next change. Waits; reconnects by itself after a lost connection
    /// (and says so). Errors only when it cannot reconnect.
    pub async fn next(&mut self) -> crate::Result<FeedEvent> {
        loop {
            match self.listener.try_recv().await? {
                None => return Ok(FeedEvent::Reconnected),
                Some(n) => {
                    if let Some(c) = Change::from_payload(n.payload()) {
                        return Ok(FeedEvent::Change(c));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_survives_its_notify_payload() {
        let id = Uuid::new_v4();
        for c in [Change::Key(id), Change::AllKeys, Change::Workspace(id), Change::Organization, Change::Connector(id)] {
            assert_eq!(Change::from_payload(&c.to_payload()), Some(c));
        }
        assert_eq!(Change::from_payload("key:not-a-uuid"), None);
        assert_eq!(Change::from_payload("keys:extra"), None);
        assert_eq!(Change::from_payload("something"), None);
    }
}
