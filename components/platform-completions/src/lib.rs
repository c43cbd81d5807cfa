//! Completion records (public): partner platforms report the trainings their trainees passed
//! or failed in signed batches, read them back with their state, and void one nothing rests
//! on, and follow their event feed. County operators read them too, naming the platform.

mod completions;
mod events;

use county_api::route_table;

include!("routes.rs");

#[spin_sdk::http_component]
async fn handle(request: spin_sdk::http::IncomingRequest) -> spin_sdk::http::Response {
    county_api::serve(request, ROUTES).await
}
