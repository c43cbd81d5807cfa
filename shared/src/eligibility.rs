//! Who gets the living allowance, and how much: a pure function of the policy, the county's
//! data, the applicant, the training and their claim history, returning every failed rule.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::{
    CountyCode, Course, OccupationCode, PersonGroup, PlatformId, PlatformRegister, PolicyBook,
    PolicyVersion, Reason, RegistryEntry, ResidentId, SkillLevel, StudyHours, TrainingMode, Yuan,
    claim_status::PriorClaim,
    training::{Dates, dates_in_order, implausible},
};

/// What the applicant says about themselves.
#[derive(Debug, Clone)]
pub struct Applicant {
    pub resident_id: ResidentId,
    /// 户籍所在地县（市、区）: this county pays.
    pub hukou_county: CountyCode,
    pub declared_group: PersonGroup,
    /// For unemployed graduates: the day they left school.
    pub graduation_date: Option<NaiveDate>,
    /// For unemployed graduates: employed at the time of claiming.
    pub employed: Option<bool>,
}

impl Completion {
    /// The course it trained for: its 职业 (a 工种 counts as its 职业) and level.
    pub fn course(&self) -> Course {
        Course::of(&self.occupation, self.level)
    }
}

/// One training as the platform reports it.
#[derive(Debug, Clone)]
pub struct Completion {
    pub platform: PlatformId,
    pub occupation: OccupationCode,
    pub level: SkillLevel,
    pub study_hours: StudyHours,
    pub mode: TrainingMode,
    pub started_on: NaiveDate,
    pub ended_on: NaiveDate,
    pub assessment_passed: bool,
    /// The day (China Standard Time) of the assessment.
    pub assessed_on: NaiveDate,
}

/// The county an instance serves and the data it keeps.
pub struct CountyRules<'a> {
    pub county: &'a CountyCode,
    pub policies: &'a PolicyBook,
    pub platforms: &'a PlatformRegister,
    /// Today in China Standard Time: nothing dated after it is possible.
    pub today: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyGroupStatus {
    /// Found in the county's key-group registry for the assessment day.
    Verified,
    /// Declared only: a reviewer must confirm it.
    NeedsReview,
    /// The declared group is not a key group.
    NotAKeyGroup,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every rule holds and the key group is verified.
    Eligible,
    /// Every rule holds, but the key group is only declared.
    NeedsReview,
    Ineligible,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub outcome: Outcome,
    /// The allowance, when the outcome is not ineligible.
    pub amount: Option<Yuan>,
    pub fund: String,
    pub key_group: PersonGroup,
    pub key_group_status: KeyGroupStatus,
    /// The policy version the claim was judged under.
    pub policy_version: String,
    pub paying_county: CountyCode,
    /// Every rule that fails; empty unless ineligible.
    pub reasons: Vec<Reason>,
}

impl Verdict {
    pub fn has(&self, code: &str) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }
}

/// The verdict of the rules on an applicant's training: every rule that fails, the key group's
/// standing, the amount when eligible.
pub fn evaluate(
    rules: &CountyRules,
    applicant: &Applicant,
    completion: &Completion,
    registry: &[RegistryEntry],
    history: &[PriorClaim],
) -> Verdict {
    let day = completion.assessed_on;
    let in_force = rules.policies.in_force_on(day);
    // Outside every window the nearest version still judges the other rules, so the
    // applicant hears every reason at once.
    let policy = in_force.unwrap_or_else(|| rules.policies.current(day));
    let mut reasons = applicant_reasons(rules, policy, applicant, completion);
    reasons.extend(training_reasons(rules, policy, completion));
    if in_force.is_none() {
        reasons.push(outside_window(day, &policy.window));
    }
    if let Some(deadline) = policy.claim_deadline.filter(|d| rules.today > *d) {
        reasons.push(deadline_passed(deadline));
    }
    reasons.extend(frequency_reasons(policy, completion, history));
    let key_group_status = key_group_status(policy, applicant, registry, day);
    let outcome = match (reasons.is_empty(), key_group_status) {
        (false, _) => Outcome::Ineligible,
        (true, KeyGroupStatus::Verified) => Outcome::Eligible,
        (true, _) => Outcome::NeedsReview,
    };
    Verdict {
        outcome,
        amount: (outcome != Outcome::Ineligible)
            .then(|| policy.living_allowance_for(completion.study_hours)),
        fund: policy.living_allowance.fund.clone(),
        key_group: applicant.declared_group,
        key_group_status,
        policy_version: policy.id.clone(),
        paying_county: applicant.hukou_county.clone(),
        reasons,
    }
}

