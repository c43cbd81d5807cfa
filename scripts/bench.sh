#!/usr/bin/env bash
# The benchmark suite: ratios to a no-op component, growth with the store, component sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-components.sh
exec cargo run --profile bench-host -p county-bench -- "$@"
