//! The operators' console: its files at `/console/`, and operator accounts at
//! `/api/accounts`: county staff sign in with a login name and password for the operator token
//! the APIs accept; admins create accounts, reset passwords, change roles, disable and enable
//! them, and read the log of every sign-in and change.

mod accounts;
mod console;

use county_api::{ApiError, ApiRequest, Context};
use spin_sdk::http::{IncomingRequest, Method, Response};
use spin_sdk::http_component;

#[http_component]
async fn handle(request: IncomingRequest) -> Response {
    county_api::serve(request, route).await
}

/// Host-call budgets of these routes: `county_api::budgets` (tested in `budgets.rs`).
fn route(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    if request.segments_after("/console").is_some() {
        return console::serve(request);
    }
    let segments = request
        .segments_after("/api/accounts")
        .ok_or_else(ApiError::not_found)?;
    match (&request.method, segments.as_slice()) {
        (Method::Post, ["sign-in"]) => accounts::sign_in(request, ctx),
        (Method::Post, ["me", "password"]) => accounts::change_own_password(request, ctx),
        (Method::Get, ["log"]) => accounts::log_page(request, ctx),
        // These words are no login names (`LoginName::parse`), so they are routed first.
        (_, ["sign-in"] | ["me", "password"] | ["log"]) => Err(ApiError::method_not_allowed()),
        (Method::Get, []) => accounts::list(request, ctx),
        (Method::Post, []) => accounts::create(request, ctx),
        (Method::Get, [login]) => accounts::show(request, ctx, login),
        (Method::Post, [login, "password"]) => accounts::reset_password(request, ctx, login),
        (Method::Put, [login, "roles"]) => accounts::change_roles(request, ctx, login),
        (Method::Post, [login, "disable"]) => accounts::disable(request, ctx, login, true),
        (Method::Post, [login, "enable"]) => accounts::disable(request, ctx, login, false),
        (_, [] | [_] | [_, "password" | "roles" | "disable" | "enable"]) => {
            Err(ApiError::method_not_allowed())
        }
        _ => Err(ApiError::not_found()),
    }
}
