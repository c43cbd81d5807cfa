//! The operators' console: its files at `/console/`, and operator accounts at
//! `/api/accounts`: county staff sign in with a login name and password for the operator token
//! the APIs accept; admins create accounts, reset passwords, change roles, disable and enable
//! them, and read the log of every sign-in and change.

mod accounts;
mod console;

use county_api::route_table;

include!("routes.rs");

#[spin_sdk::http_component]
async fn handle(request: spin_sdk::http::IncomingRequest) -> spin_sdk::http::Response {
    county_api::serve(request, ROUTES).await
}
