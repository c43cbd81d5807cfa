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
