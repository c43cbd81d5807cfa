//! Append-only indexes: a counter of slots, each slot a key of its own; read in pages.

use super::*;

impl Store {
    /// Reads an index's slots `first..=last` ahead, at once.
    pub(super) fn prefetch_slots(&self, index: &Index, first: u64, last: u64) {
        let keys: Vec<String> = (first..=last).map(|slot| index.slot(slot)).collect();
        self.prefetch(&keys);
    }

    /// Appends an entry to an index: takes the next slot atomically, then fills it.
    pub(super) fn append(&self, index: &Index, entry: &str) -> Result<(), ApiError> {
        self.append_at(index, entry).map(drop)
    }

    /// Appends, and says in which slot.
    pub(super) fn append_at(&self, index: &Index, entry: &str) -> Result<u64, ApiError> {
        let slot = atomics::increment(&self.bucket, &index.counter(), 1).map_err(store_error)?;
        let slot = slot.max(1) as u64;
        self.set_json(&index.slot(slot), &entry)?;
        Ok(slot)
    }

    /// An index's entries in the order appended, without repeats; empty slots skipped.
    pub(super) fn entries(&self, index: &Index) -> Result<Vec<String>, ApiError> {
        let slots = self.counter(&index.counter())?;
        self.prefetch_slots(index, 1, slots);
        let mut entries: Vec<String> = Vec::new();
        // A set beside the list: a platform's month holds thousands of records, and a scan
        // of the list for each would make reading them quadratic.
        let mut seen = std::collections::HashSet::new();
        for slot in 1..=slots {
            if let Some(entry) = self.get_json::<String>(&index.slot(slot))?
                && seen.insert(entry.clone())
            {
                entries.push(entry);
            }
        }
        Ok(entries)
    }

    /// Up to `limit` entries of an index from slot `after + 1`, skipping empty slots and
    /// entries listed earlier in the page; the slot to continue after, and whether that is
    /// the index's last.
    pub(super) fn entries_page(
        &self,
        index: &Index,
        after: u64,
        limit: usize,
    ) -> Result<(Vec<String>, u64, bool), ApiError> {
        let slots = self.counter(&index.counter())?;
        // The slots a page reads when none is empty, read at once.
        let first = after.saturating_add(1);
        self.prefetch_slots(index, first, slots.min(after.saturating_add(limit as u64)));
        let (entries, last) = self.entries_in_slots(index, first..=slots, limit)?;
        let last = last.unwrap_or(after);
        Ok((entries, last, last >= slots))
    }

    /// An index newest first: its entries in slots below `before` (from the newest when 0),
    /// at most `limit`; the slot to continue before, and whether the first slot was reached.
    pub(super) fn entries_page_newest(
        &self,
        index: &Index,
        before: u64,
        limit: usize,
    ) -> Result<(Vec<String>, u64, bool), ApiError> {
        let slots = self.counter(&index.counter())?;
        let top = match before {
            0 => slots,
            _ => (before - 1).min(slots),
        };
        let (entries, last) = self.entries_in_slots(index, (1..=top).rev(), limit)?;
        let last = last.unwrap_or(top + 1);
        Ok((entries, last, last <= 1))
    }

    /// The entries of `index` in `slots`, read in their order until `limit` are found (a
    /// missing slot skipped, a repeated entry once); and the last slot read.
    pub(super) fn entries_in_slots(
        &self,
        index: &Index,
        slots: impl Iterator<Item = u64>,
        limit: usize,
    ) -> Result<(Vec<String>, Option<u64>), ApiError> {
        let mut entries: Vec<String> = Vec::new();
        let mut last = None;
        for slot in slots {
            if entries.len() == limit {
                break;
            }
            last = Some(slot);
            if let Some(entry) = self.get_json::<String>(&index.slot(slot))?
                && !entries.contains(&entry)
            {
                entries.push(entry);
            }
        }
        Ok((entries, last))
    }

    /// The claims of a waiting list in `waiting`, from slot `after + 1`, at most `limit`; and
    /// the slot to continue after. A first page (`after` 0) starts after the list's head, and
    /// moves the head over the settled slots it reads first (`queue::QueueHead`), so a page
    /// costs what waits, not what has ever waited.
    pub(super) fn waiting_page(
        &self,
        index: &Index,
        desk: Desk,
        after: u64,
        limit: usize,
        now: i64,
    ) -> Result<(Vec<Claim>, u64), ApiError> {
        let head: Option<QueueHead> = match after {
            0 => Some(self.get_json(&index.head())?.unwrap_or_default()),
            _ => None,
        };
        let start = head.as_ref().map_or(after, |h| h.through);
        let slots = self.counter(&index.counter())?;
        let mut page: Vec<Claim> = Vec::new();
        // What the slots right after the head held, while every one so far was settled.
        let mut leading: Vec<Option<bool>> = Vec::new();
        let mut leading_open = head.is_some();
        let mut last = start;
        for slot in start + 1..=slots {
            if page.len() == limit {
                break;
            }
            last = slot;
            let entry = self
                .get_json::<String>(&index.slot(slot))?
                .map(|e| QueueEntry::parse(&e));
            let claim = match &entry {
                Some(entry) => self.claim(&entry.claim_id)?,
                None => None,
            };
            let seen = match &entry {
                None => SlotSeen::Empty,
                Some(entry) => SlotSeen::Listed(entry, claim.as_ref()),
            };
            let settled = queue::settled(desk, &seen, now);
            if leading_open {
                leading.push(matches!(seen, SlotSeen::Listed(..)).then_some(settled));
                leading_open = settled;
            }
            if let Some(claim) = claim
                && claim.waits_on(desk)
                && !page.iter().any(|c| c.id == claim.id)
            {
                page.push(claim);
            }
        }
        if let Some(head) = head {
            let moved = head.advanced(leading, now);
            if moved != head {
                // A head is only a shortcut: a reader that cannot write it still answers.
                let _ = self.update_json(&index.head(), |current: Option<QueueHead>| {
                    Ok(current.unwrap_or_default().max(moved.clone()))
                });
            }
        }
        Ok((page, last))
    }
}
