//! Working days (工作日), as the State Council sets them each year: Monday to Friday, except
//! statutory holidays, plus the weekend days worked instead (调休). 公示 is counted in them.
//! The calendar is policy data (`data/working-calendar.json`, compiled in): 2020 with its
//! Spring Festival extension, and 2021, each day with its notice. A county admin adds a later
//! year when the State Council publishes it (`AddedCalendar`). A day outside the years it
//! covers is not guessed at: counting across it is refused (`calendar_not_covered`).

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::{Change, Reason};

include!(concat!(env!("OUT_DIR"), "/working_calendar.rs"));

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkingCalendar {
    /// The notices the days come from.
    pub sources: Vec<String>,
    pub years: Vec<i32>,
    pub holidays: BTreeSet<NaiveDate>,
    pub working_weekends: BTreeSet<NaiveDate>,
}

/// A notice's days: it runs from `from` to the end of `until`, both working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NoticePeriod {
    pub from: NaiveDate,
    pub until: NaiveDate,
    pub working_days: u32,
}

impl WorkingCalendar {
    pub fn new(
        sources: Vec<String>,
        years: Vec<i32>,
        holidays: Vec<NaiveDate>,
        working_weekends: Vec<NaiveDate>,
    ) -> WorkingCalendar {
        WorkingCalendar {
            sources,
            years,
            holidays: holidays.into_iter().collect(),
            working_weekends: working_weekends.into_iter().collect(),
        }
    }

    /// The calendar compiled in from `data/working-calendar.json`.
    pub fn built_in() -> WorkingCalendar {
        built_in_calendar()
    }

    /// The built-in calendar with the years a county added.
    pub fn with_added(added: &AddedCalendar) -> WorkingCalendar {
        let mut calendar = WorkingCalendar::built_in();
        for year in &added.years {
            if calendar.years.contains(&year.year) {
                continue;
            }
            calendar.years.push(year.year);
            calendar.sources.push(year.source.clone());
            calendar.holidays.extend(year.holidays.iter().copied());
            calendar
                .working_weekends
                .extend(year.working_weekends.iter().copied());
        }
        calendar.years.sort();
        calendar
    }

    /// Whether `day` is a working day; `None` for a day of a year the calendar does not cover.
    pub fn is_working_day(&self, day: NaiveDate) -> Option<bool> {
        if !self.years.contains(&day.year()) {
            return None;
        }
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        Some(if weekend {
            self.working_weekends.contains(&day)
        } else {
            !self.holidays.contains(&day)
        })
    }

    /// A notice published on `published_on` for `working_days`: it starts that day if it is a
    /// working day, else on the next one, and ends at the end of its `working_days`-th working
    /// day, the first counted as one.
    pub fn notice(
        &self,
        published_on: NaiveDate,
        working_days: u32,
    ) -> Result<NoticePeriod, Reason> {
        let mut day = published_on;
        let mut from = None;
        let mut counted = 0;
        loop {
            match self.is_working_day(day) {
                None => return Err(not_covered(day)),
                Some(true) => {
                    from.get_or_insert(day);
                    counted += 1;
                    if counted >= working_days.max(1) {
                        let from = from.unwrap_or(day);
                        return Ok(NoticePeriod {
                            from,
                            until: day,
                            working_days: working_days.max(1),
                        });
                    }
                }
                Some(false) => {}
            }
            day = day.succ_opt().ok_or_else(|| not_covered(day))?;
        }
    }
}

/// A year a county added: its holidays and adjusted working weekends as the State Council's
/// notice for it sets them (`source`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarYear {
    pub year: i32,
    pub source: String,
    #[serde(with = "crate::dates::day_set")]
    pub holidays: BTreeSet<NaiveDate>,
    #[serde(with = "crate::dates::day_set")]
    pub working_weekends: BTreeSet<NaiveDate>,
}

/// What an admin sends for a year.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarYearInput {
    pub source: String,
    pub holidays: Vec<String>,
    pub working_weekends: Vec<String>,
}

