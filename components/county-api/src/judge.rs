//! Judging an applicant's training: the rules, fed from the store.

use subsidy_rules::{
    PersonKey, PriorClaim,
    claims_file::status_among,
    eligibility::{Applicant, Completion, CountyRules, Verdict, evaluate, wrong_county},
};

use crate::{ApiError, Context, ErrorKind};

/// The verdict of the rules on `completion` for `applicant`, read against the county's
/// platform register, the applicant's registry entries for the declared group and their claim
/// history (their claims file and claims, read in one batch with the rest). Another county's
/// resident is not ours to judge: 422 `wrong_county`, naming the county that pays, with every
/// other reason alongside.
pub fn judge(
    ctx: &Context,
    applicant: &Applicant,
    completion: &Completion,
) -> Result<Verdict, ApiError> {
    let person = PersonKey::derive(ctx.config.person_key_secret()?, &applicant.resident_id);
    let ahead = ctx
        .store()?
        .judgement_keys(&person, applicant.declared_group);
    let (file, claims) = ctx.store()?.person_file(&person, &ahead)?;
    let history = file.history(status_among(&claims), ctx.now_unix());
    judge_on(ctx, &person, applicant, completion, &history)
}

/// The verdict on a history already read (a submission reads it under compare-and-swap).
pub fn judge_on(
    ctx: &Context,
    person: &PersonKey,
    applicant: &Applicant,
    completion: &Completion,
    history: &[PriorClaim],
) -> Result<Verdict, ApiError> {
    let registry = ctx
        .store()?
        .registry_entries(person, &[applicant.declared_group])?;
    let platforms = ctx.store()?.table::<subsidy_rules::PlatformRegister>()?;
    let rules = CountyRules {
        county: ctx.config.county()?,
        policies: ctx.policies_for(&[completion.assessed_on])?,
        platforms: &platforms,
        today: subsidy_rules::dates::china_day(ctx.now),
    };
    let verdict = evaluate(&rules, applicant, completion, &registry, history);
    if &verdict.paying_county != ctx.config.county()? {
        return Err(ApiError {
            kind: ErrorKind::Invalid,
            reason: wrong_county(&verdict.paying_county, ctx.config.county()?),
            details: verdict.reasons.clone(),
        });
    }
    Ok(verdict)
}
