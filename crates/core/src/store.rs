//! The database connection: one pool of either SQLite or PostgreSQL, the
//! migrations of each, and a handful of helpers that run one SQL text with
//! positional `$n` arguments against whichever database is open. The SQL in
//! the Service is written once, in the dialect both databases share.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

use crate::error::{Error, Result};

/// One bound value.
#[derive(Clone)]
pub enum Arg {
    Uuid(Uuid),
    OptUuid(Option<Uuid>),
    I32(i32),
    OptI32(Option<i32>),
    I64(i64),
    OptI64(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Bool(bool),
    Bytes(Vec<u8>),
}

// Hashes and texts may be long; keep Debug output short and free of values.
impl std::fmt::Debug for Arg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Arg(..)")
    }
}

macro_rules! impl_arg_from {
    ($($t:ty => $v:ident),* $(,)?) => { $(impl From<$t> for Arg { fn from(x: $t) -> Self { Arg::$v(x) } })* };
}
impl_arg_from!(Uuid => Uuid, Option<Uuid> => OptUuid, i32 => I32, Option<i32> => OptI32, i64 => I64, Option<i64> => OptI64, String => Text,
    Option<String> => OptText, bool => Bool, Vec<u8> => Bytes);
impl From<&str> for Arg {
    fn from(x: &str) -> Self {
        Arg::Text(x.to_owned())
    }
}

/// Builds a `Vec<Arg>` from values of mixed types.
#[macro_export]
macro_rules! args {
    ($($e:expr),* $(,)?) => { vec![$($crate::store::Arg::from($e)),*] };
}

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Uuid(v) => q.bind(v),
                Arg::OptUuid(v) => q.bind(v),
                Arg::I32(v) => q.bind(v),
                Arg::OptI32(v) => q.bind(v),
                Arg::I64(v) => q.bind(v),
                Arg::OptI64(v) => q.bind(v),
                Arg::Text(v) => q.bind(v),
                Arg::OptText(v) => q.bind(v),
                Arg::Bool(v) => q.bind(v),
                Arg::Bytes(v) => q.bind(v),
            };
        }
        q
    }};
}

/// A row type both databases can decode.
pub trait Record: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Record for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Generates the same query helpers for the pool and for a transaction.
macro_rules! query_helpers {
    ($self:ident) => {
        /// Runs a statement; returns the number of rows it changed.
        pub async fn exec(&mut $self, sql: &str, args: Vec<Arg>) -> Result<u64> {
            Ok(match $self.target() {
                Target::Sqlite(c) => bind_all!(sqlx::query(sql), args).execute(c).await?.rows_affected(),
                Target::Postgres(c) => bind_all!(sqlx::query(sql), args).execute(c).await?.rows_affected(),
            })
        }
        pub async fn all<T: Record>(&mut $self, sql: &str, args: Vec<Arg>) -> Result<Vec<T>> {
            Ok(match $self.target() {
                Target::Sqlite(c) => bind_all!(sqlx::query_as::<_, T>(sql), args).fetch_all(c).await?,
                Target::Postgres(c) => bind_all!(sqlx::query_as::<_, T>(sql), args).fetch_all(c).await?,
            })
        }
        pub async fn opt<T: Record>(&mut $self, sql: &str, args: Vec<Arg>) -> Result<Option<T>> {
            Ok(match $self.target() {
                Target::Sqlite(c) => bind_all!(sqlx::query_as::<_, T>(sql), args).fetch_optional(c).await?,
                Target::Postgres(c) => bind_all!(sqlx::query_as::<_, T>(sql), args).fetch_optional(c).await?,
            })
        }
        pub async fn one<T: Record>(&mut $self, sql: &str, args: Vec<Arg>) -> Result<T> {
            Ok(match $self.target() {
                Target::Sqlite(c) => bind_all!(sqlx::query_as::<_, T>(sql), args).fetch_one(c).await?,
                Target::Postgres(c) => bind_all!(sqlx::query_as::<_, T>(sql), args).fetch_one(c).await?,
            })
        }
        /// A single BIGINT value (use `CAST(... AS BIGINT)` for sums).
        pub async fn int(&mut $self, sql: &str, args: Vec<Arg>) -> Result<i64> {
            let (v,): (i64,) = $self.one(sql, args).await?;
            Ok(v)
        }
    };
}

enum Target<'a> {
    Sqlite(&'a mut sqlx::SqliteConnection),
    Postgres(&'a mut sqlx::PgConnection),
}

/// An open transaction; every Service operation, reads included, runs in one.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    fn target(&mut self) -> Target<'_> {
        match self {
            Tx::Sqlite(t) => Target::Sqlite(&mut *t),
            Tx::Postgres(t) => Target::Postgres(&mut *t),
        }
    }
    query_helpers!(self);

    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

impl Db {
    /// Opens `sqlite://path` (created if missing, WAL journal) or
    /// `postgres://...`, and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Db> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts =
                PgConnectOptions::from_str(url).map_err(|e| Error::validation("database", format!("invalid PostgreSQL URL: {e}")))?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(|e| Error::internal(format!("cannot connect to PostgreSQL: {e}")))?;
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
            Db::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| Error::validation("database", format!("invalid SQLite URL: {e}")))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(opts)
                .await
                .map_err(|e| Error::internal(format!("cannot open SQLite database: {e}")))?;
            sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
            Db::Sqlite(pool)
        } else {
            return Err(Error::validation("database", "database must be a sqlite: or postgres:// URL"));
        };
        Ok(db)
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }

    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            // IMMEDIATE takes SQLite's write lock up front: a transaction
            // that reads and then writes can then never fail half-way with
            // "database is locked" because another one got there first;
            // it waits (busy timeout) at the start instead.
            Db::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }
}
