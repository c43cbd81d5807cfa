//! Recounts from the claims: a month's report counters (`POST /api/admin/report-recount`).

use county_api::{ApiError, ApiRequest, Context, json};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed, Reason, auth::Role, completion::parse_month, field, report::Difference,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportRecountInput {
    month: String,
    /// Without it, a dry run: the differences are reported, nothing is set.
    #[serde(default)]
    repair: bool,
    /// Claims a step tallies, 1 to 2,000 (the default).
    #[serde(default)]
    limit: Option<u64>,
}

#[derive(Serialize)]
struct RecountStep {
    month: String,
    repair: bool,
    /// Claims of the month tallied so far.
    claims_counted: u64,
    /// Send the same request again until `done`.
    done: bool,
    /// Once done: every counter that differed from the claims, `[kept, recounted]`.
    differences: Vec<Difference>,
}

/// Claims one step tallies: two store reads each, so a step stays under 5,000 operations.
const RECOUNT_STEP: u64 = 2_000;

/// `POST /api/admin/report-recount` (admin): recounts one month's report from its claims, in
/// steps of at most 2,000 claims, and with `repair` sets the counters that differ.
pub fn report_month(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    ctx.require_operator(request, &[Role::Admin])?;
    let input: ReportRecountInput = request.json()?;
    let limit = input.limit.unwrap_or(RECOUNT_STEP);
    let (month, _) = (
        field("month", parse_month(&input.month)),
        match limit {
            1..=RECOUNT_STEP => Ok(limit),
            _ => field(
                "limit",
                Err(Reason::new(
                    "invalid_number",
                    format!("limit 应为1至{RECOUNT_STEP}的整数"),
                    format!("limit is a whole number from 1 to {RECOUNT_STEP}"),
                )),
            ),
        },
    )
        .all_parsed()?;
    let (recount, differences) = ctx
        .store()?
        .recount_report_month(&month, limit, input.repair)?;
    Ok(json(
        200,
        &RecountStep {
            month,
            repair: input.repair,
            claims_counted: recount.claims,
            done: differences.is_some(),
            differences: differences.unwrap_or_default(),
        },
    ))
}
