//! The remote mode's local cache: the last lists a server answered (the
//! workspaces, each page of keys by filter, who is signed in), kept as JSON in
//! `cache.sqlite3` in the app's data folder with the time they were fetched.
//! Entries are scoped by profile (server address + account), so switching
//! servers or accounts never shows another one's data. Only what anyone may
//! see is stored: no key secret, no session token, no password ever goes in.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::Row;

use crate::error::{AppError, AppResult};

/// File name of the cache inside the data directory.
pub const CACHE_FILE: &str = "cache.sqlite3";

/// A value read back from the cache, with when the server gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cached<T> {
    pub value: T,
    pub fetched_at: DateTime<Utc>,
}

#[derive(Clone)]
pub struct Cache {
    pool: SqlitePool,
}

impl Cache {
    /// Opens (creating on first use) the cache file in `data_dir`.
    pub async fn open(data_dir: &Path) -> AppResult<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            AppError::unavailable(format!(
                "cannot create the data folder {}: {e}",
                data_dir.display()
            ))
        })?;
        let path = data_dir.join(CACHE_FILE);
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .map_err(|e| cache_error(&format!("cannot open {}", path.display()), e))?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS entries (
                profile    TEXT NOT NULL,
                kind       TEXT NOT NULL,
                key        TEXT NOT NULL,
                body       TEXT NOT NULL,
                fetched_at TEXT NOT NULL,
                PRIMARY KEY (profile, kind, key)
            )",
        )
        .execute(&pool)
        .await
        .map_err(|e| cache_error("cannot prepare the cache", e))?;
        Ok(Cache { pool })
    }

    /// Stores `value` as the latest answer for (`profile`, `kind`, `key`).
    pub async fn put<T: Serialize>(
        &self,
        profile: &str,
        kind: &str,
        key: &str,
        value: &T,
        fetched_at: DateTime<Utc>,
    ) -> AppResult<()> {
        let body = serde_json::to_string(value)
            .map_err(|e| AppError::internal(format!("cannot encode a cache entry: {e}")))?;
        sqlx::query(
            "INSERT INTO entries (profile, kind, key, body, fetched_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (profile, kind, key) DO UPDATE SET body = excluded.body, fetched_at = excluded.fetched_at",
        )
        .bind(profile)
        .bind(kind)
        .bind(key)
        .bind(body)
        .bind(fetched_at.to_rfc3339())
        .execute(&self.pool)
        .await
        .map_err(|e| cache_error("cannot write the cache", e))?;
        Ok(())
    }

    /// The latest stored answer, if any. An entry that no longer decodes
    /// (written by another version) counts as absent.
    pub async fn get<T: DeserializeOwned>(
        &self,
        profile: &str,
        kind: &str,
        key: &str,
    ) -> AppResult<Option<Cached<T>>> {
        let row = sqlx::query(
            "SELECT body, fetched_at FROM entries WHERE profile = ? AND kind = ? AND key = ?",
        )
        .bind(profile)
        .bind(kind)
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| cache_error("cannot read the cache", e))?;
        let Some(row) = row else { return Ok(None) };
        let body: String = row.get("body");
        let fetched_at: String = row.get("fetched_at");
        let (Ok(value), Ok(fetched_at)) = (
            serde_json::from_str(&body),
            DateTime::parse_from_rfc3339(&fetched_at),
        ) else {
            return Ok(None);
        };
        Ok(Some(Cached {
            value,
            fetched_at: fetched_at.with_timezone(&Utc),
        }))
    }

    /// Forgets everything stored for one profile (e.g. when it is removed).
    pub async fn clear_profile(&self, profile: &str) -> AppResult<()> {
        sqlx::query("DELETE FROM entries WHERE profile = ?")
            .bind(profile)
            .execute(&self.pool)
            .await
            .map_err(|e| cache_error("cannot clear the cache", e))?;
        Ok(())
    }

    /// Closes the file (tests use this before scanning its bytes).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn cache_error(what: &str, error: sqlx::Error) -> AppError {
    AppError::unavailable(format!("{what}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn entries_round_trip_per_profile_and_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).await.unwrap();
        let t1 = Utc::now() - chrono::Duration::minutes(5);
        cache
            .put(
                "https://a|ada@example.com",
                "workspaces",
                "",
                &vec!["one"],
                t1,
            )
            .await
            .unwrap();
        let got: Cached<Vec<String>> = cache
            .get("https://a|ada@example.com", "workspaces", "")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.value, vec!["one".to_owned()]);
        assert_eq!(got.fetched_at.timestamp(), t1.timestamp());

        // Another profile sees nothing of it.
        let other: Option<Cached<Vec<String>>> = cache
            .get("https://b|ada@example.com", "workspaces", "")
            .await
            .unwrap();
        assert!(other.is_none());

        let t2 = Utc::now();
        cache
            .put(
                "https://a|ada@example.com",
                "workspaces",
                "",
                &vec!["two"],
                t2,
            )
            .await
            .unwrap();
        let got: Cached<Vec<String>> = cache
            .get("https://a|ada@example.com", "workspaces", "")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.value, vec!["two".to_owned()]);

        cache
            .clear_profile("https://a|ada@example.com")
            .await
            .unwrap();
        let gone: Option<Cached<Vec<String>>> = cache
            .get("https://a|ada@example.com", "workspaces", "")
            .await
            .unwrap();
        assert!(gone.is_none());
    }

    #[tokio::test]
    async fn reopening_keeps_entries() {
        let dir = tempfile::tempdir().unwrap();
        {
            let cache = Cache::open(dir.path()).await.unwrap();
            cache.put("p", "k", "x", &42, Utc::now()).await.unwrap();
            cache.close().await;
        }
        let cache = Cache::open(dir.path()).await.unwrap();
        let got: Cached<i32> = cache.get("p", "k", "x").await.unwrap().unwrap();
        assert_eq!(got.value, 42);
        assert!(dir.path().join(CACHE_FILE).exists());
    }
}
