//! What the `county-host` and `county-ops` commands share: their options, the application
//! variables from the environment as `spin up` reads them, the store a command names, and
//! creating an admin account through the API.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use subsidy_rules::auth::Role;

use crate::runtime_config::StoreConfig;
use crate::{Host, client};

/// `--name value` options, each at most once.
pub fn options(args: &[String], allowed: &[&str], usage: &str) -> Result<BTreeMap<String, String>> {
    let mut options = BTreeMap::new();
    let mut rest = args.iter();
    while let Some(name) = rest.next() {
        let Some(key) = name.strip_prefix("--").filter(|k| allowed.contains(k)) else {
            bail!("unknown option {name}\n{usage}");
        };
        let value = rest
            .next()
            .with_context(|| format!("{name} needs a value"))?;
        options.insert(key.to_owned(), value.clone());
    }
    Ok(options)
}

/// The application variables from the environment, as `spin up` reads them.
pub fn spin_variables() -> BTreeMap<String, String> {
    std::env::vars()
        .filter_map(|(k, v)| {
            k.strip_prefix("SPIN_VARIABLE_")
                .map(|name| (name.to_lowercase(), v))
        })
        .collect()
}

/// The manifest and the store the options name (`--manifest`, `--store`,
/// `--runtime-config-file`).
pub fn manifest_and_store(options: &BTreeMap<String, String>) -> Result<(PathBuf, StoreConfig)> {
    let manifest = PathBuf::from(options.get("manifest").map_or("spin.toml", String::as_str));
    let store = match (options.get("runtime-config-file"), options.get("store")) {
        (Some(_), Some(_)) => bail!("give --store or --runtime-config-file, not both"),
        (Some(file), None) => StoreConfig::from_file(Path::new(file))?,
        (None, store) => StoreConfig::Spin {
            path: Some(PathBuf::from(store.map_or(".data/kv.db", String::as_str))),
        },
    };
    Ok((manifest, store))
}

pub fn operator_secret(variables: &BTreeMap<String, String>) -> Result<String> {
    variables
        .get("operator_token_secret")
        .cloned()
        .context("SPIN_VARIABLE_OPERATOR_TOKEN_SECRET is not set")
}

/// Creates an admin account through the API, as an admin of the county's identity service
/// would, with a fresh random password: the password.
pub async fn create_admin_account(
    host: &Host,
    variables: &BTreeMap<String, String>,
    login: &str,
    display_name: &str,
) -> Result<String> {
    let mut random = [0u8; 12];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut random)?;
    let password = hex::encode(random);
    let token = client::bearer_token(Role::Admin, "county-host", &operator_secret(variables)?);
    let body = serde_json::json!({
        "login": login, "display_name": display_name, "roles": ["admin"], "password": password,
    });
    let reply = client::call("POST", "/api/accounts")
        .bearer(&token)
        .json(&body)
        .send(host)
        .await;
    if reply.status != 201 {
        bail!(
            "creating the account answered {}: {}",
            reply.status,
            reply.json()
        );
    }
    Ok(password)
}

/// A course counter moved by `migrate_course_keys`.
#[derive(Debug, serde::Serialize)]
pub struct MovedCounter {
    pub from: String,
    pub to: String,
    pub value: i64,
}

/// Lists the county's keys (a full scan: offline only, with the app stopped) and moves each
/// course counter an earlier version kept under a 工种 code onto its 职业's counter
/// (`store_keys::course_counter_of_work_type`), adding to what is there. A run cut short
/// between the add and the delete of one key counts that key twice; what it printed says which.
pub fn migrate_course_keys(
    kv: &crate::kv::KvStore,
    county: &subsidy_rules::CountyCode,
) -> Result<Vec<MovedCounter>> {
    let failed = |e: String| anyhow::anyhow!("the store: {e}");
    let mut moved = Vec::new();
    for key in kv.keys("default").map_err(failed)? {
        let Some(to) = subsidy_rules::store_keys::course_counter_of_work_type(county, &key) else {
            continue;
        };
        let value = kv.increment("default", &key, 0)?.map_err(failed)?;
        if value != 0 {
            kv.increment("default", &to, value)?.map_err(failed)?;
        }
        kv.delete("default", &key).map_err(failed)?;
        eprintln!("county-ops: {key} ({value}) added to {to}");
        moved.push(MovedCounter {
            from: key,
            to,
            value,
        });
    }
    Ok(moved)
}
