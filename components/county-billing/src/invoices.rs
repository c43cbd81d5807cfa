//! The county's side of an invoice: finance approves it (not its issuer) and pays it (not
//! its approver); finance or an admin cancels it before payment, freeing its lines; a paid
//! line found wrongly paid is recovered (追回).

use county_api::{ApiError, ApiRequest, Context, json};
use serde::Deserialize;
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed, Reason,
    auth::Role,
    dates::china_day,
    field,
    invoice::{Invoice, RECORDS_PER_STEP},
    payment::{Payment, PaymentInput},
};

fn transition_refused(reason: Reason) -> ApiError {
    ApiError::conflict(reason)
}

pub fn approve(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let number = request.invoice_number()?;
    let finance = ctx.require_operator(request, &[Role::Finance])?;
    let change = ctx.change_by(&finance.sub);
    let invoice = ctx.store()?.update_invoice(number, |current| {
        current.approved(change.clone()).map_err(transition_refused)
    })?;
    Ok(json(200, &invoice))
}

/// Finance or an admin cancels an invoice before it is paid (or while it is building), with
/// the reason: its lines are billable again, each record unmarked and its course given back,
/// `RECORDS_PER_STEP` lines a request. While lines are left to free it answers 202 and the
/// same request again frees the next (`lines_freed` says how far it got); then 200. Records a
/// request killed midway left marked are freed by the next cancel, the month's next build or
/// reconcile.
pub fn cancel(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let number = request.invoice_number()?;
    let operator = ctx.require_operator(request, &[Role::Finance, Role::Admin])?;
    let reason = request.reason()?;
    let change = ctx.change_by(&operator.sub);
    let store = ctx.store()?;
    let cancelled = store.update_invoice(number, |current| {
        current
            .cancelled(change.clone(), reason.clone())
            .map_err(transition_refused)
    })?;
    let (from, count) = (cancelled.invoice.lines_freed, cancelled.line_count);
    if from >= count {
        return Ok(json(200, &cancelled));
    }
    let to = (from + RECORDS_PER_STEP).min(count);
    let stored = store
        .invoice_header(number)?
        .ok_or_else(ApiError::not_found)?;
    for line in store.invoice_lines_between(&stored, from, to)? {
        store.unbill_record(&stored.invoice.platform_id, &line.record_id, number)?;
    }
    let freed = store.update_invoice(number, |current| {
        Ok(Invoice {
            lines_freed: current.lines_freed.max(to),
            ..current
        })
    })?;
    Ok(json(if to < count { 202 } else { 200 }, &freed))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineRecoveryInput {
    reason: String,
    amount: subsidy_rules::DecimalText,
}

fn line_refused(reason: Reason) -> ApiError {
    match reason.code {
        "invalid_recovery_amount" => ApiError::invalid(vec![reason]),
        "no_such_line" => ApiError::not_found(),
        _ => ApiError::conflict(reason),
    }
}

/// Finance or an admin marks a line of a paid invoice for recovery (追回): the amount (at most
/// the line's) and why.
pub fn start_line_recovery(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let number = request.invoice_number()?;
    let record_id = request.param("record_id");
    let operator = ctx.require_operator(request, &[Role::Finance, Role::Admin])?;
    let input: LineRecoveryInput = request.json()?;
    let (reason, amount) = (
        field("reason", subsidy_rules::bounded_text(&input.reason, 200)),
        field("amount", subsidy_rules::Yuan::parse(&input.amount.0)),
    )
        .all_parsed()?;
    let change = ctx.change_by(&operator.sub);
    let line = ctx.store()?.invoice_line(number, record_id)?;
    let invoice = ctx.store()?.update_invoice(number, |current| {
        current
            .line_recovery_started(
                record_id,
                line.as_ref(),
                amount,
                reason.clone(),
                change.clone(),
            )
            .map_err(line_refused)
    })?;
    Ok(json(200, &invoice))
}

/// Finance records the money of a line recovered: `{"reference","paid_on"}`.
pub fn line_recovered(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let number = request.invoice_number()?;
    let record_id = request.param("record_id");
    ctx.require_operator(request, &[Role::Finance])?;
    let payment = Payment::parse(request.json::<PaymentInput>()?, china_day(ctx.now))?;
    let invoice = ctx.store()?.update_invoice(number, |current| {
        current
            .line_recovered(record_id, payment.clone())
            .map_err(line_refused)
    })?;
    Ok(json(200, &invoice))
}

pub fn pay(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let number = request.invoice_number()?;
    let finance = ctx.require_operator(request, &[Role::Finance])?;
    let payment = Payment::parse(request.json::<PaymentInput>()?, china_day(ctx.now))?;
    let change = ctx.change_by(&finance.sub);
    let invoice = ctx.store()?.update_invoice(number, |current| {
        current
            .paid(payment.clone(), change.clone())
            .map_err(transition_refused)
    })?;
    Ok(json(200, &invoice))
}
