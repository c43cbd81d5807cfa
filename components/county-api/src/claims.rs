//! Ending a claim, shared by the trainee who withdraws it and the reviewer who rejects it:
//! the claim changes holding the person's places, then what it held is freed.

use subsidy_rules::claim::Claim;

use crate::{ApiError, Context, ErrorKind};

/// Ends a claim (`change`: withdrawn or rejected) holding the person's places, then frees
/// what it held: its places in the limits and its completion record. A retry, or reconcile,
/// after a kill in between finds the claim ended and frees what is left.
pub fn end(
    ctx: &Context,
    claim: &Claim,
    change: impl FnMut(Claim) -> Result<Claim, ApiError>,
) -> Result<Claim, ApiError> {
    ctx.store()?
        .holding_places(&claim.person, ctx.now_unix(), || {
            let ended = ctx.store()?.update_claim(&claim.id, change)?;
            settle(ctx, &ended)?;
            Ok(ended)
        })
}

/// Frees what a claim that does not count (ended, or never stored) still holds: its record
/// and, by a recount, its places. Call it holding the person's places.
pub fn settle(ctx: &Context, claim: &Claim) -> Result<(), ApiError> {
    let released =
        ctx.store()?
            .update_completion(&claim.platform_id, &claim.record_id, |current| {
                Ok(current.released_from(&claim.id))
            });
    match released {
        Err(error) if error.kind == ErrorKind::NotFound => {}
        other => other.map(drop)?,
    }
    ctx.store()?.recount_claim_places(&claim.person, true)?;
    Ok(())
}
