//! Leases: a hold on something (a month's invoice build) that one request at a time can have,
//! and that expires (the same time bounds a claim's filing in flight, `claims_file`), so that an instance killed while holding it blocks
//! nobody for long and leaves nothing that needs our help.
//!
//! A lease is taken by an atomic increment of a counter for its current generation: the
//! increment that finds it free holds it, and writes when it took it. Giving it back moves
//! the generation on (an increment). A holder presumed dead (held longer than
//! `LEASE_SECONDS`) is superseded: the one request that wins a once-only counter for that
//! generation moves it on and takes the next; the dead holder's counter is never used again.
//! Counters only, because on Spin's SQLite store a first write cannot see a concurrent one.

/// How long a lease holds before its holder is presumed dead. A request holds a lease for a
/// few store operations (milliseconds); one still holding it a minute later was killed.
pub const LEASE_SECONDS: i64 = 60;

/// Whether the holder of a lease taken at `taken_at` is presumed dead at `now`.
pub fn expired(taken_at: i64, now: i64) -> bool {
    now - taken_at >= LEASE_SECONDS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_expires_after_its_time() {
        assert!(!expired(1_000, 1_000 + LEASE_SECONDS - 1));
        assert!(expired(1_000, 1_000 + LEASE_SECONDS));
    }
}
