//! Reporting for the province: claim counts and amounts by key group, platform, occupation,
//! status and month of assessment, as JSON, CSV or a workbook. Read from counters every claim
//! transition keeps, so a report costs its rows; a month's counters are recounted from its
//! claims on demand.

use county_api::{ApiError, ApiRequest, Context, ExportFormat, json};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed, Reason,
    auth::Role,
    completion::parse_month,
    field,
    report::{Difference, ProvinceReport},
};

/// `?format=json` (the default), `csv` or `xlsx` (or `Accept` naming CSV or the workbook).
pub fn report(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    ctx.require_operator(request, &[Role::Admin, Role::Reviewer, Role::Finance])?;
    let format = match request.query_param("format").as_deref() {
        None | Some("json") if !wants_a_file(request) => None,
        Some("json") => None,
        _ => Some(ExportFormat::of(request, ExportFormat::Csv).map_err(|_| {
            ApiError::invalid(vec![
                Reason::new(
                    "invalid_format",
                    "format 应为 json、csv 或 xlsx",
                    "format is json, csv or xlsx",
                )
                .at("format"),
            ])
        })?),
    };
    let (from, to) = (month_param(request, "from"), month_param(request, "to")).all_parsed()?;
    let (rows, recovered_fen) = ctx.store()?.report_rows(from.as_deref(), to.as_deref())?;
    let report = ProvinceReport::from_rows(ctx.config.county()?, rows, recovered_fen);
    let Some(format) = format else {
        return Ok(json(200, &report));
    };
    let title = format!(
        "{}（{}）就业重点群体线上培训补贴情况",
        ctx.config.county_name()?,
        ctx.config.county()?
    );
    Ok(county_api::export(
        &report.to_sheet(title),
        format,
        &format!("{}-补贴情况上报", ctx.config.county_name()?),
        &format!("{}-report", ctx.config.county()?),
    ))
}

/// `?from=` / `?to=`: the first and last month of assessment reported (`YYYY-MM`).
fn month_param(request: &ApiRequest, name: &str) -> Result<Option<String>, Vec<Reason>> {
    match request.query_param(name) {
        None => Ok(None),
        Some(month) => field(name, parse_month(&month)).map(Some),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecountInput {
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
pub fn recount(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    ctx.require_operator(request, &[Role::Admin])?;
    let input: RecountInput = request.json()?;
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

/// Whether `Accept` asks for a file (CSV or the workbook) rather than JSON.
fn wants_a_file(request: &ApiRequest) -> bool {
    request
        .header("accept")
        .is_some_and(|a| a.contains("text/csv") || a.contains(subsidy_rules::export::XLSX_TYPE))
}
