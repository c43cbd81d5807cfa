//! Bad input, to each of 27 endpoints that read a JSON body (all the API has but the accounts'
//! sign-in, creation and passwords, where each body accepted costs an Argon2 hash, about 0.1 s;
//! revoking a key and approving an invoice read none).
//!
//! Class by class, on a county of its own brought to the state the endpoint acts on: a body
//! that is not JSON (400 `malformed_json`), an empty one (400 `body_required`, where a body is
//! required), another content type (415), an unknown top-level field (422 naming it), and each
//! top-level field in turn given a value of another JSON type (422 naming that field); then
//! the unmutated body, which must be accepted: what was refused changed nothing it needs.
//!
//! At random, on one county: the valid body mutated (a field replaced by any JSON, removed, an
//! unknown one added, the whole body replaced by any JSON or any bytes), plus random query
//! strings on 4 endpoints that read them. Whatever arrives: never a 5xx, always the one error
//! shape when refused, and every endpoint refuses some. 500 cases each: 14,500 requests.

use crate::helpers::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};

const CASES_PER_ENDPOINT: u32 = 500;

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,24}".prop_map(Value::from),
        "[0-9X\\-.]{0,20}".prop_map(Value::from),
        Just(Value::from("9".repeat(400))),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, Value),
    Remove(usize),
    Add(usize, String, Value),
    Whole(Value),
    Bytes(Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), any_json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        2 => any::<usize>().prop_map(Mutation::Remove),
        2 => (any::<usize>(), "[a-z_]{1,10}", any_json()).prop_map(|(i, k, v)| Mutation::Add(i, k, v)),
        1 => any_json().prop_map(Mutation::Whole),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Mutation::Bytes),
    ]
}

/// Every place in a JSON value, as a path of keys and indexes.
fn places(value: &Value, here: Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(here.clone());
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            let mut next = here.clone();
            next.push(Value::from(k.clone()));
            places(v, next, out);
        }),
        Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| {
            let mut next = here.clone();
            next.push(Value::from(i));
            places(v, next, out);
        }),
        _ => {}
    }
}

fn at<'a>(value: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(value, |v, step| match step {
        Value::String(k) => &mut v[k.as_str()],
        other => &mut v[other.as_u64().unwrap() as usize],
    })
}

/// The mutated body.
fn apply(valid: &Value, mutation: &Mutation) -> Vec<u8> {
    let mut body = valid.clone();
    let mut all = Vec::new();
    places(valid, vec![], &mut all);
    match mutation {
        Mutation::Replace(i, v) => *at(&mut body, &all[i % all.len()]) = v.clone(),
        Mutation::Remove(i) => {
            let path = &all[1 + i % (all.len() - 1)];
            let (last, parent) = path.split_last().unwrap();
            match (at(&mut body, parent), last) {
                (Value::Object(map), Value::String(k)) => {
                    map.remove(k);
                }
                (Value::Array(items), index) => {
                    items.remove(index.as_u64().unwrap() as usize);
                }
                _ => {}
            }
        }
        Mutation::Add(i, k, v) => {
            let objects: Vec<&Vec<Value>> = all
                .iter()
                .filter(|p| at(&mut valid.clone(), p).is_object())
                .collect();
            if let Value::Object(map) = at(&mut body, objects[i % objects.len()]) {
                map.insert(k.clone(), v.clone());
            }
        }
        Mutation::Whole(v) => body = v.clone(),
        Mutation::Bytes(bytes) => return bytes.clone(),
    }
    serde_json::to_vec(&body).unwrap()
}

fn check(reply: &Reply, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        reply.status < 500,
        "{what}: {} {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
    if reply.status >= 400 {
        let body: Value = serde_json::from_slice(&reply.body)
            .map_err(|e| TestCaseError::fail(format!("{what}: not JSON: {e}")))?;
        prop_assert!(
            body["error"]["code"].is_string() && body["error"]["message_zh"].is_string(),
            "{what}: {body}"
        );
    }
    Ok(())
}

