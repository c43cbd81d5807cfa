//! A county's volume: lists that cost what is waiting, not what has ever waited.

use crate::helpers::*;
use serde_json::{Value, json};

/// `n` trainees of 泰山区 (resident IDs 370902 1985-05-05 000..), each with a passed training
/// reported by wljnpx (record `v{i}`) and a claim on it; their claim ids, oldest first.
async fn claims_of_many(county: &County, n: usize) -> Vec<String> {
    let platform = credential(county, "wljnpx").await;
    let trainees: Vec<String> = (0..n)
        .map(|i| resident_id(&format!("37090219850505{i:03}")))
        .collect();
    let records: Vec<Value> = (trainees.iter().enumerate())
        .map(|(i, t)| record(&format!("v{i}"), t, "4-03-02-01", "2020-03-15"))
        .collect();
    let reply = report(county, &platform, records).await;
    assert!(outcomes(&reply).iter().all(|o| o == "accepted"));
    let mut ids = Vec::new();
    for (i, t) in trainees.iter().enumerate() {
        let reply = submit_claim(county, t, &claim_body("wljnpx", &format!("v{i}"))).await;
        assert_eq!(reply.status, 201, "{}", reply.json());
        ids.push(reply.json()["claim"]["id"].as_str().unwrap().to_owned());
    }
    ids
}

/// A reviewer rejects each of `ids`.
async fn reject_all(county: &County, ids: &[String]) {
    for id in ids {
        let rejected = call("POST", &format!("/api/claims/{id}/reject"))
            .bearer(&reviewer())
            .json(&json!({"reason": "非农业户口"}))
            .send(county)
            .await;
        assert_eq!(rejected.status, 200, "{}", rejected.json());
    }
}

fn ids_of(page: &Value, list: &str) -> Vec<String> {
    (page[list]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter())
    .map(|c| c["id"].as_str().unwrap().to_owned())
    .collect()
}

/// 60 claims wait for review; the oldest 50 are rejected, 8 of the rest approved and 6 of
/// those paid. Once read, the review queue's first page costs the 2 waiting claims it shows
/// (a store read for the entry and one for the claim each, and a few more), not the 60 ever
/// queued; finance's desk likewise shows the 2 approved and unpaid.
#[tokio::test(flavor = "multi_thread")]
async fn a_first_page_costs_what_waits_not_what_has_waited() {
    let county = taishan();
    let ids = claims_of_many(&county, 60).await;
    reject_all(&county, &ids[..50]).await;
    let queue = || call("GET", "/api/claims/queue?kind=review&limit=100").bearer(&reviewer());
    let first = queue().send(&county).await;
    assert_eq!(ids_of(&first.json(), "claims"), ids[50..]);
    for id in &ids[50..58] {
        let approved = call("POST", &format!("/api/claims/{id}/approve"))
            .bearer(&reviewer())
            .send(&county)
            .await;
        assert_eq!(approved.status, 200, "{}", approved.json());
    }
    for (n, id) in ids[50..56].iter().enumerate() {
        let paid = call("POST", &format!("/api/claims/{id}/pay"))
            .bearer(&finance())
            .json(&json!({"reference": format!("SB-{n}"), "paid_on": "2020-04-20"}))
            .send(&county)
            .await;
        assert_eq!(paid.status, 200, "{}", paid.json());
    }

    // Each list's first read moves its head over what was processed; the next costs little.
    let waiting = queue().send(&county).await;
    assert_eq!(ids_of(&waiting.json(), "claims"), ids[58..]);
    let again = queue().send(&county).await;
    assert_eq!(ids_of(&again.json(), "claims"), ids[58..]);
    let ops = again.calls.store_operations();
    assert!(
        ops <= 12,
        "the first page of 2 waiting claims took {ops} store operations"
    );

    let desk = || call("GET", "/api/claims/payable?limit=100").bearer(&finance());
    assert_eq!(
        ids_of(&desk().send(&county).await.json(), "claims"),
        ids[56..58]
    );
    let again = desk().send(&county).await;
    assert_eq!(ids_of(&again.json(), "claims"), ids[56..58]);
    let ops = again.calls.store_operations();
    assert!(
        ops <= 12,
        "finance's first page of 2 claims took {ops} store operations"
    );
}

