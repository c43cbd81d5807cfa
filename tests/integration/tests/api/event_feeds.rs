//! The event feeds (issue 28): a trainee and a platform each read what changed, in order,
//! from a cursor, through the compiled components. That an event is there exactly when its
//! change is, whatever is killed, is held by the kill tests (`reliability`), which check the
//! feeds against the claims and invoices after every kill.

use crate::helpers::*;
use serde_json::{Value, json};

fn as_trainee(id: &str) -> impl Fn(Call) -> Call {
    let token = trainee(id);
    move |c: Call| c.bearer(&token)
}

/// A second trainee of 泰山区.
fn trainee_b() -> String {
    resident_id("37090219900307124")
}

fn as_platform(platform: &Platform) -> impl Fn(Call) -> Call + '_ {
    |c: Call| c.signed(&platform.key_id, &platform.secret)
}

async fn send_ok(county: &County, call: Call) -> Value {
    let reply = call.send(county).await;
    assert!(reply.status < 300, "{}: {}", reply.status, reply.json());
    reply.json()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trainee_follows_their_record_and_claim_from_report_to_payment_in_their_feed() {
    let (county, _platform) = one_billable_line().await;
    let id = claimed(&county, "a").await;
    let path = |action: &str| format!("/api/claims/{id}/{action}");
    send_ok(&county, call("POST", &path("approve")).bearer(&reviewer())).await;
    publish_notice_ended(&county).await;
    let paid = json!({"reference": "SSC-2020-0401-1", "paid_on": "2020-04-01"});
    send_ok(
        &county,
        call("POST", &path("pay")).bearer(&finance()).json(&paid),
    )
    .await;

    let events = feed_events(&county, "/api/claims/events", as_trainee(TRAINEE_A)).await;
    assert_eq!(
        event_types(&events),
        [
            "completion.reported",
            "offer.made",
            "claim.submitted",
            "claim.approved",
            "claim.updated",
            "claim.paid"
        ]
    );
    // Published (公示): the trainee reads when their notice ends.
    assert!(
        events[4]["object"]["notice"]["until"].is_string(),
        "{}",
        events[4]
    );
    assert_eq!(events[0]["object"]["record_id"], "a");
    assert_eq!(events[0]["object"]["state"], "reported");
    // The registry verified them before the report: the report made its offer.
    assert_eq!(
        (
            &events[1]["object"]["record_id"],
            &events[1]["object"]["key_group"]
        ),
        (&json!("a"), &json!("migrant_worker"))
    );
    let statuses: Vec<&Value> = events[2..].iter().map(|e| &e["object"]["status"]).collect();
    assert_eq!(
        statuses,
        [
            &json!("submitted"),
            &json!("approved"),
            &json!("approved"),
            &json!("paid")
        ]
    );
    // The claim as the trainee sees it: the payee account masked, no store bookkeeping.
    let claim = &events[5]["object"];
    assert_eq!(claim["id"], id.as_str());
    assert!(claim["payee"]["account"].as_str().unwrap().contains('*'));
    assert!(claim.get("feed_marks").is_none(), "{claim}");
    let sequences: Vec<u64> = events
        .iter()
        .map(|e| e["sequence"].as_u64().unwrap())
        .collect();
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{sequences:?}");
    for e in &events {
        assert_eq!(e["id"], format!("evt_t{}", e["sequence"]));
        assert!(e["created_at"].as_str().unwrap().ends_with("+08:00"), "{e}");
    }

    // From a cursor: what came after it, the same events.
    let after = sequences[1];
    let rest = call("GET", &format!("/api/claims/events?after={after}"))
        .bearer(&trainee(TRAINEE_A))
        .send(&county)
        .await
        .json();
    assert_eq!(rest["events"].as_array().unwrap(), &events[2..].to_vec());
    assert_eq!(rest["next_after"], sequences[5]);
    assert_eq!(
        (rest["done"].clone(), rest["pending"].clone()),
        (json!(true), json!(false))
    );

    // Another trainee's feed is theirs alone; operators and anonymous callers have none.
    assert!(
        feed_events(&county, "/api/claims/events", as_trainee(&trainee_b()))
            .await
            .is_empty()
    );
    let by_reviewer = call("GET", "/api/claims/events")
        .bearer(&reviewer())
        .send(&county)
        .await;
    assert_eq!(
        (by_reviewer.status, by_reviewer.error_code().as_str()),
        (403, "trainees_only")
    );
    assert_eq!(
        call("GET", "/api/claims/events").send(&county).await.status,
        401
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_platform_follows_its_records_and_invoices_in_its_feed() {
    let (county, platform) = one_billable_line().await;
    claimed(&county, "a").await;
    let number = invoice_number(&issue_invoice(&county, &platform, "2020-03").await);
    let invoice = |action: &str| format!("/api/platform/invoices/{number}/{action}");
    send_ok(
        &county,
        call("POST", &invoice("approve")).bearer(&finance()),
    )
    .await;
    let paid = json!({"reference": "BANK-2020-0415-001", "paid_on": "2020-04-15"});
    // Paid by another finance officer than the one who approved (four eyes).
    let pay = call("POST", &invoice("pay")).bearer(&second_finance());
    send_ok(&county, pay.json(&paid)).await;
    let b = record("b", &trainee_b(), "4-03-02-01", "2020-03-16");
    assert_eq!(
        outcomes(&report(&county, &platform, vec![b]).await),
        ["accepted"]
    );
    let void = call("POST", "/api/platform/completions/b/void")
        .json(&json!({"reason": "重复上报"}))
        .signed(&platform.key_id, &platform.secret);
    send_ok(&county, void).await;

    let events = feed_events(&county, "/api/platform/events", as_platform(&platform)).await;
    assert_eq!(
        event_types(&events),
        [
            "completion.claimed",
            "invoice.issued",
            "invoice.approved",
            "invoice.paid",
            "completion.voided"
        ]
    );
    assert_eq!(events[0]["object"]["record_id"], "a");
    assert_eq!(events[0]["object"]["state"], "claimed");
    for (event, state) in events[1..4].iter().zip(["issued", "approved", "paid"]) {
        let shown = &event["object"];
        assert_eq!(
            (shown["number"].as_str(), shown["state"].as_str()),
            (Some(number.as_str()), Some(state))
        );
        // Its lines are paged by GET /api/platform/invoices/{number}; the event counts them.
        assert_eq!(
            (shown["lines"].clone(), shown["line_count"].clone()),
            (json!([]), json!(1))
        );
    }
    assert_eq!(events[4]["object"]["void_reason"], "重复上报");
    assert!(
        events
            .iter()
            .all(|e| e["id"] == format!("evt_p{}", e["sequence"]))
    );

    // The trainee's feed saw their side of it: B's record reported, then voided.
    let b_events = feed_events(&county, "/api/claims/events", as_trainee(&trainee_b())).await;
    assert_eq!(
        event_types(&b_events),
        ["completion.reported", "completion.voided"]
    );

    // Operators read a platform's feed by naming it; another platform sees nothing of it.
    let named = call("GET", "/api/platform/events?platform_id=wljnpx&limit=100")
        .bearer(&finance())
        .send(&county)
        .await
        .json();
    assert_eq!(named["events"].as_array().unwrap(), &events);
    let other = credential(&county, "ixueto").await;
    assert!(
        feed_events(&county, "/api/platform/events", as_platform(&other))
            .await
            .is_empty()
    );
    assert_eq!(
        call("GET", "/api/platform/events")
            .send(&county)
            .await
            .status,
        401
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_feed_refuses_a_bad_cursor_or_limit_with_the_field_named() {
    let county = taishan();
    for query in ["after=-1", "after=x", "limit=0", "limit=101"] {
        let reply = call("GET", &format!("/api/claims/events?{query}"))
            .bearer(&trainee(TRAINEE_A))
            .send(&county)
            .await;
        assert_eq!(reply.status, 422, "{query}: {}", reply.json());
        let field = query.split('=').next().unwrap();
        assert_eq!(reply.json()["error"]["field"], field, "{query}");
    }
}
