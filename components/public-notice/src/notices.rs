//! The notices and the objections to them.

use chrono::NaiveDate;
use county_api::{ApiError, ApiRequest, Context, caching, json};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed, PlatformRegister, bounded_text,
    dates::{china_day, parse_day},
    field,
    publicity::{NoticeEntry, OBJECTOR, Objection},
};

#[derive(Serialize)]
struct Notices {
    /// The days a notice was published on, oldest first (`/api/notices/{day}`).
    notices: Vec<String>,
}

/// Every notice's day.
pub fn list(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let notices = ctx.store()?.notice_days()?;
    Ok(caching::shared(request, json(200, &Notices { notices })))
}

#[derive(Serialize)]
struct Notice<'a> {
    day: NaiveDate,
    county_name: &'a str,
    entries: Vec<NoticeEntry<'a>>,
    /// Send as `after` for the next page.
    next_after: u64,
    /// This page is the notice's last.
    done: bool,
}

/// The day a path names, or 404: a segment that is no day names no notice.
fn day_of_path(request: &ApiRequest) -> Result<NaiveDate, ApiError> {
    parse_day(request.param("day")).map_err(|_| ApiError::not_found())
}

/// One day's notice, a page at a time (`after`, `limit` 1 to 100, default 50, so that what a
/// public request reads is bounded): the claims published that day, as the public may see
/// them. A day with none is not found.
pub fn notice(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let day = day_of_path(request)?;
    let (after, limit) = request.paging()?;
    let (claims, next_after, done) = ctx.store()?.notice_page(day, after, limit)?;
    if claims.is_empty() && after == 0 && done {
        return Err(ApiError::not_found());
    }
    let platforms = ctx.store()?.table::<PlatformRegister>()?;
    let name = |claim: &subsidy_rules::claim::Claim| {
        (platforms.find(&claim.platform_id))
            .map_or_else(|| claim.platform_id.to_string(), |p| p.name.clone())
    };
    let entries = (claims.iter())
        .filter_map(|c| c.notice_entry(day, name(c)))
        .collect();
    let notice = Notice {
        day,
        county_name: ctx.config.county_name()?,
        entries,
        next_after,
        done,
    };
    Ok(caching::shared(request, json(200, &notice)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectionInput {
    claim_id: String,
    reason: String,
    contact: String,
}

#[derive(Serialize)]
struct Filed<'a> {
    claim_id: &'a str,
    filed_at: &'a str,
    /// What happens next, for the objector.
    message_zh: &'static str,
    message_en: &'static str,
}

/// Anyone objects to a claim of the notice while it runs: the reason (up to 500 characters)
/// and a way to reach them (up to 100), kept with the claim, which goes back to review.
pub fn object(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let day = day_of_path(request)?;
    let input: ObjectionInput = request.json()?;
    let (reason, contact) = (
        field("reason", bounded_text(&input.reason, 500)),
        field("contact", bounded_text(&input.contact, 100)),
    )
        .all_parsed()?;
    let store = ctx.store()?;
    let existing = (store.claim(&input.claim_id)?)
        .filter(|c| c.notice.as_ref().is_some_and(|n| n.batch == day))
        .ok_or_else(ApiError::not_found)?;
    let objection = Objection {
        reason,
        contact,
        filed: ctx.change_by(OBJECTOR),
    };
    let today = china_day(ctx.now);
    let claim = store.change_onto_review(&existing, ctx.now_unix(), |current| {
        (current.objected(day, objection.clone(), today)).map_err(ApiError::conflict)
    })?;
    let filed = Filed {
        claim_id: &claim.id,
        filed_at: &objection.filed.at,
        message_zh: "异议已受理，县人力资源社会保障部门将复核该申领",
        message_en: "Objection received: the county will review the claim again",
    };
    Ok(json(201, &filed))
}
