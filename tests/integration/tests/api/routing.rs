//! Routing as every component answers it. Each component's route table (`src/routes.rs`) is
//! read here as the component reads it: every pattern must reach its component through
//! `spin.toml` as Spin routes, every method the table lacks must get 405 with the table's
//! `Allow`, and an unknown path 404 — each in the one error shape, before any credentials are
//! asked for. The split deployments (`spin up --component-id`) answer only their own routes.

use std::collections::{BTreeMap, BTreeSet};

use county_host::manifest::Manifest;
use county_host::routes::Router;

use crate::helpers::*;

/// The route tables, read from the very files the components `include!`.
mod tables {
    macro_rules! route_table {
        ($($method:ident $pattern:literal => $handler:path),* $(,)?) => {
            pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $pattern)),*];
        };
    }
    pub mod policy_lookup {
        include!("../../../../components/policy-lookup/src/routes.rs");
    }
    pub mod eligibility_check {
        include!("../../../../components/eligibility-check/src/routes.rs");
    }
    pub mod trainee_claims {
        include!("../../../../components/trainee-claims/src/routes.rs");
    }
    pub mod platform_completions {
        include!("../../../../components/platform-completions/src/routes.rs");
    }
    pub mod platform_invoices {
        include!("../../../../components/platform-invoices/src/routes.rs");
    }
    pub mod county_desk {
        include!("../../../../components/county-desk/src/routes.rs");
    }
    pub mod county_billing {
        include!("../../../../components/county-billing/src/routes.rs");
    }
    pub mod county_admin {
        include!("../../../../components/county-admin/src/routes.rs");
    }
    pub mod operator_console {
        include!("../../../../components/operator-console/src/routes.rs");
    }
    pub mod public_notice {
        include!("../../../../components/public-notice/src/routes.rs");
    }
}

/// Each component's id in `spin.toml` and its table.
const TABLES: [(&str, &[(&str, &str)]); 10] = [
    ("policy-lookup", tables::policy_lookup::ROUTES),
    ("eligibility-check", tables::eligibility_check::ROUTES),
    ("trainee-claims", tables::trainee_claims::ROUTES),
    ("platform-completions", tables::platform_completions::ROUTES),
    ("platform-invoices", tables::platform_invoices::ROUTES),
    ("county-desk", tables::county_desk::ROUTES),
    ("county-billing", tables::county_billing::ROUTES),
    ("county-admin", tables::county_admin::ROUTES),
    ("operator-console", tables::operator_console::ROUTES),
    ("public-notice", tables::public_notice::ROUTES),
];

