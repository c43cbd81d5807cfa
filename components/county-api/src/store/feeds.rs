//! The event feeds (`subsidy_rules::events`): every change of a claim, a completion record or
//! an invoice is announced by the write that makes it. A new document is written with its
//! feed slots in one `set-many`; a change under compare-and-swap writes its slots first and
//! lands the marks that confirm them with the document. A slot whose document lacks its mark
//! is no event; readers wait for it a while (`events::settle`).

use std::cell::RefCell;

use subsidy_rules::events::{self, Announcement, Feed, FeedEntry, Settled};

use super::*;

/// What the store announces changes of: the rules say which changes, and as what.
pub(crate) trait Announced: Document + Clone {
    fn announcements(before: Option<&Self>, after: &Self) -> Vec<Announcement>;
    fn marks(&mut self) -> &mut Vec<String>;
}

impl Announced for Claim {
    fn announcements(before: Option<&Self>, after: &Self) -> Vec<Announcement> {
        events::of_claim(before, after)
    }
    fn marks(&mut self) -> &mut Vec<String> {
        &mut self.feed_marks
    }
}

impl Announced for CompletionRecord {
    fn announcements(before: Option<&Self>, after: &Self) -> Vec<Announcement> {
        events::of_record(before, after)
    }
    fn marks(&mut self) -> &mut Vec<String> {
        &mut self.feed_marks
    }
}

/// An invoice is shown in its events as stored, its lines apart (`line_pages`, `line_count`).
impl Announced for StoredInvoice {
    fn announcements(before: Option<&Self>, after: &Self) -> Vec<Announcement> {
        let kinds = events::of_invoice(before.map(|b| &b.invoice), &after.invoice);
        if kinds.is_empty() {
            return Vec::new();
        }
        let shown = StoredInvoice {
            invoice: Invoice {
                lines: Vec::new(),
                feed_marks: Vec::new(),
                ..after.invoice.clone()
            },
            ..after.clone()
        };
        let object = String::from_utf8(to_json(&shown)).expect("JSON is UTF-8");
        let feed = Feed::Platform(after.invoice.platform_id.clone());
        let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
        Announcement::each(&feed, &kinds, &object)
    }
    fn marks(&mut self) -> &mut Vec<String> {
        &mut self.invoice.feed_marks
    }
}

/// A feed slot a request took: kept across the attempts of one change, so that a retried
/// swap reuses it rather than leaving it to be waited for.
pub(crate) struct Taken {
    index: Index,
    feed: Feed,
    slot: u64,
    at: i64,
    used: bool,
}

/// The slots one change took, over its attempts.
#[derive(Default)]
pub(crate) struct Slots(RefCell<Vec<Taken>>);

/// A feed's page: its events, the slot to continue after, and whether a change that may still
/// land stopped it (`pending`: ask again shortly).
pub struct FeedPage {
    pub events: Vec<(u64, FeedEntry)>,
    pub next_after: u64,
    pub done: bool,
    pub pending: bool,
}