/// Who the applicant is: the county that pays, the key group, a graduate's standing.
fn applicant_reasons(
    rules: &CountyRules,
    policy: &PolicyVersion,
    applicant: &Applicant,
    completion: &Completion,
) -> Vec<Reason> {
    let mut reasons = Vec::new();
    if &applicant.hukou_county != rules.county {
        reasons.push(wrong_county(&applicant.hukou_county, rules.county));
    }
    let is_key_group = policy.is_key_group(applicant.declared_group);
    if !is_key_group {
        reasons.push(not_a_key_group(applicant.declared_group));
    }
    if applicant.declared_group == PersonGroup::UnemployedGraduate && is_key_group {
        reasons.extend(graduate_reasons(policy, applicant, completion));
    }
    reasons
}

/// What the training was: on an approved platform, online, passed, its days in order and its
/// hours possible (fields named under `training.`).
fn training_reasons(
    rules: &CountyRules,
    policy: &PolicyVersion,
    completion: &Completion,
) -> Vec<Reason> {
    let day = completion.assessed_on;
    let mut reasons = (rules.platforms).check_training_platform(&completion.platform, day);
    if !policy.subsidised_modes.contains(&completion.mode) {
        reasons.push(Reason::new(
            "training_not_online",
            "仅线上培训（理论部分）给予生活费补贴，线下及实操培训不在本政策范围内",
            "Only online (theory) training earns the allowance; offline and practical training do not",
        ).at("training.mode"));
    }
    if !completion.assessment_passed {
        reasons.push(
            Reason::new(
                "assessment_not_passed",
                "培训考核未合格",
                "The training assessment was not passed",
            )
            .at("training.assessment"),
        );
    }
    let dates = Dates {
        started_on: completion.started_on,
        ended_on: completion.ended_on,
        assessed_on: day,
    };
    let in_order = dates_in_order(dates.started_on, dates.ended_on, day).err();
    let possible = implausible(rules.policies, &dates, completion.study_hours, rules.today);
    for mut reason in in_order.unwrap_or_default().into_iter().chain(possible) {
        reason.field = reason.field.map(|f| format!("training.{f}"));
        reasons.push(reason);
    }
    reasons
}

/// Claims under a version close at its deadline (the city's), whatever the training.
fn deadline_passed(deadline: NaiveDate) -> Reason {
    Reason::new(
        "claim_deadline_passed",
        format!("本政策的申领截止日期为 {deadline}，已过期"),
        format!("Claims under this policy closed on {deadline}"),
    )
}

fn outside_window(day: NaiveDate, window: &crate::policy::PolicyWindow) -> Reason {
    Reason::new(
        "outside_policy_window",
        format!(
            "考核合格日期 {day} 不在政策执行期（{} 至 {}）内",
            window.from, window.to
        ),
        format!(
            "The assessment day {day} is outside the policy window ({} to {})",
            window.from, window.to
        ),
    )
    .at("training.assessment.date")
}

/// Verified when the registry has the declared key group on the assessment day; declared
/// only otherwise; none when the group is not a key group.
fn key_group_status(
    policy: &PolicyVersion,
    applicant: &Applicant,
    registry: &[RegistryEntry],
    day: NaiveDate,
) -> KeyGroupStatus {
    let group = applicant.declared_group;
    if !policy.is_key_group(group) {
        KeyGroupStatus::NotAKeyGroup
    } else if registry.iter().any(|e| e.group == group && e.covers(day)) {
        KeyGroupStatus::Verified
    } else {
        KeyGroupStatus::NeedsReview
    }
}

/// The reason a county gives a person whose hukou is elsewhere.
pub fn wrong_county(hukou: &CountyCode, served: &CountyCode) -> Reason {
    Reason::new(
        "wrong_county",
        format!("补贴由户籍所在地县（市、区）人社部门发放：请向 {hukou} 申请，本系统受理 {served} 户籍人员"),
        format!("The allowance is paid by the hukou county: apply to {hukou}; this service handles hukou county {served}"),
    )
    .at("applicant.hukou_county")
}