impl CalendarYear {
    /// Every day of `year`, holidays on weekdays or weekends alike, adjusted working days on a
    /// Saturday or Sunday only, no day both; the source named. Every problem listed.
    pub fn parse(year: i32, input: &CalendarYearInput) -> Result<CalendarYear, Vec<Reason>> {
        let mut problems = Vec::new();
        let source = crate::field("source", crate::bounded_text(&input.source, 200));
        let mut days = |list: &[String], name: &str, weekend_only: bool| {
            let mut parsed = BTreeSet::new();
            for (i, text) in list.iter().enumerate() {
                let at = format!("{name}[{i}]");
                match crate::dates::parse_day(text) {
                    Err(reason) => problems.push(reason.at(at)),
                    Ok(day) if day.year() != year => problems.push(other_year(year).at(at)),
                    Ok(day) if weekend_only && !is_weekend(day) => {
                        problems.push(not_a_weekend(day).at(at))
                    }
                    Ok(day) => {
                        parsed.insert(day);
                    }
                }
            }
            parsed
        };
        let holidays = days(&input.holidays, "holidays", false);
        let working_weekends = days(&input.working_weekends, "working_weekends", true);
        if let Some(day) = holidays.intersection(&working_weekends).next() {
            problems.push(both(*day).at("working_weekends"));
        }
        match source {
            Ok(source) if problems.is_empty() => Ok(CalendarYear {
                year,
                source,
                holidays,
                working_weekends,
            }),
            Ok(_) => Err(problems),
            Err(mut reasons) => {
                reasons.extend(problems);
                Err(reasons)
            }
        }
    }
}

fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

fn other_year(year: i32) -> Reason {
    Reason::new(
        "invalid_calendar_day",
        format!("日期不在 {year} 年内"),
        format!("The day is not in {year}"),
    )
}

fn not_a_weekend(day: NaiveDate) -> Reason {
    Reason::new(
        "invalid_calendar_day",
        format!("{day} 不是周六或周日，无需调休上班"),
        format!("{day} is not a Saturday or Sunday: it is worked anyway"),
    )
}

fn both(day: NaiveDate) -> Reason {
    Reason::new(
        "invalid_calendar_day",
        format!("{day} 不能既放假又上班"),
        format!("{day} cannot be both a holiday and a working day"),
    )
}

pub fn built_in_year(year: i32) -> Reason {
    Reason::new(
        "calendar_year_built_in",
        format!("{year} 年的工作日历随本系统发布，不能更改"),
        format!("The calendar of {year} is built in and cannot be changed"),
    )
}

/// The years a county added, as a county table with its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AddedCalendar {
    /// Grows by one with every change; 0 is the empty table a county starts with.
    pub revision: u64,
    pub years: Vec<CalendarYear>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<Change>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
}

impl crate::history::Versioned for AddedCalendar {
    fn revision(&self) -> u64 {
        self.revision
    }

    fn previous(&self) -> Option<&str> {
        self.previous.as_deref()
    }

    fn kept_at(self, previous: String) -> AddedCalendar {
        AddedCalendar {
            previous: Some(previous),
            ..self
        }
    }
}

impl AddedCalendar {
    /// The next revision with `year` added or replaced; a built-in year is refused.
    pub fn with(&self, year: CalendarYear, change: &Change) -> Result<AddedCalendar, Reason> {
        if WorkingCalendar::built_in().years.contains(&year.year) {
            return Err(built_in_year(year.year));
        }
        let mut years: Vec<CalendarYear> = (self.years.iter())
            .filter(|y| y.year != year.year)
            .cloned()
            .collect();
        years.push(year);
        years.sort_by_key(|y| y.year);
        Ok(AddedCalendar {
            revision: self.revision + 1,
            years,
            changed: Some(change.clone()),
            previous: None,
        })
    }
}

