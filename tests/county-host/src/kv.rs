//! The key-value store behind the host, with the semantics of the two Spin 4.0.2 backends a
//! county runs on, traps included, so that no test passes on behaviour Spin lacks:
//!
//! **SQLite** (Spin's default `spin` backend, crates/key-value-spin): the same table, in memory
//! for tests or in a file that survives restarts.
//! - a compare-and-swap whose `current()` saw no value swaps by upsert, detecting nothing;
//! - `increment` keeps 8-byte little-endian integers and traps on a key holding anything else.
//!
//! **Redis** (crates/key-value-redis), against a real `redis-server`, command for command:
//! - every label shares one keyspace;
//! - `increment` is `INCRBY`, the value decimal text;
//! - a compare-and-swap opens its own connection; `current()` sends `WATCH key` and `GET key`;
//!   `swap` sends `MULTI`, `SET`, `EXEC` and then `UNWATCH key`, which Redis refuses (UNWATCH
//!   takes no argument), so every swap reports `cas-failed` — whether or not its `SET` landed.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result, anyhow};
use rusqlite::{Connection, OptionalExtension, params};

pub struct KvStore {
    backend: Backend,
    /// Operations left before an injected failure; negative when none is armed.
    fault_in: AtomicI64,
    /// Operations left before the instance making them is killed; negative when none is armed.
    kill_in: AtomicI64,
}

enum Backend {
    Sqlite(Mutex<Connection>),
    Redis(RedisStore),
}

struct RedisStore {
    url: String,
    client: redis::Client,
    /// Connections not in use; an operation takes one or opens another.
    idle: Mutex<Vec<redis::Connection>>,
}

/// A store operation's failure as the guest sees it (`wasi:keyvalue/store.error.other`).
pub type StoreResult<T> = std::result::Result<T, String>;

/// How a swap failed, as Spin's `SwapError`.
pub enum SwapError {
    CasFailed(String),
    Other(String),
}

/// A compare-and-swap in progress, as each backend keeps it.
pub enum Cas {
    Sqlite {
        label: String,
        key: String,
        /// What `current()` saw; `None` until it was called (then the swap is an upsert).
        seen: Option<Vec<u8>>,
    },
    Redis {
        key: String,
        /// Its own connection: WATCH is scoped to a connection.
        connection: Box<redis::Connection>,
    },
}

/// Databases the test `redis-server` is started with (`--databases`); each test county takes
/// its own (see [`KvStore::redis_fresh_database`]).
pub const TEST_DATABASES: i64 = 1024;

/// A key and its value, if it has one: what a batch read answers.
pub type KeyValue = (String, Option<Vec<u8>>);

fn redis_error(e: redis::RedisError) -> String {
    format!("{e:?}")
}

/// Every call on the SQLite store as Spin 4.0.2's `key-value-spin` makes it: inside
/// `tokio::task::block_in_place`, which first hands the worker thread's other tasks to another
/// thread, then on the one connection of the process, behind its mutex, so that the calls of
/// all requests run one at a time (docs/spin.md). A current-thread runtime has no tasks to hand
/// over: there the call is made as it is.
fn on_connection<T>(connection: &Mutex<Connection>, f: impl FnOnce(&mut Connection) -> T) -> T {
    let call = || f(&mut connection.lock().expect("store lock"));
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) if runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(call)
        }
        _ => call(),
    }
}

impl KvStore {
    fn with_backend(backend: Backend) -> KvStore {
        KvStore {
            backend,
            fault_in: AtomicI64::new(-1),
            kill_in: AtomicI64::new(-1),
        }
    }

    pub fn in_memory() -> Result<KvStore> {
        KvStore::sqlite(Connection::open_in_memory()?)
    }

    /// A file-backed store, compatible with Spin's `.spin/sqlite_key_value.db`.
    pub fn open(path: &Path) -> Result<KvStore> {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        KvStore::sqlite(
            Connection::open(path).with_context(|| format!("opening {}", path.display()))?,
        )
    }

