//! The platform gateway and invoicing, through the compiled component: credentials, signed
//! requests, completion reports, invoices and their states.

use crate::helpers::*;
use serde_json::{Value, json};

fn held_codes(body: &Value) -> Vec<(String, Vec<String>)> {
    body["held"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let codes = h["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["code"].as_str().unwrap().to_owned());
            (h["record_id"].as_str().unwrap().to_owned(), codes.collect())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn admins_issue_credentials_only_to_approved_platforms() {
    let county = taishan();
    let issued = call("POST", "/api/platform/credentials")
        .bearer(&admin())
        .json(&json!({"platform_id": "wljnpx"}))
        .send(&county)
        .await;
    assert_eq!(issued.status, 201);
    let body = issued.json();
    assert!(body["key_id"].as_str().unwrap().starts_with("pk_"));
    assert_eq!(body["secret"].as_str().unwrap().len(), 67);
    let unlisted = call("POST", "/api/platform/credentials")
        .bearer(&admin())
        .json(&json!({"platform_id": "not-on-register"}))
        .send(&county)
        .await;
    assert_eq!(
        (unlisted.status, unlisted.error_code().as_str()),
        (422, "platform_not_approved")
    );
    let by_reviewer = call("POST", "/api/platform/credentials")
        .bearer(&reviewer())
        .json(&json!({"platform_id": "wljnpx"}))
        .send(&county)
        .await;
    assert_eq!(by_reviewer.status, 403);
    let listed = call("GET", "/api/platform/credentials?platform_id=wljnpx")
        .bearer(&admin())
        .send(&county)
        .await;
    let listed = listed.json();
    assert_eq!(listed["credentials"].as_array().unwrap().len(), 1);
    assert_eq!(listed["credentials"][0]["usable"], true);
    assert!(
        listed["credentials"][0].get("secret").is_none(),
        "secrets are shown once only"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_correctly_signed_fresh_unreplayed_requests_pass() {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    let body = json!({"records": [record("r1", TRAINEE_A, "4-03-02-01", "2020-03-15")]});
    let base = || call("POST", "/api/platform/completions").json(&body);

    let good_nonce = nonce();
    let good = base()
        .signed_at(&platform.key_id, &platform.secret, now(), &good_nonce)
        .send(&county)
        .await;
    assert_eq!(good.status, 200, "{}", good.json());
    let replay = base()
        .signed_at(&platform.key_id, &platform.secret, now(), &good_nonce)
        .send(&county)
        .await;
    assert_eq!(
        (replay.status, replay.error_code().as_str()),
        (401, "nonce_reused")
    );

    let mut tampered = base().signed(&platform.key_id, &platform.secret);
    tampered = tampered.raw(
        serde_json::to_vec(
            &json!({"records": [record("r1", TRAINEE_A, "4-03-02-01", "2020-03-16")]}),
        )
        .unwrap(),
    );
    let tampered = tampered.send(&county).await;
    assert_eq!(
        (tampered.status, tampered.error_code().as_str()),
        (401, "signature_invalid")
    );

    for skew in [-301, 301] {
        let stale = base()
            .signed_at(&platform.key_id, &platform.secret, now() + skew, &nonce())
            .send(&county)
            .await;
        assert_eq!(
            (stale.status, stale.error_code().as_str()),
            (401, "timestamp_out_of_window")
        );
    }
    let wrong_secret = base()
        .signed(&platform.key_id, "ps_guess")
        .send(&county)
        .await;
    assert_eq!(
        (wrong_secret.status, wrong_secret.error_code().as_str()),
        (401, "signature_invalid")
    );
    let unknown = base()
        .signed("pk_0000000000000000", &platform.secret)
        .send(&county)
        .await;
    assert_eq!(
        (unknown.status, unknown.error_code().as_str()),
        (401, "key_unknown")
    );
    let unsigned = base()
        .header("x-key-id", &platform.key_id)
        .send(&county)
        .await;
    assert_eq!(
        (unsigned.status, unsigned.error_code().as_str()),
        (401, "signature_missing")
    );
    let bearer_only = base().bearer(&admin()).send(&county).await;
    assert_eq!(
        (bearer_only.status, bearer_only.error_code().as_str()),
        (401, "signature_missing")
    );

    let revoked = call(
        "POST",
        &format!("/api/platform/credentials/{}/revoke", platform.key_id),
    )
    .bearer(&admin())
    .send(&county)
    .await;
    assert_eq!(revoked.status, 200);
    let after = base()
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await;
    assert_eq!(
        (after.status, after.error_code().as_str()),
        (401, "key_revoked")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_key_keeps_working_for_the_overlap_only() {
    let county = taishan();
    let old = credential(&county, "wljnpx").await;
    let rotated = call(
        "POST",
        &format!("/api/platform/credentials/{}/rotate", old.key_id),
    )
    .bearer(&admin())
    .json(&json!({"overlap_minutes": 30}))
    .send(&county)
    .await;
    assert_eq!(rotated.status, 201);
    let new = Platform {
        key_id: rotated.json()["key_id"].as_str().unwrap().to_owned(),
        secret: rotated.json()["secret"].as_str().unwrap().to_owned(),
    };
    let list = |p: &Platform| {
        call("GET", "/api/platform/completions?month=2020-03").signed(&p.key_id, &p.secret)
    };
    assert_eq!(
        list(&old).send(&county).await.status,
        200,
        "within the overlap"
    );
    assert_eq!(list(&new).send(&county).await.status, 200);

    let immediate = call(
        "POST",
        &format!("/api/platform/credentials/{}/rotate", new.key_id),
    )
    .bearer(&admin())
    .json(&json!({"overlap_minutes": 0}))
    .send(&county)
    .await;
    assert_eq!(immediate.status, 201);
    let expired = list(&new).send(&county).await;
    assert_eq!(
        (expired.status, expired.error_code().as_str()),
        (401, "key_expired")
    );
    // The old key, in its overlap, was rotated once: it gets no second successor.
    let twice = call(
        "POST",
        &format!("/api/platform/credentials/{}/rotate", old.key_id),
    )
    .bearer(&admin())
    .json(&json!({"overlap_minutes": 10}))
    .send(&county)
    .await;
    assert_eq!(
        (twice.status, twice.error_code().as_str()),
        (409, "key_already_rotated")
    );
    let spare = credential(&county, "wljnpx").await;
    let too_long = call(
        "POST",
        &format!("/api/platform/credentials/{}/rotate", spare.key_id),
    )
    .bearer(&admin())
    .json(&json!({"overlap_minutes": 100000}))
    .send(&county)
    .await;
    assert_eq!(
        (too_long.status, too_long.error_code().as_str()),
        (422, "invalid_overlap")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_suspended_platform_is_refused_whatever_keys_it_holds() {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    let list = || {
        call("GET", "/api/platform/completions?month=2020-03")
            .signed(&platform.key_id, &platform.secret)
    };
    assert_eq!(list().send(&county).await.status, 200);
    let suspended = call("PUT", "/api/policy/platforms/wljnpx")
        .bearer(&admin())
        .json(&json!({"name": "互联网+职业技能培训网", "recorded_on": "2020-02-06", "status": "suspended"}))
        .send(&county)
        .await;
    assert_eq!(suspended.status, 200);
    let refused = list().send(&county).await;
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (403, "platform_suspended")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_record_is_judged_on_its_own_and_resending_is_idempotent() {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    let mut elsewhere = record("r2", TRAINEE_A, "4-03-02-01", "2020-03-15");
    elsewhere["trainee"]["hukou_county"] = json!("370911");
    let mut garbled = record("r3", TRAINEE_A, "4-03-02-01", "2020-03-15");
    garbled["study_hours"] = json!("lots");
    garbled["level"] = json!("9");
    let mut odd_field = record("r4", TRAINEE_A, "4-03-02-01", "2020-03-15");
    odd_field["extra"] = json!(true);
    let batch = vec![
        record("r1", TRAINEE_A, "4-03-02-01", "2020-03-15"),
        elsewhere,
        garbled,
        odd_field,
        json!(42),
    ];
    let reply = report(&county, &platform, batch.clone()).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        outcomes(&reply),
        ["accepted", "rejected", "rejected", "rejected", "rejected"]
    );
    let body = reply.json();
    assert_eq!(
        (body["accepted"].clone(), body["rejected"].clone()),
        (json!(1), json!(4))
    );
    let wrong_county = &body["results"][1]["reasons"][0];
    assert_eq!(wrong_county["code"], "wrong_county");
    assert!(
        wrong_county["message_zh"]
            .as_str()
            .unwrap()
            .contains("370911")
    );
    let garbled_codes: Vec<&str> = body["results"][2]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(garbled_codes, ["invalid_level", "invalid_study_hours"]);
    assert_eq!(body["results"][3]["reasons"][0]["field"], "extra");

    let again = report(&county, &platform, batch).await;
    assert_eq!(outcomes(&again)[0], "unchanged");
    let listed = call("GET", "/api/platform/completions?month=2020-03")
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await;
    let records = listed.json()["records"].as_array().unwrap().clone();
    assert_eq!(records.len(), 1, "nothing duplicated");
    assert_eq!(records[0]["state"], "reported");
    assert_eq!(records[0]["trainee"]["resident_id"], "370***********1231");

    // A changed record with the same id corrects it while nothing rests on it.
    let mut changed = record("r1", TRAINEE_A, "4-03-02-01", "2020-04-02");
    changed["study_hours"] = json!(30);
    assert_eq!(
        outcomes(&report(&county, &platform, vec![changed]).await),
        ["corrected"]
    );
    let fetched = call("GET", "/api/platform/completions/r1")
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await
        .json();
    assert_eq!(
        (
            fetched["study_hours"].clone(),
            fetched["corrections"].clone()
        ),
        (json!("30"), json!(1))
    );
    let march = call("GET", "/api/platform/completions?month=2020-03")
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await;
    assert_eq!(
        march.json()["records"].as_array().unwrap().len(),
        0,
        "moved to April"
    );
    let april = call("GET", "/api/platform/completions?month=2020-04")
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await;
    assert_eq!(april.json()["records"].as_array().unwrap().len(), 1);

    let voided = call("POST", "/api/platform/completions/r1/void")
        .json(&json!({"reason": "重复报送"}))
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await;
    assert_eq!(
        (voided.status, voided.json()["state"].clone()),
        (200, json!("void"))
    );
    let again = call("POST", "/api/platform/completions/r1/void")
        .json(&json!({"reason": "再次"}))
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await;
    assert_eq!(
        (again.status, again.error_code().as_str()),
        (409, "record_locked")
    );
    let relocked = report(
        &county,
        &platform,
        vec![record("r1", TRAINEE_A, "4-03-02-01", "2020-03-15")],
    )
    .await;
    assert_eq!(outcomes(&relocked), ["rejected"]);
    assert_eq!(
        relocked.json()["results"][0]["reasons"][0]["code"],
        "record_locked"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn batches_are_bounded() {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    let empty = report(&county, &platform, vec![]).await;
    assert_eq!(
        (empty.status, empty.error_code().as_str()),
        (422, "invalid_batch_size")
    );
    let many: Vec<Value> = (0..501)
        .map(|i| record(&format!("r{i}"), TRAINEE_A, "4-03-02-01", "2020-03-15"))
        .collect();
    let too_many = report(&county, &platform, many).await;
    assert_eq!(too_many.status, 422);
    let bad_json = call("POST", "/api/platform/completions")
        .header("content-type", "application/json")
        .raw(b"{\"records\": [".to_vec())
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await;
    assert_eq!(
        (bad_json.status, bad_json.error_code().as_str()),
        (400, "malformed_json")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_platform_sees_and_changes_only_its_own_data() {
    let county = taishan();
    let a = credential(&county, "wljnpx").await;
    let b = credential(&county, "ixueto").await;
    report(
        &county,
        &a,
        vec![record("shared-id", TRAINEE_A, "4-03-02-01", "2020-03-15")],
    )
    .await;

    let fetch = call("GET", "/api/platform/completions/shared-id")
        .signed(&b.key_id, &b.secret)
        .send(&county)
        .await;
    assert_eq!(fetch.status, 404);
    let void = call("POST", "/api/platform/completions/shared-id/void")
        .json(&json!({"reason": "x"}))
        .signed(&b.key_id, &b.secret)
        .send(&county)
        .await;
    assert_eq!(void.status, 404);
    let b_list = call(
        "GET",
        "/api/platform/completions?month=2020-03&platform_id=wljnpx",
    )
    .signed(&b.key_id, &b.secret)
    .send(&county)
    .await;
    assert_eq!(
        b_list.json()["records"].as_array().unwrap().len(),
        0,
        "a platform_id parameter does not reach another platform"
    );
    let a_record = call("GET", "/api/platform/completions/shared-id")
        .signed(&a.key_id, &a.secret)
        .send(&county)
        .await;
    assert_eq!(a_record.json()["state"], "reported", "untouched");

    set_standard(&county, "4-03-02-01", "1000").await;
    verify_key_group(&county, TRAINEE_A).await;
    let invoice = issue_invoice(&county, &a, "2020-03").await.json();
    let number = invoice["invoice"]["number"].as_str().unwrap().to_owned();
    let b_reads = call("GET", &format!("/api/platform/invoices/{number}"))
        .signed(&b.key_id, &b.secret)
        .send(&county)
        .await;
    assert_eq!(b_reads.status, 404);
    let b_csv = call("GET", &format!("/api/platform/invoices/{number}/csv"))
        .signed(&b.key_id, &b.secret)
        .send(&county)
        .await;
    assert_eq!(b_csv.status, 404);
    let operator_reads = call("GET", &format!("/api/platform/invoices/{number}"))
        .bearer(&reviewer())
        .send(&county)
        .await;
    assert_eq!(operator_reads.status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn held_lines_say_why_and_become_billable_when_the_reason_goes() {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    let other = resident_id("37090219851111002");
    let failed = {
        let mut r = record("failed", TRAINEE_A, "4-10-01-01", "2020-03-20");
        r["assessment"]["result"] = json!("fail");
        r
    };
    report(
        &county,
        &platform,
        vec![
            record("a", TRAINEE_A, "4-03-02-01", "2020-03-15"),
            record("b", &other, "4-03-02-01", "2020-03-16"),
            failed,
        ],
    )
    .await;
    let preview = call("GET", "/api/platform/invoices/preview?month=2020-03")
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await;
    let preview = preview.json();
    assert_eq!(
        (preview["lines"].clone(), preview["total"].clone()),
        (json!([]), json!("0.00"))
    );
    assert_eq!(
        held_codes(&preview),
        [
            (
                "a".to_owned(),
                vec![
                    "key_group_not_verified".to_owned(),
                    "no_local_standard".to_owned()
                ]
            ),
            (
                "b".to_owned(),
                vec![
                    "key_group_not_verified".to_owned(),
                    "no_local_standard".to_owned()
                ]
            ),
        ],
        "a failed assessment is no line at all"
    );
    let nothing = issue_invoice(&county, &platform, "2020-03").await;
    assert_eq!(
        (nothing.status, nothing.json()["invoice"].clone()),
        (200, Value::Null)
    );

    set_standard(&county, "4-03-02-01", "1234.57").await;
    verify_key_group(&county, TRAINEE_A).await;
    let first = issue_invoice(&county, &platform, "2020-03").await;
    assert_eq!(first.status, 201);
    let first = first.json();
    let invoice = &first["invoice"];
    assert_eq!(invoice["number"], "370902-wljnpx-202003-1");
    assert_eq!(invoice["fund"], "职业技能提升行动专账资金");
    assert_eq!(invoice["state"], "issued");
    assert_eq!(invoice["lines"].as_array().unwrap().len(), 1);
    assert_eq!(invoice["lines"][0]["record_id"], "a");
    assert_eq!(invoice["lines"][0]["local_standard"], "1234.57");
    assert_eq!(
        invoice["lines"][0]["amount"], "246.91",
        "20%, half-up to the fen"
    );
    assert_eq!(invoice["total"], "246.91");
    assert_eq!(
        held_codes(&first),
        [("b".to_owned(), vec!["key_group_not_verified".to_owned()])]
    );
    let a_state = call("GET", "/api/platform/completions/a")
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await
        .json();
    assert_eq!(
        (a_state["state"].clone(), a_state["invoice"].clone()),
        (json!("billed"), json!("370902-wljnpx-202003-1"))
    );

    // A billed record is locked.
    let mut correction = record("a", TRAINEE_A, "4-03-02-01", "2020-03-15");
    correction["study_hours"] = json!(40);
    let locked = report(&county, &platform, vec![correction]).await;
    assert_eq!(
        locked.json()["results"][0]["reasons"][0]["code"],
        "record_locked"
    );

    // The held line is released once its trainee is verified, and "a" is not billed again.
    verify_key_group(&county, &other).await;
    let second = issue_invoice(&county, &platform, "2020-03").await.json();
    assert_eq!(second["invoice"]["number"], "370902-wljnpx-202003-2");
    let lines: Vec<&str> = second["invoice"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["record_id"].as_str().unwrap())
        .collect();
    assert_eq!(lines, ["b"]);
    let third = issue_invoice(&county, &platform, "2020-03").await;
    assert_eq!(third.json()["invoice"], Value::Null);
    let listing = call("GET", "/api/platform/invoices")
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await
        .json();
    assert_eq!(listing["invoices"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_course_is_billed_once_by_one_platform_ever() {
    let county = taishan();
    let a = credential(&county, "wljnpx").await;
    let b = credential(&county, "ixueto").await;
    set_standard(&county, "4-03-02-01", "1000").await;
    verify_key_group(&county, TRAINEE_A).await;
    report(
        &county,
        &a,
        vec![record("a1", TRAINEE_A, "4-03-02-01", "2020-03-15")],
    )
    .await;
    report(
        &county,
        &b,
        vec![record("b1", TRAINEE_A, "4-03-02-01", "2020-03-18")],
    )
    .await;
    let first = issue_invoice(&county, &a, "2020-03").await.json();
    assert_eq!(first["invoice"]["total"], "200.00");
    let second = issue_invoice(&county, &b, "2020-03").await.json();
    assert_eq!(second["invoice"], Value::Null);
    assert_eq!(
        held_codes(&second),
        [("b1".to_owned(), vec!["already_billed".to_owned()])]
    );
    // Outside the window the line is held too.
    report(
        &county,
        &b,
        vec![record("b2", TRAINEE_A, "4-03-02-01", "2020-07-01")],
    )
    .await;
    let july = call("GET", "/api/platform/invoices/preview?month=2020-07")
        .signed(&b.key_id, &b.secret)
        .send(&county)
        .await
        .json();
    assert!(
        held_codes(&july)[0]
            .1
            .contains(&"outside_policy_window".to_owned())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn finance_approves_then_pays_and_every_step_is_recorded() {
    let (county, platform) = one_billable_line().await;
    let number = invoice_number(&issue_invoice(&county, &platform, "2020-03").await);
    let approve = |token: String| {
        call("POST", &format!("/api/platform/invoices/{number}/approve")).bearer(&token)
    };
    let pay_body = json!({"reference": "BANK-2020-0415-001", "paid_on": "2020-04-15"});
    let pay = |token: String| {
        call("POST", &format!("/api/platform/invoices/{number}/pay"))
            .bearer(&token)
            .json(&pay_body)
    };

    let early = pay(finance()).send(&county).await;
    assert_eq!(
        (early.status, early.error_code().as_str()),
        (409, "invalid_transition")
    );
    for token in [admin(), reviewer(), trainee(TRAINEE_A)] {
        assert_eq!(approve(token).send(&county).await.status, 403);
    }
    let by_platform = call("POST", &format!("/api/platform/invoices/{number}/approve"))
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await;
    assert_eq!(
        by_platform.status, 401,
        "platforms do not approve their own invoices"
    );
    let approved = approve(finance()).send(&county).await;
    assert_eq!(approved.status, 200);
    // A retry whose first answer was lost gets the same invoice, approved once.
    let twice = approve(finance()).send(&county).await;
    assert_eq!((twice.status, twice.json()), (200, approved.json()));
    let bad_pay = call("POST", &format!("/api/platform/invoices/{number}/pay"))
        .bearer(&finance())
        .json(&json!({"reference": "", "paid_on": "someday"}))
        .send(&county)
        .await;
    assert_eq!(bad_pay.status, 422);
    assert_eq!(bad_pay.details().len(), 2);
    // Four eyes: the approver does not pay; another finance officer does.
    let by_approver = pay(finance()).send(&county).await;
    assert_eq!(
        (by_approver.status, by_approver.error_code().as_str()),
        (409, "four_eyes")
    );
    let paid = pay(second_finance()).send(&county).await;
    assert_eq!(paid.status, 200);
    let paid = paid.json();
    assert_eq!(paid["state"], "paid");
    assert_eq!(
        paid["payment"],
        json!({"reference": "BANK-2020-0415-001", "paid_on": "2020-04-15"})
    );
    let again = pay(second_finance()).send(&county).await;
    assert_eq!((again.status, again.json()), (200, paid.clone()));
    let otherwise = call("POST", &format!("/api/platform/invoices/{number}/pay"))
        .bearer(&finance())
        .json(&json!({"reference": "BANK-2020-0415-002", "paid_on": "2020-04-15"}))
        .send(&county)
        .await;
    assert_eq!(
        (otherwise.status, otherwise.error_code().as_str()),
        (409, "already_paid")
    );
    let steps = transitions(&paid);
    assert_eq!(
        steps,
        [
            (Value::Null, json!("issued"), json!(platform.key_id)),
            (json!("issued"), json!("approved"), json!("op-finance")),
            (json!("approved"), json!("paid"), json!("op-finance-2")),
        ]
    );

    let csv = call("GET", &format!("/api/platform/invoices/{number}/csv"))
        .bearer(&finance())
        .send(&county)
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    // Excel and WPS read UTF-8 only after the byte-order mark.
    let text = String::from_utf8(csv.body.to_vec()).unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("the CSV starts with the UTF-8 byte-order mark");
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 3);
    assert!(rows[0].starts_with("invoice_number,county,platform_id"));
    assert!(
        rows[1].contains(
            ",paid,a,370***********1231,张三,4-03-02-01,5,24,2020-03-15,1000.00,0.20,200.00"
        ),
        "{}",
        rows[1]
    );
    assert!(rows[2].contains("TOTAL") && rows[2].ends_with(",200.00"));
}

#[tokio::test(flavor = "multi_thread")]
async fn operators_need_a_platform_named_and_a_role_that_reads() {
    let county = taishan();
    let missing = call("GET", "/api/platform/completions?month=2020-03")
        .bearer(&reviewer())
        .send(&county)
        .await;
    assert_eq!(
        (missing.status, missing.error_code().as_str()),
        (422, "platform_id_required")
    );
    let named = call(
        "GET",
        "/api/platform/completions?month=2020-03&platform_id=wljnpx",
    )
    .bearer(&reviewer())
    .send(&county)
    .await;
    assert_eq!(named.status, 200);
    let trainee_tries = call(
        "GET",
        "/api/platform/completions?month=2020-03&platform_id=wljnpx",
    )
    .bearer(&trainee(TRAINEE_A))
    .send(&county)
    .await;
    assert_eq!(trainee_tries.status, 403);
    let bad_month = call(
        "GET",
        "/api/platform/invoices/preview?month=March&platform_id=wljnpx",
    )
    .bearer(&finance())
    .send(&county)
    .await;
    assert_eq!(
        (bad_month.status, bad_month.error_code().as_str()),
        (422, "invalid_month")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn resending_an_unchanged_record_lists_it_again_where_its_listing_was_lost() {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    let sent = record("a", TRAINEE_A, "4-03-02-01", "2020-03-15");
    report(&county, &platform, vec![sent.clone()]).await;
    // A listing lost (an operator's mistake, data from before listings were recorded): the
    // slots that list the record under its month and its trainee are gone.
    for key in county.kv().keys("default").unwrap() {
        let month_slot = key.contains(":platform:wljnpx:month:2020-03:") && !key.ends_with(":n");
        let person_slot = key.contains(":completions:") && !key.ends_with(":n");
        if month_slot || person_slot {
            county.kv().delete("default", &key).unwrap();
        }
    }
    let month = || {
        call("GET", "/api/platform/completions?month=2020-03")
            .signed(&platform.key_id, &platform.secret)
    };
    let theirs = || call("GET", "/api/claims/completions").bearer(&trainee(TRAINEE_A));
    let listed = |reply: Reply| reply.json()["records"].as_array().unwrap().len();
    assert_eq!(listed(month().send(&county).await), 0);
    assert_eq!(listed(theirs().send(&county).await), 0);

    let again = report(&county, &platform, vec![sent]).await;
    assert_eq!(outcomes(&again), ["unchanged"]);
    assert_eq!(listed(month().send(&county).await), 1);
    assert_eq!(listed(theirs().send(&county).await), 1);
    // Listed once: a further re-send adds nothing.
    report(
        &county,
        &platform,
        vec![record("a", TRAINEE_A, "4-03-02-01", "2020-03-15")],
    )
    .await;
    let slots = county
        .kv()
        .keys("default")
        .unwrap()
        .into_iter()
        .filter(|k| k.contains(":platform:wljnpx:month:2020-03:") && !k.ends_with(":n"))
        .count();
    assert_eq!(slots, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn impossible_hours_future_dates_and_ids_holding_a_resident_id_are_refused_at_reporting() {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    let mut one_day = record("a", TRAINEE_A, "4-03-02-01", "2020-03-15");
    one_day["started_on"] = json!("2020-03-15");
    one_day["ended_on"] = json!("2020-03-15");
    one_day["study_hours"] = json!(2000);
    let mut eight = one_day.clone();
    eight["record_id"] = json!("b");
    eight["study_hours"] = json!(8);
    let tomorrow = (chrono::Utc::now() + chrono::Duration::hours(8) + chrono::Duration::days(1))
        .date_naive()
        .to_string();
    let mut future = record("c", TRAINEE_A, "4-03-02-01", &tomorrow);
    future["ended_on"] = json!(tomorrow);
    let by_id = record(
        &format!("WL-{TRAINEE_A}"),
        TRAINEE_A,
        "4-03-02-01",
        "2020-03-15",
    );
    let reply = report(&county, &platform, vec![one_day, eight, future, by_id]).await;
    assert_eq!(
        outcomes(&reply),
        ["rejected", "accepted", "rejected", "rejected"]
    );
    let body = reply.json();
    let reasons = |i: usize| -> Vec<(String, String)> {
        (body["results"][i]["reasons"].as_array().unwrap().iter())
            .map(|r| {
                (
                    r["code"].as_str().unwrap().to_owned(),
                    r["field"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let pair = |c: &str, f: &str| (c.to_owned(), f.to_owned());
    assert_eq!(reasons(0), [pair("study_hours_implausible", "study_hours")]);
    assert_eq!(
        reasons(2),
        [
            pair("date_in_future", "ended_on"),
            pair("date_in_future", "assessment.date")
        ]
    );
    assert_eq!(
        reasons(3),
        [pair("record_id_contains_resident_id", "record_id")]
    );
    // Nothing of the refused records was stored; the resident ID is in no key.
    for key in county.kv().keys("default").unwrap() {
        assert!(!key.contains(TRAINEE_A), "{key}");
    }
    let listed = call("GET", "/api/platform/completions?month=2020-03")
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await
        .json();
    assert_eq!(listed["records"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_that_looks_like_a_formula_reaches_the_invoice_csv_as_text() {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    set_standard(&county, "4-03-02-01", "1000").await;
    let mut sent = record("a", TRAINEE_A, "4-03-02-01", "2020-03-15");
    sent["trainee"]["name"] = json!("=HYPERLINK(\"http://evil.example\",\"张三\")");
    report(&county, &platform, vec![sent]).await;
    verify_key_group(&county, TRAINEE_A).await;
    let number = issue_invoice(&county, &platform, "2020-03").await.json()["invoice"]["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let csv = call("GET", &format!("/api/platform/invoices/{number}/csv"))
        .bearer(&finance())
        .send(&county)
        .await;
    // Excel and WPS read UTF-8 only after the byte-order mark.
    let text = String::from_utf8(csv.body.to_vec()).unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("the CSV starts with the UTF-8 byte-order mark");
    assert!(text.contains(",\"'=HYPERLINK("), "{text}");
    assert!(!text.contains(",\"=HYPERLINK("), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_standard_applies_from_its_day_and_never_reprices_the_past() {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    set_standard(&county, "4-03-02-01", "1000").await;
    report(
        &county,
        &platform,
        vec![
            record("march", TRAINEE_A, "4-03-02-01", "2020-03-15"),
            record(
                "june",
                &resident_id("37090219900307002"),
                "4-03-02-01",
                "2020-06-15",
            ),
        ],
    )
    .await;
    for t in [TRAINEE_A.to_owned(), resident_id("37090219900307002")] {
        verify_key_group(&county, &t).await;
    }
    let amounts = || async {
        let preview = call("GET", "/api/platform/invoices/preview?month=2020-03")
            .signed(&platform.key_id, &platform.secret)
            .send(&county)
            .await
            .json();
        let june = call("GET", "/api/platform/invoices/preview?month=2020-06")
            .signed(&platform.key_id, &platform.secret)
            .send(&county)
            .await
            .json();
        (preview["total"].clone(), june["total"].clone())
    };
    assert_eq!(amounts().await, (json!("200.00"), json!("200.00")));
    let put = |body: Value| {
        call("PUT", "/api/policy/standards/4-03-02-01/5")
            .bearer(&admin())
            .json(&body)
    };
    // Changed today without a day: from today on; 2020 keeps 1000.
    let today = put(json!({"standard": "1500"})).send(&county).await;
    assert_eq!(today.status, 200, "{}", today.json());
    assert_eq!(amounts().await, (json!("200.00"), json!("200.00")));
    // From 1 June 2020, over days priced at 1000: a correction, refused without its reason;
    // with it, June is repriced and March is not.
    let back_dated = json!({"standard": "1200", "valid_from": "2020-06-01"});
    let refused = put(back_dated.clone()).send(&county).await;
    assert_eq!(refused.error_code(), "back_dated_change_needs_reason");
    assert_eq!(amounts().await, (json!("200.00"), json!("200.00")));
    let mut corrected = back_dated;
    corrected["reason"] = json!("市人社局更正标准");
    let dated = put(corrected).send(&county).await;
    assert_eq!(dated.status, 200, "{}", dated.json());
    assert_eq!(amounts().await, (json!("200.00"), json!("240.00")));
    let listed = call("GET", "/api/policy/standards?occupation=4-03-02-01")
        .send(&county)
        .await
        .json();
    assert_eq!(listed["standards"].as_array().unwrap().len(), 3, "{listed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invoice_stored_whole_by_an_earlier_version_reads_and_moves_on() {
    let (county, platform) = one_billable_line().await;
    let number = invoice_number(&issue_invoice(&county, &platform, "2020-03").await);
    let kv = county.kv();
    let keys = kv.keys("default").unwrap();
    let header = (keys.iter())
        .find(|k| k.ends_with(&format!(":invoice:{number}")))
        .unwrap();
    let page = format!("{header}:lines:0");
    // As versions before paged invoices stored it: bare, its lines inside, no page counts.
    let stored: Value =
        serde_json::from_slice(&kv.get("default", header).unwrap().unwrap()).unwrap();
    let mut whole = stored["value"].clone();
    let lines: Value = serde_json::from_slice(&kv.get("default", &page).unwrap().unwrap()).unwrap();
    let lines = lines.get("value").cloned().unwrap_or(lines);
    whole["lines"] = lines;
    whole.as_object_mut().unwrap().remove("line_pages");
    whole.as_object_mut().unwrap().remove("line_count");
    kv.set("default", header, &serde_json::to_vec(&whole).unwrap())
        .unwrap();
    kv.delete("default", &page).unwrap();

    let read = call("GET", &format!("/api/platform/invoices/{number}"))
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await;
    assert_eq!(read.status, 200, "{}", read.json());
    let read = read.json();
    assert_eq!(
        (&read["line_count"], read["lines"].as_array().unwrap().len()),
        (&json!(1), 1)
    );
    let approved = call("POST", &format!("/api/platform/invoices/{number}/approve"))
        .bearer(&finance())
        .send(&county)
        .await;
    assert_eq!(approved.status, 200, "{}", approved.json());
    let approved = approved.json();
    assert_eq!(
        (
            &approved["state"],
            &approved["line_count"],
            &approved["lines"]
        ),
        (&json!("approved"), &json!(1), &read["lines"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_work_types_course_billed_by_an_earlier_version_is_not_billed_again_once_its_keys_move() {
    use subsidy_rules::{CountyCode, PersonKey, ResidentId};
    let county = taishan();
    let a = credential(&county, "wljnpx").await;
    set_standard(&county, "4-03-02-01", "1000").await;
    verify_key_group(&county, TRAINEE_A).await;
    // As a version before course identity left it: the trainee's course billed under the
    // 工种 code it was reported with.
    let person = PersonKey::derive(
        PERSON_SECRET.as_bytes(),
        &ResidentId::parse(TRAINEE_A).unwrap(),
    );
    let old = format!("370902:billed:{}:4-03-02-01-01:5", person.as_str());
    county.kv().increment("default", &old, 1).unwrap().unwrap();
    report(
        &county,
        &a,
        vec![record("a1", TRAINEE_A, "4-03-02-01", "2020-03-15")],
    )
    .await;
    let preview = || async {
        (call("GET", "/api/platform/invoices/preview?month=2020-03"))
            .signed(&a.key_id, &a.secret)
            .send(&county)
            .await
            .json()
    };
    assert_eq!(
        preview().await["lines"].as_array().unwrap().len(),
        1,
        "the 职业's record looks unbilled while the mark stays under the 工种 code"
    );

    let taishan = CountyCode::parse("370902").unwrap();
    let moved = county_host::cli::migrate_course_keys(county.kv(), &taishan).unwrap();
    assert_eq!(
        moved
            .iter()
            .map(|m| (m.from.as_str(), m.value))
            .collect::<Vec<_>>(),
        [(old.as_str(), 1)]
    );
    assert_eq!(
        held_codes(&preview().await),
        [("a1".to_owned(), vec!["already_billed".to_owned()])]
    );
    let again = county_host::cli::migrate_course_keys(county.kv(), &taishan).unwrap();
    assert!(again.is_empty(), "a finished run leaves nothing to move");
}