fn not_a_key_group(group: PersonGroup) -> Reason {
    let (zh, en) = if group == PersonGroup::EnterpriseEmployee {
        (
            "企业职工不属于本政策重点群体，其线上培训按《泰安市企业职工职业技能提升培训实施细则（试行）》（泰人社办发〔2020〕3号）执行".to_owned(),
            "Enterprise employees are not a key group here; their online training falls under 泰人社办发〔2020〕3号".to_owned(),
        )
    } else {
        (
            format!(
                "{}不属于本政策的重点群体（农民工、离校2年未就业大学生、建档立卡贫困劳动力、贫困家庭子女）",
                group.name_zh()
            ),
            format!("{} is not a key group of this policy", group.code()),
        )
    };
    Reason::new("not_a_key_group", zh, en).at("applicant.group")
}

/// An unemployed graduate's standing: left school at most the rule's years before the
/// training started (counted from the graduation day inclusive), and not employed.
fn graduate_reasons(
    policy: &PolicyVersion,
    applicant: &Applicant,
    completion: &Completion,
) -> Vec<Reason> {
    let rule = &policy.graduate_rule;
    let left_school = left_school_reason(
        applicant.graduation_date,
        completion.started_on,
        rule.max_years_since_leaving_school,
    );
    let employed = match (rule.must_be_unemployed_when_claiming, applicant.employed) {
        (false, _) | (true, Some(false)) => None,
        (true, None) => Some(Reason::new(
            "employment_status_required",
            "离校未就业大学生须声明目前是否已就业",
            "An unemployed graduate must state whether they are employed now",
        )),
        (true, Some(true)) => Some(Reason::new(
            "graduate_employed",
            "申领时已就业，不属于离校未就业大学生",
            "The applicant is employed, so not an unemployed graduate",
        )),
    };
    (left_school
        .map(|r| r.at("applicant.graduation_date"))
        .into_iter())
    .chain(employed.map(|r| r.at("applicant.employed")))
    .collect()
}

fn left_school_reason(left: Option<NaiveDate>, started: NaiveDate, years: u32) -> Option<Reason> {
    let Some(left) = left else {
        return Some(Reason::new(
            "graduation_date_required",
            "离校未就业大学生须填写毕业（离校）日期",
            "An unemployed graduate must give the graduation date",
        ));
    };
    if left > started {
        return Some(Reason::new(
            "graduate_not_yet_left_school",
            "培训开始时尚未离校，不属于离校未就业大学生",
            "The training started before the applicant left school",
        ));
    }
    // Leaving on 2018-06-30, training may start as late as 2020-06-30. A 29 February lands on
    // the 28th.
    let last_start = left.checked_add_months(Months::new(12 * years));
    last_start.is_none_or(|last| started > last).then(|| {
        Reason::new(
            "graduate_left_school_too_long_ago",
            format!("培训开始时离校已超过{years}年"),
            format!("The training started more than {years} years after leaving school"),
        )
    })
}

/// Why a claim gets no place in the limits, in the rules' words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitRefusal {
    /// At most `limit` claims per person per calendar year of the assessment.
    YearlyLimitReached { year: i32, limit: u32 },
    /// 同一职业同一等级不可重复享受.
    OccupationLevelAlreadyClaimed { course: Course },
}

impl LimitRefusal {
    pub fn reason(&self) -> Reason {
        match self {
            LimitRefusal::YearlyLimitReached { year, limit } => Reason::new(
                "yearly_limit_reached",
                format!("{year}年申领次数已达上限（每人每年不超过{limit}次）"),
                format!("The {year} limit of {limit} claims per person is reached"),
            ),
            LimitRefusal::OccupationLevelAlreadyClaimed {
                course: Course { occupation, level },
            } => Reason::new(
                "occupation_level_already_claimed",
                format!(
                    "同一职业（{occupation}）同一等级（{}）不可重复享受",
                    level.name_zh()
                ),
                format!(
                    "Occupation {occupation} at level {} has been claimed already",
                    level.code()
                ),
            ),
        }
    }
}

