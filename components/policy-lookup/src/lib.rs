//! Policy lookup: the policy in force and its versions, the county's approved platforms and
//! its training-subsidy standards. Anyone may read; county admins keep the tables, whose every
//! change operators can read back. And the working-day calendar 公示 is counted in.

mod calendar;
mod history;
mod platforms;
mod policy;
mod standards;

use county_api::route_table;

include!("routes.rs");

#[spin_sdk::http_component]
async fn handle(request: spin_sdk::http::IncomingRequest) -> spin_sdk::http::Response {
    county_api::serve(request, ROUTES).await
}
