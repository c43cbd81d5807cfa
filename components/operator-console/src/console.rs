//! The console's files, compiled into the component: counties' networks are closed, so
//! nothing is fetched from elsewhere, and a request for them makes no host call.

use county_api::{ApiError, ApiRequest, Context};
use spin_sdk::http::Response;

/// Name under `/console/`, content type, content.
const FILES: [(&str, &str, &str); 3] = [
    (
        "",
        "text/html; charset=utf-8",
        include_str!("../console/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../console/app.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../console/style.css"),
    ),
];

/// `/console` → `/console/`, where the page's relative links resolve.
pub fn to_index(_: &ApiRequest, _: &Context) -> Result<Response, ApiError> {
    Ok(Response::builder()
        .status(308)
        .header("location", "/console/")
        .build())
}

pub fn index(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    send(request, ctx, "")
}

pub fn file(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    send(request, ctx, request.param("file"))
}

fn send(_: &ApiRequest, _: &Context, name: &str) -> Result<Response, ApiError> {
    let (_, content_type, content) = (FILES.iter())
        .find(|(file, _, _)| *file == name)
        .ok_or_else(ApiError::not_found)?;
    Ok(Response::builder()
        .status(200)
        .header("content-type", *content_type)
        // Checked again on every load, so a new version is seen at once.
        .header("cache-control", "no-cache")
        .header("x-content-type-options", "nosniff")
        .header(
            "content-security-policy",
            "default-src 'self'; frame-ancestors 'none'",
        )
        .body(content.as_bytes().to_vec())
        .build())
}
