#!/usr/bin/env bash
# All tests: the rules crate's unit tests, the host's, and the integration tests that run the
# freshly built wasm components through the in-process Spin host. Ends with one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-components.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace 2>&1 | tee "$log" || status=$?
passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s += $1} END {print s + 0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s += $1} END {print s + 0}')
echo "all tests: $passed passed, $failed failed"
exit "$status"
