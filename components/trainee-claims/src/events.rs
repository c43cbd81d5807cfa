//! The trainee's event feed: their records reported, corrected, voided and offered, and every
//! transition of their claims, in order, from a cursor (`county_api::feeds`).

use county_api::{ApiError, ApiRequest, Context};
use spin_sdk::http::Response;
use subsidy_rules::events::Feed;

pub fn feed(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let trainee = ctx.require_trainee(request)?;
    county_api::feeds::page(request, ctx, &Feed::Trainee(trainee.person))
}
