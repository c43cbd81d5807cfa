//! Waiting lists: the review queues and finance's list of approved, unpaid claims. Each is an
//! append-only index of claim ids; a claim leaves it by changing status, not by being removed.
//! So that a list costs what is waiting, not what has ever waited, each keeps a head: every
//! slot up to it is settled (its claim will never wait there again), and a first page starts
//! after it.
//!
//! An entry is listed *before* the change that makes its claim wait (a submission, an
//! approval) and names when: while young, an entry whose claim does not wait yet may be a
//! change still in flight, and is not settled. Once older than `IN_FLIGHT_GRACE_SECONDS`, such
//! an entry was a change that died (a retry lists the claim again).

use serde::{Deserialize, Serialize};

use crate::{ClaimStatus, IN_FLIGHT_GRACE_SECONDS};

/// One slot of a waiting list: `{claim_id}@{unix seconds}` (bare ids were written by earlier
/// versions and count as old).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    pub claim_id: String,
    pub listed_at: Option<i64>,
}

impl QueueEntry {
    pub fn format(claim_id: &str, listed_at: i64) -> String {
        format!("{claim_id}@{listed_at}")
    }

    pub fn parse(entry: &str) -> QueueEntry {
        match entry.rsplit_once('@') {
            Some((id, at)) if at.parse::<i64>().is_ok() => QueueEntry {
                claim_id: id.to_owned(),
                listed_at: at.parse().ok(),
            },
            _ => QueueEntry {
                claim_id: entry.to_owned(),
                listed_at: None,
            },
        }
    }

    fn old(&self, now: i64) -> bool {
        self.listed_at
            .is_none_or(|at| now - at >= IN_FLIGHT_GRACE_SECONDS)
    }
}

/// What a reader found in a slot.
pub enum SlotSeen<'a> {
    /// Taken, not yet filled: a writer in flight, or one that died.
    Empty,
    /// An entry, and its claim's status if the claim exists.
    Listed(&'a QueueEntry, Option<ClaimStatus>),
}

/// Whether a slot of a list of claims in `waiting` will never show a waiting claim again.
pub fn settled(waiting: ClaimStatus, seen: &SlotSeen, now: i64) -> bool {
    match seen {
        SlotSeen::Empty => false,
        SlotSeen::Listed(_, Some(status)) if *status == waiting => false,
        // Before the status a list waits for (a claim not yet approved on the payable list,
        // or not yet stored): a change that may still land, until it is old.
        SlotSeen::Listed(entry, Some(ClaimStatus::Submitted)) | SlotSeen::Listed(entry, None) => {
            entry.old(now)
        }
        // Past it: no claim returns to submitted, and one approved again is listed again.
        SlotSeen::Listed(_, Some(_)) => true,
    }
}

/// Where a waiting list's first page starts, kept under `{index}:head`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueHead {
    /// Every slot up to this one is settled.
    pub through: u64,
    /// The empty slot right after `through`, and since when it has been seen empty: a slot
    /// left empty longer than `IN_FLIGHT_GRACE_SECONDS` was taken by a writer that died.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_since: Option<(u64, i64)>,
}

impl QueueHead {
    /// The head after a reader saw the slots right after `through`, in order (`settled` of
    /// each, or `None` for an empty slot). Stops at the first slot that is not settled.
    pub fn advanced(&self, seen: impl IntoIterator<Item = Option<bool>>, now: i64) -> QueueHead {
        let mut head = self.clone();
        for settled in seen {
            let next = head.through + 1;
            let passes = match settled {
                Some(settled) => settled,
                None => match head.empty_since {
                    Some((slot, since)) if slot == next => now - since >= IN_FLIGHT_GRACE_SECONDS,
                    _ => {
                        head.empty_since = Some((next, now));
                        false
                    }
                },
            };
            if !passes {
                break;
            }
            head.through = next;
            head.empty_since = None;
        }
        head
    }

    /// The later of two heads: heads only move on, whoever writes last.
    pub fn max(self, other: QueueHead) -> QueueHead {
        match self.through.cmp(&other.through) {
            std::cmp::Ordering::Less => other,
            std::cmp::Ordering::Greater => self,
            std::cmp::Ordering::Equal => QueueHead {
                through: self.through,
                empty_since: match (self.empty_since, other.empty_since) {
                    (Some(a), Some(b)) => Some(if a.1 <= b.1 { a } else { b }),
                    (a, b) => a.or(b),
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000;

    #[test]
    fn entries_name_when_they_were_listed_and_bare_ids_are_old() {
        let entry = QueueEntry::parse(&QueueEntry::format("c-0a1b", NOW));
        assert_eq!(entry.claim_id, "c-0a1b");
        assert_eq!(entry.listed_at, Some(NOW));
        assert!(!entry.old(NOW + 10));
        assert!(QueueEntry::parse("c-0a1b").old(NOW));
    }

    #[test]
    fn a_slot_settles_once_its_claim_is_past_waiting_or_its_change_died() {
        let young = QueueEntry::parse(&QueueEntry::format("c-1", NOW - 5));
        let old = QueueEntry::parse(&QueueEntry::format("c-1", NOW - IN_FLIGHT_GRACE_SECONDS));
        let listed = |e, s| SlotSeen::Listed(e, s);
        let approved = ClaimStatus::Approved;
        assert!(!settled(approved, &listed(&young, Some(approved)), NOW));
        assert!(settled(
            approved,
            &listed(&young, Some(ClaimStatus::Paid)),
            NOW
        ));
        // An approval in flight: listed, the claim still submitted.
        assert!(!settled(
            approved,
            &listed(&young, Some(ClaimStatus::Submitted)),
            NOW
        ));
        assert!(settled(
            approved,
            &listed(&old, Some(ClaimStatus::Submitted)),
            NOW
        ));
        // A submission in flight: listed, the claim not stored yet.
        let submitted = ClaimStatus::Submitted;
        assert!(!settled(submitted, &listed(&young, None), NOW));
        assert!(settled(submitted, &listed(&old, None), NOW));
        assert!(settled(
            submitted,
            &listed(&young, Some(ClaimStatus::Rejected)),
            NOW
        ));
        assert!(!settled(submitted, &SlotSeen::Empty, NOW));
    }

    #[test]
    fn the_head_moves_over_settled_slots_and_past_an_empty_one_only_when_it_is_old() {
        let head = QueueHead::default().advanced([Some(true), Some(true), Some(false)], NOW);
        assert_eq!(head.through, 2);
        let stuck = head.advanced([None, Some(true)], NOW);
        assert_eq!((stuck.through, stuck.empty_since), (2, Some((3, NOW))));
        let still = stuck.advanced([None, Some(true)], NOW + 10);
        assert_eq!(
            still, stuck,
            "an empty slot seen again keeps when it was first seen"
        );
        let later = stuck.advanced([None, Some(true)], NOW + IN_FLIGHT_GRACE_SECONDS);
        assert_eq!((later.through, later.empty_since), (4, None));
        assert_eq!(later.clone().max(head.clone()), later);
        assert_eq!(head.max(later.clone()), later);
    }
}
