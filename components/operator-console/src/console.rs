//! The console's files, compiled into the component: counties' networks are closed, so
//! nothing is fetched from elsewhere, and a request for them makes no host call.

use county_api::{ApiError, ApiRequest, Context, caching};
use spin_sdk::http::Response;

/// A module of the console's script, by its file name.
macro_rules! module {
    ($name:literal) => {
        (
            $name,
            "text/javascript; charset=utf-8",
            include_str!(concat!("../console/", $name)),
        )
    };
}

/// Name under `/console/`, content type, content: the page, its style and its modules (one
/// per screen beside the router, the API client, the labels and the page helpers).
const FILES: [(&str, &str, &str); 15] = [
    (
        "",
        "text/html; charset=utf-8",
        include_str!("../console/index.html"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../console/style.css"),
    ),
    module!("app.js"),
    module!("api.js"),
    module!("ui.js"),
    module!("labels.js"),
    module!("csv.js"),
    module!("claims.js"),
    module!("payments.js"),
    module!("invoices.js"),
    module!("tables.js"),
    module!("accounts.js"),
    module!("report.js"),
    module!("notices.js"),
    module!("outreach.js"),
];

/// The page, at `/console` and `/console/` alike (a trailing slash routes the same, as in
/// Spin); its links are absolute.
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
        // Checked again on every load, so a new version is seen at once; the tag names the
        // file's bytes, so an unchanged file answers 304 without its body.
        .header("cache-control", "no-cache")
        .header("etag", caching::content_tag(content.as_bytes(), None))
        .header("x-content-type-options", "nosniff")
        .header(
            "content-security-policy",
            "default-src 'self'; frame-ancestors 'none'",
        )
        .body(content.as_bytes().to_vec())
        .build())
}
