//! `county-host serve`: the app without the Spin CLI, as `spin up` serves it, its store a
//! SQLite file that survives restarts or a Redis named by a Spin runtime config. The county's
//! operations commands (reconcile, create-admin, mint-token) are `county-ops`
//! (`tools/county-ops`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result};
use county_host::cli::{
    create_admin_account, manifest_and_store, operator_secret, options, spin_variables,
};
use county_host::{App, Host, client};
use subsidy_rules::auth::Role;

const USAGE: &str = "usage:
  county-host serve [--listen 127.0.0.1:3000] [--manifest spin.toml]
                    [--store .data/kv.db | --runtime-config-file runtime-config.toml]
                    [--cache DIR] [--component-id ID ...] [--clock-offset SECONDS]
      application variables from SPIN_VARIABLE_<NAME>, as for `spin up`; the store is a
      SQLite file (--store) or what a Spin runtime config names (SQLite or Redis); compiled
      components are kept in --cache (default: target/county-host-cache beside the manifest);
      --component-id (repeated) runs only those components and their routes, as
      `spin up --component-id` does; --clock-offset sets the components' clock that many
      seconds ahead of the machine's (tests: the app a minute or a day later)";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

fn serve(args: &[String]) -> Result<()> {
    let (components, rest) = component_ids(args);
    let options = options(
        &rest,
        &[
            "listen",
            "manifest",
            "store",
            "runtime-config-file",
            "cache",
            "clock-offset",
        ],
        USAGE,
    )?;
    let listen: SocketAddr = options
        .get("listen")
        .map_or("127.0.0.1:3000", String::as_str)
        .parse()?;
    let (manifest, store) = manifest_and_store(&options)?;
    let cache = options.get("cache").map(PathBuf::from);
    let clock_offset: i64 = match options.get("clock-offset") {
        Some(seconds) => seconds
            .parse()
            .context("--clock-offset takes whole seconds")?,
        None => 0,
    };
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
        let app = match components.is_empty() {
            true => App::load_cached(&manifest, cache.as_deref(), &progress)?,
            false => App::load_only(&manifest, &components)?,
        };
        let kv = Arc::new(store.open()?);
        let host = Arc::new(Host::new(app, kv, &variables)?.echo_logs());
        host.advance_clock(clock_offset);
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

/// The `--component-id ID` options (any number), and the other arguments.
fn component_ids(args: &[String]) -> (Vec<String>, Vec<String>) {
    let (mut ids, mut rest) = (Vec::new(), Vec::new());
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.clone().next()) {
            ("--component-id", Some(id)) => {
                ids.push(id.clone());
                args.next();
            }
            _ => rest.push(arg.clone()),
        }
    }
    (ids, rest)
}
