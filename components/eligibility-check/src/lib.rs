//! Eligibility check: the dry run a mini-program calls before a trainee applies (facts in,
//! verdict out, nothing written), and the county's key-group registry behind it.

mod check;
mod registry;

use county_api::{ApiError, ApiRequest, Context};
use spin_sdk::http::{IncomingRequest, Method, Response};
use spin_sdk::http_component;

#[http_component]
async fn handle(request: IncomingRequest) -> Response {
    county_api::serve(request, route).await
}

/// Host-call budgets of these routes: `county_api::budgets` (tested in `budgets.rs`).
fn route(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let segments = request
        .segments_after("/api/eligibility")
        .ok_or_else(ApiError::not_found)?;
    match (&request.method, segments.as_slice()) {
        (Method::Post, ["check"]) => check::check(request, ctx),
        (Method::Post, ["registry"]) => registry::upload(request, ctx),
        (Method::Post, ["registry", "lookup"]) => registry::lookup(request, ctx),
        (_, ["check"] | ["registry"] | ["registry", "lookup"]) => {
            Err(ApiError::method_not_allowed())
        }
        _ => Err(ApiError::not_found()),
    }
}
