//! A person's places in the limits: counters taken by submissions, recounted from their claims.

use subsidy_rules::policy::ClaimLimits;

use super::*;

impl Store {
    /// Takes a place for a new claim in the person's yearly limit and for its course; gives
    /// both back and names the limit that refused when either is full. Call it holding the
    /// person's places (`holding_places`).
    ///
    /// The reservation is recorded first, naming the claim and its counters: a submission
    /// that dies after taking places leaves counters that a recount finds and sets right.
    pub fn reserve_claim_places(
        &self,
        claim: &Claim,
        limits: &ClaimLimits,
        now: i64,
    ) -> Result<Option<LimitRefusal>, ApiError> {
        let reservations = store_keys::claim_reservations(&self.county, &claim.person);
        self.append(
            &reservations,
            &Reservation::for_claim(claim, now).to_entry(),
        )?;
        self.take_claim_places(claim, limits)
    }

    /// Takes the places one at a time; whether each is over its limit is the rules' to say
    /// (`ClaimLimits`).
    fn take_claim_places(
        &self,
        claim: &Claim,
        limits: &ClaimLimits,
    ) -> Result<Option<LimitRefusal>, ApiError> {
        let year = claim.assessed_on.year();
        let year_key = store_keys::claims_in_year(&self.county, &claim.person, year);
        let course = claim.course();
        let course_key = store_keys::claims_of_course(&self.county, &claim.person, &course);
        if let Some(refusal) = limits.year_refusal(year, self.add(&year_key, 1)?) {
            self.undo(&year_key)?;
            return Ok(Some(refusal));
        }
        let taken = self.add(&course_key, 1)?;
        if let Some(refusal) = limits.course_refusal(&course, taken) {
            self.undo(&course_key)?;
            self.undo(&year_key)?;
            return Ok(Some(refusal));
        }
        Ok(None)
    }

    /// A person's limit counters against what holds their places: the claims that count
    /// toward the limits. Every counter a claim or a reservation names is checked, so places
    /// taken by a submission that died before storing its claim show as too many. With
    /// `apply`, each counter is set to what it should be. Call it holding the person's places
    /// (`holding_places`): no other request changes them meanwhile, so the result is exact.
    /// Returns each counter's key, the value found and the value it should have.
    pub fn recount_claim_places(
        &self,
        person: &PersonKey,
        apply: bool,
    ) -> Result<Vec<(String, i64, i64)>, ApiError> {
        let mut expected: Vec<(String, i64)> = Vec::new();
        let mut count = |year: i32, course: &Course, held: bool| {
            let keys = [
                store_keys::claims_in_year(&self.county, person, year),
                store_keys::claims_of_course(&self.county, person, course),
            ];
            for key in keys {
                match expected.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, n)) => *n += i64::from(held),
                    None => expected.push((key, i64::from(held))),
                }
            }
        };
        for claim in self.person_claims(person)? {
            let held = claim.status.counts_toward_limits();
            count(claim.assessed_on.year(), &claim.course(), held);
        }
        let reservations = store_keys::claim_reservations(&self.county, person);
        for entry in self.entries(&reservations)? {
            if let Some(r) = Reservation::from_entry(&entry) {
                count(r.year, &r.course, false);
            }
        }
        let mut report = Vec::new();
        for (key, is) in expected {
            let was = self.add(&key, 0)?;
            if apply && was != is {
                self.add(&key, is - was)?;
            }
            report.push((key, was, is));
        }
        Ok(report)
    }
}