fn not_covered(day: NaiveDate) -> Reason {
    Reason::new(
        "calendar_not_covered",
        format!("工作日历未包含 {} 年，无法计算公示期", day.year()),
        format!(
            "The working-day calendar does not cover {}: the notice period cannot be counted",
            day.year()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn working(s: &str) -> bool {
        WorkingCalendar::built_in().is_working_day(day(s)).unwrap()
    }

    #[test]
    fn every_2020_statutory_holiday_is_a_day_off() {
        // 国办发明电〔2019〕16号, with the Spring Festival extended to 2 February
        // (国办发明电〔2020〕1号).
        let holidays = [
            ("元旦", "2020-01-01", "2020-01-01"),
            ("春节（延长至2月2日）", "2020-01-24", "2020-02-02"),
            ("清明节", "2020-04-04", "2020-04-06"),
            ("劳动节", "2020-05-01", "2020-05-05"),
            ("端午节", "2020-06-25", "2020-06-27"),
            ("国庆节、中秋节", "2020-10-01", "2020-10-08"),
        ];
        for (name, from, to) in holidays {
            let mut d = day(from);
            while d <= day(to) {
                assert!(!working(&d.to_string()), "{name}: {d}");
                d = d.succ_opt().unwrap();
            }
            // The days around each holiday are ordinary weekdays or weekends.
            let before = day(from).pred_opt().unwrap();
            let after = day(to).succ_opt().unwrap();
            for edge in [before, after].into_iter().filter(|d| d.year() == 2020) {
                let weekday = !matches!(edge.weekday(), Weekday::Sat | Weekday::Sun);
                let adjusted = ["2020-01-19", "2020-04-26", "2020-06-28", "2020-10-10"];
                let expected = weekday || adjusted.contains(&edge.to_string().as_str());
                assert_eq!(working(&edge.to_string()), expected, "{name}: {edge}");
            }
        }
    }

    #[test]
    fn every_2020_adjusted_weekend_day_is_worked_and_1_february_is_not() {
        for (d, weekday) in [
            ("2020-01-19", Weekday::Sun),
            ("2020-04-26", Weekday::Sun),
            ("2020-05-09", Weekday::Sat),
            ("2020-06-28", Weekday::Sun),
            ("2020-09-27", Weekday::Sun),
            ("2020-10-10", Weekday::Sat),
        ] {
            assert_eq!(day(d).weekday(), weekday, "{d}");
            assert!(working(d), "{d} is an adjusted working day");
        }
        // Was to be worked (调休) until the extension made it a holiday.
        assert_eq!(day("2020-02-01").weekday(), Weekday::Sat);
        assert!(!working("2020-02-01"));
        assert!(working("2020-02-03"), "work resumed on Monday 3 February");
        // An ordinary weekend and an ordinary weekday.
        assert!(!working("2020-03-07") && !working("2020-03-08"));
        assert!(working("2020-03-09"));
    }

    #[test]
    fn a_notice_from_thursday_30_april_2020_ends_on_saturday_9_may() {
        // 30 April (1), holidays 1–5 May, 6, 7, 8 May (2–4), Saturday 9 May worked (5).
        let notice = WorkingCalendar::built_in()
            .notice(day("2020-04-30"), 5)
            .unwrap();
        assert_eq!(
            (notice.from, notice.until),
            (day("2020-04-30"), day("2020-05-09"))
        );
        // Published on a holiday, it starts on the next working day.
        let notice = WorkingCalendar::built_in()
            .notice(day("2020-10-01"), 5)
            .unwrap();
        // 9 October (1), Saturday 10 October worked (2), 12–14 October (3–5).
        assert_eq!(
            (notice.from, notice.until),
            (day("2020-10-09"), day("2020-10-14"))
        );
        // Across the Spring Festival as extended.
        let notice = WorkingCalendar::built_in()
            .notice(day("2020-01-23"), 2)
            .unwrap();
        assert_eq!(
            (notice.from, notice.until),
            (day("2020-01-23"), day("2020-02-03"))
        );
    }

    #[test]
    fn a_county_adds_a_later_year_checked_and_never_a_built_in_one() {
        let input = |holidays: &[&str], weekends: &[&str]| CalendarYearInput {
            source: "国办发明电〔2021〕11号".into(),
            holidays: holidays.iter().map(|d| d.to_string()).collect(),
            working_weekends: weekends.iter().map(|d| d.to_string()).collect(),
        };
        let year = CalendarYear::parse(2022, &input(&["2022-01-03"], &["2022-01-29"])).unwrap();
        let change = Change::new("op-admin", chrono::Utc::now());
        let added = AddedCalendar::default().with(year, &change).unwrap();
        let calendar = WorkingCalendar::with_added(&added);
        assert_eq!(calendar.is_working_day(day("2022-01-03")), Some(false));
        assert_eq!(calendar.is_working_day(day("2022-01-29")), Some(true));
        assert_eq!(calendar.is_working_day(day("2022-01-04")), Some(true));
        let problems =
            CalendarYear::parse(2022, &input(&["2021-12-31", "2022-13-01"], &["2022-01-04"]))
                .unwrap_err();
        let fields: Vec<_> = problems.iter().map(|r| r.field.clone().unwrap()).collect();
        assert_eq!(
            fields,
            ["holidays[0]", "holidays[1]", "working_weekends[0]"]
        );
        let built_in = CalendarYear::parse(2020, &input(&[], &[])).unwrap();
        assert_eq!(
            added.with(built_in, &change).unwrap_err().code,
            "calendar_year_built_in"
        );
    }

    #[test]
    fn a_notice_reaching_past_the_calendar_is_refused() {
        let calendar = WorkingCalendar::built_in();
        assert_eq!(calendar.is_working_day(day("2022-01-04")), None);
        let refused = calendar.notice(day("2021-12-29"), 5).unwrap_err();
        assert_eq!(refused.code, "calendar_not_covered");
        assert!(calendar.notice(day("2021-12-27"), 5).is_ok());
    }
}
