//! The journal of multi-step writes, which reconcile reads.

use super::*;

impl Store {
    /// Records what a multi-step write is about to do (`journal`).
    pub fn journal(&self, entry: &JournalEntry) -> Result<(), ApiError> {
        self.append(&store_keys::journal(&self.county), &entry.to_entry())
    }

    /// Journal entries from slot `after + 1`, at most `limit` slots; and the slot to continue
    /// after, which is the journal's end when the page is the last.
    pub fn journal_page(
        &self,
        after: u64,
        limit: u64,
    ) -> Result<(Vec<SlottedEntry>, u64, bool), ApiError> {
        let index = store_keys::journal(&self.county);
        let end = self.counter(&index.counter())?;
        let last = end.min(after.saturating_add(limit));
        let mut entries = Vec::new();
        for slot in after + 1..=last {
            if let Some(entry) = self.get_json::<String>(&index.slot(slot))?
                && let Some(entry) = JournalEntry::from_entry(&entry)
            {
                entries.push((slot, entry));
            }
        }
        Ok((entries, last.max(after), last >= end))
    }
}
