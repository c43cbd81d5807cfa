//! Ending a claim, shared by the trainee who withdraws it and the reviewer who rejects it; and
//! what a record's binding to a claim is worth.

use subsidy_rules::{claim::Claim, completion::CompletionRecord};

use crate::{ApiError, Context, ErrorKind};

/// Ends a claim (`change`: withdrawn or rejected), then frees its record. Its places in the
/// limits are free at once: the limits count the claims that count (`claims_file`). A kill in
/// between leaves the record bound to a claim that no longer holds it, which no reader takes
/// for a hold (`shown_records`) and the record's next change drops (`unbound_if_dead`).
pub fn end(
    ctx: &Context,
    claim: &Claim,
    change: impl FnMut(Claim) -> Result<Claim, ApiError>,
) -> Result<Claim, ApiError> {
    let ended = ctx.store()?.update_claim(&claim.id, change)?;
    release_record(ctx, &ended)?;
    Ok(ended)
}

/// Frees a claim's record of its binding, when it carries it.
pub fn release_record(ctx: &Context, claim: &Claim) -> Result<(), ApiError> {
    let released =
        ctx.store()?
            .update_completion(&claim.platform_id, &claim.record_id, |current| {
                Ok(current.released_from(&claim.id))
            });
    match released {
        Err(error) if error.kind == ErrorKind::NotFound => Ok(()),
        other => other.map(drop),
    }
}

/// Records as their readers see them: a binding that holds nothing (its claim ended, or its
/// submission died before storing it) is not shown. Nothing is written.
pub fn shown_records(
    ctx: &Context,
    mut records: Vec<CompletionRecord>,
) -> Result<Vec<CompletionRecord>, ApiError> {
    let holds = ctx.store()?.bindings_hold(&records, ctx.now_unix())?;
    for (record, holds) in records.iter_mut().zip(holds) {
        if let (Some(id), false) = (record.claim.clone(), holds) {
            *record = record.released_from(&id);
        }
    }
    Ok(records)
}

/// A record about to be corrected or voided, without a binding that holds nothing: the change
/// that follows drops it, where a binding that holds refuses the change (`check_open`).
pub fn unbound_if_dead(
    ctx: &Context,
    record: CompletionRecord,
) -> Result<CompletionRecord, ApiError> {
    if record.claim.is_none() {
        return Ok(record);
    }
    Ok(shown_records(ctx, vec![record])?.remove(0))
}
