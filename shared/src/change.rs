//! Who changed a record and when: every operator write carries one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::dates::audit_timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The operator's token subject.
    pub by: String,
    /// RFC 3339, China Standard Time.
    pub at: String,
}

impl Change {
    pub fn new(by: &str, at: DateTime<Utc>) -> Change {
        Change {
            by: by.to_owned(),
            at: audit_timestamp(at),
        }
    }
}
