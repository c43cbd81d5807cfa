//! The HTTP edge every county component shares: one error shape, one auth check, one
//! configuration, one store layer. Components add only their routes.

mod auth;
mod config;
mod error;
mod judge;
mod request;
mod store;

use chrono::{DateTime, Utc};
use serde::Serialize;
use spin_sdk::http::{IncomingRequest, Response};
use subsidy_rules::PolicyBook;

pub use auth::{Caller, Party, PlatformCaller, caller, operator, party, platform};
pub use config::CountyConfig;
pub use error::ApiError;
pub use judge::judge;
pub use request::{ApiRequest, MAX_BODY_BYTES, from_value};
pub use store::Store;

/// What a route has to work with.
pub struct Context {
    pub config: CountyConfig,
    pub policies: PolicyBook,
    pub store: Store,
    pub now: DateTime<Utc>,
}

impl Context {
    pub fn now_unix(&self) -> i64 {
        self.now.timestamp()
    }
}

pub type Route = fn(&ApiRequest, &Context) -> Result<Response, ApiError>;

/// Runs one request through a component's routes and shapes every outcome into a response.
/// The log line holds method, path and status only: never a body, a query or a token.
pub async fn serve(request: IncomingRequest, route: Route) -> Response {
    let mut method_and_path = String::new();
    let response = match ApiRequest::read(request).await {
        Ok(request) => {
            method_and_path = format!("{} {}", request.method, request.path);
            context().and_then(|ctx| route(&request, &ctx))
        }
        Err(error) => Err(error),
    };
    let response = response.unwrap_or_else(ApiError::into_response);
    // One write: each piece `eprintln!` writes separately is a host call of its own.
    let line = format!("{method_and_path} -> {}\n", response.status());
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    response
}

fn context() -> Result<Context, ApiError> {
    let policies = PolicyBook::built_in();
    let config = CountyConfig::load(&policies)?;
    let store = Store::open(&config.county)?;
    Ok(Context {
        config,
        policies,
        store,
        now: Utc::now(),
    })
}

/// A JSON response.
pub fn json<T: Serialize>(status: u16, body: &T) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .body(serde_json::to_vec(body).expect("response bodies serialize"))
        .build()
}

/// A JSON response for a revisioned document, with its revision as the `ETag` that
/// `If-Match` takes back.
pub fn json_revision<T: Serialize>(body: &T, revision: u64) -> Response {
    let mut response = json(200, body);
    response.set_header("etag", format!("\"{revision}\""));
    response
}
