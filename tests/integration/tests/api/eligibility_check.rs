//! The eligibility dry run and the key-group registry, through the compiled component.

use crate::helpers::*;
use serde_json::{Value, json};
use subsidy_rules::{
    CountyCode, PersonKey, ResidentId,
    claim::Claim,
    claims_file::{ClaimsFile, FiledClaim},
    store_keys,
};

/// A migrant worker of 泰山区, 24 hours online at 互联网+职业技能培训网, passed 2020-03-15.
fn facts(id: &str) -> Value {
    json!({
        "applicant": {"resident_id": id, "hukou_county": "370902", "group": "migrant_worker"},
        "training": {
            "platform_id": "wljnpx", "occupation": "4-03-02-01", "level": "5",
            "study_hours": 24, "mode": "online", "started_on": "2020-02-20",
            "assessment": {"result": "pass", "date": "2020-03-15", "score": 88}
        }
    })
}

async fn check(county: &County, token: &str, body: &Value) -> Reply {
    call("POST", "/api/eligibility/check")
        .bearer(token)
        .json(body)
        .send(county)
        .await
}

fn codes(reply: &Reply) -> Vec<String> {
    let body = reply.json();
    let reasons = body["reasons"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    reasons
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn register(county: &County, entries: Value) -> Reply {
    call("POST", "/api/eligibility/registry")
        .bearer(&admin())
        .json(&json!({ "entries": entries }))
        .send(county)
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declared_migrant_worker_needs_review_and_a_registered_one_is_eligible() {
    let county = taishan();
    let declared = check(&county, &trainee(TRAINEE_A), &facts(TRAINEE_A)).await;
    assert_eq!(declared.status, 200);
    let body = declared.json();
    assert_eq!(body["outcome"], "needs_review");
    assert_eq!(body["key_group_status"], "needs_review");
    assert_eq!(body["amount"], "120.00");
    assert_eq!(body["fund"], "就业补助资金");
    assert_eq!(body["paying_county"], "370902");
    assert_eq!(body["resident_id"], "370***********1231");

    let uploaded = register(
        &county,
        json!([{"resident_id": TRAINEE_A, "group": "migrant_worker", "source": "农民工实名登记", "valid_from": "2020-01-01"}]),
    )
    .await;
    assert_eq!(
        (uploaded.status, uploaded.json()["stored"].clone()),
        (200, json!(1))
    );
    let verified = check(&county, &trainee(TRAINEE_A), &facts(TRAINEE_A))
        .await
        .json();
    assert_eq!(verified["outcome"], "eligible");
    assert_eq!(verified["key_group_status"], "verified");
    assert_eq!(verified["amount"], "120.00");
    assert_eq!(verified["reasons"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_writes_nothing() {
    let county = taishan();
    let before = county.host.kv().keys("default").unwrap();
    let reply = check(&county, &trainee(TRAINEE_A), &facts(TRAINEE_A)).await;
    assert_eq!(reply.status, 200, "{}", reply.json());
    assert_eq!(reply.json()["amount"], "120.00", "{}", reply.json());
    let after = county.host.kv().keys("default").unwrap();
    // Not a key, and not one write: a counter is read with `get`, never by adding 0.
    assert_eq!(after, before);
    assert_eq!(reply.calls.writes(), 0, "{:?}", reply.calls);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_window_edges_hold_through_the_api() {
    let county = taishan();
    for (date, outside) in [
        ("2020-02-06", false),
        ("2020-06-30", false),
        ("2020-07-01", true),
        ("2020-02-05", true),
    ] {
        let mut body = facts(TRAINEE_A);
        body["training"]["started_on"] = json!("2020-02-01");
        body["training"]["assessment"]["date"] = json!(date);
        body["training"]["platform_id"] = json!("ixueto");
        let reply = check(&county, &reviewer(), &body).await;
        assert_eq!(
            codes(&reply).contains(&"outside_policy_window".to_owned()),
            outside,
            "{date}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_failed_rule_is_listed_and_no_amount_is_promised() {
    let county = taishan();
    let mut body = facts(TRAINEE_A);
    body["applicant"]["group"] = json!("enterprise_employee");
    body["training"]["mode"] = json!("offline");
    body["training"]["assessment"]["result"] = json!("fail");
    body["training"]["platform_id"] = json!("unknown-platform");
    let reply = check(&county, &trainee(TRAINEE_A), &body).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        codes(&reply),
        [
            "not_a_key_group",
            "platform_not_approved",
            "training_not_online",
            "assessment_not_passed"
        ]
    );
    let verdict = reply.json();
    assert_eq!(verdict["outcome"], "ineligible");
    assert_eq!(verdict["amount"], Value::Null);
    assert!(
        verdict["reasons"][0]["message_zh"]
            .as_str()
            .unwrap()
            .contains("泰人社办发〔2020〕3号")
    );
    assert!(verdict["reasons"][0]["message_en"].as_str().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn graduates_count_two_years_from_graduation_inclusive() {
    let county = taishan();
    let graduate = |graduated: &str, employed: bool| {
        let mut body = facts(TRAINEE_A);
        body["applicant"]["group"] = json!("unemployed_graduate");
        body["applicant"]["graduation_date"] = json!(graduated);
        body["applicant"]["employed"] = json!(employed);
        body["training"]["started_on"] = json!("2020-02-20");
        body
    };
    let edge = check(&county, &reviewer(), &graduate("2018-02-20", false)).await;
    assert_eq!(codes(&edge), Vec::<String>::new());
    let late = check(&county, &reviewer(), &graduate("2018-02-19", false)).await;
    assert_eq!(codes(&late), ["graduate_left_school_too_long_ago"]);
    let employed = check(&county, &reviewer(), &graduate("2019-06-30", true)).await;
    assert_eq!(codes(&employed), ["graduate_employed"]);
}

/// A claim of `id`'s made before (another year, another status), put where the key schema
/// says without the steps that would make it: the claim, and its entry in the person's claims
/// file, so that the check reads it as the person's history.
fn seed_claim(
    county: &County,
    id: &str,
    claim_id: &str,
    occupation: &str,
    level: &str,
    assessed_on: &str,
    status: &str,
) {
    let kv = county.host.kv();
    let code = CountyCode::parse("370902").unwrap();
    let person = PersonKey::derive(PERSON_SECRET.as_bytes(), &ResidentId::parse(id).unwrap());
    let claim = json!({
        "id": claim_id, "person": person.as_str(), "resident_id": "370***********1231",
        "platform_id": "wljnpx", "record_id": format!("seeded-{claim_id}"), "trainee_name": "张三",
        "occupation": occupation, "level": level, "study_hours": "24", "assessed_on": assessed_on,
        "status": status, "amount": "100.00", "fund": "就业补助资金", "key_group": "migrant_worker",
        "key_group_status": "verified", "policy_version": "shandong-2020-02",
        "payee": {"kind": "social_security_card", "account": "6217001234567890123"},
        "consent": {"by": "370***********1231", "at": "2020-04-01T09:00:00+08:00"},
        "transitions": []
    });
    let claim: Claim = serde_json::from_value(claim).unwrap();
    kv.set(
        "default",
        &store_keys::claim(&code, claim_id),
        &serde_json::to_vec(&claim).unwrap(),
    )
    .unwrap();
    let key = store_keys::claims_file(&code, &person);
    let mut file: ClaimsFile = (kv.get("default", &key).unwrap())
        .map(|bytes| serde_json::from_slice(&bytes).unwrap())
        .unwrap_or_default();
    file.filed.push(FiledClaim::of(&claim, 0));
    kv.set("default", &key, &serde_json::to_vec(&file).unwrap())
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_third_claim_in_a_year_passes_and_the_fourth_does_not() {
    let county = taishan();
    seed_claim(
        &county,
        TRAINEE_A,
        "c1",
        "4-01-01-01",
        "5",
        "2020-02-10",
        "paid",
    );
    seed_claim(
        &county,
        TRAINEE_A,
        "c2",
        "4-01-01-02",
        "5",
        "2020-02-11",
        "submitted",
    );
    seed_claim(
        &county,
        TRAINEE_A,
        "c3",
        "4-03-02-01",
        "5",
        "2019-05-01",
        "rejected",
    );
    let third = check(&county, &trainee(TRAINEE_A), &facts(TRAINEE_A)).await;
    assert_eq!(
        codes(&third),
        Vec::<String>::new(),
        "a rejected claim frees its place"
    );

    seed_claim(
        &county,
        TRAINEE_A,
        "c4",
        "4-01-01-03",
        "5",
        "2020-02-12",
        "approved",
    );
    let fourth = check(&county, &trainee(TRAINEE_A), &facts(TRAINEE_A)).await;
    assert_eq!(codes(&fourth), ["yearly_limit_reached"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_occupation_and_level_is_never_paid_twice() {
    let county = taishan();
    seed_claim(
        &county,
        TRAINEE_A,
        "c1",
        "4-03-02-01",
        "4",
        "2019-05-01",
        "paid",
    );
    assert_eq!(
        codes(&check(&county, &trainee(TRAINEE_A), &facts(TRAINEE_A)).await),
        Vec::<String>::new()
    );
    seed_claim(
        &county,
        TRAINEE_A,
        "c2",
        "4-03-02-01",
        "5",
        "2019-06-01",
        "paid",
    );
    assert_eq!(
        codes(&check(&county, &trainee(TRAINEE_A), &facts(TRAINEE_A)).await),
        ["occupation_level_already_claimed"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn another_countys_resident_is_sent_to_the_county_that_pays() {
    let county = taishan();
    let mut body = facts(TRAINEE_A);
    body["applicant"]["hukou_county"] = json!("370911");
    let reply = check(&county, &trainee(TRAINEE_A), &body).await;
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (422, "wrong_county")
    );
    let error = &reply.json()["error"];
    assert_eq!(error["field"], "applicant.hukou_county");
    assert!(error["message_zh"].as_str().unwrap().contains("370911"));
    assert!(error["message_en"].as_str().unwrap().contains("370911"));
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_trainee_or_a_reviewing_operator_may_check_a_person() {
    let county = taishan();
    let other = resident_id("37090219851111002");
    let not_self = check(&county, &trainee(&other), &facts(TRAINEE_A)).await;
    assert_eq!(
        (not_self.status, not_self.error_code().as_str()),
        (403, "not_your_record")
    );
    let finance = check(&county, &finance(), &facts(TRAINEE_A)).await;
    assert_eq!(
        (finance.status, finance.error_code().as_str()),
        (403, "forbidden_role")
    );
    let anonymous = call("POST", "/api/eligibility/check")
        .json(&facts(TRAINEE_A))
        .send(&county)
        .await;
    assert_eq!(
        (anonymous.status, anonymous.error_code().as_str()),
        (401, "unauthenticated")
    );
    for token in [admin(), reviewer(), trainee(TRAINEE_A)] {
        assert_eq!(check(&county, &token, &facts(TRAINEE_A)).await.status, 200);
    }
    // A trainee token must name a real resident ID, and an operator secret never signs one.
    let odd_subject = check(&county, &trainee("op-admin"), &facts(TRAINEE_A)).await;
    assert_eq!(
        (odd_subject.status, odd_subject.error_code().as_str()),
        (401, "token_malformed")
    );
    let forged_trainee = token_signed_with(Role::Trainee, TRAINEE_A, OPERATOR_SECRET.as_bytes());
    let mismatch = check(&county, &forged_trainee, &facts(TRAINEE_A)).await;
    assert_eq!(
        (mismatch.status, mismatch.error_code().as_str()),
        (401, "token_role_mismatch")
    );
    // Nor does the identity service's secret make an operator.
    let forged_admin = token_signed_with(Role::Admin, "op-admin", TRAINEE_SECRET.as_bytes());
    let mismatch = check(&county, &forged_admin, &facts(TRAINEE_A)).await;
    assert_eq!(
        (mismatch.status, mismatch.error_code().as_str()),
        (401, "token_role_mismatch")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_facts_are_all_reported_as_field_errors() {
    let county = taishan();
    let mut body = facts(TRAINEE_A);
    body["applicant"]["resident_id"] = json!("370902199003071232");
    body["applicant"]["hukou_county"] = json!("370900");
    body["applicant"]["group"] = json!("farmer");
    body["training"]["occupation"] = json!("cook");
    body["training"]["level"] = json!("6");
    body["training"]["study_hours"] = json!(-3);
    body["training"]["mode"] = json!("tv");
    body["training"]["started_on"] = json!("2020-02-30");
    body["training"]["assessment"] = json!({"result": "ok", "score": "high", "date": "15/03/2020"});
    body["training"]["platform_id"] = json!("UPPER");
    let reply = check(&county, &reviewer(), &body).await;
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (422, "invalid_input")
    );
    let fields: Vec<String> = reply.details().into_iter().map(|(_, f)| f).collect();
    assert_eq!(
        fields,
        [
            "applicant.resident_id",
            "applicant.hukou_county",
            "applicant.group",
            "training.platform_id",
            "training.occupation",
            "training.level",
            "training.study_hours",
            "training.mode",
            "training.started_on",
            "training.assessment.result",
            "training.assessment.score",
            "training.assessment.date"
        ]
    );
    let mut unknown = facts(TRAINEE_A);
    unknown["applicant"]["salary"] = json!(1);
    let reply = check(&county, &reviewer(), &unknown).await;
    assert_eq!(
        (reply.status, reply.json()["error"]["field"].clone()),
        (422, json!("applicant.salary"))
    );
    let mut missing = facts(TRAINEE_A);
    missing["training"]
        .as_object_mut()
        .unwrap()
        .remove("study_hours");
    assert_eq!(check(&county, &reviewer(), &missing).await.status, 422);
}

#[tokio::test(flavor = "multi_thread")]
async fn registry_uploads_are_validated_whole_and_kept_under_keyed_hashes() {
    let county = taishan();
    let poor = resident_id("37090219950505004");
    let bad = register(
        &county,
        json!([
            {"resident_id": poor, "group": "poor_laborer", "source": "建档立卡系统", "valid_from": "2020-01-01"},
            {"resident_id": "123", "group": "enterprise_employee", "source": "", "valid_from": "2020-13-01"},
            {"resident_id": poor, "group": "poor_laborer", "source": "重复", "valid_from": "2020-01-01", "valid_to": "2019-01-01"}
        ]),
    )
    .await;
    assert_eq!(bad.status, 422);
    assert_eq!(
        bad.details(),
        [
            (
                "resident_id_format".to_owned(),
                "entries[1].resident_id".to_owned()
            ),
            ("not_a_key_group".to_owned(), "entries[1].group".to_owned()),
            ("invalid_text".to_owned(), "entries[1].source".to_owned()),
            (
                "invalid_date".to_owned(),
                "entries[1].valid_from".to_owned()
            ),
            (
                "invalid_validity".to_owned(),
                "entries[2].valid_to".to_owned()
            ),
        ]
    );
    assert!(
        county.host.kv().keys("default").unwrap().is_empty(),
        "a refused batch stores nothing"
    );
    let empty = register(&county, json!([])).await;
    assert_eq!(
        (empty.status, empty.error_code().as_str()),
        (422, "invalid_batch_size")
    );
    let too_many: Vec<Value> = (0..1001).map(|_| json!({})).collect();
    assert_eq!(register(&county, json!(too_many)).await.status, 422);

    let good = register(
        &county,
        json!([
            {"resident_id": poor, "group": "poor_laborer", "source": "建档立卡系统", "valid_from": "2020-01-01", "valid_to": "2020-12-31"},
            {"resident_id": poor, "group": "poor_family_child", "source": "建档立卡系统", "valid_from": "2020-01-01"}
        ]),
    )
    .await;
    assert_eq!(good.status, 200);
    let keys = county.host.kv().keys("default").unwrap();
    assert_eq!(keys.len(), 2);
    for key in &keys {
        assert!(key.starts_with("370902:registry:"), "{key}");
        assert!(!key.contains(&poor) && !key.contains("19950505"), "{key}");
    }
    let stored =
        String::from_utf8(county.host.kv().get("default", &keys[0]).unwrap().unwrap()).unwrap();
    assert!(
        !stored.contains(&poor),
        "values hold masked IDs only: {stored}"
    );

    let found = call("POST", "/api/eligibility/registry/lookup")
        .bearer(&reviewer())
        .json(&json!({"resident_id": poor}))
        .send(&county)
        .await;
    assert_eq!(found.status, 200);
    let found = found.json();
    assert_eq!(found["entries"].as_array().unwrap().len(), 2);
    assert_eq!(found["entries"][0]["changed"]["by"], "op-admin");
    let lookup_by_trainee = call("POST", "/api/eligibility/registry/lookup")
        .bearer(&trainee(&poor))
        .json(&json!({"resident_id": poor}))
        .send(&county)
        .await;
    assert_eq!(lookup_by_trainee.status, 403);
    let upload_by_reviewer = call("POST", "/api/eligibility/registry")
        .bearer(&reviewer())
        .json(&json!({"entries": []}))
        .send(&county)
        .await;
    assert_eq!(upload_by_reviewer.status, 403);

    // Verified only for the group and the days the registry says.
    let mut body = facts(&poor);
    body["applicant"]["group"] = json!("poor_laborer");
    assert_eq!(
        check(&county, &trainee(&poor), &body).await.json()["key_group_status"],
        "verified"
    );
    body["applicant"]["group"] = json!("migrant_worker");
    assert_eq!(
        check(&county, &trainee(&poor), &body).await.json()["key_group_status"],
        "needs_review"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_suspended_platform_stops_counting_from_the_day_its_suspension_applies() {
    let county = taishan();
    let suspend = |from: Option<&str>, reason: Option<&str>| {
        let mut body = json!({"name": "互联网+职业技能培训网", "recorded_on": "2020-02-06", "status": "suspended"});
        if let Some(from) = from {
            body["effective_from"] = json!(from);
        }
        if let Some(reason) = reason {
            body["reason"] = json!(reason);
        }
        call("PUT", "/api/policy/platforms/wljnpx")
            .bearer(&admin())
            .json(&body)
    };
    // Suspended today: training assessed in March 2020 still counts.
    assert_eq!(suspend(None, None).send(&county).await.status, 200);
    let reply = check(&county, &trainee(TRAINEE_A), &facts(TRAINEE_A)).await;
    assert_eq!(codes(&reply), Vec::<String>::new());
    // Suspended from 1 March 2020, back-dated over approved days: a correction, with its
    // reason. The training of 15 March counts no more.
    let refused = suspend(Some("2020-03-01"), None).send(&county).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.error_code(), "back_dated_change_needs_reason");
    let corrected = suspend(Some("2020-03-01"), Some("备案已撤销"))
        .send(&county)
        .await;
    assert_eq!(corrected.status, 200);
    let reply = check(&county, &trainee(TRAINEE_A), &facts(TRAINEE_A)).await;
    assert_eq!(codes(&reply), ["platform_not_approved"]);
    let register = call("GET", "/api/policy/platforms")
        .send(&county)
        .await
        .json();
    let wljnpx = (register["platforms"].as_array().unwrap().iter())
        .find(|p| p["id"] == "wljnpx")
        .unwrap()
        .clone();
    let periods = wljnpx["status_history"].as_array().unwrap();
    assert_eq!(periods.len(), 3, "every period kept: {periods:?}");
    assert_eq!(periods[2]["from"], "2020-03-01");
    assert_eq!(periods[2]["reason"], "备案已撤销");
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_never_hold_a_resident_id() {
    let county = taishan();
    check(&county, &trainee(TRAINEE_A), &facts(TRAINEE_A)).await;
    register(
        &county,
        json!([{"resident_id": TRAINEE_A, "group": "migrant_worker", "source": "x", "valid_from": "2020-01-01"}]),
    )
    .await;
    let logs = county.host.logs();
    assert!(
        logs.contains("POST /api/eligibility/check -> 200"),
        "{logs}"
    );
    assert!(
        !logs.contains(TRAINEE_A) && !logs.contains("19900307"),
        "{logs}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn impossible_hours_and_a_future_assessment_are_reasons_of_the_verdict() {
    let county = taishan();
    // One day of training claimed as 2,000 hours: a 10,000.00 allowance, were it believed.
    let mut one_day = facts(TRAINEE_A);
    one_day["training"]["started_on"] = json!("2020-03-15");
    one_day["training"]["ended_on"] = json!("2020-03-15");
    one_day["training"]["study_hours"] = json!(2000);
    let verdict = check(&county, &trainee(TRAINEE_A), &one_day).await.json();
    assert_eq!(verdict["outcome"], "ineligible", "{verdict}");
    assert_eq!(verdict["reasons"][0]["code"], "study_hours_implausible");
    assert_eq!(verdict["reasons"][0]["field"], "training.study_hours");
    assert!(
        verdict["reasons"][0]["message_zh"]
            .as_str()
            .unwrap()
            .contains("最多8学时")
    );
    // Eight hours in that day are possible.
    one_day["training"]["study_hours"] = json!(8);
    let possible = check(&county, &trainee(TRAINEE_A), &one_day).await.json();
    assert_eq!(possible["outcome"], "needs_review", "{possible}");
    // An assessment after today (China Standard Time) has not happened.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::hours(8) + chrono::Duration::days(1))
        .date_naive()
        .to_string();
    let mut future = facts(TRAINEE_A);
    future["training"]["assessment"]["date"] = json!(tomorrow);
    let verdict = check(&county, &trainee(TRAINEE_A), &future).await.json();
    let codes: Vec<&str> = (verdict["reasons"].as_array().unwrap().iter())
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"date_in_future"), "{verdict}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_registry_period_keeps_the_earlier_one_and_what_it_verified() {
    let county = taishan();
    let spring = json!([{"resident_id": TRAINEE_A, "group": "migrant_worker", "source": "农民工实名登记", "valid_from": "2020-01-01", "valid_to": "2020-03-31"}]);
    assert_eq!(register(&county, spring).await.status, 200);
    let (token, body) = (trainee(TRAINEE_A), facts(TRAINEE_A));
    let march = || check(&county, &token, &body);
    assert_eq!(march().await.json()["key_group_status"], "verified");
    // The county uploads the person again for the second half of the year.
    let autumn = json!([{"resident_id": TRAINEE_A, "group": "migrant_worker", "source": "农民工实名登记", "valid_from": "2020-07-01"}]);
    assert_eq!(register(&county, autumn).await.status, 200);
    assert_eq!(
        march().await.json()["key_group_status"],
        "verified",
        "the March training stays verified"
    );
    let looked_up = call("POST", "/api/eligibility/registry/lookup")
        .bearer(&admin())
        .json(&json!({"resident_id": TRAINEE_A}))
        .send(&county)
        .await
        .json();
    assert_eq!(
        looked_up["entries"].as_array().unwrap().len(),
        2,
        "{looked_up}"
    );
}
