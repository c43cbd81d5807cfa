//! 县级行政区划代码: the 6-digit code of a county (市、区) under GB/T 2260.

use serde::{Deserialize, Serialize};

use crate::Reason;

/// Province-level prefixes in use under GB/T 2260.
const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct CountyCode(String);

impl TryFrom<String> for CountyCode {
    type Error = Reason;
    fn try_from(s: String) -> Result<Self, Reason> {
        Self::parse(&s)
    }
}

impl From<CountyCode> for String {
    fn from(code: CountyCode) -> String {
        code.0
    }
}

impl CountyCode {
    pub fn parse(input: &str) -> Result<Self, Reason> {
        let digits = input.len() == 6 && input.bytes().all(|b| b.is_ascii_digit());
        // A county has a non-zero city part and a non-zero county part: 370900 is Tai'an city,
        // 370000 the province, neither of which pays an allowance.
        if digits && PROVINCES.contains(&&input[..2]) && &input[2..4] != "00" && &input[4..] != "00"
        {
            Ok(CountyCode(input.to_owned()))
        } else {
            Err(Reason::new(
                "invalid_county_code",
                "县（市、区）行政区划代码应为6位数字，如 370902",
                "A county code is the 6-digit administrative division code of a county, e.g. 370902",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 2-digit province prefix ("37" is Shandong).
    pub fn province(&self) -> &str {
        &self.0[..2]
    }

    /// The 4-digit city prefix ("3709" is Tai'an).
    pub fn city(&self) -> &str {
        &self.0[..4]
    }
}

impl std::fmt::Display for CountyCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_county_codes() {
        let taishan = CountyCode::parse("370902").unwrap();
        assert_eq!((taishan.province(), taishan.city()), ("37", "3709"));
    }

    #[test]
    fn refuses_provinces_cities_and_junk() {
        for bad in [
            "370000", "370900", "370002", "990902", "37090", "3709021", "37O902", "",
        ] {
            assert_eq!(
                CountyCode::parse(bad).unwrap_err().code,
                "invalid_county_code",
                "{bad}"
            );
        }
    }
}
