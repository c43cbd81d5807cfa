//! The county's desk (internal): reviewers' queues, a claim's recheck, approval and
//! rejection; finance's payable desk, payments, the bank's payment batch and results,
//! returned payments, recoveries; the province report; publishing approved claims (公示).

mod payments;
mod publicity;
mod report;
mod review;

use county_api::route_table;

include!("routes.rs");

#[spin_sdk::http_component]
async fn handle(request: spin_sdk::http::IncomingRequest) -> spin_sdk::http::Response {
    county_api::serve(request, ROUTES).await
}
