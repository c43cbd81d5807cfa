//! A platform's event feed: its records claimed, released, voided and held, its invoices
//! issued, approved, paid, cancelled and recovered, in order, from a cursor
//! (`county_api::feeds`). Operators read a platform's with `platform_id=`.

use county_api::{ApiError, ApiRequest, Context};
use spin_sdk::http::Response;
use subsidy_rules::{auth::Role, events::Feed};

const OPERATORS: [Role; 3] = [Role::Admin, Role::Reviewer, Role::Finance];

pub fn feed(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let (platform, _) = ctx.acting_platform(request, &OPERATORS, None)?;
    county_api::feeds::page(request, ctx, &Feed::Platform(platform))
}
