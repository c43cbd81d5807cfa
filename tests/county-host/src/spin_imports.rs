//! The host side of the Spin interfaces the components import: `fermyon:spin/variables` and
//! `wasi:keyvalue/{store,atomics,batch}`, with Spin's rules for which stores a component may open.

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::component::{Resource, ResourceTable};

use crate::kv::{self, KvStore, SwapError};

wasmtime::component::bindgen!({
    path: "wit",
    world: "spin-imports",
    imports: { default: trappable },
    with: {
        "wasi:keyvalue/store.bucket": Bucket,
        "wasi:keyvalue/atomics.cas": Cas,
    },
});

use fermyon::spin::variables;
use wasi::keyvalue::{atomics, batch, store};

/// An open store, by label.
pub struct Bucket {
    label: String,
}

/// A compare-and-swap in progress, on the bucket it was opened from.
pub struct Cas {
    label: String,
    key: String,
    state: kv::Cas,
}

/// The host calls one request made, by kind: on real Spin each costs real time
/// (`docs/spin.md`), so tests hold each endpoint to a budget.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct HostCalls {
    pub variable_gets: u32,
    pub store_opens: u32,
    pub gets: u32,
    pub sets: u32,
    pub deletes: u32,
    pub exists: u32,
    pub key_listings: u32,
    pub increments: u32,
    /// `cas::new`: on Spin's SQLite store it reaches no database; on Redis it opens a
    /// connection. Counted as a store operation all the same.
    pub cas_opens: u32,
    pub cas_currents: u32,
    pub cas_swaps: u32,
    pub get_manys: u32,
    pub set_manys: u32,
    pub delete_manys: u32,
}

impl HostCalls {
    /// Store operations of every kind, opens excluded.
    pub fn store_operations(&self) -> u32 {
        self.reads() + self.writes() + self.cas_opens + self.key_listings
    }

    /// Operations that only read: gets (one key or many), `exists`, a swap's `current`.
    pub fn reads(&self) -> u32 {
        self.gets + self.get_manys + self.exists + self.cas_currents
    }

    /// Operations that write: sets (one key or many), deletes, swaps and increments. On Spin's
    /// SQLite store each is its own committed transaction, an increment by 0 (a counter read)
    /// included.
    pub fn writes(&self) -> u32 {
        self.sets
            + self.set_manys
            + self.deletes
            + self.delete_manys
            + self.increments
            + self.cas_swaps
    }
}

/// What one component instance may reach.
pub struct SpinState {
    pub kv: Arc<KvStore>,
    /// The component's `key_value_stores`.
    pub allowed_stores: Arc<Vec<String>>,
    /// The component's variables, templates resolved.
    pub variables: Arc<BTreeMap<String, String>>,
    pub calls: HostCalls,
}

/// Store state plus the resource table shared with wasi and wasi-http.
pub struct SpinView<'a> {
    pub state: &'a mut SpinState,
    pub table: &'a mut ResourceTable,
}

/// Spin's labels: `default` always exists; any other would need runtime configuration, which
/// this app does not use.
fn defined(label: &str) -> bool {
    label == "default"
}

impl variables::Host for SpinView<'_> {
    fn get(&mut self, name: String) -> wasmtime::Result<Result<String, variables::Error>> {
        self.state.calls.variable_gets += 1;
        let valid = !name.is_empty()
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Ok(Err(variables::Error::InvalidName(name)));
        }
        Ok(self
            .state
            .variables
            .get(&name)
            .cloned()
            .ok_or(variables::Error::Undefined(name)))
    }
}

impl store::Host for SpinView<'_> {
    fn open(
        &mut self,
        identifier: String,
    ) -> wasmtime::Result<Result<Resource<Bucket>, store::Error>> {
        self.state.calls.store_opens += 1;
        if !self.state.allowed_stores.contains(&identifier) {
            return Ok(Err(store::Error::AccessDenied));
        }
        if !defined(&identifier) {
            return Ok(Err(store::Error::NoSuchStore));
        }
        Ok(Ok(self.table.push(Bucket { label: identifier })?))
    }
}

impl SpinView<'_> {
    /// Every store call first asks whether the test host kills the instance here: a trap, as
    /// when a pod dies between two operations.
    fn survive(&self) -> wasmtime::Result<()> {
        if self.state.kv.killed_now() {
            return Err(wasmtime::format_err!(
                "instance killed by the test host before this store call"
            ));
        }
        Ok(())
    }
}

/// `COUNTY_HOST_TRACE=1`: each store call's kind and key on stderr, to see what a request does.
fn trace(kind: &str, key: &str) {
    if std::env::var_os("COUNTY_HOST_TRACE").is_some() {
        eprintln!("store {kind} {key}");
    }
}

fn other(e: String) -> store::Error {
    store::Error::Other(e)
}

