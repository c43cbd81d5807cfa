//! Policy lookup through the compiled component: reading the policy, the platform register
//! and the standards table; county admins changing them; every refusal.

use crate::helpers::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn anyone_reads_every_parameter_of_the_policy_in_force() {
    let county = taishan();
    let reply = call("GET", "/api/policy").send(&county).await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["county"], json!({"code": "370902", "name": "泰山区"}));
    let current = &body["current"];
    assert_eq!(current["id"], "shandong-2020-02");
    assert_eq!(
        current["window"],
        json!({"from": "2020-02-06", "to": "2020-06-30"})
    );
    assert_eq!(current["living_allowance"]["yuan_per_study_hour"], "5.00");
    assert_eq!(current["living_allowance"]["fund"], "就业补助资金");
    assert_eq!(
        current["platform_subsidy"]["share_of_local_standard"],
        "0.20"
    );
    assert_eq!(
        current["platform_subsidy"]["fund"],
        "职业技能提升行动专账资金"
    );
    assert_eq!(current["claim_limits"]["per_person_per_calendar_year"], 3);
    assert_eq!(
        current["claim_limits"]["once_per_occupation_and_level"],
        true
    );
    assert_eq!(
        current["graduate_rule"]["max_years_since_leaving_school"],
        2
    );
    assert_eq!(
        current["key_groups"],
        json!([
            "migrant_worker",
            "unemployed_graduate",
            "poor_laborer",
            "poor_family_child"
        ])
    );
    // Today (2026 or later) is past the window: the last version still reads, marked so.
    assert_eq!(body["in_force_today"], false);
    assert_eq!(body["versions"][0]["id"], "shandong-2020-02");

    let version = call("GET", "/api/policy/versions/shandong-2020-02")
        .send(&county)
        .await;
    assert_eq!(version.status, 200);
    assert_eq!(version.json()["documents"][0], "鲁人社字〔2020〕11号");
    let missing = call("GET", "/api/policy/versions/nope").send(&county).await;
    assert_eq!(
        (missing.status, missing.error_code().as_str()),
        (404, "not_found")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_platform_register_starts_from_the_notices() {
    let taishan = call("GET", "/api/policy/platforms").send(&taishan()).await;
    assert_eq!(taishan.status, 200);
    // The public tag: the revision, then a hash of the body (`caching::shared`).
    assert!(taishan.header("etag").unwrap().starts_with("\"0-"));
    let body = taishan.json();
    assert_eq!(body["source"], "built_in_seed");
    let platforms = body["platforms"].as_array().unwrap();
    assert_eq!(platforms.len(), 10);
    let wljnpx = platforms.iter().find(|p| p["id"] == "wljnpx").unwrap();
    assert_eq!(wljnpx["name"], "互联网+职业技能培训网");
    assert_eq!(wljnpx["site"], "www.wljnpx.com");
    assert_eq!(wljnpx["status"], "approved");
    // No contact person or phone from the notices is served.
    assert!(!String::from_utf8_lossy(&taishan.body).contains("137"));

    // A Jinan county has the province's list only.
    let jinan = call("GET", "/api/policy/platforms")
        .send(&county("370102"))
        .await;
    assert_eq!(jinan.json()["platforms"].as_array().unwrap().len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn admins_change_the_register_and_the_change_records_who_and_when() {
    let county = taishan();
    let suspend = json!({
        "name": "行知学徒网",
        "site": "www.ixueto.com",
        "recorded_on": "2020-02-06",
        "status": "suspended"
    });
    let reply = call("PUT", "/api/policy/platforms/ixueto")
        .bearer(&admin())
        .json(&suspend)
        .send(&county)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json());
    assert_eq!(reply.header("etag"), Some("\"1\""));
    // Anyone sees when it changed; only operators see who changed it.
    let public = call("GET", "/api/policy/platforms")
        .send(&county)
        .await
        .json();
    assert!(public["changed"]["at"].is_string(), "{public}");
    assert!(!public.to_string().contains("op-admin"), "{public}");
    let register = call("GET", "/api/policy/platforms")
        .bearer(&reviewer())
        .send(&county)
        .await
        .json();
    assert_eq!(register["revision"], 1);
    assert_eq!(register["source"], "county");
    assert_eq!(register["changed"]["by"], "op-admin");
    let ixueto = register["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "ixueto")
        .unwrap()
        .clone();
    assert_eq!(ixueto["status"], "suspended");
    assert_eq!(ixueto["changed"]["by"], "op-admin");
    assert!(
        ixueto["changed"]["at"]
            .as_str()
            .unwrap()
            .ends_with("+08:00")
    );

    // The whole register replaced: the county keeps only its own platform.
    let replacement = json!({"platforms": [{
        "id": "taian-shuangchuang", "name": "泰安双创平台-泰山集结号",
        "recorded_on": "2020-02-12", "status": "approved"
    }]});
    let stale = call("PUT", "/api/policy/platforms")
        .bearer(&admin())
        .header("if-match", "\"0\"")
        .json(&replacement)
        .send(&county)
        .await;
    assert_eq!(
        (stale.status, stale.error_code().as_str()),
        (412, "revision_mismatch")
    );
    let replaced = call("PUT", "/api/policy/platforms")
        .bearer(&admin())
        .header("if-match", "\"1\"")
        .json(&replacement)
        .send(&county)
        .await;
    assert_eq!(replaced.status, 200);
    let register = call("GET", "/api/policy/platforms")
        .send(&county)
        .await
        .json();
    assert_eq!(register["revision"], 2);
    // The platforms left out are kept, their approval ended today: training assessed while
    // they were approved still counts.
    let platforms = register["platforms"].as_array().unwrap();
    assert_eq!(platforms.len(), 10);
    let approved: Vec<&Value> = (platforms.iter())
        .filter(|p| p["status"] == "approved")
        .collect();
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0]["id"], "taian-shuangchuang");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_register_is_refused_whole_with_every_problem() {
    let county = taishan();
    let bad = json!({"platforms": [
        {"id": "Bad Id", "name": "", "recorded_on": "2020-02-30", "status": "maybe"},
        {"id": "dup", "name": "甲", "status": "approved"},
        {"id": "dup", "name": "乙", "status": "approved"}
    ]});
    let reply = call("PUT", "/api/policy/platforms")
        .bearer(&admin())
        .json(&bad)
        .send(&county)
        .await;
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (422, "invalid_input")
    );
    let fields: Vec<String> = reply
        .details()
        .into_iter()
        .map(|(_, field)| field)
        .collect();
    assert_eq!(
        fields,
        [
            "platforms[0].id",
            "platforms[0].name",
            "platforms[0].recorded_on",
            "platforms[0].status",
            "platforms[2].id"
        ]
    );
    let register = call("GET", "/api/policy/platforms")
        .send(&county)
        .await
        .json();
    assert_eq!(register["revision"], 0, "nothing changed");

    let mismatch = call("PUT", "/api/policy/platforms/ixueto")
        .bearer(&admin())
        .json(&json!({"id": "wfjtip", "name": "x", "status": "approved"}))
        .send(&county)
        .await;
    assert_eq!(
        (mismatch.status, mismatch.error_code().as_str()),
        (422, "id_mismatch")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn standards_are_kept_filtered_and_removed() {
    let county = taishan();
    let empty = call("GET", "/api/policy/standards").send(&county).await;
    assert_eq!(
        empty.json(),
        json!({"revision": 0, "standards": [], "in_force": [], "scheduled": []})
    );

    let table = json!({"standards": [
        {"occupation": "4-03-02-01", "occupation_name": "中式烹调师", "level": "5", "standard": 1200, "valid_from": "2020-01-01"},
        {"occupation": "4-03-02-01", "occupation_name": "中式烹调师", "level": "4", "standard": "1500.50", "valid_from": "2020-01-01"},
        {"occupation": "4-10-01-01", "occupation_name": "养老护理员", "level": "5", "standard": 1000, "valid_from": "2020-01-01"},
        {"occupation": "6-28-01-05", "level": "none", "standard": 800, "valid_from": "2020-01-01"}
    ]});
    let put = call("PUT", "/api/policy/standards")
        .bearer(&admin())
        .json(&table)
        .send(&county)
        .await;
    assert_eq!(put.status, 200, "{}", put.json());
    assert_eq!(put.json()["standards"][1]["standard"], "1500.50");

    let cooks = call("GET", "/api/policy/standards?occupation=4-03")
        .send(&county)
        .await;
    assert!(cooks.header("etag").unwrap().starts_with("\"1-"));
    assert_eq!(cooks.json()["standards"].as_array().unwrap().len(), 2);
    let level5 = call("GET", "/api/policy/standards?level=5")
        .send(&county)
        .await
        .json();
    assert_eq!(level5["standards"].as_array().unwrap().len(), 2);
    let both = call("GET", "/api/policy/standards?occupation=4-10&level=5")
        .send(&county)
        .await
        .json();
    assert_eq!(both["standards"][0]["occupation_name"], "养老护理员");
    let bad_filter = call("GET", "/api/policy/standards?level=6&occupation=abc")
        .send(&county)
        .await;
    assert_eq!(bad_filter.status, 422);
    assert_eq!(bad_filter.details().len(), 2);

    // Changed: from today on, beside the earlier standard (which earlier days keep).
    let one = call("PUT", "/api/policy/standards/4-03-02-01/5")
        .bearer(&admin())
        .json(&json!({"standard": "1300"}))
        .send(&county)
        .await;
    assert_eq!(one.status, 200);
    let cook5 = call("GET", "/api/policy/standards?occupation=4-03-02-01&level=5")
        .send(&county)
        .await
        .json();
    let periods = cook5["standards"].as_array().unwrap();
    assert_eq!(periods.len(), 2, "{cook5}");
    assert_eq!(periods[1]["standard"], "1300.00");
    assert!(periods[1]["valid_from"].is_string());
    assert_eq!(cook5["revision"], 2);

    // Removed: ended from today, every period before kept.
    let gone = call("DELETE", "/api/policy/standards/6-28-01-05/none")
        .bearer(&admin())
        .send(&county)
        .await;
    assert_eq!(gone.status, 200);
    assert_eq!(gone.json()["standards"].as_array().unwrap().len(), 5);
    assert_eq!(gone.json()["ended"][0]["occupation"], "6-28-01-05");
    let listed = call("GET", "/api/policy/standards?occupation=6-28")
        .send(&county)
        .await
        .json();
    assert_eq!(listed["in_force"], json!([]), "{listed}");
    assert_eq!(listed["standards"].as_array().unwrap().len(), 1);
    let again = call("DELETE", "/api/policy/standards/6-28-01-05/none")
        .bearer(&admin())
        .send(&county)
        .await;
    assert_eq!(
        (again.status, again.error_code().as_str()),
        (404, "not_found")
    );
    let bad_path = call("DELETE", "/api/policy/standards/6-28/7")
        .bearer(&admin())
        .send(&county)
        .await;
    assert_eq!(bad_path.status, 422);
    assert_eq!(
        bad_path.details(),
        [
            (
                "invalid_occupation_code".to_owned(),
                "occupation".to_owned()
            ),
            ("invalid_level".to_owned(), "level".to_owned())
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_standards_change_nothing() {
    let county = taishan();
    let table = json!({"standards": [
        {"occupation": "4-03-02", "level": "7", "standard": 0},
        {"occupation": "4-03-02-01", "level": "5", "standard": "12.345"},
        {"occupation": "4-03-02-01", "level": "5", "standard": 1000}
    ]});
    let reply = call("PUT", "/api/policy/standards")
        .bearer(&admin())
        .json(&table)
        .send(&county)
        .await;
    assert_eq!(reply.status, 422);
    let codes: Vec<String> = reply.details().into_iter().map(|(code, _)| code).collect();
    assert_eq!(
        codes,
        [
            "invalid_occupation_code",
            "invalid_level",
            "invalid_amount",
            "invalid_amount"
        ]
    );
    let after = call("GET", "/api/policy/standards")
        .send(&county)
        .await
        .json();
    assert_eq!(after["revision"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_admins_change_tables() {
    let county = taishan();
    let body = json!({"standard": 1000});
    let put = || call("PUT", "/api/policy/standards/4-03-02-01/5").json(&body);

    let none = put().send(&county).await;
    assert_eq!(
        (none.status, none.error_code().as_str()),
        (401, "unauthenticated")
    );
    assert!(
        none.header("www-authenticate")
            .is_some_and(|h| h.starts_with("Bearer"))
    );
    let basic = put()
        .header("authorization", "Basic b3A6cHc=")
        .send(&county)
        .await;
    assert_eq!(
        (basic.status, basic.error_code().as_str()),
        (401, "token_malformed")
    );
    let expired = put().bearer(&expired_admin()).send(&county).await;
    assert_eq!(
        (expired.status, expired.error_code().as_str()),
        (401, "token_expired")
    );
    let mut tampered = admin();
    let last = tampered.pop();
    // Another last character that decodes (a 32-byte signature's last one carries 4 bits, so
    // only every fourth letter is canonical there): the signature is whole, and wrong.
    tampered.push(if last == Some('A') { 'E' } else { 'A' });
    let forged = put().bearer(&tampered).send(&county).await;
    assert_eq!(
        (forged.status, forged.error_code().as_str()),
        (401, "token_signature_invalid")
    );
    let garbage = put().bearer("not-a-token").send(&county).await;
    assert_eq!(
        (garbage.status, garbage.error_code().as_str()),
        (401, "token_malformed")
    );
    for role_token in [reviewer(), finance(), trainee(TRAINEE_A)] {
        let denied = put().bearer(&role_token).send(&county).await;
        assert_eq!(
            (denied.status, denied.error_code().as_str()),
            (403, "forbidden_role")
        );
    }
    // A token signed with another county's secret is worthless here.
    let other_county =
        token_signed_with(Role::Admin, "op", b"another-county-secret-0123456789abcdef");
    let foreign = put().bearer(&other_county).send(&county).await;
    assert_eq!(
        (foreign.status, foreign.error_code().as_str()),
        (401, "token_signature_invalid")
    );

    let table = call("GET", "/api/policy/standards")
        .send(&county)
        .await
        .json();
    assert_eq!(table["revision"], 0, "no refused request changed anything");
    assert_eq!(put().bearer(&admin()).send(&county).await.status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_class_of_bad_request_gets_a_structured_4xx() {
    let county = taishan();
    let put = || call("PUT", "/api/policy/standards").bearer(&admin());
    let cases = [
        (
            put()
                .header("content-type", "application/json")
                .raw(b"{\"standards\": [".to_vec()),
            400,
            "malformed_json",
        ),
        (
            put()
                .header("content-type", "application/json")
                .raw(vec![0xff, 0xfe]),
            400,
            "malformed_json",
        ),
        (
            put().header("content-type", "application/json"),
            400,
            "body_required",
        ),
        (
            put().json(&json!({"standards": [], "extra": 1})),
            422,
            "invalid_field",
        ),
        (
            put().json(&json!({"standards": [{"occupation": 4}]})),
            422,
            "invalid_field",
        ),
        (put().json(&json!([])), 422, "body_not_object"),
        (
            put()
                .header("content-type", "text/plain")
                .raw(b"{}".to_vec()),
            415,
            "unsupported_media_type",
        ),
        (
            put()
                .header("content-type", "application/json")
                .raw(vec![b' '; 600 * 1024]),
            413,
            "body_too_large",
        ),
        (
            put()
                .header("if-match", "soon")
                .json(&json!({"standards": []})),
            400,
            "invalid_if_match",
        ),
        (call("GET", "/api/policy/nothing-here"), 404, "not_found"),
        (call("POST", "/api/policy"), 405, "method_not_allowed"),
        (
            call("PATCH", "/api/policy/standards"),
            405,
            "method_not_allowed",
        ),
    ];
    for (request, status, code) in cases {
        let reply = request.send(&county).await;
        assert_eq!(
            (reply.status, reply.error_code()),
            (status, code.to_owned()),
            "{}",
            reply.json()
        );
    }
    let unknown_field = put()
        .json(&json!({"standards": [], "extra": 1}))
        .send(&county)
        .await;
    assert_eq!(unknown_field.json()["error"]["field"], "extra");
    let nested = put()
        .json(&json!({"standards": [{"occupation": 4}]}))
        .send(&county)
        .await;
    assert_eq!(nested.json()["error"]["field"], "standards[0].occupation");
    let table = call("GET", "/api/policy/standards")
        .send(&county)
        .await
        .json();
    assert_eq!(table["revision"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_host_routes_like_spin() {
    let county = taishan();
    assert_eq!(call("GET", "/elsewhere").send(&county).await.status, 404);
    assert_eq!(call("GET", "/api/policyx").send(&county).await.status, 404);
    assert_eq!(call("GET", "/api/policy/").send(&county).await.status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_change_of_a_county_table_is_kept_for_operators_to_read() {
    let county = taishan();
    set_standard(&county, "4-03-02-01", "1000").await;
    let today = call("PUT", "/api/policy/standards/4-03-02-01/5")
        .bearer(&admin())
        .json(&json!({"standard": "1500"}))
        .send(&county)
        .await;
    assert_eq!(today.status, 200, "{}", today.json());
    let gone = call("DELETE", "/api/policy/standards/4-03-02-01/5")
        .bearer(&admin())
        .send(&county)
        .await;
    assert_eq!(gone.status, 200);
    let history = call("GET", "/api/policy/history?table=standards")
        .bearer(&reviewer())
        .send(&county)
        .await;
    assert_eq!(history.status, 200, "{}", history.json());
    let revisions = history.json()["revisions"].as_array().unwrap().clone();
    // In force first, then each it replaced, down to the empty table the county began with.
    let shown: Vec<(u64, usize)> = revisions
        .iter()
        .map(|r| {
            (
                r["revision"].as_u64().unwrap(),
                r["standards"].as_array().unwrap().len(),
            )
        })
        .collect();
    // Ending the standard today replaced today's period (set the same day) and kept the
    // first: nothing before today was removed.
    assert_eq!(shown, [(3, 1), (2, 2), (1, 1), (0, 0)]);
    assert_eq!(revisions[0]["ended"][0]["occupation"], "4-03-02-01");
    assert_eq!(revisions[0]["changed"]["by"], "op-admin");
    assert_eq!(revisions[2]["standards"][0]["standard"], "1000.00");

    let suspended = call("PUT", "/api/policy/platforms/ixueto")
        .bearer(&admin())
        .json(&json!({"name": "学习通", "recorded_on": "2020-02-06", "status": "suspended"}))
        .send(&county)
        .await;
    assert_eq!(suspended.status, 200, "{}", suspended.json());
    let platforms = call("GET", "/api/policy/history?table=platforms&limit=5")
        .bearer(&finance())
        .send(&county)
        .await
        .json();
    let revisions = platforms["revisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 2, "the change and the seed it replaced");
    assert_eq!(revisions[1]["source"], "built_in_seed");

    assert_eq!(
        call("GET", "/api/policy/history?table=standards")
            .send(&county)
            .await
            .status,
        401
    );
    let bad = call("GET", "/api/policy/history?table=claims&limit=0")
        .bearer(&admin())
        .send(&county)
        .await;
    assert_eq!((bad.status, bad.details().len()), (422, 2));
}

/// The built-in version moved to `from`..`to` as `id`, at 6.00 an hour: an extension an admin
/// adds through the API.
async fn proposed_version(county: &County, id: &str, from: &str, to: &str) -> serde_json::Value {
    let mut version = call("GET", "/api/policy/versions/shandong-2020-02")
        .send(county)
        .await
        .json();
    version["id"] = id.into();
    version["window"] = json!({"from": from, "to": to});
    version["living_allowance"]["yuan_per_study_hour"] = "6.00".into();
    version
}

fn china_day_plus(county: &County, days: i64) -> String {
    let at = chrono::DateTime::from_timestamp(county.now_unix(), 0).unwrap();
    (subsidy_rules::dates::china_day(at) + chrono::Duration::days(days)).to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_adds_a_version_that_judges_from_its_first_day_and_never_changes_a_past_one() {
    let county = taishan();
    let (tomorrow, later) = (china_day_plus(&county, 1), china_day_plus(&county, 180));
    let extension = proposed_version(&county, "shandong-ext", &tomorrow, &later).await;
    let add = |token: String, body: serde_json::Value| {
        call("POST", "/api/policy/versions")
            .bearer(&token)
            .json(&body)
    };

    // Refused, each with its reasons, and nothing kept: starting today, by a reviewer, with
    // an impossible rate or a field the policy does not have.
    let today = china_day_plus(&county, 0);
    let mut starts_today = extension.clone();
    starts_today["window"]["from"] = today.clone().into();
    starts_today["living_allowance"]["yuan_per_study_hour"] = "0".into();
    let refused = add(admin(), starts_today).send(&county).await;
    assert_eq!(refused.status, 422, "{}", refused.json());
    let fields: Vec<(String, String)> = (refused.json()["error"]["details"].as_array().unwrap())
        .iter()
        .map(|r| {
            (
                r["code"].as_str().unwrap().to_owned(),
                r["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            (
                "invalid_policy_version".to_owned(),
                "living_allowance.yuan_per_study_hour".to_owned()
            ),
            (
                "policy_version_not_in_future".to_owned(),
                "window.from".to_owned()
            )
        ]
    );
    let by_reviewer = add(reviewer(), extension.clone()).send(&county).await;
    assert_eq!(by_reviewer.status, 403);
    let mut unknown = extension.clone();
    unknown["surprise"] = true.into();
    assert_eq!(add(admin(), unknown).send(&county).await.status, 422);
    let unchanged = call("GET", "/api/policy").send(&county).await.json();
    assert_eq!(unchanged["versions"].as_array().unwrap().len(), 1);

    let added = add(admin(), extension.clone()).send(&county).await;
    assert_eq!(added.status, 201, "{}", added.json());
    assert_eq!(added.header("etag"), Some("\"1\""));
    assert_eq!(added.json()["versions"][0]["id"], "shandong-ext");
    assert_eq!(added.json()["changed"]["by"], "op-admin");
    let beyond = china_day_plus(&county, 200);
    let overlapping = proposed_version(&county, "other", &later, &beyond).await;
    let overlaps = add(admin(), overlapping).send(&county).await;
    assert_eq!(
        (overlaps.status, overlaps.error_code().as_str()),
        (422, "policy_version_overlaps")
    );

    let policy = call("GET", "/api/policy").send(&county).await.json();
    let sources: Vec<(&str, &str)> = (policy["versions"].as_array().unwrap())
        .iter()
        .map(|v| (v["id"].as_str().unwrap(), v["source"].as_str().unwrap()))
        .collect();
    assert_eq!(
        sources,
        [("shandong-2020-02", "built_in"), ("shandong-ext", "county")]
    );

    // A training passed on the version's first day is judged by it: 24 hours at 6.00.
    county.advance_clock(86_400);
    let passed_on = tomorrow.clone();
    let started_on = china_day_plus(&county, -3);
    let check = call("POST", "/api/eligibility/check")
        .bearer(&token_at(&county, Role::Trainee, TRAINEE_A))
        .json(&json!({
            "applicant": {"resident_id": TRAINEE_A, "hukou_county": "370902", "group": "migrant_worker"},
            "training": {
                "platform_id": "wljnpx", "occupation": "4-03-02-01", "level": "5",
                "study_hours": 24, "mode": "online", "started_on": started_on,
                "assessment": {"result": "pass", "date": passed_on, "score": 88}
            }
        }))
        .send(&county)
        .await;
    assert_eq!(check.status, 200, "{}", check.json());
    let verdict = check.json();
    assert_eq!(verdict["policy_version"], "shandong-ext", "{verdict}");
    assert_eq!(verdict["amount"], "144.00", "{verdict}");

    // Once it has started it stays; the history names who added it.
    let withdraw = call("DELETE", "/api/policy/versions/shandong-ext")
        .bearer(&token_at(&county, Role::Admin, "op-admin"))
        .send(&county)
        .await;
    assert_eq!(
        (withdraw.status, withdraw.error_code().as_str()),
        (409, "policy_version_in_force")
    );
    let built_in = call("DELETE", "/api/policy/versions/shandong-2020-02")
        .bearer(&token_at(&county, Role::Admin, "op-admin"))
        .send(&county)
        .await;
    assert_eq!(built_in.error_code(), "policy_version_not_added");
    let history = call("GET", "/api/policy/history?table=policy_versions")
        .bearer(&token_at(&county, Role::Reviewer, "op-reviewer"))
        .send(&county)
        .await
        .json();
    let revisions = history["revisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 2, "{history}");
    assert_eq!(revisions[0]["changed"]["by"], "op-admin");
    assert_eq!(revisions[1]["revision"], 0);
    assert!(revisions.iter().all(|r| r.get("previous").is_none()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_version_not_yet_started_can_be_withdrawn() {
    let county = taishan();
    let from = china_day_plus(&county, 30);
    let to = china_day_plus(&county, 60);
    let version = proposed_version(&county, "next-year", &from, &to).await;
    let added = call("POST", "/api/policy/versions")
        .bearer(&admin())
        .json(&version)
        .send(&county)
        .await;
    assert_eq!(added.status, 201);
    let withdrawn = call("DELETE", "/api/policy/versions/next-year")
        .bearer(&admin())
        .send(&county)
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.json());
    assert_eq!(withdrawn.json()["versions"], json!([]));
    let gone = call("GET", "/api/policy/versions/next-year")
        .send(&county)
        .await;
    assert_eq!(gone.status, 404);
}

/// The working-day calendar 公示 is counted in, and the notice a publication would run: from
/// Thursday 30 April 2020, across the Labour Day holiday, to the adjusted working Saturday.
#[tokio::test(flavor = "multi_thread")]
async fn the_calendar_counts_a_notice_in_working_days_as_the_state_council_set_them() {
    let county = taishan();
    let policy = call("GET", "/api/policy").send(&county).await.json();
    assert_eq!(policy["current"]["publicity_working_days"], 5);
    assert!(policy["current"].get("claim_deadline").is_none());
    let reply = call("GET", "/api/policy/calendar").send(&county).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cache-control"), Some("public, max-age=60"));
    let calendar = reply.json();
    let listed =
        |name: &str, day: &str| calendar[name].as_array().unwrap().iter().any(|d| d == day);
    assert!(
        listed("holidays", "2020-02-01"),
        "the Spring Festival extension"
    );
    assert!(!listed("working_weekends", "2020-02-01"));
    assert!(listed("working_weekends", "2020-05-09"));
    assert!(calendar.get("notice").is_none());
    let notice = call("GET", "/api/policy/calendar?notice_from=2020-04-30")
        .send(&county)
        .await
        .json()["notice"]
        .clone();
    assert_eq!(
        notice,
        json!({"from": "2020-04-30", "until": "2020-05-09", "working_days": 5,
               "policy_version": "shandong-2020-02"})
    );
    for (query, code) in [
        ("notice_from=2022-01-04", "calendar_not_covered"),
        ("notice_from=30/04/2020", "invalid_date"),
    ] {
        let reply = call("GET", &format!("/api/policy/calendar?{query}"))
            .send(&county)
            .await;
        assert_eq!(
            (reply.status, reply.error_code()),
            (422, code.into()),
            "{query}"
        );
        assert_eq!(reply.json()["error"]["field"], "notice_from");
    }
}