async fn province_report(county: &County, query: &str) -> county_host::client::Reply {
    let reply = call("GET", &format!("/api/claims/report{query}"))
        .bearer(&finance())
        .send(county)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json());
    reply
}

/// The report is kept by counters every transition moves: with 60 claims in two rows (50
/// rejected, 10 submitted) it reads the same as a recount of the claims, at a cost of its
/// rows, not its claims; `from`/`to` keep to months of assessment.
#[tokio::test(flavor = "multi_thread")]
async fn the_report_costs_its_rows_and_keeps_to_the_months_asked() {
    let county = taishan();
    let ids = claims_of_many(&county, 60).await;
    reject_all(&county, &ids[..50]).await;
    let report = province_report(&county, "").await;
    let body = report.json();
    assert_eq!(body["total_count"], 60);
    let statuses: Vec<(Value, Value, Value)> = (body["by_status"].as_array().unwrap().iter())
        .filter(|s| s["count"] != 0)
        .map(|s| (s["status"].clone(), s["count"].clone(), s["amount"].clone()))
        .collect();
    assert_eq!(
        statuses,
        [
            (json!("submitted"), json!(10), json!("1200.00")),
            (json!("rejected"), json!(50), json!("6000.00"))
        ]
    );
    // Two months listed, two rows of one: a handful of reads, whatever the claims.
    let ops = report.calls.store_operations();
    assert!(ops <= 12, "a report of 2 rows took {ops} store operations");

    let march = province_report(&county, "?from=2020-03&to=2020-03")
        .await
        .json();
    assert_eq!(march["total_count"], 60);
    let april_on = province_report(&county, "?from=2020-04").await.json();
    assert_eq!(
        (april_on["total_count"].clone(), april_on["rows"].clone()),
        (json!(0), json!([]))
    );
    let bad = call("GET", "/api/claims/report?from=2020-13")
        .bearer(&finance())
        .send(&county)
        .await;
    assert_eq!(
        (bad.status, bad.json()["error"]["field"].clone()),
        (422, json!("from"))
    );
}

/// A request killed between a claim's change and the report's counters leaves them behind
/// (here: a row's counters lost); the month's recount, in steps of 25 claims, names what
/// differs, and with `repair` sets it right.
#[tokio::test(flavor = "multi_thread")]
async fn a_months_recount_finds_and_repairs_counters_a_kill_left_behind() {
    let county = taishan();
    let ids = claims_of_many(&county, 60).await;
    reject_all(&county, &ids[..5]).await;
    let before = province_report(&county, "").await.json();
    let lost = (county.kv().keys("default").unwrap().into_iter())
        .filter(|k| k.contains(":report:2020-03:cell:") && k.contains(":submitted:"))
        .filter(|k| k.ends_with(":count") || k.ends_with(":fen"))
        .collect::<Vec<_>>();
    assert_eq!(lost.len(), 2);
    for key in &lost {
        county.kv().delete("default", key).unwrap();
    }
    assert_eq!(province_report(&county, "").await.json()["total_count"], 5);

    let recount = |repair: bool| {
        call("POST", "/api/admin/report-recount")
            .bearer(&admin())
            .json(&json!({"month": "2020-03", "repair": repair, "limit": 25}))
    };
    let mut steps = 0;
    let dry = loop {
        let step = recount(false).send(&county).await;
        assert_eq!(step.status, 200, "{}", step.json());
        steps += 1;
        if step.json()["done"] == true {
            break step.json();
        }
    };
    assert_eq!(steps, 3, "60 claims in steps of 25");
    assert_eq!(dry["claims_counted"], 60);
    assert_eq!(
        dry["differences"],
        json!([{"group": {"key_group": "migrant_worker", "platform_id": "wljnpx",
            "occupation": "4-03-02-01", "status": "submitted", "month": "2020-03"},
            "count": [0, 55], "fen": [0, 660000]}])
    );
    assert_eq!(
        province_report(&county, "").await.json()["total_count"],
        5,
        "a dry run sets nothing"
    );

    let repaired = loop {
        let step = recount(true).send(&county).await.json();
        if step["done"] == true {
            break step;
        }
    };
    assert_eq!(repaired["differences"].as_array().unwrap().len(), 1);
    assert_eq!(province_report(&county, "").await.json(), before);
    let clean = loop {
        let step = recount(false).send(&county).await.json();
        if step["done"] == true {
            break step;
        }
    };
    assert_eq!(clean["differences"], json!([]));
}
