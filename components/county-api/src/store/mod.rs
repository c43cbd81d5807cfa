//! The one way components reach the key-value store. Keys come from
//! `subsidy_rules::store_keys`; this layer adds the encoding (JSON, counters) and the
//! concurrency rules of `docs/spin.md`: plain get/set, compare-and-swap for read-modify-write
//! of shared documents, atomic increment for counters, never a key listing.
//!
//! **Writes whose outcome is always known.** Every document is stored in an envelope naming
//! the write that made it, `{"write":"<id>","value":…}`. A write the store does not confirm
//! may still have landed: on Spin's Redis backend every compare-and-swap reports failure
//! whether or not its `SET` was applied, and any `set` or swap can error after applying (a
//! timeout). So after such a write the key is read back: our id there means it landed and the
//! request carries on; another id means it did not (a swap then retries from a fresh read, a
//! set reports its error). Counters stay on `increment`, which every backend applies
//! atomically and confirms.

use std::collections::BTreeMap;

use chrono::Datelike;
use serde::{Serialize, de::DeserializeOwned};
use spin_sdk::wit::wasi::keyvalue::{atomics, store};
use subsidy_rules::{
    CountyCode, Course, PersonGroup, PersonKey, PlatformId, PriorClaim, RegistryEntry,
    accounts::{AccountEvent, LoginName, OperatorAccount},
    claim::{Claim, Reservation, ReviewQueue},
    completion::{CompletionRecord, Listed},
    credentials::Credential,
    eligibility::LimitRefusal,
    invoice::{BillingIntent, BuildStart, Invoice, InvoiceLine, InvoicePage, InvoiceState},
    journal::JournalEntry,
    queue::{self, Desk, QueueEntry, QueueHead, SlotSeen},
    registry::RegistryPeriods,
    report, store_keys,
    store_keys::{Index, Lease},
    training::TrainingCalendar,
};

use crate::{ApiError, ErrorKind};

/// The store label every component lists in `key_value_stores`.
const LABEL: &str = "default";

/// An invoice as stored: the invoice without its lines, which are kept in `line_pages` pages
/// of their own, the counts beside the invoice's fields. An invoice stored whole by an earlier
/// version (no pages) still reads.
#[derive(Serialize)]
pub struct StoredInvoice {
    #[serde(flatten)]
    pub invoice: Invoice,
    pub line_pages: u32,
    pub line_count: usize,
}

/// Read in two passes over the stored text, the invoice's fields and then the counts: serde's
/// `flatten` would buffer the document in a generic tree first, which cost a component that
/// reads invoices 25 KB of code (platform-invoices, 2026-12-07). The JSON is the same.
impl Document for StoredInvoice {
    fn decode(key: &str, bytes: &[u8]) -> Result<(Lineage, Self), ApiError> {
        #[derive(serde::Deserialize)]
        struct PageCounts {
            #[serde(default)]
            line_pages: u32,
            #[serde(default)]
            line_count: usize,
        }
        let (lineage, invoice) = decode(key, bytes)?;
        let (_, counts): (_, PageCounts) = decode(key, bytes)?;
        let (line_pages, line_count) = (counts.line_pages, counts.line_count);
        let stored = StoredInvoice {
            invoice,
            line_pages,
            line_count,
        };
        Ok((lineage, stored))
    }
}

/// What the store reads and writes as one JSON document (in its envelope).
pub(crate) trait Document: Serialize + Sized {
    fn decode(key: &str, bytes: &[u8]) -> Result<(Lineage, Self), ApiError>;
}

impl<T: Serialize + DeserializeOwned> Document for T {
    fn decode(key: &str, bytes: &[u8]) -> Result<(Lineage, Self), ApiError> {
        decode(key, bytes)
    }
}

impl StoredInvoice {
    /// Its lines in all, whether in pages or (stored whole by an earlier version) in it.
    pub fn lines_in_all(&self) -> usize {
        self.line_count.max(self.invoice.lines.len())
    }
}

/// Attempts at a compare-and-swap before answering 409: only hot contention gets there.
const CAS_ATTEMPTS: usize = 8;