/// The limits as the rules judge them from the person's history: the claim would take the
/// next place of its year and of its course (`ClaimLimits`, as the store's counters do).
fn frequency_reasons(
    policy: &PolicyVersion,
    completion: &Completion,
    history: &[PriorClaim],
) -> Vec<Reason> {
    let limits = &policy.claim_limits;
    let counting = || history.iter().filter(|c| c.status.counts_toward_limits());
    let year = completion.assessed_on.year();
    let in_year = counting().filter(|c| c.assessed_on.year() == year).count() as i64;
    let course = completion.course();
    let same_course = counting().filter(|c| c.course() == course).count() as i64;
    let year_refusal = limits.year_refusal(year, in_year + 1);
    let course_refusal = limits.course_refusal(&course, same_course + 1);
    (year_refusal.into_iter().chain(course_refusal))
        .map(|refusal| refusal.reason())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Change, ClaimStatus, resident_id::tests::with_check};

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    struct Case {
        county: CountyCode,
        policies: PolicyBook,
        platforms: PlatformRegister,
        applicant: Applicant,
        completion: Completion,
        registry: Vec<RegistryEntry>,
        history: Vec<PriorClaim>,
    }

    impl Case {
        /// A migrant worker of 泰山区 who passed a 24-hour online course in March 2020.
        fn new() -> Case {
            let county = CountyCode::parse("370902").unwrap();
            Case {
                platforms: PlatformRegister::seed_for(&county),
                policies: PolicyBook::built_in(),
                applicant: Applicant {
                    resident_id: ResidentId::parse(&with_check("37090219900307123")).unwrap(),
                    hukou_county: county.clone(),
                    declared_group: PersonGroup::MigrantWorker,
                    graduation_date: None,
                    employed: None,
                },
                completion: Completion {
                    platform: PlatformId::parse("wljnpx").unwrap(),
                    occupation: OccupationCode::parse("4-03-02-01").unwrap(),
                    level: SkillLevel::Level5,
                    study_hours: StudyHours::parse("24").unwrap(),
                    mode: TrainingMode::Online,
                    started_on: day("2020-02-20"),
                    ended_on: day("2020-03-10"),
                    assessment_passed: true,
                    assessed_on: day("2020-03-15"),
                },
                county,
                registry: vec![],
                history: vec![],
            }
        }

        fn verdict(&self) -> Verdict {
            let rules = CountyRules {
                county: &self.county,
                policies: &self.policies,
                platforms: &self.platforms,
                // Long after every case: a date in the future is tested on its own.
                today: day("2021-01-01"),
            };
            evaluate(
                &rules,
                &self.applicant,
                &self.completion,
                &self.registry,
                &self.history,
            )
        }

        fn codes(&self) -> Vec<&'static str> {
            self.verdict().reasons.iter().map(|r| r.code).collect()
        }

        fn registered(mut self, group: PersonGroup, from: &str, to: Option<&str>) -> Case {
            self.registry.push(RegistryEntry {
                resident_id: self.applicant.resident_id.masked(),
                group,
                source: "test".into(),
                community: None,
                phone: None,
                valid_from: day(from),
                valid_to: to.map(day),
                changed: Change::new("op", "2020-01-01T00:00:00Z".parse().unwrap()),
            });
            self
        }

        fn claimed(
            mut self,
            occupation: &str,
            level: SkillLevel,
            assessed_on: &str,
            status: ClaimStatus,
        ) -> Case {
            self.history.push(PriorClaim {
                occupation: OccupationCode::parse(occupation).unwrap(),
                level,
                assessed_on: day(assessed_on),
                status,
            });
            self
        }
    }

    #[test]
    fn a_declared_key_group_needs_review_and_a_registered_one_is_eligible() {
        let declared = Case::new().verdict();
        assert_eq!(declared.outcome, Outcome::NeedsReview);
        assert_eq!(declared.key_group_status, KeyGroupStatus::NeedsReview);
        assert_eq!(declared.amount.unwrap().to_string(), "120.00");
        assert_eq!(declared.fund, "就业补助资金");
        assert_eq!(declared.policy_version, "shandong-2020-02");

        let verified = Case::new()
            .registered(PersonGroup::MigrantWorker, "2020-01-01", None)
            .verdict();
        assert_eq!(verified.outcome, Outcome::Eligible);
        assert_eq!(verified.key_group_status, KeyGroupStatus::Verified);
        assert!(verified.reasons.is_empty());
    }

    #[test]
    fn the_registry_verifies_only_the_declared_group_on_the_assessment_day() {
        let other_group = Case::new().registered(PersonGroup::PoorLaborer, "2020-01-01", None);
        assert_eq!(
            other_group.verdict().key_group_status,
            KeyGroupStatus::NeedsReview
        );
        let expired =
            Case::new().registered(PersonGroup::MigrantWorker, "2019-01-01", Some("2020-03-14"));
        assert_eq!(
            expired.verdict().key_group_status,
            KeyGroupStatus::NeedsReview
        );
        let last_day =
            Case::new().registered(PersonGroup::MigrantWorker, "2019-01-01", Some("2020-03-15"));
        assert_eq!(
            last_day.verdict().key_group_status,
            KeyGroupStatus::Verified
        );
    }

    #[test]
    fn every_key_group_qualifies_and_no_other() {
        for group in [
            PersonGroup::MigrantWorker,
            PersonGroup::PoorLaborer,
            PersonGroup::PoorFamilyChild,
        ] {
            let mut case = Case::new();
            case.applicant.declared_group = group;
            assert!(case.codes().is_empty(), "{group:?}");
        }
        for group in [PersonGroup::EnterpriseEmployee, PersonGroup::Other] {
            let mut case = Case::new();
            case.applicant.declared_group = group;
            let verdict = case.verdict();
            assert_eq!(verdict.outcome, Outcome::Ineligible);
            assert_eq!(verdict.key_group_status, KeyGroupStatus::NotAKeyGroup);
            assert!(verdict.amount.is_none());
            assert_eq!(case.codes(), ["not_a_key_group"]);
        }
        let mut employee = Case::new();
        employee.applicant.declared_group = PersonGroup::EnterpriseEmployee;
        assert!(
            employee.verdict().reasons[0]
                .message_zh
                .contains("泰人社办发〔2020〕3号")
        );
    }

    fn graduate(graduated: Option<&str>, started: &str, employed: Option<bool>) -> Case {
        let mut case = Case::new();
        case.applicant.declared_group = PersonGroup::UnemployedGraduate;
        case.applicant.graduation_date = graduated.map(day);
        case.applicant.employed = employed;
        case.completion.started_on = day(started);
        case.completion.ended_on = day(started);
        case.completion.study_hours = StudyHours::parse("8").unwrap();
        case.completion.assessed_on = day("2020-06-30");
        case
    }

    #[test]
    fn graduates_qualify_for_two_years_from_the_graduation_day_inclusive() {
        assert!(
            graduate(Some("2018-06-30"), "2020-06-30", Some(false))
                .codes()
                .is_empty()
        );
        assert_eq!(
            graduate(Some("2018-06-29"), "2020-06-30", Some(false)).codes(),
            ["graduate_left_school_too_long_ago"]
        );
        // Leaving on 29 Feb 2016: two years end on 28 Feb 2018.
        let mut leap = graduate(Some("2016-02-29"), "2018-02-28", Some(false));
        leap.completion.assessed_on = day("2020-03-01");
        assert!(!leap.codes().contains(&"graduate_left_school_too_long_ago"));
        leap.completion.started_on = day("2018-03-01");
        leap.completion.ended_on = day("2018-03-01");
        assert!(leap.codes().contains(&"graduate_left_school_too_long_ago"));
    }

    #[test]
    fn graduates_must_have_left_school_and_be_unemployed() {
        assert_eq!(
            graduate(Some("2020-07-01"), "2020-06-01", Some(false)).codes(),
            ["graduate_not_yet_left_school"]
        );
        assert_eq!(
            graduate(Some("2019-06-30"), "2020-03-01", Some(true)).codes(),
            ["graduate_employed"]
        );
        assert_eq!(
            graduate(None, "2020-03-01", None).codes(),
            ["graduation_date_required", "employment_status_required"]
        );
    }

    #[test]
    fn the_window_runs_from_6_february_to_30_june_inclusive() {
        for (assessed, inside) in [
            ("2020-02-05", false),
            ("2020-02-06", true),
            ("2020-06-30", true),
            ("2020-07-01", false),
        ] {
            let mut case = Case::new();
            case.completion.started_on = day("2020-02-01");
            case.completion.assessed_on = day(assessed);
            // The province list is on record from 2020-02-06.
            case.completion.platform = PlatformId::parse("ixueto").unwrap();
            let outside = case.codes().contains(&"outside_policy_window");
            assert_eq!(outside, !inside, "{assessed}");
        }
    }

    #[test]
    fn an_extended_window_is_a_new_version_with_its_own_rate() {
        let mut case = Case::new();
        case.completion.assessed_on = day("2020-08-01");
        assert_eq!(case.codes(), ["outside_policy_window"]);
        case.policies = crate::policy::tests::extended_book();
        let verdict = case.verdict();
        assert_eq!(verdict.policy_version, "shandong-2020-ext");
        assert_eq!(verdict.amount.unwrap().to_string(), "144.00");
    }

    #[test]
    fn a_versions_claim_deadline_closes_its_claims_the_day_after() {
        // Today in these cases is 2021-01-01; no deadline in the built-in version.
        let mut case = Case::new();
        assert!(case.codes().is_empty());
        let with_deadline = |deadline: &str| {
            let mut versions: Vec<serde_json::Value> =
                serde_json::from_str(include_str!("../data/policy-versions.json")).unwrap();
            versions[0]["claim_deadline"] = deadline.into();
            PolicyBook::from_json(&serde_json::to_string(&versions).unwrap()).unwrap()
        };
        case.policies = with_deadline("2021-01-01");
        assert!(
            case.codes().is_empty(),
            "the deadline's own day still counts"
        );
        case.policies = with_deadline("2020-12-31");
        assert_eq!(case.codes(), ["claim_deadline_passed"]);
        assert!(case.verdict().reasons[0].message_zh.contains("2020-12-31"));
    }

    #[test]
    fn only_the_hukou_county_pays() {
        let mut case = Case::new();
        case.applicant.hukou_county = CountyCode::parse("370911").unwrap();
        let verdict = case.verdict();
        assert_eq!(case.codes(), ["wrong_county"]);
        assert!(verdict.reasons[0].message_zh.contains("370911"));
        assert_eq!(verdict.paying_county.as_str(), "370911");
    }

    #[test]
    fn only_online_passed_training_on_an_approved_platform_counts() {
        let mut case = Case::new();
        case.completion.mode = TrainingMode::Offline;
        case.completion.assessment_passed = false;
        case.completion.platform = PlatformId::parse("not-approved").unwrap();
        assert_eq!(
            case.codes(),
            [
                "platform_not_approved",
                "training_not_online",
                "assessment_not_passed"
            ]
        );
        case.completion.mode = TrainingMode::Practical;
        assert!(case.codes().contains(&"training_not_online"));
    }

    #[test]
    fn training_cannot_be_assessed_before_it_starts() {
        let mut case = Case::new();
        case.completion.started_on = day("2020-03-16");
        assert_eq!(case.codes(), ["training_dates_inconsistent"]);
    }

    #[test]
    fn the_third_claim_in_a_year_is_allowed_and_the_fourth_is_not() {
        let two = Case::new()
            .claimed(
                "4-01-01-01",
                SkillLevel::Level5,
                "2020-02-10",
                ClaimStatus::Paid,
            )
            .claimed(
                "4-01-01-02",
                SkillLevel::Level5,
                "2020-03-01",
                ClaimStatus::Submitted,
            );
        assert!(two.codes().is_empty());
        let three = two.claimed(
            "4-01-01-03",
            SkillLevel::Level5,
            "2020-03-02",
            ClaimStatus::Approved,
        );
        assert_eq!(three.codes(), ["yearly_limit_reached"]);
    }

    #[test]
    fn rejected_and_withdrawn_claims_free_their_slot_and_other_years_do_not_count() {
        let case = Case::new()
            .claimed(
                "4-01-01-01",
                SkillLevel::Level5,
                "2020-02-10",
                ClaimStatus::Paid,
            )
            .claimed(
                "4-01-01-02",
                SkillLevel::Level5,
                "2020-03-01",
                ClaimStatus::Rejected,
            )
            .claimed(
                "4-01-01-03",
                SkillLevel::Level5,
                "2020-03-02",
                ClaimStatus::Withdrawn,
            )
            .claimed(
                "4-01-01-04",
                SkillLevel::Level5,
                "2019-12-31",
                ClaimStatus::Paid,
            )
            .claimed(
                "4-01-01-05",
                SkillLevel::Level5,
                "2019-11-30",
                ClaimStatus::Paid,
            )
            .claimed(
                "4-01-01-06",
                SkillLevel::Level5,
                "2020-04-01",
                ClaimStatus::Submitted,
            );
        assert!(case.codes().is_empty());
    }

    #[test]
    fn the_same_occupation_at_the_same_level_never_twice() {
        let same = Case::new().claimed(
            "4-03-02-01",
            SkillLevel::Level5,
            "2019-05-01",
            ClaimStatus::Paid,
        );
        assert_eq!(same.codes(), ["occupation_level_already_claimed"]);
        let next_level = Case::new().claimed(
            "4-03-02-01",
            SkillLevel::Level4,
            "2020-02-10",
            ClaimStatus::Paid,
        );
        assert!(next_level.codes().is_empty());
        let rejected = Case::new().claimed(
            "4-03-02-01",
            SkillLevel::Level5,
            "2020-02-10",
            ClaimStatus::Rejected,
        );
        assert!(rejected.codes().is_empty());
        let mut no_level = Case::new().claimed(
            "4-03-02-01",
            SkillLevel::NoLevel,
            "2020-02-10",
            ClaimStatus::Paid,
        );
        assert!(no_level.codes().is_empty());
        no_level.completion.level = SkillLevel::NoLevel;
        assert_eq!(no_level.codes(), ["occupation_level_already_claimed"]);
    }

    #[test]
    fn every_failing_rule_is_reported_at_once() {
        let mut case = Case::new()
            .claimed(
                "4-03-02-01",
                SkillLevel::Level5,
                "2020-02-10",
                ClaimStatus::Paid,
            )
            .claimed(
                "4-01-01-02",
                SkillLevel::Level5,
                "2020-03-01",
                ClaimStatus::Paid,
            )
            .claimed(
                "4-01-01-03",
                SkillLevel::Level5,
                "2020-03-02",
                ClaimStatus::Paid,
            );
        case.applicant.hukou_county = CountyCode::parse("370911").unwrap();
        case.applicant.declared_group = PersonGroup::Other;
        case.completion.mode = TrainingMode::Offline;
        case.completion.assessment_passed = false;
        case.completion.platform = PlatformId::parse("nowhere").unwrap();
        assert_eq!(
            case.codes(),
            [
                "wrong_county",
                "not_a_key_group",
                "platform_not_approved",
                "training_not_online",
                "assessment_not_passed",
                "yearly_limit_reached",
                "occupation_level_already_claimed",
            ]
        );
    }

    #[test]
    fn the_allowance_is_five_yuan_an_hour_to_the_fen() {
        for (hours, amount) in [
            ("24", "120.00"),
            ("0.5", "2.50"),
            ("7.5", "37.50"),
            ("160", "800.00"),
        ] {
            let mut case = Case::new();
            case.completion.study_hours = StudyHours::parse(hours).unwrap();
            assert_eq!(case.verdict().amount.unwrap().to_string(), amount);
        }
    }

    #[test]
    fn impossible_hours_and_future_dates_make_a_claim_ineligible() {
        // Twenty days of training hold at most 160 hours at 8 a day.
        let mut case = Case::new();
        case.completion.study_hours = StudyHours::parse("2000").unwrap();
        let verdict = case.verdict();
        assert_eq!(verdict.outcome, Outcome::Ineligible);
        let found: Vec<_> = (verdict.reasons.iter())
            .map(|r| (r.code, r.field.as_deref().unwrap()))
            .collect();
        assert_eq!(found, [("study_hours_implausible", "training.study_hours")]);
        let mut early = Case::new();
        early.completion.assessed_on = day("2021-01-02");
        assert!(early.codes().contains(&"date_in_future"));
    }
}
