//! Leases: a hold on something (a person's limit places, an `Idempotency-Key`) that one request
//! at a time can have, and that expires, so that an instance killed while holding it blocks
//! nobody for long and leaves nothing that needs our help.
//!
//! A lease is taken by an atomic increment of a counter for its current generation: the
//! increment that finds it free holds it, and writes the record (generation, taken when).
//! Giving it back moves the record to the next generation, free. A holder presumed dead (held
//! longer than `LEASE_SECONDS`) is superseded by moving the record to the next generation
//! under compare-and-swap: the one request that wins the move takes the new generation's
//! counter; the dead holder's counter is never used again.

use serde::{Deserialize, Serialize};

/// How long a lease holds before its holder is presumed dead. A request holds a lease for a
/// few store operations (milliseconds); one still holding it a minute later was killed.
pub const LEASE_SECONDS: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRecord {
    pub generation: u64,
    /// When the holder of `generation` took it (Unix seconds); `None` while free, or while
    /// held by a taker that has not written this record yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<i64>,
}

impl LeaseRecord {
    /// The record of `generation` held since `now`.
    pub fn taken(generation: u64, now: i64) -> LeaseRecord {
        LeaseRecord {
            generation,
            taken_at: Some(now),
        }
    }

    /// The record once `generation` is given back: the next generation, free.
    pub fn released(generation: u64) -> LeaseRecord {
        LeaseRecord {
            generation: generation + 1,
            taken_at: None,
        }
    }

    /// The record of a lease never taken: generation 0, free.
    pub fn never_taken() -> LeaseRecord {
        LeaseRecord {
            generation: 0,
            taken_at: None,
        }
    }

    /// Whether its holder is presumed dead.
    pub fn expired(&self, now: i64) -> bool {
        self.taken_at.is_some_and(|at| now - at >= LEASE_SECONDS)
    }

    /// The record once a dead holder is superseded: the next generation, taken now.
    pub fn superseded(&self, now: i64) -> LeaseRecord {
        LeaseRecord::taken(self.generation + 1, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_expires_after_its_time_and_is_superseded_by_the_next_generation() {
        let lease = LeaseRecord::taken(0, 1_000);
        assert!(!lease.expired(1_000 + LEASE_SECONDS - 1));
        assert!(lease.expired(1_000 + LEASE_SECONDS));
        let next = lease.superseded(2_000);
        assert_eq!(next, LeaseRecord::taken(1, 2_000));
        assert!(!next.expired(2_000));
        // Given back, the next generation is free, and a free lease never expires.
        let free = LeaseRecord::released(1);
        assert_eq!((free.generation, free.taken_at), (2, None));
        assert!(!free.expired(i64::MAX));
    }
}
