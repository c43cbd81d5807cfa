//! 当地职业培训补贴标准: the county's table of training-subsidy standards per training project
//! (occupation + level). The platform subsidy is a share of these.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    AllParsed, Change, Course, DecimalText, OccupationCode, Problems, Reason, SkillLevel, Yuan,
    bounded_text, dates::parse_day, field, optional_field,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubsidyStandard {
    pub occupation: OccupationCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupation_name: Option<String>,
    pub level: SkillLevel,
    /// Yuan per trainee who completes the project.
    pub standard: Yuan,
    /// The first assessment day it applies to, until a later entry or end (none: from the
    /// beginning, as entries stored before every change was dated read). Each line uses the
    /// standard in force on its assessment day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    pub changed: Change,
    /// Why, for a back-dated correction (one that reprices days before it was made).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A course's standard ended from a day: no standard applies from then until a later entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StandardEnd {
    pub occupation: OccupationCode,
    pub level: SkillLevel,
    pub from: NaiveDate,
    pub changed: Change,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A standard as an operator sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandardInput {
    pub occupation: String,
    #[serde(default)]
    pub occupation_name: Option<String>,
    pub level: String,
    pub standard: DecimalText,
    #[serde(default)]
    pub valid_from: Option<String>,
    /// Required to back-date a change over days that had another standard.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Standards are set per 职业 (4-part code): a 工种 code is refused, so that a course has one
/// standard.
pub fn course_occupation(input: &str) -> Result<OccupationCode, Reason> {
    let code = OccupationCode::parse(input)?;
    if code.occupation() != code {
        return Err(Reason::new(
            "standard_per_occupation",
            format!(
                "补贴标准按职业设定（4段编码，如 {}），不按工种",
                code.occupation()
            ),
            format!(
                "Standards are set per occupation (a 4-part code such as {}), not per work type",
                code.occupation()
            ),
        ));
    }
    Ok(code)
}

impl SubsidyStandard {
    /// Validates one standard sent on its own.
    pub fn parse_one(
        input: StandardInput,
        change: &Change,
    ) -> Result<SubsidyStandard, Vec<Reason>> {
        SubsidyStandard::parse(input, "standard", change)
    }

    /// Validates one standard, its fields named under `at`.
    pub fn parse(
        input: StandardInput,
        at: &str,
        change: &Change,
    ) -> Result<SubsidyStandard, Vec<Reason>> {
        let positive = Yuan::parse(&input.standard.0).and_then(|y| {
            if y.is_zero() {
                Err(Reason::new(
                    "invalid_amount",
                    "补贴标准应大于0",
                    "A subsidy standard is above 0",
                ))
            } else {
                Ok(y)
            }
        });
        let ((occupation, occupation_name, level, standard, valid_from), reason) = (
            (
                field(
                    &format!("{at}.occupation"),
                    course_occupation(&input.occupation),
                ),
                optional_field(
                    &format!("{at}.occupation_name"),
                    input.occupation_name.as_deref(),
                    |n| bounded_text(n, 100),
                ),
                field(&format!("{at}.level"), SkillLevel::parse(&input.level)),
                field(&format!("{at}.standard"), positive),
                optional_field(
                    &format!("{at}.valid_from"),
                    input.valid_from.as_deref(),
                    parse_day,
                ),
            )
                .all_parsed(),
            optional_field(&format!("{at}.reason"), input.reason.as_deref(), |r| {
                bounded_text(r, 200)
            }),
        )
            .all_parsed()?;
        Ok(SubsidyStandard {
            occupation,
            occupation_name,
            level,
            standard,
            valid_from,
            changed: change.clone(),
            reason,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StandardsTable {
    /// Grows by one with every change; 0 is the empty table a county starts with.
    pub revision: u64,
    /// Every period ever set, none removed.
    pub standards: Vec<SubsidyStandard>,
    /// Every end ever set, none removed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ended: Vec<StandardEnd>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<Change>,
    /// Where the table before this revision is kept (a store key): every change is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
}

impl crate::history::Versioned for StandardsTable {
    fn revision(&self) -> u64 {
        self.revision
    }

    fn previous(&self) -> Option<&str> {
        self.previous.as_deref()
    }

    fn kept_at(self, previous: String) -> StandardsTable {
        StandardsTable {
            previous: Some(previous),
            ..self
        }
    }
}

/// The reason a back-dated change gives when it has none.
fn back_dated(course: &Course, from: NaiveDate, today: NaiveDate) -> Reason {
    Reason::new(
        "back_dated_change_needs_reason",
        format!(
            "职业 {} 等级 {} 的标准从 {from} 起变更，早于今天（{today}），会改变已有标准的日子：请填写更正原因",
            course.occupation,
            course.level.code()
        ),
        format!(
            "Changing the standard of {} level {} from {from}, before today ({today}), reprices days that had one: give the reason for the correction",
            course.occupation,
            course.level.code()
        ),
    )
    .at("reason")
}

impl StandardsTable {
    fn periods_of(&self, course: &Course) -> impl Iterator<Item = &SubsidyStandard> {
        let course = course.clone();
        (self.standards.iter()).filter(move |s| Course::of(&s.occupation, s.level) == course)
    }

    fn ends_of(&self, course: &Course) -> impl Iterator<Item = &StandardEnd> {
        let course = course.clone();
        (self.ended.iter()).filter(move |e| Course::of(&e.occupation, e.level) == course)
    }

    /// The standard of a course in force on `day`: of its periods, the one valid from the
    /// latest day not after it (of two from one day, the later set), unless an end from a day
    /// after that start and not after `day` came since.
    pub fn lookup(&self, course: &Course, day: NaiveDate) -> Option<&SubsidyStandard> {
        let period = (self.periods_of(course))
            .filter(|s| s.valid_from.is_none_or(|from| from <= day))
            .fold(None, |best: Option<&SubsidyStandard>, s| match best {
                Some(b) if b.valid_from > s.valid_from => Some(b),
                _ => Some(s),
            })?;
        let ended = (self.ends_of(course))
            .any(|e| e.from <= day && period.valid_from.is_none_or(|start| e.from > start));
        (!ended).then_some(period)
    }

    /// Whether setting `course` to `standard` (none: ending it) from `from` changes what some
    /// day before `today` had in force: the days where the table changes between them are
    /// each looked at.
    fn reprices(
        &self,
        course: &Course,
        from: NaiveDate,
        standard: Option<Yuan>,
        today: NaiveDate,
    ) -> bool {
        let starts = (self.periods_of(course).filter_map(|s| s.valid_from))
            .chain(self.ends_of(course).map(|e| e.from));
        let days = std::iter::once(from).chain(starts.filter(|d| (from..today).contains(d)));
        days.filter(|d| *d < today).any(|d| {
            self.lookup(course, d).map(|s| s.standard) != standard
                && self.lookup(course, d).is_some()
        })
    }

    /// Entries whose occupation code starts with `occupation_prefix` (so `4-03` finds a whole
    /// category) and, if given, of one level.
    pub fn filtered(
        &self,
        occupation_prefix: Option<&str>,
        level: Option<SkillLevel>,
    ) -> Vec<&SubsidyStandard> {
        self.standards
            .iter()
            .filter(|s| occupation_prefix.is_none_or(|p| s.occupation.as_str().starts_with(p)))
            .filter(|s| level.is_none_or(|l| s.level == l))
            .collect()
    }

    /// The standards in force on `today`, and those scheduled to start after it, of the
    /// entries `filtered` keeps.
    pub fn in_force_and_scheduled<'a>(
        &self,
        entries: &[&'a SubsidyStandard],
        today: NaiveDate,
    ) -> (Vec<&'a SubsidyStandard>, Vec<&'a SubsidyStandard>) {
        let in_force = (entries.iter().copied())
            .filter(|s| {
                let course = Course::of(&s.occupation, s.level);
                self.lookup(&course, today) == Some(*s)
            })
            .collect();
        let scheduled = (entries.iter().copied())
            .filter(|s| s.valid_from.is_some_and(|from| from > today))
            .collect();
        (in_force, scheduled)
    }

    /// Validates an operator's whole table, reporting every problem.
    pub fn parse_list(
        inputs: Vec<StandardInput>,
        change: &Change,
    ) -> Result<Vec<SubsidyStandard>, Vec<Reason>> {
        let mut problems = Problems::new();
        let standards: Vec<Option<SubsidyStandard>> = (inputs.into_iter().enumerate())
            .map(|(i, s)| {
                problems.item(SubsidyStandard::parse(
                    s,
                    &format!("standards[{i}]"),
                    change,
                ))
            })
            .collect();
        problems.flag_repeats(
            &standards,
            |s| (s.occupation.clone(), s.level, s.valid_from),
            |i, s| {
                Reason::new(
                    "duplicate_standard",
                    format!("职业 {} 等级 {} 的标准重复", s.occupation, s.level.code()),
                    format!(
                        "Occupation {} at level {} appears more than once",
                        s.occupation,
                        s.level.code()
                    ),
                )
                .at(format!("standards[{i}]"))
            },
        );
        problems.finish(|| standards.into_iter().flatten().collect())
    }

    /// The table with the standards sent as the whole table (decision: tables are dated facts):
    /// each applies from its `valid_from` (today unless given); a course in force today that
    /// the list leaves out ends today. Nothing before is removed; a change that would reprice
    /// a day before today needs its reason (`with_standard`). Every refusal, by entry.
    pub fn replaced(
        &self,
        standards: Vec<SubsidyStandard>,
        today: NaiveDate,
        change: &Change,
    ) -> Result<StandardsTable, Vec<Reason>> {
        let mut table = self.clone();
        let mut problems = Vec::new();
        let sent: Vec<Course> = standards
            .iter()
            .map(|s| Course::of(&s.occupation, s.level))
            .collect();
        for (i, standard) in standards.into_iter().enumerate() {
            match table.with_standard(standard, today, change) {
                Ok(next) => table = next,
                Err(reason) => problems.push(reason.at(format!("standards[{i}].reason"))),
            }
        }
        let left_out: Vec<Course> = (self.standards.iter())
            .map(|s| Course::of(&s.occupation, s.level))
            .filter(|c| !sent.contains(c) && self.lookup(c, today).is_some())
            .collect();
        for course in left_out {
            if let Ok(Some(next)) = table.ended(&course, None, None, today, change) {
                table = next;
            }
        }
        match problems.is_empty() {
            true => Ok(StandardsTable {
                revision: self.revision + 1,
                ..table
            }),
            false => Err(problems),
        }
    }

    /// The table with `standard` added, from its `valid_from` (today unless given; one from
    /// the same day is replaced). Earlier periods stay: each line keeps the standard of its
    /// assessment day. A back-dated change that would reprice a day that had a standard is a
    /// correction, refused without its reason.
    pub fn with_standard(
        &self,
        mut standard: SubsidyStandard,
        today: NaiveDate,
        change: &Change,
    ) -> Result<StandardsTable, Reason> {
        let from = *standard.valid_from.get_or_insert(today);
        let course = Course::of(&standard.occupation, standard.level);
        if standard.reason.is_none() && self.reprices(&course, from, Some(standard.standard), today)
        {
            return Err(back_dated(&course, from, today));
        }
        let mut next = self.clone();
        next.standards.retain(|s| {
            !(Course::of(&s.occupation, s.level) == course && s.valid_from == Some(from))
        });
        next.ended
            .retain(|e| !(Course::of(&e.occupation, e.level) == course && e.from == from));
        next.standards.push(standard);
        Ok(next.next(change))
    }

    /// The table with a course's standard ended from `from` (today unless given): periods
    /// before stay. `None` when no standard of it is in force from that day on; a back-dated
    /// end over days that had a standard needs its reason.
    pub fn ended(
        &self,
        course: &Course,
        from: Option<NaiveDate>,
        reason: Option<String>,
        today: NaiveDate,
        change: &Change,
    ) -> Result<Option<StandardsTable>, Reason> {
        let from = from.unwrap_or(today);
        let later = self
            .periods_of(course)
            .any(|s| s.valid_from.is_some_and(|d| d > from));
        if self.lookup(course, from).is_none() && !later {
            return Ok(None);
        }
        if reason.is_none() && self.reprices(course, from, None, today) {
            return Err(back_dated(course, from, today));
        }
        let mut next = self.clone();
        // One from the same day is replaced by the end; periods scheduled after it are
        // withdrawn with it: they never applied.
        let replaced = |d: NaiveDate| d == from || (d > from && d > today);
        next.standards.retain(|s| {
            Course::of(&s.occupation, s.level) != *course || !s.valid_from.is_some_and(replaced)
        });
        next.ended.push(StandardEnd {
            occupation: course.occupation.clone(),
            level: course.level,
            from,
            changed: change.clone(),
            reason,
        });
        Ok(Some(next.next(change)))
    }

    fn next(mut self, change: &Change) -> StandardsTable {
        self.standards.sort_by(|a, b| {
            (&a.occupation, a.level, a.valid_from).cmp(&(&b.occupation, b.level, b.valid_from))
        });
        StandardsTable {
            revision: self.revision + 1,
            changed: Some(change.clone()),
            // Set where the store keeps the table this one replaces.
            previous: None,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change() -> Change {
        Change::new("op-li", "2020-02-10T02:00:00Z".parse().unwrap())
    }

    fn input(occupation: &str, level: &str, standard: &str) -> StandardInput {
        StandardInput {
            occupation: occupation.into(),
            occupation_name: Some("中式烹调师".into()),
            level: level.into(),
            standard: DecimalText(standard.into()),
            valid_from: None,
            reason: None,
        }
    }

    fn from(occupation: &str, level: &str, standard: &str, day: &str) -> SubsidyStandard {
        let input = StandardInput {
            valid_from: Some(day.into()),
            ..input(occupation, level, standard)
        };
        SubsidyStandard::parse_one(input, &change()).unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn cook(level: SkillLevel) -> Course {
        Course::of(&OccupationCode::parse("4-03-02-01").unwrap(), level)
    }

    fn on(table: &StandardsTable, course: &Course, d: &str) -> Option<String> {
        table.lookup(course, day(d)).map(|s| s.standard.to_string())
    }

    #[test]
    fn a_change_applies_from_its_day_and_never_reprices_the_past() {
        let today = day("2020-07-01");
        let first = from("4-03-02-01", "5", "1200", "2020-02-06");
        // Days without a standard get one back-dated without a reason: nothing was priced.
        let table = StandardsTable::default()
            .with_standard(first, today, &change())
            .unwrap();
        let five = cook(SkillLevel::Level5);
        assert_eq!(on(&table, &five, "2020-02-05"), None);
        assert_eq!(on(&table, &five, "2020-03-15").as_deref(), Some("1200.00"));
        // A later change without a day applies from today; the past keeps its standard.
        let later =
            SubsidyStandard::parse_one(input("4-03-02-01", "5", "1300"), &change()).unwrap();
        let updated = table.with_standard(later, today, &change()).unwrap();
        assert_eq!(
            (
                on(&updated, &five, "2020-06-30"),
                on(&updated, &five, "2020-07-01")
            ),
            (Some("1200.00".into()), Some("1300.00".into()))
        );
        // Scheduled for later: today keeps its standard.
        let scheduled = from("4-03-02-01", "5", "1400", "2020-09-01");
        let scheduled = updated.with_standard(scheduled, today, &change()).unwrap();
        assert_eq!(
            on(&scheduled, &five, "2020-07-15").as_deref(),
            Some("1300.00")
        );
        let all = scheduled.filtered(None, None);
        let (in_force, later) = scheduled.in_force_and_scheduled(&all, today);
        assert_eq!(in_force.len(), 1);
        assert_eq!(later[0].standard.to_string(), "1400.00");
        // The same day again: replaced, not added.
        let again =
            SubsidyStandard::parse_one(input("4-03-02-01", "5", "1350"), &change()).unwrap();
        let corrected = updated.with_standard(again, today, &change()).unwrap();
        assert_eq!(corrected.standards.len(), 2);
    }

    #[test]
    fn a_back_dated_correction_of_priced_days_needs_its_reason() {
        let today = day("2020-07-01");
        let table = (StandardsTable::default())
            .with_standard(
                from("4-03-02-01", "5", "1000", "2020-02-06"),
                today,
                &change(),
            )
            .unwrap();
        let back = from("4-03-02-01", "5", "5000", "2020-06-01");
        let refused = table
            .with_standard(back.clone(), today, &change())
            .unwrap_err();
        assert_eq!(refused.code, "back_dated_change_needs_reason");
        let with_reason = SubsidyStandard {
            reason: Some("文件更正".into()),
            ..back
        };
        let corrected = table.with_standard(with_reason, today, &change()).unwrap();
        let five = cook(SkillLevel::Level5);
        assert_eq!(
            on(&corrected, &five, "2020-06-15").as_deref(),
            Some("5000.00")
        );
        assert_eq!(
            on(&corrected, &five, "2020-05-31").as_deref(),
            Some("1000.00")
        );
    }

    #[test]
    fn replacing_the_table_adds_and_ends_periods_and_removes_nothing() {
        let today = day("2020-07-01");
        let standards = vec![
            from("4-03-02-01", "5", "1000", "2020-02-06"),
            from("4-03-02-01", "4", "1500.5", "2020-02-06"),
        ];
        let table = StandardsTable::default()
            .replaced(standards, today, &change())
            .unwrap();
        assert_eq!(table.revision, 1);
        // A new table without the level 4 and with level 5 at 5000, no days given.
        let next =
            vec![SubsidyStandard::parse_one(input("4-03-02-01", "5", "5000"), &change()).unwrap()];
        let replaced = table.replaced(next, today, &change()).unwrap();
        let (five, four) = (cook(SkillLevel::Level5), cook(SkillLevel::Level4));
        assert_eq!(
            on(&replaced, &five, "2020-06-15").as_deref(),
            Some("1000.00")
        );
        assert_eq!(
            on(&replaced, &five, "2020-07-01").as_deref(),
            Some("5000.00")
        );
        assert_eq!(
            on(&replaced, &four, "2020-06-15").as_deref(),
            Some("1500.50")
        );
        assert_eq!(on(&replaced, &four, "2020-07-01"), None);
        assert_eq!(replaced.standards.len(), 3, "every period kept");
        // Ending the level 5 from today keeps June's; ending what has ended is nothing.
        let ended = replaced
            .ended(&five, None, None, today, &change())
            .unwrap()
            .unwrap();
        assert_eq!(on(&ended, &five, "2020-06-15").as_deref(), Some("1000.00"));
        assert_eq!(on(&ended, &five, "2020-07-02"), None);
        assert!(
            ended
                .ended(&four, None, None, today, &change())
                .unwrap()
                .is_none()
        );
        // Ending back-dated over priced days needs a reason.
        let back = ended.ended(&five, Some(day("2020-06-01")), None, today, &change());
        assert_eq!(back.unwrap_err().code, "back_dated_change_needs_reason");
    }

    #[test]
    fn a_work_type_is_priced_by_its_occupation_and_standards_are_set_per_occupation() {
        let table = (StandardsTable::default())
            .with_standard(
                from("4-03-02-01", "5", "1000", "2020-02-06"),
                day("2020-07-01"),
                &change(),
            )
            .unwrap();
        let work_type = OccupationCode::parse("4-03-02-01-01").unwrap();
        let course = Course::of(&work_type, SkillLevel::Level5);
        assert_eq!(
            on(&table, &course, "2020-03-15").as_deref(),
            Some("1000.00")
        );
        let refused = SubsidyStandard::parse_one(input("4-03-02-01-01", "5", "900"), &change());
        assert_eq!(refused.unwrap_err()[0].code, "standard_per_occupation");
        assert_eq!(table.filtered(Some("4-03"), None).len(), 1);
        assert_eq!(table.filtered(None, Some(SkillLevel::NoLevel)).len(), 0);
    }

    #[test]
    fn bad_entries_are_all_reported() {
        let errors = StandardsTable::parse_list(
            vec![
                input("4-03-02", "7", "0"),
                input("4-03-02-01", "5", "1200"),
                input("4-03-02-01", "5", "1000"),
                input("4-03-02-01", "4", "12.345"),
            ],
            &change(),
        )
        .unwrap_err();
        let found: Vec<(&str, &str)> = errors
            .iter()
            .map(|r| (r.code, r.field.as_deref().unwrap()))
            .collect();
        assert_eq!(
            found,
            [
                ("invalid_occupation_code", "standards[0].occupation"),
                ("invalid_level", "standards[0].level"),
                ("invalid_amount", "standards[0].standard"),
                ("invalid_amount", "standards[3].standard"),
                ("duplicate_standard", "standards[2]"),
            ]
        );
    }
}
