//! Reporting for the province: claim counts and amounts by key group, platform, occupation,
//! status and month of assessment, as JSON, CSV or a workbook. Read from counters every claim
//! transition keeps, so a report costs its rows (county admin recounts a month's counters from
//! its claims: `/api/admin/report-recount`).

use county_api::{ApiError, ApiRequest, Context, ExportFormat, json};
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed, Reason, auth::Role, completion::parse_month, field, report::ProvinceReport,
};

/// `?format=json` (the default), `csv` or `xlsx` (or `Accept` naming CSV or the workbook).
pub fn report(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    ctx.require_operator(request, &[Role::Admin, Role::Reviewer, Role::Finance])?;
    let format = ExportFormat::requested(request)?;
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
