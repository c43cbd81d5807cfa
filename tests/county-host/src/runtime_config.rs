//! The part of a Spin runtime config (`spin up --runtime-config-file`) this host acts on: the
//! backend of the `default` key-value store.
//!
//! ```toml
//! [key_value_store.default]
//! type = "spin"                 # SQLite, Spin's default
//! path = ".spin/sqlite_key_value.db"
//!
//! [key_value_store.default]
//! type = "redis"
//! url = "redis://redis.county.internal:6379"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use serde::Deserialize;

use crate::KvStore;

#[derive(Debug, Deserialize)]
struct RuntimeConfig {
    #[serde(default)]
    key_value_store: BTreeMap<String, StoreConfig>,
}

/// A key-value store's backend, as Spin's runtime config names it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum StoreConfig {
    /// SQLite in a file; Spin's default is `.spin/sqlite_key_value.db`.
    Spin {
        path: Option<PathBuf>,
    },
    Redis {
        url: String,
    },
}

impl StoreConfig {
    /// The `default` store of a runtime config file; relative paths are taken from the file's
    /// folder, as Spin does.
    pub fn from_file(file: &Path) -> Result<StoreConfig> {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let config: RuntimeConfig =
            toml::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
        let Some(store) = config.key_value_store.get("default").cloned() else {
            bail!("{} has no [key_value_store.default]", file.display());
        };
        Ok(match store {
            StoreConfig::Spin { path: Some(path) } if path.is_relative() => StoreConfig::Spin {
                path: Some(file.parent().unwrap_or(Path::new(".")).join(path)),
            },
            other => other,
        })
    }

    pub fn open(&self) -> Result<KvStore> {
        match self {
            StoreConfig::Spin { path } => KvStore::open(
                path.as_deref()
                    .unwrap_or(Path::new(".spin/sqlite_key_value.db")),
            ),
            StoreConfig::Redis { url } => KvStore::redis(url),
        }
    }

    /// Where the data lives, for the startup message (a Redis URL without its password).
    pub fn describe(&self) -> String {
        match self {
            StoreConfig::Spin { path } => format!(
                "SQLite {}",
                path.as_deref()
                    .unwrap_or(Path::new(".spin/sqlite_key_value.db"))
                    .display()
            ),
            StoreConfig::Redis { url } => {
                let host = url.rsplit('@').next().unwrap_or(url);
                format!("Redis {}", host.trim_start_matches("redis://"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_backends_as_spin_writes_them() {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("runtime-config.toml");
        std::fs::write(
            &file,
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://:pw@10.0.0.5:6379/2\"\n",
        )
        .unwrap();
        let redis = StoreConfig::from_file(&file).unwrap();
        assert_eq!(
            redis,
            StoreConfig::Redis {
                url: "redis://:pw@10.0.0.5:6379/2".into()
            }
        );
        assert_eq!(redis.describe(), "Redis 10.0.0.5:6379/2");
        std::fs::write(
            &file,
            "[key_value_store.default]\ntype = \"spin\"\npath = \"data/kv.db\"\n",
        )
        .unwrap();
        assert_eq!(
            StoreConfig::from_file(&file).unwrap(),
            StoreConfig::Spin {
                path: Some(folder.path().join("data/kv.db"))
            }
        );
    }
}
