//! An in-process Spin host on wasmtime. It reads `spin.toml`, loads the compiled components,
//! routes requests as Spin does (with the `spin-*` headers), and provides exactly the Spin
//! interfaces the components import, over a store with the semantics of Spin's SQLite
//! backend. The integration tests drive it in-process; `county-host serve` serves it on
//! 127.0.0.1 for anyone without the Spin CLI.

pub mod client;
pub mod host;
pub mod kv;
pub mod manifest;
mod spin_imports;

pub use host::{App, ExtraComponent, Host, HostResponse};
pub use kv::KvStore;
