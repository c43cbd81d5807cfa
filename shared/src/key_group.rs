//! 重点群体 and the other groups a person can declare.

use serde::{Deserialize, Serialize};

use crate::Reason;

/// The groups an applicant can declare. Which of them are key groups (重点群体) that the
/// allowance is for is a parameter of the policy version, not of this type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonGroup {
    /// 农民工
    MigrantWorker,
    /// 离校2年未就业大学生
    UnemployedGraduate,
    /// 建档立卡贫困劳动力
    PoorLaborer,
    /// 贫困家庭子女
    PoorFamilyChild,
    /// 企业职工: trained under 泰人社办发〔2020〕3号, not this allowance.
    EnterpriseEmployee,
    /// Anyone else.
    Other,
}

impl PersonGroup {
    pub const ALL: [PersonGroup; 6] = [
        PersonGroup::MigrantWorker,
        PersonGroup::UnemployedGraduate,
        PersonGroup::PoorLaborer,
        PersonGroup::PoorFamilyChild,
        PersonGroup::EnterpriseEmployee,
        PersonGroup::Other,
    ];

    pub fn parse(input: &str) -> Result<Self, Reason> {
        Self::ALL
            .into_iter()
            .find(|group| group.code() == input)
            .ok_or_else(|| {
                Reason::new(
                    "invalid_group",
                    "人员类别应为 migrant_worker、unemployed_graduate、poor_laborer、poor_family_child、enterprise_employee 或 other",
                    "The group is one of migrant_worker, unemployed_graduate, poor_laborer, poor_family_child, enterprise_employee, other",
                )
            })
    }

    /// The wire form, also used in store keys.
    pub fn code(self) -> &'static str {
        match self {
            PersonGroup::MigrantWorker => "migrant_worker",
            PersonGroup::UnemployedGraduate => "unemployed_graduate",
            PersonGroup::PoorLaborer => "poor_laborer",
            PersonGroup::PoorFamilyChild => "poor_family_child",
            PersonGroup::EnterpriseEmployee => "enterprise_employee",
            PersonGroup::Other => "other",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            PersonGroup::MigrantWorker => "农民工",
            PersonGroup::UnemployedGraduate => "离校2年未就业大学生",
            PersonGroup::PoorLaborer => "建档立卡贫困劳动力",
            PersonGroup::PoorFamilyChild => "贫困家庭子女",
            PersonGroup::EnterpriseEmployee => "企业职工",
            PersonGroup::Other => "其他人员",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_round_trip_through_their_codes() {
        for group in PersonGroup::ALL {
            assert_eq!(PersonGroup::parse(group.code()).unwrap(), group);
            let json = serde_json::to_string(&group).unwrap();
            assert_eq!(json, format!("\"{}\"", group.code()));
        }
        assert_eq!(
            PersonGroup::parse("farmer").unwrap_err().code,
            "invalid_group"
        );
    }
}