    fn sqlite(connection: Connection) -> Result<KvStore> {
        connection.execute(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
                store TEXT NOT NULL,
                key   TEXT NOT NULL,
                value BLOB NOT NULL,
                PRIMARY KEY (store, key)
            )",
            [],
        )?;
        Ok(KvStore::with_backend(Backend::Sqlite(Mutex::new(
            connection,
        ))))
    }

    /// A Redis store at `url` (`redis://host:port/db`), as a runtime config's
    /// `type = "redis"` gives Spin.
    pub fn redis(url: &str) -> Result<KvStore> {
        let client = redis::Client::open(url).with_context(|| format!("Redis URL {url}"))?;
        let mut connection = client
            .get_connection()
            .with_context(|| format!("connecting to Redis at {url}"))?;
        redis::cmd("PING")
            .exec(&mut connection)
            .map_err(|e| anyhow!("Redis at {url}: {e}"))?;
        Ok(KvStore::with_backend(Backend::Redis(RedisStore {
            url: url.to_owned(),
            client,
            idle: Mutex::new(vec![connection]),
        })))
    }

    /// A Redis store on an empty database of the server at `server` (`redis://host:port`),
    /// taken in turn from its `TEST_DATABASES` (database 0 holds the turn): each test county
    /// gets a keyspace of its own, as it would get a Redis of its own.
    pub fn redis_fresh_database(server: &str) -> Result<KvStore> {
        let server = server.trim_end_matches('/');
        let mut zero = redis::Client::open(format!("{server}/0"))?.get_connection()?;
        let turn: i64 = redis::cmd("INCR")
            .arg("county-host:next-test-database")
            .query(&mut zero)?;
        let database = 1 + (turn - 1) % (TEST_DATABASES - 1);
        let store = KvStore::redis(&format!("{server}/{database}"))?;
        if let Backend::Redis(redis) = &store.backend {
            redis
                .with(|c| redis::cmd("FLUSHDB").exec(c))
                .map_err(|e| anyhow!("FLUSHDB: {e}"))?;
        }
        Ok(store)
    }

    pub fn is_redis(&self) -> bool {
        matches!(self.backend, Backend::Redis(_))
    }

    /// The same data as another replica reaches it: a Redis store through connections of its
    /// own; a SQLite store shared (as instances on one machine share its file).
    pub fn replica(self: &Arc<KvStore>) -> Result<Arc<KvStore>> {
        match &self.backend {
            Backend::Redis(redis) => Ok(Arc::new(KvStore::redis(&redis.url)?)),
            Backend::Sqlite(_) => Ok(self.clone()),
        }
    }

    /// Makes the `k`-th guest operation from now (1-based) fail with a store error, once: the
    /// reliability tests' way of killing a request at every step.
    pub fn fail_at(&self, k: i64) {
        self.fault_in.store(k, Ordering::SeqCst);
    }

    /// Whether the armed failure has happened (or none was armed).
    pub fn fault_spent(&self) -> bool {
        self.fault_in.load(Ordering::SeqCst) <= 0
    }

    /// Kills the instance that makes the `k`-th store call from now (1-based), once, before
    /// the call does anything: a pod evicted or a node lost between two store operations. No
    /// compensation of the guest's runs.
    pub fn kill_at(&self, k: i64) {
        self.kill_in.store(k, Ordering::SeqCst);
    }

    /// Whether the armed kill has happened (or none was armed).
    pub fn kill_spent(&self) -> bool {
        self.kill_in.load(Ordering::SeqCst) <= 0
    }

    /// Counts a guest's store call against an armed kill: true when this call is the one.
    pub fn killed_now(&self) -> bool {
        match self.kill_in.fetch_sub(1, Ordering::SeqCst) {
            1 => true,
            n if n <= 0 => {
                self.kill_in.store(-1, Ordering::SeqCst);
                false
            }
            _ => false,
        }
    }

    fn injected_fault(&self) -> StoreResult<()> {
        match self.fault_in.fetch_sub(1, Ordering::SeqCst) {
            1 => Err("injected fault".to_owned()),
            n if n <= 0 => {
                self.fault_in.store(-1, Ordering::SeqCst);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn sql<T>(
        connection: &Mutex<Connection>,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> StoreResult<T> {
        on_connection(connection, f).map_err(|e| e.to_string())
    }

    pub fn get(&self, store: &str, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.injected_fault()?;
        match &self.backend {
            Backend::Sqlite(c) => Self::sql(c, |c| sqlite_get(c, store, key)),
            Backend::Redis(r) => r.with(|c| redis::cmd("GET").arg(key).query(c)),
        }
    }

    pub fn set(&self, store: &str, key: &str, value: &[u8]) -> StoreResult<()> {
        self.injected_fault()?;
        match &self.backend {
            Backend::Sqlite(c) => Self::sql(c, |c| sqlite_set(c, store, key, value)),
            Backend::Redis(r) => r.with(|c| redis::cmd("SET").arg(key).arg(value).exec(c)),
        }
    }

    pub fn delete(&self, store: &str, key: &str) -> StoreResult<()> {
        self.injected_fault()?;
        match &self.backend {
            Backend::Sqlite(c) => Self::sql(c, |c| {
                c.prepare_cached("DELETE FROM spin_key_value WHERE store=?1 AND key=?2")?
                    .execute(params![store, key])
                    .map(drop)
            }),
            Backend::Redis(r) => r.with(|c| redis::cmd("DEL").arg(key).exec(c)),
        }
    }

    /// `wasi:keyvalue/batch.get-many` as Spin 4.0.2 does it. SQLite: one query
    /// (`key IN rarray(...)`), the keys found, in the primary key's order, missing ones left
    /// out. Redis: Spin sends `KEYS` with the keys as its arguments (redis-rs's `keys`, where
    /// `MGET` was meant), so with two keys or more Redis refuses the command's arity, and with
    /// one it answers the key's name if it exists, which redis-rs 0.32.7 panics decoding as
    /// (key, value) pairs: a trap (the outer `Err`). This does the same, with the same redis-rs.
    pub fn get_many(&self, store: &str, keys: &[String]) -> Result<StoreResult<Vec<KeyValue>>> {
        if let Err(fault) = self.injected_fault() {
            return Ok(Err(fault));
        }
        if let Backend::Redis(r) = &self.backend {
            let query =
                std::panic::AssertUnwindSafe(|| r.with(|c| redis::cmd("KEYS").arg(keys).query(c)));
            return std::panic::catch_unwind(query)
                .map_err(|_| anyhow!("redis-rs panicked decoding the answer to KEYS {keys:?}"));
        }
        Ok(match &self.backend {
            Backend::Sqlite(c) => Self::sql(c, |c| {
                let mut found = Vec::new();
                for key in keys {
                    if let Some(value) = sqlite_get(c, store, key)? {
                        found.push((key.clone(), Some(value)));
                    }
                }
                found.sort();
                found.dedup_by(|a, b| a.0 == b.0);
                Ok(found)
            }),
            Backend::Redis(_) => unreachable!("answered above"),
        })
    }

    /// `wasi:keyvalue/batch.set-many` as Spin 4.0.2 does it: on SQLite one transaction (one
    /// commit for all the values), on Redis one `MSET`; all or nothing on both.
    pub fn set_many(&self, store: &str, values: &[(String, Vec<u8>)]) -> StoreResult<()> {
        self.injected_fault()?;
        match &self.backend {
            Backend::Sqlite(c) => Self::sql(c, |c| {
                let transaction = c.transaction()?;
                for (key, value) in values {
                    sqlite_set(&transaction, store, key, value)?;
                }
                transaction.commit()
            }),
            Backend::Redis(r) => r.with(|c| {
                let mut command = redis::cmd("MSET");
                for (key, value) in values {
                    command.arg(key).arg(value);
                }
                command.exec(c)
            }),
        }
    }

    /// `wasi:keyvalue/batch.delete-many`: one statement on SQLite, one `DEL` on Redis.
    pub fn delete_many(&self, store: &str, keys: &[String]) -> StoreResult<()> {
        self.injected_fault()?;
        match &self.backend {
            Backend::Sqlite(c) => Self::sql(c, |c| {
                for key in keys {
                    c.prepare_cached("DELETE FROM spin_key_value WHERE store=?1 AND key=?2")?
                        .execute(params![store, key])?;
                }
                Ok(())
            }),
            Backend::Redis(r) => r.with(|c| redis::cmd("DEL").arg(keys).exec(c)),
        }
    }

    pub fn exists(&self, store: &str, key: &str) -> StoreResult<bool> {
        match &self.backend {
            Backend::Sqlite(_) => self.get(store, key).map(|v| v.is_some()),
            Backend::Redis(r) => {
                self.injected_fault()?;
                r.with(|c| redis::cmd("EXISTS").arg(key).query(c))
            }
        }
    }

    /// Every key of a store: a full scan, as on every real backend (Redis: `KEYS *`, every
    /// label's keys alike).
    pub fn keys(&self, store: &str) -> StoreResult<Vec<String>> {
        self.injected_fault()?;
        match &self.backend {
            Backend::Sqlite(c) => Self::sql(c, |c| {
                c.prepare_cached("SELECT key FROM spin_key_value WHERE store=?1 ORDER BY key")?
                    .query_map(params![store], |row| row.get(0))?
                    .collect()
            }),
            Backend::Redis(r) => {
                let mut keys: Vec<String> = r.with(|c| redis::cmd("KEYS").arg("*").query(c))?;
                keys.sort();
                Ok(keys)
            }
        }
    }

    /// The number of keys (for benchmarks and tests; no guest can ask this).
    pub fn len(&self, store: &str) -> StoreResult<usize> {
        match &self.backend {
            Backend::Sqlite(c) => Self::sql(c, |c| {
                c.query_row(
                    "SELECT COUNT(*) FROM spin_key_value WHERE store=?1",
                    params![store],
                    |r| r.get(0),
                )
            }),
            Backend::Redis(r) => r.with(|c| redis::cmd("DBSIZE").query(c)),
        }
    }

    /// Atomic add. The outer `Err` is a trap: Spin's SQLite backend panics on a value that is
    /// not an 8-byte integer. Redis refuses a value that is not an integer with an error.
    pub fn increment(&self, store: &str, key: &str, delta: i64) -> Result<StoreResult<i64>> {
        if let Err(fault) = self.injected_fault() {
            return Ok(Err(fault));
        }
        match &self.backend {
            Backend::Sqlite(c) => on_connection(c, |connection| {
                sqlite_increment(connection, store, key, delta)
            }),
            Backend::Redis(r) => Ok(r.with(|c| redis::cmd("INCRBY").arg(key).arg(delta).query(c))),
        }
    }

    /// A new compare-and-swap on `key`. Redis gives it a connection of its own.
    pub fn cas_new(&self, store: &str, key: &str) -> StoreResult<Cas> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(Cas::Sqlite {
                label: store.to_owned(),
                key: key.to_owned(),
                seen: None,
            }),
            Backend::Redis(r) => Ok(Cas::Redis {
                key: key.to_owned(),
                connection: Box::new(r.client.get_connection().map_err(redis_error)?),
            }),
        }
    }

    /// The value now, remembered (SQLite) or watched (Redis) for the swap.
    pub fn cas_current(&self, cas: &mut Cas) -> StoreResult<Option<Vec<u8>>> {
        self.injected_fault()?;
        match (&self.backend, cas) {
            (Backend::Sqlite(c), Cas::Sqlite { label, key, seen }) => {
                let value = Self::sql(c, |c| sqlite_get(c, label, key))?;
                seen.clone_from(&value);
                Ok(value)
            }
            (Backend::Redis(_), Cas::Redis { key, connection }) => {
                redis::cmd("WATCH")
                    .arg(&*key)
                    .exec(connection)
                    .map_err(redis_error)?;
                redis::cmd("GET")
                    .arg(&*key)
                    .query(connection)
                    .map_err(redis_error)
            }
            _ => Err("a compare-and-swap of another store".to_owned()),
        }
    }

    /// The swap, exactly as each Spin 4.0.2 backend does it.
    pub fn cas_swap(&self, cas: Cas, value: &[u8]) -> std::result::Result<(), SwapError> {
        self.injected_fault().map_err(SwapError::Other)?;
        match (&self.backend, cas) {
            (Backend::Sqlite(c), Cas::Sqlite { label, key, seen }) => {
                let swapped = match seen {
                    Some(old) => Self::sql(c, |c| {
                        c.prepare_cached(
                            "UPDATE spin_key_value SET value=?4 WHERE store=?1 AND key=?2 AND value=?3",
                        )?
                        .execute(params![label, key, old, value])
                        .map(|rows| rows == 1)
                    }),
                    // Spin: from absent (or without `current()`), an upsert.
                    None => Self::sql(c, |c| sqlite_set(c, &label, &key, value)).map(|_| true),
                };
                match swapped {
                    Ok(true) => Ok(()),
                    Ok(false) => Err(SwapError::CasFailed("value changed".to_owned())),
                    Err(e) => Err(SwapError::Other(e)),
                }
            }
            (
                Backend::Redis(_),
                Cas::Redis {
                    key,
                    mut connection,
                },
            ) => {
                let transaction: redis::RedisResult<()> = redis::pipe()
                    .atomic()
                    .set(&key, value)
                    .query(&mut *connection);
                redis::cmd("UNWATCH")
                    .arg(&key)
                    .exec(&mut *connection)
                    .map_err(|e| SwapError::CasFailed(redis_error(e)))?;
                transaction.map_err(|e| SwapError::CasFailed(redis_error(e)))
            }
            _ => Err(SwapError::Other(
                "a compare-and-swap of another store".to_owned(),
            )),
        }
    }
}

impl RedisStore {
    /// Runs one command on an idle connection (or a new one), then gives it back.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> StoreResult<T> {
        let idle = self.idle.lock().expect("connection pool").pop();
        let mut connection = match idle {
            Some(c) => c,
            None => self.client.get_connection().map_err(redis_error)?,
        };
        let result = f(&mut connection).map_err(redis_error);
        // A connection that failed mid-command may be broken: only healthy ones go back.
        if result.is_ok() {
            self.idle.lock().expect("connection pool").push(connection);
        }
        result
    }
}

