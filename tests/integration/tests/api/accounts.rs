//! Operator accounts (issue 16): created by an admin, signed in with a password for the token
//! every API accepts, locked after failures, disabled, and logged.

use crate::helpers::*;
use serde_json::{Value, json};

/// An admin (a token of the county's identity service) creates account `login`.
async fn create(county: &County, login: &str, roles: &[&str], password: &str) -> Reply {
    call("POST", "/api/accounts")
        .bearer(&admin())
        .json(
            &json!({"login": login, "display_name": "王丽", "roles": roles, "password": password}),
        )
        .send(county)
        .await
}

async fn sign_in(county: &County, body: Value) -> Reply {
    call("POST", "/api/accounts/sign-in")
        .json(&body)
        .send(county)
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_signs_in_for_a_token_the_apis_accept_in_the_role_it_chooses() {
    let county = taishan();
    let created = create(
        &county,
        "Wang.Li",
        &["reviewer", "finance"],
        "长城长城长城长城长城",
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.json());
    let body = created.json();
    assert_eq!(
        (&body["login"], &body["roles"], &body["disabled"]),
        (
            &json!("wang.li"),
            &json!(["reviewer", "finance"]),
            &json!(false)
        )
    );
    assert!(
        !body.to_string().contains("argon2"),
        "no password hash is ever answered: {body}"
    );
    let again = create(&county, "wang.li", &["admin"], "another password").await;
    assert_eq!(
        (again.status, again.error_code().as_str()),
        (409, "account_exists")
    );

    let no_role = sign_in(
        &county,
        json!({"login": "wang.li", "password": "长城长城长城长城长城"}),
    )
    .await;
    assert_eq!(
        (no_role.status, no_role.error_code().as_str()),
        (422, "role_required")
    );
    let signed = sign_in(
        &county,
        json!({"login": "WANG.LI", "password": "长城长城长城长城长城", "role": "reviewer"}),
    )
    .await;
    assert_eq!(signed.status, 200, "{}", signed.json());
    let signed = signed.json();
    assert_eq!(
        (&signed["role"], &signed["display_name"]),
        (&json!("reviewer"), &json!("王丽"))
    );
    let token = signed["token"].as_str().unwrap();
    let queue = call("GET", "/api/claims/queue?kind=review")
        .bearer(token)
        .send(&county)
        .await;
    assert_eq!(
        queue.status, 200,
        "the reviewer's token reads the review queue"
    );
    let accounts = call("GET", "/api/accounts")
        .bearer(token)
        .send(&county)
        .await;
    assert_eq!(
        (accounts.status, accounts.error_code().as_str()),
        (403, "forbidden_role"),
        "a reviewer does not manage accounts"
    );
    let not_held = sign_in(
        &county,
        json!({"login": "wang.li", "password": "长城长城长城长城长城", "role": "admin"}),
    )
    .await;
    assert_eq!(
        (not_held.status, not_held.error_code().as_str()),
        (422, "role_not_held")
    );

    // A wrong password and an unknown name get the same answer.
    for body in [
        json!({"login": "wang.li", "password": "长城长城长城长城长"}),
        json!({"login": "nobody", "password": "长城长城长城长城长城"}),
        json!({"login": "x", "password": "长城长城长城长城长城"}),
    ] {
        let refused = sign_in(&county, body).await;
        assert_eq!(
            (refused.status, refused.error_code().as_str()),
            (401, "sign_in_failed")
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn five_wrong_passwords_lock_the_account_for_fifteen_minutes_and_every_attempt_is_logged() {
    let county = taishan();
    assert_eq!(
        create(&county, "zhao.min", &["finance"], "correct horse battery")
            .await
            .status,
        201
    );
    let attempt =
        |password: &str| sign_in(&county, json!({"login": "zhao.min", "password": password}));
    for i in 1..5 {
        let refused = attempt("wrong horse battery").await;
        assert_eq!((refused.status, i), (401, i));
    }
    let locking = attempt("wrong horse battery").await;
    assert_eq!(
        (locking.status, locking.error_code().as_str()),
        (429, "account_locked")
    );
    assert_eq!(locking.header("retry-after"), Some("900"));
    let still = attempt("correct horse battery").await;
    assert_eq!(
        (still.status, still.error_code().as_str()),
        (429, "account_locked"),
        "even the right password waits"
    );
    let shown = call("GET", "/api/accounts/zhao.min")
        .bearer(&admin())
        .send(&county)
        .await
        .json();
    assert_eq!(shown["locked"], true, "{shown}");

    county.advance_clock(15 * 60);
    let admin_now = token_at(&county, Role::Admin, "op-admin");
    let after = attempt("correct horse battery").await;
    assert_eq!(after.status, 200, "{}", after.json());
    assert_eq!(after.json()["role"], "finance", "its only role");

    // Disabled, it signs in no more; enabled, it does again.
    let disable = call("POST", "/api/accounts/zhao.min/disable")
        .bearer(&admin_now)
        .send(&county)
        .await;
    assert_eq!(disable.status, 200, "{}", disable.json());
    let refused = attempt("correct horse battery").await;
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (403, "account_disabled")
    );
    let enable = call("POST", "/api/accounts/zhao.min/enable")
        .bearer(&admin_now)
        .send(&county)
        .await;
    assert_eq!(enable.status, 200);
    // A new password from an admin: the old one fails, the new one works.
    let reset = call("POST", "/api/accounts/zhao.min/password")
        .bearer(&admin_now)
        .json(&json!({"password": "zhao.min"}))
        .send(&county)
        .await;
    assert_eq!(
        (reset.status, reset.error_code().as_str()),
        (422, "weak_password")
    );
    let reset = call("POST", "/api/accounts/zhao.min/password")
        .bearer(&admin_now)
        .json(&json!({"password": "a new horse battery"}))
        .send(&county)
        .await;
    assert_eq!(reset.status, 200);
    assert_eq!(attempt("correct horse battery").await.status, 401);
    assert_eq!(attempt("a new horse battery").await.status, 200);

    let log = call("GET", "/api/accounts/log?limit=100")
        .bearer(&admin_now)
        .send(&county)
        .await
        .json();
    let events: Vec<(&str, &str)> = (log["events"].as_array().unwrap().iter())
        .map(|e| {
            (
                e["event"].as_str().unwrap(),
                e["changed"]["by"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("created", "op-admin"),
            ("sign_in_failed", "zhao.min"),
            ("sign_in_failed", "zhao.min"),
            ("sign_in_failed", "zhao.min"),
            ("sign_in_failed", "zhao.min"),
            ("locked", "zhao.min"),
            ("sign_in_while_locked", "zhao.min"),
            ("signed_in", "zhao.min"),
            ("disabled", "op-admin"),
            ("sign_in_while_disabled", "zhao.min"),
            ("enabled", "op-admin"),
            ("password_reset", "op-admin"),
            ("sign_in_failed", "zhao.min"),
            ("signed_in", "zhao.min"),
        ]
    );
    // Newest first, as an admin reads it: pages of 6 going back, until the first event.
    let mut newest: Vec<Value> = Vec::new();
    let mut before = String::new();
    loop {
        let page = call(
            "GET",
            &format!("/api/accounts/log?order=newest&limit=6{before}"),
        )
        .bearer(&admin_now)
        .send(&county)
        .await
        .json();
        newest.extend(page["events"].as_array().unwrap().iter().cloned());
        if page["done"] == true {
            break;
        }
        before = format!("&before={}", page["next_before"]);
    }
    let mut oldest = log["events"].as_array().unwrap().clone();
    oldest.reverse();
    assert_eq!(newest, oldest);
    let refused = call("GET", "/api/accounts/log?order=latest")
        .bearer(&admin_now)
        .send(&county)
        .await;
    assert_eq!(
        (
            refused.status,
            refused.error_code().as_str(),
            refused.json()["error"]["field"].as_str()
        ),
        (422, "invalid_order", Some("order"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn account_input_is_checked_field_by_field_and_an_admin_keeps_their_own_account() {
    let county = taishan();
    let bad = call("POST", "/api/accounts")
        .bearer(&admin())
        .json(
            &json!({"login": "王", "display_name": "", "roles": ["trainee"], "password": "short"}),
        )
        .send(&county)
        .await;
    assert_eq!(bad.status, 422);
    let body = bad.json();
    let fields: Vec<&str> = (body["error"]["details"].as_array().unwrap().iter())
        .map(|d| d["field"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(fields, ["login", "display_name", "roles", "password"]);
    assert_eq!(
        create(&county, "chen.admin", &["admin"], "an admin's password")
            .await
            .status,
        201
    );
    let own = sign_in(
        &county,
        json!({"login": "chen.admin", "password": "an admin's password"}),
    )
    .await
    .json();
    let token = own["token"].as_str().unwrap();
    let self_disable = call("POST", "/api/accounts/chen.admin/disable")
        .bearer(token)
        .send(&county)
        .await;
    assert_eq!(
        (self_disable.status, self_disable.error_code().as_str()),
        (409, "cannot_disable_self")
    );
    let roles = call("PUT", "/api/accounts/chen.admin/roles")
        .bearer(token)
        .json(&json!({"roles": ["admin", "reviewer"]}))
        .send(&county)
        .await;
    assert_eq!(roles.status, 200);
    assert_eq!(roles.json()["roles"], json!(["admin", "reviewer"]));
    // Its holder sets their own password, giving the current one.
    let change = |current: &str, new: &str| {
        call("POST", "/api/accounts/me/password")
            .bearer(token)
            .json(&json!({"current_password": current, "new_password": new}))
    };
    let wrong = change("not my password", "a brand new secret")
        .send(&county)
        .await;
    assert_eq!(
        (wrong.status, wrong.error_code().as_str()),
        (403, "current_password_wrong")
    );
    let changed = change("an admin's password", "a brand new secret")
        .send(&county)
        .await;
    assert_eq!(changed.status, 200, "{}", changed.json());
    let with_new = sign_in(
        &county,
        json!({"login": "chen.admin", "password": "a brand new secret", "role": "admin"}),
    )
    .await;
    assert_eq!(with_new.status, 200);
    let external = call("POST", "/api/accounts/me/password")
        .bearer(&admin())
        .json(&json!({"current_password": "x", "new_password": "a brand new secret"}))
        .send(&county)
        .await;
    assert_eq!(
        (external.status, external.error_code().as_str()),
        (409, "not_an_account"),
        "a token of the identity service has no password here"
    );
    let listed = call("GET", "/api/accounts")
        .bearer(token)
        .send(&county)
        .await;
    assert_eq!(listed.json()["accounts"][0]["login"], "chen.admin");
    let missing = call("GET", "/api/accounts/nobody")
        .bearer(token)
        .send(&county)
        .await;
    assert_eq!(missing.status, 404);
}
