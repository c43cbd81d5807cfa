//! Security: every endpoint against every kind of caller, asserted; personal data never in
//! logs, store keys or responses that do not need it.

use crate::helpers::*;
use serde_json::{Value, json};

#[derive(Clone, Copy, PartialEq, Debug)]
enum Who {
    Nobody,
    TraineeA,
    TraineeB,
    PlatformP,
    PlatformQ,
    Reviewer,
    Finance,
    /// Another finance officer: four eyes keep some steps from the one who took the last.
    SecondFinance,
    Admin,
    ExpiredToken,
    TamperedToken,
}

use Who::*;

const EVERYONE: [Who; 11] = [
    Nobody,
    TraineeA,
    TraineeB,
    PlatformP,
    PlatformQ,
    Reviewer,
    Finance,
    SecondFinance,
    Admin,
    ExpiredToken,
    TamperedToken,
];
const OPERATORS: [Who; 4] = [Reviewer, Finance, SecondFinance, Admin];
const ACCOUNT: &str = "6217001234567890123";

struct Fixture {
    county: County,
    p: Platform,
    q: Platform,
    trainee_b: String,
    /// An invoice of platform Q, issued: for cancelling.
    q_invoice: String,
}

impl Fixture {
    fn authorize(&self, call: Call, who: Who) -> Call {
        match who {
            Nobody => call,
            TraineeA => call.bearer(&trainee(TRAINEE_A)),
            TraineeB => call.bearer(&trainee(&self.trainee_b)),
            PlatformP => call.signed(&self.p.key_id, &self.p.secret),
            PlatformQ => call.signed(&self.q.key_id, &self.q.secret),
            Reviewer => call.bearer(&reviewer()),
            Finance => call.bearer(&finance()),
            SecondFinance => call.bearer(&second_finance()),
            Admin => call.bearer(&admin()),
            ExpiredToken => call.bearer(&expired_admin()),
            TamperedToken => {
                let token = admin();
                let (head, _) = token.rsplit_once('.').unwrap();
                call.bearer(&format!(
                    "{head}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                ))
            }
        }
    }
}

/// Claims of TRAINEE_A in the fixture: one that bulk approval approves and finance pays, one
/// the trainee withdraws, one a reviewer rejects.
struct Claims {
    claim: String,
    to_withdraw: String,
    to_reject: String,
}

async fn fixture() -> (Fixture, Claims, String, String) {
    let county = taishan();
    let p = credential(&county, "wljnpx").await;
    let q = credential(&county, "ixueto").await;
    let spare = credential(&county, "wfjtip").await;
    let trainee_b = resident_id("37090219851111002");
    report(
        &county,
        &p,
        [
            distinct_courses(TRAINEE_A, 4),
            vec![record("r-void", &trainee_b, "4-03-02-01", "2020-03-15")],
        ]
        .concat(),
    )
    .await;
    set_standard(&county, "4-03-02-01", "1000").await;
    call("PUT", "/api/policy/standards/6-28-01-05/none")
        .bearer(&admin())
        .json(&json!({"standard": 800}))
        .send(&county)
        .await;
    verify_key_group(&county, TRAINEE_A).await;
    let claim = claimed(&county, "r0").await;
    let to_withdraw = claimed(&county, "r2").await;
    let to_reject = claimed(&county, "r3").await;
    let invoice = call("POST", "/api/platform/invoices")
        .json(&json!({"month": "2020-03"}))
        .signed(&p.key_id, &p.secret)
        .send(&county)
        .await
        .json();
    let invoice = invoice["invoice"]["number"].as_str().unwrap().to_owned();
    // Approved by another finance officer, so that the finance caller below may pay it (and
    // its approval is answered as the retry it then is).
    let approved = call("POST", &format!("/api/platform/invoices/{invoice}/approve"))
        .bearer(&second_finance())
        .send(&county)
        .await;
    assert_eq!(approved.status, 200, "{}", approved.json());
    verify_key_group(&county, &trainee_b).await;
    report(
        &county,
        &q,
        vec![record("q1", &trainee_b, "4-03-02-01", "2020-03-16")],
    )
    .await;
    let q_invoice = invoice_number(&issue_invoice(&county, &q, "2020-03").await);
    let fixture = Fixture {
        county,
        p,
        q,
        trainee_b,
        q_invoice,
    };
    let claims = Claims {
        claim,
        to_withdraw,
        to_reject,
    };
    (fixture, claims, invoice, spare.key_id)
}

/// The documented success of each endpoint: 201 for what creates (a credential, a rotated
/// key, a claim), 200 or 201 for issuing an invoice (200 when nothing is billable), else 200.
fn success_statuses(method: &str, path: &str) -> &'static [u16] {
    match (method, path) {
        ("POST", "/api/platform/credentials" | "/api/claims") => &[201],
        ("POST", "/api/platform/invoices") => &[200, 201],
        ("POST", p) if p.ends_with("/rotate") => &[201],
        _ => &[200],
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_endpoint_allows_exactly_the_callers_it_should() {
    let (
        f,
        Claims {
            claim,
            to_withdraw,
            to_reject,
        },
        invoice,
        spare_key,
    ) = fixture().await;
    let a_facts = json!({
        "applicant": {"resident_id": TRAINEE_A, "hukou_county": "370902", "group": "migrant_worker"},
        "training": {"platform_id": "wljnpx", "occupation": "4-03-02-01", "level": "5", "study_hours": 24,
                     "mode": "online", "started_on": "2020-02-20", "assessment": {"result": "pass", "date": "2020-03-15"}}
    });
    let registry = json!({"entries": [{"resident_id": TRAINEE_A, "group": "poor_laborer", "source": "x", "valid_from": "2020-01-01"}]});
    let batch = json!({"records": [record("r9", TRAINEE_A, "4-03-02-09", "2020-03-15")]});
    let platform_and_operators = [
        PlatformP,
        PlatformQ,
        Reviewer,
        Finance,
        SecondFinance,
        Admin,
    ];
    let owner_and_operators = [PlatformP, Reviewer, Finance, SecondFinance, Admin];
    let cases: Vec<(&str, String, Option<Value>, Vec<Who>)> = vec![
        ("GET", "/api/policy".into(), None, EVERYONE.to_vec()),
        (
            "GET",
            "/api/policy/versions/shandong-2020-02".into(),
            None,
            EVERYONE.to_vec(),
        ),
        (
            "GET",
            "/api/policy/platforms".into(),
            None,
            EVERYONE.to_vec(),
        ),
        (
            "GET",
            "/api/policy/standards".into(),
            None,
            EVERYONE.to_vec(),
        ),
        (
            "PUT",
            "/api/policy/standards/4-10-01-01/5".into(),
            Some(json!({"standard": 900})),
            vec![Admin],
        ),
        (
            "DELETE",
            "/api/policy/standards/6-28-01-05/none".into(),
            None,
            vec![Admin],
        ),
        (
            "PUT",
            "/api/policy/platforms/chinanet".into(),
            Some(
                json!({"name": "中国国家人事人才培训网", "recorded_on": "2020-02-12", "status": "approved"}),
            ),
            vec![Admin],
        ),
        (
            "POST",
            "/api/eligibility/check".into(),
            Some(a_facts),
            vec![TraineeA, Reviewer, Admin],
        ),
        (
            "POST",
            "/api/eligibility/registry".into(),
            Some(registry),
            vec![Admin],
        ),
        (
            "POST",
            "/api/eligibility/registry/lookup".into(),
            Some(json!({"resident_id": TRAINEE_A})),
            vec![Reviewer, Admin],
        ),
        (
            "POST",
            "/api/platform/credentials".into(),
            Some(json!({"platform_id": "chinanet"})),
            vec![Admin],
        ),
        (
            "GET",
            "/api/platform/credentials?platform_id=wljnpx".into(),
            None,
            vec![Admin],
        ),
        (
            "POST",
            format!("/api/platform/credentials/{spare_key}/rotate"),
            None,
            vec![Admin],
        ),
        (
            "POST",
            format!("/api/platform/credentials/{spare_key}/revoke"),
            None,
            vec![Admin],
        ),
        (
            "POST",
            "/api/platform/completions".into(),
            Some(batch),
            vec![PlatformP, PlatformQ],
        ),
        (
            "GET",
            "/api/platform/completions?month=2020-03&platform_id=wljnpx".into(),
            None,
            platform_and_operators.to_vec(),
        ),
        (
            "GET",
            "/api/platform/completions/r0?platform_id=wljnpx".into(),
            None,
            owner_and_operators.to_vec(),
        ),
        (
            "POST",
            "/api/platform/completions/r-void/void".into(),
            Some(json!({"reason": "测试"})),
            vec![PlatformP],
        ),
        (
            "GET",
            "/api/platform/invoices/preview?month=2020-03&platform_id=wljnpx".into(),
            None,
            platform_and_operators.to_vec(),
        ),
        (
            "POST",
            "/api/platform/invoices".into(),
            Some(json!({"month": "2020-03", "platform_id": "wljnpx"})),
            vec![PlatformP, PlatformQ, Finance, SecondFinance, Admin],
        ),
        (
            "GET",
            "/api/platform/invoices?platform_id=wljnpx".into(),
            None,
            platform_and_operators.to_vec(),
        ),
        (
            "GET",
            format!("/api/platform/invoices/{invoice}"),
            None,
            owner_and_operators.to_vec(),
        ),
        (
            "GET",
            format!("/api/platform/invoices/{invoice}/csv"),
            None,
            owner_and_operators.to_vec(),
        ),
        (
            "POST",
            format!("/api/platform/invoices/{invoice}/approve"),
            None,
            vec![Finance, SecondFinance],
        ),
        (
            "POST",
            format!("/api/platform/invoices/{invoice}/pay"),
            Some(json!({"reference": "B-1", "paid_on": "2020-04-01"})),
            vec![Finance, SecondFinance],
        ),
        (
            "POST",
            format!("/api/platform/invoices/{invoice}/lines/r0/recovery"),
            Some(json!({"reason": "x", "amount": "1.00"})),
            vec![Finance, SecondFinance, Admin],
        ),
        (
            "POST",
            format!("/api/platform/invoices/{invoice}/lines/r0/recovered"),
            Some(json!({"reference": "R-1", "paid_on": "2020-05-01"})),
            vec![Finance, SecondFinance],
        ),
        (
            "GET",
            "/api/claims/completions".into(),
            None,
            vec![TraineeA, TraineeB],
        ),
        (
            "POST",
            format!("/api/claims/{to_withdraw}/withdraw"),
            None,
            vec![TraineeA],
        ),
        (
            "POST",
            "/api/claims".into(),
            Some(claim_body("wljnpx", "r1")),
            vec![TraineeA],
        ),
        ("GET", "/api/claims".into(), None, vec![TraineeA, TraineeB]),
        (
            "GET",
            format!("/api/claims/{claim}"),
            None,
            vec![TraineeA, Reviewer, Finance, SecondFinance, Admin],
        ),
        (
            "GET",
            "/api/claims/queue?kind=verified".into(),
            None,
            vec![Reviewer, Admin],
        ),
        (
            "POST",
            "/api/claims/bulk-approve".into(),
            Some(json!({"claim_ids": [claim]})),
            vec![Reviewer],
        ),
        (
            "POST",
            format!("/api/claims/{to_reject}/reject"),
            Some(json!({"reason": "x"})),
            vec![Reviewer],
        ),
        (
            "POST",
            format!("/api/claims/{claim}/pay"),
            Some(json!({"reference": "S-1", "paid_on": "2020-04-01"})),
            vec![Finance, SecondFinance],
        ),
        (
            "POST",
            format!("/api/claims/{claim}/payment-returned"),
            Some(json!({"reason": "x"})),
            vec![Finance, SecondFinance],
        ),
        (
            "PUT",
            format!("/api/claims/{claim}/payee"),
            Some(
                json!({"kind": "bank_account", "account": "6222021234567890", "bank_name": "工商银行"}),
            ),
            vec![TraineeA],
        ),
        (
            "POST",
            format!("/api/claims/{claim}/pay"),
            Some(json!({"reference": "S-2", "paid_on": "2020-04-02"})),
            // Four eyes: whoever recorded the return (Finance) does not pay again.
            vec![SecondFinance],
        ),
        (
            "POST",
            format!("/api/claims/{claim}/recovery"),
            Some(json!({"reason": "x", "amount": "1.00"})),
            vec![Reviewer, Finance, SecondFinance],
        ),
        (
            "POST",
            format!("/api/claims/{claim}/recovered"),
            Some(json!({"reference": "R-1", "paid_on": "2020-05-01"})),
            vec![Finance, SecondFinance],
        ),
        (
            "POST",
            format!("/api/platform/invoices/{}/cancel", f.q_invoice),
            Some(json!({"reason": "x"})),
            vec![Finance, SecondFinance, Admin],
        ),
        ("GET", "/api/claims/report".into(), None, OPERATORS.to_vec()),
        (
            "GET",
            "/api/policy/history?table=standards".into(),
            None,
            OPERATORS.to_vec(),
        ),
        (
            "GET",
            "/api/claims/payable".into(),
            None,
            vec![Finance, SecondFinance],
        ),
        (
            "GET",
            "/api/claims/payment-batch?format=csv".into(),
            None,
            vec![Finance, SecondFinance],
        ),
        (
            "POST",
            "/api/claims/bank-results".into(),
            Some(
                json!({"results": [{"claim_id": claim, "outcome": "paid", "reference": "S-1", "paid_on": "2020-04-01"}]}),
            ),
            vec![Finance, SecondFinance],
        ),
        (
            "POST",
            "/api/admin/reconcile".into(),
            Some(json!({"repair": true})),
            vec![Admin],
        ),
        ("POST", "/api/claims/publicity".into(), None, vec![Reviewer]),
        ("GET", "/api/notices".into(), None, EVERYONE.to_vec()),
        (
            "GET",
            "/api/policy/calendar".into(),
            None,
            EVERYONE.to_vec(),
        ),
        (
            "PUT",
            "/api/policy/calendar/2030".into(),
            Some(json!({"source": "x", "holidays": [], "working_weekends": []})),
            vec![Admin],
        ),
    ];
    // An approved claim is paid once its notice (公示) has ended.
    let first_payment =
        (cases.iter()).position(|c| c.1.starts_with("/api/claims/c-") && c.1.ends_with("/pay"));
    let mut failures = Vec::new();
    for (i, (method, path, body, allowed)) in cases.iter().enumerate() {
        if Some(i) == first_payment {
            publish_notice_ended(&f.county).await;
        }
        for who in EVERYONE {
            let mut request = call(method, path);
            if let Some(body) = body {
                request = request.json(body);
            }
            let reply = f.authorize(request, who).send(&f.county).await;
            let text = String::from_utf8_lossy(&reply.body).into_owned();
            let right = if allowed.contains(&who) {
                success_statuses(method, path).contains(&reply.status)
            } else {
                [401, 403, 404].contains(&reply.status) || text.contains("\"four_eyes\"")
            };
            if !right {
                failures.push(format!(
                    "{method} {path} as {who:?}: {} {}",
                    reply.status,
                    text.chars().take(120).collect::<String>()
                ));
            }
            assert!(
                !text.contains(TRAINEE_A) && !text.contains(&f.trainee_b),
                "{method} {path} as {who:?} returned a whole resident ID"
            );
            if !matches!(who, Finance | SecondFinance) {
                assert!(
                    !text.contains(ACCOUNT),
                    "{method} {path} as {who:?} returned the whole payee account"
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells of the access matrix are wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );

    let logs = f.county.logs();
    for secret in [TRAINEE_A, f.trainee_b.as_str(), ACCOUNT, "19900307"] {
        assert!(!logs.contains(secret), "the logs hold {secret}");
    }
    for key in f.county.kv().keys("default").unwrap() {
        assert!(
            !key.contains(TRAINEE_A) && !key.contains(&f.trainee_b) && !key.contains("19900307"),
            "{key}"
        );
    }
}

/// One secret for both issuers would let either identity service mint the other's tokens.
/// Every request that verifies an operator's token checks it (a trainee's request reads only
/// the trainees' secret, a host call less), so such a county can review, approve and pay
/// nothing: no money moves until it is fixed.
#[tokio::test(flavor = "multi_thread")]
async fn a_county_misconfigured_with_one_secret_for_both_issuers_accepts_no_operator() {
    let mut vars = variables("370902");
    vars.insert("trainee_token_secret".into(), OPERATOR_SECRET.into());
    let county = County {
        host: county_host::Host::new(app(), fresh_store(), &vars).unwrap(),
    };
    for (method, path, token) in [
        ("GET", "/api/claims/queue", reviewer()),
        ("GET", "/api/claims/payable", finance()),
        ("GET", "/api/policy/history?table=standards", admin()),
        // Even a token the trainees' service signed, claiming to be an admin.
        (
            "GET",
            "/api/claims/queue",
            token_signed_with(Role::Admin, "op-x", OPERATOR_SECRET.as_bytes()),
        ),
    ] {
        let reply = call(method, path).bearer(&token).send(&county).await;
        assert_eq!(
            (reply.status, reply.error_code().as_str()),
            (500, "configuration_error"),
            "{method} {path}"
        );
    }
    assert!(
        county
            .logs()
            .contains("operator_token_secret and trainee_token_secret must differ"),
        "{}",
        county.logs()
    );
}

/// The county sets how long tokens may live; a token for longer is refused, one within it
/// is not, and a token living at most an hour never needs the setting read.
#[tokio::test(flavor = "multi_thread")]
async fn a_county_sets_how_long_tokens_may_live() {
    let mut vars = variables("370902");
    vars.insert("operator_token_max_minutes".into(), "120".into());
    vars.insert("trainee_token_max_minutes".into(), "abc".into());
    let county = County {
        host: county_host::Host::new(app(), fresh_store(), &vars).unwrap(),
    };
    let now = now();
    let minted = |role: Role, sub: &str, hours: i64| {
        let secret = if role == Role::Trainee {
            TRAINEE_SECRET
        } else {
            OPERATOR_SECRET
        };
        county_host::client::mint_token(role, sub, secret.as_bytes(), now - 10, hours * 3600)
    };
    let review = |hours: i64| {
        call("GET", "/api/claims/queue").bearer(&minted(Role::Reviewer, "op-li", hours))
    };
    assert_eq!(review(2).send(&county).await.status, 200);
    let three_hours = review(3).send(&county).await;
    assert_eq!(
        (three_hours.status, three_hours.error_code().as_str()),
        (401, "token_lifetime_too_long")
    );
    // The default county takes the same three-hour token: its operators' limit is 12 hours.
    assert_eq!(review(3).send(&taishan()).await.status, 200);

    // A broken setting is the county's fault (500, named in the log), not the caller's; an
    // hour-long token does not need it.
    let mine =
        |hours: i64| call("GET", "/api/claims").bearer(&minted(Role::Trainee, TRAINEE_A, hours));
    assert_eq!(mine(1).send(&county).await.status, 200);
    let day = mine(24).send(&county).await;
    assert_eq!(
        (day.status, day.error_code().as_str()),
        (500, "configuration_error")
    );
    assert!(
        county.logs().contains("trainee_token_max_minutes"),
        "{}",
        county.logs()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_before_their_nbf_or_issued_to_live_too_long_are_refused() {
    let county = taishan();
    let now = now();
    let sign = |claims: &subsidy_rules::auth::TokenClaims, secret: &str| {
        subsidy_rules::auth::sign_token(claims, secret.as_bytes())
    };
    let admin_for = |lifetime: i64, nbf: Option<i64>| subsidy_rules::auth::TokenClaims {
        sub: "op-wang".into(),
        role: Role::Admin,
        iat: now - 10,
        exp: now - 10 + lifetime,
        nbf,
        aud: None,
    };
    let ask = |token: String| {
        call("POST", "/api/admin/report-recount")
            .bearer(&token)
            .json(&serde_json::json!({"month": "2020-03"}))
    };
    let day_long = sign(&admin_for(24 * 3600, None), OPERATOR_SECRET);
    let refused = ask(day_long).send(&county).await;
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (401, "token_lifetime_too_long")
    );
    let later = sign(&admin_for(3600, Some(now + 600)), OPERATOR_SECRET);
    let refused = ask(later).send(&county).await;
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (401, "token_not_yet_valid")
    );
    let fine = sign(&admin_for(3600, Some(now - 10)), OPERATOR_SECRET);
    assert_eq!(ask(fine).send(&county).await.status, 200);
}
