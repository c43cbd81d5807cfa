//! Every change of the county's tables, for operators: `GET /api/policy/history?table=`
//! `standards`, `platforms` or `policy_versions`, the revision in force first, then each it replaced (who changed
//! it, when, and what it held), at most `limit` (1 to 50, default 20).

use county_api::{ApiError, ApiRequest, Context, json, without_store_keys};
use serde::Serialize;
use spin_sdk::http::Response;
use subsidy_rules::{
    PlatformRegister, Reason, StandardsTable, auth::Role, history::CountyTable,
    policy::AddedVersions,
};

const MAX_LIMIT: usize = 50;

#[derive(Serialize)]
struct History {
    table: &'static str,
    revisions: Vec<serde_json::Value>,
}

pub fn list(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    ctx.require_operator(request, &[Role::Admin, Role::Reviewer, Role::Finance])?;
    let limit = match request.query_param("limit").map(|l| l.parse::<usize>()) {
        None => Ok(20),
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(Reason::new(
            "invalid_number",
            format!("limit 应为1至{MAX_LIMIT}的整数"),
            format!("limit is a whole number from 1 to {MAX_LIMIT}"),
        )
        .at("limit")),
    };
    let table = request.query_param("table");
    let limit = match (limit, table.as_deref()) {
        (Ok(limit), Some("standards" | "platforms" | "policy_versions")) => limit,
        (limit, table) => {
            let mut problems: Vec<Reason> = limit.err().into_iter().collect();
            if !matches!(table, Some("standards" | "platforms" | "policy_versions")) {
                problems.push(
                    Reason::new(
                        "invalid_table",
                        "table 应为 standards、platforms 或 policy_versions",
                        "table is standards, platforms or policy_versions",
                    )
                    .at("table"),
                );
            }
            return Err(ApiError::invalid(problems));
        }
    };
    let store = ctx.store()?;
    let (table, revisions) = match table.as_deref() {
        Some(StandardsTable::NAME) => (
            StandardsTable::NAME,
            shown(store.table_history::<StandardsTable>(limit)?),
        ),
        Some(PlatformRegister::NAME) => (
            PlatformRegister::NAME,
            shown(store.table_history::<PlatformRegister>(limit)?),
        ),
        _ => (
            AddedVersions::NAME,
            shown(store.table_history::<AddedVersions>(limit)?),
        ),
    };
    Ok(json(200, &History { table, revisions }))
}

fn shown<T: Serialize>(revisions: Vec<T>) -> Vec<serde_json::Value> {
    revisions.iter().map(without_store_keys).collect()
}
