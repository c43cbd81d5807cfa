//! Eligibility check: the dry run a mini-program calls before a trainee applies (facts in,
//! verdict out, nothing written), and the county's key-group registry behind it.

mod check;
mod registry;

use county_api::route_table;

include!("routes.rs");

#[spin_sdk::http_component]
async fn handle(request: spin_sdk::http::IncomingRequest) -> spin_sdk::http::Response {
    county_api::serve(request, ROUTES).await
}
