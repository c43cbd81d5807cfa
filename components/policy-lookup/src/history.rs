//! Every change of the county's tables, for operators: `GET /api/policy/history?table=`
//! `standards` or `platforms`, the revision in force first, then each it replaced (who changed
//! it, when, and what it held), at most `limit` (1 to 50, default 20).

use county_api::{ApiError, ApiRequest, Context, json};
use serde::Serialize;
use spin_sdk::http::Response;
use subsidy_rules::{PlatformRegister, Reason, StandardsTable, auth::Role, store_keys};

const MAX_LIMIT: usize = 50;

#[derive(Serialize)]
struct History<T> {
    table: &'static str,
    revisions: Vec<T>,
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
    let problems: Vec<Reason> = limit.clone().err().into_iter().collect();
    match (table.as_deref(), problems.is_empty()) {
        (Some("standards"), true) => {
            let key = store_keys::standards(&ctx.config.county);
            let revisions =
                ctx.store
                    .table_history(&key, StandardsTable::default(), limit.unwrap_or(20))?;
            Ok(json(
                200,
                &History {
                    table: "standards",
                    revisions,
                },
            ))
        }
        (Some("platforms"), true) => {
            let key = store_keys::platforms(&ctx.config.county);
            let seed = PlatformRegister::seed_for(&ctx.config.county);
            let revisions = ctx.store.table_history(&key, seed, limit.unwrap_or(20))?;
            Ok(json(
                200,
                &History {
                    table: "platforms",
                    revisions,
                },
            ))
        }
        (Some("standards" | "platforms"), false) => Err(ApiError::invalid(problems)),
        _ => {
            let mut problems = problems;
            problems.push(
                Reason::new(
                    "invalid_table",
                    "table 应为 standards 或 platforms",
                    "table is standards or platforms",
                )
                .at("table"),
            );
            Err(ApiError::invalid(problems))
        }
    }
}
