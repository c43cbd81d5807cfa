//! `GET /api/policy/calendar`: the working-day calendar 公示 is counted in (public, policy
//! data), and with `?notice_from=YYYY-MM-DD` the notice a publication that day would run: its
//! first and last working day, for the days the policy version in force then sets.
//! `PUT /api/policy/calendar/{year}` (admin): a later year, as the State Council set it.

use county_api::{ApiError, ApiRequest, Context, caching, json, json_revision, policy_book};
use serde::Serialize;
use spin_sdk::http::Response;
use subsidy_rules::{
    auth::Role,
    calendar::{AddedCalendar, CalendarYear, CalendarYearInput, NoticePeriod, WorkingCalendar},
    dates::parse_day,
    optional_field,
    policy::AddedVersions,
};

#[derive(Serialize)]
struct Calendar {
    #[serde(flatten)]
    calendar: WorkingCalendar,
    #[serde(skip_serializing_if = "Option::is_none")]
    notice: Option<Notice>,
}

#[derive(Serialize)]
struct Notice {
    #[serde(flatten)]
    period: NoticePeriod,
    policy_version: String,
}

pub fn calendar(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let from = request.query_param("notice_from");
    let from =
        optional_field("notice_from", from.as_deref(), parse_day).map_err(ApiError::invalid)?;
    let calendar = WorkingCalendar::with_added(&ctx.store()?.table::<AddedCalendar>()?);
    let notice = match from {
        None => None,
        Some(day) => {
            let added = ctx.store()?.table::<AddedVersions>()?;
            let policies = policy_book(&added)?;
            let version = policies.current(day);
            let period = (calendar.notice(day, version.publicity_working_days))
                .map_err(|reason| ApiError::invalid(vec![reason.at("notice_from")]))?;
            Some(Notice {
                period,
                policy_version: version.id.clone(),
            })
        }
    };
    Ok(caching::shared(
        request,
        json(200, &Calendar { calendar, notice }),
    ))
}

/// A year the calendar did not have, or one a county added before, replaced whole.
pub fn put_year(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let year = (request.param("year").parse::<i32>().ok())
        .filter(|y| (2020..=2100).contains(y))
        .ok_or_else(ApiError::not_found)?;
    let admin = ctx.require_operator(request, &[Role::Admin])?;
    let input: CalendarYearInput = request.json()?;
    let parsed = CalendarYear::parse(year, &input).map_err(ApiError::invalid)?;
    let change = ctx.change_by(&admin.sub);
    let added = ctx.store()?.update_table::<AddedCalendar>(|current| {
        request.check_revision(current.revision)?;
        (current.with(parsed.clone(), &change)).map_err(ApiError::conflict)
    })?;
    Ok(json_revision(200, &added, added.revision))
}
