//! `GET /api/openapi.json`: the OpenAPI 3.1 document of every route of every component, as
//! `docs/openapi.json` keeps it (compacted by `build.rs`). Public and cached like the policy:
//! it changes only with a release, and the API tests hold every answer to it.

use county_api::{ApiError, ApiRequest, Context, caching};
use spin_sdk::http::Response;

const DOCUMENT: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

pub fn document(request: &ApiRequest, _: &Context) -> Result<Response, ApiError> {
    let response = county_api::json_text(200, DOCUMENT.as_bytes().to_vec());
    Ok(caching::shared(request, response))
}
