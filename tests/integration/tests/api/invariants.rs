//! One regression test for each way money, access or the report went wrong when a rule was
//! held on one record, one request or one field instead of as an invariant (issue 26): each
//! failed before its fix. The model test (`model.rs`) hunts for more of the same.

use serde_json::{Value, json};
use subsidy_rules::{CountyCode, store_keys};

use crate::helpers::*;

/// A passed training of `trainee` with its own days and hours.
fn training(
    id: &str,
    trainee: &str,
    occupation: &str,
    days: (&str, &str, &str),
    hours: u32,
) -> Value {
    let mut record = record(id, trainee, occupation, days.2);
    record["started_on"] = json!(days.0);
    record["ended_on"] = json!(days.1);
    record["study_hours"] = json!(hours);
    record
}

fn outcome(reply: &Reply, index: usize) -> (String, Vec<String>) {
    let result = &reply.json()["results"][index];
    let codes = (result["reasons"].as_array().unwrap().iter())
        .map(|r| r["code"].as_str().unwrap().to_owned())
        .collect();
    (result["outcome"].as_str().unwrap().to_owned(), codes)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_work_type_code_is_its_occupations_course_for_the_limit_and_the_bill() {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    let records = vec![
        training(
            "occupation",
            TRAINEE_A,
            "4-03-02-01",
            ("2020-03-01", "2020-03-03", "2020-03-03"),
            24,
        ),
        training(
            "work-type",
            TRAINEE_A,
            "4-03-02-01-01",
            ("2020-03-04", "2020-03-06", "2020-03-06"),
            24,
        ),
    ];
    assert_eq!(
        outcomes(&report(&county, &platform, records).await),
        ["accepted", "accepted"]
    );
    claimed(&county, "occupation").await;
    let second = submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", "work-type")).await;
    assert_eq!(second.status, 422, "{}", second.json());
    assert!(
        second
            .details()
            .iter()
            .any(|(code, _)| code == "occupation_level_already_claimed")
    );
    // Billed once: one line for the course, the other held as billed already.
    set_standard(&county, "4-03-02-01", "1000").await;
    verify_key_group(&county, TRAINEE_A).await;
    let invoice = issue_invoice(&county, &platform, "2020-03").await.json();
    assert_eq!(
        invoice["invoice"]["lines"].as_array().unwrap().len(),
        1,
        "{invoice}"
    );
    assert_eq!(invoice["held"][0]["reasons"][0]["code"], "already_billed");
}

#[tokio::test(flavor = "multi_thread")]
async fn hours_studied_after_the_assessment_are_refused_at_reporting() {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    let late = training(
        "late",
        TRAINEE_A,
        "4-03-02-01",
        ("2020-03-01", "2020-12-31", "2020-03-02"),
        2000,
    );
    let reply = report(&county, &platform, vec![late]).await;
    let (outcome, codes) = outcome(&reply, 0);
    assert_eq!(outcome, "rejected");
    assert!(
        codes.contains(&"training_ended_after_assessment".to_owned()),
        "{codes:?}"
    );
    let claim = submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", "late")).await;
    assert_eq!(claim.status, 404, "nothing stored to claim from");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_persons_records_on_every_platform_share_eight_hours_a_day() {
    let county = taishan();
    let (a, b) = (
        credential(&county, "wljnpx").await,
        credential(&county, "ixueto").await,
    );
    let ten_days = ("2020-03-01", "2020-03-10", "2020-03-10");
    let first = report(
        &county,
        &a,
        vec![training("a1", TRAINEE_A, "4-03-02-01", ten_days, 80)],
    )
    .await;
    assert_eq!(outcomes(&first), ["accepted"]);
    // Another platform, later, over the same days: the later record is refused, naming them.
    let other = report(
        &county,
        &b,
        vec![training("b1", TRAINEE_A, "4-03-02-02", ten_days, 80)],
    )
    .await;
    let (refused, codes) = outcome(&other, 0);
    assert_eq!(
        (refused.as_str(), codes),
        ("rejected", vec!["study_hours_over_daily_limit".to_owned()])
    );
    let message = other.json()["results"][0]["reasons"][0]["message_en"].clone();
    assert!(
        message
            .as_str()
            .unwrap()
            .contains("2020-03-01 to 2020-03-10"),
        "{message}"
    );
    // Once the first is voided, its days are free again.
    let void = call("POST", "/api/platform/completions/a1/void")
        .json(&json!({"reason": "重复上报"}))
        .signed(&a.key_id, &a.secret)
        .send(&county)
        .await;
    assert_eq!(void.status, 200, "{}", void.json());
    let again = report(
        &county,
        &b,
        vec![training("b1", TRAINEE_A, "4-03-02-02", ten_days, 80)],
    )
    .await;
    assert_eq!(outcomes(&again), ["accepted"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_returned_claim_whose_payee_was_corrected_is_back_on_the_desk_and_in_the_batch() {
    let (county, _) = reported(1).await;
    let id = claimed(&county, "r0").await;
    let act = |action: &str, token: String, body: Value| {
        call("POST", &format!("/api/claims/{id}/{action}"))
            .bearer(&token)
            .json(&body)
    };
    assert_eq!(
        act("approve", reviewer(), json!({}))
            .send(&county)
            .await
            .status,
        200
    );
    publish_notice_ended(&county).await;
    let paid = json!({"reference": "SB-1", "paid_on": "2020-04-20"});
    assert_eq!(act("pay", finance(), paid).send(&county).await.status, 200);
    let returned = act("payment-returned", finance(), json!({"reason": "销户"}));
    assert_eq!(returned.send(&county).await.status, 200);
    let desk = || call("GET", "/api/claims/payable").bearer(&second_finance());
    let on_desk = |reply: Reply| {
        reply.json()["claims"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id.as_str())
    };
    assert!(
        !on_desk(desk().send(&county).await),
        "waits for the trainee first"
    );
    let payee =
        json!({"kind": "bank_account", "account": "6222021234567890", "bank_name": "工商银行"});
    let corrected = call("PUT", &format!("/api/claims/{id}/payee"))
        .bearer(&trainee(TRAINEE_A))
        .json(&payee)
        .send(&county)
        .await;
    assert_eq!(corrected.status, 200, "{}", corrected.json());
    assert!(on_desk(desk().send(&county).await));
    let batch = call("GET", "/api/claims/payment-batch?format=csv")
        .bearer(&second_finance())
        .send(&county)
        .await;
    assert!(String::from_utf8_lossy(&batch.body).contains(&id));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payment_dated_after_today_is_refused() {
    let (county, _) = reported(1).await;
    let id = claimed(&county, "r0").await;
    let approve = call("POST", &format!("/api/claims/{id}/approve")).bearer(&reviewer());
    assert_eq!(approve.json(&json!({})).send(&county).await.status, 200);
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2))
        .date_naive()
        .to_string();
    let reply = call("POST", &format!("/api/claims/{id}/pay"))
        .bearer(&finance())
        .json(&json!({"reference": "SB-1", "paid_on": tomorrow}))
        .send(&county)
        .await;
    assert_eq!(reply.status, 422, "{}", reply.json());
    assert_eq!(
        reply.details(),
        [("date_in_future".to_owned(), "paid_on".to_owned())]
    );
}

/// An account `wang.li` (reviewer) and a token it signed in for.
async fn signed_in(county: &County) -> String {
    let created = call("POST", "/api/accounts")
        .bearer(&admin())
        .json(&json!({"login": "wang.li", "display_name": "王丽", "roles": ["reviewer"], "password": "长城长城长城长城长城"}))
        .send(county)
        .await;
    assert_eq!(created.status, 201, "{}", created.json());
    let signed = call("POST", "/api/accounts/sign-in")
        .json(&json!({"login": "wang.li", "password": "长城长城长城长城长城"}))
        .send(county)
        .await;
    signed.json()["token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_password_check_counts_toward_the_lockout_and_a_disabled_account_changes_nothing() {
    let county = taishan();
    let token = signed_in(&county).await;
    let change = |current: &str| {
        call("POST", "/api/accounts/me/password")
            .bearer(&token)
            .json(&json!({"current_password": current, "new_password": "新的口令新的口令新的口令"}))
    };
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(change("wrong guess 1").send(&county).await.status);
    }
    assert_eq!(statuses, [403, 403, 403, 403, 429]);
    // Locked: the right password changes nothing either, nor signs in.
    assert_eq!(
        change("长城长城长城长城长城").send(&county).await.status,
        429
    );
    let disabled = call("POST", "/api/accounts/WANG.LI/disable")
        .bearer(&admin())
        .send(&county)
        .await;
    assert_eq!(disabled.status, 200, "login names fold in paths too");
    county.advance_clock(16 * 60);
    let fresh = token_at(&county, Role::Reviewer, "wang.li");
    let after = call("POST", "/api/accounts/me/password")
        .bearer(&fresh)
        .json(&json!({"current_password": "长城长城长城长城长城", "new_password": "新的口令新的口令新的口令"}))
        .send(&county)
        .await;
    assert_eq!(
        (after.status, after.error_code().as_str()),
        (403, "account_disabled")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_cannot_disable_their_own_account_by_spelling_it_in_capitals() {
    let county = taishan();
    let created = call("POST", "/api/accounts")
        .bearer(&admin())
        .json(&json!({"login": "zhao.admin", "display_name": "赵", "roles": ["admin"], "password": "长城长城长城长城长城"}))
        .send(&county)
        .await;
    assert_eq!(created.status, 201);
    let own = token(Role::Admin, "zhao.admin");
    for spelling in ["zhao.admin", "ZHAO.ADMIN", "Zhao.Admin"] {
        let reply = call("POST", &format!("/api/accounts/{spelling}/disable"))
            .bearer(&own)
            .send(&county)
            .await;
        assert_eq!(
            (reply.status, reply.error_code().as_str()),
            (409, "cannot_disable_self"),
            "{spelling}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_status_dated_next_year_is_scheduled_and_not_applied_today() {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    let next_year = (chrono::Utc::now() + chrono::Duration::days(366))
        .date_naive()
        .to_string();
    let body = json!({"name": "互联网+职业技能培训网", "recorded_on": "2020-02-06", "status": "suspended", "effective_from": next_year});
    let put = call("PUT", "/api/policy/platforms/wljnpx")
        .bearer(&admin())
        .json(&body)
        .send(&county)
        .await;
    assert_eq!(put.status, 200, "{}", put.json());
    let register = call("GET", "/api/policy/platforms")
        .send(&county)
        .await
        .json();
    let wljnpx = (register["platforms"].as_array().unwrap().iter())
        .find(|p| p["id"] == "wljnpx")
        .unwrap()
        .clone();
    assert_eq!(wljnpx["status"], "approved", "{wljnpx}");
    assert_eq!(wljnpx["scheduled"][0]["status"], "suspended");
    let reply = report(
        &county,
        &platform,
        vec![record("r1", TRAINEE_A, "4-03-02-01", "2020-03-15")],
    )
    .await;
    assert_eq!(
        reply.status,
        200,
        "its signed requests still work today: {}",
        reply.json()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_table_put_without_days_never_reprices_the_past() {
    let (county, platform) = one_billable_line().await;
    let preview = || {
        call("GET", "/api/platform/invoices/preview?month=2020-03")
            .signed(&platform.key_id, &platform.secret)
    };
    assert_eq!(preview().send(&county).await.json()["total"], "200.00");
    let table =
        json!({"standards": [{"occupation": "4-03-02-01", "level": "5", "standard": 5000}]});
    let put = call("PUT", "/api/policy/standards")
        .bearer(&admin())
        .json(&table)
        .send(&county)
        .await;
    assert_eq!(put.status, 200, "{}", put.json());
    assert_eq!(
        preview().send(&county).await.json()["total"],
        "200.00",
        "March keeps its 1000"
    );
    let removed = call("DELETE", "/api/policy/standards/4-03-02-01/5")
        .bearer(&admin())
        .send(&county)
        .await;
    assert_eq!(removed.status, 200);
    assert_eq!(
        preview().send(&county).await.json()["total"],
        "200.00",
        "ended from today only"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_platform_left_out_of_the_register_keeps_its_past() {
    let (county, _) = reported(1).await;
    let id = claimed(&county, "r0").await;
    let register = json!({"platforms": [{"id": "ixueto", "name": "学习通", "recorded_on": "2020-02-06", "status": "approved"}]});
    let put = call("PUT", "/api/policy/platforms")
        .bearer(&admin())
        .json(&register)
        .send(&county)
        .await;
    assert_eq!(put.status, 200, "{}", put.json());
    let recheck = call("GET", &format!("/api/claims/{id}/recheck"))
        .bearer(&reviewer())
        .send(&county)
        .await;
    assert_eq!(
        recheck.json()["eligible"],
        true,
        "March's training on wljnpx still counts: {}",
        recheck.json()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reconcile_finds_and_repairs_a_report_counter_a_crash_left_behind() {
    let (county, _) = reported(1).await;
    claimed(&county, "r0").await;
    let code = CountyCode::parse("370902").unwrap();
    let cell = "migrant_worker:wljnpx:4-03-02-01:submitted";
    // What a kill between the claim and its count leaves: the row one claim behind.
    let key = store_keys::report_cell(&code, "2020-03", cell, "tally");
    let one_claim = subsidy_rules::report::Tally {
        count: 1,
        fen: 12_000,
    };
    (county.kv().increment("default", &key, -one_claim.packed()))
        .unwrap()
        .unwrap();
    let run = |repair: bool| reconcile_all(&county, repair);
    let found = run(false).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0]["kind"].as_str(), found[0]["count"].clone()),
        (Some("report_miscounted"), json!([0, 1]))
    );
    assert_eq!(run(true).await.len(), 1);
    assert!(run(false).await.is_empty(), "repaired");
    let report = call("GET", "/api/claims/report")
        .bearer(&reviewer())
        .send(&county)
        .await
        .json();
    assert_eq!(report["total_count"], 1);
}

/// A whole reconcile run (the journal, then the report): every finding.
async fn reconcile_all(county: &County, repair: bool) -> Vec<Value> {
    let (mut body, mut findings) = (json!({"repair": repair}), Vec::new());
    loop {
        let page = call("POST", "/api/admin/reconcile")
            .bearer(&admin())
            .json(&body)
            .send(county)
            .await
            .json();
        findings.extend(page["findings"].as_array().unwrap().clone());
        if page["done"] == true {
            return findings;
        }
        body = json!({"repair": repair, "after": page["next_after"], "records_after": page["next_records_after"],
            "report_month": page["next_report_month"]});
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn identical_patterns_are_counted_on_parsed_facts_across_batches() {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    let trainees: Vec<String> = (0..20).map(|i| trainee_id(1990, i)).collect();
    let same = |i: usize, hours: Value| {
        let mut r = record(&format!("p{i}"), &trainees[i], "4-03-02-01", "2020-03-15");
        r["study_hours"] = hours;
        r
    };
    // 19 in one batch, written 40; the 20th alone, written "40.0": one pattern of 20.
    let first: Vec<Value> = (0..19).map(|i| same(i, json!(40))).collect();
    assert!(
        outcomes(&report(&county, &platform, first).await)
            .iter()
            .all(|o| o == "accepted")
    );
    let last = report(&county, &platform, vec![same(19, json!("40.0"))]).await;
    assert_eq!(outcomes(&last), ["accepted"]);
    verify_key_groups(&county, &trainees).await;
    // A claim on one of the first 19 is no longer approvable in bulk.
    let claim = submit_claim(&county, &trainees[0], &claim_body("wljnpx", "p0")).await;
    assert_eq!(claim.status, 201, "{}", claim.json());
    let id = claim.json()["claim"]["id"].as_str().unwrap().to_owned();
    let bulk = call("POST", "/api/claims/bulk-approve")
        .bearer(&reviewer())
        .json(&json!({"claim_ids": [id]}))
        .send(&county)
        .await;
    assert_eq!(
        bulk.json()["results"][0]["reason"]["code"],
        "needs_individual_review",
        "{}",
        bulk.json()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_signed_in_one_county_is_refused_by_another_sharing_its_secret() {
    let taishan = taishan();
    let token = signed_in(&taishan).await;
    let ok = call("GET", "/api/claims/report")
        .bearer(&token)
        .send(&taishan)
        .await;
    assert_eq!(ok.status, 200);
    let daiyue = county("370911");
    let refused = call("GET", "/api/claims/report")
        .bearer(&token)
        .send(&daiyue)
        .await;
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (401, "token_other_county")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_build_step_reads_a_trainees_records_once_however_many_duplicates_of_a_billed_course() {
    let (county, platform) = one_billable_line().await;
    assert_eq!(
        issue_invoice(&county, &platform, "2020-03").await.status,
        201
    );
    // 250 more records of the same course in April, an hour each over many days.
    let duplicates: Vec<Value> = (0..250)
        .map(|i| {
            training(
                &format!("d{i}"),
                TRAINEE_A,
                "4-03-02-01",
                ("2020-02-06", "2020-04-15", "2020-04-15"),
                1,
            )
        })
        .collect();
    let reply = report(&county, &platform, duplicates).await;
    assert!(
        outcomes(&reply).iter().all(|o| o == "accepted"),
        "{}",
        reply.json()
    );
    let step = issue_invoice(&county, &platform, "2020-04").await;
    assert_eq!(step.status, 200, "nothing billable: {}", step.json());
    assert_eq!(step.json()["held"].as_array().unwrap().len(), 250);
    let operations = step.calls.store_operations();
    assert!(
        operations < 3_500,
        "{operations} store operations for 250 duplicates"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_build_step_never_commits_to_an_invoice_cancelled_meanwhile() {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    set_standard(&county, "4-03-02-01", "1000").await;
    let trainees: Vec<String> = (0..600).map(|i| trainee_id(1991, i)).collect();
    for chunk in trainees.chunks(300) {
        let records: Vec<Value> = (chunk.iter())
            .map(|t| {
                training(
                    &format!("m{}", &t[12..17]),
                    t,
                    "4-03-02-01",
                    ("2020-03-01", "2020-03-03", "2020-03-03"),
                    24,
                )
            })
            .collect();
        assert!(
            outcomes(&report(&county, &platform, records).await)
                .iter()
                .all(|o| o == "accepted")
        );
    }
    verify_key_groups(&county, &trainees).await;
    let first = issue_invoice(&county, &platform, "2020-03").await;
    assert_eq!(first.status, 202, "{}", first.json());
    let number = invoice_number(&first);
    // The next step and a cancel, at once (each on a thread of its own, the cancel a moment
    // into the step's 250 records): whichever lands second, the cancel stands.
    let county = std::sync::Arc::new(county);
    let (stepping, key) = (
        county.clone(),
        (platform.key_id.clone(), platform.secret.clone()),
    );
    let step = tokio::spawn(async move {
        let step = call("POST", "/api/platform/invoices").json(&json!({"month": "2020-03"}));
        step.signed(&key.0, &key.1).send(&stepping).await
    });
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let cancelled = call("POST", &format!("/api/platform/invoices/{number}/cancel"))
        .bearer(&finance())
        .json(&json!({"reason": "重开"}))
        .send(&county)
        .await;
    let step = step.await.unwrap();
    assert!(
        matches!(cancelled.status, 200 | 202),
        "{}",
        cancelled.json()
    );
    assert!(step.status < 500, "{}", step.json());
    // The cancel landed: no step committed after it may make the invoice build on.
    let now = call("GET", &format!("/api/platform/invoices/{number}"))
        .bearer(&finance())
        .send(&county)
        .await
        .json();
    assert_eq!(
        now["state"], "cancelled",
        "step {}: {}",
        step.status, now["state"]
    );
    loop {
        let freed = call("POST", &format!("/api/platform/invoices/{number}/cancel"))
            .bearer(&finance())
            .json(&json!({"reason": "重开"}))
            .send(&county)
            .await;
        if freed.status == 200 {
            let invoice = &freed.json();
            assert_eq!(invoice["state"], "cancelled");
            assert_eq!(invoice["lines_freed"], invoice["line_count"], "{invoice}");
            break;
        }
    }
    // Every record is billable again, or billed by a new invoice: none by the cancelled one.
    let mut after = 0;
    loop {
        let page = call(
            "GET",
            &format!("/api/platform/completions?month=2020-03&after={after}&limit=100"),
        )
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await
        .json();
        let records = page["records"].as_array().unwrap();
        assert!(
            records.iter().all(|r| r["invoice"] != number.as_str()),
            "a record still billed by {number}"
        );
        if records.is_empty() {
            break;
        }
        after = page["next_after"].as_u64().unwrap();
    }
}
