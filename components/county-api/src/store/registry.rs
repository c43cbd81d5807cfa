//! The key-group registry: every period uploaded for a person and group.

use super::*;

impl Store {
    /// What a judgement of the person's training reads besides their history: the registry
    /// entry of the group declared and the platform register (read ahead, in one batch).
    pub fn judgement_keys(&self, person: &PersonKey, group: PersonGroup) -> Vec<String> {
        use subsidy_rules::history::CountyTable;
        vec![
            store_keys::registry_entry(&self.county, person, group),
            subsidy_rules::PlatformRegister::key(&self.county),
        ]
    }

    /// Where a person's entries for `groups` are kept, to read them ahead.
    pub fn registry_keys(&self, person: &PersonKey, groups: &[PersonGroup]) -> Vec<String> {
        (groups.iter())
            .map(|g| store_keys::registry_entry(&self.county, person, *g))
            .collect()
    }

    /// The registry entries of each of `persons` for `groups`, read ahead in one batch.
    pub fn registries_of(
        &self,
        persons: &[&PersonKey],
        groups: &[PersonGroup],
    ) -> Result<Vec<Vec<RegistryEntry>>, ApiError> {
        let keys: Vec<String> = (persons.iter())
            .flat_map(|p| self.registry_keys(p, groups))
            .collect();
        self.prefetch(&keys);
        (persons.iter())
            .map(|p| self.registry_entries(p, groups))
            .collect()
    }

    /// A person's key-group registry entries, every period, one read per group.
    pub fn registry_entries(
        &self,
        person: &PersonKey,
        groups: &[PersonGroup],
    ) -> Result<Vec<RegistryEntry>, ApiError> {
        let mut entries = Vec::new();
        for group in groups {
            let key = store_keys::registry_entry(&self.county, person, *group);
            if let Some(periods) = self.get_json::<RegistryPeriods>(&key)? {
                entries.extend(periods.entries());
            }
        }
        Ok(entries)
    }

    /// Adds a person's entry for one group: every period uploaded is kept
    /// (`RegistryPeriods::with`).
    pub fn put_registry_entry(
        &self,
        person: &PersonKey,
        entry: &RegistryEntry,
    ) -> Result<(), ApiError> {
        self.update_json(
            &store_keys::registry_entry(&self.county, person, entry.group),
            |periods: Option<RegistryPeriods>| {
                Ok(periods
                    .unwrap_or(RegistryPeriods::Many(Vec::new()))
                    .with(entry.clone()))
            },
        )
        .map(drop)
    }
}
