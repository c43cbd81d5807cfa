//! A county's real volume (`--volume`): the store grown with *related* data. A platform month
//! of 1,000 vs 20,000 lines, issued and read; the province report, the verified queue's first
//! and a middle page, and a claim submission with 1,000 vs 100,000 claims in the store (all
//! approved, so the queue's are processed ones). Figures are ratios within one run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use county_host::App;
use county_host::client::{bearer_token, call};
use serde_json::{Value, json};
use subsidy_rules::auth::Role;

use crate::{OPERATOR, TRAINEE, county, issue_month, median, resident_id, send, timed};

/// Claims waiting in the verified queue besides the processed ones: four pages of 50.
const WAITING: usize = 200;
/// Fresh trainees whose submissions are timed.
const TIMED_SUBMISSIONS: usize = 21;

pub async fn run(app: &Arc<App>, lines: [usize; 2], claims: Option<[usize; 2]>) -> Result<()> {
    println!(
        "\n### Volume: a platform month of {} vs {} lines (target: time per line ≤ 1.2×)\n",
        lines[0], lines[1]
    );
    println!(
        "| lines | issue ms | issue ms per line | requests | store operations per line | most in one request | read every page ms | largest stored value KB |\n|---|---|---|---|---|---|---|---|"
    );
    let mut per_line = Vec::new();
    for n in lines {
        let month = invoice_month(app, n).await?;
        let issue = month.issue.as_secs_f64();
        per_line.push(issue / n as f64);
        println!(
            "| {n} | {:.0} | {:.3} | {} | {:.1} | {} | {:.0} | {:.0} |",
            issue * 1e3,
            issue * 1e3 / n as f64,
            month.steps,
            f64::from(month.operations) / n as f64,
            month.busiest,
            month.read.as_secs_f64() * 1e3,
            month.largest as f64 / 1024.0
        );
    }
    println!(
        "\nissue time per line, {} vs {} lines: ratio {:.2}",
        lines[1],
        lines[0],
        per_line[1] / per_line[0]
    );

    let Some(claims) = claims else {
        return Ok(());
    };
    registry_uploads(app, claims[1] * 2).await?;
    println!(
        "\n### Volume: {} vs {} claims in the store (targets: report and queue pages ≤ 1.5, submission ≤ 1.2)\n",
        claims[0], claims[1]
    );
    let mut sizes = Vec::new();
    for n in claims {
        sizes.push(claim_volume(app, n).await?);
    }
    println!(
        "| operation | {} claims ms | {} claims ms | ratio |\n|---|---|---|---|",
        claims[0], claims[1]
    );
    let names = [
        "province report (median of 21)",
        "verified queue, first page of 50 (median of 21)",
        "verified queue, third page of 50 (median of 21)",
        "claim submission (median of 21 trainees)",
    ];
    for (i, name) in names.iter().enumerate() {
        let (small, large) = (sizes[0][i], sizes[1][i]);
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} |",
            small.as_secs_f64() * 1e3,
            large.as_secs_f64() * 1e3,
            large.as_secs_f64() / small.as_secs_f64()
        );
    }
    Ok(())
}

/// Issues the invoice of a month of `n` billable records, step by step, and reads every page
/// of it: the time of each, the store operations, and the largest value then in the store.
async fn invoice_month(app: &Arc<App>, n: usize) -> Result<InvoiceMonth> {
    let (host, platform) = county(app, 0, n).await?;
    let t = Instant::now();
    let (issued, steps) = issue_month(&host, &platform).await?;
    let issue = t.elapsed();
    let operations = steps.iter().sum();
    let busiest = steps.iter().copied().max().unwrap_or_default();
    ensure!(
        issued["invoice"]["line_count"] == n,
        "the invoice has {} lines, not {n}",
        issued["invoice"]["line_count"]
    );
    let number = issued["invoice"]["number"].as_str().unwrap_or_default();
    let pages = issued["invoice"]["line_pages"].as_u64().unwrap_or_default();
    let t = Instant::now();
    for page in 0..pages {
        send(
            &host,
            call(
                "GET",
                &format!("/api/platform/invoices/{number}?page={page}"),
            )
            .signed(&platform.key_id, &platform.secret),
        )
        .await?;
    }
    let read = t.elapsed();
    let mut largest = 0;
    for key in host.kv().keys("default").map_err(anyhow::Error::msg)? {
        let value = host.kv().get("default", &key).map_err(anyhow::Error::msg)?;
        largest = largest.max(value.map_or(0, |v| v.len()));
    }
    Ok(InvoiceMonth {
        issue,
        read,
        largest,
        operations,
        steps: steps.len(),
        busiest,
    })
}

