//! The county's register of approved online training platforms (线上培训平台): who may train
//! key-group trainees for the allowance, and since when the province has them on record.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    AllParsed, Change, CountyCode, Problems, Reason, bounded_text, dates::parse_day, field,
    optional_field,
};

include!(concat!(env!("OUT_DIR"), "/platform_seed.rs"));

/// A platform's id in this system: lowercase letters, digits and hyphens, 2–40 long.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct PlatformId(String);

impl PlatformId {
    pub fn parse(input: &str) -> Result<Self, Reason> {
        let ok = (2..=40).contains(&input.len())
            && input
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(PlatformId(input.to_owned()))
        } else {
            Err(Reason::new(
                "invalid_platform_id",
                "平台编号应为2至40位小写字母、数字或连字符",
                "A platform id is 2 to 40 lowercase letters, digits or hyphens",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PlatformId {
    type Error = Reason;
    fn try_from(s: String) -> Result<Self, Reason> {
        Self::parse(&s)
    }
}

impl From<PlatformId> for String {
    fn from(id: PlatformId) -> String {
        id.0
    }
}

impl std::fmt::Display for PlatformId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlatformStatus {
    Approved,
    Suspended,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Platform {
    pub id: PlatformId,
    pub name: String,
    /// Other names the notices use for the same site.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// The notices that list the platform.
    #[serde(default)]
    pub listed_in: Vec<String>,
    /// The day the city's choice was recorded with the province (报省人社厅备案); none yet
    /// means no allowance can rest on training there.
    pub recorded_on: Option<NaiveDate>,
    /// The status in force today, as the register is shown (`PlatformRegister::as_of`); as
    /// stored, the status when it was last changed.
    pub status: PlatformStatus,
    /// Every status it was given, each with the first day it applies (none: from the
    /// beginning), once its status has changed; none is ever removed. A suspension applies
    /// from its day, never to training assessed before; one dated after today is scheduled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status_history: Vec<StatusPeriod>,
    /// The periods starting after today, as the register is shown; never stored.
    #[serde(default, skip_serializing_if = "Vec::is_empty", skip_deserializing)]
    pub scheduled: Vec<StatusPeriod>,
    /// The last operator change; none for an entry that came from the built-in seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<Change>,
}

/// A status and the first day it applies; who set it, and why when it was back-dated over
/// days that had another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusPeriod {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    pub status: PlatformStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<Change>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The reason a back-dated status change gives when it has none.
fn back_dated(id: &PlatformId, from: NaiveDate, today: NaiveDate) -> Reason {
    Reason::new(
        "back_dated_change_needs_reason",
        format!("平台 {id} 的状态从 {from} 起变更，早于今天（{today}），会改变已有状态的日子：请填写更正原因"),
        format!(
            "Changing platform {id}'s status from {from}, before today ({today}), changes days that had another: give the reason for the correction"
        ),
    )
    .at("reason")
}

impl Platform {
    /// Its status on `day`: of the periods from a day not after it, the one from the latest
    /// day (of two from one day, the later given).
    pub fn status_on(&self, day: NaiveDate) -> PlatformStatus {
        (self.status_history.iter())
            .filter(|p| p.from.is_none_or(|from| from <= day))
            .fold(None, |best: Option<&StatusPeriod>, p| match best {
                Some(b) if b.from > p.from => Some(b),
                _ => Some(p),
            })
            .map_or(self.status, |p| p.status)
    }

    /// Whether giving it `status` from `from` changes a day before `today`.
    fn changes_past(&self, status: PlatformStatus, from: NaiveDate, today: NaiveDate) -> bool {
        let starts = (self.status_history.iter()).filter_map(|p| p.from);
        let days = std::iter::once(from).chain(starts.filter(|d| (from..today).contains(d)));
        days.filter(|d| *d < today)
            .any(|d| self.status_on(d) != status)
    }

    /// This platform as `next` says, every status period kept: a changed status applies from
    /// `effective_from` (by default `today`); one dated after today is scheduled; a back-dated
    /// one over days that had another status is a correction, refused without its reason.
    pub fn changed_to(
        &self,
        mut next: Platform,
        effective_from: Option<NaiveDate>,
        reason: Option<String>,
        today: NaiveDate,
    ) -> Result<Platform, Reason> {
        let mut history = self.status_history.clone();
        if history.is_empty() {
            history.push(StatusPeriod {
                from: None,
                status: self.status,
                changed: None,
                reason: None,
            });
        }
        let from = effective_from.unwrap_or(today);
        if next.status != self.status_on(from) || effective_from.is_some() {
            if reason.is_none() && self.changes_past(next.status, from, today) {
                return Err(back_dated(&self.id, from, today));
            }
            history.push(StatusPeriod {
                from: Some(from),
                status: next.status,
                changed: next.changed.clone(),
                reason,
            });
        }
        next.status_history = history;
        next.status = next.status_on(today);
        Ok(next)
    }

    /// The platform as shown on `today`: its status in force, and what is scheduled.
    pub fn as_of(&self, today: NaiveDate) -> Platform {
        let scheduled = (self.status_history.iter())
            .filter(|p| p.from.is_some_and(|from| from > today))
            .cloned()
            .collect();
        Platform {
            status: self.status_on(today),
            scheduled,
            ..self.clone()
        }
    }
}

/// A platform as an operator sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformInput {
    /// May be left out where the path names the platform.
    #[serde(default)]
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub site: Option<String>,
    #[serde(default)]
    pub listed_in: Vec<String>,
    #[serde(default)]
    pub recorded_on: Option<String>,
    pub status: String,
    /// The first day a changed status applies (`YYYY-MM-DD`); by default today.
    #[serde(default)]
    pub effective_from: Option<String>,
    /// Why, for a change back-dated over days that had another status.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Every item of a list of texts, each named `{at}[i]`, every problem reported.
fn texts(at: &str, values: &[String], max_chars: usize) -> Result<Vec<String>, Vec<Reason>> {
    let mut parsed = Vec::new();
    let mut problems = Vec::new();
    for (i, value) in values.iter().enumerate() {
        match bounded_text(value, max_chars) {
            Ok(text) => parsed.push(text),
            Err(reason) => problems.push(reason.at(format!("{at}[{i}]"))),
        }
    }
    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(problems)
    }
}

fn status(input: &str) -> Result<PlatformStatus, Reason> {
    match input {
        "approved" => Ok(PlatformStatus::Approved),
        "suspended" => Ok(PlatformStatus::Suspended),
        _ => Err(Reason::new(
            "invalid_platform_status",
            "平台状态应为 approved（已批准）或 suspended（已暂停）",
            "A platform's status is approved or suspended",
        )),
    }
}

/// A platform as an operator sent it, the day a changed status applies from and why.
#[derive(Debug, Clone)]
pub struct PlatformEntry {
    pub platform: Platform,
    pub effective_from: Option<NaiveDate>,
    pub reason: Option<String>,
}

impl Platform {
    /// Validates one platform sent on its own.
    pub fn parse_one(input: PlatformInput, change: &Change) -> Result<PlatformEntry, Vec<Reason>> {
        Platform::parse(input, "platform", change)
    }

    /// Validates an operator's entry; every problem is named under `at` (e.g. `platforms[3]`).
    pub fn parse(
        input: PlatformInput,
        at: &str,
        change: &Change,
    ) -> Result<PlatformEntry, Vec<Reason>> {
        let ((id, name, aliases, site, listed_in, recorded_on, status), effective_from, reason) = (
            (
                field(&format!("{at}.id"), PlatformId::parse(&input.id)),
                field(&format!("{at}.name"), bounded_text(&input.name, 100)),
                texts(&format!("{at}.aliases"), &input.aliases, 100),
                optional_field(&format!("{at}.site"), input.site.as_deref(), |s| {
                    bounded_text(s, 200)
                }),
                texts(&format!("{at}.listed_in"), &input.listed_in, 100),
                optional_field(
                    &format!("{at}.recorded_on"),
                    input.recorded_on.as_deref(),
                    parse_day,
                ),
                field(&format!("{at}.status"), status(&input.status)),
            )
                .all_parsed(),
            optional_field(
                &format!("{at}.effective_from"),
                input.effective_from.as_deref(),
                parse_day,
            ),
            optional_field(&format!("{at}.reason"), input.reason.as_deref(), |r| {
                bounded_text(r, 200)
            }),
        )
            .all_parsed()?;
        Ok(PlatformEntry {
            platform: Platform {
                id,
                name,
                aliases,
                site,
                listed_in,
                recorded_on,
                status,
                status_history: Vec::new(),
                scheduled: Vec::new(),
                changed: Some(change.clone()),
            },
            effective_from,
            reason,
        })
    }
}

/// Where the register in force came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterSource {
    /// The notices' lists, before the county changed anything.
    BuiltInSeed,
    /// Kept by the county's operators.
    County,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlatformRegister {
    /// Grows by one with every change; 0 is the seed.
    pub revision: u64,
    pub source: RegisterSource,
    pub platforms: Vec<Platform>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<Change>,
    /// Where the register before this revision is kept (a store key): every change is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
}

impl crate::history::Versioned for PlatformRegister {
    fn revision(&self) -> u64 {
        self.revision
    }

    fn previous(&self) -> Option<&str> {
        self.previous.as_deref()
    }

    fn kept_at(self, previous: String) -> PlatformRegister {
        PlatformRegister {
            previous: Some(previous),
            ..self
        }
    }
}

/// One platform of the seed (`data/platform-seed.json`, compiled in by `build.rs`).
struct SeedEntry {
    id: PlatformId,
    name: String,
    aliases: Vec<String>,
    site: Option<String>,
    listed_in: Vec<String>,
    recorded_on: NaiveDate,
    cities: SeedCities,
}

/// `"all"` (every Shandong city) or a list of 4-digit city prefixes.
enum SeedCities {
    All,
    Only(Vec<String>),
}

/// Reasons the allowance cannot rest on training at a platform.
pub fn platform_not_approved(id: &PlatformId) -> Reason {
    Reason::new(
        "platform_not_approved",
        format!("培训平台 {id} 不在本地批准的线上培训平台名单内，或已暂停"),
        format!(
            "Platform {id} is not on this county's register of approved online platforms, or is suspended"
        ),
    )
}

impl PlatformRegister {
    /// The built-in register for a county: the province's first-batch list (鲁人社字〔2020〕11号
    /// 附件) for every Shandong city, plus the city's own list where the seed has it (Tai'an,
    /// 泰人社字〔2020〕9号). Contact people and phones in the notices are left out on purpose.
    pub fn seed_for(county: &CountyCode) -> PlatformRegister {
        let platforms = seed_entries()
            .into_iter()
            .filter(|e| match &e.cities {
                SeedCities::All => county.province() == "37",
                SeedCities::Only(cities) => cities.iter().any(|c| c == county.city()),
            })
            .map(|e| Platform {
                id: e.id,
                name: e.name,
                aliases: e.aliases,
                site: e.site,
                listed_in: e.listed_in,
                recorded_on: Some(e.recorded_on),
                status: PlatformStatus::Approved,
                status_history: Vec::new(),
                scheduled: Vec::new(),
                changed: None,
            })
            .collect();
        PlatformRegister {
            revision: 0,
            source: RegisterSource::BuiltInSeed,
            platforms,
            changed: None,
            previous: None,
        }
    }

    pub fn find(&self, id: &PlatformId) -> Option<&Platform> {
        self.platforms.iter().find(|p| &p.id == id)
    }

    /// Whether platform `id` is approved on `day` (today, for what it may do now).
    pub fn approved_on(&self, id: &PlatformId, day: NaiveDate) -> bool {
        self.find(id)
            .is_some_and(|p| p.status_on(day) == PlatformStatus::Approved)
    }

    /// The register as shown on `today`: each platform's status in force and what is
    /// scheduled.
    pub fn as_of(&self, today: NaiveDate) -> PlatformRegister {
        PlatformRegister {
            platforms: self.platforms.iter().map(|p| p.as_of(today)).collect(),
            ..self.clone()
        }
    }

    /// Every reason training on `id`, assessed on `assessed_on`, does not count.
    pub fn check_training_platform(&self, id: &PlatformId, assessed_on: NaiveDate) -> Vec<Reason> {
        match self.find(id) {
            Some(p) if p.status_on(assessed_on) == PlatformStatus::Approved => {
                match p.recorded_on {
                    Some(recorded) if recorded <= assessed_on => vec![],
                    _ => vec![Reason::new(
                        "platform_not_on_record",
                        format!("培训平台 {id} 在考核合格之日尚未报省人社厅备案"),
                        format!(
                            "Platform {id} was not on record with the province on the assessment day"
                        ),
                    )],
                }
            }
            _ => vec![platform_not_approved(id)],
        }
    }

    /// Validates an operator's whole list, reporting every problem.
    pub fn parse_list(
        inputs: Vec<PlatformInput>,
        change: &Change,
    ) -> Result<Vec<PlatformEntry>, Vec<Reason>> {
        let mut problems = Problems::new();
        let platforms: Vec<Option<PlatformEntry>> = (inputs.into_iter().enumerate())
            .map(|(i, p)| problems.item(Platform::parse(p, &format!("platforms[{i}]"), change)))
            .collect();
        problems.flag_repeats(
            &platforms,
            |p| p.platform.id.clone(),
            |i, p| {
                Reason::new(
                    "duplicate_platform",
                    format!("平台编号 {} 重复", p.platform.id),
                    format!("Platform id {} appears more than once", p.platform.id),
                )
                .at(format!("platforms[{i}].id"))
            },
        );
        problems.finish(|| platforms.into_iter().flatten().collect())
    }

    /// The register with the whole list sent (decision: tables are dated facts): each platform
    /// sent changes as `with_platform` says; one left out is kept, its approval ended from
    /// today (a suspension from today), so that training assessed before still counts.
    pub fn replaced(
        &self,
        entries: Vec<PlatformEntry>,
        today: NaiveDate,
        change: &Change,
    ) -> Result<PlatformRegister, Vec<Reason>> {
        let sent: Vec<PlatformId> = entries.iter().map(|e| e.platform.id.clone()).collect();
        let mut register = self.clone();
        let mut problems = Vec::new();
        for (i, entry) in entries.into_iter().enumerate() {
            match register.with_platform(entry, today, change) {
                Ok(next) => register = next,
                Err(reason) => problems.push(reason.at(format!("platforms[{i}].reason"))),
            }
        }
        for left_out in self.platforms.iter().filter(|p| !sent.contains(&p.id)) {
            if left_out.status_on(today) == PlatformStatus::Approved {
                let ended = PlatformEntry {
                    platform: Platform {
                        status: PlatformStatus::Suspended,
                        changed: Some(change.clone()),
                        ..left_out.clone()
                    },
                    effective_from: None,
                    reason: Some("不在新的平台名单中 / left out of the register".into()),
                };
                register = register
                    .with_platform(ended, today, change)
                    .map_err(|r| vec![r])?;
            }
        }
        match problems.is_empty() {
            true => Ok(PlatformRegister {
                revision: self.revision + 1,
                ..register
            }),
            false => Err(problems),
        }
    }

    /// The register with one platform added or changed, every status period kept
    /// (`Platform::changed_to`).
    pub fn with_platform(
        &self,
        entry: PlatformEntry,
        today: NaiveDate,
        change: &Change,
    ) -> Result<PlatformRegister, Reason> {
        let mut platforms = self.platforms.clone();
        match platforms.iter_mut().find(|p| p.id == entry.platform.id) {
            Some(existing) => {
                *existing = existing.changed_to(
                    entry.platform,
                    entry.effective_from,
                    entry.reason,
                    today,
                )?
            }
            None => platforms.push(entry.platform),
        }
        Ok(self.next(platforms, change))
    }

    /// The next revision: one more than this one's, however many changes made it.
    fn next(&self, mut platforms: Vec<Platform>, change: &Change) -> PlatformRegister {
        platforms.sort_by(|a, b| a.id.cmp(&b.id));
        PlatformRegister {
            revision: self.revision + 1,
            source: RegisterSource::County,
            platforms,
            changed: Some(change.clone()),
            // Set where the store keeps the register this one replaces.
            previous: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn change() -> Change {
        Change::new("op-wang", "2020-02-10T02:00:00Z".parse().unwrap())
    }

    fn input(id: &str, recorded_on: Option<&str>, status: &str) -> PlatformInput {
        PlatformInput {
            id: id.into(),
            name: "测试平台".into(),
            aliases: vec![],
            site: Some("www.example.cn".into()),
            listed_in: vec![],
            recorded_on: recorded_on.map(Into::into),
            status: status.into(),
            effective_from: None,
            reason: None,
        }
    }

    #[test]
    fn taian_gets_the_province_list_and_its_own() {
        let taishan = PlatformRegister::seed_for(&CountyCode::parse("370902").unwrap());
        assert_eq!(taishan.platforms.len(), 10);
        assert!(
            taishan
                .platforms
                .iter()
                .all(|p| p.status == PlatformStatus::Approved)
        );
        let jinan = PlatformRegister::seed_for(&CountyCode::parse("370102").unwrap());
        let ids: Vec<&str> = jinan.platforms.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["ixueto", "wfjtip", "leonline", "wljnpx"]);
        let beijing = PlatformRegister::seed_for(&CountyCode::parse("110105").unwrap());
        assert!(beijing.platforms.is_empty());
    }

    #[test]
    fn training_counts_only_on_an_approved_recorded_platform() {
        let county = CountyCode::parse("370902").unwrap();
        let seed = PlatformRegister::seed_for(&county);
        let ixueto = PlatformId::parse("ixueto").unwrap();
        let jijiehao = PlatformId::parse("taian-shuangchuang").unwrap();
        assert!(
            seed.check_training_platform(&ixueto, day("2020-02-06"))
                .is_empty()
        );
        // Tai'an's own platforms are on record from 2020-02-12.
        let early = seed.check_training_platform(&jijiehao, day("2020-02-11"));
        assert_eq!(early[0].code, "platform_not_on_record");
        assert!(
            seed.check_training_platform(&jijiehao, day("2020-02-12"))
                .is_empty()
        );
        let unknown = PlatformId::parse("not-listed").unwrap();
        assert_eq!(
            seed.check_training_platform(&unknown, day("2020-03-01"))[0].code,
            "platform_not_approved"
        );
    }

    fn one(input: PlatformInput) -> PlatformEntry {
        Platform::parse_one(input, &change()).unwrap()
    }

    fn dated(status: &str, from: &str, reason: Option<&str>) -> PlatformEntry {
        let mut entry = input("ixueto", Some("2020-02-06"), status);
        entry.effective_from = Some(from.into());
        entry.reason = reason.map(Into::into);
        one(entry)
    }

    #[test]
    fn a_status_applies_from_its_day_and_a_back_dated_one_needs_a_reason() {
        let seed = PlatformRegister::seed_for(&CountyCode::parse("370902").unwrap());
        let ixueto = PlatformId::parse("ixueto").unwrap();
        let today = day("2020-07-01");
        let suspended = (seed.with_platform(
            one(input("ixueto", Some("2020-02-06"), "suspended")),
            today,
            &change(),
        ))
        .unwrap();
        assert_eq!(
            (suspended.revision, suspended.source),
            (1, RegisterSource::County)
        );
        assert!(
            suspended
                .check_training_platform(&ixueto, day("2020-03-01"))
                .is_empty()
        );
        let refused = suspended.check_training_platform(&ixueto, day("2020-07-01"));
        assert_eq!(refused[0].code, "platform_not_approved");
        // From a day in the past over approved days: a correction, with its reason.
        let back = seed.with_platform(dated("suspended", "2020-03-01", None), today, &change());
        assert_eq!(back.unwrap_err().code, "back_dated_change_needs_reason");
        let from_march = (seed.with_platform(
            dated("suspended", "2020-03-01", Some("备案撤销")),
            today,
            &change(),
        ))
        .unwrap();
        assert!(
            from_march
                .check_training_platform(&ixueto, day("2020-02-29"))
                .is_empty()
        );
        assert_eq!(
            from_march
                .check_training_platform(&ixueto, day("2020-03-01"))
                .len(),
            1
        );
        // Approved again from August: every period stays.
        let again = (suspended.with_platform(
            one(input("ixueto", Some("2020-02-06"), "approved")),
            day("2020-08-01"),
            &change(),
        ))
        .unwrap();
        assert_eq!(again.find(&ixueto).unwrap().status_history.len(), 3);
        assert_eq!(
            again
                .check_training_platform(&ixueto, day("2020-07-15"))
                .len(),
            1
        );
        assert!((again.check_training_platform(&ixueto, day("2020-08-01"))).is_empty());
    }

    #[test]
    fn a_platform_added_without_its_record_day_trains_for_nothing() {
        let seed = PlatformRegister::seed_for(&CountyCode::parse("370902").unwrap());
        let today = day("2020-07-01");
        let unrecorded =
            seed.with_platform(one(input("new-one", None, "approved")), today, &change());
        let new_one = PlatformId::parse("new-one").unwrap();
        let unrecorded = unrecorded.unwrap();
        assert_eq!(
            unrecorded.check_training_platform(&new_one, day("2020-03-01"))[0].code,
            "platform_not_on_record"
        );
        assert_eq!(unrecorded.platforms.len(), 11);
    }

    #[test]
    fn a_status_dated_after_today_is_scheduled_not_applied() {
        let seed = PlatformRegister::seed_for(&CountyCode::parse("370902").unwrap());
        let ixueto = PlatformId::parse("ixueto").unwrap();
        let today = day("2020-07-01");
        let later = seed.with_platform(dated("suspended", "2021-01-01", None), today, &change());
        let shown = later.unwrap().as_of(today);
        let platform = shown.find(&ixueto).unwrap();
        assert_eq!(platform.status, PlatformStatus::Approved);
        assert_eq!(platform.scheduled.len(), 1);
        assert!(shown.approved_on(&ixueto, today));
        assert!(!shown.approved_on(&ixueto, day("2021-01-01")));
        let then = shown.as_of(day("2021-01-02"));
        assert_eq!(
            then.find(&ixueto).unwrap().status,
            PlatformStatus::Suspended
        );
    }

    #[test]
    fn a_platform_left_out_of_the_register_is_suspended_from_that_day_not_erased() {
        let seed = PlatformRegister::seed_for(&CountyCode::parse("370902").unwrap());
        let today = day("2020-07-01");
        let kept = input("wljnpx", Some("2020-02-06"), "approved");
        let entries = PlatformRegister::parse_list(vec![kept], &change()).unwrap();
        let replaced = seed.replaced(entries, today, &change()).unwrap();
        assert_eq!(replaced.revision, 1);
        assert_eq!(replaced.platforms.len(), seed.platforms.len());
        let ixueto = PlatformId::parse("ixueto").unwrap();
        assert!(
            replaced
                .check_training_platform(&ixueto, day("2020-03-01"))
                .is_empty()
        );
        assert_eq!(replaced.check_training_platform(&ixueto, today).len(), 1);
        let wljnpx = PlatformId::parse("wljnpx").unwrap();
        assert!(replaced.check_training_platform(&wljnpx, today).is_empty());
    }

    #[test]
    fn a_replacement_reports_every_problem() {
        let mut bad = input("Bad Id", Some("2020-02-30"), "maybe");
        bad.name = " ".into();
        let dup = input("dup", None, "approved");
        let errors =
            PlatformRegister::parse_list(vec![bad, dup, input("dup", None, "approved")], &change())
                .unwrap_err();
        let found: Vec<(&str, &str)> = errors
            .iter()
            .map(|r| (r.code, r.field.as_deref().unwrap()))
            .collect();
        assert_eq!(
            found,
            [
                ("invalid_platform_id", "platforms[0].id"),
                ("invalid_text", "platforms[0].name"),
                ("invalid_date", "platforms[0].recorded_on"),
                ("invalid_platform_status", "platforms[0].status"),
                ("duplicate_platform", "platforms[2].id"),
            ]
        );
    }
}
