//! Whether the facts of a training are possible (保证培训学时): the study hours its days can
//! hold, and nothing dated after today.

use chrono::NaiveDate;

use crate::{PolicyBook, Reason, StudyHours};

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
            reasons.push(
                Reason::new(
                    "date_in_future",
                    format!("日期 {day} 晚于今天（{today}）"),
                    format!("The date {day} is after today ({today})"),
                )
                .at(field),
            );
        }
    }
    reasons
}
