//! County admin (internal): repairs after a crash. Reconcile finds from the journal what
//! killed requests left half done; a month's recount sets the report's counters to what the
//! claims say. And 政策找人: the offers not taken, for the county to reach the people.

mod outreach;
mod reconcile;
mod recounts;

use county_api::route_table;

include!("routes.rs");

#[spin_sdk::http_component]
async fn handle(request: spin_sdk::http::IncomingRequest) -> spin_sdk::http::Response {
    county_api::serve(request, ROUTES).await
}
