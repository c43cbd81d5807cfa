//! Platform invoicing: the API partner training platforms integrate with (signed requests,
//! completion reports, invoices), and the county's side of it (credentials, approving and
//! paying invoices).

mod completions;
mod credentials;
mod invoices;

use county_api::{ApiError, ApiRequest, Context, ExportFormat, Party};
use spin_sdk::http::{IncomingRequest, Method, Response};
use spin_sdk::http_component;
use subsidy_rules::{PlatformId, Reason, auth::Role};

#[http_component]
async fn handle(request: IncomingRequest) -> Response {
    county_api::serve(request, route).await
}

/// Host-call budgets of these routes: `county_api::budgets` (tested in `budgets.rs`).
fn route(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let segments = request
        .segments_after("/api/platform")
        .ok_or_else(ApiError::not_found)?;
    // Ids from the path are checked for their shape before they reach a store key.
    let plausible = match segments.as_slice() {
        ["credentials", key_id, ..] => subsidy_rules::credentials::plausible_key_id(key_id),
        ["invoices", number, ..] if *number != "preview" => {
            subsidy_rules::invoice::plausible_invoice_number(number)
        }
        _ => true,
    };
    if !plausible {
        return Err(ApiError::not_found());
    }
    match (&request.method, segments.as_slice()) {
        (Method::Post, ["credentials"]) => credentials::issue(request, ctx),
        (Method::Get, ["credentials"]) => credentials::list(request, ctx),
        (Method::Post, ["credentials", key_id, "rotate"]) => {
            credentials::rotate(request, ctx, key_id)
        }
        (Method::Post, ["credentials", key_id, "revoke"]) => {
            credentials::revoke(request, ctx, key_id)
        }
        (Method::Post, ["completions"]) => completions::report(request, ctx),
        (Method::Get, ["completions"]) => completions::list(request, ctx),
        (Method::Get, ["completions", record_id]) => completions::fetch(request, ctx, record_id),
        (Method::Post, ["completions", record_id, "void"]) => {
            completions::void(request, ctx, record_id)
        }
        (Method::Get, ["invoices", "preview"]) => invoices::preview(request, ctx),
        (Method::Post, ["invoices"]) => invoices::issue(request, ctx),
        (Method::Get, ["invoices"]) => invoices::list(request, ctx),
        (Method::Get, ["invoices", number]) => invoices::fetch(request, ctx, number),
        (Method::Get, ["invoices", number, "csv"]) => {
            invoices::export(request, ctx, number, Some(ExportFormat::Csv))
        }
        (Method::Get, ["invoices", number, "export"]) => {
            invoices::export(request, ctx, number, None)
        }
        (Method::Post, ["invoices", number, "approve"]) => invoices::approve(request, ctx, number),
        (Method::Post, ["invoices", number, "pay"]) => invoices::pay(request, ctx, number),
        (Method::Post, ["invoices", number, "cancel"]) => invoices::cancel(request, ctx, number),
        (Method::Post, ["invoices", number, "lines", record_id, "recovery"]) => {
            invoices::start_line_recovery(request, ctx, number, record_id)
        }
        (Method::Post, ["invoices", number, "lines", record_id, "recovered"]) => {
            invoices::line_recovered(request, ctx, number, record_id)
        }
        (
            _,
            ["credentials"]
            | ["credentials", _, "rotate" | "revoke"]
            | ["completions"]
            | ["completions", _]
            | ["completions", _, "void"]
            | ["invoices"]
            | ["invoices", _]
            | [
                "invoices",
                _,
                "csv" | "export" | "approve" | "pay" | "cancel",
            ],
        ) => Err(ApiError::method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}

/// The platform a request acts for: a signed platform acts for itself; an operator names one
/// with `platform_id` (query or body).
fn acting_platform(
    request: &ApiRequest,
    ctx: &Context,
    operator_roles: &[Role],
    named: Option<&str>,
) -> Result<(PlatformId, Party), ApiError> {
    let party = ctx.require_party(request, operator_roles)?;
    let platform = match &party {
        Party::Platform(caller) => caller.platform_id.clone(),
        Party::Operator(_) => {
            let named = named
                .map(str::to_owned)
                .or_else(|| request.query_param("platform_id"));
            let named = named.ok_or_else(|| {
                ApiError::invalid(vec![
                    Reason::new(
                        "platform_id_required",
                        "请指定平台编号 platform_id",
                        "Name the platform with platform_id",
                    )
                    .at("platform_id"),
                ])
            })?;
            PlatformId::parse(&named).map_err(|r| ApiError::invalid(vec![r.at("platform_id")]))?
        }
    };
    Ok((platform, party))
}