/// What issuing and reading a month of lines measured.
struct InvoiceMonth {
    issue: Duration,
    read: Duration,
    largest: usize,
    operations: u32,
    /// Requests the build took, and the store operations of its busiest.
    steps: usize,
    busiest: u32,
}

/// The key-group registry uploaded in batches of 1,000 entries up to `total`: the time of the
/// first batch and of the last, and how many were stored.
pub async fn registry_uploads(app: &Arc<App>, total: usize) -> Result<()> {
    let (host, _) = county(app, 0, 0).await?;
    let admin = bearer_token(Role::Admin, "bench-admin", OPERATOR);
    let mut times = Vec::new();
    let mut operations = Vec::new();
    let mut stored = 0;
    let started = Instant::now();
    for first in (0..total).step_by(1_000) {
        let entries: Vec<Value> = (first..(first + 1_000).min(total))
            .map(|i| json!({"resident_id": resident_id(i), "group": "migrant_worker", "source": "bench", "valid_from": "2020-01-01"}))
            .collect();
        let t = Instant::now();
        let reply = call("POST", "/api/eligibility/registry")
            .bearer(&admin)
            .json(&json!({ "entries": entries }))
            .send(&host)
            .await;
        times.push(t.elapsed());
        operations.push(reply.calls.store_operations());
        ensure!(
            reply.status == 200,
            "a registry batch answered {}",
            reply.status
        );
        let reply: Value = serde_json::from_slice(&reply.body)?;
        stored += reply["stored"].as_u64().unwrap_or_default();
    }
    ensure!(
        stored as usize == total,
        "{stored} of {total} entries stored"
    );
    let (first, last) = (times[0], times[times.len() - 1]);
    println!(
        "\n### Volume: the key-group registry uploaded to {total} entries in batches of 1,000\n\n\
         {} batches in {:.0} s; the first batch {:.0} ms, the last {:.0} ms: ratio {:.2} \
         ({} and {} store operations)",
        times.len(),
        started.elapsed().as_secs_f64(),
        first.as_secs_f64() * 1e3,
        last.as_secs_f64() * 1e3,
        last.as_secs_f64() / first.as_secs_f64(),
        operations[0],
        operations[operations.len() - 1]
    );
    Ok(())
}

/// A county with `n` approved claims (and `WAITING` more waiting, submitted after them): the
/// median times of the report, the verified queue's first and third pages, and a submission.
async fn claim_volume(app: &Arc<App>, n: usize) -> Result<[Duration; 4]> {
    let trainees = n + WAITING + TIMED_SUBMISSIONS;
    let (host, _) = county(app, 0, trainees).await?;
    let submit = |i: usize| {
        let body = json!({"platform_id": "wljnpx", "record_id": format!("t{i}"), "group": "migrant_worker",
                          "payee": {"kind": "social_security_card", "account": "6217001234567890123"}, "consent": true});
        call("POST", "/api/claims")
            .bearer(&bearer_token(Role::Trainee, &resident_id(i), TRAINEE))
            .json(&body)
    };
    let mut ids = Vec::new();
    for i in 0..n + WAITING {
        let reply = send(&host, submit(i)).await?;
        ids.push(reply["claim"]["id"].as_str().unwrap_or_default().to_owned());
    }
    let reviewer = bearer_token(Role::Reviewer, "bench-reviewer", OPERATOR);
    for batch in ids[..n].chunks(100) {
        let approved = send(
            &host,
            call("POST", "/api/claims/bulk-approve")
                .bearer(&reviewer)
                .json(&json!({ "claim_ids": batch })),
        )
        .await?;
        ensure!(
            (approved["results"].as_array().into_iter().flatten()).all(|r| r["approved"] == true),
            "bulk approval refused: {approved}"
        );
    }
    let finance = bearer_token(Role::Finance, "bench-finance", OPERATOR);
    let report = timed(
        &host,
        || call("GET", "/api/claims/report").bearer(&finance),
        21,
    )
    .await?;
    let page = |after: u64| {
        call(
            "GET",
            &format!("/api/claims/queue?kind=verified&limit=50&after={after}"),
        )
        .bearer(&reviewer)
    };
    let first = timed(&host, || page(0), 21).await?;
    let second: Value = send(&host, page(0)).await?;
    let third_after = send(
        &host,
        page(second["next_after"].as_u64().unwrap_or_default()),
    )
    .await?["next_after"]
        .as_u64()
        .unwrap_or_default();
    let third = timed(&host, || page(third_after), 21).await?;
    let mut submissions = Vec::new();
    for i in n + WAITING..trainees {
        let t = Instant::now();
        send(&host, submit(i)).await?;
        submissions.push(t.elapsed());
    }
    Ok([report, first, third, median(submissions)])
}
