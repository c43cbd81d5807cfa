//! Replicas, as SpinKube runs a county on Redis: three host instances, each serving HTTP on a
//! port of its own, over one store. Under Redis semantics (`COUNTY_TEST_REDIS`) each replica
//! has its own connections to the same database; under SQLite semantics they share one store,
//! as instances on one machine share its file. Set-up goes through the first replica; every
//! race is sent over HTTP, spread over all three.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;

use county_host::Host;
use serde_json::{Value, json};

use crate::helpers::*;

struct Replicas {
    /// Each replica's host; the first is used in-process for set-up.
    counties: Vec<County>,
    addresses: Vec<SocketAddr>,
    servers: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Drop for Replicas {
    fn drop(&mut self) {
        for server in &self.servers {
            server.abort();
        }
    }
}

impl Replicas {
    async fn start(code: &str, count: usize) -> Replicas {
        let store = fresh_store();
        let mut counties = Vec::new();
        let mut addresses = Vec::new();
        let mut servers = Vec::new();
        for _ in 0..count {
            let host =
                Arc::new(Host::new(app(), store.replica().unwrap(), &variables(code)).unwrap());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addresses.push(listener.local_addr().unwrap());
            servers.push(tokio::spawn(county_host::serve::run(host, listener)));
            counties.push(County {
                host: Host::new(app(), store.replica().unwrap(), &variables(code)).unwrap(),
            });
        }
        Replicas {
            counties,
            addresses,
            servers,
        }
    }

    /// Three replicas of 泰山区 whose platform wljnpx reported `n` courses of TRAINEE_A.
    async fn with_courses(n: usize) -> (Replicas, Platform) {
        let replicas = Replicas::start("370902", 3).await;
        let platform = credential(replicas.first(), "wljnpx").await;
        report(replicas.first(), &platform, distinct_courses(TRAINEE_A, n)).await;
        (replicas, platform)
    }

    fn first(&self) -> &County {
        &self.counties[0]
    }