/// The components a county exposes to the internet (as the deploy kit renders its public
/// SpinApp); the rest stay on its office network.
fn public_components() -> Vec<String> {
    include_str!("../../../../deploy/public-components.txt")
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// A path of `pattern`, each parameter filled with a value of the shape it takes.
fn sample_path(pattern: &str) -> String {
    let fill = |segment: &str| match segment.strip_prefix(':') {
        None => segment.to_owned(),
        Some("id") if pattern.starts_with("/api/claims") => "c-0123456789abcdef".into(),
        Some("id") if pattern.starts_with("/api/policy/platforms") => "wljnpx".into(),
        Some("id") => "shandong-2020-online".into(),
        Some("number") => "370902-wljnpx-202003-1".into(),
        Some("key_id") => "pk_0123456789abcdef".into(),
        Some("record_id") => "r-1".into(),
        Some("login") => "wang.li".into(),
        Some("occupation") => "4-03-02-01".into(),
        Some("level") => "5".into(),
        Some("file") => "style.css".into(),
        Some("year") => "2022".into(),
        Some("day") => "2020-04-30".into(),
        Some(other) => panic!("no sample value for :{other} in {pattern}"),
    };
    pattern.split('/').map(fill).collect::<Vec<_>>().join("/")
}

/// Each pattern of a table and the methods it takes, in table order.
fn methods_by_pattern(table: &[(&str, &'static str)]) -> BTreeMap<&'static str, Vec<String>> {
    let mut by_pattern: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for (method, pattern) in table {
        by_pattern
            .entry(pattern)
            .or_default()
            .push(method.to_string());
    }
    by_pattern
}

#[test]
fn every_pattern_of_every_table_is_routed_to_its_component_by_spin_toml() {
    let manifest = Manifest::load(&manifest_path()).unwrap();
    let routes = (manifest.trigger.http.iter()).map(|t| (t.route.as_str(), t.component.as_str()));
    let router = Router::build(routes).unwrap();
    for (component, table) in TABLES {
        assert!(manifest.component.contains_key(component), "{component}");
        assert!(!table.is_empty(), "{component}");
        for (_, pattern) in table {
            let path = sample_path(pattern);
            let found = router
                .route(&path)
                .unwrap_or_else(|| panic!("{path}: no route"));
            assert_eq!(found.handler.component, component, "{pattern} ({path})");
        }
    }
    // Every exact or parameter route of spin.toml is a pattern of its component's table.
    for trigger in &manifest.trigger.http {
        if trigger.route.ends_with("/...") {
            continue;
        }
        let (_, table) = TABLES
            .iter()
            .find(|(c, _)| *c == trigger.component)
            .unwrap();
        assert!(
            table.iter().any(|(_, p)| *p == trigger.route),
            "{} routes {} which its table lacks",
            trigger.component,
            trigger.route
        );
    }
    assert_eq!(manifest.component.len(), TABLES.len());
}

/// The contract documents exactly the routes the tables have, each with the component that
/// answers it as its tag: no route undocumented, no documented operation that no table has.
#[test]
fn the_openapi_document_has_every_route_of_every_table_and_no_other() {
    let document = crate::contract::document();
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let tag = operation["tags"][0].as_str().unwrap_or("no tag").to_owned();
            documented.insert((method.to_uppercase(), path.clone(), tag));
        }
    }
    let mut routed = BTreeSet::new();
    for (component, table) in TABLES {
        for (method, pattern) in table {
            let segments: Vec<String> = (pattern.split('/'))
                .map(|s| match s.strip_prefix(':') {
                    Some(name) => format!("{{{name}}}"),
                    None => s.to_owned(),
                })
                .collect();
            routed.insert((method.to_string(), segments.join("/"), component.to_owned()));
        }
    }
    assert_eq!(
        documented.difference(&routed).collect::<Vec<_>>(),
        Vec::<&(String, String, String)>::new(),
        "documented, but in no table"
    );
    assert_eq!(
        routed.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String, String)>::new(),
        "in a table, but not documented"
    );
}

/// `GET /api/openapi.json` serves the repository's document, cached as the policy is.
#[tokio::test(flavor = "multi_thread")]
async fn the_served_openapi_document_is_the_repositorys_and_any_cache_may_keep_it() {
    let county = taishan();
    let reply = call("GET", "/api/openapi.json").send(&county).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), crate::contract::document());
    assert_eq!(reply.json()["openapi"], "3.1.0");
    assert_eq!(reply.header("cache-control"), Some("public, max-age=60"));
    let tag = reply.header("etag").expect("a tag");
    let again = call("GET", "/api/openapi.json")
        .header("if-none-match", tag)
        .send(&county)
        .await;
    assert_eq!((again.status, again.body.len()), (304, 0));
    assert_eq!(reply.calls.store_operations(), 0, "a static document");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_method_a_table_lacks_gets_405_with_the_tables_allow() {
    let county = taishan();
    for (component, table) in TABLES {
        for (pattern, methods) in methods_by_pattern(table) {
            let path = sample_path(pattern);
            let mut allow = methods.clone();
            if methods.iter().any(|m| m == "GET") {
                allow.push("HEAD".into());
            }
            for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
                let reply = call(method, &path).send(&county).await;
                if methods.iter().any(|m| m == method) {
                    // Routed to its handler: whatever it answers, it is not a routing refusal.
                    assert_ne!(reply.status, 405, "{component}: {method} {path}");
                    continue;
                }
                assert_eq!(
                    (reply.status, reply.error_code().as_str()),
                    (405, "method_not_allowed"),
                    "{component}: {method} {path}"
                );
                let header = reply.headers.get("allow").map(|h| h.to_str().unwrap());
                assert_eq!(header, Some(allow.join(", ").as_str()), "{method} {path}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_path_under_any_component_is_404_in_the_error_shape() {
    let county = taishan();
    for path in [
        "/api/policy/nothing-here",
        "/api/eligibility/nothing-here",
        "/api/platform/nothing-here",
        "/api/platform/invoices/370902-wljnpx-202003-1/nothing-here",
        "/api/platform/credentials/pk_0123456789abcdef/nothing-here",
        "/api/claims/c-1/nothing-here",
        "/api/claims//approve",
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
    // A word the desk's table knows, sent where the trainee's `:id` takes it, is no claim id.
    let reply = call("GET", "/api/claims/not-a-claim").send(&county).await;
    assert_eq!(reply.status, 404);
}

/// A county's public deployment: only the public components, as `spin up --component-id`
/// (and SpinKube's `SpinApp.spec.components`) runs them.
fn public_only() -> County {
    let app = county_host::App::load_only(&manifest_path(), &public_components()).unwrap();
    County {
        host: county_host::Host::new(app, fresh_store(), &variables("370902")).unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_public_deployment_answers_trainees_and_platforms_and_nothing_of_the_desk() {
    let county = public_only();
    let trainee = token(Role::Trainee, TRAINEE_A);
    let reply = call("GET", "/api/claims")
        .bearer(&trainee)
        .send(&county)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json());
    let reply = call("GET", "/api/policy").send(&county).await;
    assert_eq!(reply.status, 200);
    let reply = call("GET", "/api/platform/invoices").send(&county).await;
    assert_eq!(reply.status, 401);
    let finance = token(Role::Finance, "op-zhao");
    // The desk's and the county's billing routes are not there: a public component's wildcard
    // catches them and knows none; the admin's and the console's get Spin's own 404.
    for (method, path) in [
        ("GET", "/api/claims/queue"),
        ("GET", "/api/claims/payable"),
        ("POST", "/api/claims/c-0123456789abcdef/approve"),
        ("POST", "/api/claims/c-0123456789abcdef/pay"),
        (
            "POST",
            "/api/platform/invoices/370902-wljnpx-202003-1/approve",
        ),
        ("POST", "/api/platform/credentials"),
    ] {
        let reply = call(method, path).bearer(&finance).send(&county).await;
        assert_eq!(
            (reply.status, reply.error_code().as_str()),
            (404, "not_found"),
            "{method} {path}"
        );
    }
    for path in ["/api/admin/reconcile", "/api/accounts/sign-in", "/console/"] {
        let reply = call("POST", path).send(&county).await;
        assert_eq!(reply.status, 404, "{path}");
    }
}