/// What the app answered, tallied: (endpoint, refused with 4xx, accepted with 2xx).
#[derive(Default)]
struct Tally(std::cell::RefCell<std::collections::BTreeMap<String, (u32, u32)>>);

impl Tally {
    fn count(&self, endpoint: &str, reply: &Reply) {
        let mut tally = self.0.borrow_mut();
        let entry = tally.entry(endpoint.to_owned()).or_default();
        match reply.status {
            400..=499 => entry.0 += 1,
            200..=299 => entry.1 += 1,
            _ => {}
        }
    }
}

struct Fixture {
    county: County,
    platform: Platform,
    spare: Platform,
    claim: String,
    invoice: String,
}

async fn fixture() -> Fixture {
    let county = taishan();
    let platform = credential(&county, "wljnpx").await;
    let spare = credential(&county, "wljnpx").await;
    report(&county, &platform, distinct_courses(TRAINEE_A, 3)).await;
    let claim = call("POST", "/api/claims")
        .bearer(&trainee(TRAINEE_A))
        .json(&json!({"platform_id": "wljnpx", "record_id": "r1", "group": "migrant_worker",
                      "payee": {"kind": "bank_account", "account": "6222021234567890", "bank_name": "工商银行"}, "consent": true}))
        .send(&county)
        .await;
    assert_eq!(claim.status, 201, "{}", claim.json());
    set_standard(&county, "4-03-02-03", "1000").await;
    verify_key_group(&county, TRAINEE_A).await;
    let invoice = call("POST", "/api/platform/invoices")
        .json(&json!({"month": "2020-03"}))
        .signed(&platform.key_id, &platform.secret)
        .send(&county)
        .await;
    assert_eq!(invoice.status, 201, "{}", invoice.json());
    let account = call("POST", "/api/accounts")
        .bearer(&admin())
        .json(&json!({"login": "wang.li", "display_name": "王丽", "roles": ["reviewer"], "password": "长城长城长城长城长城"}))
        .send(&county)
        .await;
    assert_eq!(account.status, 201, "{}", account.json());
    Fixture {
        claim: claim.json()["claim"]["id"].as_str().unwrap().to_owned(),
        invoice: invoice.json()["invoice"]["number"]
            .as_str()
            .unwrap()
            .to_owned(),
        county,
        platform,
        spare,
    }
}

/// Who sends an endpoint's requests.
#[derive(Clone, Copy, Debug)]
enum Who {
    Admin,
    Reviewer,
    Finance,
    SecondFinance,
    Trainee,
    Platform,
}

/// The state an endpoint acts on, beyond the fixture's: its claim (made from record r1,
/// submitted) and its invoice (2020-03, issued, one line: record r2).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Needs {
    Nothing,
    /// Record r5 reported.
    Record5,
    ApprovedClaim,
    PaidClaim,
    ReturnedPayment,
    RecoveringClaim,
    ApprovedInvoice,
    PaidInvoice,
}

struct Endpoint {
    method: &'static str,
    path: String,
    valid: Value,
    who: Who,
    needs: Needs,
    /// An empty body is a request of its own (approve without a note, a default rotation).
    body_optional: bool,
}

fn endpoint(method: &'static str, path: String, valid: Value, who: Who, needs: Needs) -> Endpoint {
    Endpoint {
        method,
        path,
        valid,
        who,
        needs,
        body_optional: false,
    }
}

fn sent_by(who: Who, f: &Fixture, call: Call) -> Call {
    match who {
        Who::Admin => call.bearer(&admin()),
        Who::Reviewer => call.bearer(&reviewer()),
        Who::Finance => call.bearer(&finance()),
        Who::SecondFinance => call.bearer(&second_finance()),
        Who::Trainee => call.bearer(&trainee(TRAINEE_A)),
        Who::Platform => call.signed(&f.platform.key_id, &f.platform.secret),
    }
}