pub struct Store {
    bucket: store::Bucket,
    county: CountyCode,
    /// This request's writer id, drawn at its first write; each write adds a sequence number.
    writer: std::cell::OnceCell<String>,
    writes: std::cell::Cell<u32>,
    /// The county tables as this request read or wrote them, by key (`tables.rs`).
    tables: std::cell::RefCell<Vec<(String, Box<dyn std::any::Any>)>>,
}

/// The start of every enveloped value: how a read tells an envelope from a value stored bare
/// by an earlier version of the app (which it still reads).
const ENVELOPE_START: &[u8] = br#"{"write":""#;

/// Earlier writes an envelope remembers besides its own: a write that landed and was changed
/// again by someone else before its read-back is still recognised as landed.
const REMEMBERED_WRITES: usize = 7;

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    write: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    earlier: &'a [String],
    value: &'a T,
}

#[derive(serde::Deserialize)]
struct EnvelopeIn<T> {
    write: String,
    #[serde(default)]
    earlier: Vec<String>,
    value: T,
}

/// The writes a stored value descends from, newest first (none for a bare value).
type Lineage = Vec<String>;

/// Decodes a stored value and its lineage.
fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<(Lineage, T), ApiError> {
    if bytes.starts_with(ENVELOPE_START) {
        let envelope: EnvelopeIn<T> = serde_json::from_slice(bytes).map_err(|e| corrupt(key, e))?;
        let mut lineage = envelope.earlier;
        lineage.insert(0, envelope.write);
        Ok((lineage, envelope.value))
    } else {
        let value = serde_json::from_slice(bytes).map_err(|e| corrupt(key, e))?;
        Ok((Vec::new(), value))
    }
}

/// Whether the value at a key is, or descends from, `write`; reads only the envelope's ids.
fn written_by(bytes: &[u8], write: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct WriteIds {
        write: String,
        #[serde(default)]
        earlier: Vec<String>,
    }
    bytes.starts_with(ENVELOPE_START)
        && serde_json::from_slice::<WriteIds>(bytes)
            .is_ok_and(|w| w.write == write || w.earlier.iter().any(|e| e == write))
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("store values serialize")
}

/// Reads tried to settle a write's outcome before giving up on knowing it.
const READ_BACK_ATTEMPTS: usize = 3;

/// What reading a key back says of a write.
enum Outcome {
    Landed,
    NotLanded,
    /// The key could not be read: the write's fate is unknown.
    Unknown,
}

/// A record's entry in its trainee's list of records.
fn person_entry(platform: &PlatformId, record_id: &str) -> String {
    format!("{platform}/{record_id}")
}

/// Times (20 ms each: two seconds in all) a request waits for a lease (a person's places, an
/// invoice build) held by another before answering 409.
const LEASE_WAITS: u32 = 100;

/// Times (10 ms each) a first send of a record waits for a concurrent first send to create
/// it; past that its creator is presumed dead and the record is written regardless.
const CREATE_WAITS: u32 = 50;

/// A lease this request holds.
pub struct HeldLease {
    lease: Lease,
    generation: u64,
}

fn person_busy() -> ApiError {
    ApiError::new(
        ErrorKind::InProgress,
        subsidy_rules::Reason::new(
            "person_busy",
            "此人的另一项申领操作正在处理，请稍后重试",
            "Another request is changing this person's claims; please retry shortly",
        ),
    )
}

fn invoice_build_busy() -> ApiError {
    ApiError::new(
        ErrorKind::InProgress,
        subsidy_rules::Reason::new(
            "invoice_build_busy",
            "该平台本月的发票正在由另一请求开具，请稍后重试",
            "Another request is building this platform's invoice for the month; please retry shortly",
        ),
    )
}

fn unavailable(detail: impl std::fmt::Display) -> ApiError {
    ApiError::server(
        ErrorKind::Unavailable,
        "store_unavailable",
        "数据存储暂不可用，请稍后重试",
        "The data store is unavailable for now; please retry",
        format_args!("the key-value store failed: {detail}"),
    )
}

