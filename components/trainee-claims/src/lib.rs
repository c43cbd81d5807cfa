//! The trainee's claims (the mini-program's main component, facing the internet): their
//! completion records, submitting a claim, their claims, withdrawing, correcting the payee,
//! and their event feed.
//! A claim's page (`GET /api/claims/:id`) is also read by county operators.

mod claims;
mod events;
mod offers;

use county_api::route_table;

include!("routes.rs");

#[spin_sdk::http_component]
async fn handle(request: spin_sdk::http::IncomingRequest) -> spin_sdk::http::Response {
    county_api::serve(request, ROUTES).await
}
