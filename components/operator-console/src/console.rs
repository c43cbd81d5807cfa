//! The console's files, compiled into the component: counties' networks are closed, so
//! nothing is fetched from elsewhere, and a request for them makes no host call.

use county_api::{ApiError, ApiRequest};
use spin_sdk::http::{Method, Response};

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

pub fn serve(request: &ApiRequest) -> Result<Response, ApiError> {
    if !matches!(request.method, Method::Get | Method::Head) {
        return Err(ApiError::method_not_allowed());
    }
    if request.path == "/console" {
        return Ok(Response::builder()
            .status(308)
            .header("location", "/console/")
            .build());
    }
    let name = request.path.strip_prefix("/console/").unwrap_or_default();
    let (_, content_type, content) = (FILES.iter())
        .find(|(file, _, _)| *file == name)
        .ok_or_else(ApiError::not_found)?;
    let body = match request.method {
        Method::Head => Vec::new(),
        _ => content.as_bytes().to_vec(),
    };
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
        .body(body)
        .build())
}