fn corrupt(key: &str, detail: impl std::fmt::Display) -> ApiError {
    ApiError::server(
        ErrorKind::Internal,
        "store_corrupt",
        "存储的数据无法读取，请联系系统管理员",
        "Stored data could not be read; please tell the system administrator",
        format_args!("the value at {key} does not decode: {detail}"),
    )
}

fn store_error(e: store::Error) -> ApiError {
    match e {
        store::Error::NoSuchStore => unavailable("no such store"),
        store::Error::AccessDenied => {
            unavailable("access denied (is the store in key_value_stores?)")
        }
        store::Error::Other(detail) => unavailable(detail),
    }
}

mod accounts;
mod billing;
mod claims;
mod completions;
mod credentials;
mod indexes;
mod invoices;
mod journal;
mod leases;
mod limits;
mod registry;
mod report_counters;
mod tables;

impl Store {
    pub fn open(county: &CountyCode) -> Result<Store, ApiError> {
        Ok(Store {
            bucket: store::open(LABEL).map_err(store_error)?,
            county: county.clone(),
            writer: std::cell::OnceCell::new(),
            writes: std::cell::Cell::new(0),
            tables: std::cell::RefCell::new(Vec::new()),
        })
    }

    /// A fresh id for one write: this request's writer id and a sequence number.
    fn next_write_id(&self) -> Result<String, ApiError> {
        let writer = match self.writer.get() {
            Some(writer) => writer,
            None => {
                let drawn = crate::random_hex(8)?;
                self.writer.get_or_init(|| drawn)
            }
        };
        let n = self.writes.get() + 1;
        self.writes.set(n);
        Ok(format!("{writer}-{n}"))
    }

    /// `value` in its envelope: made by `write`, descending from `earlier` (newest first).
    fn encode<T: Serialize>(&self, write: &str, earlier: &[String], value: &T) -> Vec<u8> {
        let earlier = &earlier[..earlier.len().min(REMEMBERED_WRITES)];
        serde_json::to_vec(&EnvelopeOut {
            write,
            earlier,
            value,
        })
        .expect("store values serialize")
    }

    /// Reads `key` back to learn whether `write` landed.
    fn outcome(&self, key: &str, write: &str) -> Outcome {
        for _ in 0..READ_BACK_ATTEMPTS {
            match self.bucket.get(key) {
                Ok(Some(bytes)) if written_by(&bytes, write) => return Outcome::Landed,
                Ok(_) => return Outcome::NotLanded,
                Err(_) => continue,
            }
        }
        Outcome::Unknown
    }

    fn get_json<T: Document>(&self, key: &str) -> Result<Option<T>, ApiError> {
        match self.bucket.get(key).map_err(store_error)? {
            None => Ok(None),
            Some(bytes) => T::decode(key, &bytes).map(|(_, value)| Some(value)),
        }
    }

    /// Writes a document. A `set` that errors may still have been applied: it counts as done
    /// when the key reads back with this write's id.
    fn set_json<T: Serialize>(&self, key: &str, value: &T) -> Result<(), ApiError> {
        let write = self.next_write_id()?;
        match self.bucket.set(key, &self.encode(&write, &[], value)) {
            Ok(()) => Ok(()),
            Err(error) => match self.outcome(key, &write) {
                Outcome::Landed => Ok(()),
                Outcome::NotLanded | Outcome::Unknown => Err(store_error(error)),
            },
        }
    }

