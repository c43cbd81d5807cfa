//! Whether the facts of a training are possible (保证培训学时): the study hours its days can
//! hold, and nothing dated after today.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{PlatformId, PolicyBook, Reason, StudyHours};

/// Whether a training's days are in order (decision): it ends and is assessed on or after
/// its start, and its study ends by its assessment (hours are studied up to the assessment,
/// never after: a later end is refused, not clamped, so that what a platform reports is what
/// is kept).
pub fn dates_in_order(
    started_on: NaiveDate,
    ended_on: NaiveDate,
    assessed_on: NaiveDate,
) -> Result<(), Vec<Reason>> {
    let mut reasons = Vec::new();
    if ended_on < started_on || assessed_on < started_on {
        reasons.push(
            Reason::new(
                "training_dates_inconsistent",
                "结束日期和考核日期不能早于开始日期",
                "The end and assessment dates cannot be before the start date",
            )
            .at("ended_on"),
        );
    }
    if ended_on > assessed_on {
        reasons.push(
            Reason::new(
                "training_ended_after_assessment",
                format!("培训结束日期（{ended_on}）不能晚于考核日期（{assessed_on}）：学时须在考核前完成"),
                format!(
                    "The training cannot end ({ended_on}) after its assessment ({assessed_on}): hours are studied before it"
                ),
            )
            .at("ended_on"),
        );
    }
    match reasons.is_empty() {
        true => Ok(()),
        false => Err(reasons),
    }
}

/// One record's study in a person's training calendar: its days and hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarEntry {
    pub platform_id: PlatformId,
    pub record_id: String,
    pub started_on: NaiveDate,
    pub ended_on: NaiveDate,
    pub hours: Decimal,
}

/// Days of a person's calendar that hold more study than a day can: the records within
/// `from`..=`to` hold `hours`, the days `most`.
#[derive(Debug, Clone, PartialEq)]
pub struct Overfull {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub hours: Decimal,
    pub most: Decimal,
}

impl Overfull {
    pub fn reason(&self) -> Reason {
        let (from, to, hours, most) = (self.from, self.to, self.hours, self.most);
        Reason::new(
            "study_hours_over_daily_limit",
            format!("该学员 {from} 至 {to} 的培训记录合计{hours}学时，超过这些天最多可学的{most}学时（每人每天学时有上限，所有平台合计）"),
            format!(
                "The trainee's records from {from} to {to} hold {hours} study hours together, more than the {most} those days can hold (a daily limit per person, across every platform)"
            ),
        )
        .at("study_hours")
    }
}

/// A person's training calendar (decision): every record they trained on, on every platform,
/// and the study hours it holds. The hours of all of them must fit `per_day` hours a calendar
/// day: there must be a way to spread each record's hours over its own days (start to end
/// inclusive) that fills no day beyond the limit. That holds exactly when every stretch of days
/// holds at most `per_day` × its days of the records that lie wholly within it (Hall's
/// condition; stretches of contiguous days are enough, since records are stretches).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingCalendar {
    pub entries: Vec<CalendarEntry>,
}

impl TrainingCalendar {
    /// The calendar with `entry` in place of any entry of the same record.
    pub fn with(&self, entry: CalendarEntry) -> TrainingCalendar {
        let mut entries = self.without(&entry.platform_id, &entry.record_id).entries;
        entries.push(entry);
        TrainingCalendar { entries }
    }

    /// The calendar without a record's entry (a record voided).
    pub fn without(&self, platform: &PlatformId, record_id: &str) -> TrainingCalendar {
        let entries = (self.entries.iter())
            .filter(|e| !(&e.platform_id == platform && e.record_id == record_id))
            .cloned()
            .collect();
        TrainingCalendar { entries }
    }

    pub fn holds(&self, entry: &CalendarEntry) -> bool {
        self.entries.contains(entry)
    }

    /// The most over-full stretch of days, if any: each start of a record paired with each
    /// end after it, the records wholly within summed (n² for n records).
    pub fn overfull(&self, per_day: Decimal) -> Option<Overfull> {
        let mut by_end: Vec<&CalendarEntry> = self.entries.iter().collect();
        by_end.sort_by_key(|e| e.ended_on);
        let mut worst: Option<Overfull> = None;
        for from in self.entries.iter().map(|e| e.started_on) {
            let mut hours = Decimal::ZERO;
            for entry in by_end
                .iter()
                .filter(|e| e.started_on >= from && e.ended_on >= from)
            {
                hours += entry.hours;
                let days = Decimal::from((entry.ended_on - from).num_days() + 1);
                let most = per_day * days;
                let excess = hours - most;
                if excess > Decimal::ZERO
                    && worst.as_ref().is_none_or(|w| excess > w.hours - w.most)
                {
                    worst = Some(Overfull {
                        from,
                        to: entry.ended_on,
                        hours,
                        most,
                    });
                }
            }
        }
        worst
    }
}

