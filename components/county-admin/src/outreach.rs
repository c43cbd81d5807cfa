//! 政策找人 for the county: a platform's month of records, page by page, each passed record
//! not claimed of a person the registry verifies, with the registry's source and village or
//! community (one's only, if asked, grouped by it) and the allowance, as JSON or a file to call
//! or text them from.

use county_api::{ApiError, ApiRequest, Context, ExportFormat, json};
use serde::Serialize;
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed, PlatformId,
    auth::Role,
    completion::parse_month,
    field,
    offers::{OutreachRow, REGISTRY_GROUPS, by_community, outreach_sheet},
};

#[derive(Serialize)]
struct Outreach<'a> {
    rows: Vec<OutreachRow<'a>>,
    /// Send as `after` for the next page of the month's records.
    next_after: u64,
    done: bool,
}

/// `GET /api/admin/outreach?platform_id=&month=YYYY-MM&after=&limit=&community=` (reviewers,
/// admins), `format=csv|xlsx` for a file.
pub fn outreach(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    ctx.require_operator(request, &[Role::Reviewer, Role::Admin])?;
    let format = ExportFormat::requested(request)?;
    let (platform, month) = (
        request.query_param("platform_id").unwrap_or_default(),
        request.query_param("month").unwrap_or_default(),
    );
    let (platform, month, (after, limit)) = (
        field("platform_id", PlatformId::parse(&platform)),
        field("month", parse_month(&month)),
        request.paging(),
    )
        .all_parsed()?;
    let store = ctx.store()?;
    let (records, next_after, done) = store.completions_page(&platform, &month, after, limit)?;
    let records = county_api::claims::shown_records(ctx, records)?;
    let persons: Vec<_> = records.iter().map(|r| &r.facts.trainee.person).collect();
    let registries = store.registries_of(&persons, &REGISTRY_GROUPS)?;
    let mut rows = Vec::new();
    for (record, registry) in records.iter().zip(&registries) {
        let day = record.facts.assessment.date;
        let policy = ctx.policies_for(&[day])?.current(day);
        rows.extend(OutreachRow::of(record, registry, policy));
    }
    let community = request
        .query_param("community")
        .filter(|c| !c.trim().is_empty());
    let rows = by_community(rows, community.as_deref().map(str::trim));
    let Some(format) = format else {
        return Ok(json(
            200,
            &Outreach {
                rows,
                next_after,
                done,
            },
        ));
    };
    let county = ctx.config.county_name()?;
    let title = format!("{county} 政策找人 {platform} {month}");
    Ok(county_api::export(
        &outreach_sheet(&rows, title),
        format,
        &format!("{county}-政策找人-{platform}-{month}"),
        &format!("{}-outreach-{platform}-{month}", ctx.config.county()?),
    ))
}
