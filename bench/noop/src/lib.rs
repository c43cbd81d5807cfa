//! Answers every request with `200 {}`: what serving a request costs before any of our code.

use spin_sdk::http::{IncomingRequest, Response};
use spin_sdk::http_component;

#[http_component]
async fn handle(_request: IncomingRequest) -> Response {
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body("{}")
        .build()
}
