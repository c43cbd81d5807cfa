//! Every change of a county table is kept: each revision names where the one before it is
//! kept, so the history (who changed what, when, from what to what) is a chain read back from
//! the table in force.

/// A county table that keeps its history.
pub trait Versioned: Sized {
    /// Grows by one with every change.
    fn revision(&self) -> u64;
    /// Where the revision before this one is kept; none for the first.
    fn previous(&self) -> Option<&str>;
    /// This revision, naming where the one before it is kept.
    fn kept_at(self, previous: String) -> Self;
}
