#!/usr/bin/env bash
# Serves the app on http://127.0.0.1:3000 without the Spin CLI, its store in .data/kv.db
# (kept across restarts). Configuration comes from SPIN_VARIABLE_* as for `spin up`; unset
# ones get development values, never fit for a real county.
set -euo pipefail
cd "$(dirname "$0")/.."
dev() { # name value
  if [ -z "${!1:-}" ]; then
    export "$1=$2"
    echo "serve.sh: $1 not set, using a development value" >&2
  fi
}
dev SPIN_VARIABLE_COUNTY_CODE 370902
dev SPIN_VARIABLE_COUNTY_NAME 泰山区
dev SPIN_VARIABLE_OPERATOR_TOKEN_SECRET dev-operator-secret-0123456789abcdef
dev SPIN_VARIABLE_TRAINEE_TOKEN_SECRET dev-trainee-secret-0123456789abcdefg
dev SPIN_VARIABLE_PERSON_KEY_SECRET dev-person-key-secret-0123456789abc
scripts/build-components.sh
# `--bin`, not `-p`: the workspace's features, so the tests' build of the host is reused.
exec cargo run --bin county-host -- serve "$@"
