//! Reliability: requests killed by a store failure at every one of their store operations
//! leave consistent state, and a retry completes them.

use crate::helpers::*;
use serde_json::{Value, json};
use subsidy_rules::{CountyCode, OccupationCode, PersonKey, ResidentId, SkillLevel, store_keys};

fn counter(county: &County, key: &str) -> i64 {
    county.kv().increment("default", key, 0).unwrap().unwrap()
}

fn person(id: &str) -> PersonKey {
    PersonKey::derive(PERSON_SECRET.as_bytes(), &ResidentId::parse(id).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_submission_failing_at_any_store_operation_is_consistent_and_a_retry_completes() {
    let mut k = 1;
    loop {
        let (county, platform) = reported(1).await;
        let submit = || {
            call("POST", "/api/claims")
                .bearer(&trainee(TRAINEE_A))
                .header("idempotency-key", "mp-fault-0000001")
                .json(&claim_body("wljnpx", "r0"))
        };
        county.kv().fail_at(k);
        let first = submit().send(&county).await;
        let failed = county.kv().fault_spent() && first.status >= 500;
        county.kv().fail_at(-1);
        assert!(
            [200, 201, 503].contains(&first.status),
            "k={k}: {}",
            first.status
        );

        // Whatever happened, nothing half-done shows and the limits match the claims.
        let mine = call("GET", "/api/claims")
            .bearer(&trainee(TRAINEE_A))
            .send(&county)
            .await
            .json();
        assert!(mine["claims"].as_array().unwrap().len() <= 1, "k={k}");
        recount_is_clean(&county).await;

        let retry = submit().send(&county).await;
        assert!(
            [200, 201].contains(&retry.status),
            "k={k}: retry answered {} {}",
            retry.status,
            retry.json()
        );
        let mine = call("GET", "/api/claims")
            .bearer(&trainee(TRAINEE_A))
            .send(&county)
            .await
            .json();
        assert_eq!(
            mine["claims"].as_array().unwrap().len(),
            1,
            "k={k}: one claim after the retry"
        );
        let record = call("GET", "/api/platform/completions/r0")
            .signed(&platform.key_id, &platform.secret)
            .send(&county)
            .await
            .json();
        assert_eq!(
            record["claim"], mine["claims"][0]["id"],
            "k={k}: the record is marked claimed"
        );
        recount_is_clean(&county).await;
        if !failed {
            break;
        }
        k += 1;
    }
    assert!(
        k > 10,
        "a submission makes more than 10 store operations; got to {k}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invoice_failing_at_any_store_operation_is_all_or_nothing_and_a_retry_completes() {
    let trainees: Vec<String> = (1..=3)
        .map(|i| resident_id(&format!("3709021990030700{i}")))
        .collect();
    let code = CountyCode::parse("370902").unwrap();
    let occupation = OccupationCode::parse("4-03-02-01").unwrap();
    let mut k = 1;
    loop {
        let county = taishan();
        let platform = credential(&county, "wljnpx").await;
        set_standard(&county, "4-03-02-01", "1000").await;
        let records = trainees
            .iter()
            .enumerate()
            .map(|(i, t)| record(&format!("r{i}"), t, "4-03-02-01", "2020-03-15"))
            .collect();
        report(&county, &platform, records).await;
        for t in &trainees {
            verify_key_group(&county, t).await;
        }
        let issue = || {
            call("POST", "/api/platform/invoices")
                .json(&json!({"month": "2020-03"}))
                .signed(&platform.key_id, &platform.secret)
        };

        county.kv().fail_at(k);
        let first = issue().send(&county).await;
        let failed = county.kv().fault_spent() && first.status >= 500;
        county.kv().fail_at(-1);
        assert!(
            [201, 503].contains(&first.status),
            "k={k}: {}",
            first.status
        );

        let check = |stage: &str, invoices: &Value, records: &Value| {
            let invoices = invoices["invoices"].as_array().unwrap();
            let billed: Vec<&Value> = records["records"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["invoice"].is_string())
                .collect();
            let lines: usize = invoices
                .iter()
                .map(|i| i["lines"].as_array().unwrap().len())
                .sum();
            assert_eq!(
                lines,
                billed.len(),
                "k={k} {stage}: every billed record is on a readable invoice"
            );
            for r in &billed {
                let on = invoices
                    .iter()
                    .find(|i| i["number"] == r["invoice"])
                    .unwrap_or_else(|| panic!("k={k} {stage}: record points at a missing invoice"));
                assert!(
                    on["lines"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|l| l["record_id"] == r["record_id"])
                );
            }
            for (i, t) in trainees.iter().enumerate() {
                let taken = counter(
                    &county,
                    &store_keys::course_billed(&code, &person(t), &occupation, SkillLevel::Level5),
                );
                let is_billed = billed.iter().any(|r| r["record_id"] == format!("r{i}"));
                assert_eq!(
                    taken,
                    i64::from(is_billed),
                    "k={k} {stage}: the course counter matches the record"
                );
            }
            billed.len()
        };
        let read = || async {
            let invoices = call("GET", "/api/platform/invoices")
                .signed(&platform.key_id, &platform.secret)
                .send(&county)
                .await
                .json();
            let records = call("GET", "/api/platform/completions?month=2020-03")
                .signed(&platform.key_id, &platform.secret)
                .send(&county)
                .await
                .json();
            (invoices, records)
        };
        let (invoices, records) = read().await;
        let after_first = check("after the failure", &invoices, &records);
        assert!(
            after_first == 0 || after_first == 3,
            "k={k}: all or nothing, got {after_first}"
        );

        let retry = issue().send(&county).await;
        assert!(
            [200, 201].contains(&retry.status),
            "k={k}: retry answered {}",
            retry.status
        );
        let (invoices, records) = read().await;
        assert_eq!(
            check("after the retry", &invoices, &records),
            3,
            "k={k}: every line billed once"
        );
        if !failed {
            break;
        }
        k += 1;
    }
    assert!(
        k > 10,
        "issuing makes more than 10 store operations; got to {k}"
    );
}

/// A token minted at the components' clock, which a test may have moved on.
fn token_at(county: &County, role: Role, sub: &str) -> String {
    let secret = if role == Role::Trainee {
        TRAINEE_SECRET
    } else {
        OPERATOR_SECRET
    };
    county_host::client::mint_token(role, sub, secret.as_bytes(), county.now_unix() - 10, 610)
}

/// Sets TRAINEE_A's counters from what holds their places, then checks a second recount
/// finds them equal.
async fn recount_twice(county: &County) -> Vec<Value> {
    let recount = || {
        call("POST", "/api/claims/recount")
            .bearer(&token_at(county, Role::Admin, "op-admin"))
            .json(&json!({"resident_id": TRAINEE_A}))
    };
    assert_eq!(recount().send(county).await.status, 200);
    let second = recount().send(county).await.json();
    let counters = second["counters"].as_array().unwrap().clone();
    for counter in &counters {
        assert_eq!(counter["was"], counter["is"], "{counter}");
    }
    counters
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_submission_killed_at_any_store_call_is_repaired_by_a_recount_and_can_be_made() {
    let mut k = 1;
    loop {
        let (county, _) = reported(1).await;
        county.kv().kill_at(k);
        let first = submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", "r0")).await;
        let killed = county.kv().kill_spent();
        county.kv().kill_at(-1);
        if !killed {
            assert_eq!(first.status, 201, "{}", first.json());
            assert!(k > 10, "a submission makes more than 10 store calls ({k})");
            break;
        }
        // Spin answers a trapped instance with a bare 500; nothing ran after the kill.
        assert_eq!(first.status, 500, "k={k}");
        let claims = claims_of(&county, TRAINEE_A).await;
        assert!(claims.len() <= 1, "k={k}: {claims:?}");

        // After the grace period a recount frees whatever the dead submission held.
        county.advance_clock(subsidy_rules::IN_FLIGHT_GRACE_SECONDS + 1);
        let counters = recount_twice(&county).await;
        let held: i64 = counters
            .iter()
            .filter(|c| c["key"].as_str().unwrap().contains(":year:"))
            .map(|c| c["is"].as_i64().unwrap())
            .sum();
        assert_eq!(held, claims.len() as i64, "k={k}: {counters:?}");

        // The trainee can then claim: anew, or is told the claim they have stands.
        let retry = call("POST", "/api/claims")
            .bearer(&token_at(&county, Role::Trainee, TRAINEE_A))
            .json(&claim_body("wljnpx", "r0"))
            .send(&county)
            .await;
        let expected = if claims.is_empty() { 201 } else { 409 };
        assert_eq!(retry.status, expected, "k={k}: {}", retry.json());
        let claims = call("GET", "/api/claims")
            .bearer(&token_at(&county, Role::Trainee, TRAINEE_A))
            .send(&county)
            .await
            .json();
        assert_eq!(claims["claims"].as_array().unwrap().len(), 1, "k={k}");
        recount_twice(&county).await;
        k += 1;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invoice_build_killed_at_any_store_call_is_repaired_by_the_next_build() {
    let trainees: Vec<String> = (1..=3)
        .map(|i| resident_id(&format!("3709021990030700{i}")))
        .collect();
    let mut k = 1;
    loop {
        let county = taishan();
        let platform = credential(&county, "wljnpx").await;
        set_standard(&county, "4-03-02-01", "1000").await;
        let records = (trainees.iter().enumerate())
            .map(|(i, t)| record(&format!("r{i}"), t, "4-03-02-01", "2020-03-15"))
            .collect();
        report(&county, &platform, records).await;
        for t in &trainees {
            verify_key_group(&county, t).await;
        }
        // Signed at the components' clock, which the test moves on.
        let signed = |call: Call| {
            call.signed_at(
                &platform.key_id,
                &platform.secret,
                county.now_unix(),
                &nonce(),
            )
        };
        let issue =
            || signed(call("POST", "/api/platform/invoices").json(&json!({"month": "2020-03"})));
        county.kv().kill_at(k);
        let first = issue().send(&county).await;
        let killed = county.kv().kill_spent();
        county.kv().kill_at(-1);
        if !killed {
            assert_eq!(first.status, 201, "{}", first.json());
            assert!(k > 10, "a build makes more than 10 store calls ({k})");
            break;
        }
        assert_eq!(first.status, 500, "k={k}");

        // After the grace, the next build repairs what the dead one left and bills each
        // course once: every billed record on a readable invoice, no line twice.
        county.advance_clock(subsidy_rules::IN_FLIGHT_GRACE_SECONDS + 1);
        let retry = issue().send(&county).await;
        assert!(
            [200, 201].contains(&retry.status),
            "k={k}: {}",
            retry.json()
        );
        let invoices = signed(call("GET", "/api/platform/invoices"))
            .send(&county)
            .await
            .json();
        let mut lines: Vec<String> = invoices["invoices"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|i| i["lines"].as_array().unwrap().clone())
            .map(|l| l["record_id"].as_str().unwrap().to_owned())
            .collect();
        lines.sort();
        assert_eq!(lines, ["r0", "r1", "r2"], "k={k}: {invoices}");
        let records = signed(call("GET", "/api/platform/completions?month=2020-03"))
            .send(&county)
            .await
            .json();
        for r in records["records"].as_array().unwrap() {
            let number = &r["invoice"];
            assert!(
                invoices["invoices"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|i| &i["number"] == number),
                "k={k}: {} points at {number}, which is not an invoice",
                r["record_id"]
            );
        }
        k += 1;
    }
}
