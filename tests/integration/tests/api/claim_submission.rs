//! Claim submission and review through the compiled components: the full journey from a
//! platform's report to payment, every refusal, idempotency, and the limits under real
//! concurrency.

use std::sync::Arc;

use crate::helpers::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_journey_from_report_to_payment_releases_the_platform_line() {
    let (county, platform) = reported(1).await;
    set_standard(&county, "4-03-02-01", "1000").await;

    let mine = call("GET", "/api/claims/completions")
        .bearer(&trainee(TRAINEE_A))
        .send(&county)
        .await
        .json();
    assert_eq!(mine["records"][0]["record_id"], "r0");
    assert_eq!(mine["records"][0]["state"], "reported");

    let held = call("GET", "/api/platform/invoices/preview?month=2020-03")
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await
        .json();
    assert_eq!(
        held["held"][0]["reasons"][0]["code"],
        "key_group_not_verified"
    );

    let submitted = submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", "r0")).await;
    assert_eq!(submitted.status, 201, "{}", submitted.json());
    let body = submitted.json();
    let claim = &body["claim"];
    let id = claim["id"].as_str().unwrap().to_owned();
    assert_eq!(claim["status"], "submitted");
    assert_eq!(claim["amount"], "120.00");
    assert_eq!(claim["fund"], "就业补助资金");
    assert_eq!(
        claim["payee"]["account"], "***************0123",
        "payee masked to the trainee"
    );
    assert_eq!(body["verdict"]["outcome"], "needs_review");
    let record_state = call("GET", "/api/platform/completions/r0")
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await
        .json();
    assert_eq!(record_state["state"], "claimed");

    let queue = call("GET", "/api/claims/queue?kind=review")
        .bearer(&reviewer())
        .send(&county)
        .await
        .json();
    assert_eq!(queue["claims"][0]["id"], id.as_str());
    let approved = call("POST", &format!("/api/claims/{id}/approve"))
        .bearer(&reviewer())
        .json(&json!({"note": "农民工身份经村委会证明核实"}))
        .send(&county)
        .await;
    assert_eq!(approved.status, 200);
    let queue = call("GET", "/api/claims/queue?kind=review")
        .bearer(&reviewer())
        .send(&county)
        .await
        .json();
    assert_eq!(
        queue["claims"],
        json!([]),
        "approved claims leave the queue"
    );

    publish_notice_ended(&county).await;
    let paid = call("POST", &format!("/api/claims/{id}/pay"))
        .bearer(&finance())
        .json(&json!({"reference": "SB-2020-04-0001", "paid_on": "2020-04-20"}))
        .send(&county)
        .await;
    assert_eq!(paid.status, 200);
    let paid = paid.json();
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["payment"]["fund"], "就业补助资金");
    assert_eq!(
        paid["payee"]["account"], "6217001234567890123",
        "finance sees the account it pays"
    );
    let steps = transitions(&paid);
    assert_eq!(
        steps,
        [
            (Value::Null, json!("submitted"), json!("370***********1231")),
            (json!("submitted"), json!("approved"), json!("op-reviewer")),
            (json!("approved"), json!("paid"), json!("op-finance")),
        ]
    );
    assert_eq!(
        paid["transitions"][1]["reason"],
        "农民工身份经村委会证明核实"
    );
    let reviewer_view = call("GET", &format!("/api/claims/{id}"))
        .bearer(&reviewer())
        .send(&county)
        .await
        .json();
    assert_eq!(reviewer_view["payee"]["account"], "***************0123");

    // The approved claim verified the key group: the platform's line is billable now.
    let invoice = call("POST", "/api/platform/invoices")
        .json(&json!({"month": "2020-03"}))
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await;
    assert_eq!(invoice.status, 201);
    assert_eq!(invoice.json()["invoice"]["lines"][0]["record_id"], "r0");
    assert_eq!(invoice.json()["invoice"]["total"], "200.00");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_refusal_says_why_and_writes_nothing() {
    let (county, platform) = reported(2).await;
    let other = resident_id("37090219851111002");

    let mut employee = claim_body("wljnpx", "r0");
    employee["group"] = json!("enterprise_employee");
    let reply = submit_claim(&county, TRAINEE_A, &employee).await;
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (422, "not_eligible")
    );
    assert_eq!(reply.details()[0].0, "not_a_key_group");

    let someone_elses = submit_claim(&county, &other, &claim_body("wljnpx", "r0")).await;
    assert_eq!(
        someone_elses.status, 404,
        "another person's record is not found"
    );
    let missing = submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", "nope")).await;
    assert_eq!(missing.status, 404);

    let mut bad = claim_body("wljnpx", "r0");
    bad["consent"] = json!(false);
    bad["payee"] = json!({"kind": "bank_account", "account": "123"});
    let bad = submit_claim(&county, TRAINEE_A, &bad).await;
    assert_eq!(bad.status, 422);
    let codes: Vec<String> = bad.details().into_iter().map(|(c, _)| c).collect();
    assert_eq!(
        codes,
        ["invalid_account", "bank_name_required", "consent_required"]
    );

    let voided = call("POST", "/api/platform/completions/r1/void")
        .json(&json!({"reason": "学时不实"}))
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await;
    assert_eq!(voided.status, 200);
    let on_void = submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", "r1")).await;
    assert_eq!(
        (on_void.status, on_void.error_code().as_str()),
        (422, "record_void")
    );

    let by_operator = call("POST", "/api/claims")
        .bearer(&reviewer())
        .json(&claim_body("wljnpx", "r0"))
        .send(&county)
        .await;
    assert_eq!(
        (by_operator.status, by_operator.error_code().as_str()),
        (403, "trainees_only")
    );
    assert_eq!(
        claims_of(&county, TRAINEE_A).await,
        Vec::<Value>::new(),
        "no refused submission left a claim"
    );

    assert_eq!(
        submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", "r0"))
            .await
            .status,
        201
    );
    let twice = submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", "r0")).await;
    assert_eq!(
        (twice.status, twice.error_code().as_str()),
        (409, "already_claimed")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_with_the_same_idempotency_key_returns_the_original_claim() {
    let (county, _) = reported(1).await;
    let send = || {
        call("POST", "/api/claims")
            .bearer(&trainee(TRAINEE_A))
            .header("idempotency-key", "mp-20200320-0001")
            .json(&claim_body("wljnpx", "r0"))
    };
    let first = send().send(&county).await;
    assert_eq!(first.status, 201);
    assert_eq!(first.header("idempotent-replayed"), None);
    // The same answer, status and body, marked as a replay; even once the claim moved on.
    let retry = send().send(&county).await;
    assert_eq!((retry.status, retry.json()), (201, first.json()));
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    let id = first.json()["claim"]["id"].as_str().unwrap().to_owned();
    let approved = call("POST", &format!("/api/claims/{id}/approve"))
        .bearer(&reviewer())
        .send(&county)
        .await;
    assert_eq!(approved.status, 200);
    let later = send().send(&county).await;
    assert_eq!((later.status, later.json()), (201, first.json()));
    assert_eq!(claims_of(&county, TRAINEE_A).await.len(), 1);
    // The key sent with another request: refused, naming the key, nothing made.
    let mut other = claim_body("wljnpx", "r0");
    other["payee"]["account"] = json!("6217001234567890999");
    let reused = call("POST", "/api/claims")
        .bearer(&trainee(TRAINEE_A))
        .header("idempotency-key", "mp-20200320-0001")
        .json(&other)
        .send(&county)
        .await;
    assert_eq!(
        (reused.status, reused.error_code().as_str()),
        (422, "idempotency_key_reused")
    );
    assert_eq!(reused.json()["error"]["field"], "Idempotency-Key");
    assert_eq!(claims_of(&county, TRAINEE_A).await.len(), 1);
    let bad_key = call("POST", "/api/claims")
        .bearer(&trainee(TRAINEE_A))
        .header("idempotency-key", "short")
        .json(&claim_body("wljnpx", "r0"))
        .send(&county)
        .await;
    assert_eq!(
        (bad_key.status, bad_key.error_code().as_str()),
        (400, "invalid_idempotency_key")
    );
}

async fn concurrently(
    county: &Arc<County>,
    bodies: Vec<(Value, Option<&'static str>)>,
) -> Vec<u16> {
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|(body, key)| {
            let county = county.clone();
            tokio::spawn(async move {
                let mut request = call("POST", "/api/claims").bearer(&trainee(TRAINEE_A));
                if let Some(key) = key {
                    request = request.header("idempotency-key", key);
                }
                request.json(&body).send(&county).await.status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_simultaneous_submissions_make_three_claims_of_distinct_courses() {
    let (county, _) = reported(64).await;
    let county = Arc::new(county);
    let bodies = (0..64)
        .map(|i| (claim_body("wljnpx", &format!("r{i}")), None))
        .collect();
    let statuses = concurrently(&county, bodies).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        3,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [201, 422].contains(s)),
        "{statuses:?}"
    );
    let mine = claims_of(&county, TRAINEE_A).await;
    let occupations: std::collections::BTreeSet<_> = mine
        .iter()
        .map(|c| c["occupation"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(occupations.len(), 3, "{mine:?}");
    limits_hold(&county).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_simultaneous_claims_of_one_course_from_four_records_yield_one() {
    let county = Arc::new(taishan());
    let a = credential(&county, "wljnpx").await;
    let b = credential(&county, "ixueto").await;
    // The same course reported twice by each of two platforms.
    report(
        &county,
        &a,
        vec![
            record("a1", TRAINEE_A, "4-03-02-01", "2020-03-15"),
            record("a2", TRAINEE_A, "4-03-02-01", "2020-03-16"),
        ],
    )
    .await;
    report(
        &county,
        &b,
        vec![
            record("b1", TRAINEE_A, "4-03-02-01", "2020-03-17"),
            record("b2", TRAINEE_A, "4-03-02-01", "2020-03-18"),
        ],
    )
    .await;
    let bodies = ["wljnpx/a1", "wljnpx/a2", "ixueto/b1", "ixueto/b2"]
        .iter()
        .cycle()
        .take(32)
        .map(|r| {
            let (platform, record_id) = r.split_once('/').unwrap();
            (claim_body(platform, record_id), None)
        })
        .collect();
    let statuses = concurrently(&county, bodies).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    limits_hold(&county).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_simultaneous_retries_with_one_key_make_one_claim() {
    let (county, _) = reported(1).await;
    let county = Arc::new(county);
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let county = county.clone();
            tokio::spawn(async move {
                call("POST", "/api/claims")
                    .bearer(&trainee(TRAINEE_A))
                    .header("idempotency-key", "mp-same-key-000001")
                    .json(&claim_body("wljnpx", "r0"))
                    .send(&county)
                    .await
            })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    assert_one_claim_for_one_key(&replies);
    assert_eq!(claims_of(&county, TRAINEE_A).await.len(), 1);
    limits_hold(&county).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn withdrawing_or_rejecting_frees_the_place() {
    let (county, _) = reported(5).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let reply = submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", &format!("r{i}"))).await;
        ids.push(reply.json()["claim"]["id"].as_str().unwrap().to_owned());
    }
    let fourth = submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", "r3")).await;
    assert_eq!(fourth.details()[0].0, "yearly_limit_reached");

    let withdrawn = call("POST", &format!("/api/claims/{}/withdraw", ids[0]))
        .bearer(&trainee(TRAINEE_A))
        .send(&county)
        .await;
    assert_eq!(
        (withdrawn.status, withdrawn.json()["status"].clone()),
        (200, json!("withdrawn"))
    );
    assert_eq!(
        submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", "r3"))
            .await
            .status,
        201
    );

    let rejected = call("POST", &format!("/api/claims/{}/reject", ids[1]))
        .bearer(&reviewer())
        .json(&json!({"reason": "非农业户口，不属于农民工"}))
        .send(&county)
        .await;
    assert_eq!(rejected.status, 200);
    assert_eq!(
        rejected.json()["transitions"][1]["reason"],
        "非农业户口，不属于农民工"
    );
    assert_eq!(
        submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", "r4"))
            .await
            .status,
        201
    );
    // The rejected claim's record is free again, but the year is full once more.
    let again = submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", "r1")).await;
    assert_eq!(again.details()[0].0, "yearly_limit_reached");

    let approve_withdrawn = call("POST", &format!("/api/claims/{}/approve", ids[0]))
        .bearer(&reviewer())
        .send(&county)
        .await;
    assert_eq!(
        (
            approve_withdrawn.status,
            approve_withdrawn.error_code().as_str()
        ),
        (409, "invalid_transition")
    );
    call("POST", &format!("/api/claims/{}/approve", ids[2]))
        .bearer(&reviewer())
        .send(&county)
        .await;
    let late_withdraw = call("POST", &format!("/api/claims/{}/withdraw", ids[2]))
        .bearer(&trainee(TRAINEE_A))
        .send(&county)
        .await;
    assert_eq!(
        (late_withdraw.status, late_withdraw.error_code().as_str()),
        (409, "invalid_transition")
    );
    limits_hold(&county).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn trainees_see_only_their_own_claims_and_roles_are_checked() {
    let (county, _) = reported(1).await;
    let id = submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", "r0"))
        .await
        .json()["claim"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = resident_id("37090219851111002");
    let peek = call("GET", &format!("/api/claims/{id}"))
        .bearer(&trainee(&other))
        .send(&county)
        .await;
    assert_eq!(peek.status, 404);
    let withdraw = call("POST", &format!("/api/claims/{id}/withdraw"))
        .bearer(&trainee(&other))
        .send(&county)
        .await;
    assert_eq!(withdraw.status, 404);
    let theirs = call("GET", "/api/claims")
        .bearer(&trainee(&other))
        .send(&county)
        .await
        .json();
    assert_eq!(theirs["claims"], json!([]));

    let path = |action: &str| format!("/api/claims/{id}/{action}");
    let pay_body = json!({"reference": "X-1", "paid_on": "2020-04-01"});
    let denied = [
        call("POST", &path("approve")).bearer(&finance()),
        call("POST", &path("approve")).bearer(&admin()),
        call("POST", &path("approve")).bearer(&trainee(TRAINEE_A)),
        call("POST", &path("reject"))
            .bearer(&finance())
            .json(&json!({"reason": "x"})),
        call("POST", &path("pay"))
            .bearer(&reviewer())
            .json(&pay_body),
        call("GET", "/api/claims/queue").bearer(&trainee(TRAINEE_A)),
        call("GET", "/api/claims/queue").bearer(&finance()),
        call("GET", "/api/claims/report").bearer(&trainee(TRAINEE_A)),
        call("POST", "/api/admin/report-recount")
            .bearer(&reviewer())
            .json(&json!({"month": "2020-03"})),
        call("POST", "/api/claims/bulk-approve")
            .bearer(&finance())
            .json(&json!({"claim_ids": [id]})),
    ];
    for request in denied {
        let reply = request.send(&county).await;
        assert_eq!(reply.status, 403, "{}", reply.json());
    }
    let early_pay = call("POST", &path("pay"))
        .bearer(&finance())
        .json(&pay_body)
        .send(&county)
        .await;
    assert_eq!(
        (early_pay.status, early_pay.error_code().as_str()),
        (409, "invalid_transition")
    );
    let anonymous = call("GET", &format!("/api/claims/{id}"))
        .send(&county)
        .await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn registry_verified_claims_are_approved_in_bulk_and_others_skipped() {
    let (county, _) = reported(2).await;
    let other = resident_id("37090219851111002");
    let platform = credential(&county, "ixueto").await;
    report(
        &county,
        &platform,
        vec![record("x0", &other, "4-03-02-01", "2020-03-15")],
    )
    .await;
    verify_key_group(&county, TRAINEE_A).await;
    let verified = submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", "r0"))
        .await
        .json();
    assert_eq!(verified["verdict"]["outcome"], "eligible");
    let declared = submit_claim(&county, &other, &claim_body("ixueto", "x0"))
        .await
        .json();
    let (v, d) = (
        verified["claim"]["id"].clone(),
        declared["claim"]["id"].clone(),
    );

    let queue = call("GET", "/api/claims/queue?kind=verified")
        .bearer(&reviewer())
        .send(&county)
        .await
        .json();
    assert_eq!(queue["claims"].as_array().unwrap().len(), 1);
    let bulk = call("POST", "/api/claims/bulk-approve")
        .bearer(&reviewer())
        .json(&json!({"claim_ids": [v, d, "c-missing"]}))
        .send(&county)
        .await;
    assert_eq!(bulk.status, 200);
    let results = bulk.json()["results"].clone();
    assert_eq!(results[0]["approved"], true);
    assert_eq!(
        (
            results[1]["approved"].clone(),
            results[1]["reason"]["code"].clone()
        ),
        (json!(false), json!("needs_individual_review"))
    );
    assert_eq!(
        (
            results[2]["approved"].clone(),
            results[2]["reason"]["code"].clone()
        ),
        (json!(false), json!("not_found"))
    );
    let bad_page = call("GET", "/api/claims/queue?kind=other&limit=0")
        .bearer(&reviewer())
        .send(&county)
        .await;
    assert_eq!(bad_page.status, 422);
    assert_eq!(bad_page.details().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_review_queue_pages_oldest_first() {
    let (county, _) = reported(3).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", &format!("r{i}")))
                .await
                .json()["claim"]["id"]
                .clone(),
        );
    }
    let first = call("GET", "/api/claims/queue?limit=2")
        .bearer(&reviewer())
        .send(&county)
        .await
        .json();
    let page: Vec<Value> = first["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(page, ids[..2]);
    let next = first["next_after"].as_u64().unwrap();
    let second = call("GET", &format!("/api/claims/queue?limit=2&after={next}"))
        .bearer(&reviewer())
        .send(&county)
        .await
        .json();
    let page: Vec<Value> = second["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(page, ids[2..]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_province_report_counts_and_sums_by_group_platform_occupation_status_and_month() {
    let (county, _) = reported(3).await;
    for i in 0..2 {
        submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", &format!("r{i}"))).await;
    }
    let report = call("GET", "/api/claims/report")
        .bearer(&finance())
        .send(&county)
        .await
        .json();
    assert_eq!(report["total_count"], 2);
    assert_eq!(
        report["by_status"][0],
        json!({"status": "submitted", "count": 2, "amount": "240.00"})
    );
    // Nothing paid yet: the headline (paid minus recovered) is zero, not what was claimed.
    assert_eq!(report["net_paid_amount"], "0.00");
    assert_eq!(
        report["rows"][0],
        json!({"key_group": "migrant_worker", "platform_id": "wljnpx", "occupation": "4-03-02-01",
               "status": "submitted", "month": "2020-03", "count": 1, "amount": "120.00"})
    );
    let csv = call("GET", "/api/claims/report?format=csv")
        .bearer(&reviewer())
        .send(&county)
        .await;
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    // Excel and WPS read UTF-8 only after the byte-order mark.
    let text = String::from_utf8(csv.body.to_vec()).unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("the CSV starts with the UTF-8 byte-order mark");
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(
        rows[0],
        "county,key_group,platform_id,occupation,status,month,count,amount"
    );
    assert_eq!(
        rows[1],
        "370902,migrant_worker,wljnpx,4-03-02-01,submitted,2020-03,1,120.00"
    );
    assert_eq!(rows[3], "370902,TOTAL,,,submitted,,2,240.00");
    assert_eq!(rows[6], "370902,PAID_MINUS_RECOVERED,,,,,,0.00");
    let bad = call("GET", "/api/claims/report?format=xml")
        .bearer(&finance())
        .send(&county)
        .await;
    assert_eq!(bad.status, 422);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_graduates_declarations_are_kept_on_the_claim_for_the_reviewer() {
    let (county, _) = reported(1).await;
    let body = json!({
        "platform_id": "wljnpx", "record_id": "r0", "group": "unemployed_graduate",
        "graduation_date": "2019-06-30", "employed": false,
        "payee": {"kind": "social_security_card", "account": "6217001234567890123"},
        "consent": true
    });
    let made = submit_claim(&county, TRAINEE_A, &body).await;
    assert_eq!(made.status, 201, "{}", made.json());
    let id = made.json()["claim"]["id"].as_str().unwrap().to_owned();
    let seen = call("GET", &format!("/api/claims/{id}"))
        .bearer(&reviewer())
        .send(&county)
        .await
        .json();
    assert_eq!(
        (&seen["graduation_date"], &seen["employed"]),
        (&json!("2019-06-30"), &json!(false)),
        "{seen}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_identical_records_in_one_batch_are_flagged_and_their_claims_reviewed_one_by_one() {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    let trainees: Vec<String> = (0..20)
        .map(|i| resident_id(&format!("370902199003070{i:02}")))
        .collect();
    let records = (trainees.iter().enumerate())
        .map(|(i, t)| record(&format!("r{i}"), t, "4-03-02-01", "2020-03-15"))
        .collect();
    let reply = report(&county, &platform, records).await;
    assert!(outcomes(&reply).iter().all(|o| o == "accepted"));
    let flagged = call("GET", "/api/platform/completions/r0")
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await
        .json();
    assert!(
        flagged["flagged"].as_str().unwrap().contains("20"),
        "{flagged}"
    );
    verify_key_group(&county, &trainees[0]).await;
    let claim = submit_claim(&county, &trainees[0], &claim_body("wljnpx", "r0")).await;
    assert_eq!(claim.status, 201, "{}", claim.json());
    let claim = claim.json()["claim"].clone();
    // Verified by the registry, yet in the queue a reviewer works through one by one.
    assert_eq!(claim["key_group_status"], "verified");
    let verified_queue = call("GET", "/api/claims/queue?kind=verified")
        .bearer(&reviewer())
        .send(&county)
        .await
        .json();
    assert_eq!(verified_queue["claims"], json!([]));
    let bulk = call("POST", "/api/claims/bulk-approve")
        .bearer(&reviewer())
        .json(&json!({"claim_ids": [claim["id"]]}))
        .send(&county)
        .await
        .json();
    assert_eq!(
        bulk["results"][0]["reason"]["code"],
        "needs_individual_review"
    );
    let one = call(
        "POST",
        &format!("/api/claims/{}/approve", claim["id"].as_str().unwrap()),
    )
    .bearer(&reviewer())
    .send(&county)
    .await;
    assert_eq!(one.status, 200);
}
