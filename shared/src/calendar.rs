//! Working days (工作日), as the State Council sets them each year: Monday to Friday, except
//! statutory holidays, plus the weekend days worked instead (调休). 公示 is counted in them.
//! The calendar is policy data (`data/working-calendar.json`, compiled in): 2020 with its
//! Spring Festival extension, and 2021, each day with its notice. A day outside the years it
//! covers is not guessed at: counting across it is refused (`calendar_not_covered`).

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Serialize;

use crate::Reason;

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
    fn a_notice_reaching_past_the_calendar_is_refused() {
        let calendar = WorkingCalendar::built_in();
        assert_eq!(calendar.is_working_day(day("2022-01-04")), None);
        let refused = calendar.notice(day("2021-12-29"), 5).unwrap_err();
        assert_eq!(refused.code, "calendar_not_covered");
        assert!(calendar.notice(day("2021-12-27"), 5).is_ok());
    }
}
