//! The county's three revisioned tables (`history::CountyTable`: the standards, the platform
//! register, the policy versions the county added), each change keeping the revision it
//! replaced. A request reads each table once at most: the register is read by both the
//! platform check and the rules, and a store read is a host call.

use std::any::Any;

use subsidy_rules::history::CountyTable;

use super::*;

impl Store {
    /// The county's table `T`, as this request last read or wrote it.
    pub fn table<T: CountyTable>(&self) -> Result<T, ApiError> {
        let key = T::key(&self.county);
        if let Some(cached) = self.cached_table::<T>(&key) {
            return Ok(cached);
        }
        let table = (self.get_json(&key)?).unwrap_or_else(|| T::initial(&self.county));
        self.cache_table(key, &table);
        Ok(table)
    }

    /// Changes table `T` under compare-and-swap, keeping the revision it replaces under a key
    /// of its own (written before the swap, so that the revision in force always names where
    /// its predecessor is kept; a swap that loses leaves a copy no revision names).
    pub fn update_table<T: CountyTable>(
        &self,
        mut change: impl FnMut(T) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let key = T::key(&self.county);
        let updated = self.update_json(&key, |current: Option<T>| {
            let current = current.unwrap_or_else(|| T::initial(&self.county));
            let next = change(current.clone())?;
            if next.revision() == current.revision() {
                return Ok(next);
            }
            let kept = store_keys::kept_revision(&key, current.revision(), &self.next_write_id()?);
            self.set_json(&kept, &current)?;
            Ok(next.kept_at(kept))
        })?;
        self.cache_table(key, &updated);
        Ok(updated)
    }

    /// Table `T`'s revisions, newest first (the one in force, then what it replaced), at most
    /// `limit`.
    pub fn table_history<T: CountyTable>(&self, limit: usize) -> Result<Vec<T>, ApiError> {
        let mut versions = vec![self.table::<T>()?];
        while versions.len() < limit {
            let Some(previous) = (versions.last())
                .and_then(|v| v.previous())
                .map(str::to_owned)
            else {
                break;
            };
            match self.get_json::<T>(&previous)? {
                Some(version) => versions.push(version),
                None => break,
            }
        }
        Ok(versions)
    }

    fn cached_table<T: CountyTable>(&self, key: &str) -> Option<T> {
        let tables = self.tables.borrow();
        let (_, table) = tables.iter().find(|(k, _)| k == key)?;
        table.downcast_ref::<T>().cloned()
    }

    fn cache_table<T: CountyTable>(&self, key: String, table: &T) {
        let mut tables = self.tables.borrow_mut();
        tables.retain(|(k, _)| *k != key);
        tables.push((key, Box::new(table.clone()) as Box<dyn Any>));
    }
}
