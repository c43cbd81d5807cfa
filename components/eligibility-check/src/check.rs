//! The dry run: would this training earn the living allowance, how much, and if not, why.

use county_api::{ApiError, ApiRequest, Caller, Context, caller, json, judge};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use subsidy_rules::{
    CountyCode, DecimalText, OccupationCode, PersonGroup, PlatformId, Problems, Reason, ResidentId,
    SkillLevel, StudyHours, TrainingMode,
    auth::Role,
    completion::{AssessmentInput, assessment_result},
    dates::parse_day,
    eligibility::{Applicant, Completion, Verdict},
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
    assessment: AssessmentInput,
}

impl CheckInput {
    fn parse(self) -> Result<(Applicant, Completion), Vec<Reason>> {
        let mut p = Problems::new();
        let a = self.applicant;
        let t = self.training;
        let resident_id = p.field("applicant.resident_id", ResidentId::parse(&a.resident_id));
        let hukou_county = p.field("applicant.hukou_county", CountyCode::parse(&a.hukou_county));
        let declared_group = p.field("applicant.group", PersonGroup::parse(&a.group));
        let graduation_date = match a.graduation_date.as_deref().map(parse_day) {
            None => Some(None),
            Some(day) => p.field("applicant.graduation_date", day).map(Some),
        };
        let platform = p.field("training.platform_id", PlatformId::parse(&t.platform_id));
        let occupation = p.field("training.occupation", OccupationCode::parse(&t.occupation));
        let level = p.field("training.level", SkillLevel::parse(&t.level));
        let study_hours = p.field("training.study_hours", StudyHours::parse(&t.study_hours.0));
        let mode = p.field("training.mode", TrainingMode::parse(&t.mode));
        let started_on = p.field("training.started_on", parse_day(&t.started_on));
        let passed = p.field(
            "training.assessment.result",
            assessment_result(&t.assessment.result),
        );
        let assessed_on = p.field("training.assessment.date", parse_day(&t.assessment.date));
        p.finish(|| ())?;
        let missing = "every field parsed";
        Ok((
            Applicant {
                resident_id: resident_id.expect(missing),
                hukou_county: hukou_county.expect(missing),
                declared_group: declared_group.expect(missing),
                graduation_date: graduation_date.expect(missing),
                employed: a.employed,
            },
            Completion {
                platform: platform.expect(missing),
                occupation: occupation.expect(missing),
                level: level.expect(missing),
                study_hours: study_hours.expect(missing),
                mode: mode.expect(missing),
                started_on: started_on.expect(missing),
                assessment_passed: passed.expect(missing),
                assessed_on: assessed_on.expect(missing),
            },
        ))
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
    let who = caller(request, &ctx.config, ctx.now_unix())?;
    let input: CheckInput = request.json()?;
    let (applicant, completion) = input.parse()?;
    match who {
        Caller::Trainee(id) if id != applicant.resident_id => {
            return Err(ApiError::new(
                403,
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
                403,
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
