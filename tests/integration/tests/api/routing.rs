//! Routing as every component answers it: a known path with a method it does not take is 405,
//! an unknown path 404, each in the one error shape, before any credentials are asked for.

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread")]
async fn every_component_answers_405_for_a_wrong_method_and_404_for_an_unknown_path() {
    let county = taishan();
    let wrong_methods = [
        ("DELETE", "/api/policy"),
        ("POST", "/api/policy/platforms"),
        ("GET", "/api/eligibility/check"),
        ("PUT", "/api/eligibility/registry"),
        ("DELETE", "/api/platform/completions"),
        (
            "GET",
            "/api/platform/credentials/pk_0123456789abcdef/rotate",
        ),
        ("PUT", "/api/claims"),
        ("GET", "/api/claims/c-0123456789abcdef/approve"),
        ("GET", "/api/admin/reconcile"),
        ("GET", "/api/accounts/sign-in"),
        ("DELETE", "/api/accounts/wang.li"),
        ("POST", "/console/"),
    ];
    for (method, path) in wrong_methods {
        let reply = call(method, path).send(&county).await;
        assert_eq!(
            (reply.status, reply.error_code().as_str()),
            (405, "method_not_allowed"),
            "{method} {path}"
        );
    }
    for path in [
        "/api/policy/nothing-here",
        "/api/eligibility/nothing-here",
        "/api/platform/nothing-here",
        "/api/claims/c-1/nothing-here",
        "/api/admin/nothing-here",
        "/api/accounts/wang.li/nothing-here",
        "/console/nothing-here.js",
    ] {
        let reply = call("GET", path).send(&county).await;
        assert_eq!(
            (reply.status, reply.error_code().as_str()),
            (404, "not_found"),
            "{path}"
        );
    }
}
