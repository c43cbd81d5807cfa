//! Invoices for the platform subsidy (public): a platform (or county finance, naming it)
//! previews a month, issues its invoice in bounded steps, lists its invoices and downloads one
//! as CSV or a workbook.

mod invoices;

use county_api::route_table;

include!("routes.rs");

#[spin_sdk::http_component]
async fn handle(request: spin_sdk::http::IncomingRequest) -> spin_sdk::http::Response {
    county_api::serve(request, ROUTES).await
}
