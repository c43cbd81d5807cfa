//! A county's volume: lists that cost what is waiting, not what has ever waited; invoices,
//! queues and the report correct at a scale CI can afford.

use crate::helpers::*;
use serde_json::{Value, json};

/// The `i`-th of up to 28,000 distinct trainees of 泰山区 born in `year`.
/// `n` trainees of 泰山区 (born 1985), each with a passed training reported by wljnpx (record
/// `v{i}`, in batches of 500) and a claim on it; their claim ids, oldest first.
async fn claims_of_many(county: &County, n: usize) -> Vec<String> {
    let platform = credential(county, "wljnpx").await;
    let trainees: Vec<String> = (0..n).map(|i| trainee_id(1985, i)).collect();
    let records: Vec<Value> = (trainees.iter().enumerate())
        .map(|(i, t)| record(&format!("v{i}"), t, "4-03-02-01", "2020-03-15"))
        .collect();
    for batch in records.chunks(500) {
        let reply = report(county, &platform, batch.to_vec()).await;
        assert!(outcomes(&reply).iter().all(|o| o == "accepted"));
    }
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
    publish_notice_ended(&county).await;
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
    // One month listed, two rows in it: a handful of reads, whatever the claims (on Redis,
    // which refuses batch reads, each of a row's 3 counters read alone).
    let ops = report.calls.store_operations();
    assert!(ops <= 16, "a report of 2 rows took {ops} store operations");

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
/// (here: a row's tally lost); the month's recount, in steps of 25 claims, names what
/// differs, and with `repair` sets it right.
#[tokio::test(flavor = "multi_thread")]
async fn a_months_recount_finds_and_repairs_counters_a_kill_left_behind() {
    let county = taishan();
    let ids = claims_of_many(&county, 60).await;
    reject_all(&county, &ids[..5]).await;
    let before = province_report(&county, "").await.json();
    let lost = (county.kv().keys("default").unwrap().into_iter())
        .filter(|k| k.contains(":report:2020-03:cell:") && k.contains(":submitted:"))
        .filter(|k| k.ends_with(":tally"))
        .collect::<Vec<_>>();
    assert_eq!(lost.len(), 1);
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

/// Scale: a platform month of 5,000 passed trainees at 246.91 each (20% of 1234.57): previewed
/// 250 records a page; one invoice of 5,000 lines (~1.3 MB whole) built in 20 requests of at
/// most 5,000 store operations each, stored as a header and 13 pages of at most 400 lines (no
/// stored value reaches 256 KB), read page by page, exported whole with the exact total,
/// approved and paid; the month then has nothing left to bill.
/// `n` trainees born in `born`, their key groups verified, each with a passed training
/// (`r0`, `r1`, …; 4-03-02-01, level 5) assessed on 15 March 2020, reported 500 a batch.
async fn billable_month(county: &County, platform: &Platform, n: usize, born: u32) {
    let trainees: Vec<String> = (0..n).map(|i| trainee_id(born, i)).collect();
    verify_key_groups(county, &trainees).await;
    let records: Vec<Value> = (trainees.iter().enumerate())
        .map(|(i, t)| record(&format!("r{i}"), t, "4-03-02-01", "2020-03-15"))
        .collect();
    for batch in records.chunks(500) {
        let reply = report(county, platform, batch.to_vec()).await;
        assert!(outcomes(&reply).iter().all(|o| o == "accepted"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invoice_of_5000_lines_is_stored_in_pages_read_page_by_page_and_bills_each_line_once() {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    set_standard(&county, "4-03-02-01", "1234.57").await;
    billable_month(&county, &platform, 5000, 1990).await;

    // Previewed a page of 250 records at a time.
    let preview = |after: u64| {
        call(
            "GET",
            &format!("/api/platform/invoices/preview?month=2020-03&after={after}"),
        )
        .signed(&platform.key_id, &platform.secret)
    };
    let first_page = preview(0).send(&county).await.json();
    assert_eq!(
        (
            first_page["lines"].as_array().unwrap().len(),
            &first_page["total"],
            &first_page["next_after"],
            &first_page["done"]
        ),
        (250, &json!("61727.50"), &json!(250), &json!(false))
    );
    let last_page = preview(4750).send(&county).await.json();
    assert_eq!(
        (&last_page["next_after"], &last_page["done"]),
        (&json!(5000), &json!(true))
    );

    // Built in steps of at most 250 records, each a bounded request: 20 of them, the first 19
    // answering 202 with the invoice building and its lines so far.
    let steps = issue_invoice_in_steps(&county, &platform, "2020-03").await;
    assert_eq!(steps.len(), 20, "5,000 records, 250 a step");
    for (i, step) in steps.iter().enumerate() {
        let operations = step.calls.store_operations();
        assert!(
            operations <= 5_000,
            "step {i} made {operations} store operations"
        );
        if i < 19 {
            let body = step.json();
            assert_eq!(step.status, 202, "step {i}: {}", body["state"]);
            assert_eq!(
                (&body["invoice"]["state"], &body["invoice"]["line_count"]),
                (&json!("building"), &json!((i + 1) * 250)),
                "step {i}"
            );
        }
    }
    let issued = steps.last().unwrap();
    assert_eq!(issued.status, 201);
    let invoice = &issued.json()["invoice"];
    assert_eq!(
        (
            &invoice["state"],
            &invoice["line_count"],
            &invoice["line_pages"],
            &invoice["page"]
        ),
        (&json!("issued"), &json!(5000), &json!(13), &json!(0))
    );
    assert_eq!(invoice["lines"].as_array().unwrap().len(), 400);
    assert_eq!(invoice["total"], "1234550.00");
    let number = invoice_number(issued);

    let largest = (county.kv().keys("default").unwrap().iter())
        .map(|key| county.kv().get("default", key).unwrap().unwrap().len())
        .max()
        .unwrap();
    assert!(largest < 256 * 1024, "a stored value of {largest} bytes");

    let page = |n: &str| {
        call("GET", &format!("/api/platform/invoices/{number}?page={n}"))
            .signed(&platform.key_id, &platform.secret)
    };
    let mut record_ids = Vec::new();
    for n in 0..13 {
        let reply = page(&n.to_string()).send(&county).await;
        assert_eq!(reply.status, 200, "{}", reply.json());
        let lines = reply.json()["lines"].as_array().unwrap().clone();
        record_ids.extend(
            lines
                .iter()
                .map(|l| l["record_id"].as_str().unwrap().to_owned()),
        );
    }
    record_ids.sort();
    record_ids.dedup();
    assert_eq!(record_ids.len(), 5000, "every line once");
    let beyond = page("13").send(&county).await;
    assert_eq!(
        (beyond.status, beyond.error_code().as_str()),
        (422, "invalid_page")
    );

    let csv = call("GET", &format!("/api/platform/invoices/{number}/csv"))
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await;
    assert_eq!(csv.status, 200);
    let text = String::from_utf8(csv.body.to_vec()).unwrap();
    let is_record_id =
        |c: &str| c.len() > 1 && c.starts_with('r') && c[1..].bytes().all(|b| b.is_ascii_digit());
    let rows: Vec<&str> = (text.lines())
        .filter(|l| l.split(',').any(is_record_id))
        .collect();
    assert_eq!(rows.len(), 5000, "one row per line");
    assert!(
        text.lines()
            .any(|l| l.contains("TOTAL") && l.contains("1234550.00"))
    );

    let approved = call("POST", &format!("/api/platform/invoices/{number}/approve"))
        .bearer(&finance())
        .send(&county)
        .await;
    assert_eq!(approved.status, 200, "{}", approved.json());
    let paid = call("POST", &format!("/api/platform/invoices/{number}/pay"))
        .bearer(&second_finance())
        .json(&json!({"reference": "BANK-5000", "paid_on": "2020-04-10"}))
        .send(&county)
        .await;
    assert_eq!(paid.status, 200, "{}", paid.json());
    assert_eq!(
        (&paid.json()["state"], &paid.json()["line_count"]),
        (&json!("paid"), &json!(5000))
    );
    let reread = page("12").send(&county).await.json();
    assert_eq!(reread["lines"].as_array().unwrap().len(), 200);
    assert_eq!(reread["state"], "paid");
    // Every course is billed: the month, judged again in 20 steps, has nothing left to
    // invoice, and no number is taken for nothing.
    let again = issue_invoice_in_steps(&county, &platform, "2020-03").await;
    assert_eq!(again.len(), 20);
    assert!(again.iter().all(|step| step.json()["invoice"].is_null()));
    assert_eq!(again[18].json()["build"]["after"], 4750);
    assert_eq!(again.last().unwrap().status, 200);
    let listed = call("GET", "/api/platform/invoices")
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await;
    assert_eq!(listed.json()["invoices"].as_array().unwrap().len(), 1);
}

/// Reconcile checks the month of a build still going on (600 records, one step of 250 taken)
/// 250 of its records a request, going on from where the last stopped: 3 requests for the
/// month, each within 5,000 store operations, and nothing found in a build that is sound.
#[tokio::test(flavor = "multi_thread")]
async fn reconcile_checks_a_building_month_250_records_a_request() {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    set_standard(&county, "4-03-02-01", "1000").await;
    billable_month(&county, &platform, 600, 1992).await;
    let first_step = issue_invoice(&county, &platform, "2020-03").await;
    assert_eq!(first_step.status, 202, "{}", first_step.json());
    // Past every grace: the build's entry is checked, not skipped as in flight.
    county.advance_clock(subsidy_rules::IN_FLIGHT_GRACE_SECONDS + 1);
    let (mut after, mut records_after, mut pages) = (0, 0, Vec::new());
    // The journal's pages; the report's follow (the month's recount is another test's).
    loop {
        let page = call("POST", "/api/admin/reconcile")
            .bearer(&token_at(&county, Role::Admin, "op-admin"))
            .json(&json!({"after": after, "records_after": records_after}))
            .send(&county)
            .await;
        assert_eq!(page.status, 200, "{}", page.json());
        let body = page.json();
        assert_eq!(body["findings"], json!([]), "{body}");
        pages.push((
            body["next_records_after"].as_u64().unwrap(),
            page.calls.store_operations(),
        ));
        after = body["next_after"].as_u64().unwrap();
        records_after = body["next_records_after"].as_u64().unwrap();
        if body["next_report_month"].is_string() {
            break;
        }
    }
    eprintln!("reconcile pages (records cursor, store operations): {pages:?}");
    let cursors: Vec<u64> = pages.iter().map(|(cursor, _)| *cursor).collect();
    assert_eq!(cursors, [250, 500, 0], "{pages:?}");
    assert!(
        pages.iter().all(|(_, ops)| *ops <= 5_000),
        "a reconcile request over 5,000 store operations: {pages:?}"
    );
}

/// Scale: 2,000 claims, 1,500 of them rejected. The review queue, paged 100 at a time from its
/// first page, shows each of the 500 waiting exactly once and in order of submission; the
/// report counts 2,000 with exact amounts, and a recount of the month finds it right.
#[tokio::test(flavor = "multi_thread")]
async fn two_thousand_claims_page_report_and_recount_exactly() {
    let county = taishan();
    let ids = claims_of_many(&county, 2000).await;
    reject_all(&county, &ids[..1500]).await;
    let mut shown = Vec::new();
    let mut after = 0;
    loop {
        let page = call(
            "GET",
            &format!("/api/claims/queue?kind=review&limit=100&after={after}"),
        )
        .bearer(&reviewer())
        .send(&county)
        .await;
        let body = page.json();
        let claims = ids_of(&body, "claims");
        if claims.is_empty() {
            break;
        }
        shown.extend(claims);
        after = body["next_after"].as_u64().unwrap();
    }
    assert_eq!(shown, ids[1500..], "each waiting claim once, oldest first");

    let report = province_report(&county, "?from=2020-03&to=2020-03")
        .await
        .json();
    assert_eq!(report["total_count"], 2000);
    let status = |name: &str| {
        (report["by_status"].as_array().unwrap().iter())
            .find(|s| s["status"] == name)
            .map(|s| (s["count"].clone(), s["amount"].clone()))
            .unwrap()
    };
    assert_eq!(status("submitted"), (json!(500), json!("60000.00")));
    assert_eq!(status("rejected"), (json!(1500), json!("180000.00")));
    let mut recount;
    loop {
        recount = call("POST", "/api/admin/report-recount")
            .bearer(&admin())
            .json(&json!({"month": "2020-03"}))
            .send(&county)
            .await
            .json();
        if recount["done"] == true {
            break;
        }
    }
    assert_eq!(recount["claims_counted"], 2000);
    assert_eq!(recount["differences"], json!([]));
}
