//! What real life reverses: a payment the bank returns, an invoice cancelled before it is paid,
//! money recovered from a claim wrongly paid; with four eyes on every payment, and approval
//! judged again on the facts of the day.

use serde_json::{Value, json};

use crate::helpers::*;

fn claim_call(id: &str, action: &str, token: &str) -> Call {
    call("POST", &format!("/api/claims/{id}/{action}")).bearer(token)
}

fn payment(reference: &str) -> Value {
    json!({"reference": reference, "paid_on": "2020-04-20"})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_returned_payment_is_paid_again_once_the_trainee_corrects_the_payee() {
    let (county, _) = reported(1).await;
    let id = claimed(&county, "r0").await;
    // One person holding both roles approves and may not then pay.
    let wang_reviews = token(Role::Reviewer, "op-wang");
    let wang_pays = token(Role::Finance, "op-wang");
    assert_eq!(
        claim_call(&id, "approve", &wang_reviews)
            .send(&county)
            .await
            .status,
        200
    );
    publish_notice_ended(&county).await;
    let own = claim_call(&id, "pay", &wang_pays)
        .json(&payment("SB-1"))
        .send(&county)
        .await;
    assert_eq!((own.status, own.error_code().as_str()), (409, "four_eyes"));
    let paid = claim_call(&id, "pay", &finance())
        .json(&payment("SB-1"))
        .send(&county)
        .await;
    assert_eq!(paid.status, 200, "{}", paid.json());

    // The payee can be corrected only once a payment came back.
    let new_payee =
        json!({"kind": "bank_account", "account": "6222021234567890", "bank_name": "工商银行"});
    let correct = || {
        call("PUT", &format!("/api/claims/{id}/payee"))
            .bearer(&trainee(TRAINEE_A))
            .json(&new_payee)
    };
    let early = correct().send(&county).await;
    assert_eq!(
        (early.status, early.error_code().as_str()),
        (409, "payee_not_changeable")
    );
    let returned = claim_call(&id, "payment-returned", &finance())
        .json(&json!({"reason": "社保卡已注销"}))
        .send(&county)
        .await;
    assert_eq!(returned.status, 200, "{}", returned.json());
    let body = returned.json();
    assert_eq!(body["status"], "payment_returned");
    assert_eq!(body["returned_payments"][0]["payment"]["reference"], "SB-1");
    assert_eq!(body["returned_payments"][0]["reason"], "社保卡已注销");
    let corrected = correct().send(&county).await;
    assert_eq!(corrected.status, 200, "{}", corrected.json());
    assert_eq!(corrected.json()["payee"]["account"], "************7890");

    // Four eyes after a return: who recorded it does not make the next payment.
    let same = claim_call(&id, "pay", &finance())
        .json(&payment("SB-2"))
        .send(&county)
        .await;
    assert_eq!(
        (same.status, same.error_code().as_str()),
        (409, "four_eyes")
    );
    let again = claim_call(&id, "pay", &second_finance())
        .json(&payment("SB-2"))
        .send(&county)
        .await;
    assert_eq!(again.status, 200, "{}", again.json());
    let claim = again.json();
    assert_eq!(claim["status"], "paid");
    assert_eq!(claim["payment"]["reference"], "SB-2");
    // Finance sees the whole corrected account; every step is in the history.
    assert_eq!(claim["payee"]["account"], "6222021234567890");
    let steps: Vec<(Value, Value)> = transitions(&claim)
        .into_iter()
        .map(|(from, to, _)| (from, to))
        .collect();
    assert_eq!(
        steps,
        [
            (Value::Null, json!("submitted")),
            (json!("submitted"), json!("approved")),
            (json!("approved"), json!("paid")),
            (json!("paid"), json!("payment_returned")),
            (json!("payment_returned"), json!("payment_returned")),
            (json!("payment_returned"), json!("paid")),
        ]
    );
    // The allowance went out once: the report counts it paid once.
    let report = call("GET", "/api/claims/report")
        .bearer(&finance())
        .send(&county)
        .await
        .json();
    assert_eq!(report["paid_amount"], "120.00");
}

#[tokio::test(flavor = "multi_thread")]
async fn money_recovered_is_tracked_keeps_the_limits_used_and_is_netted_in_the_report() {
    let (county, _) = reported(2).await;
    let id = claimed(&county, "r0").await;
    claim_call(&id, "approve", &reviewer()).send(&county).await;
    publish_notice_ended(&county).await;
    claim_call(&id, "pay", &finance())
        .json(&payment("SB-1"))
        .send(&county)
        .await;
    let too_much = claim_call(&id, "recovery", &reviewer())
        .json(&json!({"reason": "冒名顶替", "amount": "120.01"}))
        .send(&county)
        .await;
    assert_eq!(
        (too_much.status, too_much.error_code().as_str()),
        (422, "invalid_recovery_amount")
    );
    let recovering = claim_call(&id, "recovery", &reviewer())
        .json(&json!({"reason": "冒名顶替", "amount": "120.00"}))
        .send(&county)
        .await;
    assert_eq!(recovering.status, 200, "{}", recovering.json());
    assert_eq!(recovering.json()["status"], "recovering");
    let recovered = claim_call(&id, "recovered", &finance())
        .json(&payment("RECOVER-1"))
        .send(&county)
        .await;
    assert_eq!(recovered.status, 200, "{}", recovered.json());
    assert_eq!(
        recovered.json()["recovery"]["recovered"]["reference"],
        "RECOVER-1"
    );

    let report = call("GET", "/api/claims/report")
        .bearer(&finance())
        .send(&county)
        .await
        .json();
    assert_eq!(
        (
            &report["paid_amount"],
            &report["recovered_amount"],
            &report["net_paid_amount"]
        ),
        (&json!("120.00"), &json!("120.00"), &json!("0.00"))
    );
    // The recovered claim still holds its course: the same course again is refused.
    let mut again = record("r9", TRAINEE_A, "4-03-02-01", "2020-03-20");
    again["certificate_number"] = json!("CERT-r9");
    let platform = credential(&county, "wljnpx").await;
    report_records(&county, &platform, vec![again]).await;
    let refused = submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", "r9")).await;
    assert_eq!(refused.details()[0].0, "occupation_level_already_claimed");
    limits_hold(&county).await;
}

async fn report_records(county: &County, platform: &Platform, records: Vec<Value>) {
    let reply = report(county, platform, records).await;
    assert!(
        outcomes(&reply).iter().all(|o| o == "accepted"),
        "{}",
        reply.json()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_invoice_frees_its_lines_for_the_next_invoice() {
    let (county, platform) = one_billable_line().await;
    let number = invoice_number(&issue_invoice(&county, &platform, "2020-03").await);
    let cancel = |number: &str| {
        call("POST", &format!("/api/platform/invoices/{number}/cancel"))
            .bearer(&finance())
            .json(&json!({"reason": "地方标准有误"}))
    };
    let cancelled = cancel(&number).send(&county).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.json());
    let body = cancelled.json();
    assert_eq!(body["state"], "cancelled");
    assert_eq!(body["transitions"][1]["reason"], "地方标准有误");
    let record = call("GET", "/api/platform/completions/a")
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await
        .json();
    assert_eq!(record["state"], "reported", "{record}");

    // The line is billable again, and billed once by the next invoice.
    let second = issue_invoice(&county, &platform, "2020-03").await;
    assert_eq!(second.status, 201, "{}", second.json());
    let second_number = second.json()["invoice"]["number"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(second_number, number);
    assert_eq!(second.json()["invoice"]["total"], "200.00");
    // A paid invoice is not cancelled.
    call(
        "POST",
        &format!("/api/platform/invoices/{second_number}/approve"),
    )
    .bearer(&finance())
    .send(&county)
    .await;
    call(
        "POST",
        &format!("/api/platform/invoices/{second_number}/pay"),
    )
    .bearer(&second_finance())
    .json(&payment("BANK-1"))
    .send(&county)
    .await;
    let late = cancel(&second_number).send(&county).await;
    assert_eq!(
        (late.status, late.error_code().as_str()),
        (409, "invalid_transition")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn approval_and_the_recheck_judge_the_claim_again_on_the_facts_of_the_day() {
    let (county, _) = reported(1).await;
    // Registry-verified: approvable in bulk, but for the re-check.
    verify_key_group(&county, TRAINEE_A).await;
    let id = claimed(&county, "r0").await;
    let recheck = |token: String| {
        call("GET", &format!("/api/claims/{id}/recheck"))
            .bearer(&token)
            .send(&county)
    };
    let before = recheck(reviewer()).await;
    assert_eq!(before.status, 200);
    assert_eq!(before.json()["eligible"], true);
    assert_eq!(before.json()["reasons"], json!([]));
    // The recheck is the county's: a trainee, even the claim's own, is refused it.
    let trainee = recheck(trainee(TRAINEE_A)).await;
    assert_eq!(trainee.status, 403, "{}", trainee.json());
    // After the claim was made, the county suspends the platform from 1 March 2020 (a
    // suspension from today would leave March's training counting).
    let suspended = call("PUT", "/api/policy/platforms/wljnpx")
        .bearer(&admin())
        .json(&json!({"name": "互联网+职业技能培训网", "recorded_on": "2020-02-06", "status": "suspended", "effective_from": "2020-03-01", "reason": "备案已撤销"}))
        .send(&county)
        .await;
    assert_eq!(suspended.status, 200, "{}", suspended.json());
    // What approving will face, read first (by finance here) and changing nothing.
    let after = recheck(finance()).await.json();
    assert_eq!(after["eligible"], false, "{after}");
    assert_eq!(
        after["reasons"][0]["code"], "platform_not_approved",
        "{after}"
    );
    let approve = claim_call(&id, "approve", &reviewer()).send(&county).await;
    assert_eq!(
        (approve.status, approve.error_code().as_str()),
        (422, "not_eligible")
    );
    assert_eq!(approve.details()[0].0, "platform_not_approved");
    let bulk = call("POST", "/api/claims/bulk-approve")
        .bearer(&reviewer())
        .json(&json!({"claim_ids": [id]}))
        .send(&county)
        .await
        .json();
    assert_eq!(bulk["results"][0]["approved"], false, "{bulk}");
    assert_eq!(
        bulk["results"][0]["reason"]["code"], "not_eligible",
        "{bulk}"
    );
    let claim = claims_of(&county, TRAINEE_A).await;
    assert_eq!(claim[0]["status"], "submitted");
}

#[tokio::test(flavor = "multi_thread")]
async fn finance_pays_approved_claims_by_a_bank_batch_and_records_what_the_bank_returned() {
    let (county, _) = reported(2).await;
    let first = claimed(&county, "r0").await;
    let mut second_body = claim_body("wljnpx", "r1");
    second_body["payee"] = json!({"kind": "bank_account", "account": "6222021234567890", "bank_name": "工商银行", "holder_name": "张母"});
    let second = submit_claim(&county, TRAINEE_A, &second_body).await.json()["claim"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for id in [&first, &second] {
        assert_eq!(
            claim_call(id, "approve", &reviewer())
                .send(&county)
                .await
                .status,
            200
        );
    }
    // The desk: approved and unpaid, their notice (公示) over, oldest first, accounts whole for
    // finance.
    publish_notice_ended(&county).await;
    let desk = call("GET", "/api/claims/payable?limit=10")
        .bearer(&finance())
        .send(&county)
        .await
        .json();
    let ids: Vec<&str> = (desk["claims"].as_array().unwrap().iter())
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [first.as_str(), second.as_str()]);
    assert_eq!(desk["claims"][0]["payee"]["account"], "6217001234567890123");
    assert_eq!(desk["claims"][0]["trainee_name"], "张三");

    // The batch for the bank, as a workbook: names, accounts, amounts and the total.
    let batch = call("GET", "/api/claims/payment-batch?format=xlsx")
        .bearer(&finance())
        .send(&county)
        .await;
    assert_eq!(batch.status, 200);
    let file = std::env::temp_dir().join(format!("batch-{}.xlsx", nonce()));
    std::fs::write(&file, &batch.body).unwrap();
    crate::exports::python(
        crate::exports::CHECK_XLSX,
        &[&file, std::path::Path::new("泰山区|就业补助资金")],
    );
    crate::exports::python(
        r#"
import sys, openpyxl
rows = list(openpyxl.load_workbook(sys.argv[1]).active.iter_rows(values_only=True))
header = rows[1]
holder = header.index('holder_name')
assert [r[holder] for r in rows[2:4]] == ['张三', '张母'], rows
assert rows[2][header.index('account')] == '6217001234567890123', rows
"#,
        &[&file],
    );
    std::fs::remove_file(&file).unwrap();

    // The bank's result: the first paid, the second returned.
    let results = call("POST", "/api/claims/bank-results")
        .bearer(&finance())
        .json(&json!({"results": [
            {"claim_id": first, "outcome": "paid", "reference": "DF-2020-04-1", "paid_on": "2020-04-20"},
            {"claim_id": second, "outcome": "returned", "reference": "DF-2020-04-2", "paid_on": "2020-04-20", "reason": "户名不符"},
            {"claim_id": "c-0000000000000000", "outcome": "paid", "reference": "DF-X", "paid_on": "2020-04-20"}
        ]}))
        .send(&county)
        .await;
    assert_eq!(results.status, 200, "{}", results.json());
    let body = results.json();
    assert_eq!(body["results"][0]["status"], "paid");
    assert_eq!(body["results"][1]["status"], "payment_returned");
    assert_eq!(body["results"][2]["applied"], false);
    let desk = call("GET", "/api/claims/payable")
        .bearer(&finance())
        .send(&county)
        .await
        .json();
    assert_eq!(desk["claims"], json!([]));
    let report = call("GET", "/api/claims/report")
        .bearer(&finance())
        .send(&county)
        .await
        .json();
    assert_eq!(
        report["paid_amount"], "120.00",
        "the returned payment is not paid out"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_line_of_a_paid_invoice_found_wrongly_paid_is_recovered() {
    let (county, platform) = one_billable_line().await;
    let number = invoice_number(&issue_invoice(&county, &platform, "2020-03").await);
    let line = |action: &str| format!("/api/platform/invoices/{number}/lines/a/{action}");
    let early = call("POST", &line("recovery"))
        .bearer(&finance())
        .json(&json!({"reason": "冒名培训", "amount": "200.00"}))
        .send(&county)
        .await;
    assert_eq!(
        (early.status, early.error_code().as_str()),
        (409, "invoice_not_paid")
    );
    call("POST", &format!("/api/platform/invoices/{number}/approve"))
        .bearer(&finance())
        .send(&county)
        .await;
    let paid = call("POST", &format!("/api/platform/invoices/{number}/pay"))
        .bearer(&second_finance())
        .json(&payment("BANK-1"))
        .send(&county)
        .await;
    assert_eq!(paid.status, 200);
    let too_much = call("POST", &line("recovery"))
        .bearer(&finance())
        .json(&json!({"reason": "冒名培训", "amount": "200.01"}))
        .send(&county)
        .await;
    assert_eq!(
        (too_much.status, too_much.error_code().as_str()),
        (422, "invalid_recovery_amount")
    );
    let started = call("POST", &line("recovery"))
        .bearer(&finance())
        .json(&json!({"reason": "冒名培训", "amount": "200.00"}))
        .send(&county)
        .await;
    assert_eq!(started.status, 200, "{}", started.json());
    let recovered = call("POST", &line("recovered"))
        .bearer(&finance())
        .json(&payment("RECOVER-9"))
        .send(&county)
        .await;
    assert_eq!(recovered.status, 200, "{}", recovered.json());
    let invoice = recovered.json();
    assert_eq!(invoice["recoveries"][0]["amount"], "200.00");
    assert_eq!(
        invoice["recoveries"][0]["recovered"]["reference"],
        "RECOVER-9"
    );
    assert_eq!(invoice["state"], "paid");
    let none = call(
        "POST",
        &format!("/api/platform/invoices/{number}/lines/zz/recovery"),
    )
    .bearer(&finance())
    .json(&json!({"reason": "x", "amount": "1.00"}))
    .send(&county)
    .await;
    assert_eq!(none.status, 404);
}
