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
        let county = taishan();
        let platform = credential(&county, "wljnpx").await;
        report(
            &county,
            &platform,
            vec![record("r0", TRAINEE_A, "4-03-02-01", "2020-03-15")],
        )
        .await;
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
