//! The host side of the Spin interfaces the components import: `fermyon:spin/variables` and
//! `wasi:keyvalue/{store,atomics}`, with Spin's rules for which stores a component may open.

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::component::{Resource, ResourceTable};

use crate::kv::KvStore;

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
use wasi::keyvalue::{atomics, store};

/// An open store, by label.
pub struct Bucket {
    label: String,
}

/// A compare-and-swap in progress: what `current()` saw, if it was called.
pub struct Cas {
    label: String,
    key: String,
    seen: Option<Vec<u8>>,
}

/// What one component instance may reach.
pub struct SpinState {
    pub kv: Arc<KvStore>,
    /// The component's `key_value_stores`.
    pub allowed_stores: Arc<Vec<String>>,
    /// The component's variables, templates resolved.
    pub variables: Arc<BTreeMap<String, String>>,
}

/// Store state plus the resource table shared with wasi and wasi-http.
pub struct SpinView<'a> {
    pub state: &'a SpinState,
    pub table: &'a mut ResourceTable,
}

/// Spin's labels: `default` always exists; any other would need runtime configuration, which
/// this app does not use.
fn defined(label: &str) -> bool {
    label == "default"
}

impl variables::Host for SpinView<'_> {
    fn get(&mut self, name: String) -> wasmtime::Result<Result<String, variables::Error>> {
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
        if !self.state.allowed_stores.contains(&identifier) {
            return Ok(Err(store::Error::AccessDenied));
        }
        if !defined(&identifier) {
            return Ok(Err(store::Error::NoSuchStore));
        }
        Ok(Ok(self.table.push(Bucket { label: identifier })?))
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
        let label = &self.table.get(&bucket)?.label;
        Ok(self.state.kv.get(label, &key).map_err(other))
    }

    fn set(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        let label = &self.table.get(&bucket)?.label;
        Ok(self.state.kv.set(label, &key, &value).map_err(other))
    }

    fn delete(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        let label = &self.table.get(&bucket)?.label;
        Ok(self.state.kv.delete(label, &key).map_err(other))
    }

    fn exists(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<bool, store::Error>> {
        let label = &self.table.get(&bucket)?.label;
        Ok(self.state.kv.exists(label, &key).map_err(other))
    }

    /// Spin returns every key at once and never a cursor.
    fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        _cursor: Option<String>,
    ) -> wasmtime::Result<Result<store::KeyResponse, store::Error>> {
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

impl atomics::Host for SpinView<'_> {
    fn increment(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, store::Error>> {
        let label = &self.table.get(&bucket)?.label;
        match self.state.kv.increment(label, &key, delta) {
            Ok(result) => Ok(result.map_err(other)),
            Err(trap) => Err(wasmtime::format_err!("{trap}")),
        }
    }

    fn swap(
        &mut self,
        cas: Resource<Cas>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), atomics::CasError>> {
        let op = self.table.delete(cas)?;
        match self
            .state
            .kv
            .swap(&op.label, &op.key, op.seen.as_deref(), &value)
        {
            Ok(true) => Ok(Ok(())),
            Ok(false) => {
                // The guest gets the operation back, still holding what it saw, as in Spin.
                let again = self.table.push(op)?;
                Ok(Err(atomics::CasError::CasFailed(again)))
            }
            Err(e) => Ok(Err(atomics::CasError::StoreError(other(e)))),
        }
    }
}

impl atomics::HostCas for SpinView<'_> {
    fn new(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> wasmtime::Result<Result<Resource<Cas>, store::Error>> {
        let label = self.table.get(&bucket)?.label.clone();
        Ok(Ok(self.table.push(Cas {
            label,
            key,
            seen: None,
        })?))
    }

    fn current(
        &mut self,
        cas: Resource<Cas>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        let (label, key) = {
            let op = self.table.get(&cas)?;
            (op.label.clone(), op.key.clone())
        };
        match self.state.kv.get(&label, &key) {
            Ok(value) => {
                self.table.get_mut(&cas)?.seen.clone_from(&value);
                Ok(Ok(value))
            }
            Err(e) => Ok(Err(other(e))),
        }
    }

    fn drop(&mut self, cas: Resource<Cas>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}
