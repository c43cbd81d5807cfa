//! Claim submission: trainees claim the living allowance from their completion records (the
//! mini-program's main endpoint); the county reviews, approves or rejects, and pays; an admin
//! reconciles what killed requests left (`/api/admin/reconcile`).

mod payments;
mod reconcile;
mod report;
mod review;
mod trainee;

use county_api::{ApiError, ApiRequest, Context};
use spin_sdk::http::{IncomingRequest, Method, Response};
use spin_sdk::http_component;

#[http_component]
async fn handle(request: IncomingRequest) -> Response {
    county_api::serve(request, route).await
}

/// Host-call budgets of these routes: `county_api::budgets` (tested in `budgets.rs`).
fn route(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    if let Some(segments) = request.segments_after("/api/admin") {
        return match (&request.method, segments.as_slice()) {
            (Method::Post, ["reconcile"]) => reconcile::reconcile(request, ctx),
            (Method::Post, ["report-recount"]) => report::recount(request, ctx),
            (_, ["reconcile" | "report-recount"]) => Err(ApiError::method_not_allowed()),
            _ => Err(ApiError::not_found()),
        };
    }
    let segments = request
        .segments_after("/api/claims")
        .ok_or_else(ApiError::not_found)?;
    // A claim id from the path is checked for its shape before it reaches a store key.
    if let [id, ..] = segments.as_slice()
        && !matches!(
            *id,
            "completions"
                | "queue"
                | "bulk-approve"
                | "recount"
                | "report"
                | "payable"
                | "payment-batch"
                | "bank-results"
        )
        && !subsidy_rules::claim::plausible_claim_id(id)
    {
        return Err(ApiError::not_found());
    }
    match (&request.method, segments.as_slice()) {
        (Method::Get, ["completions"]) => trainee::completions(request, ctx),
        (Method::Post, []) => trainee::submit(request, ctx),
        (Method::Get, []) => trainee::list(request, ctx),
        (Method::Get, ["queue"]) => review::queue(request, ctx),
        (Method::Get, ["payable"]) => payments::payable(request, ctx),
        (Method::Get, ["payment-batch"]) => payments::payment_batch(request, ctx),
        (Method::Post, ["bank-results"]) => payments::bank_results(request, ctx),
        (Method::Post, ["bulk-approve"]) => review::bulk_approve(request, ctx),
        (Method::Post, ["recount"]) => review::recount(request, ctx),
        (Method::Get, ["report"]) => report::report(request, ctx),
        (Method::Get, [id]) => trainee::fetch(request, ctx, id),
        (Method::Get, [id, "recheck"]) => review::recheck_now(request, ctx, id),
        (Method::Post, [id, "withdraw"]) => trainee::withdraw(request, ctx, id),
        (Method::Post, [id, "approve"]) => review::approve(request, ctx, id),
        (Method::Post, [id, "reject"]) => review::reject(request, ctx, id),
        (Method::Post, [id, "pay"]) => payments::pay(request, ctx, id),
        (Method::Post, [id, "payment-returned"]) => payments::payment_returned(request, ctx, id),
        (Method::Put, [id, "payee"]) => payments::correct_payee(request, ctx, id),
        (Method::Post, [id, "recovery"]) => payments::start_recovery(request, ctx, id),
        (Method::Post, [id, "recovered"]) => payments::recovered(request, ctx, id),
        (
            _,
            []
            | [_]
            | [
                _,
                "withdraw" | "approve" | "reject" | "pay" | "payment-returned" | "payee"
                | "recovery" | "recovered",
            ],
        ) => Err(ApiError::method_not_allowed()),
        _ => Err(ApiError::not_found()),
    }
}