    /// Read-modify-write of one JSON document, retried on a concurrent change; a change that
    /// changes nothing writes nothing. A swap that is
    /// not confirmed (on Redis, none is) is settled by reading the key back: this write's id
    /// there means done; another's means a concurrent change, and the change is made again
    /// from what is there now. On the SQLite backend a document's very first write cannot
    /// detect a concurrent first write (a swap from absent is an upsert); every later write
    /// can, and Redis detects both.
    fn update_json<T, F>(&self, key: &str, mut change: F) -> Result<T, ApiError>
    where
        T: Document,
        F: FnMut(Option<T>) -> Result<T, ApiError>,
    {
        for _ in 0..CAS_ATTEMPTS {
            let cas = atomics::Cas::new(&self.bucket, key).map_err(store_error)?;
            let (lineage, current) = match cas.current().map_err(store_error)? {
                None => (Vec::new(), None),
                Some(bytes) => {
                    let (lineage, value) = T::decode(key, &bytes)?;
                    (lineage, Some(value))
                }
            };
            let before = current.as_ref().map(to_json);
            let next = change(current)?;
            // Nothing to change (a retried transition, a lease as it is): nothing written.
            if before.is_some_and(|before| before == to_json(&next)) {
                return Ok(next);
            }
            let write = self.next_write_id()?;
            let error = match atomics::swap(cas, &self.encode(&write, &lineage, &next)) {
                Ok(()) => return Ok(next),
                Err(atomics::CasError::CasFailed(_)) => None,
                Err(atomics::CasError::StoreError(e)) => Some(store_error(e)),
            };
            match (self.outcome(key, &write), error) {
                (Outcome::Landed, _) => return Ok(next),
                (Outcome::NotLanded, None) => continue,
                (Outcome::NotLanded, Some(error)) => return Err(error),
                (Outcome::Unknown, error) => {
                    return Err(error.unwrap_or_else(|| unavailable("a swap's outcome is unknown")));
                }
            }
        }
        Err(ApiError::new(
            ErrorKind::Contention,
            subsidy_rules::Reason::new(
                "concurrent_change",
                "数据正被他人同时修改，请重试",
                "Someone else changed the same data at the same moment; please retry",
            ),
        ))
    }

    /// Reads a counter without changing it: counters are only ever touched by increment.
    fn counter(&self, key: &str) -> Result<u64, ApiError> {
        let value = atomics::increment(&self.bucket, key, 0).map_err(store_error)?;
        Ok(value.max(0) as u64)
    }

    fn add(&self, key: &str, delta: i64) -> Result<i64, ApiError> {
        atomics::increment(&self.bucket, key, delta).map_err(store_error)
    }

    /// Gives back one increment. Compensation must not be lost to a passing fault: it is tried
    /// again a few times before the failure is reported.
    fn undo(&self, key: &str) -> Result<(), ApiError> {
        let mut last = None;
        for _ in 0..3 {
            match self.add(key, -1) {
                Ok(_) => return Ok(()),
                Err(error) => last = Some(error),
            }
        }
        Err(last.expect("three attempts failed"))
    }

    /// Takes a once-only place (a course for billing, an idempotency key): true for the one
    /// increment that found it free. Any other gives its increment back at once, so that when
    /// the holder gives the place back it is free again.
    fn take_once(&self, key: &str) -> Result<bool, ApiError> {
        if self.add(key, 1)? == 1 {
            return Ok(true);
        }
        self.undo(key)?;
        Ok(false)
    }
}

/// A journal entry and the slot it was read from.
pub type SlottedEntry = (u64, JournalEntry);

/// Where a page of a log starts: oldest first after a slot, or newest first before one (from
/// the newest when 0).
#[derive(Debug, Clone, Copy)]
pub enum LogPage {
    After(u64),
    Before(u64),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_name_their_write_and_bare_values_still_read() {
        let bytes = serde_json::to_vec(&EnvelopeOut {
            write: "w-3",
            earlier: &["w-2".to_owned(), "w-1".to_owned()],
            value: &"c-0123",
        })
        .unwrap();
        assert!(bytes.starts_with(ENVELOPE_START));
        let (lineage, value): (Lineage, String) = decode("k", &bytes).unwrap();
        assert_eq!(
            (lineage, value.as_str()),
            (vec!["w-3".into(), "w-2".into(), "w-1".into()], "c-0123")
        );
        assert!(written_by(&bytes, "w-3") && written_by(&bytes, "w-1"));
        assert!(!written_by(&bytes, "w-4"));
        // A value stored bare by an earlier version of the app: read, written by no one.
        let (lineage, value): (Lineage, String) = decode("k", br#""c-0123""#).unwrap();
        assert_eq!((lineage.len(), value.as_str()), (0, "c-0123"));
        assert!(!written_by(br#""c-0123""#, "w-3"));
    }
}
