//! Quantities that become money: study hours and yuan. Always `Decimal`, never float.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Reason;

/// A decimal as a client sent it, JSON number or string, kept as text so that `24.5` is read
/// as exactly 24.5 and never passes through a float.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecimalText(pub String);

impl<'de> Deserialize<'de> for DecimalText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum NumberOrString {
            Number(serde_json::Number),
            Text(String),
        }
        Ok(DecimalText(
            match NumberOrString::deserialize(deserializer)? {
                NumberOrString::Number(n) => n.to_string(),
                NumberOrString::Text(s) => s,
            },
        ))
    }
}

impl Serialize for DecimalText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

fn plain_decimal(text: &str) -> Option<Decimal> {
    // Decimal::from_str also takes "1e3"-free forms only; reject signs and blanks explicitly.
    let plain = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    plain.then(|| Decimal::from_str(text).ok()).flatten()
}

/// 学时 of one training as the platform reports it: positive, at most one decimal place (half
/// hours occur), and no more than the whole policy window could hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct StudyHours(Decimal);

impl<'de> Deserialize<'de> for StudyHours {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = DecimalText::deserialize(deserializer)?;
        StudyHours::parse(&text.0).map_err(|reason| serde::de::Error::custom(reason.message_en))
    }
}

impl StudyHours {
    /// 2020-02-06..2020-06-30 is 146 days; more than 2,000 hours in one course is a data error.
    pub const MAX: Decimal = Decimal::from_parts(2000, 0, 0, false, 0);

    pub fn parse(text: &str) -> Result<Self, Reason> {
        match plain_decimal(text) {
            Some(hours) if hours > Decimal::ZERO && hours <= Self::MAX && hours.scale() <= 1 => {
                Ok(StudyHours(hours.normalize()))
            }
            _ => Err(Reason::new(
                "invalid_study_hours",
                "学时应为大于0、不超过2000的数，最多一位小数",
                "Study hours are a number above 0 and at most 2000, with at most one decimal place",
            )),
        }
    }

    pub fn value(self) -> Decimal {
        self.0
    }
}

/// An amount of money in yuan, exact to the fen (2 places), never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Yuan(Decimal);

impl Yuan {
    pub const ZERO: Yuan = Yuan(Decimal::ZERO);

    /// Rounds half-up to the fen (POLICY.md decision). Amounts here are never negative, where
    /// half-up and half-away-from-zero agree.
    pub fn rounded(amount: Decimal) -> Yuan {
        let mut fen = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        fen.rescale(2);
        Yuan(fen)
    }

    /// Parses an amount a person typed: non-negative, at most 2 decimal places (no rounding of
    /// what someone entered).
    pub fn parse(text: &str) -> Result<Self, Reason> {
        match plain_decimal(text) {
            Some(amount) if amount.scale() <= 2 && amount < Decimal::from(100_000_000) => {
                Ok(Yuan::rounded(amount))
            }
            _ => Err(Reason::new(
                "invalid_amount",
                "金额应为非负数，单位元，最多两位小数",
                "An amount is a non-negative number of yuan with at most 2 decimal places",
            )),
        }
    }

    pub fn value(self) -> Decimal {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// The amount in fen, as the report's counters keep it (integers add exactly).
    pub fn fen(self) -> i64 {
        use rust_decimal::prelude::ToPrimitive;
        (self.0 * Decimal::ONE_HUNDRED)
            .to_i64()
            .expect("amounts stay far below i64::MAX fen")
    }

    /// An amount from a count of fen; a negative count (a counter a crash left short) reads 0.
    pub fn from_fen(fen: i64) -> Yuan {
        Yuan(Decimal::new(fen.max(0), 2))
    }
}

impl std::ops::Add for Yuan {
    type Output = Yuan;
    fn add(self, other: Yuan) -> Yuan {
        Yuan(self.0 + other.0)
    }
}

/// A difference of amounts (paid minus recovered), which may be negative only if more was
/// recovered than paid.
impl std::ops::Sub for Yuan {
    type Output = Yuan;
    fn sub(self, other: Yuan) -> Yuan {
        Yuan(self.0 - other.0)
    }
}

impl std::iter::Sum for Yuan {
    fn sum<I: Iterator<Item = Yuan>>(iter: I) -> Yuan {
        iter.fold(Yuan::ZERO, |a, b| a + b)
    }
}

impl std::fmt::Display for Yuan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

/// Always a string with 2 places ("120.00"), so no client reads money as a float.
impl Serialize for Yuan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Yuan {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = DecimalText::deserialize(deserializer)?;
        Yuan::parse(&text.0).map_err(|reason| serde::de::Error::custom(reason.message_en))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn rounds_half_up_to_the_fen() {
        assert_eq!(Yuan::rounded(d("0.125")).to_string(), "0.13");
        assert_eq!(Yuan::rounded(d("0.124999")).to_string(), "0.12");
        assert_eq!(Yuan::rounded(d("2.5")).to_string(), "2.50");
        assert_eq!(Yuan::rounded(d("7")).to_string(), "7.00");
        assert_eq!(Yuan::ZERO.to_string(), "0.00");
        assert_eq!(
            [Yuan::ZERO; 0].into_iter().sum::<Yuan>().to_string(),
            "0.00"
        );
    }

    #[test]
    fn money_serializes_as_a_two_place_string() {
        assert_eq!(
            serde_json::to_string(&Yuan::rounded(d("120"))).unwrap(),
            "\"120.00\""
        );
        let parsed: Yuan = serde_json::from_str("1200.5").unwrap();
        assert_eq!(parsed.to_string(), "1200.50");
    }

    #[test]
    fn amounts_typed_by_people_are_not_rounded_silently() {
        assert!(Yuan::parse("10.005").is_err());
        assert!(Yuan::parse("-1").is_err());
        assert!(Yuan::parse("1e3").is_err());
        assert_eq!(Yuan::parse("1200").unwrap().to_string(), "1200.00");
    }

    #[test]
    fn study_hours_bounds() {
        assert_eq!(StudyHours::parse("24.5").unwrap().value(), d("24.5"));
        assert_eq!(StudyHours::parse("2000").unwrap().value(), d("2000"));
        for bad in ["0", "-3", "2000.5", "1.25", "", "abc", "NaN", " 3"] {
            assert_eq!(
                StudyHours::parse(bad).unwrap_err().code,
                "invalid_study_hours",
                "{bad}"
            );
        }
    }

    #[test]
    fn json_numbers_reach_decimals_exactly() {
        let text: DecimalText = serde_json::from_str("24.5").unwrap();
        assert_eq!(text.0, "24.5");
        let text: DecimalText = serde_json::from_str("\"0.1\"").unwrap();
        assert_eq!(text.0, "0.1");
    }
}
