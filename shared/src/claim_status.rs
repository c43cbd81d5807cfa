//! Where a claim stands in its life, and what the rules need to know of a person's earlier
//! claims. Below the rules (`eligibility`), the records (`completion`) and the claim itself
//! (`claim`), which all read it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{OccupationCode, SkillLevel};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    Submitted,
    Approved,
    Paid,
    Rejected,
    Withdrawn,
    /// Paid, and the bank returned the payment (a closed card, a wrong account): paid again
    /// once the trainee corrects the payee.
    PaymentReturned,
    /// Paid, then found wrongly paid (cheating): the money is to be recovered (追回).
    Recovering,
    /// The money was recovered.
    Recovered,
}

impl ClaimStatus {
    /// The state's name as the API and the store write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Submitted => "submitted",
            ClaimStatus::Approved => "approved",
            ClaimStatus::Paid => "paid",
            ClaimStatus::Rejected => "rejected",
            ClaimStatus::Withdrawn => "withdrawn",
            ClaimStatus::PaymentReturned => "payment_returned",
            ClaimStatus::Recovering => "recovering",
            ClaimStatus::Recovered => "recovered",
        }
    }

    pub const ALL: [ClaimStatus; 8] = [
        ClaimStatus::Submitted,
        ClaimStatus::Approved,
        ClaimStatus::Paid,
        ClaimStatus::Rejected,
        ClaimStatus::Withdrawn,
        ClaimStatus::PaymentReturned,
        ClaimStatus::Recovering,
        ClaimStatus::Recovered,
    ];

    /// Whether the allowance went out and stayed out: paid, or paid and then to be (or)
    /// recovered. A returned payment came back.
    pub fn money_paid_out(self) -> bool {
        matches!(
            self,
            ClaimStatus::Paid | ClaimStatus::Recovering | ClaimStatus::Recovered
        )
    }

    /// A claim holds its place in the limits from submission until rejected or withdrawn; a
    /// claim whose money is recovered keeps it (the training was claimed).
    pub fn counts_toward_limits(self) -> bool {
        !matches!(self, ClaimStatus::Rejected | ClaimStatus::Withdrawn)
    }

    /// Whether a claim in this state has established the trainee's key group: a reviewer
    /// approved it (and it was not found wrongly paid since).
    pub fn verifies_key_group(self) -> bool {
        matches!(
            self,
            ClaimStatus::Approved | ClaimStatus::Paid | ClaimStatus::PaymentReturned
        )
    }
}

impl PriorClaim {
    /// The course it holds: its 职业 (a 工种 counts as its 职业) and level.
    pub fn course(&self) -> crate::Course {
        crate::Course::of(&self.occupation, self.level)
    }
}

/// What the rules need to know of one earlier claim of the same person. Claim records in the
/// store carry these fields (and more).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriorClaim {
    pub occupation: OccupationCode,
    pub level: SkillLevel,
    pub assessed_on: NaiveDate,
    pub status: ClaimStatus,
}
