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

use crate::{ClaimStatus, IN_FLIGHT_GRACE_SECONDS, claim::Claim, claim::ReviewQueue};

/// Where a live claim waits for the county (decision: every live claim is in exactly one
/// place): a review queue while submitted, finance's desk while payable, else with the
/// trainee (a returned payment whose payee is not yet corrected) or nowhere (paid, ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Desk {
    Review(ReviewQueue),
    /// Finance's desk: approved, or returned with the payee corrected since.
    Payable,
}

impl Claim {
    /// Whether the claim waits on `desk` now. (Which review queue a submitted claim is in is
    /// the queue's to say; on either it waits while submitted.)
    pub fn waits_on(&self, desk: Desk) -> bool {
        match desk {
            Desk::Review(_) => self.status == ClaimStatus::Submitted,
            Desk::Payable => {
                self.status == ClaimStatus::Approved
                    || (self.status == ClaimStatus::PaymentReturned
                        && self.payee_corrected_since_return())
            }
        }
    }

    /// Whether the trainee corrected the payee after the payment last came back.
    fn payee_corrected_since_return(&self) -> bool {
        (self.transitions.last()).is_some_and(|t| {
            t.from == Some(ClaimStatus::PaymentReturned) && t.to == t.from.unwrap()
        })
    }
}

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
    /// An entry, and its claim if it exists.
    Listed(&'a QueueEntry, Option<&'a Claim>),
}

/// Whether a slot of `desk`'s list will never show a waiting claim again.
pub fn settled(desk: Desk, seen: &SlotSeen, now: i64) -> bool {
    match seen {
        SlotSeen::Empty => false,
        SlotSeen::Listed(_, Some(claim)) if claim.waits_on(desk) => false,
        // Before it waits there (a claim not yet approved on the payable list, or not yet
        // stored): a change that may still land, until it is old.
        SlotSeen::Listed(entry, None) => entry.old(now),
        SlotSeen::Listed(entry, Some(claim)) if claim.status == ClaimStatus::Submitted => {
            entry.old(now)
        }
        // Past it: no claim returns to submitted, and one that comes back to the desk (its
        // payee corrected after a returned payment) is listed again.
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

    fn in_state(status: ClaimStatus) -> Claim {
        Claim {
            status,
            ..crate::claim::tests::claim()
        }
    }

    #[test]
    fn a_slot_settles_once_its_claim_is_past_waiting_or_its_change_died() {
        let young = QueueEntry::parse(&QueueEntry::format("c-1", NOW - 5));
        let old = QueueEntry::parse(&QueueEntry::format("c-1", NOW - IN_FLIGHT_GRACE_SECONDS));
        let listed = |e, c| SlotSeen::Listed(e, c);
        let (approved, paid) = (in_state(ClaimStatus::Approved), in_state(ClaimStatus::Paid));
        let submitted = in_state(ClaimStatus::Submitted);
        let desk = Desk::Payable;
        assert!(!settled(desk, &listed(&young, Some(&approved)), NOW));
        assert!(settled(desk, &listed(&young, Some(&paid)), NOW));
        // An approval in flight: listed, the claim still submitted.
        assert!(!settled(desk, &listed(&young, Some(&submitted)), NOW));
        assert!(settled(desk, &listed(&old, Some(&submitted)), NOW));
        // A submission in flight: listed, the claim not stored yet.
        let review = Desk::Review(ReviewQueue::Review);
        assert!(!settled(review, &listed(&young, None), NOW));
        assert!(settled(review, &listed(&old, None), NOW));
        let rejected = in_state(ClaimStatus::Rejected);
        assert!(settled(review, &listed(&young, Some(&rejected)), NOW));
        assert!(!settled(review, &SlotSeen::Empty, NOW));
    }

    #[test]
    fn a_returned_claim_is_back_on_the_desk_once_its_payee_is_corrected() {
        let change = crate::Change::new("op", chrono::Utc::now());
        let approved = crate::publicity::tests::after_notice(&in_state(ClaimStatus::Approved));
        let paid = (approved.paid(change.clone(), crate::payment::tests::payment("B-1"))).unwrap();
        let returned = paid
            .payment_returned(change.clone(), "销户".into())
            .unwrap();
        assert!(!returned.waits_on(Desk::Payable), "waits for the trainee");
        let payee = crate::claim::Payee {
            account: "6217009999999999999".into(),
            ..returned.payee.clone()
        };
        let corrected = returned.payee_corrected(change, payee).unwrap();
        assert!(corrected.waits_on(Desk::Payable));
        assert!(!corrected.waits_on(Desk::Review(ReviewQueue::Review)));
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
