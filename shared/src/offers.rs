//! 政策找人 (免申即享): the county does not wait for a trainee to apply. A passed record of a
//! person whom the key-group registry verifies on its assessment day is an offer: the
//! allowance the rules would pay today, under the version in force then, accepted with one
//! request. An offer is a view of the record, the registry and the person's claims, made
//! whenever it is read: never stored, so there is no offer without its record, nor a
//! record that stopped being one still offered, kills included.

use chrono::NaiveDate;
use serde::Serialize;

use crate::{
    OccupationCode, PersonGroup, PlatformId, PolicyVersion, Reason, SkillLevel, StudyHours, Yuan,
    completion::{ClaimBlocked, CompletionRecord},
    eligibility::{Outcome, Verdict},
    registry::RegistryEntry,
};

/// The key group an offer is made for: one of the version's key groups that the registry
/// has the person in on `day`, in the version's order.
pub fn verified_group(
    policy: &PolicyVersion,
    registry: &[RegistryEntry],
    day: NaiveDate,
) -> Option<PersonGroup> {
    (policy.key_groups.iter().copied())
        .find(|group| registry.iter().any(|e| e.group == *group && e.covers(day)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferState {
    /// Not claimed: accept it, or read why it cannot be (`reasons`).
    Open,
    /// A claim was made from it (`claim_id`).
    Taken,
    /// The platform voided the record.
    Void,
}

/// One offer as its trainee reads it.
#[derive(Debug, Serialize)]
pub struct Offer<'a> {
    pub platform_id: &'a PlatformId,
    pub record_id: &'a str,
    pub occupation: &'a OccupationCode,
    pub level: SkillLevel,
    pub study_hours: StudyHours,
    pub assessed_on: NaiveDate,
    pub key_group: PersonGroup,
    pub state: OfferState,
    /// Open, and the rules would pay it today: one request accepts it.
    pub acceptable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Yuan>,
    pub policy_version: &'a str,
    /// The last day a claim may be made under that version, when the city set one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim_deadline: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim_id: Option<&'a str>,
    /// Why it cannot be accepted: every reason.
    pub reasons: Vec<Reason>,
}

impl<'a> Offer<'a> {
    /// The offer of `record` for `group` under `policy`: taken when a live claim holds it,
    /// void when voided, else as the rules judged it for the person today (`verdict`).
    pub fn of(
        record: &'a CompletionRecord,
        group: PersonGroup,
        policy: &'a PolicyVersion,
        taken_by: Option<&'a str>,
        verdict: Option<Verdict>,
    ) -> Offer<'a> {
        let f = &record.facts;
        let (state, reasons) = match (record.void_reason.is_some(), taken_by) {
            (true, _) => (OfferState::Void, vec![ClaimBlocked::Void.reason()]),
            (false, Some(_)) => (
                OfferState::Taken,
                vec![ClaimBlocked::AlreadyClaimed.reason()],
            ),
            (false, None) => (OfferState::Open, Vec::new()),
        };
        let mut offer = Offer {
            platform_id: &record.platform_id,
            record_id: &f.record_id,
            occupation: &f.occupation,
            level: f.level,
            study_hours: f.study_hours,
            assessed_on: f.assessment.date,
            key_group: group,
            state,
            acceptable: false,
            amount: None,
            policy_version: &policy.id,
            claim_deadline: policy.claim_deadline,
            claim_id: taken_by,
            reasons,
        };
        if let (OfferState::Open, Some(verdict)) = (state, verdict) {
            offer.acceptable = verdict.outcome != Outcome::Ineligible;
            offer.amount = verdict.amount;
            offer.reasons = verdict.reasons;
        }
        offer
    }
}

pub fn no_offer() -> Reason {
    Reason::new(
        "no_offer",
        "该培训记录没有待领取的补贴：考核当日未在重点群体名单中，请按申领流程申请",
        "No offer for this record: the registry did not have you in a key group on its assessment day; apply instead",
    )
    .at("record_id")
}
