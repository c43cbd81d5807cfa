//! Host calls per request, held to the budgets in `county_api::budgets` (issue 15): on real
//! Spin every variable read, store open and store operation costs real time
//! (`docs/spin.md`), so a change that adds one to a route fails here and must move
//! that route's budget on purpose.

use crate::helpers::*;
use county_api::budgets::{BUDGETS, Budget};
use county_host::HostCalls;
use serde_json::json;

/// Each budgeted route's request, in a county where platform wljnpx reported three records of
/// TRAINEE_A (r0 claimed, r1 and r2 not), the standard of 4-03-02-01 is set and an invoice of
/// r0's line exists.
async fn measured() -> (bool, Vec<(&'static str, HostCalls)>) {
    let (county, platform) = reported(3).await;
    set_standard(&county, "4-03-02-01", "1000").await;
    verify_key_group(&county, TRAINEE_A).await;
    let claim = claimed(&county, "r0").await;
    // Two more trainees, with trainings of r0's and r1's 职业: the second has claimed, so
    // that r1's row of the report is counted before TRAINEE_A's claim of it.
    let (second, third) = (trainee_id(1991, 1), trainee_id(1991, 2));
    // A fourth, not in the registry, whose passed training becomes an offer when a registry
    // upload of them and nine people without trainings comes.
    let fourth = trainee_id(1991, 3);
    let others = vec![
        record("b0", &second, "4-03-02-01", "2020-03-15"),
        record("c0", &third, "4-03-02-02", "2020-03-15"),
        record("d0", &fourth, "4-03-02-03", "2020-03-15"),
    ];
    let mut registry: Vec<_> = (0..9).map(|i| migrant(&trainee_id(1992, i))).collect();
    registry.push(migrant(&fourth));
    assert_eq!(report(&county, &platform, others).await.status, 200);
    let c0 = submit_claim(&county, &third, &claim_body("wljnpx", "c0")).await;
    assert_eq!(c0.status, 201, "{}", c0.json());
    let issued = issue_invoice(&county, &platform, "2020-03").await;
    let number = invoice_number(&issued);
    let facts = json!({
        "applicant": {"resident_id": TRAINEE_A, "hukou_county": "370902", "group": "migrant_worker"},
        "training": {"platform_id": "wljnpx", "occupation": "4-03-02-05", "level": "5", "study_hours": 24,
                     "mode": "online", "started_on": "2020-02-20", "assessment": {"result": "pass", "date": "2020-03-15"}}
    });
    let signed = |c: county_host::client::Call| c.signed(&platform.key_id, &platform.secret);
    let batch: Vec<_> = (0..10)
        .map(|i| {
            record(
                &format!("b{i}"),
                TRAINEE_A,
                &format!("4-03-02-{:02}", 20 + i),
                "2020-03-15",
            )
        })
        .collect();
    let account = call("POST", "/api/accounts")
        .bearer(&admin())
        .json(&json!({"login": "wang.li", "display_name": "王丽", "roles": ["reviewer"], "password": "长城长城长城长城长城"}))
        .send(&county)
        .await;
    assert_eq!(account.status, 201);
    let requests = vec![
        ("GET /api/policy", call("GET", "/api/policy")),
        (
            "GET /api/policy/versions/{id}",
            call("GET", "/api/policy/versions/shandong-2020-02"),
        ),
        (
            "GET /api/policy/standards",
            call("GET", "/api/policy/standards"),
        ),
        (
            "GET /api/policy/platforms",
            call("GET", "/api/policy/platforms"),
        ),
        ("404", call("GET", "/api/policy/nothing-here")),
        ("405", call("DELETE", "/api/policy")),
        (
            "413",
            call("POST", "/api/eligibility/check").header("content-length", "600000"),
        ),
        (
            "POST /api/eligibility/check",
            call("POST", "/api/eligibility/check")
                .bearer(&trainee(TRAINEE_A))
                .json(&facts),
        ),
        (
            "POST /api/claims (a person's first)",
            call("POST", "/api/claims")
                .bearer(&trainee(&second))
                .json(&claim_body("wljnpx", "b0")),
        ),
        (
            "POST /api/claims (a later one)",
            call("POST", "/api/claims")
                .bearer(&trainee(TRAINEE_A))
                .header("idempotency-key", "budget-0000000001")
                .json(&claim_body("wljnpx", "r1")),
        ),
        (
            "POST /api/claims (the first of its report row)",
            call("POST", "/api/claims")
                .bearer(&trainee(TRAINEE_A))
                .json(&claim_body("wljnpx", "r2")),
        ),
        (
            "GET /api/claims",
            call("GET", "/api/claims").bearer(&trainee(TRAINEE_A)),
        ),
        (
            "GET /api/claims/{id}",
            call("GET", &format!("/api/claims/{claim}")).bearer(&trainee(TRAINEE_A)),
        ),
        (
            "GET /api/claims/{id}/recheck",
            call("GET", &format!("/api/claims/{claim}/recheck")).bearer(&reviewer()),
        ),
        (
            "GET /api/claims/queue",
            call("GET", "/api/claims/queue?kind=verified").bearer(&reviewer()),
        ),
        (
            "GET /api/claims/payable",
            call("GET", "/api/claims/payable").bearer(&finance()),
        ),
        (
            "GET /api/claims/report",
            call("GET", "/api/claims/report").bearer(&finance()),
        ),
        (
            "POST /api/eligibility/registry (10 entries, 1 offer made)",
            call("POST", "/api/eligibility/registry")
                .bearer(&admin())
                .json(&json!({ "entries": registry })),
        ),
        (
            "POST /api/platform/completions (10 records)",
            signed(call("POST", "/api/platform/completions").json(&json!({ "records": batch }))),
        ),
        (
            "GET /api/platform/invoices/{number}",
            signed(call("GET", &format!("/api/platform/invoices/{number}"))),
        ),
        ("GET /console/", call("GET", "/console/")),
        ("GET /console/app.js", call("GET", "/console/app.js")),
        (
            "POST /api/accounts/sign-in",
            call("POST", "/api/accounts/sign-in")
                .json(&json!({"login": "wang.li", "password": "长城长城长城长城长城"})),
        ),
    ];
    let mut measured = Vec::new();
    let redis = county.kv().is_redis();
    for (route, request) in requests {
        let reply = request.send(&county).await;
        assert!(
            reply.status < 500,
            "{route}: {} {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
        measured.push((route, reply.calls));
    }
    (redis, measured)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_budgeted_route_stays_within_its_host_calls() {
    let (redis, measured) = measured().await;
    for (route, calls) in &measured {
        eprintln!(
            "measured {route}: {} variables / {} opens / {} operations {calls:?}",
            calls.variable_gets,
            calls.store_opens,
            calls.store_operations()
        );
    }
    let mut over = Vec::new();
    for Budget {
        route,
        variables,
        store_opens,
        store_operations,
        redis_store_operations,
        writes,
        ..
    } in BUDGETS
    {
        let store_operations = if redis {
            redis_store_operations
        } else {
            store_operations
        };
        let Some((_, calls)) = measured.iter().find(|(r, _)| r == route) else {
            panic!("{route} has a budget but no request here");
        };
        let within = calls.variable_gets <= *variables
            && calls.store_opens <= *store_opens
            && calls.store_operations() <= *store_operations
            && calls.writes() <= *writes;
        eprintln!(
            "{route}: {} / {} / {} ({} writes) (budget {variables} / {store_opens} / {store_operations} ({writes} writes))",
            calls.variable_gets,
            calls.store_opens,
            calls.store_operations(),
            calls.writes()
        );
        if !within {
            over.push(format!(
                "{route}: {} variables, {} opens, {} operations, {} writes; budget {variables} / {store_opens} / {store_operations} / {writes}",
                calls.variable_gets, calls.store_opens, calls.store_operations(), calls.writes()
            ));
        }
    }
    for (route, _) in &measured {
        assert!(
            BUDGETS.iter().any(|b| b.route == *route),
            "{route} is measured but has no budget"
        );
    }
    assert!(over.is_empty(), "over budget:\n{}", over.join("\n"));
}
