//! The trainee's side: their completion records, submitting a claim, their claims, withdrawing.

use county_api::{ApiError, ApiRequest, Caller, Context, caller, json, judge};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use subsidy_rules::{
    Change, PersonGroup, PersonKey, PlatformId, Problems, Reason, ResidentId,
    auth::Role,
    claim::{Claim, ClaimTransition, PayeeInput},
    completion::{CompletionRecord, RecordState, parse_record_id},
    dates::parse_day,
    eligibility::{Applicant, ClaimStatus, Outcome, Verdict},
};

/// The trainee behind the request; operators act through the review endpoints instead.
fn trainee(request: &ApiRequest, ctx: &Context) -> Result<(ResidentId, PersonKey), ApiError> {
    match caller(request, &ctx.config, ctx.now_unix())? {
        Caller::Trainee(id) => {
            let person = PersonKey::derive(&ctx.config.person_key_secret, &id);
            Ok((id, person))
        }
        Caller::Operator(_) => Err(ApiError::new(
            403,
            Reason::new(
                "trainees_only",
                "仅学员本人可以办理",
                "Only the trainee themselves may do this",
            ),
        )),
    }
}

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
    let (_, person) = trainee(request, ctx)?;
    let records = ctx.store.person_completions(&person)?;
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

struct Submission {
    platform_id: PlatformId,
    record_id: String,
    group: PersonGroup,
    graduation_date: Option<chrono::NaiveDate>,
    employed: Option<bool>,
    payee: subsidy_rules::claim::Payee,
}

