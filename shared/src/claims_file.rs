//! A person's claims file: every claim they filed here, in order, written under
//! compare-and-swap by each submission before its claim is stored. It is what makes the limits
//! hold over a person's whole history: a submission is judged on the claims its file names
//! (each as stored now), and files its own only if the file is still as it read it, so two
//! submissions of one person never both take the last place of a year or a course, and never
//! both take one record.
//!
//! A claim counts from its filing: a submission still in flight (its claim not stored yet)
//! counts as a claim submitted. One that died before storing its claim counts once its
//! filing is older than a lease (`lease::expired`): it can no longer land, since a submission
//! gives up before storing a claim filed that long ago (`FiledClaim::too_late_to_store`). Ending
//! a claim (withdrawn, rejected) changes the claim, not the file: whether a claim counts is
//! always read from the claim itself, and can only go from counting to not.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    OccupationCode, PlatformId, SkillLevel, claim::Claim, claim_status::ClaimStatus,
    claim_status::PriorClaim, lease,
};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClaimsFile {
    pub filed: Vec<FiledClaim>,
}

/// One claim as its submission filed it: what the limits, the record's one live claim and an
/// `Idempotency-Key`'s retry need before the claim is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FiledClaim {
    pub claim_id: String,
    pub platform_id: PlatformId,
    pub record_id: String,
    pub occupation: OccupationCode,
    pub level: SkillLevel,
    pub assessed_on: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// Unix seconds; 0 for a claim stored before files were kept.
    pub filed_at: i64,
}

/// Where a filed claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Its claim is stored, in this status.
    Stored(ClaimStatus),
    /// Its submission may still store it.
    InFlight,
    /// Its submission died before storing it: it never will.
    Dead,
}

impl Standing {
    /// Whether it holds a place in the limits and its record.
    pub fn counts(self) -> bool {
        match self {
            Standing::Stored(status) => status.counts_toward_limits(),
            Standing::InFlight => true,
            Standing::Dead => false,
        }
    }
}

impl FiledClaim {
    pub fn of(claim: &Claim, filed_at: i64) -> FiledClaim {
        FiledClaim {
            claim_id: claim.id.clone(),
            platform_id: claim.platform_id.clone(),
            record_id: claim.record_id.clone(),
            occupation: claim.occupation.clone(),
            level: claim.level,
            assessed_on: claim.assessed_on,
            idempotency_key: claim.idempotency_key.clone(),
            filed_at,
        }
    }

    /// How it stands at `now`, given the status of its claim if stored.
    pub fn standing(&self, stored: Option<ClaimStatus>, now: i64) -> Standing {
        match stored {
            Some(status) => Standing::Stored(status),
            None if lease::expired(self.filed_at, now) => Standing::Dead,
            None => Standing::InFlight,
        }
    }

    /// Whether a submission that filed this claim at `filed_at` is too late, at `now`, to store
    /// it: half a lease, so that it is certainly stored, or never, before anyone judges it
    /// dead.
    pub fn too_late_to_store(&self, now: i64) -> bool {
        now - self.filed_at >= lease::LEASE_SECONDS / 2
    }

    fn is_of_record(&self, platform: &PlatformId, record_id: &str) -> bool {
        &self.platform_id == platform && self.record_id == record_id
    }
}

impl ClaimsFile {
    /// Built from the claims of a person whose claims were stored before files were kept.
    pub fn from_claims(claims: &[Claim]) -> ClaimsFile {
        ClaimsFile {
            filed: claims.iter().map(|c| FiledClaim::of(c, 0)).collect(),
        }
    }

    pub fn claim_ids(&self) -> impl Iterator<Item = &str> {
        self.filed.iter().map(|f| f.claim_id.as_str())
    }

    pub fn with_key(&self, key: &str) -> Option<&FiledClaim> {
        (self.filed.iter()).find(|f| f.idempotency_key.as_deref() == Some(key))
    }

    pub fn get(&self, claim_id: &str) -> Option<&FiledClaim> {
        self.filed.iter().find(|f| f.claim_id == claim_id)
    }

    /// The history the rules judge a new claim on: each filed claim that counts, as it stands
    /// (`status`: its stored claim's status, if stored) at `now`.
    pub fn history(
        &self,
        status: impl Fn(&str) -> Option<ClaimStatus>,
        now: i64,
    ) -> Vec<PriorClaim> {
        let standing = |f: &FiledClaim| f.standing(status(&f.claim_id), now);
        (self.filed.iter())
            .filter_map(|f| match standing(f) {
                Standing::Dead => None,
                Standing::InFlight => Some(prior(f, ClaimStatus::Submitted)),
                Standing::Stored(status) => Some(prior(f, status)),
            })
            .collect()
    }

