//! 公示 from the desk: a reviewer publishes the approved claims not yet published, in today's
//! notice, each for the working days its policy version sets. Until its notice ends a claim is
//! not paid (`Claim::notice_allows_payment`).

use county_api::{ApiError, ApiRequest, Context, json};
use serde::Serialize;
use spin_sdk::http::Response;
use subsidy_rules::{
    ClaimStatus,
    auth::Role,
    calendar::{AddedCalendar, WorkingCalendar},
    claim::Claim,
    dates::china_day,
};

/// Claims published by one request: each is about eight store calls, and on Spin's SQLite
/// store each write is its own transaction. The reviewer sends the request again while
/// `done` is false.
const PER_REQUEST: usize = 50;

/// Pages of finance's desk read to find them.
const PAGE: usize = 100;

#[derive(Serialize)]
struct Published {
    /// The notice's day: `/api/notices/{day}`.
    day: chrono::NaiveDate,
    published: usize,
    /// No approved claim is left unpublished.
    done: bool,
}

fn unpublished(claim: &&Claim) -> bool {
    claim.status == ClaimStatus::Approved && claim.notice.is_none()
}

/// `POST /api/claims/publicity` (reviewer, no body): publishes up to 50 approved claims in
/// today's notice.
pub fn publish(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let reviewer = ctx.require_operator(request, &[Role::Reviewer])?;
    let (today, change) = (china_day(ctx.now), ctx.change_by(&reviewer.sub));
    let calendar = WorkingCalendar::with_added(&ctx.store()?.table::<AddedCalendar>()?);
    let store = ctx.store()?;
    let notice_days = store.added_notice_days()?;
    let (mut after, mut published, mut done) = (0, 0, true);
    'desk: loop {
        let (claims, next) = store.payable_claims(after, PAGE, ctx.now_unix())?;
        for claim in claims.iter().filter(unpublished) {
            if published == PER_REQUEST {
                done = false;
                break 'desk;
            }
            let days = (notice_days.of(&claim.policy_version))
                .ok_or_else(|| ApiError::conflict(unknown_version(&claim.policy_version)))?;
            let period = (calendar.notice(today, days)).map_err(ApiError::conflict)?;
            if published == 0 {
                store.list_notice_day(today)?;
            }
            store.publish_claim(claim, today, period, &change)?;
            published += 1;
        }
        if claims.len() < PAGE {
            break;
        }
        after = next;
    }
    Ok(json(
        200,
        &Published {
            day: today,
            published,
            done,
        },
    ))
}

fn unknown_version(id: &str) -> subsidy_rules::Reason {
    subsidy_rules::Reason::new(
        "invalid_policy_version",
        format!("申领所依据的政策版本 {id} 不存在"),
        format!("The claim's policy version {id} does not exist"),
    )
}
