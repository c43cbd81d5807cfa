//! 职业 and 等级: what a training project is. Together they key the local standards table and
//! the "never twice for the same occupation at the same level" rule.

use serde::{Deserialize, Serialize};

use crate::Reason;

/// A code of the national occupation classification (职业分类大典), `4-03-02-01`: major group
/// 1–8, then three 2-digit parts, optionally a 2-digit 工种 part.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct OccupationCode(String);

impl TryFrom<String> for OccupationCode {
    type Error = Reason;
    fn try_from(s: String) -> Result<Self, Reason> {
        Self::parse(&s)
    }
}

impl From<OccupationCode> for String {
    fn from(code: OccupationCode) -> String {
        code.0
    }
}

impl OccupationCode {
    pub fn parse(input: &str) -> Result<Self, Reason> {
        let parts: Vec<&str> = input.split('-').collect();
        let major_ok = parts[0].len() == 1 && matches!(parts[0].as_bytes()[0], b'1'..=b'8');
        let rest_ok = parts[1..]
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()));
        if major_ok && rest_ok && (parts.len() == 4 || parts.len() == 5) {
            Ok(OccupationCode(input.to_owned()))
        } else {
            Err(Reason::new(
                "invalid_occupation_code",
                "职业编码应符合国家职业分类大典格式，如 4-03-02-01",
                "An occupation code follows the national classification, e.g. 4-03-02-01",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 职业 this code is or falls under: its first four parts. A 工种 code (a fifth part,
    /// `4-03-02-01-01`) is kept for display and never makes a course of its own.
    pub fn occupation(&self) -> OccupationCode {
        match self.0.match_indices('-').nth(3) {
            Some((fifth, _)) => OccupationCode(self.0[..fifth].to_owned()),
            None => self.clone(),
        }
    }
}

impl std::fmt::Display for OccupationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// 职业技能等级. Level 5 is the lowest (初级工), level 1 the highest (高级技师). Courses that
/// certify no level (专项职业能力, 培训合格) are `NoLevel`, which is a level of its own for the
/// once-per-occupation-and-level rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SkillLevel {
    #[serde(rename = "5")]
    Level5,
    #[serde(rename = "4")]
    Level4,
    #[serde(rename = "3")]
    Level3,
    #[serde(rename = "2")]
    Level2,
    #[serde(rename = "1")]
    Level1,
    #[serde(rename = "none")]
    NoLevel,
}

impl SkillLevel {
    pub const ALL: [SkillLevel; 6] = [
        SkillLevel::Level5,
        SkillLevel::Level4,
        SkillLevel::Level3,
        SkillLevel::Level2,
        SkillLevel::Level1,
        SkillLevel::NoLevel,
    ];

    pub fn parse(input: &str) -> Result<Self, Reason> {
        Self::ALL
            .into_iter()
            .find(|level| level.code() == input)
            .ok_or_else(|| {
                Reason::new(
                    "invalid_level",
                    "等级应为 5、4、3、2、1（五级至一级）或 none（无等级）",
                    "A level is one of 5, 4, 3, 2, 1 (level five to level one) or none",
                )
            })
    }

    /// The wire form, also used in store keys.
    pub fn code(self) -> &'static str {
        match self {
            SkillLevel::Level5 => "5",
            SkillLevel::Level4 => "4",
            SkillLevel::Level3 => "3",
            SkillLevel::Level2 => "2",
            SkillLevel::Level1 => "1",
            SkillLevel::NoLevel => "none",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            SkillLevel::Level5 => "五级/初级工",
            SkillLevel::Level4 => "四级/中级工",
            SkillLevel::Level3 => "三级/高级工",
            SkillLevel::Level2 => "二级/技师",
            SkillLevel::Level1 => "一级/高级技师",
            SkillLevel::NoLevel => "无等级（专项职业能力/培训合格）",
        }
    }
}

/// A course (培训项目): one 职业 at one level. What 同一职业同一等级不可重复享受 counts, what
/// a local standard prices and what an invoice bills once: every limit, counter key, "already
/// billed" and report row uses it, never the code a platform reported.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Course {
    /// Always a 职业's 4-part code.
    pub occupation: OccupationCode,
    pub level: SkillLevel,
}

impl Course {
    /// The course of a training reported as `occupation` (a 职业 or a 工种 under it) at
    /// `level`.
    pub fn of(occupation: &OccupationCode, level: SkillLevel) -> Course {
        Course {
            occupation: occupation.occupation(),
            level,
        }
    }
}

impl std::fmt::Display for Course {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.occupation, self.level.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occupation_codes() {
        for good in ["4-03-02-01", "6-28-01-05", "4-03-02-01-02"] {
            assert_eq!(OccupationCode::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "4-03-02",
            "9-03-02-01",
            "0-03-02-01",
            "4-3-02-01",
            "4-03-02-0a",
            "4030201",
        ] {
            assert_eq!(
                OccupationCode::parse(bad).unwrap_err().code,
                "invalid_occupation_code",
                "{bad}"
            );
        }
    }

    #[test]
    fn a_work_type_code_is_a_course_of_its_occupation() {
        let occupation = OccupationCode::parse("4-03-02-01").unwrap();
        let work_type = OccupationCode::parse("4-03-02-01-01").unwrap();
        assert_eq!(work_type.occupation(), occupation);
        assert_eq!(occupation.occupation(), occupation);
        let level = SkillLevel::Level5;
        assert_eq!(
            Course::of(&work_type, level),
            Course::of(&occupation, level)
        );
        assert_ne!(
            Course::of(&occupation, level),
            Course::of(&occupation, SkillLevel::Level4)
        );
        assert_eq!(Course::of(&work_type, level).to_string(), "4-03-02-01:5");
    }

    #[test]
    fn levels_round_trip_through_their_codes() {
        for level in SkillLevel::ALL {
            assert_eq!(SkillLevel::parse(level.code()).unwrap(), level);
        }
        for bad in ["0", "6", "五级", "", "None"] {
            assert_eq!(SkillLevel::parse(bad).unwrap_err().code, "invalid_level");
        }
    }
}
