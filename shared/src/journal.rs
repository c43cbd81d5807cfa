//! The county's journal: every multi-step write that can leave partial state records what it
//! is about to do before it does it, so that reconcile can find whatever a killed instance
//! left, check it against the records, and complete or undo it.

use serde::{Deserialize, Serialize};

use crate::{PersonKey, PlatformId, lease::LEASE_SECONDS};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JournalEntry {
    /// A claim submission about to take the person's limit places and bind the record.
    Submission {
        claim_id: String,
        person: PersonKey,
        platform_id: PlatformId,
        record_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        idempotency_key: Option<String>,
        /// Unix seconds.
        at: i64,
    },
    /// An invoice build about to take courses and mark records with its number.
    InvoiceBuild {
        platform_id: PlatformId,
        month: String,
        number: String,
        at: i64,
    },
}

impl JournalEntry {
    /// Whether the request that wrote the entry has certainly ended by `now`: a submission
    /// holds its person's lease throughout, an invoice build marks records with their time
    /// and is judged by the grace its repairs use.
    pub fn ended_by(&self, now: i64) -> bool {
        match self {
            JournalEntry::Submission { at, .. } => now - at >= LEASE_SECONDS,
            JournalEntry::InvoiceBuild { at, .. } => now - at >= crate::IN_FLIGHT_GRACE_SECONDS,
        }
    }

    pub fn to_entry(&self) -> String {
        serde_json::to_string(self).expect("journal entries serialize")
    }

    /// An entry as written; `None` for one this version does not know.
    pub fn from_entry(entry: &str) -> Option<JournalEntry> {
        serde_json::from_str(entry).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_back_and_end_after_their_requests_could_have() {
        let submission = JournalEntry::Submission {
            claim_id: "c-1".into(),
            person: PersonKey::derive(
                b"s",
                &crate::ResidentId::parse(&crate::resident_id::tests::with_check(
                    "37090219900307123",
                ))
                .unwrap(),
            ),
            platform_id: PlatformId::parse("wljnpx").unwrap(),
            record_id: "r1".into(),
            idempotency_key: Some("mp-0001".into()),
            at: 1_000,
        };
        let build = JournalEntry::InvoiceBuild {
            platform_id: PlatformId::parse("wljnpx").unwrap(),
            month: "2020-03".into(),
            number: "370902-wljnpx-202003-1".into(),
            at: 1_000,
        };
        for entry in [&submission, &build] {
            assert_eq!(
                JournalEntry::from_entry(&entry.to_entry()).as_ref(),
                Some(entry)
            );
        }
        assert_eq!(JournalEntry::from_entry(r#"{"kind":"later"}"#), None);
        assert!(!submission.ended_by(1_000 + LEASE_SECONDS - 1));
        assert!(submission.ended_by(1_000 + LEASE_SECONDS));
        assert!(!build.ended_by(1_000 + LEASE_SECONDS));
        assert!(build.ended_by(1_000 + crate::IN_FLIGHT_GRACE_SECONDS));
    }
}
