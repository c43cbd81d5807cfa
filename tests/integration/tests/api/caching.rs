//! HTTP caching: public reads asked without credentials may be kept by any cache for a minute
//! and answer 304 to their tag; anything asked with credentials, and personal answers, are never
//! stored; the console's files are
//! checked on every load and answer 304 while unchanged.

use crate::helpers::*;
use county_host::client::Reply;
use serde_json::json;

/// A GET sent again with `If-None-Match` naming `first`'s tag.
async fn again(county: &County, path: &str, first: &Reply) -> Reply {
    call("GET", path)
        .header("if-none-match", first.header("etag").expect("a tag"))
        .send(county)
        .await
}

#[tokio::test]
async fn public_reads_are_shared_for_a_minute_and_answer_304_to_their_tag_until_they_change() {
    let county = taishan();
    set_standard(&county, "4-03-02-01", "1000").await;
    for path in [
        "/api/policy",
        "/api/policy/versions/shandong-2020-02",
        "/api/policy/standards",
        "/api/policy/platforms",
    ] {
        let first = call("GET", path).send(&county).await;
        assert_eq!(first.status, 200, "{path}");
        assert_eq!(
            first.header("cache-control"),
            Some("public, max-age=60"),
            "{path}"
        );
        assert_eq!(first.header("vary"), Some("Authorization"), "{path}");
        let tag = first.header("etag").expect("a tag");
        assert!(
            tag.starts_with('"') && !tag.starts_with("W/"),
            "{path}: {tag}"
        );
        let unchanged = again(&county, path, &first).await;
        assert_eq!(unchanged.status, 304, "{path}");
        assert!(unchanged.body.is_empty(), "{path}");
        assert_eq!(unchanged.header("etag"), Some(tag), "{path}");
        assert_eq!(
            unchanged.header("cache-control"),
            Some("public, max-age=60")
        );
        // A weak form and a list naming it match too (RFC 9110 §13.1.2); HEAD as GET.
        let listed = call("HEAD", path)
            .header("if-none-match", &format!("\"0-0\", W/{tag}"))
            .send(&county)
            .await;
        assert_eq!(listed.status, 304, "{path}");
    }

    // The admin changes the standard, naming the revision by the public tag: the table's
    // tag moves, and the old one gets the new table.
    let first = call("GET", "/api/policy/standards").send(&county).await;
    let changed = call("PUT", "/api/policy/standards/4-03-02-01/5")
        .bearer(&admin())
        .header("if-match", first.header("etag").unwrap())
        .json(&json!({"standard": "1200", "valid_from": "2020-01-01", "reason": "县财政局更正"}))
        .send(&county)
        .await;
    assert_eq!(changed.status, 200, "{}", changed.json());
    let after = again(&county, "/api/policy/standards", &first).await;
    assert_eq!(after.status, 200);
    assert_ne!(after.header("etag"), first.header("etag"));
    assert!(after.json()["standards"].to_string().contains("1200"));
    // The old tag, sent as If-Match, names an older revision now.
    let stale = call("PUT", "/api/policy/standards/4-03-02-01/5")
        .bearer(&admin())
        .header("if-match", first.header("etag").unwrap())
        .json(&json!({"standard": "1300", "valid_from": "2020-01-01", "reason": "再次更正"}))
        .send(&county)
        .await;
    assert_eq!(stale.status, 412, "{}", stale.json());
}

#[tokio::test]
async fn operators_views_personal_answers_and_errors_are_never_stored() {
    let county = reported_in(taishan()).await;
    let operator = call("GET", "/api/policy/standards")
        .bearer(&reviewer())
        .send(&county)
        .await;
    assert_eq!(operator.status, 200);
    assert_eq!(operator.header("cache-control"), Some("private, no-store"));
    let anonymous = call("GET", "/api/policy/standards").send(&county).await;
    assert_ne!(operator.header("etag"), anonymous.header("etag"));
    for (what, reply) in [
        // An operator who just added a version must see it at once: kept nowhere, not even
        // by the console's browser (a shared answer once kept it for a minute).
        (
            "the policy, asked by an operator",
            call("GET", "/api/policy")
                .bearer(&admin())
                .send(&county)
                .await,
        ),
        (
            "a policy version, asked by a trainee",
            call("GET", "/api/policy/versions/shandong-2020-02")
                .bearer(&trainee(TRAINEE_A))
                .send(&county)
                .await,
        ),
        (
            "a trainee's records",
            call("GET", "/api/claims/completions")
                .bearer(&trainee(TRAINEE_A))
                .send(&county)
                .await,
        ),
        (
            "a trainee's claims",
            call("GET", "/api/claims")
                .bearer(&trainee(TRAINEE_A))
                .send(&county)
                .await,
        ),
        (
            "the review queue",
            call("GET", "/api/claims/queue")
                .bearer(&reviewer())
                .send(&county)
                .await,
        ),
        ("a refusal", call("GET", "/api/claims").send(&county).await),
        (
            "not found",
            call("GET", "/api/policy/versions/none").send(&county).await,
        ),
    ] {
        assert_eq!(
            reply.header("cache-control"),
            Some("private, no-store"),
            "{what}: {}",
            reply.status
        );
    }
}

/// `county` with platform wljnpx's one reported record of TRAINEE_A.
async fn reported_in(county: County) -> County {
    let platform = credential(&county, "wljnpx").await;
    let reply = report(
        &county,
        &platform,
        vec![record("r0", TRAINEE_A, "4-03-02-01", "2020-03-15")],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.json());
    county
}

#[tokio::test]
async fn the_consoles_files_are_checked_on_every_load_and_answer_304_while_unchanged() {
    let county = taishan();
    for path in ["/console/", "/console/app.js", "/console/style.css"] {
        let first = call("GET", path).send(&county).await;
        assert_eq!(first.status, 200, "{path}");
        assert_eq!(first.header("cache-control"), Some("no-cache"), "{path}");
        let unchanged = again(&county, path, &first).await;
        assert_eq!(unchanged.status, 304, "{path}");
        assert!(unchanged.body.is_empty());
        let other = call("GET", path)
            .header("if-none-match", "\"0123456789abcdef\"")
            .send(&county)
            .await;
        assert_eq!(other.status, 200, "{path}");
        assert_eq!(other.body, first.body);
    }
    let script = call("GET", "/console/app.js").send(&county).await;
    let page = call("GET", "/console/").send(&county).await;
    assert_ne!(script.header("etag"), page.header("etag"));
}