    /// Sends every call at once, the i-th to replica i mod 3; the replies in order.
    async fn race(&self, calls: Vec<Call>) -> Vec<Reply> {
        let tasks: Vec<_> = calls
            .into_iter()
            .enumerate()
            .map(|(i, call)| {
                let address = self.addresses[i % self.addresses.len()];
                tokio::spawn(call.send_http(address))
            })
            .collect();
        let mut replies = Vec::new();
        for task in tasks {
            replies.push(task.await.unwrap());
        }
        replies
    }
}

fn statuses(replies: &[Reply]) -> Vec<u16> {
    replies.iter().map(|r| r.status).collect()
}

/// TRAINEE_A's claims as the trainee sees them, by id.
async fn claims_of_a(county: &County) -> BTreeMap<String, Value> {
    claims_of(county, TRAINEE_A)
        .await
        .into_iter()
        .map(|c| (c["id"].as_str().unwrap().to_owned(), c))
        .collect()
}

fn submission(record_id: &str, key: Option<&str>) -> Call {
    let call = call("POST", "/api/claims")
        .bearer(&trainee(TRAINEE_A))
        .json(&claim_body("wljnpx", record_id));
    match key {
        Some(key) => call.header("idempotency-key", key),
        None => call,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_journey_spread_over_three_replicas_ends_paid_and_invoiced() {
    let replicas = Replicas::start("370902", 3).await;
    let platform = credential(replicas.first(), "wljnpx").await;
    set_standard(replicas.first(), "4-03-02-01", "1000").await;
    let at = |i: usize| replicas.addresses[i % 3];
    let reported = call("POST", "/api/platform/completions")
        .json(&json!({"records": [record("r0", TRAINEE_A, "4-03-02-01", "2020-03-15")]}))
        .signed(&platform.key_id, &platform.secret)
        .send_http(at(0))
        .await;
    assert_eq!(reported.status, 200, "{}", reported.json());
    let submitted = submission("r0", Some("mp-journey-0001"))
        .send_http(at(1))
        .await;
    assert_eq!(submitted.status, 201, "{}", submitted.json());
    let id = submitted.json()["claim"]["id"].as_str().unwrap().to_owned();
    let replayed = submission("r0", Some("mp-journey-0001"))
        .send_http(at(2))
        .await;
    assert_eq!(
        (replayed.status, replayed.json()),
        (201, submitted.json()),
        "a replay on another replica is the first answer"
    );
    let approved = call("POST", &format!("/api/claims/{id}/approve"))
        .bearer(&reviewer())
        .json(&json!({"note": "村委会证明核实"}))
        .send_http(at(0))
        .await;
    assert_eq!(approved.status, 200, "{}", approved.json());
    publish_notice_ended(replicas.first()).await;
    let paid = call("POST", &format!("/api/claims/{id}/pay"))
        .bearer(&finance())
        .json(&json!({"reference": "SB-2020-04-0001", "paid_on": "2020-04-20"}))
        .send_http(at(1))
        .await;
    assert_eq!(paid.status, 200, "{}", paid.json());
    assert_eq!(paid.json()["status"], "paid");
    let invoice = call("POST", "/api/platform/invoices")
        .json(&json!({"month": "2020-03"}))
        .signed(&platform.key_id, &platform.secret)
        .send_http(at(2))
        .await;
    assert_eq!(invoice.status, 201, "{}", invoice.json());
    assert_eq!(invoice.json()["invoice"]["total"], "200.00");
    let number = invoice.json()["invoice"]["number"]
        .as_str()
        .unwrap()
        .to_owned();
    // Two finance officers: the approver does not pay.
    for (i, (step, officer)) in [("approve", finance()), ("pay", second_finance())]
        .iter()
        .enumerate()
    {
        let mut request =
            call("POST", &format!("/api/platform/invoices/{number}/{step}")).bearer(officer);
        if *step == "pay" {
            request = request.json(&json!({"reference": "BANK-1", "paid_on": "2020-04-15"}));
        }
        let reply = request.send_http(at(i)).await;
        assert_eq!(reply.status, 200, "{step}: {}", reply.json());
    }
    let claims = claims_of_a(replicas.first()).await;
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[&id]["status"], "paid");
    limits_hold(replicas.first()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_submissions_over_three_replicas_make_three_claims_and_every_answer_is_true() {
    let (replicas, _) = Replicas::with_courses(8).await;
    // Eight records, each sent eight times.
    let calls = (0..64)
        .map(|i| submission(&format!("r{}", i % 8), None))
        .collect();
    let replies = replicas.race(calls).await;
    let created: BTreeSet<String> = replies
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| r.json()["claim"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        replies.iter().all(|r| [201, 409, 422].contains(&r.status)),
        "{:?}",
        statuses(&replies)
    );
    let stored = claims_of_a(replicas.first()).await;
    // A 201 means a claim exists; an error means none was made for it.
    assert_eq!(
        stored.keys().cloned().collect::<BTreeSet<_>>(),
        created,
        "{:?}",
        statuses(&replies)
    );
    assert_eq!(created.len(), 3, "{:?}", statuses(&replies));
    let courses: BTreeSet<_> = stored
        .values()
        .map(|c| (c["occupation"].clone().to_string(), c["level"].to_string()))
        .collect();
    assert_eq!(courses.len(), 3, "distinct occupation + level");
    limits_hold(replicas.first()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_retries_with_one_key_over_three_replicas_make_one_claim() {
    let (replicas, _) = Replicas::with_courses(1).await;
    let calls = (0..32)
        .map(|_| submission("r0", Some("mp-same-key-000002")))
        .collect();
    let replies = replicas.race(calls).await;
    assert_eq!(claims_of_a(replicas.first()).await.len(), 1);
    assert_one_claim_for_one_key(&replies);
    limits_hold(replicas.first()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_invoice_builds_at_once_on_two_replicas_bill_each_course_once() {
    let replicas = Replicas::start("370902", 3).await;
    let platform = credential(replicas.first(), "wljnpx").await;
    let trainees: Vec<String> = (0..6)
        .map(|i| resident_id(&format!("3709021990030{}123", i + 1)))
        .collect();
    for id in &trainees {
        verify_key_group(replicas.first(), id).await;
    }
    set_standard(replicas.first(), "4-03-02-01", "1000").await;
    let records = (0..6)
        .map(|i| record(&format!("r{i}"), &trainees[i], "4-03-02-01", "2020-03-15"))
        .collect();
    report(replicas.first(), &platform, records).await;
    let build = || {
        call("POST", "/api/platform/invoices")
            .json(&json!({"month": "2020-03"}))
            .signed(&platform.key_id, &platform.secret)
    };
    let replies = replicas.race(vec![build(), build()]).await;
    let mut billed = Vec::new();
    for reply in &replies {
        assert!([200, 201].contains(&reply.status), "{}", reply.json());
        if let Some(lines) = reply.json()["invoice"]["lines"].as_array() {
            billed.extend(
                lines
                    .iter()
                    .map(|l| l["record_id"].as_str().unwrap().to_owned()),
            );
        }
    }
    billed.sort();
    let expected: Vec<String> = (0..6).map(|i| format!("r{i}")).collect();
    assert_eq!(billed, expected, "every course billed, none twice");
    let listed = call("GET", "/api/platform/invoices")
        .signed(&platform.key_id, &platform.secret)
        .send(replicas.first())
        .await
        .json();
    let lines: usize = listed["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["lines"].as_array().unwrap().len())
        .sum();
    assert_eq!(lines, 6, "{listed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_counties_sharing_one_store_see_nothing_of_each_other() {
    let store = fresh_store();
    let taishan = County {
        host: Host::new(app(), store.replica().unwrap(), &variables("370902")).unwrap(),
    };
    let daiyue = County {
        host: Host::new(app(), store.replica().unwrap(), &variables("370911")).unwrap(),
    };
    set_standard(&taishan, "4-03-02-01", "1200").await;
    let theirs = call("GET", "/api/policy/standards")
        .send(&daiyue)
        .await
        .json();
    assert_eq!(theirs["standards"], json!([]), "{theirs}");
    let platform = credential(&taishan, "wljnpx").await;
    let other_key = call("POST", "/api/platform/completions")
        .json(&json!({"records": [record("r0", TRAINEE_A, "4-03-02-01", "2020-03-15")]}))
        .signed(&platform.key_id, &platform.secret)
        .send(&daiyue)
        .await;
    assert_eq!(
        (other_key.status, other_key.error_code().as_str()),
        (401, "key_unknown"),
        "a key of 泰山区 is unknown to 岱岳区"
    );
    for key in store.keys("default").unwrap() {
        assert!(
            key.starts_with("370902:") || key.starts_with("370911:"),
            "{key}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claims_racing_corrections_over_three_replicas_never_pay_for_hours_the_record_lost() {
    let (replicas, platform) = Replicas::with_courses(1).await;
    // Sixteen submissions against sixteen corrections of the record: 24 hours ↔ 12 hours.
    let calls = (0..32)
        .map(|i| {
            if i % 2 == 0 {
                submission("r0", None)
            } else {
                let mut corrected = record("r0", TRAINEE_A, "4-03-02-01", "2020-03-15");
                corrected["study_hours"] = json!(if i % 4 == 1 { 12 } else { 24 });
                call("POST", "/api/platform/completions")
                    .json(&json!({ "records": [corrected] }))
                    .signed(&platform.key_id, &platform.secret)
            }
        })
        .collect();
    let replies = replicas.race(calls).await;
    assert!(
        replies.iter().all(|r| r.status < 500),
        "{:?}",
        statuses(&replies)
    );
    let stored = claims_of_a(replicas.first()).await;
    assert!(stored.len() <= 1, "{stored:?}");
    let record = call("GET", "/api/platform/completions/r0")
        .signed(&platform.key_id, &platform.secret)
        .send(replicas.first())
        .await
        .json();
    if let Some((id, claim)) = stored.iter().next() {
        assert_eq!(&record["claim"], id.as_str(), "{record}");
        assert_eq!(
            claim["study_hours"], record["study_hours"],
            "the claim is for the hours the record holds: {record}"
        );
        let hours: i64 = record["study_hours"].as_str().unwrap().parse().unwrap();
        assert_eq!(claim["amount"], format!("{}.00", hours * 5));
    }
    limits_hold(replicas.first()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claims_racing_voids_over_three_replicas_never_leave_a_claim_on_a_void_record() {
    let (replicas, platform) = Replicas::with_courses(1).await;
    // Sixteen submissions against sixteen voids of the record.
    let calls = (0..32)
        .map(|i| {
            if i % 2 == 0 {
                submission("r0", None)
            } else {
                call("POST", "/api/platform/completions/r0/void")
                    .json(&json!({"reason": "重复上报"}))
                    .signed(&platform.key_id, &platform.secret)
            }
        })
        .collect();
    let replies = replicas.race(calls).await;
    for (i, reply) in replies.iter().enumerate() {
        let allowed: &[u16] = if i % 2 == 0 {
            &[201, 409, 422]
        } else {
            &[200, 409]
        };
        assert!(allowed.contains(&reply.status), "{i}: {}", reply.json());
    }
    let stored = claims_of_a(replicas.first()).await;
    let record = call("GET", "/api/platform/completions/r0")
        .signed(&platform.key_id, &platform.secret)
        .send(replicas.first())
        .await
        .json();
    match stored.keys().next() {
        // The claim won: the record carries it, and no void went through.
        Some(id) => {
            assert_eq!(stored.len(), 1);
            assert_eq!(
                (&record["claim"], &record["state"]),
                (&json!(id), &json!("claimed"))
            );
            assert!(replies.iter().skip(1).step_by(2).all(|r| r.status == 409));
        }
        // The void won: no claim was made.
        None => {
            assert_eq!(record["state"], "void", "{record}");
            assert!(replies.iter().step_by(2).all(|r| r.status != 201));
        }
    }
    limits_hold(replicas.first()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn first_sends_of_a_record_racing_claims_over_three_replicas_never_erase_the_claim() {
    let replicas = Replicas::start("370902", 3).await;
    let platform = credential(replicas.first(), "wljnpx").await;
    // Sixteen first sends of r0 against sixteen submissions from it: a submission may find the
    // record stored by one send while another send is still writing it.
    let calls = (0..32)
        .map(|i| {
            if i % 2 == 0 {
                call("POST", "/api/platform/completions")
                    .json(&json!({ "records": [record("r0", TRAINEE_A, "4-03-02-01", "2020-03-15")] }))
                    .signed(&platform.key_id, &platform.secret)
            } else {
                submission("r0", None)
            }
        })
        .collect();
    let replies = replicas.race(calls).await;
    for (i, reply) in replies.iter().enumerate() {
        if i % 2 == 0 {
            assert_eq!(reply.status, 200, "{}", reply.json());
            let outcome = outcomes(reply);
            assert!(
                ["accepted", "unchanged"].contains(&outcome[0].as_str()),
                "{outcome:?}"
            );
        } else {
            assert!(
                [201, 404, 409, 422].contains(&reply.status),
                "{i}: {}",
                reply.json()
            );
        }
    }
    let stored = claims_of_a(replicas.first()).await;
    assert!(stored.len() <= 1, "{stored:?}");
    let record = call("GET", "/api/platform/completions/r0")
        .signed(&platform.key_id, &platform.secret)
        .send(replicas.first())
        .await
        .json();
    match stored.keys().next() {
        Some(id) => assert_eq!(record["claim"], id.as_str(), "{record}"),
        None => assert_eq!(record["state"], "reported", "{record}"),
    }
    // Listed once under its month and once under its trainee.
    let month = call("GET", "/api/platform/completions?month=2020-03")
        .signed(&platform.key_id, &platform.secret)
        .send(replicas.first())
        .await
        .json();
    assert_eq!(month["records"].as_array().unwrap().len(), 1, "{month}");
    let theirs = call("GET", "/api/claims/completions")
        .bearer(&trainee(TRAINEE_A))
        .send(replicas.first())
        .await
        .json();
    assert_eq!(theirs["records"].as_array().unwrap().len(), 1, "{theirs}");
    limits_hold(replicas.first()).await;
}
