//! Finance's side of a claim: paying it from 就业补助资金, recording a payment the bank
//! returned and paying again, and recovering money wrongly paid (追回). Whoever approved a
//! claim does not pay it.

use county_api::{ApiError, ApiRequest, Context, ErrorKind, ExportFormat, json};
use serde::Deserialize;
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed, Reason, Yuan,
    auth::Role,
    bounded_text,
    claim::Claim,
    claim_action::ClaimAction,
    dates::china_day,
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
pub fn pay(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let id = request.claim_id()?;
    let finance = ctx.require_operator(request, ClaimAction::Pay.roles())?;
    let payment = Payment::parse(request.json::<PaymentInput>()?, china_day(ctx.now))?;
    let change = ctx.change_by(&finance.sub);
    let claim = ctx.store()?.update_claim(id, |current| {
        current
            .paid(change.clone(), payment.clone())
            .map_err(refused)
    })?;
    Ok(json(200, &claim.shown()))
}

/// The bank returned the payment (a closed card, a wrong account): finance records it, with
/// the reason; the trainee then corrects the payee and finance pays again.
pub fn payment_returned(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let id = request.claim_id()?;
    let finance = ctx.require_operator(request, ClaimAction::RecordReturn.roles())?;
    let reason = request.reason()?;
    let change = ctx.change_by(&finance.sub);
    let claim = ctx.store()?.update_claim(id, |current| {
        current
            .payment_returned(change.clone(), reason.clone())
            .map_err(refused)
    })?;
    Ok(json(200, &claim.shown()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecoveryInput {
    reason: String,
    amount: subsidy_rules::DecimalText,
}

/// A paid claim found wrongly paid: the amount to recover (at most what was paid) and why.
/// The claim keeps its place in the limits.
pub fn start_recovery(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let id = request.claim_id()?;
    let operator = ctx.require_operator(request, ClaimAction::StartRecovery.roles())?;
    let input: RecoveryInput = request.json()?;
    let (reason, amount) = (
        field("reason", bounded_text(&input.reason, 200)),
        field("amount", Yuan::parse(&input.amount.0)),
    )
        .all_parsed()?;
    let change = ctx.change_by(&operator.sub);
    let claim = ctx.store()?.update_claim(id, |current| {
        current
            .recovery_started(change.clone(), reason.clone(), amount)
            .map_err(refused)
    })?;
    Ok(json(200, &claim.masked()))
}

/// Finance records the money recovered: `{"reference","paid_on"}` of the repayment.
pub fn recovered(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let id = request.claim_id()?;
    let finance = ctx.require_operator(request, ClaimAction::RecordRecovered.roles())?;
    let payment = Payment::parse(request.json::<PaymentInput>()?, china_day(ctx.now))?;
    let change = ctx.change_by(&finance.sub);
    let claim: Claim = ctx.store()?.update_claim(id, |current| {
        current
            .recovered(change.clone(), payment.clone())
            .map_err(refused)
    })?;
    Ok(json(200, &claim.shown()))
}

/// A page of finance's desk as it may be paid today: a claim approved but not published, or
/// still under its notice (公示), waits on the desk unshown.
fn payable_page(ctx: &Context, after: u64, limit: usize) -> Result<(Vec<Claim>, u64), ApiError> {
    let (claims, next_after) = ctx.store()?.payable_claims(after, limit, ctx.now_unix())?;
    let today = china_day(ctx.now);
    let payable = (claims.into_iter())
        .filter(|c| c.notice_allows_payment(today).is_ok())
        .collect();
    Ok((payable, next_after))
}

/// Finance's desk: approved claims not yet paid whose notice has ended, oldest first, paged
/// (`?after=&limit=`; a page may hold fewer than `limit`), payee accounts whole (finance pays
/// to them).
pub fn payable(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    ctx.require_operator(request, &[Role::Finance])?;
    let (after, limit) = request.paging()?;
    let (claims, next_after) = payable_page(ctx, after, limit)?;
    let claims = claims.iter().map(Claim::shown).collect();
    Ok(json(200, &crate::review::QueuePage { claims, next_after }))
}

/// The same page as the bank's payment batch (代发), CSV or a workbook (`?format=`, `Accept`).
pub fn payment_batch(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    ctx.require_operator(request, &[Role::Finance])?;
    let (after, limit) = request.paging()?;
    let format = ExportFormat::of(request, ExportFormat::Csv)?;
    let (claims, next_after) = payable_page(ctx, after, limit)?;
    let title = format!(
        "{} 就业补助资金 生活费补贴代发 {}",
        ctx.config.county_name()?,
        subsidy_rules::dates::china_day(ctx.now)
    );
    let mut response = county_api::export(
        &subsidy_rules::claim::payment_batch(&claims, title),
        format,
        &format!(
            "{}-生活费补贴代发-{}",
            ctx.config.county_name()?,
            next_after
        ),
        &format!("{}-payment-batch-{next_after}", ctx.config.county()?),
    );
    response.set_header("x-next-after", next_after.to_string());
    Ok(response)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BankResults {
    results: Vec<BankResult>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BankResult {
    claim_id: String,
    /// `paid`, or `returned` (paid, and the bank sent it back).
    outcome: String,
    reference: String,
    paid_on: String,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(serde::Serialize)]
struct Applied {
    claim_id: String,
    applied: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<Reason>,
}

/// The bank's result of a payment batch, line by line (at most 100): each claim paid, or paid
/// and returned with the bank's reason. Each line is applied on its own; a refused line says
/// why and changes nothing.
pub fn bank_results(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let finance = ctx.require_operator(request, ClaimAction::Pay.roles())?;
    let input: BankResults = request.json()?;
    if input.results.is_empty() || input.results.len() > 100 {
        return Err(ApiError::invalid(vec![
            Reason::new(
                "invalid_batch_size",
                "每次应提交1至100条结果",
                "Send 1 to 100 results at a time",
            )
            .at("results"),
        ]));
    }
    let change = ctx.change_by(&finance.sub);
    let mut applied = Vec::new();
    for result in input.results {
        let claim_id = result.claim_id.clone();
        let outcome = apply_bank_result(ctx, &change, result);
        applied.push(match outcome {
            Ok(claim) => Applied {
                claim_id,
                applied: true,
                status: Some(claim.status.as_str()),
                reason: None,
            },
            Err(error) if !error.kind.is_server_side() => Applied {
                claim_id,
                applied: false,
                status: None,
                reason: Some(error.details.into_iter().next().unwrap_or(error.reason)),
            },
            Err(error) => return Err(error),
        });
    }
    Ok(json(200, &serde_json::json!({ "results": applied })))
}

fn apply_bank_result(
    ctx: &Context,
    change: &subsidy_rules::Change,
    result: BankResult,
) -> Result<Claim, ApiError> {
    if !subsidy_rules::claim::plausible_claim_id(&result.claim_id) {
        return Err(ApiError::not_found());
    }
    let input = PaymentInput {
        reference: result.reference,
        paid_on: result.paid_on,
    };
    let payment = Payment::parse(input, china_day(ctx.now))?;
    let returned = match (result.outcome.as_str(), result.reason) {
        ("paid", _) => None,
        ("returned", Some(reason)) => {
            Some(bounded_text(&reason, 200).map_err(|r| ApiError::invalid(vec![r.at("reason")]))?)
        }
        ("returned", None) => {
            return Err(ApiError::invalid(vec![
                Reason::new(
                    "reason_required",
                    "退回须注明原因",
                    "A returned payment needs the bank's reason",
                )
                .at("reason"),
            ]));
        }
        _ => {
            return Err(ApiError::invalid(vec![
                Reason::new(
                    "invalid_outcome",
                    "outcome 应为 paid 或 returned",
                    "outcome is paid or returned",
                )
                .at("outcome"),
            ]));
        }
    };
    ctx.store()?.update_claim(&result.claim_id, |current| {
        let paid = current
            .paid(change.clone(), payment.clone())
            .map_err(refused)?;
        match &returned {
            None => Ok(paid),
            Some(reason) => paid
                .payment_returned(change.clone(), reason.clone())
                .map_err(refused),
        }
    })
}
