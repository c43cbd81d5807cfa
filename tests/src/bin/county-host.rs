//! `county-host serve`: the app on 127.0.0.1 without the Spin CLI, its store in a SQLite file
//! that survives restarts. `county-host mint-token`: a signed bearer token for an operator or
//! a trainee.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use county_host::{App, Host, KvStore};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use subsidy_rules::auth::{Role, TokenClaims, sign_token};

const USAGE: &str = "usage:
  county-host serve [--listen 127.0.0.1:3000] [--manifest spin.toml] [--store .data/kv.db]
      application variables from SPIN_VARIABLE_<NAME>, as for `spin up`
  county-host mint-token --role admin|reviewer|finance|trainee --sub SUBJECT [--ttl-seconds 3600]
      signs with SPIN_VARIABLE_OPERATOR_TOKEN_SECRET (operators)
      or SPIN_VARIABLE_TRAINEE_TOKEN_SECRET (trainees)";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
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

fn serve(args: &[String]) -> Result<()> {
    let options = options(args, &["listen", "manifest", "store"])?;
    let listen: SocketAddr = options
        .get("listen")
        .map_or("127.0.0.1:3000", String::as_str)
        .parse()?;
    let manifest = PathBuf::from(options.get("manifest").map_or("spin.toml", String::as_str));
    let store = PathBuf::from(options.get("store").map_or(".data/kv.db", String::as_str));
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let app = App::load(&manifest)?;
        let kv = Arc::new(KvStore::open(&store)?);
        let host = Arc::new(Host::new(app, kv, &spin_variables())?.echo_logs());
        let listener = tokio::net::TcpListener::bind(listen).await?;
        eprintln!(
            "serving {} on http://{listen} (store: {})",
            manifest.display(),
            store.display()
        );
        loop {
            let (stream, client) = listener.accept().await?;
            let host = host.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |request: hyper::Request<hyper::body::Incoming>| {
                        let host = host.clone();
                        async move {
                            let response = host.handle(request, client).await?;
                            let mut out = hyper::Response::new(Full::new(response.body));
                            *out.status_mut() = hyper::StatusCode::from_u16(response.status)?;
                            *out.headers_mut() = response.headers;
                            anyhow::Ok(out)
                        }
                    },
                );
                if let Err(e) = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    eprintln!("connection from {client}: {e}");
                }
            });
        }
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
    let claims = TokenClaims {
        sub,
        role,
        iat: now,
        exp: now + ttl,
    };
    println!("{}", sign_token(&claims, secret.as_bytes()));
    Ok(())
}
