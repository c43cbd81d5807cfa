//! What every integration test needs: the compiled app (loaded once per test binary), a
//! county instance on a fresh in-memory store, tokens, and HTTP requests through the host.

use std::sync::{Arc, OnceLock};

use county_host::client::mint_token;
pub use county_host::client::{Call, Reply, call, nonce};
use county_host::{App, Host, KvStore};
use serde_json::Value;
pub use subsidy_rules::auth::Role;

pub use county_host::dev::{
    OPERATOR_TOKEN_SECRET as OPERATOR_SECRET, PERSON_KEY_SECRET as PERSON_SECRET,
    TRAINEE_TOKEN_SECRET as TRAINEE_SECRET, manifest_path, variables,
};

/// A valid resident ID of a person born 1990-03-07 in 泰山区 (check digit computed).
pub const TRAINEE_A: &str = "370902199003071231";

pub fn app() -> Arc<App> {
    static APP: OnceLock<Arc<App>> = OnceLock::new();
    APP.get_or_init(|| {
        county_host::client::observe(crate::contract::check);
        App::load(&manifest_path()).expect("the components are built: run scripts/test.sh")
    })
    .clone()
}

/// Completes 17 digits with the GB 11643 check character.
pub fn resident_id(first17: &str) -> String {
    subsidy_rules::ResidentId::complete(first17)
        .unwrap()
        .expose()
        .to_owned()
}

/// The `i`-th of many trainees of 泰山区 born in `year` (up to 31,000 a year).
pub fn trainee_id(year: u32, i: usize) -> String {
    resident_id(&format!("370902{year}01{:02}{:03}", 1 + i / 1000, i % 1000))
}

pub struct County {
    pub host: Host,
}

impl std::ops::Deref for County {
    type Target = Host;
    fn deref(&self) -> &Host {
        &self.host
    }
}

/// Checks on the one error shape.
pub trait ErrorShape {
    fn error_code(&self) -> String;
    fn details(&self) -> Vec<(String, String)>;
}

impl ErrorShape for Reply {
    /// The error code of a structured error, after checking the whole error shape.
    fn error_code(&self) -> String {
        let body = self.json();
        let error = &body["error"];
        assert_eq!(error["status"], self.status, "{body}");
        for field in ["message_zh", "message_en"] {
            assert!(
                error[field].as_str().is_some_and(|m| !m.is_empty()),
                "{body}"
            );
        }
        assert!(
            error["details"].as_array().is_some_and(|d| !d.is_empty()),
            "{body}"
        );
        error["code"].as_str().unwrap().to_owned()
    }

