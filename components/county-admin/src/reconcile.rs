//! `POST /api/admin/reconcile`: an admin finds what requests killed midway left half done and,
//! when asked, repairs it (`county_api::reconcile`). Paged over the journal so that each
//! request does bounded work; run from `after: 0` until `done`.

use county_api::{ApiError, ApiRequest, Context, json, reconcile};
use serde::Deserialize;
use spin_sdk::http::Response;
use subsidy_rules::{Reason, auth::Role, completion::parse_month};

/// Journal entries one request checks by default and at most: each costs a few dozen store
/// operations.
const DEFAULT_LIMIT: u64 = 100;
const MAX_LIMIT: u64 = 200;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ReconcileInput {
    /// Without it, a dry run: what would be repaired, nothing written.
    #[serde(default)]
    repair: bool,
    #[serde(default)]
    after: u64,
    /// The last page's `next_records_after`: where it stopped in an invoice build's month.
    #[serde(default)]
    records_after: u64,
    #[serde(default)]
    limit: Option<u64>,
    /// The last page's `next_report_month`: the report's month the run checks next.
    #[serde(default)]
    report_month: Option<String>,
}

pub fn reconcile(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    ctx.require_operator(request, &[Role::Admin])?;
    let input: ReconcileInput = if request.body.is_empty() {
        ReconcileInput::default()
    } else {
        request.json()?
    };
    let limit = input.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(vec![
            Reason::new(
                "invalid_number",
                format!("limit 应为1至{MAX_LIMIT}的整数"),
                format!("limit is a whole number from 1 to {MAX_LIMIT}"),
            )
            .at("limit"),
        ]));
    }
    let page = match input.report_month {
        None => reconcile::page(ctx, input.after, input.records_after, limit, input.repair)?,
        Some(month) => {
            let month =
                parse_month(&month).map_err(|r| ApiError::invalid(vec![r.at("report_month")]))?;
            reconcile::report_page(ctx, &month, input.after, input.repair)?
        }
    };
    Ok(json(200, &page))
}
