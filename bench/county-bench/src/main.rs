//! The benchmark: every endpoint's throughput and latency as a ratio to a no-op component
//! served by the same host in the same run, the cost of invoices and the review queue as the
//! store grows, and each component's size. Ratios, not absolute times: the machines are shared.
//!
//!     scripts/bench.sh            (builds the components, then runs this in release)

mod volume;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use county_host::client::{Call, bearer_token, call};
use county_host::{App, ExtraComponent, Host, HostCalls, KvStore};
use serde_json::{Value, json};
use subsidy_rules::auth::Role;

use county_host::dev::{
    OPERATOR_TOKEN_SECRET as OPERATOR, TRAINEE_TOKEN_SECRET as TRAINEE, variables,
};
const REQUESTS: usize = 400;
const CONCURRENCY: usize = 16;
/// Each endpoint alternates with the no-op this many times (odd: the ratio is the median).
const ROUNDS: usize = 5;

fn resident_id(n: usize) -> String {
    // Distinct for n < 336,000: month, day and sequence from n.
    let first17 = format!(
        "3709021990{:02}{:02}{:03}",
        1 + (n / 28_000) % 12,
        1 + (n / 1_000) % 28,
        n % 1_000
    );
    subsidy_rules::ResidentId::complete(&first17)
        .expect("17 digits of a valid birth date")
        .expose()
        .to_owned()
}

fn admin() -> String {
    bearer_token(Role::Admin, "bench-admin", OPERATOR)
}

struct Platform {
    key_id: String,
    secret: String,
}

fn record(id: &str, trainee: &str, occupation: &str) -> Value {
    json!({
        "record_id": id,
        "trainee": {"resident_id": trainee, "name": "张三", "hukou_county": "370902"},
        "occupation": occupation, "level": "5", "study_hours": 24, "mode": "online",
        "started_on": "2020-02-20", "ended_on": "2020-03-10",
        "assessment": {"result": "pass", "score": 86, "date": "2020-03-15"}
    })
}

