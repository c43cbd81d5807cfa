//! The trainee's claims: their completion records, submitting a claim, their claims,
//! withdrawing one, correcting the payee after a returned payment.

use county_api::{ApiError, ApiRequest, Caller, Context, ErrorKind, Trainee, json, judge};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed, PersonGroup, PlatformId, Reason,
    auth::Role,
    claim::{Claim, ClaimRequest, PayeeInput, ReviewQueue, Submission},
    completion::{ClaimBlocked, CompletionRecord, RecordState, parse_record_id},
    dates::parse_day,
    eligibility::{Applicant, Verdict},
    field,
    journal::JournalEntry,
    optional_field,
    policy::ClaimLimits,
};

#[derive(Serialize)]
struct RecordSummary<'a> {
    platform_id: &'a PlatformId,
    record_id: &'a str,
    occupation: &'a subsidy_rules::OccupationCode,
    level: subsidy_rules::SkillLevel,
    study_hours: subsidy_rules::StudyHours,
    started_on: chrono::NaiveDate,
    assessed_on: chrono::NaiveDate,
    passed: bool,
    state: RecordState,
}

#[derive(Serialize)]
struct Records<'a> {
    records: Vec<RecordSummary<'a>>,
}

/// The trainee's completion records, from every platform: what they can claim from.
pub fn completions(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let trainee = ctx.require_trainee(request)?;
    let records = ctx.store()?.person_completions(&trainee.person)?;
    let summaries = records
        .iter()
        .map(|r| RecordSummary {
            platform_id: &r.platform_id,
            record_id: &r.facts.record_id,
            occupation: &r.facts.occupation,
            level: r.facts.level,
            study_hours: r.facts.study_hours,
            started_on: r.facts.started_on,
            assessed_on: r.facts.assessment.date,
            passed: r.facts.assessment.passed,
            state: r.state(),
        })
        .collect();
    Ok(json(200, &Records { records: summaries }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitInput {
    platform_id: String,
    record_id: String,
    group: String,
    #[serde(default)]
    graduation_date: Option<String>,
    #[serde(default)]
    employed: Option<bool>,
    payee: PayeeInput,
    consent: bool,
}

/// A trainee's claim request, every field checked at once.
struct SubmitRequest {
    platform_id: PlatformId,
    record_id: String,
    claim: ClaimRequest,
}

fn consent_given(consent: bool) -> Result<(), Vec<Reason>> {
    if consent {
        return Ok(());
    }
    Err(vec![
        Reason::new(
            "consent_required",
            "须同意为审核和发放补贴使用本人信息",
            "Consent to the use of your data for reviewing and paying the allowance is required",
        )
        .at("consent"),
    ])
}

impl TryFrom<SubmitInput> for SubmitRequest {
    type Error = Vec<Reason>;

    fn try_from(input: SubmitInput) -> Result<SubmitRequest, Vec<Reason>> {
        let (platform_id, record_id, group, graduation_date, payee, ()) = (
            field("platform_id", PlatformId::parse(&input.platform_id)),
            field("record_id", parse_record_id(&input.record_id)),
            field("group", PersonGroup::parse(&input.group)),
            optional_field(
                "graduation_date",
                input.graduation_date.as_deref(),
                parse_day,
            ),
            input.payee.parse(),
            consent_given(input.consent),
        )
            .all_parsed()?;
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
    }
}

#[derive(Serialize)]
struct Submitted<'a> {
    claim: &'a Claim,
    verdict: &'a Verdict,
}

fn idempotency_key(request: &ApiRequest) -> Result<Option<String>, ApiError> {
    let Some(key) = request.header("idempotency-key") else {
        return Ok(None);
    };
    let ok = (8..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        return Err(ApiError::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key 应为8至64位字母、数字、-或_",
            "Idempotency-Key must be 8 to 64 characters of A-Z, a-z, 0-9, - and _",
        ));
    }
    Ok(Some(key.to_owned()))
}

/// The answer to the submission that stored `claim`: 201, the claim as it was then and its
/// verdict. A retry with its `Idempotency-Key` gets the very same, marked as a replay.
fn submitted(ctx: &Context, claim: &Claim, replayed: bool) -> Result<Response, ApiError> {
    let claim = claim.as_submitted().masked();
    let verdict = claim.verdict(ctx.config.county()?);
    let mut response = json(
        201,
        &Submitted {
            claim: &claim,
            verdict: &verdict,
        },
    );
    if replayed {
        response.set_header("idempotent-replayed", "true");
    }
    Ok(response)
}

/// The answer for a retry whose key belongs to a stored claim: the first answer again, if the
/// request is the same; 422 `idempotency_key_reused` if it asks for something else. `None`
/// while no claim has the key.
fn replay(
    request: &ApiRequest,
    ctx: &Context,
    trainee: &Trainee,
    key: &str,
) -> Result<Option<Response>, ApiError> {
    let claims = ctx.store()?.person_claims(&trainee.person)?;
    let Some(claim) = claims
        .into_iter()
        .find(|c| c.idempotency_key.as_deref() == Some(key))
    else {
        return Ok(None);
    };
    let asked = request
        .json::<SubmitInput>()
        .ok()
        .and_then(|input| SubmitRequest::try_from(input).ok())
        .map(|input| fingerprint(ctx, &input))
        .transpose()?;
    match (&claim.request_fingerprint, asked) {
        (Some(first), Some(asked)) if *first == asked => Ok(Some(submitted(ctx, &claim, true)?)),
        // Stored before fingerprints were kept: the key is the word on it.
        (None, _) => Ok(Some(submitted(ctx, &claim, true)?)),
        _ => Err(ApiError::invalid(vec![
            Reason::new(
                "idempotency_key_reused",
                "该 Idempotency-Key 已用于另一项申领请求，请为新请求使用新的 Key",
                "This Idempotency-Key was used for another submission; use a new key for a new request",
            )
            .at("Idempotency-Key"),
        ])),
    }
}

fn fingerprint(ctx: &Context, input: &SubmitRequest) -> Result<String, ApiError> {
    Ok(subsidy_rules::claim::request_fingerprint(
        ctx.config.person_key_secret()?,
        &input.platform_id,
        &input.record_id,
        &input.claim,
    ))
}

/// Binds the record to the claim, on the version the claim was judged on.
fn bind_record(ctx: &Context, judged: &CompletionRecord, claim: &Claim) -> Result<(), ApiError> {
    ctx.store()?
        .update_completion(&claim.platform_id, &claim.record_id, |current| {
            let named_claim = match &current.claim {
                Some(id) if id != &claim.id => ctx.store()?.claim(id)?.map(|c| c.status),
                _ => None,
            };
            current
                .bound_to(&claim.id, &claim.person, &judged.digest, named_claim)
                .map_err(blocked)
        })?;
    Ok(())
}

fn blocked(blocked: ClaimBlocked) -> ApiError {
    match blocked {
        ClaimBlocked::AlreadyClaimed | ClaimBlocked::Changed => {
            ApiError::conflict(blocked.reason())
        }
        ClaimBlocked::Void => ApiError::invalid(vec![blocked.reason()]),
    }
}

/// Submitting a claim: the trainee's own open record, judged by the rules, stored once. The
/// `Idempotency-Key` is looked at first: a retry of a stored claim gets that claim, one that
/// races a submission still in flight gets 409 `request_in_progress`, never a verdict of its
/// own. A key held by a submission that died is taken over once its lease has expired.
pub fn submit(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let trainee = ctx.require_trainee(request)?;
    let key = idempotency_key(request)?;
    let held_key = match &key {
        None => None,
        Some(key) => {
            match ctx
                .store()?
                .take_idempotency_key(&trainee.person, key, ctx.now_unix())?
            {
                Some(held) => Some(held),
                None => {
                    if let Some(replayed) = replay(request, ctx, &trainee, key)? {
                        return Ok(replayed);
                    }
                    let taken = ctx.store()?.take_abandoned_idempotency_key(
                        &trainee.person,
                        key,
                        ctx.now_unix(),
                    )?;
                    Some(taken.ok_or_else(request_in_progress)?)
                }
            }
        }
    };
    let stored =
        prepare_claim(request, ctx, &trainee, key.clone()).and_then(|(claim, queue, record)| {
            store_claim(ctx, &claim, queue, &record)?;
            Ok(claim)
        });
    match stored {
        Ok(claim) => submitted(ctx, &claim, false),
        Err(refusal) => {
            // No claim was stored: the key is free for a corrected retry.
            if let Some(held) = &held_key {
                ctx.store()?.release_idempotency_key(held)?;
            }
            Err(refusal)
        }
    }
}

/// The claim a request would make, judged, its queue and the record it was judged on; nothing
/// written.
fn prepare_claim(
    request: &ApiRequest,
    ctx: &Context,
    trainee: &Trainee,
    key: Option<String>,
) -> Result<(Claim, ReviewQueue, CompletionRecord), ApiError> {
    let input: SubmitRequest = request.json::<SubmitInput>()?.try_into()?;
    let record = open_record_of(ctx, trainee, &input)?;
    let verdict = judge(
        ctx,
        &applicant(trainee, &record, &input),
        &record.as_completion(),
    )?;
    let fingerprint = match key {
        Some(key) => Some((key, fingerprint(ctx, &input)?)),
        None => None,
    };
    let shared_pattern =
        (ctx.store()?).pattern_count(&record.platform_id, &record.facts.pattern())?;
    let submission = Submission {
        id: format!("c-{}", county_api::random_hex(8)?),
        resident_id: &trainee.resident_id,
        person: &trainee.person,
        record: &record,
        request: &input.claim,
        idempotency: fingerprint,
        shared_pattern,
    };
    let (claim, queue) = Claim::submit(submission, &verdict, ctx.now).map_err(not_eligible)?;
    Ok((claim, queue, record))
}

/// The trainee's own record, open for a claim. Someone else's record, or none: not found.
fn open_record_of(
    ctx: &Context,
    trainee: &Trainee,
    input: &SubmitRequest,
) -> Result<CompletionRecord, ApiError> {
    let record = ctx
        .store()?
        .completion(&input.platform_id, &input.record_id)?
        .filter(|r| r.facts.trainee.person == trainee.person)
        .ok_or_else(ApiError::not_found)?;
    check_record_open(ctx, &record)?;
    Ok(record)
}

/// The applicant as the rules see them: who they are from the token, their hukou from the
/// record, their key group and declarations from the request.
fn applicant(trainee: &Trainee, record: &CompletionRecord, input: &SubmitRequest) -> Applicant {
    Applicant {
        resident_id: trainee.resident_id.clone(),
        hukou_county: record.facts.trainee.hukou_county.clone(),
        declared_group: input.claim.group,
        graduation_date: input.claim.graduation_date,
        employed: input.claim.employed,
    }
}

fn not_eligible(reasons: Vec<Reason>) -> ApiError {
    ApiError {
        kind: ErrorKind::Invalid,
        reason: Reason::new(
            "not_eligible",
            format!("不符合补贴条件（{}项），详见 details", reasons.len()),
            format!(
                "Not eligible ({} reasons, listed in details)",
                reasons.len()
            ),
        ),
        details: reasons,
    }
}

fn request_in_progress() -> ApiError {
    ApiError::new(
        ErrorKind::InProgress,
        Reason::new(
            "request_in_progress",
            "相同的申领请求正在处理中，请稍后查询",
            "A submission with this Idempotency-Key is in progress; check again shortly",
        ),
    )
}

/// Holding the person's places: journals the submission, takes the claim's places in the
/// limits, binds its record (still as judged), then stores the claim in its queue. A failure
/// undoes what was done; a kill leaves what the journal entry names, which the next request
/// holding the places, or reconcile, sets right.
fn store_claim(
    ctx: &Context,
    claim: &Claim,
    queue: ReviewQueue,
    judged: &CompletionRecord,
) -> Result<(), ApiError> {
    let limits = claim_limits(ctx, claim)?;
    ctx.store()?
        .holding_places(&claim.person, ctx.now_unix(), || {
            ctx.store()?.journal(&JournalEntry::Submission {
                claim_id: claim.id.clone(),
                person: claim.person.clone(),
                platform_id: claim.platform_id.clone(),
                record_id: claim.record_id.clone(),
                idempotency_key: claim.idempotency_key.clone(),
                at: ctx.now_unix(),
            })?;
            let stored = take_places_and_store(ctx, claim, queue, judged, &limits);
            if stored.is_err() {
                // Refused or failed: give back what was taken. Should this fail too, what is left
                // is what a kill leaves, and reconcile finds it by the journal entry.
                county_api::claims::settle(ctx, claim)?;
            }
            stored
        })
}

fn take_places_and_store(
    ctx: &Context,
    claim: &Claim,
    queue: ReviewQueue,
    judged: &CompletionRecord,
    limits: &ClaimLimits,
) -> Result<(), ApiError> {
    let mut refusal = ctx
        .store()?
        .reserve_claim_places(claim, limits, ctx.now_unix())?;
    // Refused: perhaps by places a killed submission left taken. Recount (exact: the places
    // are ours) and try once more.
    if refusal.is_some() && recounted(ctx, &claim.person)? {
        refusal = ctx
            .store()?
            .reserve_claim_places(claim, limits, ctx.now_unix())?;
    }
    if let Some(refusal) = refusal {
        return Err(ApiError::new(ErrorKind::Invalid, refusal.reason()));
    }
    bind_record(ctx, judged, claim)?;
    ctx.store()?.insert_claim(claim, queue, ctx.now_unix())
}

/// Sets the person's counters to their claims; true if any was wrong.
fn recounted(ctx: &Context, person: &subsidy_rules::PersonKey) -> Result<bool, ApiError> {
    let counters = ctx.store()?.recount_claim_places(person, true)?;
    Ok(counters.iter().any(|(_, was, is)| was != is))
}

/// The limits of the version the claim was judged on.
fn claim_limits(ctx: &Context, claim: &Claim) -> Result<ClaimLimits, ApiError> {
    let policy = ctx.policy_version(&claim.policy_version)?.ok_or_else(|| {
        ApiError::server(
            ErrorKind::Internal,
            "policy_version_unknown",
            "政策版本数据有误，请联系系统管理员",
            "The policy data is inconsistent; please tell the system administrator",
            format_args!("verdict names unknown version {}", claim.policy_version),
        )
    })?;
    Ok(policy.claim_limits.clone())
}

/// A record can carry one live claim: void records and records claimed already are refused.
fn check_record_open(ctx: &Context, record: &CompletionRecord) -> Result<(), ApiError> {
    let named_claim = match &record.claim {
        Some(id) => ctx.store()?.claim(id)?.map(|c| c.status),
        None => None,
    };
    record.open_for_claim(named_claim).map_err(blocked)
}

#[derive(Serialize)]
struct ClaimList {
    claims: Vec<Claim>,
}

pub fn list(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let trainee = ctx.require_trainee(request)?;
    let claims = ctx
        .store()?
        .person_claims(&trainee.person)?
        .iter()
        .map(Claim::masked)
        .collect();
    Ok(json(200, &ClaimList { claims }))
}

/// A claim its trainee or a county operator may read (`Claim::view_for`: finance alone sees
/// the whole payee account, which it pays to), with what the caller may do with it now.
pub fn fetch(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let id = request.claim_id()?;
    let who = ctx.require_caller(request)?;
    let claim = ctx.store()?.claim(id)?.ok_or_else(ApiError::not_found)?;
    let view = match who {
        Caller::Trainee(resident_id) => {
            if ctx.person(&resident_id)? != claim.person {
                return Err(ApiError::not_found());
            }
            claim.view_for(Role::Trainee, &resident_id.masked())
        }
        Caller::Operator(token) => claim.view_for(token.role, &token.sub),
    };
    Ok(json(200, &view))
}

/// Before approval a trainee may withdraw; the claim's places in the limits and its record
/// are freed. Withdrawing a withdrawn claim (a retry) answers it as it is.
pub fn withdraw(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let id = request.claim_id()?;
    let trainee = ctx.require_trainee(request)?;
    let existing = own_claim(ctx, &trainee, id)?;
    let change = ctx.change_by(&trainee.resident_id.masked());
    let claim = county_api::claims::end(ctx, &existing, |current| {
        current
            .withdrawn(change.clone())
            .map_err(ApiError::conflict)
    })?;
    Ok(json(200, &claim.masked()))
}

/// A claim of the trainee's own; anyone else's is not found (no hint that it exists).
fn own_claim(ctx: &Context, trainee: &Trainee, id: &str) -> Result<Claim, ApiError> {
    ctx.store()?
        .claim(id)?
        .filter(|c| c.person == trainee.person)
        .ok_or_else(ApiError::not_found)
}

/// The trainee corrects where the allowance is paid, after the bank returned a payment.
pub fn correct_payee(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let id = request.claim_id()?;
    let trainee = ctx.require_trainee(request)?;
    let payee = request
        .json::<PayeeInput>()?
        .parse()
        .map_err(|reasons: Vec<Reason>| ApiError::invalid(reasons))?;
    let existing = own_claim(ctx, &trainee, id)?;
    let change = ctx.change_by(&trainee.resident_id.masked());
    // Corrected, the claim is back on finance's desk (listed there first).
    let claim = ctx
        .store()?
        .change_onto_desk(&existing, ctx.now_unix(), |current| {
            current
                .payee_corrected(change.clone(), payee.clone())
                .map_err(ApiError::conflict)
        })?;
    Ok(json(200, &claim.masked()))
}
