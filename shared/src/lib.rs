//! The rules of the Shandong 2020 online-training subsidies (鲁人社字〔2020〕11号): the living
//! allowance for key-group trainees and the platform subsidy. Pure domain logic: types that
//! cannot hold invalid values, the policy as versioned data, and eligibility as a function.

pub mod accounts;
mod amounts;
pub mod auth;
pub mod calendar;
mod change;
pub mod claim;
pub mod claim_action;
pub mod claim_status;
pub mod claims_file;
pub mod completion;
mod county;
pub mod credentials;
pub mod dates;
pub mod eligibility;
pub mod events;
pub mod export;
pub mod history;
pub mod invoice;
pub mod journal;
mod key_group;
pub mod lease;
mod occupation;
pub mod offers;
pub mod payment;
mod person_key;
pub mod platform_auth;
pub mod platforms;
pub mod policy;
pub mod publicity;
pub mod queue;
mod reason;
pub mod registry;
pub mod report;
mod resident_id;
pub mod standards;
pub mod store_keys;
pub mod training;

/// How long a request may leave its work half done before what it left counts as abandoned.
/// An invoice build stores its invoice within seconds; a record marked longer ago by a build
/// whose invoice never appeared was left by an instance that died, and is freed (by the next
/// build of its month, or reconcile).
pub const IN_FLIGHT_GRACE_SECONDS: i64 = 600;

pub use amounts::{DecimalText, StudyHours, Yuan};
pub use change::Change;
pub use claim_status::{ClaimStatus, PriorClaim};
pub use county::CountyCode;
pub use key_group::PersonGroup;
pub use occupation::{Course, OccupationCode, SkillLevel};
pub use person_key::PersonKey;
pub use platforms::{PlatformId, PlatformRegister};
pub use policy::{PolicyBook, PolicyVersion, TrainingMode};
pub use reason::{AllParsed, Problems, Reason, bounded_text, field, optional_field};
pub use registry::RegistryEntry;
pub use resident_id::ResidentId;
pub use standards::StandardsTable;
