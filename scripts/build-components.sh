#!/usr/bin/env bash
# Builds every Spin component of the app, and the benchmark's no-op baseline, for wasm32-wasip2
# with the size-tuned release profile, where spin.toml and the test host look for them
# (target/wasm32-wasip2/release).
set -euo pipefail
cd "$(dirname "$0")/.."
# RUSTUP_AUTO_INSTALL=0 machines fetch nothing by themselves; this is quick when present.
rustup target add wasm32-wasip2 >/dev/null
cargo build --release --target wasm32-wasip2 \
  -p policy-lookup -p eligibility-check -p platform-completions -p platform-invoices \
  -p county-billing -p trainee-claims \
  -p county-desk -p county-admin -p operator-console -p public-notice \
  -p noop-component
