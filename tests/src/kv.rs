//! The key-value store behind the host: the same SQLite table and the same semantics as Spin's
//! default `spin` backend (crates/key-value-spin in Spin 4), in memory for tests or in a file
//! that survives restarts. Its traps are kept on purpose, so that no test passes on behaviour
//! Spin lacks:
//! - a compare-and-swap whose `current()` saw no value swaps by upsert, detecting nothing;
//! - `increment` keeps 8-byte little-endian integers and traps on a key holding anything else.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use anyhow::{Context as _, Result};
use rusqlite::{Connection, OptionalExtension, params};

pub struct KvStore {
    connection: Mutex<Connection>,
    /// Operations left before an injected failure; negative when none is armed.
    fault_in: AtomicI64,
}

/// A store operation's failure as the guest sees it (`wasi:keyvalue/store.error.other`).
pub type StoreResult<T> = std::result::Result<T, String>;

impl KvStore {
    pub fn in_memory() -> Result<KvStore> {
        KvStore::with(Connection::open_in_memory()?)
    }

    /// A file-backed store, compatible with Spin's `.spin/sqlite_key_value.db`.
    pub fn open(path: &Path) -> Result<KvStore> {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        KvStore::with(
            Connection::open(path).with_context(|| format!("opening {}", path.display()))?,
        )
    }

    fn with(connection: Connection) -> Result<KvStore> {
        connection.execute(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
                store TEXT NOT NULL,
                key   TEXT NOT NULL,
                value BLOB NOT NULL,
                PRIMARY KEY (store, key)
            )",
            [],
        )?;
        Ok(KvStore {
            connection: Mutex::new(connection),
            fault_in: AtomicI64::new(-1),
        })
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

    fn run<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        self.injected_fault()?;
        let mut connection = self.connection.lock().expect("store lock");
        f(&mut connection).map_err(|e| e.to_string())
    }

    pub fn get(&self, store: &str, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.run(|c| {
            c.prepare_cached("SELECT value FROM spin_key_value WHERE store=?1 AND key=?2")?
                .query_row(params![store, key], |row| row.get(0))
                .optional()
        })
    }

    pub fn set(&self, store: &str, key: &str, value: &[u8]) -> StoreResult<()> {
        self.run(|c| {
            c.prepare_cached(
                "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT(store, key) DO UPDATE SET value=?3",
            )?
            .execute(params![store, key, value])
            .map(drop)
        })
    }

    pub fn delete(&self, store: &str, key: &str) -> StoreResult<()> {
        self.run(|c| {
            c.prepare_cached("DELETE FROM spin_key_value WHERE store=?1 AND key=?2")?
                .execute(params![store, key])
                .map(drop)
        })
    }

    pub fn exists(&self, store: &str, key: &str) -> StoreResult<bool> {
        self.get(store, key).map(|v| v.is_some())
    }

    /// Every key of a store: a full scan, as on every real backend.
    pub fn keys(&self, store: &str) -> StoreResult<Vec<String>> {
        self.run(|c| {
            c.prepare_cached("SELECT key FROM spin_key_value WHERE store=?1 ORDER BY key")?
                .query_map(params![store], |row| row.get(0))?
                .collect()
        })
    }

    /// The number of keys in a store (for benchmarks and tests; no guest can ask this).
    pub fn len(&self, store: &str) -> StoreResult<usize> {
        self.run(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM spin_key_value WHERE store=?1",
                params![store],
                |r| r.get(0),
            )
        })
    }

    /// Atomic add. `Err` is a trap: Spin's SQLite backend panics on a value that is not an
    /// 8-byte integer.
    pub fn increment(&self, store: &str, key: &str, delta: i64) -> Result<StoreResult<i64>> {
        if let Err(fault) = self.injected_fault() {
            return Ok(Err(fault));
        }
        let mut connection = self.connection.lock().expect("store lock");
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
                    anyhow::anyhow!("increment of key {key}, which holds a value that is not a counter (Spin's SQLite backend panics here)")
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

    /// Compare-and-swap against what `current()` saw. From absent this is an upsert that
    /// always succeeds, exactly as on Spin's SQLite backend.
    pub fn swap(
        &self,
        store: &str,
        key: &str,
        seen: Option<&[u8]>,
        value: &[u8],
    ) -> StoreResult<bool> {
        match seen {
            Some(old) => self.run(|c| {
                c.prepare_cached(
                    "UPDATE spin_key_value SET value=?4 WHERE store=?1 AND key=?2 AND value=?3",
                )?
                .execute(params![store, key, old, value])
                .map(|rows| rows == 1)
            }),
            None => self.set(store, key, value).map(|_| true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(kv.swap("default", "k", None, b"first").unwrap());
        assert!(
            kv.swap("default", "k", None, b"second").unwrap(),
            "upsert from absent"
        );
        assert!(!kv.swap("default", "k", Some(b"first"), b"third").unwrap());
        assert!(kv.swap("default", "k", Some(b"second"), b"third").unwrap());
        assert_eq!(kv.get("default", "k").unwrap().unwrap(), b"third");
    }

    #[test]
    fn labels_are_separate_stores() {
        let kv = KvStore::in_memory().unwrap();
        kv.set("a", "k", b"1").unwrap();
        assert!(kv.get("b", "k").unwrap().is_none());
        assert_eq!(kv.keys("a").unwrap(), ["k"]);
    }
}
