//! An in-process Spin host on wasmtime. It reads `spin.toml`, loads the compiled components,
//! routes requests as Spin does (with the `spin-*` headers), and provides exactly the Spin
//! interfaces the components import, over a store with the semantics of Spin 4.0.2's SQLite
//! or Redis backend, counting every host call a request makes. The integration tests drive it
//! in-process and over HTTP; `county-host serve` serves it for anyone without the Spin CLI.

pub mod cli;
pub mod client;
pub mod dev;
pub mod host;
pub mod kv;
pub mod manifest;
pub mod routes;
pub mod runtime_config;
pub mod serve;
mod spin_imports;

pub use host::{App, ExtraComponent, Host, HostResponse};
pub use kv::KvStore;
pub use spin_imports::HostCalls;
