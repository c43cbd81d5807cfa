//! Reliability: requests failed by a store error, or whose instance is killed, at every one of
//! their store operations leave consistent state (after a kill, once reconcile has run), and a
//! retry completes them with the result a clean run gives.

use crate::helpers::*;
use serde_json::{Value, json};
use subsidy_rules::{
    CountyCode, Course, IN_FLIGHT_GRACE_SECONDS, OccupationCode, PersonKey, ResidentId, SkillLevel,
    lease::LEASE_SECONDS, store_keys,
};

fn counter(county: &County, key: &str) -> i64 {
    county.kv().increment("default", key, 0).unwrap().unwrap()
}

fn person(id: &str) -> PersonKey {
    PersonKey::derive(PERSON_SECRET.as_bytes(), &ResidentId::parse(id).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_submission_failing_at_any_store_operation_is_consistent_and_a_retry_completes() {
    let mut k = 1;
    loop {
        let (county, platform) = reported(1).await;
        let submit = || {
            call("POST", "/api/claims")
                .bearer(&trainee(TRAINEE_A))
                .header("idempotency-key", "mp-fault-0000001")
                .json(&claim_body("wljnpx", "r0"))
        };
        county.kv().fail_at(k);
        let first = submit().send(&county).await;
        // A fault absorbed by a read-back still counts: only a k past the last call ends it.
        let reached = county.kv().fault_spent();
        county.kv().fail_at(-1);
        assert!(
            [201, 503].contains(&first.status),
            "k={k}: {}",
            first.status
        );

        // Whatever happened, nothing half-done shows and the limits match the claims.
        let mine = call("GET", "/api/claims")
            .bearer(&trainee(TRAINEE_A))
            .send(&county)
            .await
            .json();
        assert!(mine["claims"].as_array().unwrap().len() <= 1, "k={k}");
        limits_hold(&county).await;

        let retry = submit().send(&county).await;
        assert_eq!(
            retry.status,
            201,
            "k={k}: retry answered {} {}",
            retry.status,
            retry.json()
        );
        let mine = call("GET", "/api/claims")
            .bearer(&trainee(TRAINEE_A))
            .send(&county)
            .await
            .json();
        assert_eq!(
            mine["claims"].as_array().unwrap().len(),
            1,
            "k={k}: one claim after the retry"
        );
        let record = call("GET", "/api/platform/completions/r0")
            .signed(&platform.key_id, &platform.secret)
            .send(&county)
            .await
            .json();
        assert_eq!(
            record["claim"], mine["claims"][0]["id"],
            "k={k}: the record is marked claimed"
        );
        limits_hold(&county).await;
        if !reached {
            break;
        }
        k += 1;
    }
    assert!(
        k > 10,
        "a submission makes more than 10 store operations; got to {k}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invoice_failing_at_any_store_operation_is_all_or_nothing_and_a_retry_completes() {
    let code = CountyCode::parse("370902").unwrap();
    let occupation = OccupationCode::parse("4-03-02-01").unwrap();
    let mut k = 1;
    loop {
        let Scene {
            county,
            platform,
            trainees,
            ..
        } = scene(3).await;
        let issue = || {
            call("POST", "/api/platform/invoices")
                .json(&json!({"month": "2020-03"}))
                .signed(&platform.key_id, &platform.secret)
        };

        county.kv().fail_at(k);
        let first = issue().send(&county).await;
        // A fault absorbed by a read-back still counts: only a k past the last call ends it.
        let reached = county.kv().fault_spent();
        county.kv().fail_at(-1);
        assert!(
            [201, 503].contains(&first.status),
            "k={k}: {}",
            first.status
        );

        let check = |stage: &str, invoices: &Value, records: &Value| {
            let invoices = invoices["invoices"].as_array().unwrap();
            let billed: Vec<&Value> = records["records"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["invoice"].is_string())
                .collect();
            let lines: usize = invoices
                .iter()
                .map(|i| i["lines"].as_array().unwrap().len())
                .sum();
            assert_eq!(
                lines,
                billed.len(),
                "k={k} {stage}: every billed record is on a readable invoice"
            );
            for r in &billed {
                let on = invoices
                    .iter()
                    .find(|i| i["number"] == r["invoice"])
                    .unwrap_or_else(|| panic!("k={k} {stage}: record points at a missing invoice"));
                assert!(
                    on["lines"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|l| l["record_id"] == r["record_id"])
                );
            }
            for (i, t) in trainees.iter().enumerate() {
                let taken = counter(
                    &county,
                    &store_keys::course_billed(
                        &code,
                        &person(t),
                        &Course::of(&occupation, SkillLevel::Level5),
                    ),
                );
                let is_billed = billed.iter().any(|r| r["record_id"] == format!("r{i}"));
                assert_eq!(
                    taken,
                    i64::from(is_billed),
                    "k={k} {stage}: the course counter matches the record"
                );
            }
            billed.len()
        };
        let read = || async {
            let invoices = call("GET", "/api/platform/invoices")
                .signed(&platform.key_id, &platform.secret)
                .send(&county)
                .await
                .json();
            let records = call("GET", "/api/platform/completions?month=2020-03")
                .signed(&platform.key_id, &platform.secret)
                .send(&county)
                .await
                .json();
            (invoices, records)
        };
        let (invoices, records) = read().await;
        let after_first = check("after the failure", &invoices, &records);
        assert!(
            after_first == 0 || after_first == 3,
            "k={k}: all or nothing, got {after_first}"
        );

        let retry = issue().send(&county).await;
        assert!(
            [200, 201].contains(&retry.status),
            "k={k}: retry answered {}",
            retry.status
        );
        let (invoices, records) = read().await;
        assert_eq!(
            check("after the retry", &invoices, &records),
            3,
            "k={k}: every line billed once"
        );
        if !reached {
            break;
        }
        k += 1;
    }
    assert!(
        k > 10,
        "issuing makes more than 10 store operations; got to {k}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invoice_build_killed_at_any_store_call_is_repaired_by_the_next_build() {
    let mut k = 1;
    loop {
        let Scene {
            county, platform, ..
        } = scene(3).await;
        // Signed at the components' clock, which the test moves on.
        let signed = |call: Call| {
            call.signed_at(
                &platform.key_id,
                &platform.secret,
                county.now_unix(),
                &nonce(),
            )
        };
        let issue =
            || signed(call("POST", "/api/platform/invoices").json(&json!({"month": "2020-03"})));
        county.kv().kill_at(k);
        let first = issue().send(&county).await;
        let killed = county.kv().kill_spent();
        county.kv().kill_at(-1);
        if !killed {
            assert_eq!(first.status, 201, "{}", first.json());
            assert!(k > 10, "a build makes more than 10 store calls ({k})");
            break;
        }
        assert_eq!(first.status, 500, "k={k}");

        // After the grace, the next build repairs what the dead one left and bills each
        // course once: every billed record on a readable invoice, no line twice.
        county.advance_clock(IN_FLIGHT_GRACE_SECONDS + 1);
        let retry = issue().send(&county).await;
        assert!(
            [200, 201].contains(&retry.status),
            "k={k}: {}",
            retry.json()
        );
        let invoices = signed(call("GET", "/api/platform/invoices"))
            .send(&county)
            .await
            .json();
        let mut lines: Vec<String> = invoices["invoices"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|i| i["lines"].as_array().unwrap().clone())
            .map(|l| l["record_id"].as_str().unwrap().to_owned())
            .collect();
        lines.sort();
        assert_eq!(lines, ["r0", "r1", "r2"], "k={k}: {invoices}");
        let records = signed(call("GET", "/api/platform/completions?month=2020-03"))
            .send(&county)
            .await
            .json();
        for r in records["records"].as_array().unwrap() {
            let number = &r["invoice"];
            assert!(
                invoices["invoices"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|i| &i["number"] == number),
                "k={k}: {} points at {number}, which is not an invoice",
                r["record_id"]
            );
        }
        k += 1;
    }
}

/// A month of 260 records is built in two steps: 250, then 10. The second step is killed at
/// its 5th, 20th, 40th, 60th and 80th store call in turn (on Redis, its 5th, 40th, 80th, 120th
/// and 160th), each kill after the last one's
/// lease expired (so each finds the marks a dead step left). Reconcile then frees what the last
/// kill left, and the build goes on to one invoice of 260 lines: each record billed once, on
/// it, and each course counter at 1.
#[tokio::test(flavor = "multi_thread")]
async fn a_build_step_killed_again_and_again_leaves_each_record_billed_once_when_the_build_ends() {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    set_standard(&county, "4-03-02-01", "1000").await;
    let trainees: Vec<String> = (0..260).map(|i| trainee_id(1991, i)).collect();
    verify_key_groups(&county, &trainees).await;
    let records = (trainees.iter().enumerate())
        .map(|(i, t)| record(&format!("r{i}"), t, "4-03-02-01", "2020-03-15"))
        .collect();
    report(&county, &platform, records).await;
    let scene = Scene {
        county,
        platform,
        trainees,
        claims: Vec::new(),
        registered: true.into(),
    };
    let step =
        || scene.signed(call("POST", "/api/platform/invoices").json(&json!({"month": "2020-03"})));

    let first = scene.send(step()).await;
    assert_eq!(first.status, 202, "{}", first.json()["build"]);
    assert_eq!(first.json()["invoice"]["line_count"], 250);
    let number = first.json()["invoice"]["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut killed = 0;
    // On Redis, which refuses batch reads, the step reads key by key: twice the calls.
    let kills = match scene.county.kv().is_redis() {
        false => [5, 20, 40, 60, 80],
        true => [5, 40, 80, 120, 160],
    };
    for k in kills {
        scene.county.kv().kill_at(k);
        let reply = scene.send(step()).await;
        let spent = scene.county.kv().kill_spent();
        scene.county.kv().kill_at(-1);
        if !spent {
            break;
        }
        assert_eq!(reply.status, 500, "k={k}");
        killed += 1;
        scene.county.advance_clock(LEASE_SECONDS + 1);
    }
    assert_eq!(
        killed, 5,
        "the second step makes more store calls than {kills:?}"
    );
    // Building, it is refused approval.
    let approve = scene
        .send(scene.operator(
            call("POST", &format!("/api/platform/invoices/{number}/approve")),
            Role::Finance,
        ))
        .await;
    assert_eq!(
        (approve.status, approve.error_code().as_str()),
        (409, "invalid_transition")
    );

    let found = scene.reconciled(0).await;
    let dead_marks = (found.iter())
        .filter(|f| f["kind"] == "record_marked_by_dead_build_step")
        .count();
    assert!(dead_marks > 0, "the last kill left marks: {found:?}");
    scene.assert_consistent(0).await;
    let last = scene.send(step()).await;
    assert_eq!(last.status, 201, "{}", last.json()["held"]);
    let invoice = last.json()["invoice"].clone();
    assert_eq!(
        (
            &invoice["number"],
            &invoice["line_count"],
            &invoice["total"]
        ),
        (&json!(number), &json!(260), &json!("52000.00"))
    );
    let mut ids: Vec<String> = (invoice["lines"].as_array().unwrap().iter())
        .map(|l| l["record_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 260, "each record on the invoice once");
    scene.assert_consistent(0).await;

    // Cancelled, its lines are freed 250 a request, and the month bills them again.
    let cancel = || {
        scene.operator(
            call("POST", &format!("/api/platform/invoices/{number}/cancel"))
                .json(&json!({"reason": "标准有误"})),
            Role::Finance,
        )
    };
    let first_cancel = scene.send(cancel()).await;
    assert_eq!(
        (first_cancel.status, &first_cancel.json()["lines_freed"]),
        (202, &json!(250))
    );
    let second_cancel = scene.send(cancel()).await;
    assert_eq!(
        (second_cancel.status, &second_cancel.json()["lines_freed"]),
        (200, &json!(260))
    );
    scene.assert_consistent(0).await;
    // (Signed at the county's clock, which the kills moved on.)
    let rebuilt = loop {
        let reply = scene.send(step()).await;
        if reply.status != 202 {
            assert_eq!(reply.status, 201, "{}", reply.json()["held"]);
            break reply.json()["invoice"].clone();
        }
    };
    assert_ne!(rebuilt["number"], json!(number));
    assert_eq!(rebuilt["line_count"], 260);
    scene.assert_consistent(0).await;
}

/// What a kill test works on: a county whose platform wljnpx reported records r0.. of
/// `trainees` (2020-03, occupations 4-03-02-01..).
struct Scene {
    county: County,
    platform: Platform,
    trainees: Vec<String>,
    /// Claims made in the set-up, by trainee.
    claims: Vec<String>,
    /// Whether every trainee is in the registry, their uploads complete: then every record of
    /// theirs that passed has been offered to them.
    registered: std::cell::Cell<bool>,
}

impl Scene {
    fn trainee(&self, call: Call, i: usize) -> Call {
        call.bearer(&token_at(&self.county, Role::Trainee, &self.trainees[i]))
    }

    fn operator(&self, call: Call, role: Role) -> Call {
        let sub = match role {
            Role::Reviewer => "op-reviewer",
            Role::Finance => "op-finance",
            _ => "op-admin",
        };
        call.bearer(&token_at(&self.county, role, sub))
    }

    fn signed(&self, call: Call) -> Call {
        call.signed_at(
            &self.platform.key_id,
            &self.platform.secret,
            self.county.now_unix(),
            &nonce(),
        )
    }

    async fn send(&self, call: Call) -> Reply {
        call.send(&self.county).await
    }

    /// `POST /api/admin/reconcile` over the whole journal, then the report; every finding.
    async fn reconcile(&self, repair: bool) -> Vec<Value> {
        let mut findings = Vec::new();
        let (mut after, mut records_after, mut report_month) = (0, 0, Value::Null);
        loop {
            let body = json!({"repair": repair, "after": after, "records_after": records_after,
                "limit": 7, "report_month": report_month});
            let page = self
                .send(
                    self.operator(call("POST", "/api/admin/reconcile"), Role::Admin)
                        .json(&body),
                )
                .await;
            assert_eq!(page.status, 200, "{}", page.json());
            let page = page.json();
            findings.extend(page["findings"].as_array().unwrap().clone());
            after = page["next_after"].as_u64().unwrap();
            records_after = page["next_records_after"].as_u64().unwrap();
            report_month = page["next_report_month"].clone();
            if page["done"] == true {
                return findings;
            }
        }
    }

    /// After a kill: past every grace, one reconcile run repairs everything it finds, and a
    /// second finds nothing left.
    async fn reconciled(&self, k: usize) -> Vec<Value> {
        self.county.advance_clock(IN_FLIGHT_GRACE_SECONDS + 1);
        let found = self.reconcile(true).await;
        assert!(
            found.iter().all(|f| f["repaired"] == true),
            "k={k}: {found:?}"
        );
        let left = self.reconcile(false).await;
        assert!(left.is_empty(), "k={k}: left after one run: {left:?}");
        // The report's counters, which a kill may leave behind the claims: one recount with
        // repair sets them right, and a second finds nothing.
        for month in ["2020-03", "2020-04"] {
            self.recount_report(month, true).await;
            let left = self.recount_report(month, false).await;
            assert_eq!(left, json!([]), "k={k}: report of {month} after a recount");
        }
        found
    }

    /// A whole recount of a month's report, in steps of 3 claims; the differences found.
    async fn recount_report(&self, month: &str, repair: bool) -> Value {
        loop {
            let step = self
                .send(
                    self.operator(call("POST", "/api/admin/report-recount"), Role::Admin)
                        .json(&json!({"month": month, "repair": repair, "limit": 3})),
                )
                .await;
            assert_eq!(step.status, 200, "{}", step.json());
            if step.json()["done"] == true {
                return step.json()["differences"].clone();
            }
        }
    }

    /// What must hold whatever was killed, read through the API and the raw counters: the
    /// limits hold over each trainee's claims that count; each record's claim exists and counts;
    /// each billed record is a line of an invoice that exists; each course's billing counter
    /// equals its billed records.
    async fn assert_consistent(&self, k: usize) {
        let code = CountyCode::parse("370902").unwrap();
        let invoices = self
            .send(self.signed(call("GET", "/api/platform/invoices")))
            .await
            .json();
        let invoices = invoices["invoices"].as_array().unwrap().clone();
        let mut records = Vec::new();
        for month in ["2020-03", "2020-04"] {
            // Every page: a month may hold more records than one page.
            let mut after = 0;
            loop {
                let listed = self
                    .send(self.signed(call(
                        "GET",
                        &format!("/api/platform/completions?month={month}&after={after}&limit=100"),
                    )))
                    .await
                    .json();
                let page = listed["records"].as_array().unwrap().clone();
                if page.is_empty() {
                    break;
                }
                records.extend(page);
                after = listed["next_after"].as_u64().unwrap();
            }
        }
        for (i, t) in self.trainees.iter().enumerate() {
            let claims = self
                .send(self.trainee(call("GET", "/api/claims"), i))
                .await
                .json();
            let claims = claims["claims"].as_array().unwrap().clone();
            let counting: Vec<&Value> = claims
                .iter()
                .filter(|c| {
                    ["submitted", "approved", "paid"].contains(&c["status"].as_str().unwrap())
                })
                .collect();
            // The limits, over the trainee's whole history: at most 3 claims that count a
            // year, one a 职业 and level.
            assert!(counting.len() <= 3, "k={k}: {t}: {claims:?}");
            let theirs = records.iter().filter(|r| belongs_to(r, t));
            for r in theirs {
                let occupation = r["occupation"].as_str().unwrap();
                let holding = counting
                    .iter()
                    .filter(|c| c["occupation"] == occupation)
                    .count();
                assert!(
                    holding <= 1,
                    "k={k}: {t} holds {occupation} {holding} times"
                );
            }
        }
        for r in &records {
            if let Some(id) = r["claim"].as_str() {
                let claim = self
                    .send(self.operator(call("GET", &format!("/api/claims/{id}")), Role::Admin))
                    .await;
                assert_eq!(
                    claim.status, 200,
                    "k={k}: {} names claim {id}",
                    r["record_id"]
                );
                let status = claim.json()["status"].clone();
                assert!(
                    ["submitted", "approved", "paid"].contains(&status.as_str().unwrap()),
                    "k={k}: {} is held by a claim that is {status}",
                    r["record_id"]
                );
            }
            if let Some(number) = r["invoice"].as_str() {
                let invoice = invoices.iter().find(|i| i["number"] == number);
                let on_it = invoice.is_some_and(|i| {
                    (i["lines"].as_array().unwrap().iter())
                        .any(|l| l["record_id"] == r["record_id"])
                });
                assert!(
                    on_it,
                    "k={k}: {} is billed by {number}, which does not bill it",
                    r["record_id"]
                );
            }
        }
        self.assert_feeds_match(k, &records, &invoices).await;
        for t in &self.trainees {
            for occupation in records
                .iter()
                .filter(|r| belongs_to(r, t))
                .map(|r| r["occupation"].as_str().unwrap().to_owned())
                .collect::<std::collections::BTreeSet<_>>()
            {
                let billed = records
                    .iter()
                    .filter(|r| r["occupation"] == occupation.as_str() && r["invoice"].is_string())
                    .filter(|r| belongs_to(r, t))
                    .count();
                let key = store_keys::course_billed(
                    &code,
                    &person(t),
                    &Course::of(
                        &OccupationCode::parse(&occupation).unwrap(),
                        SkillLevel::Level5,
                    ),
                );
                assert_eq!(
                    counter(&self.county, &key),
                    billed as i64,
                    "k={k}: {t} {occupation} billed"
                );
            }
        }
    }
}

impl Scene {
    /// A feed's events: a change killed midway may hold a page for the feed's settling time.
    async fn feed(&self, path: &str, authorize: impl Fn(Call) -> Call) -> Vec<Value> {
        feed_events_settled(&self.county, path, authorize, true).await
    }

    /// The event feeds against what they report on: each claim's events are its transitions,
    /// in order, one each; each record of a trainee was reported to them once, and offered at
    /// most once and only if it passed (each that passed, once the set-up registered them);
    /// each invoice's
    /// events are its transitions but into building, one each, and no invoice that does not
    /// exist has any. An event without its change, or a change without its event, fails.
    async fn assert_feeds_match(&self, k: usize, records: &[Value], invoices: &[Value]) {
        for (i, t) in self.trainees.iter().enumerate() {
            let token = token_at(&self.county, Role::Trainee, t);
            let events = self.feed("/api/claims/events", |c| c.bearer(&token)).await;
            let mut by_claim: std::collections::BTreeMap<String, Vec<String>> = Default::default();
            let (mut reported, mut offered) = (Vec::new(), Vec::new());
            for e in &events {
                let kind = e["type"].as_str().unwrap();
                if kind == "completion.reported" {
                    reported.push(e["object"]["record_id"].as_str().unwrap().to_owned());
                } else if kind == "offer.made" {
                    offered.push(e["object"]["record_id"].as_str().unwrap().to_owned());
                } else if kind.starts_with("claim.") && kind != "claim.updated" {
                    let id = e["object"]["id"].as_str().unwrap().to_owned();
                    by_claim.entry(id).or_default().push(kind.to_owned());
                }
            }
            let claims = self
                .send(self.trainee(call("GET", "/api/claims"), i))
                .await
                .json();
            let claims = claims["claims"].as_array().unwrap().clone();
            let ids: Vec<String> = (claims.iter())
                .map(|c| c["id"].as_str().unwrap().to_owned())
                .collect();
            for (id, kinds) in &by_claim {
                assert!(
                    ids.contains(id),
                    "k={k}: {t}: events of claim {id}, which does not exist"
                );
                let claim = self
                    .send(self.operator(call("GET", &format!("/api/claims/{id}")), Role::Admin))
                    .await
                    .json();
                let transitions: Vec<String> = (claim["transitions"].as_array().unwrap().iter())
                    .map(|tr| format!("claim.{}", tr["to"].as_str().unwrap()))
                    .collect();
                assert_eq!(kinds, &transitions, "k={k}: {t}: claim {id}'s events");
            }
            for id in &ids {
                assert!(
                    by_claim.contains_key(id),
                    "k={k}: {t}: claim {id} has no event"
                );
            }
            let mut theirs: Vec<String> = (records.iter())
                .filter(|r| belongs_to(r, t))
                .map(|r| r["record_id"].as_str().unwrap().to_owned())
                .collect();
            theirs.sort();
            reported.sort();
            assert_eq!(reported, theirs, "k={k}: {t}: records reported to them");
            let mut passed: Vec<String> = (records.iter())
                .filter(|r| belongs_to(r, t) && r["assessment"]["passed"] == true)
                .map(|r| r["record_id"].as_str().unwrap().to_owned())
                .collect();
            passed.sort();
            offered.sort();
            let once = offered.windows(2).all(|w| w[0] != w[1]);
            assert!(once, "k={k}: {t}: an offer made twice: {offered:?}");
            let unpassed: Vec<&String> = (offered.iter()).filter(|o| !passed.contains(o)).collect();
            assert!(unpassed.is_empty(), "k={k}: {t}: offers of {unpassed:?}");
            if self.registered.get() {
                assert_eq!(offered, passed, "k={k}: {t}: records offered to them");
            }
        }
        let signed = |c: Call| self.signed(c);
        let events = self.feed("/api/platform/events", signed).await;
        let mut by_invoice: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for e in &events {
            let kind = e["type"].as_str().unwrap();
            if kind.starts_with("invoice.") && !kind.starts_with("invoice.recover") {
                let number = e["object"]["number"].as_str().unwrap().to_owned();
                by_invoice.entry(number).or_default().push(kind.to_owned());
            }
        }
        for invoice in invoices {
            let number = invoice["number"].as_str().unwrap();
            let transitions: Vec<String> = (invoice["transitions"].as_array().unwrap().iter())
                .filter(|tr| tr["to"] != "building")
                .map(|tr| format!("invoice.{}", tr["to"].as_str().unwrap()))
                .collect();
            let kinds = by_invoice.remove(number).unwrap_or_default();
            assert_eq!(kinds, transitions, "k={k}: invoice {number}'s events");
        }
        assert!(
            by_invoice.is_empty(),
            "k={k}: events of invoices that do not exist: {by_invoice:?}"
        );
    }
}

/// Whether a record (its resident ID shown masked: the last four kept) is the trainee's.
fn belongs_to(record: &Value, trainee: &str) -> bool {
    let shown = record["trainee"]["resident_id"].as_str().unwrap();
    shown.ends_with(&trainee[trainee.len() - 4..])
}

/// A county where platform wljnpx reported, for each of `n` trainees, one passed course
/// (record r{i}, occupation 4-03-02-01, 2020-03-15), with a local standard and the trainees'
/// key group verified (the registry uploaded after the report: its upload made the offers).
async fn scene(n: usize) -> Scene {
    let scene = unregistered_scene(n).await;
    for t in &scene.trainees {
        verify_key_group(&scene.county, t).await;
    }
    scene.registered.set(true);
    scene
}

/// `scene`, the trainees not yet in the registry.
async fn unregistered_scene(n: usize) -> Scene {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    set_standard(&county, "4-03-02-01", "1000").await;
    let trainees: Vec<String> = (1..=n)
        .map(|i| resident_id(&format!("3709021990030700{i}")))
        .collect();
    let records = (trainees.iter().enumerate())
        .map(|(i, t)| record(&format!("r{i}"), t, "4-03-02-01", "2020-03-15"))
        .collect();
    report(&county, &platform, records).await;
    Scene {
        county,
        platform,
        trainees,
        claims: Vec::new(),
        registered: false.into(),
    }
}

/// Runs `requests` on a fresh `setup` with the instance killed at its k-th store call, for
/// k = 1, 2, … until a run completes unkilled. After each kill: the killed request answered a
/// bare 500, one reconcile run repairs what it left, everything is consistent, and the
/// requests sent again answer what `check` expects of a clean run (and leave it consistent).
/// Returns the number of store calls of a clean run.
async fn killed_at_every_call(
    setup: impl AsyncFn() -> Scene,
    requests: impl AsyncFn(&Scene) -> Vec<Reply>,
    check: impl AsyncFn(&Scene, &[Reply], usize),
) -> usize {
    let mut k = 1;
    loop {
        let scene = setup().await;
        scene.county.kv().kill_at(k as i64);
        let replies = requests(&scene).await;
        let killed = scene.county.kv().kill_spent();
        scene.county.kv().kill_at(-1);
        if !killed {
            check(&scene, &replies, k).await;
            scene.assert_consistent(k).await;
            return k - 1;
        }
        assert!(
            replies.iter().any(|r| r.status == 500),
            "k={k}: a request was killed: {:?}",
            replies.iter().map(|r| r.status).collect::<Vec<_>>()
        );
        scene.reconciled(k).await;
        scene.assert_consistent(k).await;
        let retried = requests(&scene).await;
        check(&scene, &retried, k).await;
        scene.assert_consistent(k).await;
        k += 1;
    }
}

/// The requests in order, stopping after one that failed (a killed instance answers 500).
async fn in_order(scene: &Scene, calls: Vec<Call>) -> Vec<Reply> {
    let mut replies = Vec::new();
    for call in calls {
        let reply = scene.send(call).await;
        let failed = reply.status >= 500;
        replies.push(reply);
        if failed {
            break;
        }
    }
    replies
}

/// The scene with a claim of each trainee from their record.
async fn with_claims(mut scene: Scene) -> Scene {
    for i in 0..scene.trainees.len() {
        let body = claim_body("wljnpx", &format!("r{i}"));
        let reply = scene
            .send(scene.trainee(call("POST", "/api/claims"), i).json(&body))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.json());
        scene
            .claims
            .push(reply.json()["claim"]["id"].as_str().unwrap().to_owned());
    }
    scene
}

fn claim_call(scene: &Scene, id: &str, action: &str) -> Call {
    let path = format!("/api/claims/{id}/{action}");
    match action {
        "withdraw" => scene.trainee(call("POST", &path), 0),
        "pay" => scene
            .operator(call("POST", &path), Role::Finance)
            .json(&json!({"reference": "SSC-2020-0401-1", "paid_on": "2020-04-01"})),
        "reject" => scene
            .operator(call("POST", &path), Role::Reviewer)
            .json(&json!({"reason": "材料不全"})),
        _ => scene.operator(call("POST", &path), Role::Reviewer),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_submission_killed_at_any_store_call_is_repaired_by_reconcile_and_its_retry_completes()
 {
    let calls = killed_at_every_call(
        async || scene(1).await,
        async |s: &Scene| {
            let submit = s
                .trainee(call("POST", "/api/claims"), 0)
                .header("idempotency-key", "mp-killed-000001")
                .json(&claim_body("wljnpx", "r0"));
            vec![s.send(submit).await]
        },
        async |s: &Scene, replies: &[Reply], k: usize| {
            let reply = &replies[0];
            assert_eq!(reply.status, 201, "k={k}: {}", reply.json());
            let claims = s
                .send(s.trainee(call("GET", "/api/claims"), 0))
                .await
                .json();
            let claims = claims["claims"].as_array().unwrap();
            assert_eq!(claims.len(), 1, "k={k}: one claim: {claims:?}");
            assert_eq!(reply.json()["claim"]["id"], claims[0]["id"], "k={k}");
            assert_eq!(claims[0]["amount"], "120.00", "k={k}");
            assert_eq!(claims[0]["status"], "submitted", "k={k}");
        },
    )
    .await;
    assert!(
        calls > 10,
        "a submission makes more than 10 store calls ({calls})"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn withdrawal_rejection_approval_and_payment_killed_at_any_store_call_are_repaired_and_retried()
 {
    for action in ["withdraw", "reject", "approve"] {
        let status = match action {
            "withdraw" => "withdrawn",
            "reject" => "rejected",
            _ => "approved",
        };
        killed_at_every_call(
            async || with_claims(scene(1).await).await,
            async |s: &Scene| in_order(s, vec![claim_call(s, &s.claims[0], action)]).await,
            async |s: &Scene, replies: &[Reply], k: usize| {
                assert_eq!(
                    replies[0].status,
                    200,
                    "k={k} {action}: {}",
                    replies[0].json()
                );
                let claim = &claims_of_scene(s).await[0];
                assert_eq!(claim["status"], status, "k={k}");
                assert_eq!(claim["transitions"].as_array().unwrap().len(), 2, "k={k}");
                let record = s
                    .send(s.signed(call("GET", "/api/platform/completions/r0")))
                    .await
                    .json();
                let held = status == "approved";
                assert_eq!(
                    record["claim"].is_string(),
                    held,
                    "k={k} {action}: {record}"
                );
            },
        )
        .await;
    }
    // Payment: approved, then paid; a retry pays nothing twice.
    killed_at_every_call(
        async || {
            let s = with_claims(scene(1).await).await;
            assert_eq!(
                s.send(claim_call(&s, &s.claims[0], "approve")).await.status,
                200
            );
            publish_notice_ended(&s.county).await;
            s
        },
        async |s: &Scene| in_order(s, vec![claim_call(s, &s.claims[0], "pay")]).await,
        async |s: &Scene, replies: &[Reply], k: usize| {
            assert_eq!(replies[0].status, 200, "k={k}: {}", replies[0].json());
            let claim = &claims_of_scene(s).await[0];
            assert_eq!(claim["status"], "paid", "k={k}");
            assert_eq!(claim["payment"]["reference"], "SSC-2020-0401-1");
            assert_eq!(claim["transitions"].as_array().unwrap().len(), 3, "k={k}");
        },
    )
    .await;
}

async fn claims_of_scene(s: &Scene) -> Vec<Value> {
    let claims = s
        .send(s.trainee(call("GET", "/api/claims"), 0))
        .await
        .json();
    claims["claims"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_approval_killed_at_any_store_call_is_completed_by_its_retry() {
    killed_at_every_call(
        async || with_claims(scene(2).await).await,
        async |s: &Scene| {
            let bulk = s
                .operator(call("POST", "/api/claims/bulk-approve"), Role::Reviewer)
                .json(&json!({ "claim_ids": s.claims }));
            in_order(s, vec![bulk]).await
        },
        async |s: &Scene, replies: &[Reply], k: usize| {
            let body = replies[0].json();
            assert_eq!(replies[0].status, 200, "k={k}: {body}");
            let results = body["results"].as_array().unwrap();
            assert_eq!(results.len(), 2, "k={k}: {body}");
            assert!(
                results.iter().all(|r| r["approved"] == true),
                "k={k}: {body}"
            );
            for i in 0..2 {
                let claims = s
                    .send(s.trainee(call("GET", "/api/claims"), i))
                    .await
                    .json();
                let claim = &claims["claims"][0];
                assert_eq!(claim["status"], "approved", "k={k}");
                assert_eq!(claim["transitions"].as_array().unwrap().len(), 2, "k={k}");
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_upload_killed_at_any_store_call_makes_each_offer_once_when_sent_again() {
    let upload = |s: &Scene| {
        let entries: Vec<Value> = s.trainees.iter().map(|t| migrant(t)).collect();
        s.operator(call("POST", "/api/eligibility/registry"), Role::Admin)
            .json(&json!({ "entries": entries }))
    };
    let calls = killed_at_every_call(
        async || unregistered_scene(2).await,
        async |s: &Scene| in_order(s, vec![upload(s)]).await,
        async |s: &Scene, replies: &[Reply], k: usize| {
            assert_eq!(replies[0].status, 200, "k={k}: {}", replies[0].json());
            assert_eq!(replies[0].json()["offers_done"], true, "k={k}");
            // Sent again in full, the batch leaves every record offered, each once.
            s.registered.set(true);
            s.assert_consistent(k).await;
        },
    )
    .await;
    assert!(
        calls > 10,
        "the upload was killed at each of its {calls} store calls"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_completion_batch_with_corrections_and_a_void_killed_at_any_store_call_is_completed_by_its_retry()
 {
    let batch = |s: &Scene| {
        let mut moved = record("r0", &s.trainees[0], "4-03-02-01", "2020-04-02");
        moved["study_hours"] = json!(16);
        let mut corrected = record("r1", &s.trainees[1], "4-03-02-01", "2020-03-15");
        corrected["study_hours"] = json!(12);
        let new = record("r3", &s.trainees[0], "4-03-02-02", "2020-03-20");
        let unchanged = record("r2", &s.trainees[2], "4-03-02-01", "2020-03-15");
        s.signed(
            call("POST", "/api/platform/completions")
                .json(&json!({ "records": [moved, corrected, new, unchanged] })),
        )
    };
    killed_at_every_call(
        async || scene(3).await,
        async |s: &Scene| {
            let void = s.signed(
                call("POST", "/api/platform/completions/r2/void")
                    .json(&json!({"reason": "重复上报"})),
            );
            let mut replies = in_order(s, vec![batch(s)]).await;
            if replies[0].status < 500 {
                replies.push(s.send(void).await);
            }
            replies
        },
        async |s: &Scene, replies: &[Reply], k: usize| {
            assert_eq!(replies.len(), 2, "k={k}");
            let outcomes = outcomes(&replies[0]);
            assert_eq!(outcomes.len(), 4, "k={k}");
            assert!(
                outcomes
                    .iter()
                    .all(|o| ["accepted", "corrected", "unchanged"].contains(&o.as_str())),
                "k={k}: {outcomes:?}"
            );
            // The void of a void record (a retry) is refused as it stands, with nothing changed.
            assert!(
                [200, 409].contains(&replies[1].status),
                "k={k}: {}",
                replies[1].json()
            );
            let month = |m: &'static str| async move {
                let listed = s
                    .send(s.signed(call("GET", &format!("/api/platform/completions?month={m}"))))
                    .await
                    .json();
                let mut ids: Vec<(String, String, String)> = listed["records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        (
                            r["record_id"].as_str().unwrap().to_owned(),
                            r["study_hours"].as_str().unwrap().to_owned(),
                            r["state"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect();
                ids.sort();
                ids
            };
            let s3 = |id: &str, h: &str, st: &str| (id.to_owned(), h.to_owned(), st.to_owned());
            assert_eq!(
                month("2020-03").await,
                [
                    s3("r1", "12", "reported"),
                    s3("r2", "24", "void"),
                    s3("r3", "24", "reported")
                ],
                "k={k}"
            );
            assert_eq!(
                month("2020-04").await,
                [s3("r0", "16", "reported")],
                "k={k}"
            );
            // The trainee sees the moved record and the new one.
            let theirs = s
                .send(s.trainee(call("GET", "/api/claims/completions"), 0))
                .await
                .json();
            let mut ids: Vec<&str> = theirs["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["record_id"].as_str().unwrap())
                .collect();
            ids.sort();
            assert_eq!(ids, ["r0", "r3"], "k={k}");
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invoice_build_and_its_approval_and_payment_killed_at_any_store_call_are_repaired_by_reconcile()
 {
    let issue = |s: &Scene| {
        s.signed(call("POST", "/api/platform/invoices").json(&json!({"month": "2020-03"})))
    };
    let finance = |s: &Scene, number: &str, action: &str| {
        let path = format!("/api/platform/invoices/{number}/{action}");
        match action {
            // Another finance officer pays: the approver may not.
            "pay" => call("POST", &path)
                .bearer(&token_at(&s.county, Role::Finance, "op-finance-2"))
                .json(&json!({"reference": "BANK-2020-0415-001", "paid_on": "2020-04-15"})),
            _ => s.operator(call("POST", &path), Role::Finance),
        }
    };
    let invoices = async |s: &Scene| {
        let listed = s
            .send(s.signed(call("GET", "/api/platform/invoices")))
            .await
            .json();
        listed["invoices"].as_array().unwrap().clone()
    };
    killed_at_every_call(
        async || scene(3).await,
        async |s: &Scene| {
            let mut replies = in_order(s, vec![issue(s)]).await;
            if replies[0].status >= 500 {
                return replies;
            }
            // Finance finds the invoice in the list (a read the kill may hit too).
            let listed = s
                .send(s.signed(call("GET", "/api/platform/invoices")))
                .await;
            if listed.status >= 500 {
                replies.push(listed);
                return replies;
            }
            let invoice = listed.json()["invoices"][0].clone();
            let number = invoice["number"].as_str().unwrap();
            // A retry goes on from the step whose answer was lost: what is done stays done.
            let steps = match invoice["state"].as_str().unwrap() {
                "issued" => vec![finance(s, number, "approve"), finance(s, number, "pay")],
                _ => vec![finance(s, number, "pay")],
            };
            replies.extend(in_order(s, steps).await);
            replies
        },
        async |s: &Scene, replies: &[Reply], k: usize| {
            assert!(
                [200, 201].contains(&replies[0].status),
                "k={k}: {}",
                replies[0].json()
            );
            assert!((2..=3).contains(&replies.len()), "k={k}");
            assert!(
                replies[1..].iter().all(|r| r.status == 200),
                "k={k}: {:?}",
                replies
                    .iter()
                    .map(|r| (r.status, r.json()))
                    .collect::<Vec<_>>()
            );
            let invoices = invoices(s).await;
            let mut lines: Vec<String> = invoices
                .iter()
                .flat_map(|i| i["lines"].as_array().unwrap().clone())
                .map(|l| l["record_id"].as_str().unwrap().to_owned())
                .collect();
            lines.sort();
            assert_eq!(
                lines,
                ["r0", "r1", "r2"],
                "k={k}: each course billed once: {invoices:?}"
            );
            assert_eq!(invoices.len(), 1, "k={k}");
            assert_eq!(invoices[0]["state"], "paid", "k={k}");
            assert_eq!(
                invoices[0]["transitions"].as_array().unwrap().len(),
                3,
                "k={k}"
            );
        },
    )
    .await;
}
