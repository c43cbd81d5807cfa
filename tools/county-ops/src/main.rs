//! `county-ops`: a county's operations against its store, with the instance's variables (as
//! `spin up` reads them, `SPIN_VARIABLE_<NAME>`): reconcile (find, then repair, what killed
//! requests left half done), create an admin account, mint a token for testing. It runs the
//! app's compiled components in-process (`county-host`), against the store the instance uses.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use county_host::cli::{
    create_admin_account, manifest_and_store, operator_secret, options, spin_variables,
};
use county_host::{App, Host, client};
use subsidy_rules::auth::Role;

const USAGE: &str = "usage:
  county-ops reconcile [--repair] [--manifest spin.toml]
                    [--store .data/kv.db | --runtime-config-file runtime-config.toml]
      runs POST /api/admin/reconcile over the whole journal against the store (a dry run
      unless --repair) and prints one JSON report; signs as an admin with
      SPIN_VARIABLE_OPERATOR_TOKEN_SECRET
  county-ops create-admin --login NAME --display-name NAME [--manifest spin.toml]
                    [--store .data/kv.db | --runtime-config-file runtime-config.toml]
      creates an operator account with the admin role in the store and prints its password,
      this once (a fresh store's first `county-host serve` creates account `admin` the same way)
  county-ops migrate-course-keys [--store .data/kv.db | --runtime-config-file runtime-config.toml]
      once, with the app stopped, when upgrading from a version before course identity: moves
      the course counters a 工种 code was kept under to its 职业's, and prints what it moved
  county-ops mint-token --role admin|reviewer|finance|trainee --sub SUBJECT [--ttl-seconds 3600]
      signs with SPIN_VARIABLE_OPERATOR_TOKEN_SECRET (operators)
      or SPIN_VARIABLE_TRAINEE_TOKEN_SECRET (trainees)";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("reconcile") => reconcile(&args[1..]),
        Some("create-admin") => create_admin(&args[1..]),
        Some("mint-token") => mint_token(&args[1..]),
        Some("migrate-course-keys") => migrate_course_keys(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

fn reconcile(args: &[String]) -> Result<()> {
    let repair = args.iter().any(|a| a == "--repair");
    let rest: Vec<String> = args.iter().filter(|a| *a != "--repair").cloned().collect();
    let options = options(
        &rest,
        &["manifest", "store", "runtime-config-file", "cache"],
        USAGE,
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
        let mut report_month = serde_json::Value::Null;
        loop {
            let body = serde_json::json!({
                "repair": repair, "after": after, "records_after": records_after, "limit": 200,
                "report_month": report_month,
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
            report_month = page["next_report_month"].clone();
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
        USAGE,
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

fn migrate_course_keys(args: &[String]) -> Result<()> {
    let options = options(args, &["store", "runtime-config-file"], USAGE)?;
    let (_, store) = manifest_and_store(&options)?;
    let county = (spin_variables().get("county_code"))
        .context("SPIN_VARIABLE_COUNTY_CODE is not set")?
        .clone();
    let county =
        subsidy_rules::CountyCode::parse(&county).map_err(|r| anyhow::anyhow!(r.message_en))?;
    let moved = county_host::cli::migrate_course_keys(&store.open()?, &county)?;
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({"moved": moved}))?
    );
    Ok(())
}

fn mint_token(args: &[String]) -> Result<()> {
    let options = options(args, &["role", "sub", "ttl-seconds"], USAGE)?;
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