async fn send(host: &Host, call: Call) -> Result<Value> {
    let reply = call.send(host).await;
    ensure!(
        reply.status < 300,
        "setup request failed: {} {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
    Ok(serde_json::from_slice(&reply.body).unwrap_or(Value::Null))
}

/// The store of a county: SQLite in memory, or with `--sqlite-file` a fresh file on disk
/// (under `target/bench-store/`, not a tmpfs), as Spin's default store keeps it: SQLite's
/// defaults (a rollback journal, every write its own fsync'd transaction), one connection
/// behind a mutex, every call in `block_in_place` (docs/spin.md).
fn new_store() -> Result<KvStore> {
    if !std::env::args().any(|a| a == "--sqlite-file") {
        return KvStore::in_memory();
    }
    static COUNTIES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTIES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-store");
    let file = root.join(format!("county-{}-{n}.db", std::process::id()));
    let _ = std::fs::remove_file(&file);
    KvStore::open(&file)
}

/// A county with a platform, a standard, and `trainees` persons each with one reported,
/// registry-verified completion (record `t{i}`).
async fn county(app: &Arc<App>, unrelated: usize, trainees: usize) -> Result<(Host, Platform)> {
    let kv = Arc::new(new_store()?);
    // Unrelated data: another county's keys, as a shared store would hold.
    let filler = vec![b'x'; 200];
    for i in 0..unrelated {
        kv.set("default", &format!("370911:completion:other:{i}"), &filler)
            .map_err(anyhow::Error::msg)?;
    }
    let host = Host::new(app.clone(), kv, &variables("370902"))?;
    let credential = send(
        &host,
        call("POST", "/api/platform/credentials")
            .bearer(&admin())
            .json(&json!({"platform_id": "wljnpx"})),
    )
    .await?;
    let platform = Platform {
        key_id: credential["key_id"].as_str().unwrap_or_default().to_owned(),
        secret: credential["secret"].as_str().unwrap_or_default().to_owned(),
    };
    send(
        &host,
        call("PUT", "/api/policy/standards/4-03-02-01/5")
            .bearer(&admin())
            .json(&json!({"standard": "1200", "valid_from": "2020-01-01"})),
    )
    .await?;
    for chunk in (0..trainees).collect::<Vec<_>>().chunks(500) {
        // Hours vary (10 to 109), as a real month's do: a batch of identical trainings is
        // flagged for individual review.
        let records: Vec<Value> = chunk
            .iter()
            .map(|i| {
                let mut r = record(&format!("t{i}"), &resident_id(*i), "4-03-02-01");
                r["study_hours"] = json!(10 + i % 100);
                r
            })
            .collect();
        send(
            &host,
            call("POST", "/api/platform/completions")
                .json(&json!({"records": records}))
                .signed(&platform.key_id, &platform.secret),
        )
        .await?;
        let entries: Vec<Value> = chunk
            .iter()
            .map(|i| json!({"resident_id": resident_id(*i), "group": "migrant_worker", "source": "bench", "valid_from": "2020-01-01"}))
            .collect();
        send(
            &host,
            call("POST", "/api/eligibility/registry")
                .bearer(&admin())
                .json(&json!({"entries": entries})),
        )
        .await?;
    }
    Ok((host, platform))
}

struct Stats {
    rps: f64,
    p50: Duration,
    p99: Duration,
}

impl Stats {
    fn of(requests: usize, elapsed: Duration, mut latencies: Vec<Duration>) -> Stats {
        latencies.sort();
        let at =
            |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
        Stats {
            rps: requests as f64 / elapsed.as_secs_f64(),
            p50: at(0.50),
            p99: at(0.99),
        }
    }
}

/// One endpoint's requests: `make(i)` is the i-th, and every answer's status must pass
/// `expected`.
#[derive(Clone)]
struct Endpoint {
    label: String,
    requests: usize,
    expected: fn(u16) -> bool,
    make: Arc<dyn Fn(usize) -> Call + Send + Sync>,
}

fn endpoint(label: &str, make: impl Fn(usize) -> Call + Send + Sync + 'static) -> Endpoint {
    Endpoint {
        label: label.to_owned(),
        requests: REQUESTS,
        expected: |status| status < 300,
        make: Arc::new(make),
    }
}

/// Sends requests `first..first + count` of `endpoint`, sequentially or from `workers` tasks
/// at once: the time it took and each request's latency.
async fn run(
    host: &Arc<Host>,
    workers: usize,
    endpoint: &Endpoint,
    first: usize,
    count: usize,
) -> Result<(Duration, Vec<Duration>, HostCalls)> {
    let started = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let host = host.clone();
            let endpoint = endpoint.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut calls = HostCalls::default();
                for i in (first + w..first + count).step_by(workers) {
                    let request = (endpoint.make)(i);
                    let t = Instant::now();
                    let reply = request.send(&host).await;
                    latencies.push(t.elapsed());
                    calls = reply.calls;
                    if !(endpoint.expected)(reply.status) {
                        anyhow::bail!(
                            "{} request {i} answered {}: {}",
                            endpoint.label,
                            reply.status,
                            String::from_utf8_lossy(&reply.body)
                        );
                    }
                }
                anyhow::Ok((latencies, calls))
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut calls = HostCalls::default();
    for task in tasks {
        let (times, last) = task.await??;
        latencies.extend(times);
        calls = last;
    }
    Ok((started.elapsed(), latencies, calls))
}

/// `endpoint` measured in rounds that alternate with as many no-op requests, so that the
/// machine's load changing between the two does not show up as a ratio: its stats over all
/// rounds, and the median of the rounds' ratios of no-op time to its time.
async fn against_noop(
    host: &Arc<Host>,
    workers: usize,
    noop: &Endpoint,
    endpoint: &Endpoint,
) -> Result<(Stats, f64, HostCalls)> {
    let per_round = (endpoint.requests / ROUNDS).max(workers);
    let (mut elapsed, mut latencies, mut ratios) = (Duration::ZERO, Vec::new(), Vec::new());
    let mut calls = HostCalls::default();
    for round in 0..ROUNDS {
        let (noop_time, _, _) = run(host, workers, noop, round * per_round, per_round).await?;
        let (time, mut times, last) =
            run(host, workers, endpoint, round * per_round, per_round).await?;
        calls = last;
        ratios.push(noop_time.as_secs_f64() / time.as_secs_f64());
        elapsed += time;
        latencies.append(&mut times);
    }
    ratios.sort_by(f64::total_cmp);
    let stats = Stats::of(per_round * ROUNDS, elapsed, latencies);
    Ok((stats, ratios[ROUNDS / 2], calls))
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// What a sign-in costs (an Argon2id check, 19 MiB, 2 passes), against a policy read: medians
/// of 21 sequential requests each.
async fn sign_in_cost(app: &Arc<App>) -> Result<()> {
    let (host, _) = county(app, 0, 0).await?;
    let admin = bearer_token(Role::Admin, "bench-admin", OPERATOR);
    send(
        &host,
        call("POST", "/api/accounts")
            .bearer(&admin)
            .json(&json!({"login": "bench.reviewer", "display_name": "评审", "roles": ["reviewer"], "password": "bench password 1"})),
    )
    .await?;
    let sign_in = timed(
        &host,
        || {
            call("POST", "/api/accounts/sign-in")
                .json(&json!({"login": "bench.reviewer", "password": "bench password 1"}))
        },
        21,
    )
    .await?;
    let policy = timed(&host, || call("GET", "/api/policy"), 21).await?;
    println!(
        "sign-in {:.1} ms, policy read {:.2} ms (medians of 21, sequential, in-process host)",
        sign_in.as_secs_f64() * 1e3,
        policy.as_secs_f64() * 1e3
    );
    Ok(())
}

/// Issues the platform's March 2020 invoice to the end, step after step (each answering 202
/// until the last): the last answer, and each step's store operations.
async fn issue_month(host: &Host, platform: &Platform) -> Result<(Value, Vec<u32>)> {
    let mut operations = Vec::new();
    loop {
        let reply = call("POST", "/api/platform/invoices")
            .json(&json!({"month": "2020-03"}))
            .signed(&platform.key_id, &platform.secret)
            .send(host)
            .await;
        operations.push(reply.calls.store_operations());
        ensure!(
            [201, 202].contains(&reply.status),
            "issuing answered {}",
            reply.status
        );
        if reply.status == 201 {
            return Ok((serde_json::from_slice(&reply.body)?, operations));
        }
    }
}

/// Previews the platform's March 2020 invoice, page after page to the month's end.
async fn preview_month(host: &Host, platform: &Platform) -> Result<()> {
    let mut after = 0;
    loop {
        let page = send(
            host,
            call(
                "GET",
                &format!("/api/platform/invoices/preview?month=2020-03&after={after}"),
            )
            .signed(&platform.key_id, &platform.secret),
        )
        .await?;
        if page["done"] == true {
            return Ok(());
        }
        after = page["next_after"].as_u64().unwrap_or(u64::MAX);
    }
}

async fn timed(host: &Host, make: impl Fn() -> Call, repeat: usize) -> Result<Duration> {
    let mut times = Vec::new();
    for _ in 0..repeat {
        let t = Instant::now();
        send(host, make()).await?;
        times.push(t.elapsed());
    }
    Ok(median(times))
}

fn component_sizes(root: &Path) -> Result<Vec<(String, u64)>> {
    let mut sizes = Vec::new();
    for entry in std::fs::read_dir(root.join("target/wasm32-wasip2/release"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wasm") {
            let name = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            sizes.push((name, std::fs::metadata(&path)?.len()));
        }
    }
    sizes.sort();
    Ok(sizes)
}

async fn endpoints(app: &Arc<App>) -> Result<()> {
    // Claims need a fresh eligible trainee per request: 2 × REQUESTS of them.
    let (host, platform) = county(app, 0, 2 * REQUESTS + 20).await?;
    let host = Arc::new(host);
    let platform = Arc::new(platform);
    let trainee_token = |i: usize| bearer_token(Role::Trainee, &resident_id(i), TRAINEE);
    let check_body = |i: usize| {
        json!({
            "applicant": {"resident_id": resident_id(i), "hukou_county": "370902", "group": "migrant_worker"},
            "training": {"platform_id": "wljnpx", "occupation": "4-03-02-01", "level": "5", "study_hours": 24,
                         "mode": "online", "started_on": "2020-02-20",
                         "assessment": {"result": "pass", "date": "2020-03-15"}}
        })
    };

    println!(
        "\n### Endpoints: throughput and latency, as a ratio to the no-op component (targets: policy read and eligibility ≥ 0.7, claim submission ≥ 0.4)\n"
    );
    println!(
        "| endpoint | mode | req/s | ratio to no-op | p50 ms | p99 ms | host calls: variables / store opens / store operations (reads, writes) |\n|---|---|---|---|---|---|---|"
    );
    let noop = endpoint("no-op", |_| call("GET", "/bench/noop"));
    for (mode, workers) in [("sequential", 1), ("16 concurrent", CONCURRENCY)] {
        let offset = if workers == 1 { 0 } else { REQUESTS };
        let p = platform.clone();
        let batch = move |i: usize| {
            let records: Vec<Value> = (0..10)
                .map(|j| {
                    // Ten trainees a batch, each record new: one trainee's ten trainings
                    // over the same days would overfill their calendar and be refused.
                    record(
                        &format!("b{offset}-{i}-{j}"),
                        &resident_id(100_000 + (offset + i) * 10 + j),
                        "4-03-02-02",
                    )
                })
                .collect();
            call("POST", "/api/platform/completions")
                .json(&json!({"records": records}))
                .signed(&p.key_id, &p.secret)
        };
        let p = platform.clone();
        let preview = move |_| {
            call("GET", "/api/platform/invoices/preview?month=2020-03").signed(&p.key_id, &p.secret)
        };
        let endpoints = [
            // What serving a request costs a county component before any of our code runs:
            // instantiating it, reading the headers, refusing a body declared too large.
            Endpoint {
                expected: |status| status == 413,
                ..endpoint(
                    "floor: eligibility component refusing an oversize body (413)",
                    |_| call("POST", "/api/eligibility/check").header("content-length", "600000"),
                )
            },
            endpoint("standards read (empty table)", |_| {
                call("GET", "/api/policy/standards?level=4")
            }),
            endpoint("policy read", |_| call("GET", "/api/policy")),
            endpoint("eligibility check", move |i| {
                call("POST", "/api/eligibility/check")
                    .bearer(&trainee_token(i))
                    .json(&check_body(i))
            }),
            endpoint("completion batch (10 records)", batch),
            endpoint("claim submission", move |i| {
                let body = json!({"platform_id": "wljnpx", "record_id": format!("t{}", offset + i), "group": "migrant_worker",
                                  "payee": {"kind": "social_security_card", "account": "6217001234567890123"}, "consent": true});
                call("POST", "/api/claims")
                    .bearer(&trainee_token(offset + i))
                    .json(&body)
            }),
        ];
        let (noop_time, noop_latencies, _) = run(&host, workers, &noop, 0, REQUESTS).await?;
        let alone = Stats::of(REQUESTS, noop_time, noop_latencies);
        println!(
            "| no-op | {mode} | {:.0} | 1.00 | {:.2} | {:.2} | 0 / 0 / 0 (0, 0) |",
            alone.rps,
            alone.p50.as_secs_f64() * 1e3,
            alone.p99.as_secs_f64() * 1e3
        );
        let row = |label: &str, stats: Stats, ratio: f64, calls: HostCalls| {
            println!(
                "| {label} | {mode} | {:.0} | {ratio:.2} | {:.2} | {:.2} | {} / {} / {} ({}, {}) |",
                stats.rps,
                stats.p50.as_secs_f64() * 1e3,
                stats.p99.as_secs_f64() * 1e3,
                calls.variable_gets,
                calls.store_opens,
                calls.store_operations(),
                calls.reads(),
                calls.writes()
            );
        };
        for endpoint in &endpoints {
            let (stats, ratio, calls) = against_noop(&host, workers, &noop, endpoint).await?;
            row(&endpoint.label, stats, ratio, calls);
        }
        // Slower by nature (it judges a page of the month's records, up to 250, the batches'
        // just sent included): fewer requests, and the label says how many records it judges.
        let seen = send(&host, preview(0)).await?;
        let records = ["lines", "held"]
            .iter()
            .map(|k| seen[k].as_array().map_or(0, Vec::len))
            .sum::<usize>();
        let invoice = Endpoint {
            requests: 32,
            ..endpoint(
                &format!("invoice preview (a page of {records} records)"),
                preview,
            )
        };
        let (stats, ratio, calls) = against_noop(&host, workers, &noop, &invoice).await?;
        row(&invoice.label, stats, ratio, calls);
    }

    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let noop = ExtraComponent {
        id: "noop".into(),
        route: "/bench/noop".into(),
        source: root.join("target/wasm32-wasip2/release/noop_component.wasm"),
    };
    let app = App::load_with(&root.join("spin.toml"), vec![noop])?;
    if std::env::args().any(|a| a == "--sign-in") {
        return sign_in_cost(&app).await;
    }
    if std::env::args().any(|a| a == "--volume") {
        // The sizes of issue 14; `--volume-small` for a quick look at the same shape,
        // `--invoices-only` to leave out the claims (the longer part), `--registry-only` for
        // the registry uploads alone.
        if std::env::args().any(|a| a == "--registry-only") {
            return volume::registry_uploads(&app, 200_000).await;
        }
        let small = std::env::args().any(|a| a == "--volume-small");
        let claims = (!std::env::args().any(|a| a == "--invoices-only")).then_some(if small {
            [100, 10_000]
        } else {
            [1_000, 100_000]
        });
        let lines = if small { [100, 2_000] } else { [1_000, 20_000] };
        return volume::run(&app, lines, claims).await;
    }
    println!(
        "machine: {} cores; {} requests per measurement, concurrency {CONCURRENCY}; store: {}\n",
        std::thread::available_parallelism()?,
        REQUESTS,
        match std::env::args().any(|a| a == "--sqlite-file") {
            true => "a SQLite file, as Spin's default store (--sqlite-file)",
            false => "SQLite in memory",
        }
    );

    println!("### Component sizes (target: at most 300 KB)\n");
    println!("| component | KB | within target |\n|---|---|---|");
    for (name, bytes) in component_sizes(&root)? {
        println!(
            "| {name} | {:.0} | {} |",
            bytes as f64 / 1024.0,
            if bytes <= 300 * 1024 { "yes" } else { "no" }
        );
    }

    // `--before DIR`: the endpoints of an earlier version first, in the same run (DIR holds its
    // spin.toml and its target/wasm32-wasip2/release/, built from its commit).
    let args: Vec<String> = std::env::args().collect();
    if let Some(dir) = args
        .iter()
        .position(|a| a == "--before")
        .and_then(|i| args.get(i + 1))
    {
        let noop = ExtraComponent {
            id: "noop".into(),
            route: "/bench/noop".into(),
            source: root.join("target/wasm32-wasip2/release/noop_component.wasm"),
        };
        let before = App::load_with(&PathBuf::from(dir).join("spin.toml"), vec![noop])?;
        println!("\n## The version in {dir}\n");
        endpoints(&before).await?;
        println!("\n## This version\n");
    }
    endpoints(&app).await?;

    if std::env::args().any(|a| a == "--endpoints-only") {
        return Ok(());
    }
    println!(
        "\n### Growth: 1,000 vs 100,000 unrelated records in the store (target: ratio ≤ 1.5)\n"
    );
    println!("| operation | 1,000 ms | 100,000 ms | ratio |\n|---|---|---|---|");
    let trainee_token = |i: usize| bearer_token(Role::Trainee, &resident_id(i), TRAINEE);
    let mut results: Vec<(String, Duration, Duration)> = Vec::new();
    let mut per_size = Vec::new();
    for unrelated in [1_000, 100_000] {
        let (host, platform) = county(&app, unrelated, 1_060).await?;
        // 60 claims waiting for review (their trainees declared, not registered, for this).
        for i in 1_000..1_060 {
            let body = json!({"platform_id": "wljnpx", "record_id": format!("t{i}"), "group": "poor_laborer",
                              "payee": {"kind": "social_security_card", "account": "6217001234567890123"}, "consent": true});
            send(
                &host,
                call("POST", "/api/claims")
                    .bearer(&trainee_token(i))
                    .json(&body),
            )
            .await?;
        }
        let reviewer = bearer_token(Role::Reviewer, "bench-reviewer", OPERATOR);
        let queue = timed(
            &host,
            || call("GET", "/api/claims/queue?kind=review&limit=50").bearer(&reviewer),
            21,
        )
        .await?;
        // The same reads as issuing, without the writes, so it can be repeated: median of 7.
        let mut previews = Vec::new();
        for _ in 0..7 {
            let t = Instant::now();
            preview_month(&host, &platform).await?;
            previews.push(t.elapsed());
        }
        let preview = median(previews);
        let t = Instant::now();
        let (issued, _) = issue_month(&host, &platform).await?;
        let invoice = t.elapsed();
        let lines = issued["invoice"]["line_count"].as_u64().unwrap_or_default();
        ensure!(lines >= 1_000, "the invoice has {lines} lines, not 1,000");
        per_size.push((invoice, queue, preview));
    }
    results.push((
        "assess an invoice of 1,000 lines (preview, median of 7)".into(),
        per_size[0].2,
        per_size[1].2,
    ));
    results.push((
        "issue an invoice of 1,000 lines (once)".into(),
        per_size[0].0,
        per_size[1].0,
    ));
    results.push((
        "read a page of the review queue (median of 21)".into(),
        per_size[0].1,
        per_size[1].1,
    ));
    for (name, small, large) in results {
        println!(
            "| {name} | {:.1} | {:.1} | {:.2} |",
            small.as_secs_f64() * 1e3,
            large.as_secs_f64() * 1e3,
            large.as_secs_f64() / small.as_secs_f64()
        );
    }
    Ok(())
}
