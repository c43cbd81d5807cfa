//! 公示 through the API: a reviewer publishes approved claims in the day's notice, for 5
//! working days counted on the 2020 calendar; anyone reads the notice (names and IDs masked)
//! and may object while it runs, which sends the claim back to review; finance pays only once
//! the notice has ended. The claim is made from an offer (政策找人): the trainee never applied.

use serde_json::{Value, json};

use crate::helpers::*;

/// Sets the county's clock to noon (China Standard Time) of `day`.
fn clock_to(county: &County, day: &str) {
    let noon = format!("{day}T12:00:00+08:00");
    let target = chrono::DateTime::parse_from_rfc3339(&noon)
        .unwrap()
        .timestamp();
    county.advance_clock(target - county.now_unix());
}

async fn as_operator(county: &County, role: Role, sub: &str, call: Call) -> Reply {
    call.bearer(&token_at(county, role, sub)).send(county).await
}

async fn pay(county: &County, id: &str, day: &str) -> Reply {
    let body = json!({"reference": format!("SB-{day}"), "paid_on": day});
    let pay = call("POST", &format!("/api/claims/{id}/pay")).json(&body);
    as_operator(county, Role::Finance, "op-finance", pay).await
}

async fn claim_as(county: &County, id: &str, role: Role, sub: &str) -> Value {
    let read = call("GET", &format!("/api/claims/{id}"));
    as_operator(county, role, sub, read).await.json()
}

