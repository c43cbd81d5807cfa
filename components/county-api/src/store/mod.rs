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

use serde::{Serialize, de::DeserializeOwned};
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store};
use subsidy_rules::{
    CountyCode, Course, PersonGroup, PersonKey, PlatformId, RegistryEntry,
    accounts::{AccountEvent, LoginName, OperatorAccount},
    claim::{Claim, ReviewQueue},
    completion::{CompletionRecord, Listed},
    credentials::Credential,
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
#[derive(Clone, Serialize)]
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
    /// Values read ahead in one batch (`prefetch`), absent ones as `None`, until this request
    /// writes their key.
    prefetched: std::cell::RefCell<Vec<(String, Option<Vec<u8>>)>>,
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

/// Times (20 ms each: two seconds in all) a request waits for a lease (an invoice build) held
/// by another before answering 409.
const LEASE_WAITS: u32 = 100;

/// Times (10 ms each) a first send of a record waits for a concurrent first send to create
/// it; past that its creator is presumed dead and the record is written regardless.
const CREATE_WAITS: u32 = 50;

/// A document read under a compare-and-swap opened early in a request (`open_json`).
pub struct Opened<T> {
    cas: atomics::Cas,
    key: String,
    lineage: Lineage,
    /// The document as read.
    pub current: Option<T>,
}

/// A lease this request holds.
pub struct HeldLease {
    lease: Lease,
    generation: u64,
}

/// 409 after `CAS_ATTEMPTS` swaps each lost to another write: only hot contention gets here.
fn concurrent_change() -> ApiError {
    ApiError::new(
        ErrorKind::Contention,
        subsidy_rules::Reason::new(
            "concurrent_change",
            "数据正被他人同时修改，请重试",
            "Someone else changed the same data at the same moment; please retry",
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
    ApiError::store_unavailable(detail)
}

pub(crate) fn corrupt(key: &str, detail: impl std::fmt::Display) -> ApiError {
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
mod claims_files;
mod completions;
mod credentials;
mod feeds;
mod indexes;
mod invoices;
mod journal;
mod leases;
mod notices;
mod registry;
mod report_counters;
mod tables;

pub use feeds::FeedPage;
pub(crate) use feeds::Slots;

impl Store {
    pub fn open(county: &CountyCode) -> Result<Store, ApiError> {
        Ok(Store {
            bucket: store::open(LABEL).map_err(store_error)?,
            county: county.clone(),
            writer: std::cell::OnceCell::new(),
            writes: std::cell::Cell::new(0),
            tables: std::cell::RefCell::new(Vec::new()),
            prefetched: std::cell::RefCell::new(Vec::new()),
        })
    }

    /// Reads `keys` ahead in one host call, for the reads of this request that follow: on
    /// Spin's SQLite store every call is a turn of the process's one lane (docs/spin.md), so
    /// a request that knows what it will read asks once. Spin's Redis store cannot answer a
    /// batch read (its `get-many` sends `KEYS`; docs/spin.md): it refuses, and the reads are
    /// made one by one as they come, as without this.
    pub fn prefetch(&self, keys: &[String]) {
        // (A key asked twice is read twice, and found once.)
        let wanted: Vec<String> = {
            let known = self.prefetched.borrow();
            (keys.iter())
                .filter(|k| !known.iter().any(|(n, _)| n == *k))
                .cloned()
                .collect()
        };
        // One key reads as well alone; on Redis one key would not even be refused. Past
        // `PREFETCH_KEYS` in all, keys are read as they come: what is read ahead is looked up
        // key by key.
        if wanted.len() < 2 || self.prefetched.borrow().len() + wanted.len() > PREFETCH_KEYS {
            return;
        }
        let Ok(found) = batch::get_many(&self.bucket, &wanted) else {
            return;
        };
        let mut known = self.prefetched.borrow_mut();
        for key in wanted {
            let value = found.iter().find(|(k, _)| *k == key);
            let value = value.and_then(|(_, v)| v.clone());
            known.push((key, value));
        }
    }

    /// A key's value: read ahead, or read now.
    fn raw_get(&self, key: &str) -> Result<Option<Vec<u8>>, ApiError> {
        if let Some((_, value)) = self.prefetched.borrow().iter().find(|(k, _)| k == key) {
            return Ok(value.clone());
        }
        self.bucket.get(key).map_err(store_error)
    }

    /// A key this request writes is read from the store again after.
    fn forget(&self, key: &str) {
        self.prefetched.borrow_mut().retain(|(k, _)| k != key);
    }

    /// Writes documents in one host call: on Spin's SQLite store one transaction, on Redis one
    /// `MSET`, all or none on both. One write id for all (`write`, each document `enveloped`
    /// under it): an unconfirmed call is settled by reading back the first key.
    pub(super) fn write_all(
        &self,
        write: &str,
        documents: Vec<(String, Vec<u8>)>,
    ) -> Result<(), ApiError> {
        let Some((first, _)) = documents.first() else {
            return Ok(());
        };
        let first = first.clone();
        for (key, _) in &documents {
            self.forget(key);
        }
        match batch::set_many(&self.bucket, &documents) {
            Ok(()) => Ok(()),
            Err(error) => match self.outcome(&first, write) {
                Outcome::Landed => Ok(()),
                Outcome::NotLanded | Outcome::Unknown => Err(store_error(error)),
            },
        }
    }

    /// A document in its envelope, for `write_all`, under `write` (`next_write_id`).
    pub(super) fn enveloped<T: Serialize>(&self, write: &str, value: &T) -> Vec<u8> {
        self.encode(write, &[], value)
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
        match self.raw_get(key)? {
            None => Ok(None),
            Some(bytes) => T::decode(key, &bytes).map(|(_, value)| Some(value)),
        }
    }

    /// Writes a document. A `set` that errors may still have been applied: it counts as done
    /// when the key reads back with this write's id.
    fn set_json<T: Serialize>(&self, key: &str, value: &T) -> Result<(), ApiError> {
        self.forget(key);
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
            let opened = self.open_json(key)?;
            if let Some(done) = self.try_swap(opened, &mut change)? {
                return Ok(done);
            }
        }
        Err(concurrent_change())
    }

    /// Opens a compare-and-swap on a document and reads it (two host calls), to change it
    /// later in the request (`swap_opened`): a request that must read a document early and
    /// change it late reads it once.
    pub(super) fn open_json<T: Document>(&self, key: &str) -> Result<Opened<T>, ApiError> {
        let (cas, bytes) = self.open_cas(key)?;
        let (lineage, current) = match bytes {
            None => (Vec::new(), None),
            Some(bytes) => {
                let (lineage, value) = T::decode(key, &bytes)?;
                (lineage, Some(value))
            }
        };
        Ok(Opened {
            cas,
            key: key.to_owned(),
            lineage,
            current,
        })
    }

    /// A compare-and-swap opened on `key`, and the value it read.
    fn open_cas(&self, key: &str) -> Result<(atomics::Cas, Option<Vec<u8>>), ApiError> {
        self.forget(key);
        let cas = atomics::Cas::new(&self.bucket, key).map_err(store_error)?;
        let bytes = cas.current().map_err(store_error)?;
        Ok((cas, bytes))
    }

    /// Changes a document opened earlier: swapped from what was read then; should it have
    /// changed meanwhile, changed again from what is there now, as `update_json` does.
    pub(super) fn swap_opened<T, F>(&self, opened: Opened<T>, mut change: F) -> Result<T, ApiError>
    where
        T: Document,
        F: FnMut(Option<T>) -> Result<T, ApiError>,
    {
        let key = opened.key.clone();
        match self.try_swap(opened, &mut change)? {
            Some(done) => Ok(done),
            None => self.update_json(&key, change),
        }
    }

    /// One attempt: `None` when another write came first. (`dyn`: one copy of this per
    /// document type, not per change, in every component's code.)
    fn try_swap<T: Document>(
        &self,
        opened: Opened<T>,
        change: &mut dyn FnMut(Option<T>) -> Result<T, ApiError>,
    ) -> Result<Option<T>, ApiError> {
        let Opened {
            cas,
            key,
            lineage,
            current,
        } = opened;
        let before = current.as_ref().map(to_json);
        let next = change(current)?;
        // Nothing to change (a retried transition, a lease as it is): nothing written.
        if before.is_some_and(|before| before == to_json(&next)) {
            return Ok(Some(next));
        }
        let write = self.next_write_id()?;
        let error = match atomics::swap(cas, &self.encode(&write, &lineage, &next)) {
            Ok(()) => return Ok(Some(next)),
            Err(atomics::CasError::CasFailed(_)) => None,
            Err(atomics::CasError::StoreError(e)) => Some(store_error(e)),
        };
        match (self.outcome(&key, &write), error) {
            (Outcome::Landed, _) => Ok(Some(next)),
            (Outcome::NotLanded, None) => Ok(None),
            (Outcome::NotLanded, Some(error)) => Err(error),
            (Outcome::Unknown, error) => {
                Err(error.unwrap_or_else(|| unavailable("a swap's outcome is unknown")))
            }
        }
    }

    /// Reads a counter without changing it: counters are only ever changed by increment. Read
    /// with `get`, not by adding 0: on Spin's SQLite store an increment is a committed write
    /// whatever it adds.
    fn counter(&self, key: &str) -> Result<u64, ApiError> {
        Ok(self.counter_signed(key)?.max(0) as u64)
    }

    /// Reads a counter that may go below zero.
    pub(super) fn counter_signed(&self, key: &str) -> Result<i64, ApiError> {
        match self.raw_get(key)? {
            None => Ok(0),
            Some(bytes) => counter_value(&bytes).ok_or_else(|| corrupt(key, "not a counter")),
        }
    }

    fn add(&self, key: &str, delta: i64) -> Result<i64, ApiError> {
        self.forget(key);
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

/// Keys a request reads ahead in all (`Store::prefetch`): a claim reads about 6, a page of the
/// desk or of an invoice's records a few hundred.
const PREFETCH_KEYS: usize = 600;

/// A counter's value as `get` reads it: Spin's SQLite store keeps an `i64` in 8 little-endian
/// bytes (of which the last is 0 or 0xff for any count we keep), Redis decimal text (whose
/// bytes are never 0 or 0xff).
fn counter_value(bytes: &[u8]) -> Option<i64> {
    match <[u8; 8]>::try_from(bytes) {
        Ok(le) if le[7] == 0 || le[7] == 0xff => Some(i64::from_le_bytes(le)),
        _ => decimal(bytes),
    }
}

/// Decimal text as Redis keeps a counter (`-` and digits).
fn decimal(bytes: &[u8]) -> Option<i64> {
    let (sign, digits) = match bytes.split_first()? {
        (b'-', rest) => (-1, rest),
        _ => (1, bytes),
    };
    let mut value: i64 = 0;
    for &b in digits {
        let digit = (b as char).to_digit(10)?;
        value = value.checked_mul(10)?.checked_add(i64::from(digit))?;
    }
    (!digits.is_empty()).then_some(sign * value)
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
    fn counters_read_as_either_store_keeps_them() {
        assert_eq!(counter_value(&42i64.to_le_bytes()), Some(42));
        assert_eq!(counter_value(&(-3i64).to_le_bytes()), Some(-3));
        assert_eq!(counter_value(b"42"), Some(42));
        assert_eq!(counter_value(b"-3"), Some(-3));
        // Eight digits of text are text; eight bytes ending in 0 are a little-endian number.
        assert_eq!(counter_value(b"12345678"), Some(12_345_678));
        assert_eq!(
            counter_value(&0x3132_3334_3536i64.to_le_bytes()),
            Some(0x3132_3334_3536)
        );
        assert_eq!(counter_value(b"{}"), None);
    }

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