    /// Every (code, field) in the error's details.
    fn details(&self) -> Vec<(String, String)> {
        let body = self.json();
        body["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_owned(),
                    d["field"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    }
}

/// A fresh store with the semantics the suite runs under: Spin's Redis backend against the
/// `redis-server` at `COUNTY_TEST_REDIS` (a database of its own), else Spin's SQLite backend
/// in memory. `scripts/test.sh` runs the suite both ways.
pub fn fresh_store() -> Arc<KvStore> {
    Arc::new(match std::env::var("COUNTY_TEST_REDIS") {
        Ok(server) => KvStore::redis_fresh_database(&server).unwrap(),
        Err(_) => KvStore::in_memory().unwrap(),
    })
}

pub fn county(code: &str) -> County {
    County {
        host: Host::new(app(), fresh_store(), &variables(code)).unwrap(),
    }
}

/// 泰山区, Tai'an.
pub fn taishan() -> County {
    county("370902")
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A token from its rightful issuer: the identity service for trainees, operators' otherwise.
pub fn token(role: Role, sub: &str) -> String {
    let secret = if role == Role::Trainee {
        TRAINEE_SECRET
    } else {
        OPERATOR_SECRET
    };
    token_signed_with(role, sub, secret.as_bytes())
}

/// A token valid for ten minutes, signed with any secret.
pub fn token_signed_with(role: Role, sub: &str, secret: &[u8]) -> String {
    mint_token(role, sub, secret, now() - 10, 610)
}

/// A token minted at the components' clock, which a test may have moved on.
pub fn token_at(county: &County, role: Role, sub: &str) -> String {
    let secret = if role == Role::Trainee {
        TRAINEE_SECRET
    } else {
        OPERATOR_SECRET
    };
    mint_token(role, sub, secret.as_bytes(), county.now_unix() - 10, 610)
}

pub fn admin() -> String {
    token(Role::Admin, "op-admin")
}

pub fn reviewer() -> String {
    token(Role::Reviewer, "op-reviewer")
}

pub fn finance() -> String {
    token(Role::Finance, "op-finance")
}

/// A second finance officer: whoever approves an invoice does not pay it.
pub fn second_finance() -> String {
    token(Role::Finance, "op-finance-2")
}

pub fn trainee(id: &str) -> String {
    token(Role::Trainee, id)
}

pub fn expired_admin() -> String {
    mint_token(
        Role::Admin,
        "op-admin",
        OPERATOR_SECRET.as_bytes(),
        now() - 7200,
        3600,
    )
}

use serde_json::json;

// Platform helpers shared by the platform and claim tests.

pub struct Platform {
    pub key_id: String,
    pub secret: String,
}

pub async fn credential(county: &County, platform_id: &str) -> Platform {
    let reply = call("POST", "/api/platform/credentials")
        .bearer(&admin())
        .json(&json!({ "platform_id": platform_id }))
        .send(county)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.json());
    let body = reply.json();
    Platform {
        key_id: body["key_id"].as_str().unwrap().to_owned(),
        secret: body["secret"].as_str().unwrap().to_owned(),
    }
}

pub fn record(record_id: &str, trainee: &str, occupation: &str, assessed_on: &str) -> Value {
    json!({
        "record_id": record_id,
        "trainee": {"resident_id": trainee, "name": "张三", "hukou_county": "370902"},
        "occupation": occupation, "level": "5", "study_hours": 24, "mode": "online",
        "started_on": "2020-02-20", "ended_on": "2020-03-10",
        "assessment": {"result": "pass", "score": 86, "date": assessed_on},
        "certificate_number": format!("CERT-{record_id}")
    })
}

pub async fn report(county: &County, platform: &Platform, records: Vec<Value>) -> Reply {
    call("POST", "/api/platform/completions")
        .json(&json!({ "records": records }))
        .signed(&platform.key_id, &platform.secret)
        .send(county)
        .await
}

pub fn outcomes(reply: &Reply) -> Vec<String> {
    let body = reply.json();
    let results = body["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    results
        .iter()
        .map(|r| r["outcome"].as_str().unwrap().to_owned())
        .collect()
}

/// Sets the level-5 standard of an occupation from 2020-01-01, before the policy's window (a
/// first standard, so back-dating it reprices nothing).
pub async fn set_standard(county: &County, occupation: &str, standard: &str) {
    let reply = call("PUT", &format!("/api/policy/standards/{occupation}/5"))
        .bearer(&admin())
        .json(&json!({ "standard": standard, "valid_from": "2020-01-01" }))
        .send(county)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json());
}

pub async fn verify_key_group(county: &County, trainee: &str) {
    verify_key_groups(county, &[trainee.to_owned()]).await;
}

/// Registers trainees as migrant workers from 2020-01-01, in batches of 1,000.
pub async fn verify_key_groups(county: &County, trainees: &[String]) {
    for batch in trainees.chunks(1000) {
        let entries: Vec<Value> = batch.iter().map(|t| migrant(t)).collect();
        upload_registry(county, json!(entries)).await;
    }
}

/// A registry entry: the trainee a migrant worker from 2020-01-01 (实名登记).
pub fn migrant(trainee_id: &str) -> Value {
    json!({"resident_id": trainee_id, "group": "migrant_worker", "source": "实名登记", "valid_from": "2020-01-01"})
}

/// Uploads `entries` to the registry (as admin); its answer.
pub async fn upload_registry(county: &County, entries: Value) -> Value {
    let reply = call("POST", "/api/eligibility/registry")
        .bearer(&admin())
        .json(&json!({ "entries": entries }))
        .send(county)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json());
    reply.json()
}

/// A trainee's claim from a record: a migrant worker paid to a social security card.
pub fn claim_body(platform_id: &str, record_id: &str) -> Value {
    json!({
        "platform_id": platform_id, "record_id": record_id, "group": "migrant_worker",
        "payee": {"kind": "social_security_card", "account": "6217001234567890123"},
        "consent": true
    })
}

/// The policy's limits hold over TRAINEE_A's whole history as the API shows it: of their
/// claims that count (submitted, approved, paid), at most 3 in a calendar year of assessment
/// and at most one of a 职业 and level.
pub async fn limits_hold(county: &County) {
    let claims = claims_of(county, TRAINEE_A).await;
    let counting: Vec<&Value> = (claims.iter())
        .filter(|c| ["submitted", "approved", "paid"].contains(&c["status"].as_str().unwrap()))
        .collect();
    let mut years = std::collections::BTreeMap::new();
    let mut courses = std::collections::BTreeMap::new();
    for claim in &counting {
        let year = claim["assessed_on"].as_str().unwrap()[..4].to_owned();
        *years.entry(year).or_insert(0) += 1;
        let course = format!("{} {}", claim["occupation"], claim["level"]);
        *courses.entry(course).or_insert(0) += 1;
    }
    assert!(years.values().all(|n| *n <= 3), "{years:?}: {claims:?}");
    assert!(courses.values().all(|n| *n <= 1), "{courses:?}: {claims:?}");
}

/// A claim's or an invoice's transitions as (from, to, by).
pub fn transitions(document: &Value) -> Vec<(Value, Value, Value)> {
    document["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["from"].clone(),
                t["to"].clone(),
                t["changed"]["by"].clone(),
            )
        })
        .collect()
}

