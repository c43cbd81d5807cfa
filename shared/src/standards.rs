//! 当地职业培训补贴标准: the county's table of training-subsidy standards per training project
//! (occupation + level). The platform subsidy is a share of these.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    AllParsed, Change, DecimalText, OccupationCode, Problems, Reason, SkillLevel, Yuan,
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
    /// The first assessment day it applies to; none: every day until a later entry. A change
    /// never reprices the past: each line uses the standard in force on its assessment day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    pub changed: Change,
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
        let (occupation, occupation_name, level, standard, valid_from) = (
            field(
                &format!("{at}.occupation"),
                OccupationCode::parse(&input.occupation),
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
            .all_parsed()?;
        Ok(SubsidyStandard {
            occupation,
            occupation_name,
            level,
            standard,
            valid_from,
            changed: change.clone(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StandardsTable {
    /// Grows by one with every change; 0 is the empty table a county starts with.
    pub revision: u64,
    pub standards: Vec<SubsidyStandard>,
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

impl StandardsTable {
    /// The standard of an occupation and level in force on `day`: of its entries, the one
    /// valid from the latest day not after it.
    pub fn lookup(
        &self,
        occupation: &OccupationCode,
        level: SkillLevel,
        day: NaiveDate,
    ) -> Option<&SubsidyStandard> {
        self.standards
            .iter()
            .filter(|s| &s.occupation == occupation && s.level == level)
            .filter(|s| s.valid_from.is_none_or(|from| from <= day))
            .max_by_key(|s| s.valid_from)
    }

    fn has(&self, occupation: &OccupationCode, level: SkillLevel) -> bool {
        (self.standards.iter()).any(|s| &s.occupation == occupation && s.level == level)
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

    /// The table with every entry replaced.
    pub fn replaced(&self, standards: Vec<SubsidyStandard>, change: &Change) -> StandardsTable {
        self.next(standards, change)
    }

    /// The table with `standard` added. Without a `valid_from`, a standard for an occupation
    /// and level that has one already applies from `today`: earlier assessments keep theirs.
    /// An entry valid from the same day is replaced.
    pub fn with_standard(
        &self,
        mut standard: SubsidyStandard,
        today: NaiveDate,
        change: &Change,
    ) -> StandardsTable {
        if standard.valid_from.is_none() && self.has(&standard.occupation, standard.level) {
            standard.valid_from = Some(today);
        }
        let mut standards = self.standards.clone();
        standards.retain(|s| {
            !(s.occupation == standard.occupation
                && s.level == standard.level
                && s.valid_from == standard.valid_from)
        });
        standards.push(standard);
        self.next(standards, change)
    }

    /// Removes one training project's standard; `None` if there was none.
    pub fn without(
        &self,
        occupation: &OccupationCode,
        level: SkillLevel,
        change: &Change,
    ) -> Option<StandardsTable> {
        if !self.has(occupation, level) {
            return None;
        }
        let standards = (self.standards.iter())
            .filter(|s| !(&s.occupation == occupation && s.level == level))
            .cloned()
            .collect();
        Some(self.next(standards, change))
    }

    fn next(&self, mut standards: Vec<SubsidyStandard>, change: &Change) -> StandardsTable {
        standards.sort_by(|a, b| {
            (&a.occupation, a.level, a.valid_from).cmp(&(&b.occupation, b.level, b.valid_from))
        });
        StandardsTable {
            revision: self.revision + 1,
            standards,
            changed: Some(change.clone()),
            // Set where the store keeps the table this one replaces.
            previous: None,
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
        }
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_table_is_replaced_filtered_and_updated() {
        let standards = StandardsTable::parse_list(
            vec![
                input("4-03-02-01", "5", "1200"),
                input("4-03-02-01", "4", "1500.5"),
                input("6-28-01-05", "none", "800"),
            ],
            &change(),
        )
        .unwrap();
        let table = StandardsTable::default().replaced(standards, &change());
        assert_eq!(table.revision, 1);
        let cook = OccupationCode::parse("4-03-02-01").unwrap();
        assert_eq!(
            table
                .lookup(&cook, SkillLevel::Level4, day("2020-03-15"))
                .unwrap()
                .standard
                .to_string(),
            "1500.50"
        );
        assert!(
            table
                .lookup(&cook, SkillLevel::Level3, day("2020-03-15"))
                .is_none()
        );
        assert_eq!(table.filtered(Some("4-03"), None).len(), 2);
        assert_eq!(table.filtered(None, Some(SkillLevel::NoLevel)).len(), 1);
        assert_eq!(
            table.filtered(Some("4-03"), Some(SkillLevel::Level5)).len(),
            1
        );

        let new_standard =
            SubsidyStandard::parse_one(input("4-03-02-01", "5", "1300"), &change()).unwrap();
        // Changed on 1 July: from then on; March keeps its standard.
        let updated = table.with_standard(new_standard, day("2020-07-01"), &change());
        assert_eq!(updated.revision, 2);
        assert_eq!(updated.standards.len(), 4);
        let on = |d: &str| {
            updated
                .lookup(&cook, SkillLevel::Level5, day(d))
                .unwrap()
                .standard
                .to_string()
        };
        assert_eq!(
            (on("2020-03-15"), on("2020-06-30"), on("2020-07-01")),
            ("1200.00".into(), "1200.00".into(), "1300.00".into())
        );
        // Sent again for the same day: replaced, not added.
        let again =
            SubsidyStandard::parse_one(input("4-03-02-01", "5", "1350"), &change()).unwrap();
        let corrected = updated.with_standard(again, day("2020-07-01"), &change());
        assert_eq!(corrected.standards.len(), 4);
        // A first standard of an occupation applies to every day.
        let first =
            SubsidyStandard::parse_one(input("4-03-02-01", "3", "2000"), &change()).unwrap();
        let added = table.with_standard(first, day("2020-07-01"), &change());
        assert!(
            added
                .lookup(&cook, SkillLevel::Level3, day("2020-03-01"))
                .is_some()
        );
        let removed = updated
            .without(&cook, SkillLevel::Level5, &change())
            .unwrap();
        assert_eq!(removed.standards.len(), 2, "every period of it");
        assert!(
            removed
                .without(&cook, SkillLevel::Level5, &change())
                .is_none()
        );
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