/// Brings the fixture to what an endpoint acts on, through the API.
async fn prepare(f: &Fixture, needs: Needs) {
    let (claim, invoice) = (&f.claim, &f.invoice);
    let steps: Vec<(&str, String, Value, Who)> = match needs {
        Needs::Nothing => vec![],
        Needs::Record5 => {
            let r5 = record("r5", TRAINEE_A, "4-03-02-05", "2020-03-15");
            vec![(
                "POST",
                "/api/platform/completions".into(),
                json!({"records": [r5]}),
                Who::Platform,
            )]
        }
        Needs::ApprovedClaim
        | Needs::PaidClaim
        | Needs::ReturnedPayment
        | Needs::RecoveringClaim => {
            let all = [
                (
                    "POST",
                    format!("/api/claims/{claim}/approve"),
                    json!({}),
                    Who::Reviewer,
                ),
                (
                    "POST",
                    format!("/api/claims/{claim}/pay"),
                    json!({"reference": "S-1", "paid_on": "2020-04-01"}),
                    Who::Finance,
                ),
                (
                    "POST",
                    format!("/api/claims/{claim}/payment-returned"),
                    json!({"reason": "账户已销户"}),
                    Who::SecondFinance,
                ),
            ];
            let recovery = (
                "POST",
                format!("/api/claims/{claim}/recovery"),
                json!({"reason": "冒名", "amount": "1.00"}),
                Who::Reviewer,
            );
            match needs {
                Needs::ApprovedClaim => all[..1].to_vec(),
                Needs::PaidClaim => all[..2].to_vec(),
                Needs::ReturnedPayment => all.to_vec(),
                _ => [&all[..2], &[recovery]].concat(),
            }
        }
        Needs::ApprovedInvoice | Needs::PaidInvoice => {
            let approve = (
                "POST",
                format!("/api/platform/invoices/{invoice}/approve"),
                json!({}),
                Who::Finance,
            );
            let pay = (
                "POST",
                format!("/api/platform/invoices/{invoice}/pay"),
                json!({"reference": "BANK-1", "paid_on": "2020-04-15"}),
                Who::SecondFinance,
            );
            match needs {
                Needs::ApprovedInvoice => vec![approve],
                _ => vec![approve, pay],
            }
        }
    };
    for (method, path, body, who) in steps {
        let reply = sent_by(who, f, call(method, &path).json(&body))
            .send(&f.county)
            .await;
        assert!(reply.status < 300, "{method} {path}: {}", reply.json());
        if path.starts_with("/api/claims/") && path.ends_with("/approve") {
            // Paid only once its notice (公示) has ended.
            publish_notice_ended(&f.county).await;
        }
    }
}

