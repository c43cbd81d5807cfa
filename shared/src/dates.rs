//! Calendar days in China Standard Time, where the policy means a day, and instants for audit.

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, Utc};

use crate::Reason;

/// UTC+8, no daylight saving.
pub fn china_standard_time() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("in range")
}

/// The day of a change's `at` (RFC 3339, China Standard Time, as `Change::new` writes it).
pub fn day_of(at: &str) -> NaiveDate {
    parse_day(at.get(..10).unwrap_or_default()).unwrap_or_default()
}

/// The calendar day in China at an instant: 2020-06-30T16:30Z is already 2020-07-01 there.
pub fn china_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&china_standard_time()).date_naive()
}

/// A day as `YYYY-MM-DD`, the only form the API takes.
pub fn parse_day(input: &str) -> Result<NaiveDate, Reason> {
    // Digits by position, then chrono for the calendar: `parse_from_str` would interpret its
    // format string on every call, and its parser is a large share of a component.
    let digits = |range: std::ops::Range<usize>| {
        let bytes = input.as_bytes().get(range)?;
        bytes.iter().try_fold(0u32, |n, b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    let dashes = input.len() == 10 && input.as_bytes()[4] == b'-' && input.as_bytes()[7] == b'-';
    dashes
        .then(|| {
            let year = i32::try_from(digits(0..4)?).ok()?;
            NaiveDate::from_ymd_opt(year, digits(5..7)?, digits(8..10)?)
        })
        .flatten()
        .filter(|day| (1900..=2100).contains(&chrono::Datelike::year(day)))
        .ok_or_else(|| {
            Reason::new(
                "invalid_date",
                "日期应为 YYYY-MM-DD 格式的有效日期，如 2020-03-15",
                "A date is a valid YYYY-MM-DD day, e.g. 2020-03-15",
            )
        })
}

/// An instant for audit records, in China Standard Time so operators read their own clock.
/// The reason a day after today gives (nothing is dated ahead of what happened).
pub fn in_future(day: NaiveDate, today: NaiveDate) -> Reason {
    Reason::new(
        "date_in_future",
        format!("日期 {day} 晚于今天（{today}）"),
        format!("The date {day} is after today ({today})"),
    )
}

pub fn audit_timestamp(at: DateTime<Utc>) -> String {
    at.with_timezone(&china_standard_time())
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_china_day_turns_at_16_utc() {
        let before = "2020-06-30T15:59:59Z".parse().unwrap();
        let after = "2020-06-30T16:00:00Z".parse().unwrap();
        assert_eq!(china_day(before).to_string(), "2020-06-30");
        assert_eq!(china_day(after).to_string(), "2020-07-01");
    }

    #[test]
    fn days_parse_strictly() {
        assert_eq!(parse_day("2020-02-29").unwrap().to_string(), "2020-02-29");
        for bad in [
            "2019-02-29",
            "2020-2-6",
            "20200206",
            "2020-02-06T00:00:00",
            "",
            "0001-01-01",
            "2020-13-01",
            "2020-00-10",
            "2020-04-31",
            "2020-+4-01",
            "２０２０-02-06",
            "2020/02/06",
        ] {
            assert_eq!(parse_day(bad).unwrap_err().code, "invalid_date", "{bad}");
        }
    }

    #[test]
    fn audit_times_read_in_china() {
        let at = "2020-06-30T16:00:00Z".parse().unwrap();
        assert_eq!(audit_timestamp(at), "2020-07-01T00:00:00+08:00");
    }
}

/// A set of days stored as `YYYY-MM-DD` strings, read with `parse_day`: serde's own reader of a
/// `NaiveDate` is chrono's general parser, which costs a component tens of kilobytes.
pub mod day_set {
    use std::collections::BTreeSet;

    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};

    pub fn serialize<S: Serializer>(days: &BTreeSet<NaiveDate>, to: S) -> Result<S::Ok, S::Error> {
        let days: Vec<String> = days.iter().map(NaiveDate::to_string).collect();
        days.serialize(to)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        from: D,
    ) -> Result<BTreeSet<NaiveDate>, D::Error> {
        let days = Vec::<String>::deserialize(from)?;
        (days.iter())
            .map(|d| super::parse_day(d).map_err(|r| D::Error::custom(r.message_en)))
            .collect()
    }
}
