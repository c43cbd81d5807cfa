//! Which person's course an invoice has taken, so that it is billed once, by one platform,
//! ever: a counter per person and course (职业 + level, `Course`), whatever code a platform
//! reported.

use super::*;

impl Store {
    /// Takes a trainee's course for billing; true if no invoice had it.
    pub fn take_course_for_billing(
        &self,
        person: &PersonKey,
        course: &Course,
    ) -> Result<bool, ApiError> {
        self.take_once(&store_keys::course_billed(&self.county, person, course))
    }

    /// Gives back a course taken by an invoice that then could not bill it.
    pub fn release_course(&self, person: &PersonKey, course: &Course) -> Result<(), ApiError> {
        self.undo(&store_keys::course_billed(&self.county, person, course))
    }

    /// Records that an invoice build is about to take the course (before it does).
    pub fn intend_billing(
        &self,
        person: &PersonKey,
        course: &Course,
        intent: &BillingIntent,
    ) -> Result<(), ApiError> {
        let key = store_keys::course_billing_intent(&self.county, person, course);
        self.set_json(&key, intent)
    }

    pub fn billing_intent(
        &self,
        person: &PersonKey,
        course: &Course,
    ) -> Result<Option<BillingIntent>, ApiError> {
        self.get_json(&store_keys::course_billing_intent(
            &self.county,
            person,
            course,
        ))
    }

    /// Frees a course whose counter nobody holds (`invoice::course_hold_abandoned`).
    pub fn reset_course(&self, person: &PersonKey, course: &Course) -> Result<(), ApiError> {
        let key = store_keys::course_billed(&self.county, person, course);
        let taken = self.add(&key, 0)?;
        if taken > 0 {
            self.add(&key, -taken)?;
        }
        Ok(())
    }

    /// Whether any invoice has taken the course.
    /// What judging records for billing reads of each: its trainee's registry entries (of
    /// `groups`) and whether its course is billed (read ahead, a page's at once).
    pub fn billing_keys(
        &self,
        records: &[CompletionRecord],
        groups: &[PersonGroup],
    ) -> Vec<String> {
        let mut keys = Vec::new();
        for record in records {
            let person = &record.facts.trainee.person;
            for group in groups {
                keys.push(store_keys::registry_entry(&self.county, person, *group));
            }
            let course = record.facts.course();
            keys.push(store_keys::course_billed(&self.county, person, &course));
        }
        keys
    }

    pub fn course_billed(&self, person: &PersonKey, course: &Course) -> Result<bool, ApiError> {
        Ok(self.counter(&store_keys::course_billed(&self.county, person, course))? > 0)
    }
}