impl SubmitInput {
    fn parse(self) -> Result<Submission, Vec<Reason>> {
        let mut p = Problems::new();
        let platform_id = p.field("platform_id", PlatformId::parse(&self.platform_id));
        let record_id = p.field("record_id", parse_record_id(&self.record_id));
        let group = p.field("group", PersonGroup::parse(&self.group));
        let graduation_date = match self.graduation_date.as_deref() {
            None => Some(None),
            Some(day) => p.field("graduation_date", parse_day(day)).map(Some),
        };
        let payee = match self.payee.parse() {
            Ok(payee) => Some(payee),
            Err(reasons) => {
                reasons.into_iter().for_each(|r| p.push(r));
                None
            }
        };
        if !self.consent {
            p.push(
                Reason::new(
                    "consent_required",
                    "须同意为审核和发放补贴使用本人信息",
                    "Consent to the use of your data for reviewing and paying the allowance is required",
                )
                .at("consent"),
            );
        }
        p.finish(|| ())?;
        Ok(Submission {
            platform_id: platform_id.expect("parsed"),
            record_id: record_id.expect("parsed"),
            group: group.expect("parsed"),
            graduation_date: graduation_date.expect("parsed"),
            employed: self.employed,
            payee: payee.expect("parsed"),
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

fn random_id() -> Result<String, ApiError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| {
        ApiError::server(
            503,
            "randomness_unavailable",
            "暂时无法生成编号，请重试",
            format!("no randomness: {e}"),
        )
    })?;
    Ok(format!("c-{}", hex::encode(bytes)))
}

/// The original claim of a submission key, if it was stored. A retry also finishes what a
/// failure may have left undone after the claim was stored: marking its record claimed.
fn replay(ctx: &Context, person: &PersonKey, key: &str) -> Result<Option<Response>, ApiError> {
    let claims = ctx.store.person_claims(person)?;
    let Some(claim) = claims
        .into_iter()
        .find(|c| c.idempotency_key.as_deref() == Some(key))
    else {
        return Ok(None);
    };
    if claim.status.counts_toward_limits() {
        mark_record(ctx, &claim)?;
    }
    Ok(Some(json(200, &claim.masked())))
}

fn mark_record(ctx: &Context, claim: &Claim) -> Result<(), ApiError> {
    ctx.store
        .update_completion(&claim.platform_id, &claim.record_id, |current| {
            if current.claim.as_deref() == Some(claim.id.as_str()) {
                return Ok(current);
            }
            Ok(CompletionRecord {
                claim: Some(claim.id.clone()),
                ..current
            })
        })?;
    Ok(())
}

pub fn submit(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let (resident_id, person) = trainee(request, ctx)?;
    let key = idempotency_key(request)?;
    if let Some(key) = &key
        && let Some(original) = replay(ctx, &person, key)?
    {
        return Ok(original);
    }
    let input: SubmitInput = request.json()?;
    let submission = input.parse()?;
    // Someone else's record, or none: not found either way.
    let record = ctx
        .store
        .completion(&submission.platform_id, &submission.record_id)?
        .filter(|r| r.facts.trainee.person == person)
        .ok_or_else(ApiError::not_found)?;
    check_record_open(ctx, &record)?;

    let applicant = Applicant {
        resident_id: resident_id.clone(),
        hukou_county: record.facts.trainee.hukou_county.clone(),
        declared_group: submission.group,
        graduation_date: submission.graduation_date,
        employed: submission.employed,
    };
    let verdict = judge(ctx, &applicant, &record.as_completion())?;
    if verdict.outcome == Outcome::Ineligible {
        return Err(ApiError {
            status: 422,
            reason: Reason::new(
                "not_eligible",
                format!(
                    "不符合补贴条件（{}项），详见 details",
                    verdict.reasons.len()
                ),
                format!(
                    "Not eligible ({} reasons, listed in details)",
                    verdict.reasons.len()
                ),
            ),
            details: verdict.reasons.clone(),
        });
    }

    if let Some(key) = &key
        && !ctx.store.take_idempotency_key(&person, key)?
    {
        // A submission with this key is under way: its claim, or a wait.
        return match replay(ctx, &person, key)? {
            Some(original) => Ok(original),
            None => Err(ApiError::new(
                409,
                Reason::new(
                    "request_in_progress",
                    "相同的申领请求正在处理中，请稍后查询",
                    "A submission with this Idempotency-Key is in progress; check again shortly",
                ),
            )),
        };
    }
    let f = &record.facts;
    let year = chrono::Datelike::year(&f.assessment.date);
    let policy = ctx
        .policies
        .get(&verdict.policy_version)
        .expect("the verdict names a known version");
    let limit = policy.claim_limits.per_person_per_calendar_year;
    let claim = new_claim(
        ctx,
        &resident_id,
        &person,
        &record,
        &submission,
        &verdict,
        key.clone(),
    )?;
    let reserved = ctx
        .store
        .reserve_claim_places(&person, year, &f.occupation, f.level, limit);
    let refusal = match reserved {
        Ok(None) => None,
        Ok(Some(code)) => Some(ApiError::new(422, limit_reached(code, year, limit))),
        Err(error) => Some(error),
    };
    let queue = match verdict.outcome {
        Outcome::Eligible => "verified",
        _ => "review",
    };
    let stored = match refusal {
        Some(error) => Err(error),
        None => ctx.store.insert_claim(&claim, queue).inspect_err(|_| {
            // Nothing was stored: give the places back so the counters still match the claims.
            let _ = ctx
                .store
                .release_claim_places(&person, year, &f.occupation, f.level);
        }),
    };
    if let Err(error) = stored {
        if let Some(key) = &key {
            let _ = ctx.store.release_idempotency_key(&person, key);
        }
        return Err(error);
    }
    // The claim stands from here; a failure marking its record is finished by a retry.
    mark_record(ctx, &claim)?;
    Ok(json(
        201,
        &Submitted {
            claim: &claim.masked(),
            verdict: &verdict,
        },
    ))
}

fn new_claim(
    ctx: &Context,
    resident_id: &ResidentId,
    person: &PersonKey,
    record: &CompletionRecord,
    submission: &Submission,
    verdict: &Verdict,
    idempotency_key: Option<String>,
) -> Result<Claim, ApiError> {
    let f = &record.facts;
    let change = Change::new(&resident_id.masked(), ctx.now);
    Ok(Claim {
        id: random_id()?,
        person: person.clone(),
        resident_id: resident_id.masked(),
        platform_id: record.platform_id.clone(),
        record_id: f.record_id.clone(),
        occupation: f.occupation.clone(),
        level: f.level,
        study_hours: f.study_hours,
        assessed_on: f.assessment.date,
        status: ClaimStatus::Submitted,
        amount: verdict.amount.expect("an eligible verdict has an amount"),
        fund: verdict.fund.clone(),
        key_group: submission.group,
        key_group_status: verdict.key_group_status,
        policy_version: verdict.policy_version.clone(),
        payee: submission.payee.clone(),
        consent: change.clone(),
        transitions: vec![ClaimTransition {
            from: None,
            to: ClaimStatus::Submitted,
            changed: change,
            reason: None,
        }],
        payment: None,
        idempotency_key,
    })
}

/// A record can carry one live claim: void records and records claimed already are refused.
fn check_record_open(ctx: &Context, record: &CompletionRecord) -> Result<(), ApiError> {
    if record.state() == RecordState::Void {
        return Err(ApiError::invalid(vec![
            Reason::new(
                "record_void",
                "该培训记录已被平台作废",
                "The platform has voided this record",
            )
            .at("record_id"),
        ]));
    }
    if let Some(id) = &record.claim
        && ctx
            .store
            .claim(id)?
            .is_some_and(|c| c.status.counts_toward_limits())
    {
        return Err(ApiError::new(
            409,
            Reason::new(
                "already_claimed",
                "该培训记录已申领过补贴",
                "A claim has been made from this record already",
            )
            .at("record_id"),
        ));
    }
    Ok(())
}

fn limit_reached(code: &'static str, year: i32, limit: u32) -> Reason {
    match code {
        "yearly_limit_reached" => Reason::new(
            code,
            format!("{year}年申领次数已达上限（每人每年不超过{limit}次）"),
            format!("The {year} limit of {limit} claims per person is reached"),
        ),
        _ => Reason::new(
            code,
            "同一职业同一等级不可重复享受",
            "This occupation at this level has been claimed already",
        ),
    }
}

#[derive(Serialize)]
struct ClaimList {
    claims: Vec<Claim>,
}

pub fn list(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let (_, person) = trainee(request, ctx)?;
    let claims = ctx
        .store
        .person_claims(&person)?
        .iter()
        .map(Claim::masked)
        .collect();
    Ok(json(200, &ClaimList { claims }))
}

/// A claim its trainee or a county operator may read; finance alone sees the whole payee
/// account, which it pays to.
pub fn fetch(request: &ApiRequest, ctx: &Context, id: &str) -> Result<Response, ApiError> {
    let who = caller(request, &ctx.config, ctx.now_unix())?;
    let claim = ctx.store.claim(id)?.ok_or_else(ApiError::not_found)?;
    match who {
        Caller::Trainee(resident_id) => {
            if PersonKey::derive(&ctx.config.person_key_secret, &resident_id) != claim.person {
                return Err(ApiError::not_found());
            }
            Ok(json(200, &claim.masked()))
        }
        Caller::Operator(claims) if claims.role == Role::Finance => Ok(json(200, &claim)),
        Caller::Operator(_) => Ok(json(200, &claim.masked())),
    }
}

/// Before approval a trainee may withdraw; the claim's places in the limits are freed.
pub fn withdraw(request: &ApiRequest, ctx: &Context, id: &str) -> Result<Response, ApiError> {
    let (resident_id, person) = trainee(request, ctx)?;
    let existing = ctx
        .store
        .claim(id)?
        .filter(|c| c.person == person)
        .ok_or_else(ApiError::not_found)?;
    let change = Change::new(&resident_id.masked(), ctx.now);
    let claim = ctx.store.update_claim(&existing.id, |current| {
        current
            .withdrawn(change.clone())
            .map_err(|r| ApiError::new(409, r))
    })?;
    crate::review::free(ctx, &claim)?;
    Ok(json(200, &claim.masked()))
}
