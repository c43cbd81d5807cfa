//! `county-host serve`: the app without the Spin CLI, its store a SQLite file that survives
//! restarts or a Redis named by a Spin runtime config. `county-host create-admin`: a county's
//! first admin account. `county-host mint-token`: a signed bearer token for an operator or a
//! trainee.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use county_host::runtime_config::StoreConfig;
use county_host::{App, Host, client};
use subsidy_rules::auth::Role;

const USAGE: &str = "usage:
  county-host serve [--listen 127.0.0.1:3000] [--manifest spin.toml]
                    [--store .data/kv.db | --runtime-config-file runtime-config.toml]
                    [--cache DIR]
      application variables from SPIN_VARIABLE_<NAME>, as for `spin up`; the store is a
      SQLite file (--store) or what a Spin runtime config names (SQLite or Redis); compiled
      components are kept in --cache (default: target/county-host-cache beside the manifest)
  county-host reconcile [--repair] [--manifest spin.toml]
                    [--store .data/kv.db | --runtime-config-file runtime-config.toml]
      runs POST /api/admin/reconcile over the whole journal against the store (a dry run
      unless --repair) and prints one JSON report; signs as an admin with
      SPIN_VARIABLE_OPERATOR_TOKEN_SECRET
  county-host create-admin --login NAME --display-name NAME [--manifest spin.toml]
                    [--store .data/kv.db | --runtime-config-file runtime-config.toml]
      creates an operator account with the admin role in the store and prints its password,
      this once (a fresh store's first `serve` creates account `admin` the same way)
  county-host mint-token --role admin|reviewer|finance|trainee --sub SUBJECT [--ttl-seconds 3600]
      signs with SPIN_VARIABLE_OPERATOR_TOKEN_SECRET (operators)
      or SPIN_VARIABLE_TRAINEE_TOKEN_SECRET (trainees)";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        Some("reconcile") => reconcile(&args[1..]),
        Some("create-admin") => create_admin(&args[1..]),
        Some("mint-token") => mint_token(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

/// `--name value` options, each at most once.
fn options(args: &[String], allowed: &[&str]) -> Result<BTreeMap<String, String>> {
    let mut options = BTreeMap::new();
    let mut rest = args.iter();
    while let Some(name) = rest.next() {
        let Some(key) = name.strip_prefix("--").filter(|k| allowed.contains(k)) else {
            bail!("unknown option {name}\n{USAGE}");
        };
        let value = rest
            .next()
            .with_context(|| format!("{name} needs a value"))?;
        options.insert(key.to_owned(), value.clone());
    }
    Ok(options)
}

/// The application variables from the environment, as `spin up` reads them.
fn spin_variables() -> BTreeMap<String, String> {
    std::env::vars()
        .filter_map(|(k, v)| {
            k.strip_prefix("SPIN_VARIABLE_")
                .map(|name| (name.to_lowercase(), v))
        })
        .collect()
}

/// The manifest and the store the options name (`--manifest`, `--store`,
/// `--runtime-config-file`).
fn manifest_and_store(options: &BTreeMap<String, String>) -> Result<(PathBuf, StoreConfig)> {
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

fn serve(args: &[String]) -> Result<()> {
    let options = options(
        args,
        &[
            "listen",
            "manifest",
            "store",
            "runtime-config-file",
            "cache",
        ],
    )?;
    let listen: SocketAddr = options
        .get("listen")
        .map_or("127.0.0.1:3000", String::as_str)
        .parse()?;
    let (manifest, store) = manifest_and_store(&options)?;
    let cache = options.get("cache").map(PathBuf::from);
    let runtime = tokio::runtime::Runtime::new()?;
    // Refuse a missing variable before the slow part.
    let variables = spin_variables();
    county_host::manifest::Manifest::load(&manifest)?.resolve_variables(&variables)?;
    runtime.block_on(async move {
        let started = Instant::now();
        eprintln!(
            "county-host: loading the components of {}",
            manifest.display()
        );
        let progress = |line: &str| eprintln!("county-host: {line}");
        let app = App::load_cached(&manifest, cache.as_deref(), &progress)?;
        let kv = Arc::new(store.open()?);
        let host = Arc::new(Host::new(app, kv, &variables)?.echo_logs());
        first_admin_of_a_fresh_store(&host, &variables).await?;
        let listener = tokio::net::TcpListener::bind(listen).await?;
        eprintln!(
            "county-host: serving on http://{listen} (store: {}), ready in {:.1} s",
            store.describe(),
            started.elapsed().as_secs_f64()
        );
        county_host::serve::run(host, listener).await
    })
}

fn reconcile(args: &[String]) -> Result<()> {
    let repair = args.iter().any(|a| a == "--repair");
    let rest: Vec<String> = args.iter().filter(|a| *a != "--repair").cloned().collect();
    let options = options(
        &rest,
        &["manifest", "store", "runtime-config-file", "cache"],
    )?;
    let (manifest, store) = manifest_and_store(&options)?;
    let cache = options.get("cache").map(PathBuf::from);
    let variables = spin_variables();
    county_host::manifest::Manifest::load(&manifest)?.resolve_variables(&variables)?;
    let secret = operator_secret(&variables)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let progress = |line: &str| eprintln!("county-host: {line}");
        let app = App::load_cached(&manifest, cache.as_deref(), &progress)?;
        let host = Host::new(app, Arc::new(store.open()?), &variables)?.echo_logs();
        let (mut after, mut records_after, mut checked, mut findings) = (0, 0, 0, Vec::new());
        loop {
            let body = serde_json::json!({
                "repair": repair, "after": after, "records_after": records_after, "limit": 200,
            });
            // A token per page: a long run outlives one token's ten minutes.
            let token = client::bearer_token(Role::Admin, "county-host-reconcile", &secret);
            let reply = client::call("POST", "/api/admin/reconcile")
                .bearer(&token)
                .json(&body)
                .send(&host)
                .await;
            let page = reply.json();
            if reply.status != 200 {
                bail!("reconcile answered {}: {page}", reply.status);
            }
            checked += page["entries_checked"].as_u64().unwrap_or(0);
            findings.extend(page["findings"].as_array().cloned().unwrap_or_default());
            after = page["next_after"].as_u64().context("no next_after")?;
            records_after = page["next_records_after"].as_u64().unwrap_or(0);
            eprintln!("county-host: reconciled the journal up to entry {after}");
            if page["done"] == true {
                break;
            }
        }
        let report = serde_json::json!({
            "repair": repair,
            "entries_checked": checked,
            "findings": findings,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
        Ok(())
    })
}

fn operator_secret(variables: &BTreeMap<String, String>) -> Result<String> {
    variables
        .get("operator_token_secret")
        .cloned()
        .context("SPIN_VARIABLE_OPERATOR_TOKEN_SECRET is not set")
}

/// Creates an admin account through the API, as an admin of the county's identity service
/// would, with a fresh random password: the password.
async fn create_admin_account(
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

/// A fresh store (no operator account yet) gets account `admin`, its password printed once.
async fn first_admin_of_a_fresh_store(
    host: &Host,
    variables: &BTreeMap<String, String>,
) -> Result<()> {
    let token = client::bearer_token(Role::Admin, "county-host", &operator_secret(variables)?);
    let listed = client::call("GET", "/api/accounts?limit=1")
        .bearer(&token)
        .send(host)
        .await;
    let none = listed.json()["accounts"]
        .as_array()
        .is_some_and(Vec::is_empty);
    if listed.status == 200 && none {
        let password = create_admin_account(host, variables, "admin", "管理员").await?;
        eprintln!(
            "county-host: a fresh store: created operator account `admin` with password \
             {password} (shown this once; sign in at POST /api/accounts/sign-in and set your \
             own with POST /api/accounts/me/password)"
        );
    }
    Ok(())
}

fn create_admin(args: &[String]) -> Result<()> {
    let options = options(
        args,
        &[
            "login",
            "display-name",
            "manifest",
            "store",
            "runtime-config-file",
            "cache",
        ],
    )?;
    let login = options.get("login").context("--login is required")?.clone();
    let display_name = (options.get("display-name"))
        .context("--display-name is required")?
        .clone();
    let (manifest, store) = manifest_and_store(&options)?;
    let cache = options.get("cache").map(PathBuf::from);
    let variables = spin_variables();
    county_host::manifest::Manifest::load(&manifest)?.resolve_variables(&variables)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let progress = |line: &str| eprintln!("county-host: {line}");
        let app = App::load_cached(&manifest, cache.as_deref(), &progress)?;
        let host = Host::new(app, Arc::new(store.open()?), &variables)?.echo_logs();
        let password = create_admin_account(&host, &variables, &login, &display_name).await?;
        println!("login: {login}\npassword: {password}");
        eprintln!("county-host: the password is shown this once");
        Ok(())
    })
}

fn mint_token(args: &[String]) -> Result<()> {
    let options = options(args, &["role", "sub", "ttl-seconds"])?;
    let role = Role::parse(options.get("role").context("--role is required")?)
        .map_err(|r| anyhow::anyhow!(r.message_en))?;
    let sub = options.get("sub").context("--sub is required")?.clone();
    let ttl: i64 = options.get("ttl-seconds").map_or(Ok(3600), |t| t.parse())?;
    let secret_variable = match role {
        Role::Trainee => "SPIN_VARIABLE_TRAINEE_TOKEN_SECRET",
        _ => "SPIN_VARIABLE_OPERATOR_TOKEN_SECRET",
    };
    let secret =
        std::env::var(secret_variable).with_context(|| format!("{secret_variable} is not set"))?;
    let now = chrono::Utc::now().timestamp();
    println!(
        "{}",
        client::mint_token(role, &sub, secret.as_bytes(), now, ttl)
    );
    Ok(())
}
