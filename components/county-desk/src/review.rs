//! The reviewers' desk: the review queues, a claim's recheck, approving (one by one or the
//! registry-verified in bulk) and rejecting.

use county_api::{ApiError, ApiRequest, Context, ErrorKind, MAX_PAGE, json};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed, PlatformRegister, Reason,
    auth::Role,
    bounded_text,
    claim::{Claim, ReviewQueue},
    claim_action::ClaimAction,
    field,
};

#[derive(Serialize)]
pub struct QueuePage {
    pub claims: Vec<Claim>,
    /// Pass as `after` for the next page; the page is the last when `claims` is shorter than
    /// `limit`.
    pub next_after: u64,
}

/// `?kind=review` (key group declared only; the default) or `?kind=verified` (found in the
/// registry), oldest first, `after` and `limit` (1 to 100) for paging.
pub fn queue(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    ctx.require_operator(request, &[Role::Reviewer, Role::Admin])?;
    let kind = request.query_param("kind");
    let (queue, (after, limit)) = (
        field(
            "kind",
            ReviewQueue::parse(kind.as_deref().unwrap_or("review")),
        ),
        request.paging(),
    )
        .all_parsed()?;
    let (claims, next_after) = ctx
        .store()?
        .claim_queue(queue, after, limit, ctx.now_unix())?;
    Ok(json(
        200,
        &QueuePage {
            claims: claims.iter().map(Claim::masked).collect(),
            next_after,
        },
    ))
}

fn refused(reason: Reason) -> ApiError {
    ApiError::new(ErrorKind::Conflict, reason)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ApproveInput {
    #[serde(default)]
    note: Option<String>,
}

/// Approving verifies the trainee's declared key group: the platform's invoice line for the
/// course stops being held.
pub fn approve(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let id = request.claim_id()?;
    let reviewer = ctx.require_operator(request, ClaimAction::Approve.roles())?;
    let input: ApproveInput = if request.body.is_empty() {
        ApproveInput::default()
    } else {
        request.json()?
    };
    let note = match input.note.as_deref() {
        None => None,
        Some(n) => Some(bounded_text(n, 200).map_err(|r| ApiError::invalid(vec![r.at("note")]))?),
    };
    let change = ctx.change_by(&reviewer.sub);
    let existing = ctx.store()?.claim(id)?.ok_or_else(ApiError::not_found)?;
    recheck(ctx, &existing)?;
    let claim = ctx
        .store()?
        .change_onto_desk(&existing, ctx.now_unix(), |current| {
            current
                .approved(change.clone(), note.clone())
                .map_err(refused)
        })?;
    Ok(json(200, &claim.masked()))
}

/// Before approval the claim is judged again on the facts as they are now (`Claim::recheck`):
/// 422 `not_eligible` with every reason when they no longer hold.
fn recheck(ctx: &Context, claim: &Claim) -> Result<(), ApiError> {
    if claim.status != subsidy_rules::ClaimStatus::Submitted {
        return Ok(());
    }
    let reasons = reasons_against(ctx, claim)?;
    if reasons.is_empty() {
        return Ok(());
    }
    Err(ApiError {
        kind: ErrorKind::Invalid,
        reason: Reason::new(
            "not_eligible",
            format!("已不符合补贴条件（{}项），详见 details", reasons.len()),
            format!(
                "No longer eligible ({} reasons, listed in details)",
                reasons.len()
            ),
        ),
        details: reasons,
    })
}

/// What, in the facts as they are now, stands against approving the claim: every reason.
fn reasons_against(ctx: &Context, claim: &Claim) -> Result<Vec<Reason>, ApiError> {
    let record = ctx
        .store()?
        .completion(&claim.platform_id, &claim.record_id)?;
    Ok(claim.recheck(record.as_ref(), &ctx.store()?.table::<PlatformRegister>()?))
}

#[derive(Serialize)]
struct Recheck {
    claim_id: String,
    /// Whether approving it would pass the recheck (the claim's own state aside).
    eligible: bool,
    reasons: Vec<Reason>,
}

/// The recheck approving would make, made now without changing anything: what a reviewer
/// reads before deciding (`GET /api/claims/{id}/recheck`).
pub fn recheck_now(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let id = request.claim_id()?;
    ctx.require_operator(request, &[Role::Reviewer, Role::Finance, Role::Admin])?;
    let claim = ctx.store()?.claim(id)?.ok_or_else(ApiError::not_found)?;
    let reasons = reasons_against(ctx, &claim)?;
    Ok(json(
        200,
        &Recheck {
            claim_id: claim.id,
            eligible: reasons.is_empty(),
            reasons,
        },
    ))
}

pub fn reject(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let id = request.claim_id()?;
    let reviewer = ctx.require_operator(request, ClaimAction::Reject.roles())?;
    let reason = request.reason()?;
    let change = ctx.change_by(&reviewer.sub);
    let existing = ctx.store()?.claim(id)?.ok_or_else(ApiError::not_found)?;
    let claim = county_api::claims::end(ctx, &existing, |current| {
        current
            .rejected(change.clone(), reason.clone())
            .map_err(refused)
    })?;
    Ok(json(200, &claim.masked()))
}

/// How many of its platform's records share the pattern of dates and hours of the claim's
/// record, now: claims on a pattern reported in bulk are reviewed one by one.
fn shared_pattern(ctx: &Context, claim: &Claim) -> Result<i64, ApiError> {
    let store = ctx.store()?;
    match store.completion(&claim.platform_id, &claim.record_id)? {
        Some(record) => store.pattern_count(&claim.platform_id, &record.facts.pattern()),
        None => Ok(0),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkInput {
    claim_ids: Vec<String>,
}

#[derive(Serialize)]
struct BulkResult {
    claim_id: String,
    approved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<Reason>,
}

/// Approves claims whose key group the registry verified, each on its own; others are
/// skipped with the reason.
pub fn bulk_approve(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let reviewer = ctx.require_operator(request, ClaimAction::Approve.roles())?;
    let input: BulkInput = request.json()?;
    if input.claim_ids.is_empty() || input.claim_ids.len() > MAX_PAGE {
        return Err(ApiError::invalid(vec![
            Reason::new(
                "invalid_batch_size",
                "每次应批量审核1至100条",
                "Approve 1 to 100 claims at a time",
            )
            .at("claim_ids"),
        ]));
    }
    let change = ctx.change_by(&reviewer.sub);
    let mut results = Vec::new();
    for id in input.claim_ids {
        let outcome = match ctx.store()?.claim(&id)? {
            Some(existing) => recheck(ctx, &existing).map(|()| existing),
            None => Err(ApiError::not_found()),
        }
        .and_then(|existing| {
            let shared = shared_pattern(ctx, &existing)?;
            existing.approvable_in_bulk(shared).map_err(refused)?;
            ctx.store()?
                .change_onto_desk(&existing, ctx.now_unix(), |current| {
                    current.approvable_in_bulk(shared).map_err(refused)?;
                    current.approved(change.clone(), None).map_err(refused)
                })
        });
        results.push(match outcome {
            Ok(_) => BulkResult {
                claim_id: id,
                approved: true,
                reason: None,
            },
            Err(error)
                if error.kind != ErrorKind::Internal && error.kind != ErrorKind::Unavailable =>
            {
                BulkResult {
                    claim_id: id,
                    approved: false,
                    reason: Some(error.reason),
                }
            }
            Err(error) => return Err(error),
        });
    }
    Ok(json(200, &serde_json::json!({ "results": results })))
}