    /// The filed claim that holds a record, if any: a claim of it that counts.
    pub fn holding_record(
        &self,
        platform: &PlatformId,
        record_id: &str,
        status: impl Fn(&str) -> Option<ClaimStatus>,
        now: i64,
    ) -> Option<&FiledClaim> {
        (self.filed.iter()).find(|f| {
            f.is_of_record(platform, record_id) && f.standing(status(&f.claim_id), now).counts()
        })
    }

    /// The file with `filing` added, and without the claims whose submissions died (they
    /// never will be stored): what a submission writes.
    pub fn filing(
        &self,
        filing: FiledClaim,
        status: impl Fn(&str) -> Option<ClaimStatus>,
        now: i64,
    ) -> ClaimsFile {
        let mut filed: Vec<FiledClaim> = (self.filed.iter())
            .filter(|f| f.standing(status(&f.claim_id), now) != Standing::Dead)
            .cloned()
            .collect();
        filed.push(filing);
        ClaimsFile { filed }
    }

    /// Without `claim_id`: a submission refused after filing gives its place back.
    pub fn without(&self, claim_id: &str) -> ClaimsFile {
        ClaimsFile {
            filed: (self.filed.iter())
                .filter(|f| f.claim_id != claim_id)
                .cloned()
                .collect(),
        }
    }
}

/// The status of a claim among those stored, by id: what `ClaimsFile` asks of its claims.
pub fn status_among(claims: &[Claim]) -> impl Fn(&str) -> Option<ClaimStatus> + '_ {
    |id| claims.iter().find(|c| c.id == id).map(|c| c.status)
}

fn prior(filed: &FiledClaim, status: ClaimStatus) -> PriorClaim {
    PriorClaim {
        occupation: filed.occupation.clone(),
        level: filed.level,
        assessed_on: filed.assessed_on,
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filed(id: &str, record: &str, at: i64) -> FiledClaim {
        FiledClaim {
            claim_id: id.into(),
            platform_id: PlatformId::parse("wljnpx").unwrap(),
            record_id: record.into(),
            occupation: OccupationCode::parse("4-03-02-01").unwrap(),
            level: SkillLevel::parse("5").unwrap(),
            assessed_on: "2020-03-15".parse().unwrap(),
            idempotency_key: Some(format!("key-{id}")),
            filed_at: at,
        }
    }

    const NOW: i64 = 10_000;

    #[test]
    fn a_filed_claim_counts_while_stored_and_counting_or_in_flight_never_once_dead() {
        let file = ClaimsFile {
            filed: vec![
                filed("c-1", "r1", 0),
                filed("c-2", "r2", 0),
                filed("c-3", "r3", NOW - 10),
                filed("c-4", "r4", NOW - lease::LEASE_SECONDS),
            ],
        };
        let status = |id: &str| match id {
            "c-1" => Some(ClaimStatus::Approved),
            "c-2" => Some(ClaimStatus::Withdrawn),
            _ => None,
        };
        let history = file.history(status, NOW);
        let statuses: Vec<_> = history.iter().map(|p| p.status).collect();
        // c-2 is there but does not count; c-3 is in flight; c-4 died.
        assert_eq!(
            statuses,
            [
                ClaimStatus::Approved,
                ClaimStatus::Withdrawn,
                ClaimStatus::Submitted
            ]
        );
        let wljnpx = PlatformId::parse("wljnpx").unwrap();
        assert!(file.holding_record(&wljnpx, "r1", status, NOW).is_some());
        assert!(file.holding_record(&wljnpx, "r2", status, NOW).is_none());
        assert!(file.holding_record(&wljnpx, "r3", status, NOW).is_some());
        assert!(file.holding_record(&wljnpx, "r4", status, NOW).is_none());
        // Filing drops the dead, keeps the ended (they are the person's history).
        let next = file.filing(filed("c-5", "r4", NOW), status, NOW);
        let ids: Vec<_> = next.claim_ids().collect();
        assert_eq!(ids, ["c-1", "c-2", "c-3", "c-5"]);
        assert_eq!(next.with_key("key-c-3").unwrap().claim_id, "c-3");
        assert_eq!(next.without("c-3").claim_ids().count(), 3);
    }

    #[test]
    fn a_submission_stores_its_claim_well_before_anyone_may_judge_it_dead() {
        let f = filed("c-1", "r1", NOW);
        assert!(!f.too_late_to_store(NOW + lease::LEASE_SECONDS / 2 - 1));
        assert!(f.too_late_to_store(NOW + lease::LEASE_SECONDS / 2));
        assert_eq!(
            f.standing(None, NOW + lease::LEASE_SECONDS - 1),
            Standing::InFlight
        );
        assert_eq!(f.standing(None, NOW + lease::LEASE_SECONDS), Standing::Dead);
    }
}
