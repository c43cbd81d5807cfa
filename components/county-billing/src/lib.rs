//! The county's side of platform billing (internal): admins issue, rotate and revoke the
//! platforms' signing keys; finance approves and pays invoices; finance or an admin cancels
//! one, and recovers a paid line found wrongly paid.

mod credentials;
mod invoices;

use county_api::route_table;

include!("routes.rs");

#[spin_sdk::http_component]
async fn handle(request: spin_sdk::http::IncomingRequest) -> spin_sdk::http::Response {
    county_api::serve(request, ROUTES).await
}
