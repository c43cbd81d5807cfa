//! The trainee's claims: their completion records, submitting a claim, their claims,
//! withdrawing one, correcting the payee after a returned payment.

use county_api::{ApiError, ApiRequest, Caller, Context, ErrorKind, Trainee, json, judge_on};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed, PersonGroup, PlatformId, Reason,
    auth::Role,
    claim::{Claim, ClaimRequest, PayeeInput, ReviewQueue, Submission},
    claims_file::{ClaimsFile, FiledClaim, Standing, status_among},
    completion::{ClaimBlocked, CompletionRecord, parse_record_id},
    dates::parse_day,
    eligibility::{Applicant, Verdict},
    events::TraineeRecord,
    field, optional_field,
};

#[derive(Serialize)]
struct Records<'a> {
    records: Vec<TraineeRecord<'a>>,
}

/// The trainee's completion records, from every platform: what they can claim from.
pub fn completions(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let trainee = ctx.require_trainee(request)?;
    let records =
        county_api::claims::shown_records(ctx, ctx.store()?.person_completions(&trainee.person)?)?;
    let summaries = records.iter().map(TraineeRecord::of).collect();
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
pub struct SubmitRequest {
    pub platform_id: PlatformId,
    pub record_id: String,
    pub claim: ClaimRequest,
}

pub fn consent_given(consent: bool) -> Result<(), Vec<Reason>> {
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

/// The answer for a retry whose key belongs to stored `claim`: the first answer again, if the
/// request is the same (`asked`: its fingerprint; none for a body that does not parse); 422
/// `idempotency_key_reused` if it asks for something else.
fn replay(ctx: &Context, claim: &Claim, asked: Option<&str>) -> Result<Response, ApiError> {
    match (&claim.request_fingerprint, asked) {
        (Some(first), Some(asked)) if first == asked => submitted(ctx, claim, true),
        // Stored before fingerprints were kept: the key is the word on it.
        (None, _) => submitted(ctx, claim, true),
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

fn blocked(blocked: ClaimBlocked) -> ApiError {
    match blocked {
        ClaimBlocked::AlreadyClaimed | ClaimBlocked::Changed => {
            ApiError::conflict(blocked.reason())
        }
        ClaimBlocked::Void => ApiError::invalid(vec![blocked.reason()]),
    }
}

fn parse_submission(request: &ApiRequest) -> Result<SubmitRequest, ApiError> {
    Ok(request.json::<SubmitInput>()?.try_into()?)
}

/// What judging a submission against the person's claims file decided.
enum Decision {
    /// A retry of a stored claim.
    Replay(Claim),
    /// Filed: the claim to store and the queue it waits in.
    Filed(Claim, ReviewQueue),
}

/// Submitting a claim: the trainee's own open record, judged by the rules on the claims their
/// file names, filed in it under compare-and-swap (so that the limits and the record's one
/// live claim hold whatever runs at once), the record bound to it, then stored with its
/// listings in one write. A retry with the `Idempotency-Key` of a stored claim gets that claim;
/// one that races a submission still in flight gets 409 `request_in_progress`, never a verdict
/// of its own; one whose submission died (a minute on) takes its place. Its store calls, and
/// what each is for: `county_api::budgets`.
pub fn submit(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    file_claim(request, ctx, |_| parse_submission(request))
}

/// Files the claim `parse` makes of the request (a submission, an offer accepted) for the
/// trainee who sends it, as `submit` says.
pub fn file_claim(
    request: &ApiRequest,
    ctx: &Context,
    parse: impl FnOnce(&Trainee) -> Result<SubmitRequest, ApiError>,
) -> Result<Response, ApiError> {
    let trainee = ctx.require_trainee(request)?;
    let key = idempotency_key(request)?;
    let input = match parse(&trainee) {
        Ok(input) => input,
        Err(refusal) => return refused_unless_retry(ctx, &trainee, key.as_deref(), refusal),
    };
    let store = ctx.store()?;
    // Read under a swap opened now: the record is bound at the end to the version judged.
    let opened = store.open_completion(&input.platform_id, &input.record_id)?;
    let record = (opened.current.clone())
        .filter(|r| r.facts.trainee.person == trainee.person)
        .ok_or_else(ApiError::not_found)?;
    let asked = match &key {
        Some(key) => Some((key.clone(), fingerprint(ctx, &input)?)),
        None => None,
    };
    let mut ahead = store.judgement_keys(&trainee.person, input.claim.group);
    ahead.push(store.pattern_key(&record.platform_id, &record.facts.pattern()));
    let mut decision = None;
    store.update_person_file(&trainee.person, &ahead, |file, claims| {
        let judged = Judged {
            ctx,
            trainee: &trainee,
            input: &input,
            record: &record,
            asked: asked.as_ref(),
        };
        let (next, decided) = judged.decide(file, claims)?;
        decision = Some(decided);
        Ok(next)
    })?;
    match decision.expect("decided when the file was written") {
        Decision::Replay(claim) => replay(ctx, &claim, asked.as_ref().map(|(_, f)| f.as_str())),
        Decision::Filed(claim, queue) => {
            store_filed(ctx, opened, &record, &claim, queue)?;
            submitted(ctx, &claim, false)
        }
    }
}

/// A body that does not parse is refused, unless its key names a stored claim: that retry is
/// answered as `replay` says.
fn refused_unless_retry(
    ctx: &Context,
    trainee: &Trainee,
    key: Option<&str>,
    refusal: ApiError,
) -> Result<Response, ApiError> {
    let Some(key) = key else {
        return Err(refusal);
    };
    let (file, claims) = ctx.store()?.person_file(&trainee.person, &[])?;
    let stored = (file.with_key(key)).and_then(|f| claims.iter().find(|c| c.id == f.claim_id));
    match stored {
        Some(claim) => replay(ctx, claim, None),
        None => Err(refusal),
    }
}

/// A submission judged against its person's claims file as one attempt of the swap read it.
struct Judged<'a> {
    ctx: &'a Context,
    trainee: &'a Trainee,
    input: &'a SubmitRequest,
    record: &'a CompletionRecord,
    asked: Option<&'a (String, String)>,
}

impl Judged<'_> {
    /// The file to write and what was decided: a retry of a stored claim (the file as it is),
    /// or the claim filed.
    fn decide(
        &self,
        file: &ClaimsFile,
        claims: &[Claim],
    ) -> Result<(ClaimsFile, Decision), ApiError> {
        let (ctx, now) = (self.ctx, self.ctx.now_unix());
        let status = status_among(claims);
        if let Some((key, _)) = self.asked
            && let Some(filed) = file.with_key(key)
        {
            if let Some(claim) = claims.iter().find(|c| c.id == filed.claim_id) {
                return Ok((file.clone(), Decision::Replay(claim.clone())));
            }
            if filed.standing(None, now) == Standing::InFlight {
                return Err(request_in_progress());
            }
        }
        let record = self.record;
        if record.void_reason.is_some() {
            return Err(blocked(ClaimBlocked::Void));
        }
        let (platform, record_id) = (&record.platform_id, record.facts.record_id.as_str());
        if file
            .holding_record(platform, record_id, &status, now)
            .is_some()
        {
            return Err(blocked(ClaimBlocked::AlreadyClaimed));
        }
        let history = file.history(&status, now);
        let applicant = applicant(self.trainee, record, self.input);
        let verdict = judge_on(
            ctx,
            &self.trainee.person,
            &applicant,
            &record.as_completion(),
            &history,
        )?;
        let shared_pattern = (ctx.store()?).pattern_count(platform, &record.facts.pattern())?;
        let submission = Submission {
            id: format!("c-{}", county_api::random_hex(8)?),
            resident_id: &self.trainee.resident_id,
            person: &self.trainee.person,
            record,
            request: &self.input.claim,
            idempotency: self.asked.cloned(),
            shared_pattern,
        };
        let (claim, queue) = Claim::submit(submission, &verdict, ctx.now).map_err(not_eligible)?;
        let next = file.filing(FiledClaim::of(&claim, now), &status, now);
        Ok((next, Decision::Filed(claim, queue)))
    }
}

/// The applicant as the rules see them: who they are from the token, their hukou from the
/// record, their key group and declarations from the request.
fn applicant(trainee: &Trainee, record: &CompletionRecord, input: &SubmitRequest) -> Applicant {
    let claim = &input.claim;
    applicant_in(
        trainee,
        record,
        claim.group,
        claim.graduation_date,
        claim.employed,
    )
}

/// The applicant for `group`, with a graduate's declarations.
pub fn applicant_in(
    trainee: &Trainee,
    record: &CompletionRecord,
    group: PersonGroup,
    graduation_date: Option<chrono::NaiveDate>,
    employed: Option<bool>,
) -> Applicant {
    Applicant {
        resident_id: trainee.resident_id.clone(),
        hukou_county: record.facts.trainee.hukou_county.clone(),
        declared_group: group,
        graduation_date,
        employed,
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

/// A filed claim stored: its record bound to it (still as judged), then the claim stored with
/// its listings. A refusal or a failure known to have stored nothing gives the claim's place
/// in the file back; a kill, or a failure whose outcome is unknown, leaves it in flight, and
/// a minute on it no longer counts (`claims_file`).
fn store_filed(
    ctx: &Context,
    opened: county_api::Opened<CompletionRecord>,
    judged: &CompletionRecord,
    claim: &Claim,
    queue: ReviewQueue,
) -> Result<(), ApiError> {
    let store = ctx.store()?;
    let bound = store.change_opened_completion(opened, |current| {
        let named = named_claim(ctx, &current)?;
        (current.bound_to(&claim.id, &claim.person, &judged.digest, named)).map_err(blocked)
    });
    if let Err(refusal) = bound {
        unfile(ctx, claim, false)?;
        return Err(refusal);
    }
    if FiledClaim::of(claim, ctx.now_unix()).too_late_to_store(chrono::Utc::now().timestamp()) {
        unfile(ctx, claim, true)?;
        return Err(ApiError::store_unavailable(
            "a submission took too long to store its claim",
        ));
    }
    match store.insert_claim(claim, queue, ctx.now_unix()) {
        Ok(()) => Ok(()),
        // Stored or not as one write: read back, a stored claim is the answer; one certainly
        // not stored gives its place back.
        Err(error) => match store.claim(&claim.id) {
            Ok(Some(_)) => Ok(()),
            Ok(None) => {
                unfile(ctx, claim, true)?;
                Err(error)
            }
            Err(_) => Err(error),
        },
    }
}

/// The claim a record names (not this submission's), as the record's binding check needs
/// it: one that holds the record (`Store::bindings_hold`) counts as submitted; any other as
/// none.
fn named_claim(
    ctx: &Context,
    record: &CompletionRecord,
) -> Result<Option<subsidy_rules::ClaimStatus>, ApiError> {
    let holds = ctx
        .store()?
        .bindings_hold(std::slice::from_ref(record), ctx.now_unix())?;
    Ok(holds[0].then_some(subsidy_rules::ClaimStatus::Submitted))
}

/// Takes a filed claim that will not be stored out of its person's file, and its record's
/// binding (`bound`: the record was bound to it).
fn unfile(ctx: &Context, claim: &Claim, bound: bool) -> Result<(), ApiError> {
    let store = ctx.store()?;
    store.update_person_file(&claim.person, &[], |file, _| Ok(file.without(&claim.id)))?;
    if bound {
        county_api::claims::release_record(ctx, claim)?;
    }
    Ok(())
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
        .map(Claim::for_trainee)
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
        Caller::Operator(token) => {
            let today = subsidy_rules::dates::china_day(ctx.now);
            claim.view_for(token.role, &token.sub).on(today)
        }
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
    Ok(json(200, &claim.for_trainee()))
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
    Ok(json(200, &claim.for_trainee()))
}
