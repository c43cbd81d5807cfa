//! The policy as versioned data. Every parameter the rules use lives here, written in
//! `data/policy-versions.json` and compiled in by `build.rs` (a request parses no JSON for it);
//! an extension of the window or a new rate is a new version in that file, or one a county
//! admin adds through the API, not a change of code.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{Change, CountyCode, PersonGroup, Reason, StudyHours, Yuan};

include!(concat!(env!("OUT_DIR"), "/policy_versions.rs"));

/// How a training was delivered. Only online (theory) training is subsidised during the
/// epidemic; gathering training is suspended and practical parts are deferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainingMode {
    Online,
    Offline,
    Practical,
}

impl TrainingMode {
    pub fn parse(input: &str) -> Result<Self, Reason> {
        serde_json::from_value(serde_json::Value::String(input.to_owned())).map_err(|_| {
            Reason::new(
                "invalid_training_mode",
                "培训方式应为 online（线上）、offline（线下）或 practical（实操）",
                "The training mode is online, offline or practical",
            )
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyWindow {
    /// First day on which a passed assessment counts, China Standard Time, inclusive.
    pub from: NaiveDate,
    /// Last such day, inclusive.
    pub to: NaiveDate,
}

impl PolicyWindow {
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LivingAllowance {
    pub yuan_per_study_hour: Decimal,
    pub rounding: Rounding,
    pub fund: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimLimits {
    /// Claims per person per calendar year of the assessment date.
    pub per_person_per_calendar_year: u32,
    /// 同一职业同一等级不可重复享受.
    pub once_per_occupation_and_level: bool,
    pub counting: ClaimCounting,
}

impl ClaimLimits {
    /// Whether the claim holding the `taken`-th place of its person's `year` (itself counted)
    /// goes over the yearly limit.
    pub fn year_refusal(&self, year: i32, taken: i64) -> Option<crate::eligibility::LimitRefusal> {
        let limit = self.per_person_per_calendar_year;
        (taken > i64::from(limit))
            .then_some(crate::eligibility::LimitRefusal::YearlyLimitReached { year, limit })
    }

    /// Whether the claim holding the `taken`-th place of its person's course (itself counted)
    /// is a second claim of the same 职业 and level, where the version forbids it.
    pub fn course_refusal(
        &self,
        course: &crate::Course,
        taken: i64,
    ) -> Option<crate::eligibility::LimitRefusal> {
        (self.once_per_occupation_and_level && taken > 1).then(|| {
            crate::eligibility::LimitRefusal::OccupationLevelAlreadyClaimed {
                course: course.clone(),
            }
        })
    }
}

/// Which claims count toward the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimCounting {
    /// A claim counts from submission until it is rejected or withdrawn (POLICY.md decision).
    FromSubmissionUntilRejectedOrWithdrawn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    HalfUpToFen,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraduateRule {
    /// Counted from the graduation date, inclusive, to the day training started.
    pub max_years_since_leaving_school: u32,
    pub must_be_unemployed_when_claiming: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformSubsidy {
    /// Share of the local training-subsidy standard for the occupation + level.
    pub share_of_local_standard: Decimal,
    pub rounding: Rounding,
    pub fund: String,
}

/// What a platform may report as possible (保证培训学时, decision: 8 学时 a day): a record
/// beyond it is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyLimits {
    /// Per calendar day of training, start to end inclusive.
    pub max_study_hours_per_day: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyVersion {
    pub id: String,
    pub title_zh: String,
    pub documents: Vec<String>,
    pub issued_on: NaiveDate,
    /// The 2-digit province prefix of the counties the version applies to.
    pub province: String,
    pub window: PolicyWindow,
    pub key_groups: Vec<PersonGroup>,
    pub subsidised_modes: Vec<TrainingMode>,
    pub living_allowance: LivingAllowance,
    pub claim_limits: ClaimLimits,
    pub graduate_rule: GraduateRule,
    pub study_limits: StudyLimits,
    pub platform_subsidy: PlatformSubsidy,
    /// 公示: approved claims are published for this many working days before they are paid
    /// (`calendar`). The notice does not set it; 5 is the counties' usual practice.
    #[serde(default = "default_publicity_working_days")]
    pub publicity_working_days: u32,
    /// The last day (China Standard Time) a claim may be submitted under this version. The
    /// notice leaves it to the cities (申领程序…由各市确定): none in the built-in version; a
    /// county's added version may set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_deadline: Option<NaiveDate>,
}

fn default_publicity_working_days() -> u32 {
    5
}

/// What publishing a claim needs of the county's added versions: how long each one's notice
/// runs, read alone from the stored table, so that the desk carries no reader of a whole
/// version.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct AddedNoticeDays {
    #[serde(default)]
    pub versions: Vec<NoticeDays>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct NoticeDays {
    pub id: String,
    #[serde(default = "default_publicity_working_days")]
    pub publicity_working_days: u32,
}

impl AddedNoticeDays {
    /// The notice's length under version `id`: a built-in one's, else an added one's.
    pub fn of(&self, id: &str) -> Option<u32> {
        match PolicyBook::built_in().get(id) {
            Some(version) => Some(version.publicity_working_days),
            None => (self.versions.iter())
                .find(|v| v.id == id)
                .map(|v| v.publicity_working_days),
        }
    }
}

impl PolicyVersion {
    /// 生活费补贴: the hourly rate times the course's study hours, to the fen.
    pub fn living_allowance_for(&self, hours: StudyHours) -> Yuan {
        Yuan::rounded(self.living_allowance.yuan_per_study_hour * hours.value())
    }

    /// 线上培训平台补贴 for one trainee: the policy's share of the local standard, to the fen.
    pub fn platform_subsidy_for(&self, local_standard: Yuan) -> Yuan {
        Yuan::rounded(self.platform_subsidy.share_of_local_standard * local_standard.value())
    }

    /// The most study hours a training from `started` to `ended` (inclusive) can hold.
    pub fn max_study_hours(&self, started: NaiveDate, ended: NaiveDate) -> Decimal {
        let days = (ended - started).num_days().max(0) + 1;
        self.study_limits.max_study_hours_per_day * Decimal::from(days)
    }

    pub fn is_key_group(&self, group: PersonGroup) -> bool {
        self.key_groups.contains(&group)
    }

    /// The notice's length and the claim deadline: failed, field, messages.
    fn publicity_checks(&self) -> [(bool, &'static str, &'static str, &'static str); 2] {
        [
            (
                !(1..=30).contains(&self.publicity_working_days),
                "publicity_working_days",
                "公示期应为1至30个工作日",
                "The notice runs 1 to 30 working days",
            ),
            (
                self.claim_deadline.is_some_and(|d| d < self.window.from),
                "claim_deadline",
                "申领截止日期早于政策执行期开始",
                "The claim deadline is before the window starts",
            ),
        ]
    }

    /// Every way the version's parameters are impossible, each pinned to its field.
    fn problems(&self) -> Vec<Reason> {
        let limit = self.study_limits.max_study_hours_per_day;
        let share = self.platform_subsidy.share_of_local_standard;
        let checks = [
            (
                !is_version_id(&self.id),
                "id",
                "版本编号应为1至64位小写字母、数字或连字符",
                "The id is 1 to 64 lowercase letters, digits or hyphens",
            ),
            (
                self.window.from > self.window.to,
                "window.to",
                "政策期限的结束日期早于开始日期",
                "The window ends before it starts",
            ),
            (
                self.key_groups.is_empty(),
                "key_groups",
                "至少应有一个重点群体",
                "At least one key group is needed",
            ),
            (
                self.subsidised_modes.is_empty(),
                "subsidised_modes",
                "至少应有一种补贴的培训方式",
                "At least one subsidised training mode is needed",
            ),
            (
                self.living_allowance.yuan_per_study_hour <= Decimal::ZERO,
                "living_allowance.yuan_per_study_hour",
                "每学时生活费补贴应大于0",
                "The hourly living allowance is above 0",
            ),
            (
                share <= Decimal::ZERO || share > Decimal::ONE,
                "platform_subsidy.share_of_local_standard",
                "平台补贴比例应大于0且不超过1",
                "The platform share is above 0 and at most 1",
            ),
            (
                self.claim_limits.per_person_per_calendar_year == 0,
                "claim_limits.per_person_per_calendar_year",
                "每人每年可享受次数应至少为1",
                "The yearly limit is at least 1",
            ),
            (
                limit <= Decimal::ZERO || limit > Decimal::from(24),
                "study_limits.max_study_hours_per_day",
                "每日学时上限应大于0且不超过24",
                "The daily study-hour limit is above 0 and at most 24",
            ),
        ];
        (checks.into_iter().chain(self.publicity_checks()))
            .filter(|(failed, ..)| *failed)
            .map(|(_, field, zh, en)| Reason::new("invalid_policy_version", zh, en).at(field))
            .collect()
    }
}

/// A version id: it is a path segment (`/api/policy/versions/{id}`) and a claim's field.
fn is_version_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Every version of the policy, ordered by window, windows never overlapping.
#[derive(Debug, Clone)]
pub struct PolicyBook {
    versions: Vec<PolicyVersion>,
}

impl PolicyBook {
    /// The versions shipped with this build.
    pub fn built_in() -> PolicyBook {
        PolicyBook::from_versions(built_in_versions())
            .expect("the built-in policy versions are valid (tested)")
    }

    pub fn from_json(json: &str) -> Result<PolicyBook, String> {
        let versions: Vec<PolicyVersion> =
            serde_json::from_str(json).map_err(|e| format!("policy versions: {e}"))?;
        PolicyBook::from_versions(versions)
    }

    fn from_versions(mut versions: Vec<PolicyVersion>) -> Result<PolicyBook, String> {
        if versions.is_empty() {
            return Err("policy versions: none".into());
        }
        versions.sort_by_key(|v| v.window.from);
        for version in &versions {
            if let Some(problem) = version.problems().first() {
                return Err(format!("policy version {}: {problem}", version.id));
            }
        }
        for (i, version) in versions.iter().enumerate() {
            if versions[..i].iter().any(|v| v.id == version.id) {
                return Err(format!("policy version {} appears twice", version.id));
            }
        }
        for pair in versions.windows(2) {
            if pair[1].window.from <= pair[0].window.to {
                return Err(format!(
                    "policy versions {} and {} overlap",
                    pair[0].id, pair[1].id
                ));
            }
        }
        Ok(PolicyBook { versions })
    }

    /// The built-in versions and those a county admin added.
    pub fn with_added(self, added: &AddedVersions) -> Result<PolicyBook, String> {
        let mut versions = self.versions;
        versions.extend(added.versions.iter().cloned());
        PolicyBook::from_versions(versions)
    }

    /// Every reason `version` cannot be added to this book in `county` on `today`: a version
    /// is added before its window starts, so the rules of a day never change once it has come.
    pub fn problems_adding(
        &self,
        version: &PolicyVersion,
        county: &CountyCode,
        today: NaiveDate,
    ) -> Vec<Reason> {
        let mut problems = version.problems();
        if version.window.from <= today {
            problems.push(
                Reason::new(
                    "policy_version_not_in_future",
                    "只能新增今天以后开始的政策版本：已开始的日子，其适用的政策不再改变",
                    "A version can only be added to start after today: the rules of a day \
                     that has begun never change",
                )
                .at("window.from"),
            );
        }
        if version.province != county.province() {
            problems.push(
                Reason::new(
                    "policy_version_wrong_province",
                    format!("本县属于省份代码{}", county.province()),
                    format!("This county is in province {}", county.province()),
                )
                .at("province"),
            );
        }
        if self.get(&version.id).is_some() {
            problems.push(
                Reason::new(
                    "policy_version_exists",
                    "已有同一编号的政策版本",
                    "A version with this id exists",
                )
                .at("id"),
            );
        }
        let window = &version.window;
        if let Some(other) = (self.versions.iter())
            .find(|v| v.window.from <= window.to && window.from <= v.window.to)
        {
            problems.push(
                Reason::new(
                    "policy_version_overlaps",
                    format!(
                        "政策期限与版本 {} （{} 至 {}）重叠",
                        other.id, other.window.from, other.window.to
                    ),
                    format!(
                        "The window overlaps version {} ({} to {})",
                        other.id, other.window.from, other.window.to
                    ),
                )
                .at("window"),
            );
        }
        problems
    }

    /// Every group that is a key group in some version: what the county registry may hold.
    pub fn key_groups(&self) -> Vec<PersonGroup> {
        PersonGroup::ALL
            .into_iter()
            .filter(|g| self.versions.iter().any(|v| v.is_key_group(*g)))
            .collect()
    }

    pub fn versions(&self) -> &[PolicyVersion] {
        &self.versions
    }

    /// Every month (`YYYY-MM`) a claim can be assessed in: those the versions' windows touch.
    pub fn claim_months(&self) -> Vec<String> {
        let mut months = std::collections::BTreeSet::new();
        for window in self.versions.iter().map(|v| &v.window) {
            let mut first = window.from.with_day(1);
            while let Some(day) = first.filter(|day| *day <= window.to) {
                months.insert(crate::completion::month_of(day));
                first = day.checked_add_months(chrono::Months::new(1));
            }
        }
        months.into_iter().collect()
    }

    pub fn get(&self, id: &str) -> Option<&PolicyVersion> {
        self.versions.iter().find(|v| v.id == id)
    }

    /// The version whose window holds the day of a passed assessment.
    pub fn in_force_on(&self, day: NaiveDate) -> Option<&PolicyVersion> {
        self.versions.iter().find(|v| v.window.contains(day))
    }

    /// The version in force on `day`, else the latest that had started by then, else the
    /// first: what a person asking "what are the rules?" on that day should read.
    pub fn current(&self, day: NaiveDate) -> &PolicyVersion {
        self.in_force_on(day)
            .or_else(|| self.versions.iter().rev().find(|v| v.window.from <= day))
            .unwrap_or(&self.versions[0])
    }
}

/// The versions a county admin added through the API, kept as a county table with its
/// history. Built-in versions are not in it and cannot be removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AddedVersions {
    /// Grows by one with every change; 0 is the empty table a county starts with.
    pub revision: u64,
    pub versions: Vec<PolicyVersion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<Change>,
    /// Where the table before this revision is kept (a store key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
}

impl crate::history::Versioned for AddedVersions {
    fn revision(&self) -> u64 {
        self.revision
    }

    fn previous(&self) -> Option<&str> {
        self.previous.as_deref()
    }

    fn kept_at(self, previous: String) -> AddedVersions {
        AddedVersions {
            previous: Some(previous),
            ..self
        }
    }
}

impl AddedVersions {
    /// The next revision, with `version` added (checked by [`PolicyBook::problems_adding`]).
    pub fn with(&self, version: PolicyVersion, change: &Change) -> AddedVersions {
        let mut versions = self.versions.clone();
        versions.push(version);
        versions.sort_by_key(|v| v.window.from);
        AddedVersions {
            revision: self.revision + 1,
            versions,
            changed: Some(change.clone()),
            previous: None,
        }
    }

    /// The next revision without version `id`, if it was added and has not started by
    /// `today`.
    pub fn without(
        &self,
        id: &str,
        today: NaiveDate,
        change: &Change,
    ) -> Result<AddedVersions, Reason> {
        let version = (self.versions.iter().find(|v| v.id == id)).ok_or_else(|| {
            Reason::new(
                "policy_version_not_added",
                "只能撤回由本县新增的政策版本",
                "Only a version this county added can be withdrawn",
            )
        })?;
        if version.window.from <= today {
            return Err(Reason::new(
                "policy_version_in_force",
                "该政策版本已开始适用，不能撤回",
                "The version has started to apply and cannot be withdrawn",
            ));
        }
        Ok(AddedVersions {
            revision: self.revision + 1,
            versions: self
                .versions
                .iter()
                .filter(|v| v.id != id)
                .cloned()
                .collect(),
            changed: Some(change.clone()),
            previous: None,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The file the build compiles in, for tests that change it.
    const BUILT_IN: &str = include_str!("../data/policy-versions.json");

    #[test]
    fn the_compiled_in_versions_are_the_file() {
        let parsed = PolicyBook::from_json(BUILT_IN).unwrap();
        let compiled = PolicyBook::built_in();
        assert_eq!(parsed.versions(), compiled.versions());
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_built_in_version_is_the_notice() {
        let book = PolicyBook::built_in();
        let v = book.get("shandong-2020-02").unwrap();
        assert_eq!(v.window.from, day("2020-02-06"));
        assert_eq!(v.window.to, day("2020-06-30"));
        assert_eq!(v.living_allowance.yuan_per_study_hour.to_string(), "5.00");
        assert_eq!(
            v.platform_subsidy.share_of_local_standard.to_string(),
            "0.20"
        );
        assert_eq!(v.claim_limits.per_person_per_calendar_year, 3);
        assert!(v.claim_limits.once_per_occupation_and_level);
        assert_eq!(v.graduate_rule.max_years_since_leaving_school, 2);
        assert_eq!(v.living_allowance.fund, "就业补助资金");
        assert_eq!(v.platform_subsidy.fund, "职业技能提升行动专账资金");
        assert_eq!(v.subsidised_modes, vec![TrainingMode::Online]);
        assert_eq!(v.key_groups.len(), 4);
        assert!(!v.is_key_group(PersonGroup::EnterpriseEmployee));
    }

    #[test]
    fn amounts_follow_the_rates() {
        let v = PolicyBook::built_in().versions()[0].clone();
        let hours = |h: &str| StudyHours::parse(h).unwrap();
        assert_eq!(v.living_allowance_for(hours("24")).to_string(), "120.00");
        assert_eq!(v.living_allowance_for(hours("0.5")).to_string(), "2.50");
        let standard = |y: &str| Yuan::parse(y).unwrap();
        assert_eq!(
            v.platform_subsidy_for(standard("1200")).to_string(),
            "240.00"
        );
        // 20% of 0.03 is 0.006: half-up to the fen gives 0.01, never a float's 0.005999.
        assert_eq!(v.platform_subsidy_for(standard("0.03")).to_string(), "0.01");
        assert_eq!(v.platform_subsidy_for(standard("0.02")).to_string(), "0.00");
        assert_eq!(
            v.platform_subsidy_for(standard("1234.56")).to_string(),
            "246.91"
        );
        assert_eq!(
            v.platform_subsidy_for(standard("1234.57")).to_string(),
            "246.91"
        );
        assert_eq!(
            v.platform_subsidy_for(standard("1234.58")).to_string(),
            "246.92"
        );
    }

    #[test]
    fn the_window_edges_are_inclusive() {
        let book = PolicyBook::built_in();
        assert!(book.in_force_on(day("2020-02-05")).is_none());
        assert!(book.in_force_on(day("2020-02-06")).is_some());
        assert!(book.in_force_on(day("2020-06-30")).is_some());
        assert!(book.in_force_on(day("2020-07-01")).is_none());
    }

    /// An extension is data alone: a second version in the file.
    pub(crate) fn extended_book() -> PolicyBook {
        let mut versions: Vec<serde_json::Value> = serde_json::from_str(BUILT_IN).unwrap();
        let mut extension = versions[0].clone();
        extension["id"] = "shandong-2020-ext".into();
        extension["window"] = serde_json::json!({"from": "2020-07-01", "to": "2020-12-31"});
        extension["living_allowance"]["yuan_per_study_hour"] = "6.00".into();
        versions.push(extension);
        PolicyBook::from_json(&serde_json::to_string(&versions).unwrap()).unwrap()
    }

    #[test]
    fn publicity_runs_5_working_days_unless_a_version_says_otherwise_and_within_reason() {
        let built_in = PolicyBook::built_in();
        assert_eq!(built_in.versions()[0].publicity_working_days, 5);
        assert_eq!(built_in.versions()[0].claim_deadline, None);
        let mut versions: Vec<serde_json::Value> = serde_json::from_str(BUILT_IN).unwrap();
        let refused = |versions: &Vec<serde_json::Value>| {
            PolicyBook::from_json(&serde_json::to_string(versions).unwrap()).unwrap_err()
        };
        versions[0]["publicity_working_days"] = 0.into();
        assert!(refused(&versions).contains("publicity_working_days"));
        versions[0]["publicity_working_days"] = 7.into();
        versions[0]["claim_deadline"] = "2020-01-31".into();
        assert!(refused(&versions).contains("claim_deadline"));
        versions[0]["claim_deadline"] = "2020-12-31".into();
        let book = PolicyBook::from_json(&serde_json::to_string(&versions).unwrap()).unwrap();
        assert_eq!(book.versions()[0].publicity_working_days, 7);
    }

    #[test]
    fn an_extension_is_a_new_version() {
        let book = extended_book();
        assert_eq!(
            book.in_force_on(day("2020-07-01")).unwrap().id,
            "shandong-2020-ext"
        );
        assert_eq!(
            book.in_force_on(day("2020-06-30")).unwrap().id,
            "shandong-2020-02"
        );
        assert_eq!(book.current(day("2026-11-28")).id, "shandong-2020-ext");
        assert_eq!(book.current(day("2019-01-01")).id, "shandong-2020-02");
    }

    #[test]
    fn overlapping_or_broken_versions_are_refused() {
        let versions: Vec<serde_json::Value> = serde_json::from_str(BUILT_IN).unwrap();
        let mut overlapping = versions[0].clone();
        overlapping["id"] = "overlap".into();
        overlapping["window"] = serde_json::json!({"from": "2020-06-30", "to": "2020-12-31"});
        let both = serde_json::to_string(&[versions[0].clone(), overlapping]).unwrap();
        assert!(
            PolicyBook::from_json(&both)
                .unwrap_err()
                .contains("overlap")
        );

        let mut zero_rate = versions[0].clone();
        zero_rate["living_allowance"]["yuan_per_study_hour"] = "0".into();
        let json = serde_json::to_string(&[zero_rate]).unwrap();
        assert!(
            PolicyBook::from_json(&json)
                .unwrap_err()
                .contains("living_allowance.yuan_per_study_hour")
        );

        let mut unknown = versions[0].clone();
        unknown["surprise"] = true.into();
        let json = serde_json::to_string(&[unknown]).unwrap();
        assert!(PolicyBook::from_json(&json).is_err());
    }

    fn proposed(id: &str, from: &str, to: &str) -> PolicyVersion {
        let mut version = PolicyBook::built_in().versions()[0].clone();
        version.id = id.into();
        version.window = PolicyWindow {
            from: day(from),
            to: day(to),
        };
        version
    }

    fn codes(reasons: &[Reason]) -> Vec<&'static str> {
        reasons.iter().map(|r| r.code).collect()
    }

    #[test]
    fn a_version_is_added_only_before_it_starts_and_never_over_another() {
        let book = PolicyBook::built_in();
        let taishan = CountyCode::parse("370902").unwrap();
        let today = day("2020-06-20");
        let extension = proposed("shandong-2020-ext", "2020-07-01", "2020-12-31");
        assert!(book.problems_adding(&extension, &taishan, today).is_empty());

        // Starting today would change the rules of a day that has begun.
        let late = proposed("late", "2020-06-20", "2020-12-31");
        let problems = book.problems_adding(&late, &taishan, today);
        assert_eq!(
            codes(&problems),
            ["policy_version_not_in_future", "policy_version_overlaps"]
        );
        assert_eq!(problems[1].field.as_deref(), Some("window"));

        let mut broken = proposed("Bad Id", "2020-07-01", "2020-06-01");
        broken.province = "11".into();
        broken.study_limits.max_study_hours_per_day = Decimal::from(25);
        let problems = book.problems_adding(&broken, &taishan, today);
        let fields: Vec<_> = problems.iter().filter_map(|r| r.field.as_deref()).collect();
        assert_eq!(
            fields,
            [
                "id",
                "window.to",
                "study_limits.max_study_hours_per_day",
                "province"
            ]
        );

        let again = proposed("shandong-2020-02", "2021-01-01", "2021-06-30");
        assert_eq!(
            codes(&book.problems_adding(&again, &taishan, today)),
            ["policy_version_exists"]
        );
    }

    #[test]
    fn an_added_version_applies_from_its_first_day_and_is_withdrawn_only_before_it() {
        let change = Change::new("admin", chrono::Utc::now());
        let added = AddedVersions::default().with(
            proposed("shandong-2020-ext", "2020-07-01", "2020-12-31"),
            &change,
        );
        assert_eq!(added.revision, 1);
        let book = PolicyBook::built_in().with_added(&added).unwrap();
        assert_eq!(
            book.in_force_on(day("2020-07-01")).unwrap().id,
            "shandong-2020-ext"
        );
        assert_eq!(
            book.in_force_on(day("2020-06-30")).unwrap().id,
            "shandong-2020-02"
        );

        let withdrawn = added
            .without("shandong-2020-ext", day("2020-06-30"), &change)
            .unwrap();
        assert!(withdrawn.versions.is_empty());
        assert_eq!(withdrawn.revision, 2);
        let started = added.without("shandong-2020-ext", day("2020-07-01"), &change);
        assert_eq!(started.unwrap_err().code, "policy_version_in_force");
        let built_in = added.without("shandong-2020-02", day("2020-01-01"), &change);
        assert_eq!(built_in.unwrap_err().code, "policy_version_not_added");
    }
}
