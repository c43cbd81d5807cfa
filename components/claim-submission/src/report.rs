//! Reporting for the province: claim counts and amounts by key group, platform, occupation,
//! status and month of assessment, as JSON or CSV.

use county_api::{ApiError, ApiRequest, Context, json};
use spin_sdk::http::Response;
use subsidy_rules::{Reason, auth::Role, report::ProvinceReport};

pub fn report(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    ctx.require_operator(request, &[Role::Admin, Role::Reviewer, Role::Finance])?;
    let format = request
        .query_param("format")
        .unwrap_or_else(|| "json".into());
    if !matches!(format.as_str(), "json" | "csv") {
        return Err(ApiError::invalid(vec![
            Reason::new(
                "invalid_format",
                "format 应为 json 或 csv",
                "format is json or csv",
            )
            .at("format"),
        ]));
    }
    let claims = ctx.store.all_claims()?;
    let report = ProvinceReport::of(&ctx.config.county, &claims);
    if format == "json" {
        return Ok(json(200, &report));
    }
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/csv; charset=utf-8")
        .body(report.to_csv())
        .build())
}
