//! Policy lookup: the policy in force and its versions, the county's approved platforms and
//! its training-subsidy standards. Anyone may read; county admins keep the tables, whose every
//! change operators can read back.

mod history;
mod platforms;
mod policy;
mod standards;

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
        .segments_after("/api/policy")
        .ok_or_else(ApiError::not_found)?;
    match (&request.method, segments.as_slice()) {
        (Method::Get, []) => policy::current(ctx),
        (Method::Get, ["versions", id]) => policy::version(ctx, id),
        (Method::Post, ["versions"]) => policy::add(request, ctx),
        (Method::Delete, ["versions", id]) => policy::withdraw(request, ctx, id),
        (Method::Get, ["platforms"]) => platforms::list(request, ctx),
        (Method::Put, ["platforms"]) => platforms::replace(request, ctx),
        (Method::Put, ["platforms", id]) => platforms::put_one(request, ctx, id),
        (Method::Get, ["standards"]) => standards::list(request, ctx),
        (Method::Get, ["history"]) => history::list(request, ctx),
        (Method::Put, ["standards"]) => standards::replace(request, ctx),
        (Method::Put, ["standards", occupation, level]) => {
            standards::put_one(request, ctx, occupation, level)
        }
        (Method::Delete, ["standards", occupation, level]) => {
            standards::remove(request, ctx, occupation, level)
        }
        (
            _,
            []
            | ["versions"]
            | ["versions", _]
            | ["platforms"]
            | ["platforms", _]
            | ["standards"]
            | ["history"]
            | ["standards", _, _],
        ) => Err(ApiError::method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}
