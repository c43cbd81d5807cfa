//! 居民身份证号码 per GB 11643-1999: 6-digit region, 8-digit birth date, 3-digit sequence and an
//! ISO 7064 MOD 11-2 check character. A personal datum: it never prints whole.

use chrono::NaiveDate;

use crate::Reason;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

impl ResidentId {
    pub fn parse(input: &str) -> Result<Self, Reason> {
        let normalized = input.to_ascii_uppercase();
        let bytes = normalized.as_bytes();
        let shape_ok = bytes.len() == 18
            && bytes[..17].iter().all(u8::is_ascii_digit)
            && (bytes[17].is_ascii_digit() || bytes[17] == b'X');
        if !shape_ok {
            return Err(Reason::new(
                "resident_id_format",
                "身份证号码应为18位：17位数字加1位校验码（数字或X）",
                "A resident ID has 18 characters: 17 digits and a check character (digit or X)",
            ));
        }
        if birth_date_of(&normalized).is_none() {
            return Err(Reason::new(
                "resident_id_birth_date",
                "身份证号码中的出生日期无效",
                "The birth date inside the resident ID is not a valid date",
            ));
        }
        if check_char(&bytes[..17]) != bytes[17] {
            return Err(Reason::new(
                "resident_id_check_digit",
                "身份证号码校验码不正确，请核对后重新输入",
                "The resident ID's check character is wrong; please check the number",
            ));
        }
        Ok(ResidentId(normalized))
    }

    /// Completes 17 digits with their GB 11643 check character: for generated test data and
    /// fixtures, never for what a person typed (that is `parse`, which checks the character).
    pub fn complete(first17: &str) -> Result<Self, Reason> {
        let bytes = first17.as_bytes();
        if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
            return ResidentId::parse(first17);
        }
        let check = check_char(bytes) as char;
        ResidentId::parse(&format!("{first17}{check}"))
    }

    pub fn birth_date(&self) -> NaiveDate {
        birth_date_of(&self.0).expect("checked when parsed")
    }

    /// First 3 and last 4 characters, the rest starred: enough for a person to recognise their
    /// own number, not enough to reconstruct it.
    pub fn masked(&self) -> String {
        format!("{}***********{}", &self.0[..3], &self.0[14..])
    }

    /// The whole number. Only for deriving the keyed hash and for operators who must see it;
    /// the name makes each use stand out in review.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn birth_date_of(id: &str) -> Option<NaiveDate> {
    let year: i32 = id[6..10].parse().ok()?;
    let month: u32 = id[10..12].parse().ok()?;
    let day: u32 = id[12..14].parse().ok()?;
    (year >= 1900).then_some(())?;
    NaiveDate::from_ymd_opt(year, month, day)
}

fn check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

impl std::fmt::Display for ResidentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

impl std::fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Completes 17 digits with their correct check character, whether or not the rest is
    /// valid (tests of the other checks need such numbers).
    pub(crate) fn with_check(first17: &str) -> String {
        format!("{first17}{}", check_char(first17.as_bytes()) as char)
    }

    #[test]
    fn accepts_a_published_example_number() {
        // The worked example of GB 11643-1999.
        let id = ResidentId::parse("11010519491231002X").unwrap();
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
    }

    #[test]
    fn lowercase_x_is_normalised() {
        let id = ResidentId::parse("11010519491231002x").unwrap();
        assert_eq!(id.expose(), "11010519491231002X");
    }

    #[test]
    fn every_wrong_check_character_is_refused() {
        let good = with_check("37090219900307123");
        for c in "0123456789X".chars() {
            let candidate = format!("{}{c}", &good[..17]);
            let parsed = ResidentId::parse(&candidate);
            if candidate == good {
                assert!(parsed.is_ok());
            } else {
                assert_eq!(parsed.unwrap_err().code, "resident_id_check_digit");
            }
        }
    }

    #[test]
    fn refuses_bad_shapes_and_dates() {
        for bad in [
            "",
            "3709021990030712",
            "3709021990030712345",
            "37090219900307A23X",
        ] {
            assert_eq!(
                ResidentId::parse(bad).unwrap_err().code,
                "resident_id_format",
                "{bad}"
            );
        }
        let feb30 = with_check("37090219900230123");
        assert_eq!(
            ResidentId::parse(&feb30).unwrap_err().code,
            "resident_id_birth_date"
        );
        let y1800 = with_check("37090218000101123");
        assert_eq!(
            ResidentId::parse(&y1800).unwrap_err().code,
            "resident_id_birth_date"
        );
    }

    #[test]
    fn never_prints_whole() {
        let raw = with_check("37090219900307123");
        let id = ResidentId::parse(&raw).unwrap();
        for shown in [id.to_string(), format!("{id:?}"), id.masked()] {
            assert!(!shown.contains(&raw[3..14]), "{shown}");
            assert!(shown.starts_with("370") || shown.starts_with("ResidentId(370"));
        }
    }
}
