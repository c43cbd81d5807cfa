//! The one way components reach the key-value store. Keys come from
//! `subsidy_rules::store_keys`; this layer adds the encoding (JSON, counters) and the
//! concurrency rules of SPIN-NOTES.md: plain get/set, compare-and-swap for read-modify-write
//! of shared documents, atomic increment for counters, never a key listing.

use serde::{Serialize, de::DeserializeOwned};
use spin_sdk::wit::wasi::keyvalue::{atomics, store};
use subsidy_rules::{
    CountyCode, PersonGroup, PersonKey, PlatformRegister, RegistryEntry, StandardsTable,
    eligibility::PriorClaim, store_keys,
};

use crate::ApiError;

/// The store label every component lists in `key_value_stores`.
const LABEL: &str = "default";

/// Attempts at a compare-and-swap before answering 409: only hot contention gets there.
const CAS_ATTEMPTS: usize = 8;

pub struct Store {
    bucket: store::Bucket,
    county: CountyCode,
}

fn unavailable(detail: impl std::fmt::Display) -> ApiError {
    ApiError::server(
        503,
        "store_unavailable",
        "数据存储暂不可用，请稍后重试",
        format!("The key-value store failed: {detail}"),
    )
}

fn corrupt(key: &str, detail: impl std::fmt::Display) -> ApiError {
    ApiError::server(
        500,
        "store_corrupt",
        "存储的数据无法读取，请联系系统管理员",
        format!("The value at {key} does not decode: {detail}"),
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
        })
    }

    fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, ApiError> {
        match self.bucket.get(key).map_err(store_error)? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| corrupt(key, e)),
        }
    }

    fn set_json<T: Serialize>(&self, key: &str, value: &T) -> Result<(), ApiError> {
        let bytes = serde_json::to_vec(value).expect("store values serialize");
        self.bucket.set(key, &bytes).map_err(store_error)
    }

    /// Read-modify-write of one JSON document, retried on a concurrent change. On the SQLite
    /// backend a document's very first write cannot detect a concurrent first write (a swap
    /// from absent is an upsert); every later write can.
    fn update_json<T, F>(&self, key: &str, mut change: F) -> Result<T, ApiError>
    where
        T: Serialize + DeserializeOwned,
        F: FnMut(Option<T>) -> Result<T, ApiError>,
    {
        for _ in 0..CAS_ATTEMPTS {
            let cas = atomics::Cas::new(&self.bucket, key).map_err(store_error)?;
            let current = match cas.current().map_err(store_error)? {
                None => None,
                Some(bytes) => Some(serde_json::from_slice(&bytes).map_err(|e| corrupt(key, e))?),
            };
            let next = change(current)?;
            let bytes = serde_json::to_vec(&next).expect("store values serialize");
            match atomics::swap(cas, &bytes) {
                Ok(()) => return Ok(next),
                Err(atomics::CasError::CasFailed(_)) => continue,
                Err(atomics::CasError::StoreError(e)) => return Err(store_error(e)),
            }
        }
        Err(ApiError::server(
            409,
            "concurrent_change",
            "数据正被他人同时修改，请重试",
            "Someone else changed the same data at the same moment; please retry",
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
        let mut change = change;
        self.update_json(
            &store_keys::standards(&self.county),
            |t: Option<StandardsTable>| change(t.unwrap_or_default()),
        )
    }

    /// The county's platform register; until an operator changes it, the built-in seed.
    pub fn platforms(&self) -> Result<PlatformRegister, ApiError> {
        let stored = self.get_json(&store_keys::platforms(&self.county))?;
        Ok(stored.unwrap_or_else(|| PlatformRegister::seed_for(&self.county)))
    }

    pub fn update_platforms(
        &self,
        change: impl FnMut(PlatformRegister) -> Result<PlatformRegister, ApiError>,
    ) -> Result<PlatformRegister, ApiError> {
        let mut change = change;
        let county = self.county.clone();
        self.update_json(
            &store_keys::platforms(&self.county),
            |r: Option<PlatformRegister>| {
                change(r.unwrap_or_else(|| PlatformRegister::seed_for(&county)))
            },
        )
    }

    /// A person's key-group registry entries, one read per group.
    pub fn registry_entries(
        &self,
        person: &PersonKey,
        groups: &[PersonGroup],
    ) -> Result<Vec<RegistryEntry>, ApiError> {
        let mut entries = Vec::new();
        for group in groups {
            let key = store_keys::registry_entry(&self.county, person, *group);
            entries.extend(self.get_json::<RegistryEntry>(&key)?);
        }
        Ok(entries)
    }

    /// Records (or replaces) a person's entry for one group: an upload for the same person and
    /// group is the newer word on it.
    pub fn put_registry_entry(
        &self,
        person: &PersonKey,
        entry: &RegistryEntry,
    ) -> Result<(), ApiError> {
        self.set_json(
            &store_keys::registry_entry(&self.county, person, entry.group),
            entry,
        )
    }

    /// Every claim a person has made here, through the slots the claim counter handed out. A
    /// slot without a claim id is a submission that died before it was written: skipped.
    pub fn claim_history(&self, person: &PersonKey) -> Result<Vec<PriorClaim>, ApiError> {
        let slots = self.counter(&store_keys::person_claim_count(&self.county, person))?;
        let mut claims = Vec::new();
        for slot in 1..=slots {
            let slot_key = store_keys::person_claim_slot(&self.county, person, slot);
            let Some(claim_id) = self.get_json::<String>(&slot_key)? else {
                continue;
            };
            let claim_key = store_keys::claim(&self.county, &claim_id);
            claims.extend(self.get_json::<PriorClaim>(&claim_key)?);
        }
        Ok(claims)
    }
}
