//! Claims: stored whole, listed under their person, the county, their month and the queue they wait in.

use super::*;

impl Store {
    /// Every claim a person has made here, whole, in filing order.
    pub fn person_claims(&self, person: &PersonKey) -> Result<Vec<Claim>, ApiError> {
        Ok(self.person_file(person, &[])?.1)
    }

    pub(super) fn claims_of(&self, index: &Index) -> Result<Vec<Claim>, ApiError> {
        self.claims_by_id(&self.entries(index)?)
    }

    /// The stored claims of `ids`, read in one batch.
    pub fn claims_by_id(&self, ids: &[String]) -> Result<Vec<Claim>, ApiError> {
        let keys: Vec<String> = ids
            .iter()
            .map(|id| store_keys::claim(&self.county, id))
            .collect();
        self.prefetch(&keys);
        let mut claims = Vec::new();
        for id in ids {
            claims.extend(self.claim(id)?);
        }
        Ok(claims)
    }

    pub fn claim(&self, id: &str) -> Result<Option<Claim>, ApiError> {
        self.get_json(&store_keys::claim(&self.county, id))
    }

    /// Stores a new claim, listed in the queue it waits in and under its month (which the
    /// report is recounted from), in one write: a claim is never stored unlisted, nor listed
    /// unstored. Its person's file names it already (`update_person_file`).
    pub fn insert_claim(
        &self,
        claim: &Claim,
        queue: ReviewQueue,
        now: i64,
    ) -> Result<(), ApiError> {
        let waiting = store_keys::claim_queue(&self.county, queue);
        let month = subsidy_rules::completion::month_of(claim.assessed_on);
        let in_month = store_keys::month_claims(&self.county, &month);
        // Slots taken and never filled (a kill before the write) are skipped by readers.
        let waiting_slot = self.add(&waiting.counter(), 1)?.max(1) as u64;
        let month_slot = self.add(&in_month.counter(), 1)?.max(1) as u64;
        let key = store_keys::claim(&self.county, &claim.id);
        let mut claim = claim.clone();
        let write = self.next_write_id()?;
        let events = self.announce(&key, None, &mut claim, &Slots::default(), &write)?;
        let mut documents = vec![
            (key, self.enveloped(&write, &claim)),
            (
                waiting.slot(waiting_slot),
                self.enveloped(&write, &QueueEntry::format(&claim.id, now)),
            ),
            (in_month.slot(month_slot), self.enveloped(&write, &claim.id)),
        ];
        documents.extend(events);
        self.write_all(&write, documents)?;
        self.count_in_report(&report::deltas(None, &claim));
        Ok(())
    }

    /// Changes a claim (`change`) that then waits on finance's desk (an approval, a payee
    /// corrected after a returned payment), listing it there first: a kill in between leaves
    /// an entry whose claim does not wait there, which the desk skips.
    pub fn change_onto_desk(
        &self,
        existing: &Claim,
        now: i64,
        change: impl FnMut(Claim) -> Result<Claim, ApiError>,
    ) -> Result<Claim, ApiError> {
        if !existing.waits_on(Desk::Payable) {
            self.append(
                &store_keys::payable_queue(&self.county),
                &QueueEntry::format(&existing.id, now),
            )?;
        }
        self.update_claim(&existing.id, change)
    }

    /// Changes a claim under compare-and-swap, then moves the report's counters with it.
    pub fn update_claim(
        &self,
        id: &str,
        mut change: impl FnMut(Claim) -> Result<Claim, ApiError>,
    ) -> Result<Claim, ApiError> {
        // The claim as the attempt that landed found it.
        let mut before = None;
        let after =
            self.update_announced(&store_keys::claim(&self.county, id), |c: Option<Claim>| {
                let current = c.ok_or_else(ApiError::not_found)?;
                before = Some(current.clone());
                change(current)
            })?;
        self.count_in_report(&report::deltas(before.as_ref(), &after));
        Ok(after)
    }

    /// A page of a review queue, oldest first: claims still submitted, from slot `after + 1`
    /// (a first page from the queue's head), at most `limit`; and the slot to continue after.
    pub fn claim_queue(
        &self,
        queue: ReviewQueue,
        after: u64,
        limit: usize,
        now: i64,
    ) -> Result<(Vec<Claim>, u64), ApiError> {
        let index = store_keys::claim_queue(&self.county, queue);
        self.waiting_page(&index, Desk::Review(queue), after, limit, now)
    }

    /// A page of finance's desk, oldest first: claims approved and not yet paid, and those
    /// whose payment came back and whose payee was corrected since.
    pub fn payable_claims(
        &self,
        after: u64,
        limit: usize,
        now: i64,
    ) -> Result<(Vec<Claim>, u64), ApiError> {
        let index = store_keys::payable_queue(&self.county);
        self.waiting_page(&index, Desk::Payable, after, limit, now)
    }
}