fn sqlite_get(c: &mut Connection, store: &str, key: &str) -> rusqlite::Result<Option<Vec<u8>>> {
    c.prepare_cached("SELECT value FROM spin_key_value WHERE store=?1 AND key=?2")?
        .query_row(params![store, key], |row| row.get(0))
        .optional()
}

fn sqlite_set(c: &Connection, store: &str, key: &str, value: &[u8]) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
         ON CONFLICT(store, key) DO UPDATE SET value=?3",
    )?
    .execute(params![store, key, value])
    .map(drop)
}

fn sqlite_increment(
    connection: &mut Connection,
    store: &str,
    key: &str,
    delta: i64,
) -> Result<StoreResult<i64>> {
    let tx = match connection.transaction() {
        Ok(tx) => tx,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let current: Option<Vec<u8>> = match tx
        .query_row(
            "SELECT value FROM spin_key_value WHERE store=?1 AND key=?2",
            params![store, key],
            |r| r.get(0),
        )
        .optional()
    {
        Ok(v) => v,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let number = match current {
        None => 0,
        Some(bytes) => {
            let bytes: [u8; 8] = bytes.try_into().map_err(|_| {
                anyhow!("increment of key {key}, which holds a value that is not a counter (Spin's SQLite backend panics here)")
            })?;
            i64::from_le_bytes(bytes)
        }
    };
    let next = number + delta;
    let written = tx
        .execute(
            "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT(store, key) DO UPDATE SET value=?3",
            params![store, key, next.to_le_bytes().to_vec()],
        )
        .and_then(|_| tx.commit());
    Ok(written.map(|_| next).map_err(|e| e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn swap(kv: &KvStore, key: &str, read_first: bool, value: &[u8]) -> bool {
        let mut cas = kv.cas_new("default", key).unwrap();
        if read_first {
            kv.cas_current(&mut cas).unwrap();
        }
        kv.cas_swap(cas, value).is_ok()
    }

    #[test]
    fn counters_are_little_endian_and_trap_on_other_values() {
        let kv = KvStore::in_memory().unwrap();
        assert_eq!(kv.increment("default", "n", 0).unwrap().unwrap(), 0);
        assert_eq!(kv.increment("default", "n", 3).unwrap().unwrap(), 3);
        assert_eq!(kv.get("default", "n").unwrap().unwrap(), 3i64.to_le_bytes());
        kv.set("default", "json", b"\"x\"").unwrap();
        assert!(kv.increment("default", "json", 1).is_err());
    }

    #[test]
    fn swap_detects_changes_but_not_from_absent() {
        let kv = KvStore::in_memory().unwrap();
        assert!(swap(&kv, "k", true, b"first"));
        // Another writer's `current()` also saw nothing: its swap upserts over the first.
        let mut late = kv.cas_new("default", "k2").unwrap();
        kv.cas_current(&mut late).unwrap();
        assert!(swap(&kv, "k2", true, b"one"));
        assert!(kv.cas_swap(late, b"two").is_ok(), "upsert from absent");
        let mut stale = kv.cas_new("default", "k").unwrap();
        kv.cas_current(&mut stale).unwrap();
        assert!(swap(&kv, "k", true, b"second"));
        assert!(matches!(
            kv.cas_swap(stale, b"third"),
            Err(SwapError::CasFailed(_))
        ));
        assert_eq!(kv.get("default", "k").unwrap().unwrap(), b"second");
    }

    #[test]
    fn labels_are_separate_stores() {
        let kv = KvStore::in_memory().unwrap();
        kv.set("a", "k", b"1").unwrap();
        assert!(kv.get("b", "k").unwrap().is_none());
        assert_eq!(kv.keys("a").unwrap(), ["k"]);
    }

    /// Runs against the `redis-server` that `scripts/test.sh` starts (`COUNTY_TEST_REDIS`).
    fn redis() -> Option<KvStore> {
        let server = std::env::var("COUNTY_TEST_REDIS").ok()?;
        Some(KvStore::redis_fresh_database(&server).unwrap())
    }

    #[test]
    fn redis_swaps_always_report_failure_whether_or_not_they_landed() {
        let Some(kv) = redis() else { return };
        // Unchanged since `current()`: the SET lands, the swap still fails.
        let mut cas = kv.cas_new("default", "doc").unwrap();
        assert_eq!(kv.cas_current(&mut cas).unwrap(), None);
        assert!(matches!(
            kv.cas_swap(cas, b"mine"),
            Err(SwapError::CasFailed(_))
        ));
        assert_eq!(kv.get("default", "doc").unwrap().unwrap(), b"mine");
        // Changed since `current()`: EXEC aborts, nothing lands, the swap fails alike.
        let mut cas = kv.cas_new("default", "doc").unwrap();
        kv.cas_current(&mut cas).unwrap();
        kv.set("default", "doc", b"theirs").unwrap();
        assert!(matches!(
            kv.cas_swap(cas, b"mine again"),
            Err(SwapError::CasFailed(_))
        ));
        assert_eq!(kv.get("default", "doc").unwrap().unwrap(), b"theirs");
    }

    #[test]
    fn redis_counts_in_decimal_text_and_ignores_labels() {
        let Some(kv) = redis() else { return };
        assert_eq!(kv.increment("default", "n", 5).unwrap().unwrap(), 5);
        assert_eq!(kv.get("other", "n").unwrap().unwrap(), b"5");
        kv.set("default", "json", b"\"x\"").unwrap();
        assert!(
            kv.increment("default", "json", 1).unwrap().is_err(),
            "an error, not a trap"
        );
        assert_eq!(kv.keys("any-label").unwrap(), ["json", "n"]);
    }

    #[test]
    fn batches_read_and_write_many_keys_in_one_call_but_spins_redis_get_many_reads_none() {
        let sqlite = KvStore::in_memory().unwrap();
        let values = [
            ("b".to_owned(), b"2".to_vec()),
            ("a".to_owned(), b"1".to_vec()),
        ];
        sqlite.set_many("default", &values).unwrap();
        let keys = ["b".to_owned(), "missing".to_owned(), "a".to_owned()];
        // Found keys only, in key order, as Spin's `IN rarray(...)` query answers.
        assert_eq!(
            sqlite.get_many("default", &keys).unwrap().unwrap(),
            [
                ("a".to_owned(), Some(b"1".to_vec())),
                ("b".to_owned(), Some(b"2".to_vec()))
            ]
        );
        let Some(redis) = redis() else { return };
        redis.set_many("default", &values).unwrap();
        assert_eq!(redis.get("default", "a").unwrap().unwrap(), b"1");
        // `KEYS b missing a`: refused for its arity, an error.
        assert!(redis.get_many("default", &keys).unwrap().is_err());
        // `KEYS a`: the key's name, on which redis-rs panics: a trap.
        assert!(redis.get_many("default", &keys[2..]).is_err());
        // `KEYS missing`: nothing, as if the key were absent, which it is.
        assert_eq!(redis.get_many("default", &keys[1..2]).unwrap().unwrap(), []);
    }
}