/// `n` passed trainings of `trainee` in March 2020, each a different occupation: records
/// r0..r{n-1}, from 2020-02-20 to 2020-03-10, each of 24 study hours (120.00 of allowance);
/// more than 6 of those would not fit the trainee's 20 days (8 学时 a day across every record),
/// so beyond 6 each is of 2 hours (10.00), up to 80 records.
pub fn distinct_courses(trainee: &str, n: usize) -> Vec<Value> {
    let hours = if n <= 6 { 24 } else { 2 };
    (0..n)
        .map(|i| {
            let mut record = record(
                &format!("r{i}"),
                trainee,
                &format!("4-03-02-{:02}", i + 1),
                "2020-03-15",
            );
            record["study_hours"] = json!(hours);
            record
        })
        .collect()
}

/// `POST /api/claims` as the trainee.
pub async fn submit_claim(county: &County, trainee_id: &str, body: &Value) -> Reply {
    call("POST", "/api/claims")
        .bearer(&trainee(trainee_id))
        .json(body)
        .send(county)
        .await
}

/// `GET /api/claims` as the trainee: their claims.
pub async fn claims_of(county: &County, trainee_id: &str) -> Vec<Value> {
    let mine = call("GET", "/api/claims")
        .bearer(&trainee(trainee_id))
        .send(county)
        .await
        .json();
    mine["claims"]
        .as_array()
        .unwrap_or_else(|| panic!("{mine}"))
        .clone()
}

/// A county with a platform that reported `n` passed trainings of TRAINEE_A in 2020, each a
/// different occupation: records r0..r{n-1}.
pub async fn reported(n: usize) -> (County, Platform) {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    let reply = report(&county, &platform, distinct_courses(TRAINEE_A, n)).await;
    assert!(
        outcomes(&reply).iter().all(|o| o == "accepted"),
        "{}",
        reply.json()
    );
    (county, platform)
}

/// TRAINEE_A claims from `record_id` of platform wljnpx; the new claim's id.
pub async fn claimed(county: &County, record_id: &str) -> String {
    let reply = submit_claim(county, TRAINEE_A, &claim_body("wljnpx", record_id)).await;
    assert_eq!(reply.status, 201, "{}", reply.json());
    reply.json()["claim"]["id"].as_str().unwrap().to_owned()
}

/// The answers to simultaneous submissions with one `Idempotency-Key`: one 201 that made the
/// claim, every other either that same answer replayed (same status and body) or 409
/// `request_in_progress` with `Retry-After`. Nothing else.
pub fn assert_one_claim_for_one_key(replies: &[Reply]) {
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    let made: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.status == 201 && r.header("idempotent-replayed").is_none())
        .collect();
    assert_eq!(made.len(), 1, "{statuses:?}");
    let first = made[0].json();
    for reply in replies {
        match reply.status {
            201 => assert_eq!(reply.json(), first, "a replay is the first answer"),
            409 => {
                assert_eq!(reply.error_code(), "request_in_progress");
                assert!(reply.header("retry-after").is_some());
            }
            other => panic!("a retry got {other}: {}", reply.json()),
        }
    }
}

/// `POST /api/platform/invoices` for a month, signed by the platform.
pub async fn issue_invoice(county: &County, platform: &Platform, month: &str) -> Reply {
    call("POST", "/api/platform/invoices")
        .json(&json!({ "month": month }))
        .signed(&platform.key_id, &platform.secret)
        .send(county)
        .await
}

