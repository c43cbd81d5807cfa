//! The one way components reach the key-value store. Keys come from
//! `subsidy_rules::store_keys`; this layer adds the encoding (JSON, counters) and the
//! concurrency rules of SPIN-NOTES.md: plain get/set, compare-and-swap for read-modify-write
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
    CountyCode, OccupationCode, PersonGroup, PersonKey, PlatformId, PlatformRegister,
    RegistryEntry, SkillLevel, StandardsTable,
    accounts::{AccountEvent, LoginName, OperatorAccount},
    claim::{Claim, Reservation, ReviewQueue},
    completion::{CompletionRecord, Listed},
    credentials::Credential,
    eligibility::{ClaimStatus, LimitRefusal, PriorClaim},
    history::Versioned,
    invoice::{BillingIntent, BuildStart, Invoice, InvoiceLine, InvoicePage},
    journal::JournalEntry,
    policy::AddedVersions,
    queue::{self, QueueEntry, QueueHead, SlotSeen},
    registry::RegistryPeriods,
    report, store_keys,
    store_keys::{Index, Lease},
};

use crate::{ApiError, ErrorKind};

/// The store label every component lists in `key_value_stores`.
const LABEL: &str = "default";

/// An invoice as stored: the invoice without its lines, which are kept in `line_pages` pages
/// of their own. An invoice stored whole by an earlier version (no pages) still reads.
#[derive(Serialize, serde::Deserialize)]
pub struct StoredInvoice {
    #[serde(flatten)]
    pub invoice: Invoice,
    #[serde(default)]
    pub line_pages: u32,
    #[serde(default)]
    pub line_count: usize,
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
    /// The platform register as this request read or wrote it: the platform check and the
    /// rules both need it, and a store read is a host call.
    platforms: std::cell::RefCell<Option<PlatformRegister>>,
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

impl Store {
    pub fn open(county: &CountyCode) -> Result<Store, ApiError> {
        Ok(Store {
            bucket: store::open(LABEL).map_err(store_error)?,
            county: county.clone(),
            writer: std::cell::OnceCell::new(),
            writes: std::cell::Cell::new(0),
            platforms: std::cell::RefCell::new(None),
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

    fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, ApiError> {
        match self.bucket.get(key).map_err(store_error)? {
            None => Ok(None),
            Some(bytes) => decode(key, &bytes).map(|(_, value)| Some(value)),
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
        T: Serialize + DeserializeOwned,
        F: FnMut(Option<T>) -> Result<T, ApiError>,
    {
        for _ in 0..CAS_ATTEMPTS {
            let cas = atomics::Cas::new(&self.bucket, key).map_err(store_error)?;
            let (lineage, current) = match cas.current().map_err(store_error)? {
                None => (Vec::new(), None),
                Some(bytes) => {
                    let (lineage, value) = decode(key, &bytes)?;
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

    /// The county's training-subsidy standards; a county starts with an empty table.
    pub fn standards(&self) -> Result<StandardsTable, ApiError> {
        Ok(self
            .get_json(&store_keys::standards(&self.county))?
            .unwrap_or_default())
    }

    pub fn update_standards(
        &self,
        change: impl FnMut(StandardsTable) -> Result<StandardsTable, ApiError>,
    ) -> Result<StandardsTable, ApiError> {
        self.update_versioned(
            &store_keys::standards(&self.county),
            StandardsTable::default,
            change,
        )
    }

    /// The policy versions the county's admins added; none until one is.
    pub fn added_policy_versions(&self) -> Result<AddedVersions, ApiError> {
        Ok(self
            .get_json(&store_keys::added_policy_versions(&self.county))?
            .unwrap_or_default())
    }

    pub fn update_added_policy_versions(
        &self,
        change: impl FnMut(AddedVersions) -> Result<AddedVersions, ApiError>,
    ) -> Result<AddedVersions, ApiError> {
        self.update_versioned(
            &store_keys::added_policy_versions(&self.county),
            AddedVersions::default,
            change,
        )
    }

    /// The county's platform register; until an operator changes it, the built-in seed.
    pub fn platforms(&self) -> Result<PlatformRegister, ApiError> {
        if let Some(register) = self.platforms.borrow().as_ref() {
            return Ok(register.clone());
        }
        let stored = self.get_json(&store_keys::platforms(&self.county))?;
        let register = stored.unwrap_or_else(|| PlatformRegister::seed_for(&self.county));
        *self.platforms.borrow_mut() = Some(register.clone());
        Ok(register)
    }

    pub fn update_platforms(
        &self,
        change: impl FnMut(PlatformRegister) -> Result<PlatformRegister, ApiError>,
    ) -> Result<PlatformRegister, ApiError> {
        let updated = self.update_versioned(
            &store_keys::platforms(&self.county),
            || PlatformRegister::seed_for(&self.county),
            change,
        )?;
        *self.platforms.borrow_mut() = Some(updated.clone());
        Ok(updated)
    }

    /// Changes a county table under compare-and-swap, keeping the revision it replaces under
    /// a key of its own (written before the swap, so that the revision in force always names
    /// where its predecessor is kept; a swap that loses leaves a copy no revision names).
    fn update_versioned<T>(
        &self,
        key: &str,
        empty: impl Fn() -> T,
        mut change: impl FnMut(T) -> Result<T, ApiError>,
    ) -> Result<T, ApiError>
    where
        T: Versioned + Clone + Serialize + DeserializeOwned,
    {
        self.update_json(key, |current: Option<T>| {
            let current = current.unwrap_or_else(&empty);
            let next = change(current.clone())?;
            if next.revision() == current.revision() {
                return Ok(next);
            }
            let kept = store_keys::kept_revision(key, current.revision(), &self.next_write_id()?);
            self.set_json(&kept, &current)?;
            Ok(next.kept_at(kept))
        })
    }

    /// A county table's revisions, newest first (the one in force, then what it replaced),
    /// at most `limit`.
    pub fn table_history<T>(&self, key: &str, empty: T, limit: usize) -> Result<Vec<T>, ApiError>
    where
        T: Versioned + DeserializeOwned,
    {
        let mut versions = vec![self.get_json::<T>(key)?.unwrap_or(empty)];
        while versions.len() < limit {
            let Some(previous) = versions
                .last()
                .and_then(|v| v.previous())
                .map(str::to_owned)
            else {
                break;
            };
            match self.get_json::<T>(&previous)? {
                Some(version) => versions.push(version),
                None => break,
            }
        }
        Ok(versions)
    }

    /// A person's key-group registry entries, every period, one read per group.
    pub fn registry_entries(
        &self,
        person: &PersonKey,
        groups: &[PersonGroup],
    ) -> Result<Vec<RegistryEntry>, ApiError> {
        let mut entries = Vec::new();
        for group in groups {
            let key = store_keys::registry_entry(&self.county, person, *group);
            if let Some(periods) = self.get_json::<RegistryPeriods>(&key)? {
                entries.extend(periods.entries());
            }
        }
        Ok(entries)
    }

    /// Adds a person's entry for one group: every period uploaded is kept
    /// (`RegistryPeriods::with`).
    pub fn put_registry_entry(
        &self,
        person: &PersonKey,
        entry: &RegistryEntry,
    ) -> Result<(), ApiError> {
        self.update_json(
            &store_keys::registry_entry(&self.county, person, entry.group),
            |periods: Option<RegistryPeriods>| {
                Ok(periods
                    .unwrap_or(RegistryPeriods::Many(Vec::new()))
                    .with(entry.clone()))
            },
        )
        .map(drop)
    }

    /// Appends an entry to an index: takes the next slot atomically, then fills it.
    fn append(&self, index: &Index, entry: &str) -> Result<(), ApiError> {
        self.append_at(index, entry).map(drop)
    }

    /// Appends, and says in which slot.
    fn append_at(&self, index: &Index, entry: &str) -> Result<u64, ApiError> {
        let slot = atomics::increment(&self.bucket, &index.counter(), 1).map_err(store_error)?;
        let slot = slot.max(1) as u64;
        self.set_json(&index.slot(slot), &entry)?;
        Ok(slot)
    }

    /// An index's entries in the order appended, without repeats; empty slots skipped.
    fn entries(&self, index: &Index) -> Result<Vec<String>, ApiError> {
        let slots = self.counter(&index.counter())?;
        let mut entries: Vec<String> = Vec::new();
        // A set beside the list: a platform's month holds thousands of records, and a scan
        // of the list for each would make reading them quadratic.
        let mut seen = std::collections::HashSet::new();
        for slot in 1..=slots {
            if let Some(entry) = self.get_json::<String>(&index.slot(slot))?
                && seen.insert(entry.clone())
            {
                entries.push(entry);
            }
        }
        Ok(entries)
    }

    /// Up to `limit` entries of an index from slot `after + 1`, skipping empty slots and
    /// entries listed earlier in the page; the slot to continue after, and whether that is
    /// the index's last.
    fn entries_page(
        &self,
        index: &Index,
        after: u64,
        limit: usize,
    ) -> Result<(Vec<String>, u64, bool), ApiError> {
        let slots = self.counter(&index.counter())?;
        let (entries, last) =
            self.entries_in_slots(index, after.saturating_add(1)..=slots, limit)?;
        let last = last.unwrap_or(after);
        Ok((entries, last, last >= slots))
    }

    /// An index newest first: its entries in slots below `before` (from the newest when 0),
    /// at most `limit`; the slot to continue before, and whether the first slot was reached.
    fn entries_page_newest(
        &self,
        index: &Index,
        before: u64,
        limit: usize,
    ) -> Result<(Vec<String>, u64, bool), ApiError> {
        let slots = self.counter(&index.counter())?;
        let top = match before {
            0 => slots,
            _ => (before - 1).min(slots),
        };
        let (entries, last) = self.entries_in_slots(index, (1..=top).rev(), limit)?;
        let last = last.unwrap_or(top + 1);
        Ok((entries, last, last <= 1))
    }

    /// The entries of `index` in `slots`, read in their order until `limit` are found (a
    /// missing slot skipped, a repeated entry once); and the last slot read.
    fn entries_in_slots(
        &self,
        index: &Index,
        slots: impl Iterator<Item = u64>,
        limit: usize,
    ) -> Result<(Vec<String>, Option<u64>), ApiError> {
        let mut entries: Vec<String> = Vec::new();
        let mut last = None;
        for slot in slots {
            if entries.len() == limit {
                break;
            }
            last = Some(slot);
            if let Some(entry) = self.get_json::<String>(&index.slot(slot))?
                && !entries.contains(&entry)
            {
                entries.push(entry);
            }
        }
        Ok((entries, last))
    }

    /// Every claim a person has made here.
    pub fn claim_history(&self, person: &PersonKey) -> Result<Vec<PriorClaim>, ApiError> {
        let mut claims = Vec::new();
        for claim_id in self.entries(&store_keys::person_claims(&self.county, person))? {
            claims
                .extend(self.get_json::<PriorClaim>(&store_keys::claim(&self.county, &claim_id))?);
        }
        Ok(claims)
    }

    /// Every claim a person has made here, whole.
    pub fn person_claims(&self, person: &PersonKey) -> Result<Vec<Claim>, ApiError> {
        self.claims_of(&store_keys::person_claims(&self.county, person))
    }

    fn claims_of(&self, index: &Index) -> Result<Vec<Claim>, ApiError> {
        let mut claims = Vec::new();
        for claim_id in self.entries(index)? {
            claims.extend(self.claim(&claim_id)?);
        }
        Ok(claims)
    }

    pub fn claim(&self, id: &str) -> Result<Option<Claim>, ApiError> {
        self.get_json(&store_keys::claim(&self.county, id))
    }

    /// Stores a new claim and lists it: under its person (the history the limits are
    /// recounted from), the county, and the queue it waits in.
    pub fn insert_claim(
        &self,
        claim: &Claim,
        queue: ReviewQueue,
        now: i64,
    ) -> Result<(), ApiError> {
        self.append(
            &store_keys::person_claims(&self.county, &claim.person),
            &claim.id,
        )?;
        self.append(&store_keys::all_claims(&self.county), &claim.id)?;
        self.append(
            &store_keys::claim_queue(&self.county, queue),
            &QueueEntry::format(&claim.id, now),
        )?;
        let month = subsidy_rules::completion::month_of(claim.assessed_on);
        self.append(&store_keys::month_claims(&self.county, &month), &claim.id)?;
        self.set_json(&store_keys::claim(&self.county, &claim.id), claim)?;
        self.count_in_report(&report::deltas(None, claim));
        Ok(())
    }

    /// Approves a claim (`change`), listing it on finance's desk first: a kill in between
    /// leaves an entry whose claim is not approved, which the desk skips.
    pub fn approve_claim(
        &self,
        existing: &Claim,
        now: i64,
        change: impl FnMut(Claim) -> Result<Claim, ApiError>,
    ) -> Result<Claim, ApiError> {
        if existing.status == ClaimStatus::Submitted {
            self.append(
                &store_keys::payable_queue(&self.county),
                &QueueEntry::format(&existing.id, now),
            )?;
        }
        self.update_claim(&existing.id, change)
    }

    /// Changes a claim under compare-and-swap, then moves the report's counters with it.
    pub fn update_claim(
        &self,
        id: &str,
        mut change: impl FnMut(Claim) -> Result<Claim, ApiError>,
    ) -> Result<Claim, ApiError> {
        // The claim as the attempt that landed found it.
        let mut before = None;
        let after =
            self.update_json(&store_keys::claim(&self.county, id), |c: Option<Claim>| {
                let current = c.ok_or_else(ApiError::not_found)?;
                before = Some(current.clone());
                change(current)
            })?;
        self.count_in_report(&report::deltas(before.as_ref(), &after));
        Ok(after)
    }

    /// Moves the report's counters (`report::deltas`). The claim's change has landed: a
    /// failure here must not undo or deny it, so it is logged, naming the month to recount.
    /// A kill here likewise leaves the counters behind the claims until the month's recount
    /// (`recount_report_month`) sets them right.
    fn count_in_report(&self, deltas: &[report::Delta]) {
        if let Err(error) = self.try_count_in_report(deltas) {
            let months: Vec<&str> = deltas.iter().map(|d| d.group.month.as_str()).collect();
            let line = format!(
                "report_counters_behind: months {months:?} need POST /api/admin/report-recount: {}\n",
                error.reason
            );
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
        }
    }

    /// A row counted for the first time is listed under its month, and a month under the
    /// report, by whoever counts it first.
    fn try_count_in_report(&self, deltas: &[report::Delta]) -> Result<(), ApiError> {
        let county = &self.county;
        for delta in deltas {
            let (month, cell) = (&delta.group.month, delta.group.cell());
            let counter = |name: &str| store_keys::report_cell(county, month, &cell, name);
            if delta.count > 0 && self.add(&counter("listed"), 1)? == 1 {
                self.list_report_row(month, &cell)?;
            }
            self.add(&counter("count"), delta.count)?;
            self.add(&counter("fen"), delta.fen)?;
            if delta.recovered_fen != 0 {
                self.add(
                    &store_keys::report_recovered_fen(county, month),
                    delta.recovered_fen,
                )?;
            }
        }
        Ok(())
    }

    fn list_report_row(&self, month: &str, cell: &str) -> Result<(), ApiError> {
        if self.add(&store_keys::report_month_listed(&self.county, month), 1)? == 1 {
            self.append(&store_keys::report_months(&self.county), month)?;
        }
        self.append(&store_keys::report_cells(&self.county, month), cell)
    }

    /// The report's rows of months `from` to `to` (`YYYY-MM`, inclusive; open when absent) and
    /// the fen recovered in them, from the counters: a read per row, none per claim.
    pub fn report_rows(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<(BTreeMap<report::Group, report::Tally>, i64), ApiError> {
        let county = &self.county;
        let mut rows = BTreeMap::new();
        let mut recovered = 0;
        for month in self.entries(&store_keys::report_months(county))? {
            if from.is_some_and(|f| month.as_str() < f) || to.is_some_and(|t| month.as_str() > t) {
                continue;
            }
            for cell in self.entries(&store_keys::report_cells(county, &month))? {
                let Some(group) = report::Group::from_cell(&month, &cell) else {
                    continue;
                };
                let counter = |name: &str| store_keys::report_cell(county, &month, &cell, name);
                let tally = report::Tally {
                    count: self.counter_signed(&counter("count"))?,
                    fen: self.counter_signed(&counter("fen"))?,
                };
                rows.insert(group, tally);
            }
            recovered += self.counter_signed(&store_keys::report_recovered_fen(county, &month))?;
        }
        Ok((rows, recovered))
    }

    /// Reads a counter that may go below zero (it is only ever moved by increments).
    fn counter_signed(&self, key: &str) -> Result<i64, ApiError> {
        self.add(key, 0)
    }

    /// One step of a recount of `month`'s report from its claims: up to `limit` more claims
    /// are tallied (progress is kept under `report_recount`); once every claim is, the
    /// counters that differ are returned (`None` before) and, with `repair`, set to the tally. Exact when no
    /// claim of the month changes during the recount; a change meanwhile is set right by the
    /// next recount.
    pub fn recount_report_month(
        &self,
        month: &str,
        limit: u64,
        repair: bool,
    ) -> Result<(report::Recount, Option<Vec<report::Difference>>), ApiError> {
        let county = &self.county;
        let progress_key = store_keys::report_recount(county, month);
        let mut recount: report::Recount = self.get_json(&progress_key)?.unwrap_or_default();
        let index = store_keys::month_claims(county, month);
        let slots = self.counter(&index.counter())?;
        let until = slots.min(recount.through.saturating_add(limit));
        let mut claims = Vec::new();
        for slot in recount.through + 1..=until {
            // A claim id is listed once: each submission draws a new one.
            if let Some(id) = self.get_json::<String>(&index.slot(slot))?
                && let Some(claim) = self.claim(&id)?
                && !claims.iter().any(|c: &Claim| c.id == claim.id)
            {
                claims.push(claim);
            }
        }
        recount.add(&claims, until);
        if until < slots {
            self.set_json(&progress_key, &recount)?;
            return Ok((recount, None));
        }
        let (mut kept, recovered) = self.report_rows(Some(month), Some(month))?;
        let listed: Vec<String> = kept.keys().map(report::Group::cell).collect();
        // Rows a kill counted but left unlisted: their counters are read directly.
        for cell in recount.cells() {
            if let Some(group) = report::Group::from_cell(month, cell)
                && !listed.iter().any(|l| l == cell)
            {
                let counter = |name: &str| store_keys::report_cell(county, month, cell, name);
                let tally = report::Tally {
                    count: self.counter_signed(&counter("count"))?,
                    fen: self.counter_signed(&counter("fen"))?,
                };
                kept.insert(group, tally);
            }
        }
        let differences = recount.differences(month, &kept, recovered);
        if repair && !differences.is_empty() {
            if !(self.entries(&store_keys::report_months(county))?.iter()).any(|m| m == month) {
                self.append(&store_keys::report_months(county), month)?;
            }
            for difference in &differences {
                match &difference.group {
                    Some(group) => {
                        let cell = group.cell();
                        let counter =
                            |name: &str| store_keys::report_cell(county, month, &cell, name);
                        self.add(&counter("listed"), 1)?;
                        if !listed.contains(&cell) {
                            self.append(&store_keys::report_cells(county, month), &cell)?;
                        }
                        self.add(&counter("count"), difference.count.1 - difference.count.0)?;
                        self.add(&counter("fen"), difference.fen.1 - difference.fen.0)?;
                    }
                    None => {
                        let key = store_keys::report_recovered_fen(county, month);
                        self.add(&key, difference.fen.1 - difference.fen.0)?;
                    }
                }
            }
        }
        // Finished: the next recount of the month starts afresh.
        self.bucket.delete(&progress_key).map_err(store_error)?;
        Ok((recount, Some(differences)))
    }

    /// A page of a review queue, oldest first: claims still submitted, from slot `after + 1`
    /// (a first page from the queue's head), at most `limit`; and the slot to continue after.
    pub fn claim_queue(
        &self,
        queue: ReviewQueue,
        after: u64,
        limit: usize,
        now: i64,
    ) -> Result<(Vec<Claim>, u64), ApiError> {
        let index = store_keys::claim_queue(&self.county, queue);
        self.waiting_page(&index, ClaimStatus::Submitted, after, limit, now)
    }

    /// A page of the claims approved and not yet paid, oldest first: finance's desk.
    pub fn payable_claims(
        &self,
        after: u64,
        limit: usize,
        now: i64,
    ) -> Result<(Vec<Claim>, u64), ApiError> {
        let index = store_keys::payable_queue(&self.county);
        self.waiting_page(&index, ClaimStatus::Approved, after, limit, now)
    }

    /// The claims of a waiting list in `waiting`, from slot `after + 1`, at most `limit`; and
    /// the slot to continue after. A first page (`after` 0) starts after the list's head, and
    /// moves the head over the settled slots it reads first (`queue::QueueHead`), so a page
    /// costs what waits, not what has ever waited.
    fn waiting_page(
        &self,
        index: &Index,
        waiting: ClaimStatus,
        after: u64,
        limit: usize,
        now: i64,
    ) -> Result<(Vec<Claim>, u64), ApiError> {
        let head: Option<QueueHead> = match after {
            0 => Some(self.get_json(&index.head())?.unwrap_or_default()),
            _ => None,
        };
        let start = head.as_ref().map_or(after, |h| h.through);
        let slots = self.counter(&index.counter())?;
        let mut page: Vec<Claim> = Vec::new();
        // What the slots right after the head held, while every one so far was settled.
        let mut leading: Vec<Option<bool>> = Vec::new();
        let mut leading_open = head.is_some();
        let mut last = start;
        for slot in start + 1..=slots {
            if page.len() == limit {
                break;
            }
            last = slot;
            let entry = self
                .get_json::<String>(&index.slot(slot))?
                .map(|e| QueueEntry::parse(&e));
            let claim = match &entry {
                Some(entry) => self.claim(&entry.claim_id)?,
                None => None,
            };
            let seen = match &entry {
                None => SlotSeen::Empty,
                Some(entry) => SlotSeen::Listed(entry, claim.as_ref().map(|c| c.status)),
            };
            let settled = queue::settled(waiting, &seen, now);
            if leading_open {
                leading.push(matches!(seen, SlotSeen::Listed(..)).then_some(settled));
                leading_open = settled;
            }
            if let Some(claim) = claim
                && claim.status == waiting
                && !page.iter().any(|c| c.id == claim.id)
            {
                page.push(claim);
            }
        }
        if let Some(head) = head {
            let moved = head.advanced(leading, now);
            if moved != head {
                // A head is only a shortcut: a reader that cannot write it still answers.
                let _ = self.update_json(&index.head(), |current: Option<QueueHead>| {
                    Ok(current.unwrap_or_default().max(moved.clone()))
                });
            }
        }
        Ok((page, last))
    }

    /// Takes a place for a new claim in the person's yearly limit and for its course; gives
    /// both back and names the limit that refused when either is full. Call it holding the
    /// person's places (`holding_places`).
    ///
    /// The reservation is recorded first, naming the claim and its counters: a submission
    /// that dies after taking places leaves counters that a recount finds and sets right.
    pub fn reserve_claim_places(
        &self,
        claim: &Claim,
        yearly_limit: u32,
        now: i64,
    ) -> Result<Option<LimitRefusal>, ApiError> {
        let reservations = store_keys::claim_reservations(&self.county, &claim.person);
        self.append(
            &reservations,
            &Reservation::for_claim(claim, now).to_entry(),
        )?;
        self.take_claim_places(claim, yearly_limit)
    }

    fn take_claim_places(
        &self,
        claim: &Claim,
        yearly_limit: u32,
    ) -> Result<Option<LimitRefusal>, ApiError> {
        let year = claim.assessed_on.year();
        let year_key = store_keys::claims_in_year(&self.county, &claim.person, year);
        let course_key = store_keys::claims_of_course(
            &self.county,
            &claim.person,
            &claim.occupation,
            claim.level,
        );
        if self.add(&year_key, 1)? > i64::from(yearly_limit) {
            self.undo(&year_key)?;
            return Ok(Some(LimitRefusal::YearlyLimitReached {
                year,
                limit: yearly_limit,
            }));
        }
        if self.add(&course_key, 1)? > 1 {
            self.undo(&course_key)?;
            self.undo(&year_key)?;
            return Ok(Some(LimitRefusal::OccupationLevelAlreadyClaimed {
                occupation: claim.occupation.clone(),
                level: claim.level,
            }));
        }
        Ok(None)
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

    /// A person's limit counters against what holds their places: the claims that count
    /// toward the limits. Every counter a claim or a reservation names is checked, so places
    /// taken by a submission that died before storing its claim show as too many. With
    /// `apply`, each counter is set to what it should be. Call it holding the person's places
    /// (`holding_places`): no other request changes them meanwhile, so the result is exact.
    /// Returns each counter's key, the value found and the value it should have.
    pub fn recount_claim_places(
        &self,
        person: &PersonKey,
        apply: bool,
    ) -> Result<Vec<(String, i64, i64)>, ApiError> {
        let mut expected: Vec<(String, i64)> = Vec::new();
        let mut count = |year: i32, occupation: &OccupationCode, level: SkillLevel, held: bool| {
            let keys = [
                store_keys::claims_in_year(&self.county, person, year),
                store_keys::claims_of_course(&self.county, person, occupation, level),
            ];
            for key in keys {
                match expected.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, n)) => *n += i64::from(held),
                    None => expected.push((key, i64::from(held))),
                }
            }
        };
        for claim in self.person_claims(person)? {
            let held = claim.status.counts_toward_limits();
            count(
                claim.assessed_on.year(),
                &claim.occupation,
                claim.level,
                held,
            );
        }
        let reservations = store_keys::claim_reservations(&self.county, person);
        for entry in self.entries(&reservations)? {
            if let Some(r) = Reservation::from_entry(&entry) {
                count(r.year, &r.occupation, r.level, false);
            }
        }
        let mut report = Vec::new();
        for (key, is) in expected {
            let was = self.add(&key, 0)?;
            if apply && was != is {
                self.add(&key, is - was)?;
            }
            report.push((key, was, is));
        }
        Ok(report)
    }

    /// Runs `work` holding the person's limit places: submitting, withdrawing, rejecting and
    /// recounting change them one at a time. A request finding them held waits a little, then
    /// gets 409 `person_busy`; a holder killed meanwhile is superseded once its lease expired.
    pub fn holding_places<T>(
        &self,
        person: &PersonKey,
        now: i64,
        work: impl FnOnce() -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let lease = store_keys::person_places(&self.county, person);
        self.holding(&lease, now, person_busy, work)
    }

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
    fn holding<T>(
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
    fn take_lease(&self, lease: &Lease, now: i64) -> Result<Option<HeldLease>, ApiError> {
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
    fn supersede_lease(&self, lease: &Lease, now: i64) -> Result<Option<HeldLease>, ApiError> {
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
    fn dead_holder(
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
    fn release_lease(&self, held: &HeldLease) -> Result<(), ApiError> {
        if self.counter(&held.lease.generation())? == held.generation {
            self.add(&held.lease.generation(), 1)?;
        }
        Ok(())
    }

    /// Takes an idempotency key for a submission; `None` when another submission holds it
    /// (look for its claim before `take_abandoned_idempotency_key`). A submission that
    /// stores its claim keeps the key for good: the claim is its answer.
    pub fn take_idempotency_key(
        &self,
        person: &PersonKey,
        key: &str,
        now: i64,
    ) -> Result<Option<HeldLease>, ApiError> {
        self.take_lease(&store_keys::idempotency(&self.county, person, key), now)
    }

    /// Takes a key held by a submission presumed dead: its lease expired and no claim has the
    /// key. `None` while the holder may still be working.
    pub fn take_abandoned_idempotency_key(
        &self,
        person: &PersonKey,
        key: &str,
        now: i64,
    ) -> Result<Option<HeldLease>, ApiError> {
        self.supersede_lease(&store_keys::idempotency(&self.county, person, key), now)
    }

    /// Gives a key back after its submission failed before storing a claim.
    pub fn release_idempotency_key(&self, held: &HeldLease) -> Result<(), ApiError> {
        self.release_lease(held)
    }

    /// Whether a key is held by a submission presumed dead: taken, not given back, and its
    /// lease expired.
    pub fn idempotency_key_abandoned(
        &self,
        person: &PersonKey,
        key: &str,
        now: i64,
    ) -> Result<bool, ApiError> {
        let lease = store_keys::idempotency(&self.county, person, key);
        // Read only: reconcile's dry run writes nothing.
        Ok(self.dead_holder(&lease, now, false)?.is_some())
    }

    /// Records what a multi-step write is about to do (`journal`).
    pub fn journal(&self, entry: &JournalEntry) -> Result<(), ApiError> {
        self.append(&store_keys::journal(&self.county), &entry.to_entry())
    }

    /// Journal entries from slot `after + 1`, at most `limit` slots; and the slot to continue
    /// after, which is the journal's end when the page is the last.
    pub fn journal_page(
        &self,
        after: u64,
        limit: u64,
    ) -> Result<(Vec<SlottedEntry>, u64, bool), ApiError> {
        let index = store_keys::journal(&self.county);
        let end = self.counter(&index.counter())?;
        let last = end.min(after.saturating_add(limit));
        let mut entries = Vec::new();
        for slot in after + 1..=last {
            if let Some(entry) = self.get_json::<String>(&index.slot(slot))?
                && let Some(entry) = JournalEntry::from_entry(&entry)
            {
                entries.push((slot, entry));
            }
        }
        Ok((entries, last.max(after), last >= end))
    }

    /// The completion records reported for a person, by any platform.
    pub fn person_completions(
        &self,
        person: &PersonKey,
    ) -> Result<Vec<CompletionRecord>, ApiError> {
        let mut records = Vec::new();
        for entry in self.entries(&store_keys::person_completions(&self.county, person))? {
            let Some((platform, record_id)) = entry.split_once('/') else {
                continue;
            };
            let Ok(platform) = PlatformId::parse(platform) else {
                continue;
            };
            if let Some(record) = self.completion(&platform, record_id)?
                && &record.facts.trainee.person == person
            {
                records.push(record);
            }
        }
        Ok(records)
    }

    pub fn credential(&self, key_id: &str) -> Result<Option<Credential>, ApiError> {
        self.get_json(&store_keys::credential(&self.county, key_id))
    }

    /// Stores a new credential (its key id is fresh and random) and lists it under its platform.
    pub fn insert_credential(&self, credential: &Credential) -> Result<(), ApiError> {
        let index = store_keys::platform_credentials(&self.county, &credential.platform_id);
        self.append(&index, &credential.key_id)?;
        self.set_json(
            &store_keys::credential(&self.county, &credential.key_id),
            credential,
        )
    }

    pub fn update_credential(
        &self,
        key_id: &str,
        mut change: impl FnMut(Credential) -> Result<Credential, ApiError>,
    ) -> Result<Credential, ApiError> {
        self.update_json(
            &store_keys::credential(&self.county, key_id),
            |c: Option<Credential>| change(c.ok_or_else(ApiError::not_found)?),
        )
    }

    pub fn platform_credentials(&self, platform: &PlatformId) -> Result<Vec<Credential>, ApiError> {
        let mut credentials = Vec::new();
        for key_id in self.entries(&store_keys::platform_credentials(&self.county, platform))? {
            credentials.extend(self.credential(&key_id)?);
        }
        Ok(credentials)
    }

    /// Counts a use of a request nonce; true the first time. Atomic on every backend.
    pub fn first_use_of_nonce(&self, key_id: &str, nonce: &str) -> Result<bool, ApiError> {
        let key = store_keys::nonce(&self.county, key_id, nonce);
        Ok(atomics::increment(&self.bucket, &key, 1).map_err(store_error)? == 1)
    }

    pub fn completion(
        &self,
        platform: &PlatformId,
        record_id: &str,
    ) -> Result<Option<CompletionRecord>, ApiError> {
        self.get_json(&store_keys::completion(&self.county, platform, record_id))
    }

    /// Lists a record under its platform's month and its trainee, for facts it is about to
    /// hold, and says where. Called before the record is written, so a record that exists is
    /// always findable; entries left by a write that then failed, or by a correction that moved
    /// the record, are skipped by the readers, which check each record against the entry.
    pub fn index_completion(
        &self,
        platform: &PlatformId,
        facts: &subsidy_rules::completion::CompletionFacts,
    ) -> Result<Listed, ApiError> {
        let by_month = store_keys::platform_month(&self.county, platform, &facts.month());
        let month_slot = self.append_at(&by_month, &facts.record_id)?;
        let by_person = store_keys::person_completions(&self.county, &facts.trainee.person);
        let person_slot = self.append_at(&by_person, &person_entry(platform, &facts.record_id))?;
        Ok(Listed {
            month_slot,
            person_slot,
        })
    }

    /// Whether a record's listings are where it says: a record stored before listings were
    /// recorded, or whose listing was lost, is not.
    pub fn completion_listed(&self, record: &CompletionRecord) -> Result<bool, ApiError> {
        let Some(listed) = record.listed else {
            return Ok(false);
        };
        let f = &record.facts;
        let by_month = store_keys::platform_month(&self.county, &record.platform_id, &f.month());
        let by_person = store_keys::person_completions(&self.county, &f.trainee.person);
        let in_month = self.get_json::<String>(&by_month.slot(listed.month_slot))?;
        let in_person = self.get_json::<String>(&by_person.slot(listed.person_slot))?;
        Ok(in_month.as_deref() == Some(f.record_id.as_str())
            && in_person == Some(person_entry(&record.platform_id, &f.record_id)))
    }

    /// Creates or changes a record under compare-and-swap (`change` sees `None` when there is
    /// none yet), so that two first sends, a correction and a claim or a billing never
    /// overwrite each other. Index the new facts first (`index_completion`).
    pub fn write_completion(
        &self,
        platform: &PlatformId,
        record_id: &str,
        change: impl FnMut(Option<CompletionRecord>) -> Result<CompletionRecord, ApiError>,
    ) -> Result<CompletionRecord, ApiError> {
        let key = store_keys::completion(&self.county, platform, record_id);
        if self.bucket.exists(&key).map_err(store_error)? {
            return self.update_json(&key, change);
        }
        // A first write. On SQLite a swap from absent is an upsert that cannot see a concurrent
        // first write, which could erase a claim bound in between: one sender wins the right to
        // create; the others wait for its record and change that, under a swap that sees.
        if !self.take_once(&store_keys::completion_created(
            &self.county,
            platform,
            record_id,
        ))? {
            for _ in 0..CREATE_WAITS {
                if self.bucket.exists(&key).map_err(store_error)? {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
        self.update_json(&key, change)
    }

    /// Changes an existing record under compare-and-swap, so that a correction and a billing
    /// never both win.
    pub fn update_completion(
        &self,
        platform: &PlatformId,
        record_id: &str,
        mut change: impl FnMut(CompletionRecord) -> Result<CompletionRecord, ApiError>,
    ) -> Result<CompletionRecord, ApiError> {
        self.write_completion(platform, record_id, |r| {
            change(r.ok_or_else(ApiError::not_found)?)
        })
    }

    /// A page of a platform's records assessed in `month`, in order of first report: from slot
    /// `after + 1`, at most `limit`; the slot to continue after, and whether it is the last.
    pub fn completions_page(
        &self,
        platform: &PlatformId,
        month: &str,
        after: u64,
        limit: usize,
    ) -> Result<(Vec<CompletionRecord>, u64, bool), ApiError> {
        let index = store_keys::platform_month(&self.county, platform, month);
        let (record_ids, next_after, done) = self.entries_page(&index, after, limit)?;
        let mut records = Vec::new();
        for record_id in record_ids {
            // A corrected record may have moved to another month: its old entry stays behind.
            if let Some(record) = self.completion(platform, &record_id)?
                && record.facts.month() == month
            {
                records.push(record);
            }
        }
        Ok((records, next_after, done))
    }

    /// Takes a trainee's course (occupation + level) for billing; true if no invoice had it.
    pub fn take_course_for_billing(
        &self,
        person: &PersonKey,
        occupation: &OccupationCode,
        level: SkillLevel,
    ) -> Result<bool, ApiError> {
        let key = store_keys::course_billed(&self.county, person, occupation, level);
        self.take_once(&key)
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

    /// Gives back a course taken by an invoice that then could not bill it.
    pub fn release_course(
        &self,
        person: &PersonKey,
        occupation: &OccupationCode,
        level: SkillLevel,
    ) -> Result<(), ApiError> {
        self.undo(&store_keys::course_billed(
            &self.county,
            person,
            occupation,
            level,
        ))
    }

    /// Records that an invoice build is about to take the course (before it does).
    pub fn intend_billing(
        &self,
        person: &PersonKey,
        occupation: &OccupationCode,
        level: SkillLevel,
        intent: &BillingIntent,
    ) -> Result<(), ApiError> {
        let key = store_keys::course_billing_intent(&self.county, person, occupation, level);
        self.set_json(&key, intent)
    }

    pub fn billing_intent(
        &self,
        person: &PersonKey,
        occupation: &OccupationCode,
        level: SkillLevel,
    ) -> Result<Option<BillingIntent>, ApiError> {
        self.get_json(&store_keys::course_billing_intent(
            &self.county,
            person,
            occupation,
            level,
        ))
    }

    /// Frees a course whose counter nobody holds (`invoice::course_hold_abandoned`).
    pub fn reset_course(
        &self,
        person: &PersonKey,
        occupation: &OccupationCode,
        level: SkillLevel,
    ) -> Result<(), ApiError> {
        let key = store_keys::course_billed(&self.county, person, occupation, level);
        let taken = self.add(&key, 0)?;
        if taken > 0 {
            self.add(&key, -taken)?;
        }
        Ok(())
    }

    /// Whether any invoice has taken the course.
    pub fn course_billed(
        &self,
        person: &PersonKey,
        occupation: &OccupationCode,
        level: SkillLevel,
    ) -> Result<bool, ApiError> {
        Ok(self.counter(&store_keys::course_billed(
            &self.county,
            person,
            occupation,
            level,
        ))? > 0)
    }

    /// The next invoice number of a platform for a month.
    pub fn next_invoice_number(
        &self,
        platform: &PlatformId,
        month: &str,
    ) -> Result<String, ApiError> {
        let key = store_keys::invoice_sequence(&self.county, platform, month);
        let n = atomics::increment(&self.bucket, &key, 1).map_err(store_error)?;
        Ok(subsidy_rules::invoice::invoice_number(
            &self.county,
            platform,
            month,
            n,
        ))
    }

    /// An invoice with every line: for its export. Answers read one page (`invoice_page`).
    pub fn invoice(&self, number: &str) -> Result<Option<Invoice>, ApiError> {
        let Some(stored) = self.invoice_header(number)? else {
            return Ok(None);
        };
        let mut invoice = stored.invoice;
        for page in 0..stored.line_pages {
            invoice.lines.extend(self.invoice_lines(number, page)?);
        }
        Ok(Some(invoice))
    }

    /// A stored page of an invoice's lines, which must exist.
    fn invoice_lines(&self, number: &str, page: u32) -> Result<Vec<InvoiceLine>, ApiError> {
        let key = store_keys::invoice_lines(&self.county, number, page);
        self.get_json(&key)?.ok_or_else(|| {
            ApiError::server(
                ErrorKind::Internal,
                "store_damaged",
                "发票数据不完整，请联系系统管理员",
                "The invoice's data is incomplete; the log names the missing part",
                format_args!("{key} is missing"),
            )
        })
    }

    /// An invoice as stored, without its lines (none for one stored in pages): its state,
    /// totals and line count, for a single read.
    pub fn invoice_header(&self, number: &str) -> Result<Option<StoredInvoice>, ApiError> {
        self.get_json(&store_keys::invoice(&self.county, number))
    }

    /// An invoice with page `page` (from 0) of its lines only: a read of the invoice and one
    /// of its pages, whatever its size. `None` if there is no such invoice; a page past the
    /// last has no lines.
    pub fn invoice_page(&self, number: &str, page: usize) -> Result<Option<InvoicePage>, ApiError> {
        match self.invoice_header(number)? {
            Some(stored) => self.with_page(stored, page).map(Some),
            None => Ok(None),
        }
    }

    /// A stored invoice with page `page` of its lines (a read of that page).
    pub fn with_page(&self, stored: StoredInvoice, page: usize) -> Result<InvoicePage, ApiError> {
        if stored.line_pages == 0 {
            // Stored whole by an earlier version, or a build with no line yet.
            return Ok(InvoicePage::of(stored.invoice, page));
        }
        let mut invoice = stored.invoice;
        if page < stored.line_pages as usize {
            invoice.lines = self.invoice_lines(&invoice.number, page as u32)?;
        }
        Ok(InvoicePage {
            invoice,
            line_count: stored.line_count,
            line_pages: stored.line_pages as usize,
            page,
        })
    }

    /// An invoice's lines `from..to` (in order), reading only the pages that hold them.
    pub fn invoice_lines_between(
        &self,
        stored: &StoredInvoice,
        from: usize,
        to: usize,
    ) -> Result<Vec<InvoiceLine>, ApiError> {
        use subsidy_rules::invoice::LINES_PER_PAGE;
        if stored.line_pages == 0 {
            return Ok(
                stored.invoice.lines[from.min(to)..to.min(stored.invoice.lines.len())].to_vec(),
            );
        }
        let mut lines = Vec::new();
        for page in from / LINES_PER_PAGE..to.div_ceil(LINES_PER_PAGE) {
            let first = page * LINES_PER_PAGE;
            let page_lines = self.invoice_lines(&stored.invoice.number, page as u32)?;
            lines.extend(
                (page_lines.into_iter().enumerate())
                    .filter(|(i, _)| (from..to).contains(&(first + i)))
                    .map(|(_, line)| line),
            );
        }
        Ok(lines)
    }

    /// Frees a record from invoice `number`'s mark and gives its course back; only the request
    /// whose swap clears the mark gives it back. The record as it now is.
    pub fn unbill_record(
        &self,
        platform: &PlatformId,
        record_id: &str,
        number: &str,
    ) -> Result<CompletionRecord, ApiError> {
        let mut cleared = false;
        let record = self.update_completion(platform, record_id, |current| {
            cleared = current.invoice.as_deref() == Some(number);
            Ok(current.unbilled_from(number, None))
        })?;
        if cleared {
            let f = &record.facts;
            self.release_course(&f.trainee.person, &f.occupation, f.level)?;
        }
        Ok(record)
    }

    /// An invoice's line of a record, if it has one: a read of each page until it is found.
    pub fn invoice_line(
        &self,
        number: &str,
        record_id: &str,
    ) -> Result<Option<InvoiceLine>, ApiError> {
        let Some(stored) = self.invoice_header(number)? else {
            return Ok(None);
        };
        let find = |lines: Vec<InvoiceLine>| lines.into_iter().find(|l| l.record_id == record_id);
        if let Some(line) = find(stored.invoice.lines) {
            return Ok(Some(line));
        }
        for page in 0..stored.line_pages {
            if let Some(line) = find(self.invoice_lines(number, page)?) {
                return Ok(Some(line));
            }
        }
        Ok(None)
    }

    /// Commits a step of an invoice's build: `lines` are appended to the pages after those of
    /// the invoice as it was (`before`; none before its first commit), then `next` replaces
    /// it under compare-and-swap (a new invoice is listed first). Pages are written before
    /// the invoice that counts them, so a step killed midway leaves nothing a reader sees;
    /// the next step writes the same pages again. 409 if another step committed meanwhile.
    pub fn commit_invoice_step(
        &self,
        before: Option<&StoredInvoice>,
        next: &Invoice,
        lines: &[InvoiceLine],
    ) -> Result<StoredInvoice, ApiError> {
        use subsidy_rules::invoice::LINES_PER_PAGE;
        let count_before = before.map_or(0, |b| b.line_count);
        let first_page = count_before / LINES_PER_PAGE;
        let mut pending: Vec<InvoiceLine> = match count_before % LINES_PER_PAGE {
            0 => Vec::new(),
            // The last page is partly full: it is written again with the new lines.
            kept => {
                let mut page = self.invoice_lines(&next.number, first_page as u32)?;
                page.truncate(kept);
                page
            }
        };
        pending.extend_from_slice(lines);
        for (i, page) in pending.chunks(LINES_PER_PAGE).enumerate() {
            let key =
                store_keys::invoice_lines(&self.county, &next.number, (first_page + i) as u32);
            self.set_json(&key, &page)?;
        }
        if before.is_none() {
            let index = store_keys::platform_invoices(&self.county, &next.platform_id);
            self.append(&index, &next.number)?;
        }
        let line_count = count_before + lines.len();
        let expected = before.map(|b| b.invoice.build.clone());
        self.update_json(
            &store_keys::invoice(&self.county, &next.number),
            |current: Option<StoredInvoice>| {
                let now = current.as_ref().map(|c| c.invoice.build.clone());
                if now != expected {
                    return Err(ApiError::conflict(subsidy_rules::Reason::new(
                        "invoice_build_moved",
                        "发票开具已由另一请求推进，请重试",
                        "Another request moved the invoice's build on; please retry",
                    )));
                }
                Ok(StoredInvoice {
                    invoice: next.clone(),
                    line_pages: line_count.div_ceil(LINES_PER_PAGE) as u32,
                    line_count,
                })
            },
        )
    }

    /// A platform month's build going on, if any.
    pub fn invoice_build(
        &self,
        platform: &PlatformId,
        month: &str,
    ) -> Result<Option<BuildStart>, ApiError> {
        self.get_json(&store_keys::invoice_build(&self.county, platform, month))
    }

    /// Records a platform month's build going on, or (none) that it ended.
    pub fn set_invoice_build(
        &self,
        platform: &PlatformId,
        month: &str,
        build: Option<&BuildStart>,
    ) -> Result<(), ApiError> {
        let key = store_keys::invoice_build(&self.county, platform, month);
        match build {
            Some(build) => self.set_json(&key, build),
            None => self.bucket.delete(&key).map_err(store_error),
        }
    }

    /// Changes an invoice's state under compare-and-swap, and answers its first page. Its
    /// lines never change once issued: only the invoice itself is read and written back.
    pub fn update_invoice(
        &self,
        number: &str,
        mut change: impl FnMut(Invoice) -> Result<Invoice, ApiError>,
    ) -> Result<InvoicePage, ApiError> {
        let stored = self.update_json(
            &store_keys::invoice(&self.county, number),
            |current: Option<StoredInvoice>| {
                let current = current.ok_or_else(ApiError::not_found)?;
                Ok(StoredInvoice {
                    invoice: change(current.invoice)?,
                    ..current
                })
            },
        )?;
        self.with_page(stored, 0)
    }

    pub fn account(&self, login: &LoginName) -> Result<Option<OperatorAccount>, ApiError> {
        self.get_json(&store_keys::account(&self.county, login))
    }

    /// Creates an account, listed first; false when the login name is taken. The first to
    /// take the login's counter creates it; a later creation finding the counter taken and no
    /// account writes it (its first creator died before writing).
    pub fn create_account(&self, account: &OperatorAccount) -> Result<bool, ApiError> {
        let login = &account.login;
        if !self.take_once(&store_keys::account_created(&self.county, login))?
            && self.account(login)?.is_some()
        {
            return Ok(false);
        }
        self.append(&store_keys::accounts(&self.county), login.as_str())?;
        self.set_json(&store_keys::account(&self.county, login), account)?;
        Ok(true)
    }

    /// Changes an account under compare-and-swap; 404 when there is none.
    pub fn update_account(
        &self,
        login: &LoginName,
        mut change: impl FnMut(OperatorAccount) -> Result<OperatorAccount, ApiError>,
    ) -> Result<OperatorAccount, ApiError> {
        self.update_json(&store_keys::account(&self.county, login), |current| {
            change(current.ok_or_else(ApiError::not_found)?)
        })
    }

    /// A page of the accounts, in order of creation: from slot `after + 1`, at most `limit`;
    /// and the slot to continue after.
    pub fn accounts_page(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<(Vec<OperatorAccount>, u64), ApiError> {
        let index = store_keys::accounts(&self.county);
        let (logins, next_after, _) = self.entries_page(&index, after, limit)?;
        let mut accounts = Vec::new();
        for login in logins {
            if let Ok(login) = LoginName::parse(&login) {
                accounts.extend(self.account(&login)?);
            }
        }
        Ok((accounts, next_after))
    }

    /// Records a sign-in, a failure or a change in the accounts' log.
    pub fn log_account_event(&self, event: &AccountEvent) -> Result<(), ApiError> {
        let entry = serde_json::to_string(event).expect("account events serialize");
        self.append(&store_keys::account_log(&self.county), &entry)
    }

    /// A page of the accounts' log, oldest first: from slot `after + 1`, at most `limit`; the
    /// slot to continue after, and whether it is the last.
    pub fn account_log_page(
        &self,
        page: LogPage,
        limit: usize,
    ) -> Result<(Vec<AccountEvent>, u64, bool), ApiError> {
        let index = store_keys::account_log(&self.county);
        let (entries, next_after, done) = match page {
            LogPage::After(after) => self.entries_page(&index, after, limit)?,
            LogPage::Before(before) => self.entries_page_newest(&index, before, limit)?,
        };
        let events = (entries.iter())
            .filter_map(|e| serde_json::from_str(e).ok())
            .collect();
        Ok((events, next_after, done))
    }

    /// A page of a platform's invoices, oldest first, each with its first page of lines: from
    /// slot `after + 1`, at most `limit`; and the slot to continue after.
    pub fn platform_invoices(
        &self,
        platform: &PlatformId,
        after: u64,
        limit: usize,
    ) -> Result<(Vec<InvoicePage>, u64), ApiError> {
        let index = store_keys::platform_invoices(&self.county, platform);
        let (numbers, next_after, _) = self.entries_page(&index, after, limit)?;
        let mut invoices = Vec::new();
        for number in numbers {
            invoices.extend(self.invoice_page(&number, 0)?);
        }
        Ok((invoices, next_after))
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
