#!/usr/bin/env bash
# All tests: the rules crate's unit tests, the host's, and the integration tests that run the
# freshly built wasm components through the in-process Spin host.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-components.sh
cargo test --workspace
