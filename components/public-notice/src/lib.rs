//! 公示 (public): the county's notices of approved claims, a notice a day a reviewer publishes,
//! names and IDs masked; and anyone's objection (异议) to a claim while its notice runs, kept
//! with the claim, which goes back to review. And the API's contract, `/api/openapi.json`.
//! Nothing here needs credentials.

mod notices;
mod openapi;

use county_api::route_table;

include!("routes.rs");

#[spin_sdk::http_component]
async fn handle(request: spin_sdk::http::IncomingRequest) -> spin_sdk::http::Response {
    county_api::serve(request, ROUTES).await
}