fn endpoints(f: &Fixture) -> Vec<Endpoint> {
    let (claim, invoice, spare) = (&f.claim, &f.invoice, &f.spare.key_id);
    vec![
        endpoint(
            "PUT",
            "/api/policy/standards".into(),
            json!({"standards": [{"occupation": "4-03-02-01", "occupation_name": "中式烹调师", "level": "5", "standard": 1200}]}),
            Who::Admin,
            Needs::Nothing,
        ),
        endpoint(
            "PUT",
            "/api/policy/standards/4-03-02-03/5".into(),
            json!({"occupation_name": "西式烹调师", "standard": "1000"}),
            Who::Admin,
            Needs::Nothing,
        ),
        endpoint(
            "PUT",
            "/api/policy/platforms/ixueto".into(),
            json!({"name": "行知学徒网", "aliases": ["知行学徒网"], "site": "www.ixueto.com", "listed_in": ["x"], "recorded_on": "2020-02-06", "status": "approved"}),
            Who::Admin,
            Needs::Nothing,
        ),
        endpoint(
            "PUT",
            "/api/policy/platforms".into(),
            json!({"platforms": [
                {"id": "wljnpx", "name": "互联网+职业技能培训网", "recorded_on": "2020-02-06", "status": "approved"},
                {"id": "ixueto", "name": "行知学徒网", "recorded_on": "2020-02-06", "status": "approved"}
            ]}),
            Who::Admin,
            Needs::Nothing,
        ),
        endpoint(
            "POST",
            "/api/eligibility/check".into(),
            json!({"applicant": {"resident_id": TRAINEE_A, "hukou_county": "370902", "group": "unemployed_graduate", "graduation_date": "2019-06-30", "employed": false}, "training": {"platform_id": "wljnpx", "occupation": "4-03-02-01", "level": "5", "study_hours": 24, "mode": "online", "started_on": "2020-02-20", "assessment": {"result": "pass", "date": "2020-03-15", "score": 90}}}),
            Who::Reviewer,
            Needs::Nothing,
        ),
        endpoint(
            "POST",
            "/api/eligibility/registry".into(),
            json!({"entries": [{"resident_id": TRAINEE_A, "group": "poor_laborer", "source": "x", "valid_from": "2020-01-01", "valid_to": "2020-12-31"}]}),
            Who::Admin,
            Needs::Nothing,
        ),
        endpoint(
            "POST",
            "/api/eligibility/registry/lookup".into(),
            json!({"resident_id": TRAINEE_A}),
            Who::Reviewer,
            Needs::Nothing,
        ),
        endpoint(
            "POST",
            "/api/platform/credentials".into(),
            json!({"platform_id": "wfjtip"}),
            Who::Admin,
            Needs::Nothing,
        ),
        Endpoint {
            body_optional: true,
            ..endpoint(
                "POST",
                format!("/api/platform/credentials/{spare}/rotate"),
                json!({"overlap_minutes": 30}),
                Who::Admin,
                Needs::Nothing,
            )
        },
        endpoint(
            "POST",
            "/api/platform/completions".into(),
            json!({"records": [record("r5", TRAINEE_A, "4-03-02-05", "2020-03-15")]}),
            Who::Platform,
            Needs::Nothing,
        ),
        endpoint(
            "POST",
            "/api/platform/completions/r5/void".into(),
            json!({"reason": "重复上报"}),
            Who::Platform,
            Needs::Record5,
        ),
        endpoint(
            "POST",
            "/api/platform/invoices".into(),
            json!({"month": "2020-03"}),
            Who::Platform,
            Needs::Nothing,
        ),
        endpoint(
            "POST",
            format!("/api/platform/invoices/{invoice}/pay"),
            json!({"reference": "BANK-1", "paid_on": "2020-04-15"}),
            Who::SecondFinance,
            Needs::ApprovedInvoice,
        ),
        endpoint(
            "POST",
            "/api/claims".into(),
            json!({"platform_id": "wljnpx", "record_id": "r0", "group": "unemployed_graduate", "graduation_date": "2019-06-30", "employed": false, "payee": {"kind": "bank_account", "account": "6222021234567890", "bank_name": "工商银行"}, "consent": true}),
            Who::Trainee,
            Needs::Nothing,
        ),
        endpoint(
            "POST",
            "/api/claims/bulk-approve".into(),
            json!({"claim_ids": [claim]}),
            Who::Reviewer,
            Needs::Nothing,
        ),
        Endpoint {
            body_optional: true,
            ..endpoint(
                "POST",
                format!("/api/claims/{claim}/approve"),
                json!({"note": "核实"}),
                Who::Reviewer,
                Needs::Nothing,
            )
        },
        endpoint(
            "POST",
            format!("/api/claims/{claim}/reject"),
            json!({"reason": "材料不全"}),
            Who::Reviewer,
            Needs::Nothing,
        ),
        endpoint(
            "POST",
            format!("/api/claims/{claim}/pay"),
            json!({"reference": "S-1", "paid_on": "2020-04-01"}),
            Who::Finance,
            Needs::ApprovedClaim,
        ),
        endpoint(
            "POST",
            format!("/api/claims/{claim}/payment-returned"),
            json!({"reason": "账户已销户"}),
            Who::Finance,
            Needs::PaidClaim,
        ),
        endpoint(
            "PUT",
            format!("/api/claims/{claim}/payee"),
            json!({"kind": "bank_account", "account": "6222021234567899", "bank_name": "工商银行"}),
            Who::Trainee,
            Needs::ReturnedPayment,
        ),
        endpoint(
            "POST",
            format!("/api/claims/{claim}/recovery"),
            json!({"reason": "冒名", "amount": "1.00"}),
            Who::Reviewer,
            Needs::PaidClaim,
        ),
        endpoint(
            "POST",
            format!("/api/claims/{claim}/recovered"),
            json!({"reference": "R-1", "paid_on": "2020-05-01"}),
            Who::Finance,
            Needs::RecoveringClaim,
        ),
        endpoint(
            "POST",
            format!("/api/platform/invoices/{invoice}/lines/r2/recovery"),
            json!({"reason": "冒名", "amount": "1.00"}),
            Who::Finance,
            Needs::PaidInvoice,
        ),
        endpoint(
            "POST",
            format!("/api/platform/invoices/{invoice}/cancel"),
            json!({"reason": "有误"}),
            Who::Finance,
            Needs::Nothing,
        ),
        endpoint(
            "POST",
            "/api/claims/bank-results".into(),
            json!({"results": [{"claim_id": claim, "outcome": "returned", "reference": "DF-1", "paid_on": "2020-04-20", "reason": "户名不符"}]}),
            Who::Finance,
            Needs::ApprovedClaim,
        ),
        Endpoint {
            body_optional: true,
            ..endpoint(
                "POST",
                "/api/admin/reconcile".into(),
                json!({"repair": false, "after": 0, "limit": 50}),
                Who::Admin,
                Needs::Nothing,
            )
        },
        endpoint(
            "PUT",
            "/api/accounts/wang.li/roles".into(),
            json!({"roles": ["reviewer", "finance"]}),
            Who::Admin,
            Needs::Nothing,
        ),
    ]
}

