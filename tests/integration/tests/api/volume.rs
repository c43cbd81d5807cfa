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

fn ids_of(page: &Value, list: &str) -> Vec<String> {
    (page[list].as_array().unwrap_or_else(|| panic!("{page}")).iter())
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
    for id in &ids[..50] {
        let rejected = call("POST", &format!("/api/claims/{id}/reject"))
            .bearer(&reviewer())
            .json(&json!({"reason": "非农业户口"}))
            .send(&county)
            .await;
        assert_eq!(rejected.status, 200);
    }
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
    assert!(ops <= 12, "the first page of 2 waiting claims took {ops} store operations");

    let desk = || call("GET", "/api/claims/payable?limit=100").bearer(&finance());
    assert_eq!(ids_of(&desk().send(&county).await.json(), "claims"), ids[56..58]);
    let again = desk().send(&county).await;
    assert_eq!(ids_of(&again.json(), "claims"), ids[56..58]);
    let ops = again.calls.store_operations();
    assert!(ops <= 12, "finance's first page of 2 claims took {ops} store operations");
}
