//! The dry run: would this training earn the living allowance, how much, and if not, why.

use county_api::{ApiError, ApiRequest, Caller, Context, ErrorKind, json, judge};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use subsidy_rules::{
    AllParsed, CountyCode, DecimalText, OccupationCode, PersonGroup, PlatformId, Reason,
    ResidentId, SkillLevel, StudyHours, TrainingMode,
    auth::Role,
    completion::AssessmentInput,
    dates::parse_day,
    eligibility::{Applicant, Completion, Verdict},
    field, optional_field,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInput {
    applicant: ApplicantInput,
    training: TrainingInput,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApplicantInput {
    resident_id: String,
    hukou_county: String,
    group: String,
    #[serde(default)]
    graduation_date: Option<String>,
    #[serde(default)]
    employed: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrainingInput {
    platform_id: String,
    occupation: String,
    level: String,
    study_hours: DecimalText,
    mode: String,
    started_on: String,
    /// Optional: when absent, the training is taken to run until its assessment.
    #[serde(default)]
    ended_on: Option<String>,
    assessment: AssessmentInput,
}

impl TryFrom<ApplicantInput> for Applicant {
    type Error = Vec<Reason>;

    fn try_from(a: ApplicantInput) -> Result<Applicant, Vec<Reason>> {
        let (resident_id, hukou_county, declared_group, graduation_date) = (
            field("applicant.resident_id", ResidentId::parse(&a.resident_id)),
            field("applicant.hukou_county", CountyCode::parse(&a.hukou_county)),
            field("applicant.group", PersonGroup::parse(&a.group)),
            optional_field(
                "applicant.graduation_date",
                a.graduation_date.as_deref(),
                parse_day,
            ),
        )
            .all_parsed()?;
        Ok(Applicant {
            resident_id,
            hukou_county,
            declared_group,
            graduation_date,
            employed: a.employed,
        })
    }
}

impl TryFrom<TrainingInput> for Completion {
    type Error = Vec<Reason>;

    fn try_from(t: TrainingInput) -> Result<Completion, Vec<Reason>> {
        let ((platform, occupation, level, study_hours, mode, started_on, assessment), ended_on) =
            (
                (
                    field("training.platform_id", PlatformId::parse(&t.platform_id)),
                    field("training.occupation", OccupationCode::parse(&t.occupation)),
                    field("training.level", SkillLevel::parse(&t.level)),
                    field("training.study_hours", StudyHours::parse(&t.study_hours.0)),
                    field("training.mode", TrainingMode::parse(&t.mode)),
                    field("training.started_on", parse_day(&t.started_on)),
                    // As a platform's report is read: result, score and date.
                    t.assessment.parse().map_err(|reasons| {
                        let within = |r: Reason| {
                            let at =
                                format!("training.{}", r.field.as_deref().unwrap_or("assessment"));
                            r.at(at)
                        };
                        reasons.into_iter().map(within).collect::<Vec<_>>()
                    }),
                )
                    .all_parsed(),
                optional_field("training.ended_on", t.ended_on.as_deref(), parse_day),
            )
                .all_parsed()?;
        Ok(Completion {
            platform,
            occupation,
            level,
            study_hours,
            mode,
            started_on,
            ended_on: ended_on.unwrap_or(assessment.date),
            assessment_passed: assessment.passed,
            assessed_on: assessment.date,
        })
    }
}

impl CheckInput {
    /// The applicant and the training, every problem of both reported at once.
    fn parse(self) -> Result<(Applicant, Completion), Vec<Reason>> {
        (
            Applicant::try_from(self.applicant),
            Completion::try_from(self.training),
        )
            .all_parsed()
    }
}

#[derive(Serialize)]
struct CheckResponse<'a> {
    /// Masked, so the screen can show whose check this was.
    resident_id: String,
    #[serde(flatten)]
    verdict: &'a Verdict,
}

/// Only the trainee themselves, or a county admin or reviewer, may check a person: the answer
/// reveals registry membership and claim history.
pub fn check(request: &ApiRequest, ctx: &Context) -> Result<Response, ApiError> {
    let who = ctx.require_caller(request)?;
    let input: CheckInput = request.json()?;
    let (applicant, completion) = input.parse()?;
    match who {
        Caller::Trainee(id) if id != applicant.resident_id => {
            return Err(ApiError::new(
                ErrorKind::Forbidden,
                Reason::new(
                    "not_your_record",
                    "只能查询本人的补贴资格",
                    "A trainee may check only their own eligibility",
                )
                .at("applicant.resident_id"),
            ));
        }
        Caller::Operator(claims) if !matches!(claims.role, Role::Admin | Role::Reviewer) => {
            return Err(ApiError::new(
                ErrorKind::Forbidden,
                Reason::new(
                    "forbidden_role",
                    "当前角色无权查询补贴资格",
                    "This role may not check eligibility",
                ),
            ));
        }
        _ => {}
    }

    let verdict = judge(ctx, &applicant, &completion)?;
    Ok(json(
        200,
        &CheckResponse {
            resident_id: applicant.resident_id.masked(),
            verdict: &verdict,
        },
    ))
}
