//! Every change of a county table is kept: each revision names where the one before it is
//! kept, so the history (who changed what, when, from what to what) is a chain read back from
//! the table in force.

use crate::CountyCode;

/// A county table that keeps its history.
pub trait Versioned: Sized {
    /// Grows by one with every change.
    fn revision(&self) -> u64;
    /// Where the revision before this one is kept; none for the first.
    fn previous(&self) -> Option<&str>;
    /// This revision, naming where the one before it is kept.
    fn kept_at(self, previous: String) -> Self;
}

/// One of the county's three revisioned tables (the standards, the platform register, the
/// policy versions the county added): where it is stored, what a county has before anyone
/// changed it, and its name in `GET /api/policy/history?table=`.
pub trait CountyTable:
    Versioned + Clone + serde::Serialize + serde::de::DeserializeOwned + 'static
{
    const NAME: &'static str;
    fn key(county: &CountyCode) -> String;
    fn initial(county: &CountyCode) -> Self;
}

impl CountyTable for crate::StandardsTable {
    const NAME: &'static str = "standards";
    fn key(county: &CountyCode) -> String {
        crate::store_keys::standards(county)
    }
    fn initial(_: &CountyCode) -> Self {
        Self::default()
    }
}

impl CountyTable for crate::PlatformRegister {
    const NAME: &'static str = "platforms";
    fn key(county: &CountyCode) -> String {
        crate::store_keys::platforms(county)
    }
    /// Until an operator changes it, the built-in seed from the notices.
    fn initial(county: &CountyCode) -> Self {
        Self::seed_for(county)
    }
}

impl CountyTable for crate::calendar::AddedCalendar {
    const NAME: &'static str = "calendar";
    fn key(county: &CountyCode) -> String {
        crate::store_keys::added_calendar(county)
    }
    fn initial(_: &CountyCode) -> Self {
        Self::default()
    }
}

impl CountyTable for crate::policy::AddedVersions {
    const NAME: &'static str = "policy_versions";
    fn key(county: &CountyCode) -> String {
        crate::store_keys::added_policy_versions(county)
    }
    fn initial(_: &CountyCode) -> Self {
        Self::default()
    }
}
