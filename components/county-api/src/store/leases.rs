//! Leases: a month's invoice build, held by one request at a time.

use super::*;

impl Store {
    /// Runs `work` holding a platform month's invoice build: one step at a time. A request
    /// finding it held waits a little, then gets 409 `invoice_build_busy`.
    pub fn holding_invoice_build<T>(
        &self,
        platform: &PlatformId,
        month: &str,
        now: i64,
        work: impl FnOnce() -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let lease = store_keys::invoice_build_lease(&self.county, platform, month);
        self.holding(&lease, now, invoice_build_busy, work)
    }

    /// Runs `work` holding a lease, waiting a little for another holder, superseding a dead
    /// one; `busy` when it stays held.
    pub(super) fn holding<T>(
        &self,
        lease: &Lease,
        now: i64,
        busy: fn() -> ApiError,
        work: impl FnOnce() -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut waits = 0;
        let held = loop {
            if let Some(held) = self.take_lease(lease, now)? {
                break held;
            }
            if let Some(held) = self.supersede_lease(lease, now)? {
                break held;
            }
            // Another request is in flight: it ends within milliseconds (a build step, in
            // a second or two).
            if waits == LEASE_WAITS {
                return Err(busy());
            }
            waits += 1;
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let result = work();
        // Tried again past a passing fault; should it still fail, the lease blocks for at
        // most its minute, and the result, which is stored, matters more.
        for _ in 0..3 {
            if self.release_lease(&held).is_ok() {
                break;
            }
        }
        result
    }

    /// Takes a lease; `None` when another request holds it. Every part of a lease is a
    /// counter or a value with one writer, so no first write can race another: the current
    /// generation (`gen`, only ever incremented), one holder counter per generation (the
    /// increment that finds it free holds it) and when that generation was taken.
    pub(super) fn take_lease(
        &self,
        lease: &Lease,
        now: i64,
    ) -> Result<Option<HeldLease>, ApiError> {
        let generation = self.counter(&lease.generation())?;
        // The clock first: a holder killed right after taking the counter has one to expire
        // by. Only the first try of a generation starts it (retries must not keep a dead
        // holder alive); concurrent first tries write times a moment apart.
        let clock = lease.taken_at(generation);
        if self.get_json::<i64>(&clock)?.is_none() {
            self.set_json(&clock, &now)?;
        }
        if !self.take_once(&lease.holders(generation))? {
            return Ok(None);
        }
        Ok(Some(HeldLease {
            lease: lease.clone(),
            generation,
        }))
    }

    /// Takes a lease whose holder is presumed dead (`dead_holder`); `None` when it is not, or
    /// another request superseded it first.
    pub(super) fn supersede_lease(
        &self,
        lease: &Lease,
        now: i64,
    ) -> Result<Option<HeldLease>, ApiError> {
        let Some(generation) = self.dead_holder(lease, now, true)? else {
            return Ok(None);
        };
        // One request moves past the dead holder's generation.
        if !self.take_once(&lease.superseded(generation))? {
            return Ok(None);
        }
        self.add(&lease.generation(), 1)?;
        self.take_lease(lease, now)
    }

    /// The generation of a lease whose holder is presumed dead (`lease::expired`); none while
    /// it is free or its holder may be alive. With `start_clock`, a held lease with no clock
    /// (taken by an earlier version of the app) gets its clock started now.
    pub(super) fn dead_holder(
        &self,
        lease: &Lease,
        now: i64,
        start_clock: bool,
    ) -> Result<Option<u64>, ApiError> {
        let generation = self.counter(&lease.generation())?;
        if self.counter(&lease.holders(generation))? == 0 {
            return Ok(None);
        }
        match self.get_json::<i64>(&lease.taken_at(generation))? {
            None => {
                if start_clock {
                    self.set_json(&lease.taken_at(generation), &now)?;
                }
                Ok(None)
            }
            Some(at) => Ok(subsidy_rules::lease::expired(at, now).then_some(generation)),
        }
    }

    /// Gives a lease back: the next generation is free to take. A holder superseded meanwhile
    /// (presumed dead, yet alive) gives back nothing.
    pub(super) fn release_lease(&self, held: &HeldLease) -> Result<(), ApiError> {
        if self.counter(&held.lease.generation())? == held.generation {
            self.add(&held.lease.generation(), 1)?;
        }
        Ok(())
    }
}
