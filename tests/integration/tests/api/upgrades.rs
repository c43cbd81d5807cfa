//! Data an earlier version stored, read by this one: a person's claims listed in the index an
//! earlier version kept (before claims files), and a report row's count and fen kept apart
//! (before they were one counter). Written here as the earlier version left them.

use crate::helpers::*;
use serde_json::json;
use subsidy_rules::{CountyCode, PersonKey, ResidentId, store_keys};

fn person(id: &str) -> PersonKey {
    PersonKey::derive(PERSON_SECRET.as_bytes(), &ResidentId::parse(id).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn claims_an_earlier_version_listed_in_its_index_hold_the_limits_and_are_listed() {
    let (county, _) = reported(2).await;
    let id = claimed(&county, "r0").await;
    // As an earlier version left it: no file, the claim in the person's index.
    let code = CountyCode::parse("370902").unwrap();
    let kv = county.kv();
    kv.delete(
        "default",
        &store_keys::claims_file(&code, &person(TRAINEE_A)),
    )
    .unwrap();
    let index = store_keys::person_claims(&code, &person(TRAINEE_A));
    let slot = kv
        .increment("default", &index.counter(), 1)
        .unwrap()
        .unwrap();
    kv.set(
        "default",
        &index.slot(slot as u64),
        json!(id).to_string().as_bytes(),
    )
    .unwrap();

    let mine = claims_of(&county, TRAINEE_A).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["id"], id.as_str());
    // r0's course is taken by that claim: a second claim of r0 is refused, r1 is accepted,
    // and the file built from the index names both.
    let again = submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", "r0")).await;
    assert_eq!(again.status, 409, "{}", again.json());
    let other = submit_claim(&county, TRAINEE_A, &claim_body("wljnpx", "r1")).await;
    assert_eq!(other.status, 201, "{}", other.json());
    assert_eq!(claims_of(&county, TRAINEE_A).await.len(), 2);
    limits_hold(&county).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_rows_count_and_fen_kept_apart_by_an_earlier_version_still_count() {
    let (county, _) = reported(1).await;
    claimed(&county, "r0").await;
    let code = CountyCode::parse("370902").unwrap();
    let cell = "migrant_worker:wljnpx:4-03-02-01:submitted";
    let key = |name: &str| store_keys::report_cell(&code, "2020-03", cell, name);
    // As an earlier version left the row: its count and fen apart, no tally.
    let kv = county.kv();
    kv.delete("default", &key("tally")).unwrap();
    kv.increment("default", &key("count"), 1).unwrap().unwrap();
    kv.increment("default", &key("fen"), 12_000)
        .unwrap()
        .unwrap();
    let report = call("GET", "/api/claims/report")
        .bearer(&reviewer())
        .send(&county)
        .await
        .json();
    assert_eq!(
        (
            report["total_count"].clone(),
            report["rows"][0]["amount"].clone()
        ),
        (json!(1), json!("120.00")),
        "{report}"
    );
    // Withdrawn now, the row moves by this version's counter: nothing left submitted.
    let id = claims_of(&county, TRAINEE_A).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let withdrawn = call("POST", &format!("/api/claims/{id}/withdraw"))
        .bearer(&trainee(TRAINEE_A))
        .send(&county)
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.json());
    let report = call("GET", "/api/claims/report")
        .bearer(&reviewer())
        .send(&county)
        .await
        .json();
    let submitted = (report["rows"].as_array().unwrap().iter())
        .filter(|r| r["status"] == "submitted")
        .map(|r| r["count"].as_i64().unwrap())
        .sum::<i64>();
    assert_eq!(submitted, 0, "{report}");
}
