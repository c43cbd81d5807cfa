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

/// The groups the registry is read for, for an offer: every key group a version names.
pub const REGISTRY_GROUPS: [PersonGroup; 4] = [
    PersonGroup::MigrantWorker,
    PersonGroup::UnemployedGraduate,
    PersonGroup::PoorLaborer,
    PersonGroup::PoorFamilyChild,
];

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

/// A record the county may tell its trainee about (外呼、短信): an offer not taken, with what
/// the county needs to reach the person and what the rules would pay.
#[derive(Debug, Serialize)]
pub struct OutreachRow<'a> {
    pub platform_id: &'a PlatformId,
    pub record_id: &'a str,
    pub name: &'a str,
    /// Masked.
    pub resident_id: &'a str,
    pub occupation: &'a OccupationCode,
    pub level: SkillLevel,
    pub study_hours: StudyHours,
    pub assessed_on: NaiveDate,
    pub key_group: PersonGroup,
    /// Where the registry has the person from (a village's or community's list, a system).
    pub registry_source: &'a str,
    /// The village or community (村/社区) the registry lists the person under, if it does.
    pub community: Option<&'a str>,
    /// The number to call or text, where the registry has one.
    pub phone: Option<&'a str>,
    /// The allowance at the version's rate for the record's hours, before the person's
    /// limits, which their claim is judged on.
    pub amount: Yuan,
    pub policy_version: &'a str,
}

impl<'a> OutreachRow<'a> {
    /// The row of an open, passed `record` whose person the registry verifies: None for any
    /// other record.
    pub fn of(
        record: &'a CompletionRecord,
        registry: &'a [RegistryEntry],
        policy: &'a PolicyVersion,
    ) -> Option<OutreachRow<'a>> {
        let f = &record.facts;
        let day = f.assessment.date;
        let open = f.assessment.passed && record.void_reason.is_none() && record.claim.is_none();
        let group = verified_group(policy, registry, day).filter(|_| open)?;
        let entry = registry
            .iter()
            .find(|e| e.group == group && e.covers(day))?;
        Some(OutreachRow {
            platform_id: &record.platform_id,
            record_id: &f.record_id,
            name: &f.trainee.name,
            resident_id: &f.trainee.resident_id,
            occupation: &f.occupation,
            level: f.level,
            study_hours: f.study_hours,
            assessed_on: day,
            key_group: group,
            registry_source: &entry.source,
            community: entry.community.as_deref(),
            phone: entry.phone.as_ref().map(|p| p.as_str()),
            amount: policy.living_allowance_for(f.study_hours),
            policy_version: &policy.id,
        })
    }
}

/// A page of outreach rows as a village's or community's officer works through them: only
/// `community`'s when one is asked for, grouped by community (by name; the persons the
/// registry places nowhere last), in record order within each.
pub fn by_community<'a>(
    mut rows: Vec<OutreachRow<'a>>,
    community: Option<&str>,
) -> Vec<OutreachRow<'a>> {
    if let Some(wanted) = community {
        rows.retain(|r| r.community == Some(wanted));
    }
    rows.sort_by_key(|r| (r.community.is_none(), r.community));
    rows
}

/// The outreach list as a CSV or workbook (columns as the JSON's fields), a total row last.
pub fn outreach_sheet(rows: &[OutreachRow], title: String) -> crate::export::Sheet {
    use crate::export::Cell;
    let cells = (rows.iter())
        .map(|r| {
            vec![
                Cell::Code(r.platform_id.to_string()),
                Cell::Code(r.record_id.to_owned()),
                Cell::text(r.name.to_owned()),
                Cell::Code(r.resident_id.to_owned()),
                Cell::Code(r.occupation.to_string()),
                Cell::Code(r.level.code().to_owned()),
                Cell::Code(r.study_hours.value().to_string()),
                Cell::Code(r.assessed_on.to_string()),
                Cell::Code(r.key_group.code().to_owned()),
                Cell::text(r.registry_source.to_owned()),
                r.community.map_or(Cell::Empty, Cell::text),
                r.phone.map_or(Cell::Empty, |p| Cell::Code(p.to_owned())),
                Cell::Amount(r.amount),
            ]
        })
        .collect();
    let mut total = vec![Cell::Empty; 13];
    total[0] = Cell::text("TOTAL");
    total[1] = Cell::Count(rows.len() as u64);
    total[12] = Cell::Amount(rows.iter().map(|r| r.amount).sum());
    crate::export::Sheet {
        name: "政策找人".into(),
        title,
        header: vec![
            "platform_id",
            "record_id",
            "name",
            "resident_id",
            "occupation",
            "level",
            "study_hours",
            "assessed_on",
            "key_group",
            "registry_source",
            "community",
            "phone",
            "amount",
        ],
        rows: cells,
        totals: vec![total],
    }
}
