//! 政策找人 through the API: a trainee the registry verifies, whose platform reported a pass,
//! finds an offer without applying and accepts it with one request, which becomes a claim as
//! a submission would, limits included; an offer that cannot be accepted says why.

use serde_json::{Value, json};

use crate::helpers::*;

async fn offers(county: &County, trainee_id: &str) -> Vec<Value> {
    let reply = call("GET", "/api/claims/offers")
        .bearer(&trainee(trainee_id))
        .send(county)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json());
    reply.json()["offers"].as_array().unwrap().clone()
}

fn acceptance(record_id: &str) -> Call {
    let payee = json!({"kind": "social_security_card", "account": "6217001234567890123"});
    call("POST", "/api/claims/offers/accept")
        .bearer(&trainee(TRAINEE_A))
        .json(&json!({"platform_id": "wljnpx", "record_id": record_id, "payee": payee, "consent": true}))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verified_trainee_accepts_an_offer_in_one_request_and_it_becomes_a_claim() {
    let (county, _) = reported(1).await;
    assert_eq!(
        offers(&county, TRAINEE_A).await,
        Vec::<Value>::new(),
        "not verified yet"
    );
    verify_key_group(&county, TRAINEE_A).await;
    let found = offers(&county, TRAINEE_A).await;
    assert_eq!(found.len(), 1);
    let offer = &found[0];
    assert_eq!(
        (
            &offer["record_id"],
            &offer["key_group"],
            &offer["state"],
            &offer["acceptable"]
        ),
        (
            &json!("r0"),
            &json!("migrant_worker"),
            &json!("open"),
            &json!(true)
        )
    );
    assert_eq!(
        (&offer["amount"], &offer["policy_version"]),
        (&json!("120.00"), &json!("shandong-2020-02"))
    );
    assert_eq!(offer["reasons"], json!([]));
    assert!(
        offer.get("claim_deadline").is_none(),
        "the built-in version sets none"
    );

    let first = acceptance("r0")
        .header("idempotency-key", "offer-r0-0001")
        .send(&county)
        .await;
    assert_eq!(first.status, 201, "{}", first.json());
    let claim = &first.json()["claim"];
    assert_eq!(
        (&claim["key_group"], &claim["key_group_status"]),
        (&json!("migrant_worker"), &json!("verified"))
    );
    let again = acceptance("r0")
        .header("idempotency-key", "offer-r0-0001")
        .send(&county)
        .await;
    assert_eq!(
        (again.status, again.json()),
        (201, first.json()),
        "a retry is the same claim"
    );
    assert_eq!(claims_of(&county, TRAINEE_A).await.len(), 1);
    let queue = call("GET", "/api/claims/queue?kind=verified")
        .bearer(&reviewer())
        .send(&county)
        .await;
    assert_eq!(queue.json()["claims"][0]["id"], claim["id"]);
    let taken = &offers(&county, TRAINEE_A).await[0];
    assert_eq!(
        (&taken["state"], &taken["claim_id"]),
        (&json!("taken"), &claim["id"])
    );
    assert_eq!(taken["reasons"][0]["code"], "already_claimed");
    let twice = acceptance("r0").send(&county).await;
    assert_eq!(
        (twice.status, twice.error_code()),
        (409, "already_claimed".into())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_offer_past_the_yearly_limit_or_voided_says_why_and_a_record_without_one_is_refused() {
    let (county, platform) = reported(5).await;
    verify_key_group(&county, TRAINEE_A).await;
    for record in ["r0", "r1", "r2"] {
        let accepted = acceptance(record).send(&county).await;
        assert_eq!(accepted.status, 201, "{}", accepted.json());
    }
    let void = call("POST", "/api/platform/completions/r4/void")
        .json(&json!({"reason": "重复上报"}))
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await;
    assert_eq!(void.status, 200, "{}", void.json());
    let found = offers(&county, TRAINEE_A).await;
    let of = |id: &str| found.iter().find(|o| o["record_id"] == id).unwrap().clone();
    let fourth = of("r3");
    assert_eq!(
        (&fourth["state"], &fourth["acceptable"]),
        (&json!("open"), &json!(false))
    );
    assert_eq!(fourth["reasons"][0]["code"], "yearly_limit_reached");
    assert!(fourth.get("amount").is_none());
    let refused = acceptance("r3").send(&county).await;
    assert_eq!(
        (refused.status, refused.error_code()),
        (422, "not_eligible".into())
    );
    assert_eq!(
        (&of("r4")["state"], &of("r4")["reasons"][0]["code"]),
        (&json!("void"), &json!("record_void"))
    );
    // The county's outreach list: the offers not taken (r3), not the claimed or the void.
    let list = "/api/admin/outreach?platform_id=wljnpx&month=2020-03";
    let outreach = call("GET", list).bearer(&reviewer()).send(&county).await;
    assert_eq!(outreach.status, 200, "{}", outreach.json());
    let rows = outreach.json()["rows"].as_array().unwrap().clone();
    let ids: Vec<&Value> = rows.iter().map(|r| &r["record_id"]).collect();
    assert_eq!(ids, [&json!("r3")]);
    assert_eq!(
        (&rows[0]["name"], &rows[0]["registry_source"]),
        (&json!("张三"), &json!("实名登记"))
    );
    assert_eq!(rows[0]["resident_id"], "370***********1231");
    let csv = call("GET", &format!("{list}&format=csv"))
        .bearer(&reviewer())
        .send(&county)
        .await;
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let text = String::from_utf8_lossy(&csv.body).into_owned();
    assert!(
        text.contains("wljnpx,r3,张三") && text.contains("TOTAL,1"),
        "{text}"
    );
    let finance_asks = call("GET", list).bearer(&finance()).send(&county).await;
    assert_eq!(finance_asks.status, 403);
    // Another trainee of the county, reported but not in the registry: no offer to accept.
    let other = trainee_id(1991, 7);
    report(
        &county,
        &platform,
        vec![record("b0", &other, "4-03-02-01", "2020-03-15")],
    )
    .await;
    assert!(offers(&county, &other).await.is_empty());
    let payee = json!({"kind": "social_security_card", "account": "6217001234567890123"});
    let none = call("POST", "/api/claims/offers/accept")
        .bearer(&trainee(&other))
        .json(&json!({"platform_id": "wljnpx", "record_id": "b0", "payee": payee, "consent": true}))
        .send(&county)
        .await;
    assert_eq!((none.status, none.error_code()), (422, "no_offer".into()));
    assert_eq!(none.json()["error"]["field"], "record_id");
}

/// Uploads one registry entry: a migrant worker from 2020-01-01, listed under `community`,
/// with a phone number where the list has one.
async fn register_in(county: &County, trainee_id: &str, community: Option<&str>, phone: &str) {
    let mut entry = migrant(trainee_id);
    if let Some(c) = community {
        entry["community"] = json!(c);
    }
    if !phone.is_empty() {
        entry["phone"] = json!(phone);
    }
    upload_registry(county, json!([entry])).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn outreach_is_grouped_by_the_village_or_community_the_registry_lists_with_its_phone_and_one_can_be_asked_for()
 {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    let (east, west, nowhere) = (
        trainee_id(1988, 1),
        trainee_id(1989, 2),
        trainee_id(1990, 3),
    );
    let reported = report(
        &county,
        &platform,
        vec![
            record("n0", &nowhere, "4-03-02-01", "2020-03-12"),
            record("w0", &west, "4-03-02-01", "2020-03-13"),
            record("e0", &east, "4-03-02-01", "2020-03-14"),
        ],
    )
    .await;
    assert!(outcomes(&reported).iter().all(|o| o == "accepted"));
    register_in(&county, &east, Some("东关村"), "138-0013-8000").await;
    register_in(&county, &west, Some("西街社区"), "").await;
    register_in(&county, &nowhere, None, "").await;
    let list = "/api/admin/outreach?platform_id=wljnpx&month=2020-03";
    let rows = |reply: &Reply| -> Vec<(String, Value)> {
        let body = reply.json();
        (body["rows"].as_array().unwrap().iter())
            .map(|r| {
                (
                    r["record_id"].as_str().unwrap().to_owned(),
                    r["community"].clone(),
                )
            })
            .collect()
    };
    let all = call("GET", list).bearer(&reviewer()).send(&county).await;
    assert_eq!(all.status, 200, "{}", all.json());
    assert_eq!(
        rows(&all),
        [
            ("e0".to_owned(), json!("东关村")),
            ("w0".to_owned(), json!("西街社区")),
            ("n0".to_owned(), Value::Null),
        ],
        "by community, the persons placed nowhere last"
    );
    let village = format!("{list}&community={}", "%E4%B8%9C%E5%85%B3%E6%9D%91");
    let east_only = call("GET", &village)
        .bearer(&reviewer())
        .send(&county)
        .await;
    assert_eq!(rows(&east_only), [("e0".to_owned(), json!("东关村"))]);
    assert_eq!(
        east_only.json()["rows"][0]["phone"],
        "13800138000",
        "to call or text"
    );
    assert_eq!(all.json()["rows"][1]["phone"], Value::Null);
    let csv = call("GET", &format!("{village}&format=csv"))
        .bearer(&reviewer())
        .send(&county)
        .await;
    let text = String::from_utf8_lossy(&csv.body).into_owned();
    assert!(
        text.contains("registry_source,community,phone,amount")
            && text.contains("实名登记,东关村,13800138000,120.00"),
        "{text}"
    );
    // The county corrects the village of the same period: the correction is what it reads.
    register_in(&county, &east, Some("东关村二组"), "13800138000").await;
    let lookup = call("POST", "/api/eligibility/registry/lookup")
        .bearer(&reviewer())
        .json(&json!({ "resident_id": east }))
        .send(&county)
        .await;
    let entries = lookup.json()["entries"].clone();
    assert_eq!(entries.as_array().unwrap().len(), 1, "{entries}");
    assert_eq!(
        (&entries[0]["community"], &entries[0]["phone"]),
        (&json!("东关村二组"), &json!("13800138000"))
    );
    // A village name past 50 characters and a number no phone has are refused, both named,
    // and the batch with them.
    let bad = json!({"entries": [{"resident_id": west, "group": "migrant_worker",
        "source": "实名登记", "valid_from": "2020-01-01", "community": "村".repeat(51),
        "phone": "8221234"}]});
    let refused = call("POST", "/api/eligibility/registry")
        .bearer(&admin())
        .json(&bad)
        .send(&county)
        .await;
    assert_eq!(refused.status, 422);
    let problems: Vec<(Value, Value)> = (refused.json()["error"]["details"].as_array().unwrap())
        .iter()
        .map(|d| (d["code"].clone(), d["field"].clone()))
        .collect();
    assert_eq!(
        problems,
        [
            (json!("invalid_text"), json!("entries[0].community")),
            (json!("invalid_phone"), json!("entries[0].phone"))
        ]
    );
}

/// The types and record ids of a trainee's feed, in order.
async fn feed_of(county: &County, trainee_id: &str) -> Vec<(String, String)> {
    let token = trainee(trainee_id);
    let events = feed_events(county, "/api/claims/events", |c: Call| c.bearer(&token)).await;
    (events.iter())
        .map(|e| {
            let id = e["object"]["record_id"].as_str().unwrap_or_default();
            (e["type"].as_str().unwrap().to_owned(), id.to_owned())
        })
        .collect()
}

fn kinds(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    (pairs.iter())
        .map(|(k, id)| (k.to_string(), id.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_offer_is_announced_in_the_trainees_feed_once_whether_the_report_or_the_registry_comes_first()
 {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    let (first, later, failed) = (
        trainee_id(1988, 1),
        trainee_id(1989, 2),
        trainee_id(1990, 3),
    );
    // The registry first: the report itself makes the offer.
    upload_registry(&county, json!([migrant(&first)])).await;
    let mut fail = record("f0", &failed, "4-03-02-01", "2020-03-14");
    fail["assessment"] = json!({"result": "fail", "score": 40, "date": "2020-03-14"});
    let reported = report(
        &county,
        &platform,
        vec![
            record("a0", &first, "4-03-02-01", "2020-03-12"),
            record("b0", &later, "4-03-02-01", "2020-03-13"),
            fail,
        ],
    )
    .await;
    assert!(outcomes(&reported).iter().all(|o| o == "accepted"));
    assert_eq!(
        feed_of(&county, &first).await,
        kinds(&[("completion.reported", "a0"), ("offer.made", "a0")])
    );
    let token = trainee(&first);
    let events = feed_events(&county, "/api/claims/events", |c: Call| c.bearer(&token)).await;
    assert_eq!(events[1]["object"]["key_group"], "migrant_worker");
    assert_eq!(
        feed_of(&county, &later).await,
        kinds(&[("completion.reported", "b0")]),
        "not in the registry: no offer"
    );
    // The registry later: its upload makes the offer, once.
    let both = json!([migrant(&later), migrant(&failed)]);
    let uploaded = upload_registry(&county, both.clone()).await;
    assert_eq!(
        (&uploaded["offers_made"], &uploaded["offers_done"]),
        (&json!(1), &json!(true))
    );
    assert_eq!(
        feed_of(&county, &later).await,
        kinds(&[("completion.reported", "b0"), ("offer.made", "b0")])
    );
    let again = upload_registry(&county, both).await;
    assert_eq!(
        again["offers_made"], 0,
        "the same list again offers nothing new"
    );
    assert_eq!(feed_of(&county, &later).await.len(), 2);
    assert_eq!(
        feed_of(&county, &failed).await,
        kinds(&[("completion.reported", "f0")]),
        "a failed assessment is no offer"
    );
    // The record accepted as a claim: the offer is not made again by a later upload.
    let payee = json!({"kind": "social_security_card", "account": "6217001234567890123"});
    let accepted = call("POST", "/api/claims/offers/accept")
        .bearer(&trainee(&later))
        .json(&json!({"platform_id": "wljnpx", "record_id": "b0", "payee": payee, "consent": true}))
        .send(&county)
        .await;
    assert_eq!(accepted.status, 201, "{}", accepted.json());
    let mut corrected = migrant(&later);
    corrected["community"] = json!("西街社区");
    assert_eq!(
        upload_registry(&county, json!([corrected])).await["offers_made"],
        0
    );
    // A platform's view of the record does not tell it that its trainee is in the registry.
    let fetched = call("GET", "/api/platform/completions/a0")
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await;
    assert!(
        fetched.json().get("offered").is_none(),
        "{}",
        fetched.json()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_batch_makes_at_most_one_offer_per_entry_and_the_same_batch_again_makes_the_rest()
 {
    let (county, _) = reported(3).await;
    let mut answers = Vec::new();
    for _ in 0..4 {
        let uploaded = upload_registry(&county, json!([migrant(TRAINEE_A)])).await;
        answers.push((
            uploaded["offers_made"].clone(),
            uploaded["offers_done"].clone(),
        ));
    }
    assert_eq!(
        answers,
        [
            (json!(1), json!(false)),
            (json!(1), json!(false)),
            (json!(1), json!(true)),
            (json!(0), json!(true)),
        ]
    );
    let offered: Vec<String> = (feed_of(&county, TRAINEE_A).await.into_iter())
        .filter(|(kind, _)| kind == "offer.made")
        .map(|(_, id)| id)
        .collect();
    assert_eq!(offered, ["r0", "r1", "r2"]);
}