/// A claim made from an offer (the registry verifies the trainee, the platform reported a
/// pass, the trainee accepted in one request) and approved, with the county's clock then at
/// Thursday 30 April 2020, the day before the Labour Day holiday.
async fn approved_on_30_april() -> (County, String) {
    let (county, _) = reported(1).await;
    verify_key_group(&county, TRAINEE_A).await;
    let payee = json!({"kind": "social_security_card", "account": "6217001234567890123"});
    let accepted = call("POST", "/api/claims/offers/accept")
        .bearer(&trainee(TRAINEE_A))
        .header("idempotency-key", "offer-journey-1")
        .json(&json!({"platform_id": "wljnpx", "record_id": "r0", "payee": payee, "consent": true}))
        .send(&county)
        .await;
    assert_eq!(accepted.status, 201, "{}", accepted.json());
    let id = accepted.json()["claim"]["id"].as_str().unwrap().to_owned();
    let approve = call("POST", &format!("/api/claims/{id}/approve")).json(&json!({}));
    assert_eq!(approve.bearer(&reviewer()).send(&county).await.status, 200);
    clock_to(&county, "2020-04-30");
    (county, id)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_offer_accepted_is_reviewed_published_from_30_april_2020_to_9_may_objected_to_and_paid()
{
    let (county, id) = approved_on_30_april().await;
    let unpublished = pay(&county, &id, "2020-04-30").await;
    assert_eq!(
        (unpublished.status, unpublished.error_code()),
        (409, "publicity_required".into())
    );
    let publish = call("POST", "/api/claims/publicity");
    let published = as_operator(&county, Role::Reviewer, "op-reviewer", publish).await;
    assert_eq!(
        published.json(),
        json!({"day": "2020-04-30", "published": 1, "done": true})
    );
    let claim = claim_as(&county, &id, Role::Reviewer, "op-reviewer").await;
    assert_eq!(claim["notice"]["from"], "2020-04-30");
    assert_eq!(
        claim["notice"]["until"], "2020-05-09",
        "Saturday 9 May was worked"
    );

    // The public notice: no credentials, name and ID masked.
    let days = call("GET", "/api/notices").send(&county).await.json();
    assert_eq!(days, json!({"notices": ["2020-04-30"]}));
    let notice = call("GET", "/api/notices/2020-04-30").send(&county).await;
    assert_eq!(notice.header("cache-control"), Some("public, max-age=60"));
    let entry = &notice.json()["entries"][0];
    assert_eq!(
        (&entry["claim_id"], &entry["name"], &entry["amount"]),
        (&json!(id), &json!("张*"), &json!("120.00"))
    );
    assert_eq!(entry["resident_id"], "370***********1231");
    assert_eq!(entry["platform_name"], "互联网+职业技能培训网");
    assert_eq!(
        (&entry["from"], &entry["until"]),
        (&json!("2020-04-30"), &json!("2020-05-09"))
    );
    for day in ["2020-05-01", "30-04-2020"] {
        let none = call("GET", &format!("/api/notices/{day}"))
            .send(&county)
            .await;
        assert_eq!((none.status, none.error_code()), (404, "not_found".into()));
    }

    // An objection on Wednesday 6 May: kept, and the claim goes back to review.
    clock_to(&county, "2020-05-06");
    let objection =
        json!({"claim_id": id, "reason": "申领人已在企业就业", "contact": "13800000000"});
    let objections = "/api/notices/2020-04-30/objections";
    let filed = call("POST", objections)
        .json(&objection)
        .send(&county)
        .await;
    assert_eq!(filed.status, 201, "{}", filed.json());
    let claim = claim_as(&county, &id, Role::Reviewer, "op-reviewer").await;
    assert_eq!(claim["status"], "submitted");
    assert_eq!(claim["objections"][0]["contact"], "13800000000");
    let last = claim["transitions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (&last["from"], &last["to"]),
        (&json!("approved"), &json!("submitted"))
    );
    assert_eq!(last["changed"]["by"], "public");
    let queue = call("GET", "/api/claims/queue?kind=verified");
    let queue = as_operator(&county, Role::Reviewer, "op-reviewer", queue)
        .await
        .json();
    assert!(
        queue["claims"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id.as_str())
    );
    // The trainee reads the objection's reason, not who filed it.
    let theirs = call("GET", &format!("/api/claims/{id}"));
    let theirs = theirs
        .bearer(&token_at(&county, Role::Trainee, TRAINEE_A))
        .send(&county)
        .await;
    assert_eq!(
        theirs.json()["objections"][0]["reason"],
        "申领人已在企业就业"
    );
    assert!(theirs.json()["objections"][0].get("contact").is_none());
    let notice = call("GET", "/api/notices/2020-04-30")
        .send(&county)
        .await
        .json();
    assert_eq!(notice["entries"][0]["objections"], 1);

    // The reviewer looks into it and approves again; the notice still runs to 9 May.
    clock_to(&county, "2020-05-08");
    let approve = call("POST", &format!("/api/claims/{id}/approve"))
        .json(&json!({"note": "核实：申领时未就业"}));
    let approved = as_operator(&county, Role::Reviewer, "op-reviewer", approve).await;
    assert_eq!(approved.status, 200, "{}", approved.json());
    clock_to(&county, "2020-05-09");
    let early = pay(&county, &id, "2020-05-09").await;
    assert_eq!(
        (early.status, early.error_code()),
        (409, "publicity_period_running".into())
    );
    assert!(
        early.json()["error"]["message_zh"]
            .as_str()
            .unwrap()
            .contains("2020-05-09")
    );
    let desk = call("GET", "/api/claims/payable");
    let desk = as_operator(&county, Role::Finance, "op-finance", desk)
        .await
        .json();
    assert_eq!(
        desk["claims"],
        json!([]),
        "not on the desk while its notice runs"
    );
    let seen = claim_as(&county, &id, Role::Finance, "op-finance").await;
    assert_eq!(
        seen["allowed_actions"],
        json!([]),
        "no payment offered while it runs"
    );

    // Monday 11 May: the notice is over; no more objections, and finance pays.
    clock_to(&county, "2020-05-11");
    let late = call("POST", objections)
        .json(&objection)
        .send(&county)
        .await;
    assert_eq!(
        (late.status, late.error_code()),
        (409, "publicity_period_over".into())
    );
    let desk = call("GET", "/api/claims/payable");
    let desk = as_operator(&county, Role::Finance, "op-finance", desk)
        .await
        .json();
    assert_eq!(desk["claims"][0]["id"], id.as_str());
    let seen = claim_as(&county, &id, Role::Finance, "op-finance").await;
    assert_eq!(seen["allowed_actions"], json!(["pay"]));
    let paid = pay(&county, &id, "2020-05-11").await;
    assert_eq!(paid.status, 200, "{}", paid.json());
    assert_eq!(paid.json()["status"], "paid");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_objection_is_refused_for_a_claim_not_in_that_notice_and_for_bad_fields() {
    let (county, id) = approved_on_30_april().await;
    let publish = call("POST", "/api/claims/publicity");
    assert_eq!(
        as_operator(&county, Role::Reviewer, "op-r", publish)
            .await
            .status,
        200
    );
    let cases = [
        (
            "2020-04-29",
            json!({"claim_id": id, "reason": "x", "contact": "y"}),
            404,
            "not_found",
        ),
        (
            "2020-04-30",
            json!({"claim_id": "c-0000000000000000", "reason": "x", "contact": "y"}),
            404,
            "not_found",
        ),
        (
            "2020-04-30",
            json!({"claim_id": id, "reason": "", "contact": "y"}),
            422,
            "invalid_text",
        ),
        (
            "2020-04-30",
            json!({"claim_id": id, "reason": "x"}),
            422,
            "invalid_field",
        ),
    ];
    for (day, body, status, code) in cases {
        let path = format!("/api/notices/{day}/objections");
        let reply = call("POST", &path).json(&body).send(&county).await;
        assert_eq!(
            (reply.status, reply.error_code()),
            (status, code.into()),
            "{body}"
        );
    }
    let claim = claim_as(&county, &id, Role::Reviewer, "op-r").await;
    assert_eq!(
        (claim["status"].clone(), claim.get("objections")),
        (json!("approved"), None)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_days_notice_is_read_a_page_at_a_time() {
    let (county, _) = reported(3).await;
    verify_key_group(&county, TRAINEE_A).await;
    let mut ids = Vec::new();
    for record in ["r0", "r1", "r2"] {
        let id = claimed(&county, record).await;
        let approve = call("POST", &format!("/api/claims/{id}/approve")).json(&json!({}));
        assert_eq!(approve.bearer(&reviewer()).send(&county).await.status, 200);
        ids.push(json!(id));
    }
    clock_to(&county, "2020-04-30");
    let publish = call("POST", "/api/claims/publicity");
    let published = as_operator(&county, Role::Reviewer, "op-reviewer", publish).await;
    assert_eq!(published.json()["published"], 3);
    let page = |query: &str| {
        let path = format!("/api/notices/2020-04-30?{query}");
        let county = &county;
        async move { call("GET", &path).send(county).await }
    };
    let first = page("limit=2").await.json();
    let shown: Vec<&Value> = (first["entries"].as_array().unwrap().iter())
        .map(|e| &e["claim_id"])
        .collect();
    assert_eq!(shown, [&ids[0], &ids[1]]);
    assert_eq!(first["done"], false);
    let next = first["next_after"].as_u64().unwrap();
    let rest = page(&format!("after={next}&limit=2")).await.json();
    assert_eq!(rest["entries"].as_array().unwrap().len(), 1);
    assert_eq!(
        (&rest["entries"][0]["claim_id"], &rest["done"]),
        (&ids[2], &json!(true))
    );
    let all = page("").await.json();
    assert_eq!(
        all["entries"].as_array().unwrap().len(),
        3,
        "50 a page by default"
    );
    let refused = page("limit=0").await;
    assert_eq!(
        (refused.status, refused.error_code()),
        (422, "invalid_number".into())
    );
}
