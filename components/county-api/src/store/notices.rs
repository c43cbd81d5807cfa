//! 公示 in the store: a claim is published by listing it in its day's notice, then marking
//! the claim itself under compare-and-swap (`Claim::published`); the claim's mark is the
//! truth, so a kill between the two leaves a listed claim that readers pass by and that the
//! next publication takes again. Keys: `store_keys::notices`, `store_keys::notice`.

use chrono::NaiveDate;
use subsidy_rules::{Change, calendar::NoticePeriod};

use super::*;

impl Store {
    /// Lists `day` among the notices' days: once a request, before it publishes a claim in it
    /// (the list is read without repeats).
    pub fn list_notice_day(&self, day: NaiveDate) -> Result<(), ApiError> {
        self.append(&store_keys::notices(&self.county), &day.to_string())
    }

    /// Publishes an approved claim in the notice of `day` (listed already), for `period`.
    pub fn publish_claim(
        &self,
        claim: &Claim,
        day: NaiveDate,
        period: NoticePeriod,
        change: &Change,
    ) -> Result<Claim, ApiError> {
        self.append(&store_keys::notice(&self.county, day), &claim.id)?;
        self.update_claim(&claim.id, |current| {
            (current.published(period, change.clone())).map_err(ApiError::conflict)
        })
    }

    /// How long the notice of each policy version the county added runs.
    pub fn added_notice_days(&self) -> Result<subsidy_rules::policy::AddedNoticeDays, ApiError> {
        let key = store_keys::added_policy_versions(&self.county);
        Ok(self.get_json(&key)?.unwrap_or_default())
    }

    /// The days a notice was published on, oldest first.
    pub fn notice_days(&self) -> Result<Vec<String>, ApiError> {
        self.entries(&store_keys::notices(&self.county))
    }

    /// A page of the notice of `day`, in the order published: the claims listed from slot
    /// `after + 1`, at most `limit`, those whose own notice names the day; the slot to
    /// continue after, and whether it is the notice's last.
    pub fn notice_page(
        &self,
        day: NaiveDate,
        after: u64,
        limit: usize,
    ) -> Result<(Vec<Claim>, u64, bool), ApiError> {
        let index = store_keys::notice(&self.county, day);
        let (ids, next_after, done) = self.entries_page(&index, after, limit)?;
        let claims = (self.claims_by_id(&ids)?.into_iter())
            .filter(|c| c.notice.as_ref().is_some_and(|n| n.batch == day))
            .collect();
        Ok((claims, next_after, done))
    }

    /// Changes a claim (`change`, an objection) that then waits for review again, listing it
    /// in its review queue first, as `change_onto_desk` lists an approval on finance's desk.
    pub fn change_onto_review(
        &self,
        existing: &Claim,
        now: i64,
        change: impl FnMut(Claim) -> Result<Claim, ApiError>,
    ) -> Result<Claim, ApiError> {
        let queue = match existing.review_reason {
            Some(_) => ReviewQueue::Review,
            None => ReviewQueue::for_key_group(existing.key_group_status),
        };
        self.append(
            &store_keys::claim_queue(&self.county, queue),
            &QueueEntry::format(&existing.id, now),
        )?;
        self.update_claim(&existing.id, change)
    }
}
