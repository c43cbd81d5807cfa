//! 政策找人: the trainee's offers (`subsidy_rules::offers`), made from their records, the
//! registry and their claims whenever read, and accepting one with one request, which files
//! a claim exactly as a submission does (`claims::file_claim`), limits included.

use county_api::{ApiError, ApiRequest, Context, json, judge_on};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed, PersonGroup, PlatformId,
    claim::{ClaimRequest, PayeeInput},
    claims_file::status_among,
    completion::{CompletionRecord, parse_record_id},
    dates::parse_day,
    field,
    offers::{Offer, REGISTRY_GROUPS, no_offer, verified_group},
    optional_field,
    registry::RegistryEntry,
};

use crate::claims::{SubmitRequest, applicant_in, consent_given, file_claim};

#[derive(Serialize)]
struct Offers<'a> {
    offers: Vec<Offer<'a>>,
}

/// The group an offer of `record` is for, and the version in force on its assessment day.
fn offered<'c>(
    ctx: &'c Context,
    registry: &[RegistryEntry],
    record: &CompletionRecord,
) -> Result<Option<(PersonGroup, &'c subsidy_rules::PolicyVersion)>, ApiError> {
    let day = record.facts.assessment.date;
    if !record.facts.assessment.passed {
        return Ok(None);
    }
    let policy = ctx.policies_for(&[day])?.current(day);
    Ok(verified_group(policy, registry, day).map(|group| (group, policy)))
}

/// `GET /api/claims/offers`: every record of the trainee that the registry makes an offer,
/// open (acceptable, or every reason it is not), taken or void.
pub fn list(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let trainee = ctx.require_trainee(request)?;
    let store = ctx.store()?;
    let records =
        county_api::claims::shown_records(ctx, store.person_completions(&trainee.person)?)?;
    let registry = store.registry_entries(&trainee.person, &REGISTRY_GROUPS)?;
    let (file, claims) = store.person_file(&trainee.person, &[])?;
    let (status, now) = (status_among(&claims), ctx.now_unix());
    let history = file.history(&status, now);
    let mut offers = Vec::new();
    for record in &records {
        let Some((group, policy)) = offered(ctx, &registry, record)? else {
            continue;
        };
        let (platform, id) = (&record.platform_id, record.facts.record_id.as_str());
        let taken = (file.holding_record(platform, id, &status, now)).map(|f| f.claim_id.as_str());
        let verdict = match (taken, &record.void_reason) {
            (None, None) => {
                let applicant = applicant_in(&trainee, record, group, None, None);
                let completion = record.as_completion();
                Some(judge_on(
                    ctx,
                    &trainee.person,
                    &applicant,
                    &completion,
                    &history,
                )?)
            }
            _ => None,
        };
        offers.push(Offer::of(record, group, policy, taken, verdict));
    }
    Ok(json(200, &Offers { offers }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptInput {
    platform_id: String,
    record_id: String,
    payee: PayeeInput,
    consent: bool,
    /// An unemployed graduate's declarations, as in a submission.
    #[serde(default)]
    graduation_date: Option<String>,
    #[serde(default)]
    employed: Option<bool>,
}

/// `POST /api/claims/offers/accept` (`Idempotency-Key` honoured): the offer of a record taken
/// as a claim for the group the registry verified, with the payee and consent.
pub fn accept(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    file_claim(request, ctx, |trainee| {
        let input: AcceptInput = request.json()?;
        let (platform_id, record_id, graduation_date, payee, ()) = (
            field("platform_id", PlatformId::parse(&input.platform_id)),
            field("record_id", parse_record_id(&input.record_id)),
            optional_field(
                "graduation_date",
                input.graduation_date.as_deref(),
                parse_day,
            ),
            input.payee.parse(),
            consent_given(input.consent),
        )
            .all_parsed()?;
        let store = ctx.store()?;
        let record = (store.completion(&platform_id, &record_id)?)
            .filter(|r| r.facts.trainee.person == trainee.person)
            .ok_or_else(ApiError::not_found)?;
        let registry = store.registry_entries(&trainee.person, &REGISTRY_GROUPS)?;
        let (group, _) =
            offered(ctx, &registry, &record)?.ok_or_else(|| ApiError::invalid(vec![no_offer()]))?;
        Ok(SubmitRequest {
            platform_id,
            record_id,
            claim: ClaimRequest {
                group,
                graduation_date,
                employed: input.employed,
                payee,
            },
        })
    })
}
