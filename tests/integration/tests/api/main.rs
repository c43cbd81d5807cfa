//! The county API end to end: real HTTP requests through the compiled wasm components, served
//! by the in-process Spin host (`tests/county-host`). One test binary, one module per
//! component or concern, one helper per endpoint in `helpers.rs`.

mod accounts;
mod bad_input;
mod budgets;
mod caching;
mod claim_submission;
mod code_shape;
mod console_labels;
mod contract;
mod eligibility_check;
mod event_feeds;
mod exports;
mod helpers;
mod invariants;
mod model;
mod offers;
mod platform_invoicing;
mod policy_lookup;
mod publicity;
mod reliability;
mod replicas;
mod reversals;
mod routing;
mod security;
mod upgrades;
mod volume;