impl store::HostBucket for SpinView<'_> {
    fn get(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        self.state.calls.gets += 1;
        trace("get", &key);
        self.survive()?;
        let label = &self.table.get(&bucket)?.label;
        Ok(self.state.kv.get(label, &key).map_err(other))
    }

    fn set(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        self.state.calls.sets += 1;
        trace("set", &key);
        self.survive()?;
        let label = &self.table.get(&bucket)?.label;
        Ok(self.state.kv.set(label, &key, &value).map_err(other))
    }

    fn delete(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        self.state.calls.deletes += 1;
        self.survive()?;
        let label = &self.table.get(&bucket)?.label;
        Ok(self.state.kv.delete(label, &key).map_err(other))
    }

    fn exists(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<bool, store::Error>> {
        self.state.calls.exists += 1;
        self.survive()?;
        let label = &self.table.get(&bucket)?.label;
        Ok(self.state.kv.exists(label, &key).map_err(other))
    }

    /// Spin returns every key at once and never a cursor.
    fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        _cursor: Option<String>,
    ) -> wasmtime::Result<Result<store::KeyResponse, store::Error>> {
        self.state.calls.key_listings += 1;
        self.survive()?;
        let label = &self.table.get(&bucket)?.label;
        Ok(self
            .state
            .kv
            .keys(label)
            .map(|keys| store::KeyResponse { keys, cursor: None })
            .map_err(other))
    }

    fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl batch::Host for SpinView<'_> {
    fn get_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<Vec<(String, Option<Vec<u8>>)>, store::Error>> {
        self.state.calls.get_manys += 1;
        trace("get-many", &keys.join(" "));
        self.survive()?;
        // As Spin's host: no keys, no call to the store.
        if keys.is_empty() {
            return Ok(Ok(Vec::new()));
        }
        let label = &self.table.get(&bucket)?.label;
        match self.state.kv.get_many(label, &keys) {
            Ok(result) => Ok(result.map_err(other)),
            Err(trap) => Err(wasmtime::format_err!("{trap}")),
        }
    }

    fn set_many(
        &mut self,
        bucket: Resource<Bucket>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        self.state.calls.set_manys += 1;
        let keys: Vec<&str> = key_values.iter().map(|(k, _)| k.as_str()).collect();
        trace("set-many", &keys.join(" "));
        self.survive()?;
        if key_values.is_empty() {
            return Ok(Ok(()));
        }
        let label = &self.table.get(&bucket)?.label;
        Ok(self.state.kv.set_many(label, &key_values).map_err(other))
    }

    fn delete_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        self.state.calls.delete_manys += 1;
        self.survive()?;
        if keys.is_empty() {
            return Ok(Ok(()));
        }
        let label = &self.table.get(&bucket)?.label;
        Ok(self.state.kv.delete_many(label, &keys).map_err(other))
    }
}

impl atomics::Host for SpinView<'_> {
    fn increment(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, store::Error>> {
        self.state.calls.increments += 1;
        trace("incr", &key);
        self.survive()?;
        let label = &self.table.get(&bucket)?.label;
        match self.state.kv.increment(label, &key, delta) {
            Ok(result) => Ok(result.map_err(other)),
            Err(trap) => Err(wasmtime::format_err!("{trap}")),
        }
    }

    /// As Spin's host does: a swap that fails as `cas-failed` hands the guest a new
    /// compare-and-swap on the same key, its `current()` already taken.
    fn swap(
        &mut self,
        cas: Resource<Cas>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), atomics::CasError>> {
        self.state.calls.cas_swaps += 1;
        self.survive()?;
        let op = self.table.delete(cas)?;
        match self.state.kv.cas_swap(op.state, &value) {
            Ok(()) => Ok(Ok(())),
            Err(SwapError::CasFailed(_)) => {
                let mut state = match self.state.kv.cas_new(&op.label, &op.key) {
                    Ok(state) => state,
                    Err(e) => return Ok(Err(atomics::CasError::StoreError(other(e)))),
                };
                if let Err(e) = self.state.kv.cas_current(&mut state) {
                    return Ok(Err(atomics::CasError::StoreError(other(e))));
                }
                let again = self.table.push(Cas {
                    label: op.label,
                    key: op.key,
                    state,
                })?;
                Ok(Err(atomics::CasError::CasFailed(again)))
            }
            Err(SwapError::Other(e)) => Ok(Err(atomics::CasError::StoreError(other(e)))),
        }
    }
}

impl atomics::HostCas for SpinView<'_> {
    fn new(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<Resource<Cas>, store::Error>> {
        self.state.calls.cas_opens += 1;
        trace("cas", &key);
        self.survive()?;
        let label = self.table.get(&bucket)?.label.clone();
        let state = match self.state.kv.cas_new(&label, &key) {
            Ok(state) => state,
            Err(e) => return Ok(Err(other(e))),
        };
        Ok(Ok(self.table.push(Cas { label, key, state })?))
    }

    fn current(
        &mut self,
        cas: Resource<Cas>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        self.state.calls.cas_currents += 1;
        self.survive()?;
        let op = self.table.get_mut(&cas)?;
        Ok(self.state.kv.cas_current(&mut op.state).map_err(other))
    }

    fn drop(&mut self, cas: Resource<Cas>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}
