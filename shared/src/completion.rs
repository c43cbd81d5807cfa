//! Completion records: what a platform reports of one trainee's training, as validated on
//! arrival, and the record's life afterwards (claimed, billed, voided, corrected).

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    AllParsed, Change, CountyCode, DecimalText, OccupationCode, PersonGroup, PersonKey, PlatformId,
    PolicyBook, Reason, ResidentId, SkillLevel, StudyHours, TrainingMode, bounded_text,
    claim_status::ClaimStatus,
    dates::parse_day,
    eligibility, field, optional_field,
    training::{Dates, implausible},
};

/// The most records one batch may carry.
pub const MAX_BATCH: usize = 500;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompletionInput {
    pub record_id: String,
    pub trainee: TraineeInput,
    pub occupation: String,
    pub level: String,
    pub study_hours: DecimalText,
    pub mode: String,
    pub started_on: String,
    pub ended_on: String,
    pub assessment: AssessmentInput,
    #[serde(default)]
    pub certificate_number: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraineeInput {
    pub resident_id: String,
    pub name: String,
    pub hukou_county: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    pub result: String,
    #[serde(default)]
    pub score: Option<DecimalText>,
    pub date: String,
}

/// A platform's own id for a record: 1–64 of `A-Za-z0-9_-.`.
pub fn parse_record_id(input: &str) -> Result<String, Reason> {
    let ok = (1..=64).contains(&input.len())
        && input
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    // A record id travels into store keys, logs and CSV files: it must not carry a person's
    // resident ID (a platform numbering records by it).
    // (Only an id of ASCII characters is searched: byte windows are then characters.)
    let holds_resident_id = ok
        && input.len() >= 18
        && (0..=input.len() - 18).any(|i| ResidentId::parse(&input[i..i + 18]).is_ok());
    if ok && holds_resident_id {
        return Err(Reason::new(
            "record_id_contains_resident_id",
            "记录编号不得包含身份证号",
            "A record id must not contain a resident ID",
        ));
    }
    if ok {
        Ok(input.to_owned())
    } else {
        Err(Reason::new(
            "invalid_record_id",
            "记录编号应为1至64位字母、数字、-、_或.",
            "A record id is 1 to 64 characters of A-Z, a-z, 0-9, -, _ and .",
        ))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trainee {
    /// Masked; the whole number is kept nowhere in the store.
    pub resident_id: String,
    pub name: String,
    pub hukou_county: CountyCode,
    /// The keyed hash that stands for the person in store keys.
    pub person: PersonKey,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub passed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Decimal>,
    /// China Standard Time.
    pub date: NaiveDate,
}

/// A validated completion, as reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionFacts {
    pub record_id: String,
    pub trainee: Trainee,
    pub occupation: OccupationCode,
    pub level: SkillLevel,
    pub study_hours: StudyHours,
    pub mode: TrainingMode,
    pub started_on: NaiveDate,
    pub ended_on: NaiveDate,
    pub assessment: Assessment,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_number: Option<String>,
}

/// Records of one platform sharing training dates and hours, at or above which claims on every
/// one of them are reviewed one by one, never approved in bulk (decision): a class trained
/// together is real, but dozens of trainees with identical start, end, assessment and hours
/// is the pattern of reports made up in bulk. Counted over all the platform's records, in
/// every batch (batches of 19 do not dodge it), on the facts as parsed (`40` and `"40"` are
/// the same hours).
pub const IDENTICAL_PATTERN_FLAG: usize = 20;

/// Why a claim on a record of a pattern shared by `count` records is reviewed on its own.
pub fn pattern_flag(count: i64) -> Option<String> {
    (count >= IDENTICAL_PATTERN_FLAG as i64).then(|| {
        format!(
            "本平台有{count}条记录的培训起止、考核日期和学时完全相同，须逐件审核 / {count} records of this platform share dates and hours: review one by one"
        )
    })
}

/// For each record of a batch (by index, `None` for one that did not parse), how many of the
/// batch share its pattern (`CompletionFacts::pattern`).
pub fn batch_counts(facts: &[Option<&CompletionFacts>]) -> Vec<i64> {
    let mut counts = std::collections::HashMap::new();
    for f in facts.iter().flatten() {
        *counts.entry(f.pattern()).or_insert(0i64) += 1;
    }
    (facts.iter())
        .map(|f| f.map_or(0, |f| counts[&f.pattern()]))
        .collect()
}

pub fn assessment_result(input: &str) -> Result<bool, Reason> {
    match input {
        "pass" => Ok(true),
        "fail" => Ok(false),
        _ => Err(Reason::new(
            "invalid_assessment_result",
            "考核结果应为 pass（合格）或 fail（不合格）",
            "The assessment result is pass or fail",
        )),
    }
}

fn score(input: &DecimalText) -> Result<Decimal, Reason> {
    input
        .0
        .parse::<Decimal>()
        .ok()
        .filter(|s| *s >= Decimal::ZERO && *s <= Decimal::ONE_HUNDRED && s.scale() <= 2)
        .ok_or_else(|| {
            Reason::new(
                "invalid_score",
                "考核成绩应为0至100的数",
                "A score is a number from 0 to 100",
            )
        })
}

impl TraineeInput {
    /// The trainee of a record, whose hukou must be the county `served`; the resident ID
    /// itself kept only masked and as the person's keyed hash.
    fn parse(
        &self,
        served: &CountyCode,
        person_secret: &[u8],
    ) -> Result<(ResidentId, Trainee), Vec<Reason>> {
        let hukou = field(
            "trainee.hukou_county",
            CountyCode::parse(&self.hukou_county),
        );
        let in_county = match &hukou {
            Ok(hukou) if hukou != served => Err(vec![
                eligibility::wrong_county(hukou, served).at("trainee.hukou_county"),
            ]),
            _ => Ok(()),
        };
        let (resident_id, name, hukou, ()) = (
            field("trainee.resident_id", ResidentId::parse(&self.resident_id)),
            field("trainee.name", bounded_text(&self.name, 50)),
            hukou,
            in_county,
        )
            .all_parsed()?;
        let trainee = Trainee {
            resident_id: resident_id.masked(),
            name,
            hukou_county: hukou,
            person: PersonKey::derive(person_secret, &resident_id),
        };
        Ok((resident_id, trainee))
    }
}

impl AssessmentInput {
    /// The assessment, every problem of it at `assessment.…`.
    pub fn parse(&self) -> Result<Assessment, Vec<Reason>> {
        let score = match &self.score {
            None => Ok(None),
            Some(s) => field("assessment.score", score(s)).map(Some),
        };
        let (passed, score, date) = (
            field("assessment.result", assessment_result(&self.result)),
            score,
            field("assessment.date", parse_day(&self.date)),
        )
            .all_parsed()?;
        Ok(Assessment {
            passed,
            score,
            date,
        })
    }
}

/// Platforms report online training only.
fn online(mode: TrainingMode) -> Result<TrainingMode, Reason> {
    match mode {
        TrainingMode::Online => Ok(mode),
        _ => Err(Reason::new(
            "training_not_online",
            "平台只报送线上培训记录；线下及实操培训不在本政策范围内",
            "Platforms report online training only; offline and practical training are outside this policy",
        )),
    }
}

/// A field parsed, or every reason it was refused.
type Parsed<T> = Result<T, Vec<Reason>>;

/// Whether a training's days are in order and its hours possible on them (`dates_in_order`,
/// `implausible`), judged on whichever of them parsed.
fn days_and_hours(
    days: (&Parsed<NaiveDate>, &Parsed<NaiveDate>),
    assessed_on: Option<NaiveDate>,
    hours: &Parsed<StudyHours>,
    book: &PolicyBook,
    today: NaiveDate,
) -> Result<(), Vec<Reason>> {
    let (Ok(started_on), Ok(ended_on), Some(assessed_on)) = (days.0, days.1, assessed_on) else {
        return Ok(());
    };
    let dates = Dates {
        started_on: *started_on,
        ended_on: *ended_on,
        assessed_on,
    };
    crate::training::dates_in_order(dates.started_on, dates.ended_on, assessed_on)?;
    let problems = match hours {
        Ok(hours) => implausible(book, &dates, *hours, today),
        Err(_) => Vec::new(),
    };
    match problems.is_empty() {
        true => Ok(()),
        false => Err(problems),
    }
}

impl CompletionInput {
    /// The facts of a report for the county `served`, every problem at once, fields named as
    /// in the record: each field, the county, the mode, the order of the dates, and whether
    /// the facts are possible (`implausible`) by `book` on `today` (China Standard Time).
    pub fn parse(
        self,
        served: &CountyCode,
        person_secret: &[u8],
        book: &PolicyBook,
        today: NaiveDate,
    ) -> Result<(ResidentId, CompletionFacts), Vec<Reason>> {
        let started_on = field("started_on", parse_day(&self.started_on));
        let ended_on = field("ended_on", parse_day(&self.ended_on));
        let hours = field("study_hours", StudyHours::parse(&self.study_hours.0));
        let assessment = self.assessment.parse();
        let assessed_on = (parse_day(&self.assessment.date)).ok();
        let possible = days_and_hours((&started_on, &ended_on), assessed_on, &hours, book, today);
        let mode = TrainingMode::parse(&self.mode).and_then(online);
        let ((record_id, (resident_id, trainee), occupation, level, mode), rest) = (
            (
                field("record_id", parse_record_id(&self.record_id)),
                self.trainee.parse(served, person_secret),
                field("occupation", OccupationCode::parse(&self.occupation)),
                field("level", SkillLevel::parse(&self.level)),
                field("mode", mode),
            )
                .all_parsed(),
            (
                started_on,
                ended_on,
                hours,
                assessment,
                optional_field(
                    "certificate_number",
                    self.certificate_number.as_deref(),
                    |c| bounded_text(c, 64),
                ),
                possible,
            )
                .all_parsed(),
        )
            .all_parsed()?;
        let (started_on, ended_on, study_hours, assessment, certificate_number, ()) = rest;
        let facts = CompletionFacts {
            record_id,
            trainee,
            occupation,
            level,
            study_hours,
            mode,
            started_on,
            ended_on,
            assessment,
            certificate_number,
        };
        Ok((resident_id, facts))
    }
}

impl CompletionFacts {
    /// Identifies the content: a re-sent record with the same digest is the same record.
    pub fn digest(&self) -> String {
        let json = serde_json::to_vec(self).expect("facts serialize");
        hex::encode(Sha256::digest(json))
    }

    /// The course it trained for: its 职业 (a 工种 counts as its 职业) and level.
    pub fn course(&self) -> crate::Course {
        crate::Course::of(&self.occupation, self.level)
    }

    /// Its entry in its trainee's training calendar, reported by `platform`.
    pub fn calendar_entry(&self, platform: &PlatformId) -> crate::training::CalendarEntry {
        crate::training::CalendarEntry {
            platform_id: platform.clone(),
            record_id: self.record_id.clone(),
            started_on: self.started_on,
            ended_on: self.ended_on,
            hours: self.study_hours.value(),
        }
    }

    /// Its pattern: a short hash of its start, end and assessment days and its study hours,
    /// as parsed (`IDENTICAL_PATTERN_FLAG`).
    pub fn pattern(&self) -> String {
        let text = format!(
            "{}|{}|{}|{}",
            self.started_on,
            self.ended_on,
            self.assessment.date,
            self.study_hours.value().normalize()
        );
        hex::encode(&Sha256::digest(text.as_bytes())[..8])
    }

    /// The billing period (calendar month of the assessment), `YYYY-MM`.
    pub fn month(&self) -> String {
        month_of(self.assessment.date)
    }
}

pub fn month_of(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

/// A billing period as `YYYY-MM`.
pub fn parse_month(input: &str) -> Result<String, Reason> {
    let day = format!("{input}-01");
    match parse_day(&day) {
        Ok(_) if input.len() == 7 => Ok(input.to_owned()),
        _ => Err(Reason::new(
            "invalid_month",
            "月份应为 YYYY-MM 格式，如 2020-03",
            "A month is YYYY-MM, e.g. 2020-03",
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordState {
    Reported,
    Claimed,
    Billed,
    Void,
}

impl RecordState {
    /// The state's name as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordState::Reported => "reported",
            RecordState::Claimed => "claimed",
            RecordState::Billed => "billed",
            RecordState::Void => "void",
        }
    }
}

/// A completion record as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionRecord {
    pub platform_id: PlatformId,
    #[serde(flatten)]
    pub facts: CompletionFacts,
    pub digest: String,
    /// The claim made from it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<String>,
    /// The invoice that billed it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<String>,
    /// When an invoice build marked it (Unix seconds): a mark older than the grace whose
    /// invoice does not exist was left by a build that died.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billed_at: Option<i64>,
    /// Which step of its invoice's build marked it (from 1): the record is one of the
    /// invoice's lines once that step is committed (`invoice::Invoice::bills_mark`). None for
    /// a record marked by a build of an earlier version, done in one step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billed_step: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub void_reason: Option<String>,
    pub received: Change,
    #[serde(default)]
    pub corrections: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<Change>,
    /// Why a reviewer must look at claims on it one by one (a pattern in its batch that real
    /// training rarely shows); none for most records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flagged: Option<String>,
    /// Where its facts are listed (the index slots of its month and its trainee): checked when
    /// it is sent again unchanged, so that a listing that was lost is written again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listed: Option<Listed>,
    /// The event feeds' slots this document's changes announced (`events`): its mark there
    /// is what makes a slot an event. Never shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feed_marks: Vec<String>,
    /// The key group its trainee was told of an offer for (政策找人, `offer.made` in their
    /// feed), by the write that first found the registry verifying them: its report, a
    /// correction, or the registry upload. So that an offer is announced once. Shown to the
    /// county only: a platform does not learn who is in a key group's registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offered: Option<PersonGroup>,
}

/// The index slots a record's entries were written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    pub month_slot: u64,
    pub person_slot: u64,
}

/// Why a record cannot carry a new claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimBlocked {
    /// The platform voided it.
    Void,
    /// A claim that still counts was made from it.
    AlreadyClaimed,
    /// The platform corrected it since the claim was judged on it.
    Changed,
}

impl ClaimBlocked {
    pub fn reason(self) -> Reason {
        match self {
            ClaimBlocked::Void => Reason::new(
                "record_void",
                "该培训记录已被平台作废",
                "The platform has voided this record",
            ),
            ClaimBlocked::AlreadyClaimed => Reason::new(
                "already_claimed",
                "该培训记录已申领过补贴",
                "A claim has been made from this record already",
            ),
            ClaimBlocked::Changed => Reason::new(
                "record_changed",
                "培训记录在审核期间被平台更正，请重新提交",
                "The platform corrected the record meanwhile; please submit again",
            ),
        }
        .at("record_id")
    }
}

impl CompletionRecord {
    pub fn new(
        platform_id: PlatformId,
        facts: CompletionFacts,
        received: Change,
    ) -> CompletionRecord {
        CompletionRecord {
            platform_id,
            digest: facts.digest(),
            facts,
            claim: None,
            invoice: None,
            billed_at: None,
            billed_step: None,
            void_reason: None,
            received,
            corrections: 0,
            changed: None,
            flagged: None,
            listed: None,
            feed_marks: Vec::new(),
            offered: None,
        }
    }

    /// Whether its trainee may be offered it now (政策找人), the registry aside: passed,
    /// neither voided nor claimed, and not offered before.
    pub fn awaits_offer(&self) -> bool {
        self.claim.is_none() && self.offerable()
    }

    /// `awaits_offer`, but for a claim: one a dead claim still names may be offered once
    /// unbound (`county_api::claims::shown_records`).
    pub fn offerable(&self) -> bool {
        self.facts.assessment.passed && self.void_reason.is_none() && self.offered.is_none()
    }

    /// The record, its offer for `group` announced, when it awaits one (`awaits_offer`) and
    /// the registry verifies a group (`Some`): else as it is.
    pub fn offered_for(self, group: Option<PersonGroup>) -> CompletionRecord {
        match group {
            Some(group) if self.awaits_offer() => CompletionRecord {
                offered: Some(group),
                ..self
            },
            _ => self,
        }
    }

    /// The record flagged for individual review (`pattern_flag`), or as it is.
    pub fn flagged_as(self, flag: Option<String>) -> CompletionRecord {
        CompletionRecord {
            flagged: flag.or(self.flagged),
            ..self
        }
    }

    /// The record, its facts listed at `listed` (when they were listed anew).
    pub fn listed_at(self, listed: Option<Listed>) -> CompletionRecord {
        CompletionRecord {
            listed: listed.or(self.listed),
            ..self
        }
    }

    pub fn state(&self) -> RecordState {
        if self.void_reason.is_some() {
            RecordState::Void
        } else if self.invoice.is_some() {
            RecordState::Billed
        } else if self.claim.is_some() {
            RecordState::Claimed
        } else {
            RecordState::Reported
        }
    }

    /// Corrections and voids are allowed only while nothing rests on the record.
    pub fn check_open(&self) -> Result<(), Reason> {
        match self.state() {
            RecordState::Reported => Ok(()),
            state => Err(Reason::new(
                "record_locked",
                format!(
                    "该记录已{}，不能更正或作废",
                    match state {
                        RecordState::Claimed => "被申领补贴",
                        RecordState::Billed => "开票结算",
                        _ => "作废",
                    }
                ),
                format!(
                    "The record is {}; it can no longer be corrected or voided",
                    state.as_str()
                ),
            )),
        }
    }

    /// The record with new facts for the same id.
    pub fn corrected(
        &self,
        facts: CompletionFacts,
        change: Change,
    ) -> Result<CompletionRecord, Reason> {
        self.check_open()?;
        Ok(CompletionRecord {
            digest: facts.digest(),
            facts,
            corrections: self.corrections + 1,
            changed: Some(change),
            ..self.clone()
        })
    }

    pub fn voided(&self, reason: String, change: Change) -> Result<CompletionRecord, Reason> {
        self.check_open()?;
        Ok(CompletionRecord {
            void_reason: Some(reason),
            changed: Some(change),
            ..self.clone()
        })
    }

    /// The record marked as billed by step `step` of invoice `number`'s build, at `now`.
    pub fn billed_by(&self, number: &str, step: u32, now: i64) -> CompletionRecord {
        CompletionRecord {
            invoice: Some(number.to_owned()),
            billed_at: Some(now),
            billed_step: Some(step),
            ..self.clone()
        }
    }

    /// The record without the mark of invoice `number`, when it carries it; with `step`,
    /// only a mark that step made (a step rolling back leaves another's marks alone).
    pub fn unbilled_from(&self, number: &str, step: Option<u32>) -> CompletionRecord {
        if self.invoice.as_deref() != Some(number)
            || step.is_some_and(|s| self.billed_step != Some(s))
        {
            return self.clone();
        }
        CompletionRecord {
            invoice: None,
            billed_at: None,
            billed_step: None,
            ..self.clone()
        }
    }

    /// Whether the record was marked by an invoice build that died: its invoice does not
    /// exist, and the mark is older than the grace (or older than the time of marking).
    pub fn billing_interrupted(&self, invoice_exists: bool, now: i64) -> bool {
        self.invoice.is_some()
            && !invoice_exists
            && self
                .billed_at
                .is_none_or(|at| now - at >= crate::IN_FLIGHT_GRACE_SECONDS)
    }

    /// Whether an invoice may bill the record: a passed assessment, not voided, not billed.
    pub fn open_for_billing(&self) -> bool {
        self.facts.assessment.passed && self.void_reason.is_none() && self.invoice.is_none()
    }

    /// Whether the record can carry a new claim, given the state of the claim it names, if
    /// any (`named_claim`).
    pub fn open_for_claim(&self, named_claim: Option<ClaimStatus>) -> Result<(), ClaimBlocked> {
        if self.void_reason.is_some() {
            return Err(ClaimBlocked::Void);
        }
        if named_claim.is_some_and(ClaimStatus::counts_toward_limits) {
            return Err(ClaimBlocked::AlreadyClaimed);
        }
        Ok(())
    }

    /// The record carrying claim `claim_id` of `person`, which was judged on the version with
    /// `judged_digest`: refused when the record changed since, is void, or carries another
    /// claim that still counts (`named_claim`: the state of the claim it names). Binding is
    /// idempotent.
    pub fn bound_to(
        &self,
        claim_id: &str,
        person: &PersonKey,
        judged_digest: &str,
        named_claim: Option<ClaimStatus>,
    ) -> Result<CompletionRecord, ClaimBlocked> {
        if self.claim.as_deref() == Some(claim_id) {
            return Ok(self.clone());
        }
        if self.digest != judged_digest || &self.facts.trainee.person != person {
            return Err(ClaimBlocked::Changed);
        }
        self.open_for_claim(named_claim)?;
        Ok(CompletionRecord {
            claim: Some(claim_id.to_owned()),
            ..self.clone()
        })
    }

    /// The record without `claim`, when it carries it.
    pub fn released_from(&self, claim_id: &str) -> CompletionRecord {
        let ours = self.claim.as_deref() == Some(claim_id);
        CompletionRecord {
            claim: if ours { None } else { self.claim.clone() },
            ..self.clone()
        }
    }

    /// Whether the trainee's key group counts as verified for billing this record: a registry
    /// entry (of the groups given) covers the assessment day, or a reviewer approved the claim
    /// this record names (`named_claim`: its state).
    pub fn key_group_verified(
        &self,
        registry: &[crate::RegistryEntry],
        named_claim: Option<ClaimStatus>,
    ) -> bool {
        registry
            .iter()
            .any(|e| e.covers(self.facts.assessment.date))
            || named_claim.is_some_and(ClaimStatus::verifies_key_group)
    }

    /// Its entry in its trainee's training calendar.
    pub fn calendar_entry(&self) -> crate::training::CalendarEntry {
        self.facts.calendar_entry(&self.platform_id)
    }

    /// What the eligibility rules need of the training.
    pub fn as_completion(&self) -> eligibility::Completion {
        let f = &self.facts;
        eligibility::Completion {
            platform: self.platform_id.clone(),
            occupation: f.occupation.clone(),
            level: f.level,
            study_hours: f.study_hours,
            mode: f.mode,
            started_on: f.started_on,
            ended_on: f.ended_on,
            assessment_passed: f.assessment.passed,
            assessed_on: f.assessment.date,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::resident_id::tests::with_check;

    pub(crate) fn input(record_id: &str) -> CompletionInput {
        serde_json::from_value(serde_json::json!({
            "record_id": record_id,
            "trainee": {"resident_id": with_check("37090219900307123"), "name": "张三", "hukou_county": "370902"},
            "occupation": "4-03-02-01", "level": "5", "study_hours": 24, "mode": "online",
            "started_on": "2020-02-20", "ended_on": "2020-03-10",
            "assessment": {"result": "pass", "score": 86.5, "date": "2020-03-15"},
            "certificate_number": "SD2020-0001"
        }))
        .unwrap()
    }

    pub(crate) fn county() -> CountyCode {
        CountyCode::parse("370902").unwrap()
    }

    /// The day the tests' reports are sent.
    fn today() -> NaiveDate {
        "2020-03-20".parse().unwrap()
    }

    pub(crate) fn record(record_id: &str) -> CompletionRecord {
        let (_, facts) = input(record_id)
            .parse(&county(), b"secret", &PolicyBook::built_in(), today())
            .unwrap();
        let change = Change::new("pk_test", "2020-03-16T00:00:00Z".parse().unwrap());
        CompletionRecord::new(PlatformId::parse("wljnpx").unwrap(), facts, change)
    }

    #[test]
    fn a_valid_record_keeps_no_whole_resident_id() {
        let (id, facts) = input("r1")
            .parse(&county(), b"secret", &PolicyBook::built_in(), today())
            .unwrap();
        let json = serde_json::to_string(&facts).unwrap();
        assert!(!json.contains(id.expose()), "{json}");
        assert_eq!(facts.month(), "2020-03");
        assert_eq!(
            facts.digest(),
            input("r1")
                .parse(&county(), b"secret", &PolicyBook::built_in(), today())
                .unwrap()
                .1
                .digest()
        );
    }

    #[test]
    fn every_problem_of_a_record_is_reported() {
        let mut bad = input("bad id!");
        bad.trainee.hukou_county = "370911".into();
        bad.level = "9".into();
        bad.mode = "offline".into();
        bad.ended_on = "2020-02-01".into();
        bad.assessment.score = Some(DecimalText("101".into()));
        let reasons = bad
            .parse(&county(), b"s", &PolicyBook::built_in(), today())
            .unwrap_err();
        let found: Vec<(&str, &str)> = reasons
            .iter()
            .map(|r| (r.code, r.field.as_deref().unwrap()))
            .collect();
        assert_eq!(
            found,
            [
                ("invalid_record_id", "record_id"),
                ("wrong_county", "trainee.hukou_county"),
                ("invalid_level", "level"),
                ("training_not_online", "mode"),
                ("invalid_score", "assessment.score"),
                ("training_dates_inconsistent", "ended_on"),
            ]
        );
        assert!(reasons[1].message_zh.contains("370911"));
    }

    #[test]
    fn records_of_identical_dates_and_hours_share_a_pattern_whatever_their_spelling() {
        let facts = |hours: &str| {
            let mut f = record("r1").facts;
            f.study_hours = StudyHours::parse(hours).unwrap();
            f
        };
        assert_eq!(facts("40").pattern(), facts("40.0").pattern());
        assert_ne!(facts("40").pattern(), facts("39").pattern());
        let (forty, other) = (facts("40"), facts("39"));
        let mut batch: Vec<Option<&CompletionFacts>> = vec![Some(&forty); 3];
        batch.push(Some(&other));
        batch.push(None);
        assert_eq!(batch_counts(&batch), [3, 3, 3, 1, 0]);
        assert_eq!(pattern_flag(19), None);
        assert!(pattern_flag(IDENTICAL_PATTERN_FLAG as i64).is_some());
    }

    #[test]
    fn a_record_id_holding_a_resident_id_is_refused() {
        let id = with_check("37090219900307123");
        for bad in [id.clone(), format!("WL-{id}-1"), format!("{id}x")] {
            assert_eq!(
                parse_record_id(&bad).unwrap_err().code,
                "record_id_contains_resident_id",
                "{bad}"
            );
        }
        // Eighteen digits that are no resident ID (wrong check digit) are a fine number.
        let last = id.as_bytes()[17];
        let other = if last == b'0' { '1' } else { '0' };
        let not_an_id = format!("{}{other}", &id[..17]);
        assert!(parse_record_id(&not_an_id).is_ok());
        assert!(parse_record_id("WL-2020-000123").is_ok());
        // Not ASCII: refused for its characters, never sliced inside one.
        assert_eq!(
            parse_record_id("记录编号记录编号记录编号记录编号记录编号")
                .unwrap_err()
                .code,
            "invalid_record_id"
        );
    }

    #[test]
    fn impossible_hours_and_dates_after_today_are_refused_naming_the_limit() {
        // 2020-02-20 to 2020-03-10: 20 days, at most 160 hours.
        let at_limit = |hours: &str| {
            let mut i = input("r1");
            i.study_hours = DecimalText(hours.into());
            i.parse(&county(), b"s", &PolicyBook::built_in(), today())
        };
        assert!(at_limit("160").is_ok());
        let refused = at_limit("160.5").unwrap_err();
        assert_eq!(
            (refused[0].code, refused[0].field.as_deref()),
            ("study_hours_implausible", Some("study_hours"))
        );
        assert!(refused[0].message_zh.contains("最多160学时"), "{refused:?}");
        // One day of training, 2,000 hours (a 10,000.00 allowance): refused.
        let mut one_day = input("r1");
        one_day.started_on = "2020-03-15".into();
        one_day.ended_on = "2020-03-15".into();
        one_day.study_hours = DecimalText("2000".into());
        let codes: Vec<_> = one_day
            .parse(&county(), b"s", &PolicyBook::built_in(), today())
            .unwrap_err()
            .iter()
            .map(|r| r.code)
            .collect();
        assert_eq!(codes, ["study_hours_implausible"]);
        // Reported on the 14th: the assessment of the 15th has not happened.
        let early = input("r1")
            .parse(
                &county(),
                b"s",
                &PolicyBook::built_in(),
                "2020-03-14".parse().unwrap(),
            )
            .unwrap_err();
        let found: Vec<_> = early
            .iter()
            .map(|r| (r.code, r.field.as_deref().unwrap()))
            .collect();
        assert_eq!(found, [("date_in_future", "assessment.date")]);
    }

    #[test]
    fn a_mark_left_by_a_build_that_died_is_recognised_after_the_grace() {
        let marked = record("r1").billed_by("370902-wljnpx-202003-1", 2, 1_000);
        assert!(!marked.open_for_billing());
        assert!(
            !marked.billing_interrupted(true, 1_000_000),
            "its invoice exists"
        );
        assert!(
            !marked.billing_interrupted(false, 1_000 + 599),
            "maybe still in flight"
        );
        assert!(marked.billing_interrupted(false, 1_000 + 600));
        assert_eq!(
            marked.unbilled_from("370902-wljnpx-202003-1", Some(3)),
            marked,
            "another step's mark stays"
        );
        let cleared = marked.unbilled_from("370902-wljnpx-202003-1", Some(2));
        assert!(cleared.open_for_billing());
        assert_eq!((cleared.billed_at, cleared.billed_step), (None, None));
        assert_eq!(
            marked.unbilled_from("370902-wljnpx-202003-1", None),
            cleared
        );
        assert_eq!(marked.unbilled_from("another", None), marked);
    }

    #[test]
    fn what_a_record_is_open_for() {
        let record = record("r1");
        assert!(record.open_for_billing());
        assert_eq!(record.open_for_claim(None), Ok(()));
        let billed = CompletionRecord {
            invoice: Some("370902-wljnpx-202003-1".into()),
            ..record.clone()
        };
        assert!(!billed.open_for_billing());
        let void = CompletionRecord {
            void_reason: Some("重复".into()),
            ..record.clone()
        };
        assert!(!void.open_for_billing());
        assert_eq!(void.open_for_claim(None), Err(ClaimBlocked::Void));
        assert_eq!(
            record.open_for_claim(Some(ClaimStatus::Submitted)),
            Err(ClaimBlocked::AlreadyClaimed)
        );
        assert_eq!(record.open_for_claim(Some(ClaimStatus::Withdrawn)), Ok(()));
        // Key group: a registry entry covering the assessment day, or an approved claim.
        assert!(!record.key_group_verified(&[], Some(ClaimStatus::Submitted)));
        assert!(record.key_group_verified(&[], Some(ClaimStatus::Approved)));
    }

    #[test]
    fn a_record_can_change_only_while_nothing_rests_on_it() {
        let open = record("r1");
        let (_, other) = input("r1")
            .parse(&county(), b"secret", &PolicyBook::built_in(), today())
            .unwrap();
        let change = Change::new("pk_test", "2020-03-17T00:00:00Z".parse().unwrap());
        let corrected = open.corrected(other.clone(), change.clone()).unwrap();
        assert_eq!(corrected.corrections, 1);
        let voided = open.voided("重复报送".into(), change.clone()).unwrap();
        assert_eq!(voided.state(), RecordState::Void);
        assert_eq!(
            voided
                .voided("again".into(), change.clone())
                .unwrap_err()
                .code,
            "record_locked"
        );

        let claimed = CompletionRecord {
            claim: Some("c1".into()),
            ..open.clone()
        };
        assert_eq!(claimed.state(), RecordState::Claimed);
        assert_eq!(
            claimed
                .corrected(other.clone(), change.clone())
                .unwrap_err()
                .code,
            "record_locked"
        );
        let billed = CompletionRecord {
            invoice: Some("i1".into()),
            ..claimed
        };
        assert_eq!(billed.state(), RecordState::Billed);
        assert_eq!(
            billed.voided("x".into(), change).unwrap_err().code,
            "record_locked"
        );
    }

    #[test]
    fn months_parse_strictly() {
        assert_eq!(parse_month("2020-03").unwrap(), "2020-03");
        for bad in ["2020-3", "2020-13", "2020-03-01", "march"] {
            assert_eq!(parse_month(bad).unwrap_err().code, "invalid_month", "{bad}");
        }
    }
}