fn wall_clock() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Store {
    /// A change of an announced document under compare-and-swap (`update_json`), its events
    /// announced with it.
    pub(crate) fn update_announced<T: Announced>(
        &self,
        key: &str,
        mut change: impl FnMut(Option<T>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let slots = Slots::default();
        let done = self.update_json(key, |current: Option<T>| {
            self.announced(key, current, &mut change, &slots)
        });
        self.give_back(&slots, done)
    }

    /// `swap_opened` of an announced document.
    pub(crate) fn swap_opened_announced<T: Announced>(
        &self,
        opened: Opened<T>,
        mut change: impl FnMut(Option<T>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let slots = Slots::default();
        let key = opened.key.clone();
        let done = self.swap_opened(opened, |current: Option<T>| {
            self.announced(&key, current, &mut change, &slots)
        });
        self.give_back(&slots, done)
    }

    /// One attempt's change, its events' slots written and their marks on it.
    fn announced<T: Announced>(
        &self,
        key: &str,
        current: Option<T>,
        change: &mut dyn FnMut(Option<T>) -> Result<T, ApiError>,
        slots: &Slots,
    ) -> Result<T, ApiError> {
        let before = current.clone();
        let mut next = change(current)?;
        let write = self.next_write_id()?;
        let entries = self.announce(key, before.as_ref(), &mut next, slots, &write)?;
        self.write_all(&write, entries)?;
        Ok(next)
    }

    /// Takes (or reuses) a slot for each event `before` → `next` announces, marks `next` with
    /// them, and gives each slot's entry, enveloped under `write`: for a new document's
    /// `set-many`, or to write before a swap.
    pub(crate) fn announce<T: Announced>(
        &self,
        key: &str,
        before: Option<&T>,
        next: &mut T,
        slots: &Slots,
        write: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, ApiError> {
        let now = wall_clock();
        let announcements = T::announcements(before, next);
        let chosen = self.slots_for(&announcements, slots, now)?;
        let mut entries = Vec::new();
        for (a, slot) in announcements.into_iter().zip(chosen) {
            let slot_key = store_keys::feed(&self.county, &a.feed).slot(slot);
            next.marks().push(a.feed.mark(slot));
            let entry = FeedEntry {
                kind: a.kind,
                at: now,
                key: key.to_owned(),
                object: a.object,
                void: false,
            };
            entries.push((slot_key, self.enveloped(write, &entry)));
        }
        Ok(entries)
    }

    /// Each event's slot: one an earlier attempt of the change took for its feed, still
    /// fresh, or a new one, a feed's new slots taken with one increment.
    fn slots_for(
        &self,
        announcements: &[Announcement],
        slots: &Slots,
        now: i64,
    ) -> Result<Vec<u64>, ApiError> {
        let mut taken = slots.0.borrow_mut();
        for t in taken.iter_mut() {
            t.used = false;
        }
        let mut chosen: Vec<Option<u64>> = (announcements.iter())
            .map(|a| {
                let fresh = |t: &&mut Taken| {
                    !t.used && t.feed == a.feed && now - t.at < events::FEED_WRITER_SECONDS
                };
                taken.iter_mut().find(fresh).map(|t| {
                    t.used = true;
                    t.slot
                })
            })
            .collect();
        for (i, a) in announcements.iter().enumerate() {
            if chosen[i].is_some() {
                continue;
            }
            let wanting: Vec<usize> = (i..announcements.len())
                .filter(|&j| chosen[j].is_none() && announcements[j].feed == a.feed)
                .collect();
            let n = wanting.len() as u64;
            let counter = store_keys::feed(&self.county, &a.feed).counter();
            let last = self.add(&counter, n as i64)?.max(n as i64) as u64;
            for (k, j) in wanting.into_iter().enumerate() {
                let slot = last + 1 - n + k as u64;
                chosen[j] = Some(slot);
                taken.push(Taken {
                    index: store_keys::feed(&self.county, &a.feed),
                    feed: a.feed.clone(),
                    slot,
                    at: now,
                    used: true,
                });
            }
        }
        Ok(chosen.into_iter().flatten().collect())
    }

    /// After a change: slots an earlier attempt took and the last did not use are written
    /// void, so that readers pass them at once. Best effort: a reader passes them in time.
    fn give_back<T>(&self, slots: &Slots, done: Result<T, ApiError>) -> Result<T, ApiError> {
        let landed = done.is_ok();
        let unused: Vec<(String, FeedEntry)> = (slots.0.borrow().iter())
            .filter(|t| !t.used || !landed)
            .map(|t| {
                let entry = FeedEntry {
                    kind: String::new(),
                    at: t.at,
                    key: String::new(),
                    object: String::new(),
                    void: true,
                };
                (t.index.slot(t.slot), entry)
            })
            .collect();
        // A change that failed may yet have landed (its outcome unknown): its slots stay.
        let unknown = done
            .as_ref()
            .is_err_and(|e| e.kind == ErrorKind::Unavailable);
        if !unused.is_empty() && !unknown {
            let write = self.next_write_id()?;
            let unused = unused
                .into_iter()
                .map(|(k, e)| (k, self.enveloped(&write, &e)));
            let _ = self.write_all(&write, unused.collect());
        }
        done
    }

    /// A page of `feed`: events from slot `after + 1`, at most `limit` slots, stopped before a
    /// change that may still land.
    pub fn feed_page(&self, feed: &Feed, after: u64, limit: u64) -> Result<FeedPage, ApiError> {
        let index = store_keys::feed(&self.county, feed);
        let end = self.counter(&index.counter())?;
        let last = end.min(after.saturating_add(limit));
        self.prefetch_slots(&index, after + 1, last);
        let mut read = Vec::new();
        for slot in after + 1..=last {
            read.push((slot, self.get_json::<FeedEntry>(&index.slot(slot))?));
        }
        let keys: Vec<String> = (read.iter())
            .filter_map(|(_, e)| e.as_ref().filter(|e| !e.void).map(|e| e.key.clone()))
            .collect();
        self.prefetch(&keys);
        let now = wall_clock();
        let mut page = FeedPage {
            events: Vec::new(),
            next_after: after,
            done: false,
            pending: false,
        };
        // Every slot found taken and not written is written down as seen now, not only the
        // first: one change may take several slots at once, and each must pass in time.
        let mut seen_absent = Vec::with_capacity(read.len());
        for (slot, entry) in &read {
            seen_absent.push(match entry {
                None => Some(self.seen_absent(&index, *slot, now)?),
                Some(_) => None,
            });
        }
        for ((slot, entry), seen_absent) in read.iter().zip(seen_absent) {
            let marked = match entry {
                Some(e) if !e.void => self.marks_of(&e.key)?.contains(&feed.mark(*slot)),
                _ => false,
            };
            match events::settle(entry.as_ref(), marked, seen_absent, now) {
                Settled::Pending => {
                    page.pending = true;
                    break;
                }
                Settled::Event => page.events.push((*slot, entry.clone().expect("marked"))),
                Settled::Passed => {}
            }
            page.next_after = *slot;
        }
        page.done = !page.pending && page.next_after >= end;
        Ok(page)
    }

    /// When a reader first found a slot taken and not written: read, or written down now.
    fn seen_absent(&self, index: &Index, slot: u64, now: i64) -> Result<i64, ApiError> {
        let key = index.seen_absent(slot);
        match self.get_json::<i64>(&key)? {
            Some(seen) => Ok(seen),
            None => self.set_json(&key, &now).map(|()| now),
        }
    }

    /// The feed marks the document at `key` carries (none if it is absent).
    fn marks_of(&self, key: &str) -> Result<Vec<String>, ApiError> {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Marks {
            #[serde(default)]
            feed_marks: Vec<String>,
        }
        Ok(self
            .get_json::<Marks>(key)?
            .map_or(Vec::new(), |m| m.feed_marks))
    }
}