/// A value of another JSON type than `value`'s, which no field of that type takes (null is
/// left out: an optional field takes it).
fn of_another_type(value: &Value) -> Value {
    match value {
        Value::String(_) => json!([1]),
        Value::Number(_) => json!({"x": 1}),
        Value::Array(_) => json!("x"),
        Value::Object(_) => json!(7),
        Value::Bool(_) => json!("yes"),
        Value::Null => json!(true),
    }
}

/// Whether a refusal names `name`: as its field, a detail's field, or in its message.
fn names(reply: &Reply, name: &str) -> bool {
    let body = reply.json();
    let error = &body["error"];
    let mentions = |reason: &Value| {
        reason["field"]
            .as_str()
            .is_some_and(|f| f.split(['.', '[']).next() == Some(name))
            || reason["message_en"]
                .as_str()
                .is_some_and(|m| m.contains(&format!("`{name}`")))
    };
    mentions(error)
        || error["details"]
            .as_array()
            .is_some_and(|d| d.iter().any(mentions))
}

/// Every class of bad input to one endpoint, each refused for its own reason, then the valid
/// body accepted.
async fn classes_refused_then_valid_accepted(index: usize) {
    let f = fixture().await;
    let e = endpoints(&f).swap_remove(index);
    prepare(&f, e.needs).await;
    let what = format!("{} {}", e.method, e.path);
    let send = |body: Vec<u8>, content_type: &str| {
        let request = call(e.method, &e.path)
            .header("content-type", content_type)
            .raw(body);
        sent_by(e.who, &f, request).send(&f.county)
    };
    let json_type = "application/json";
    let reply = send(b"{\"".to_vec(), json_type).await;
    assert_eq!(
        (reply.status, reply.error_code()),
        (400, "malformed_json".into()),
        "{what}"
    );
    if !e.body_optional {
        let reply = send(Vec::new(), json_type).await;
        assert_eq!(
            (reply.status, reply.error_code()),
            (400, "body_required".into()),
            "{what}"
        );
    }
    let valid = serde_json::to_vec(&e.valid).unwrap();
    let reply = send(valid.clone(), "text/plain").await;
    assert_eq!(reply.status, 415, "{what}: {}", reply.json());
    // serde reads a struct from an array of its fields' values too: refused, so that only an
    // object is ever taken (`[[]]` once replaced the standards table with an empty one).
    let values: Vec<Value> = e.valid.as_object().unwrap().values().cloned().collect();
    let reply = send(serde_json::to_vec(&values).unwrap(), json_type).await;
    assert_eq!(
        (reply.status, reply.error_code()),
        (422, "body_not_object".into()),
        "{what}"
    );
    let mut unknown = e.valid.clone();
    unknown["zz_unknown"] = json!(1);
    let reply = send(serde_json::to_vec(&unknown).unwrap(), json_type).await;
    assert_eq!(
        reply.status,
        422,
        "{what} with an unknown field: {}",
        reply.json()
    );
    assert!(names(&reply, "zz_unknown"), "{what}: {}", reply.json());
    for (name, value) in e.valid.as_object().unwrap() {
        let mut wrong = e.valid.clone();
        wrong[name] = of_another_type(value);
        let reply = send(serde_json::to_vec(&wrong).unwrap(), json_type).await;
        assert_eq!(
            reply.status,
            422,
            "{what}, {name} of another type: {}",
            reply.json()
        );
        assert!(names(&reply, name), "{what}, {name}: {}", reply.json());
    }
    let reply = send(valid, json_type).await;
    assert!(
        reply.status < 300,
        "{what}, unmutated: {} {}",
        reply.status,
        reply.json()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_class_of_bad_input_is_refused_for_its_own_reason_and_the_valid_body_accepted() {
    let count = endpoints(&fixture().await).len();
    assert_eq!(count, 27);
    for index in 0..count {
        classes_refused_then_valid_accepted(index).await;
    }
}

#[test]
fn no_mutated_request_gets_a_5xx() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let f = runtime.block_on(fixture());
    let tally = Tally::default();
    let endpoints = endpoints(&f);
    let signed = |call: Call| call.signed(&f.platform.key_id, &f.platform.secret);
    let county = &f.county;
    for Endpoint {
        method,
        path,
        valid,
        who,
        ..
    } in &endpoints
    {
        let mut runner = TestRunner::new(Config {
            cases: CASES_PER_ENDPOINT,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&mutation(), |m| {
                let body = apply(valid, &m);
                let request = call(method, path)
                    .header("content-type", "application/json")
                    .raw(body);
                let reply = runtime.block_on(sent_by(*who, &f, request).send(county));
                tally.count(&format!("{method} {path}"), &reply);
                check(&reply, &format!("{method} {path} {m:?}"))
            })
            .unwrap();
    }
    // Query strings, raw.
    let mut runner = TestRunner::new(Config {
        cases: CASES_PER_ENDPOINT,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(
            &("[a-z_]{0,10}", ".{0,30}", 0usize..4),
            |(name, value, which)| {
                let encoded: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
                let path = [
                    "/api/policy/standards",
                    "/api/claims/queue",
                    "/api/platform/invoices/preview",
                    "/api/claims/report",
                ][which];
                let auth = if which == 2 {
                    signed(call(
                        "GET",
                        &format!("{path}?{name}={encoded}&month={encoded}"),
                    ))
                } else {
                    call(
                        "GET",
                        &format!("{path}?{name}={encoded}&level={encoded}&limit={encoded}"),
                    )
                    .bearer(&reviewer())
                };
                let reply = runtime.block_on(auth.send(county));
                tally.count("GET with a query", &reply);
                check(&reply, &format!("GET {path}?{name}={value}"))
            },
        )
        .unwrap();
    // Every body endpoint refused some mutations with a 4xx: the mutations reached the
    // endpoint's own checks rather than failing before it.
    let tally = tally.0.into_inner();
    assert_eq!(tally.len(), endpoints.len() + 1, "{tally:?}");
    for (endpoint, (refused, accepted)) in &tally {
        assert!(
            *refused > 0,
            "{endpoint}: nothing refused ({accepted} accepted)"
        );
        assert_eq!(
            refused + accepted,
            CASES_PER_ENDPOINT,
            "{endpoint}: every case answered 2xx or 4xx"
        );
    }
}
