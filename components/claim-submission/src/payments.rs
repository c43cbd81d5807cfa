//! Finance's side of a claim: paying it from 就业补助资金, recording a payment the bank
//! returned and paying again, and recovering money wrongly paid (追回). Whoever approved a
//! claim does not pay it.

use county_api::{ApiError, ApiRequest, Context, ErrorKind, json};
use serde::Deserialize;
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed, Reason, Yuan,
    auth::Role,
    bounded_text,
    claim::{Claim, PayeeInput},
    field,
    payment::{Payment, PaymentInput},
};

fn refused(reason: Reason) -> ApiError {
    match reason.code {
        // A field's problem, not the claim's state.
        "invalid_recovery_amount" => ApiError::invalid(vec![reason]),
        _ => ApiError::new(ErrorKind::Conflict, reason),
    }
}

/// Finance marks an approved claim (or one whose payment came back) paid.
pub fn pay(request: &ApiRequest, ctx: &Context, id: &str) -> Result<Response, ApiError> {
    let finance = ctx.require_operator(request, &[Role::Finance])?;
    let payment = Payment::try_from(request.json::<PaymentInput>()?)?;
    let change = ctx.change_by(&finance.sub);
    let claim = ctx.store.update_claim(id, |current| {
        current
            .paid(change.clone(), payment.clone())
            .map_err(refused)
    })?;
    Ok(json(200, &claim))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonInput {
    reason: String,
}

fn reason_of(request: &ApiRequest) -> Result<String, ApiError> {
    let input: ReasonInput = request.json()?;
    bounded_text(&input.reason, 200).map_err(|r| ApiError::invalid(vec![r.at("reason")]))
}

/// The bank returned the payment (a closed card, a wrong account): finance records it, with
/// the reason; the trainee then corrects the payee and finance pays again.
pub fn payment_returned(
    request: &ApiRequest,
    ctx: &Context,
    id: &str,
) -> Result<Response, ApiError> {
    let finance = ctx.require_operator(request, &[Role::Finance])?;
    let reason = reason_of(request)?;
    let change = ctx.change_by(&finance.sub);
    let claim = ctx.store.update_claim(id, |current| {
        current
            .payment_returned(change.clone(), reason.clone())
            .map_err(refused)
    })?;
    Ok(json(200, &claim))
}

/// The trainee corrects where the allowance is paid, after the bank returned a payment.
pub fn correct_payee(request: &ApiRequest, ctx: &Context, id: &str) -> Result<Response, ApiError> {
    let trainee = ctx.require_trainee(request)?;
    let payee = request
        .json::<PayeeInput>()?
        .parse()
        .map_err(|reasons: Vec<Reason>| ApiError::invalid(reasons))?;
    let existing = ctx
        .store
        .claim(id)?
        .filter(|c| c.person == trainee.person)
        .ok_or_else(ApiError::not_found)?;
    let change = ctx.change_by(&trainee.resident_id.masked());
    let claim = ctx.store.update_claim(&existing.id, |current| {
        current
            .payee_corrected(change.clone(), payee.clone())
            .map_err(refused)
    })?;
    Ok(json(200, &claim.masked()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecoveryInput {
    reason: String,
    amount: subsidy_rules::DecimalText,
}

/// A paid claim found wrongly paid: the amount to recover (at most what was paid) and why.
/// The claim keeps its place in the limits.
pub fn start_recovery(request: &ApiRequest, ctx: &Context, id: &str) -> Result<Response, ApiError> {
    let operator = ctx.require_operator(request, &[Role::Reviewer, Role::Finance])?;
    let input: RecoveryInput = request.json()?;
    let (reason, amount) = (
        field("reason", bounded_text(&input.reason, 200)),
        field("amount", Yuan::parse(&input.amount.0)),
    )
        .all_parsed()?;
    let change = ctx.change_by(&operator.sub);
    let claim = ctx.store.update_claim(id, |current| {
        current
            .recovery_started(change.clone(), reason.clone(), amount)
            .map_err(refused)
    })?;
    Ok(json(200, &claim.masked()))
}

/// Finance records the money recovered: `{"reference","paid_on"}` of the repayment.
pub fn recovered(request: &ApiRequest, ctx: &Context, id: &str) -> Result<Response, ApiError> {
    let finance = ctx.require_operator(request, &[Role::Finance])?;
    let payment = Payment::try_from(request.json::<PaymentInput>()?)?;
    let change = ctx.change_by(&finance.sub);
    let claim: Claim = ctx.store.update_claim(id, |current| {
        current
            .recovered(change.clone(), payment.clone())
            .map_err(refused)
    })?;
    Ok(json(200, &claim))
}