/// A training's days: what plausibility is judged on.
#[derive(Debug, Clone, Copy)]
pub struct Dates {
    pub started_on: NaiveDate,
    pub ended_on: NaiveDate,
    pub assessed_on: NaiveDate,
}

/// What makes reported facts impossible, whoever claims on them (保证培训学时): more study
/// hours than the policy's daily maximum over the training's days (start to end inclusive, by
/// the version of the assessment day), or a date after `today` (China Standard Time). Fields
/// are named as in a platform's report.
pub fn implausible(
    book: &PolicyBook,
    dates: &Dates,
    hours: StudyHours,
    today: NaiveDate,
) -> Vec<Reason> {
    let mut reasons = Vec::new();
    let policy = book
        .in_force_on(dates.assessed_on)
        .unwrap_or_else(|| book.current(dates.assessed_on));
    let max = policy.max_study_hours(dates.started_on, dates.ended_on);
    // Dates out of order are a problem of their own; hours are judged over a real period.
    if dates.ended_on >= dates.started_on && hours.value() > max {
        let days = (dates.ended_on - dates.started_on).num_days().max(0) + 1;
        let per_day = policy.study_limits.max_study_hours_per_day;
        reasons.push(
            Reason::new(
                "study_hours_implausible",
                format!(
                    "学时数不可能：培训{days}天（{} 至 {}）每天最多{per_day}学时，共最多{max}学时，报送{}学时",
                    dates.started_on,
                    dates.ended_on,
                    hours.value()
                ),
                format!(
                    "Impossible study hours: {days} days of training ({} to {}) hold at most {per_day} a day, {max} in all; {} reported",
                    dates.started_on,
                    dates.ended_on,
                    hours.value()
                ),
            )
            .at("study_hours"),
        );
    }
    let days = [
        ("started_on", dates.started_on),
        ("ended_on", dates.ended_on),
        ("assessment.date", dates.assessed_on),
    ];
    for (field, day) in days {
        if day > today {
            reasons.push(crate::dates::in_future(day, today).at(field));
        }
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(record: &str, from: &str, to: &str, hours: i64) -> CalendarEntry {
        CalendarEntry {
            platform_id: PlatformId::parse("wljnpx").unwrap(),
            record_id: record.into(),
            started_on: from.parse().unwrap(),
            ended_on: to.parse().unwrap(),
            hours: Decimal::from(hours),
        }
    }

    #[test]
    fn the_hours_of_every_record_of_a_person_must_fit_the_days() {
        let eight = Decimal::from(8);
        let ten_days = |r| entry(r, "2020-03-01", "2020-03-10", 80);
        let one = TrainingCalendar::default().with(ten_days("a"));
        assert_eq!(
            one.overfull(eight),
            None,
            "80 hours over 10 days: full, not over"
        );
        let two = one.with(ten_days("b"));
        let over = two.overfull(eight).unwrap();
        assert_eq!(
            (over.hours, over.most),
            (Decimal::from(160), Decimal::from(80))
        );
        assert_eq!(over.reason().code, "study_hours_over_daily_limit");
        // Records on days apart do not add up; one inside another's days does.
        let apart = one.with(entry("c", "2020-03-11", "2020-03-12", 16));
        assert_eq!(apart.overfull(eight), None);
        let inside = one.with(entry("d", "2020-03-05", "2020-03-05", 1));
        let found = inside.overfull(eight).unwrap();
        assert_eq!(
            (found.from.to_string(), found.to.to_string()),
            ("2020-03-01".into(), "2020-03-10".into())
        );
        // A record sent again replaces its entry; a voided one leaves.
        assert_eq!(one.with(ten_days("a")).entries.len(), 1);
        assert!(
            two.without(&PlatformId::parse("wljnpx").unwrap(), "b")
                .overfull(eight)
                .is_none()
        );
    }

    #[test]
    fn study_ends_by_the_assessment() {
        let day = |d: &str| d.parse::<NaiveDate>().unwrap();
        let late = dates_in_order(day("2020-03-01"), day("2020-12-31"), day("2020-03-02"));
        assert_eq!(late.unwrap_err()[0].code, "training_ended_after_assessment");
        assert!(dates_in_order(day("2020-03-01"), day("2020-03-02"), day("2020-03-02")).is_ok());
        let early = dates_in_order(day("2020-03-01"), day("2020-02-28"), day("2020-03-02"));
        assert_eq!(early.unwrap_err()[0].code, "training_dates_inconsistent");
    }
}