/// Issues a platform's month to the end: the same request again while it answers 202 (the
/// build goes on in steps). The steps' replies, the last one's status not 202.
pub async fn issue_invoice_in_steps(
    county: &County,
    platform: &Platform,
    month: &str,
) -> Vec<Reply> {
    let mut steps = Vec::new();
    loop {
        let reply = issue_invoice(county, platform, month).await;
        let building = reply.status == 202;
        steps.push(reply);
        if !building {
            return steps;
        }
        assert!(steps.len() < 1_000, "a build that never ends");
    }
}

/// 泰山区, where platform wljnpx reported record "a" of TRAINEE_A (4-03-02-01, level 5,
/// assessed 2020-03-15), the standard is 1000.00 and the trainee's key group is verified: one
/// line of 200.00 to bill in March 2020.
pub async fn one_billable_line() -> (County, Platform) {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    set_standard(&county, "4-03-02-01", "1000").await;
    verify_key_group(&county, TRAINEE_A).await;
    let reply = report(
        &county,
        &platform,
        vec![record("a", TRAINEE_A, "4-03-02-01", "2020-03-15")],
    )
    .await;
    assert_eq!(outcomes(&reply), ["accepted"]);
    (county, platform)
}

/// The number of the invoice a reply issued.
pub fn invoice_number(reply: &Reply) -> String {
    let body = reply.json();
    body["invoice"]["number"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

/// Every event of a feed (`path`, e.g. `/api/claims/events`), read page by page from the
/// start with `authorize` adding the caller's credentials; the last page must be done and
/// nothing pending.
pub async fn feed_events(
    county: &County,
    path: &str,
    authorize: impl Fn(Call) -> Call,
) -> Vec<Value> {
    feed_events_settled(county, path, authorize, false).await
}

/// `feed_events`, where a change may have been killed midway: a page stopped by a change that
/// may still land (`pending`) is read again once the feed's settling time has passed.
pub async fn feed_events_settled(
    county: &County,
    path: &str,
    authorize: impl Fn(Call) -> Call,
    may_wait: bool,
) -> Vec<Value> {
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let page = authorize(call("GET", &format!("{path}{sep}after={after}&limit=7")))
            .send(county)
            .await;
        assert_eq!(page.status, 200, "{}", page.json());
        let page = page.json();
        events.extend(page["events"].as_array().unwrap().clone());
        if may_wait && page["pending"] == true {
            county.advance_clock(subsidy_rules::events::FEED_SETTLE_SECONDS);
            let next = page["next_after"].as_u64().unwrap();
            let again = authorize(call("GET", &format!("{path}{sep}after={next}&limit=7")))
                .send(county)
                .await
                .json();
            assert_eq!(again["pending"], false, "settled: {again}");
            after = next;
            continue;
        }
        assert_eq!(page["pending"], false, "{page}");
        if page["done"] == true {
            return events;
        }
        assert!(page["next_after"].as_u64().unwrap() > after, "{page}");
        after = page["next_after"].as_u64().unwrap();
    }
}

/// The events' types, in order.
pub fn event_types(events: &[Value]) -> Vec<String> {
    (events.iter())
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

/// 公示 for every approved claim, ended: as a reviewer, publishes them (`POST
/// /api/claims/publicity`) on a day 10 days ago, on a calendar of the county's own (weekends
/// off) for the years involved, then sets the clock back to now. The notices have ended and
/// the claims may be paid. Tokens minted now stay valid.
pub async fn publish_notice_ended(county: &County) {
    const DAYS_BACK: i64 = 10;
    county.advance_clock(-DAYS_BACK * 86_400);
    let admin = token_at(county, Role::Admin, "op-admin");
    let today = chrono::DateTime::from_timestamp(county.now_unix(), 0).unwrap();
    let years = [today, today + chrono::Duration::days(DAYS_BACK)];
    for year in years.map(|d| chrono::Datelike::year(&d)) {
        if year <= 2021 {
            continue;
        }
        let put = call("PUT", &format!("/api/policy/calendar/{year}"))
            .bearer(&admin)
            .json(
                &serde_json::json!({"source": "测试日历：周末休息", "holidays": [],
                                      "working_weekends": []}),
            )
            .send(county)
            .await;
        assert_eq!(put.status, 200, "{}", put.json());
    }
    let reviewer = token_at(county, Role::Reviewer, "op-reviewer");
    loop {
        let published = call("POST", "/api/claims/publicity")
            .bearer(&reviewer)
            .send(county)
            .await;
        assert_eq!(published.status, 200, "{}", published.json());
        if published.json()["done"] == true {
            break;
        }
    }
    county.advance_clock(DAYS_BACK * 86_400);
}
