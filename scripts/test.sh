#!/usr/bin/env bash
# All tests, built once: the rules' unit tests, the host's, and the API tests that run the
# freshly built wasm components through the in-process Spin host with Spin's SQLite store
# semantics; then the host's Redis tests and the API tests again with Spin's Redis semantics,
# against a redis-server of their own; the SpinKube manifests against the CRD; the county's
# nginx config in front of `county-host serve`; the operators'
# console in a real browser (headless chromium); the API's contract (docs/openapi.json, which
# the API tests hold every answer to) valid OpenAPI 3.1 and every operation of it exercised in
# both store modes; the commands of the README and of
# docs/operations.md, verbatim. Installs what the tests need where it is missing first. Ends
# with one summary line for all of it.
set -euo pipefail
cd "$(dirname "$0")/.."
# What the tests need, installed where missing: Debian's redis-server, chromium, chromedriver,
# nginx and a Chinese font (as root, or through sudo); PyPI's jsonschema, PyYAML, openpyxl,
# selenium, openapi-spec-validator.
if ! command -v redis-server >/dev/null || ! command -v chromedriver >/dev/null ||
  ! [ -x /usr/sbin/nginx ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server \
    chromium chromium-driver nginx fonts-wqy-zenhei >/dev/null
fi
python3 -c 'import jsonschema, yaml, openpyxl, selenium, openapi_spec_validator' 2>/dev/null ||
  python3 -m pip install -q jsonschema pyyaml openpyxl selenium openapi-spec-validator
scripts/build-components.sh
log=$(mktemp)
folder=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --databases 1024 \
  --daemonize yes --pidfile "$folder/redis.pid" --logfile "$folder/redis.log" --dir "$folder"
stop() {
  [ -f "$folder/redis.pid" ] && kill "$(cat "$folder/redis.pid")" 2>/dev/null || true
  rm -rf "$folder" "$log"
}
trap stop EXIT
status=0
# Each operation of docs/openapi.json the API tests exercise, per store mode.
export COUNTY_API_EXERCISED_DIR="$folder/exercised"
mkdir -p "$COUNTY_API_EXERCISED_DIR"
echo "== SQLite store semantics (and every unit test)"
COUNTY_API_EXERCISED="$COUNTY_API_EXERCISED_DIR/sqlite.txt" \
  cargo test --workspace --no-fail-fast 2>&1 | tee "$log" || status=$?
echo "== Redis store semantics (redis-server on 127.0.0.1:$port)"
export COUNTY_TEST_REDIS="redis://127.0.0.1:$port"
# The same package selection as above, so nothing is rebuilt: the unit tests run again (the
# host's Redis ones now against the server) and the API tests.
COUNTY_API_EXERCISED="$COUNTY_API_EXERCISED_DIR/redis.txt" \
  cargo test --workspace --no-fail-fast --lib --test api 2>&1 | tee -a "$log" || status=$?
# Python unittest suites: their counts join the summary.
unittests() {
  python3 -m unittest discover -s "$1" -p 'test_*.py' -v 2>&1 | tee "$log.py" || status=$?
  ran=$(grep -Eo '^Ran [0-9]+ test' "$log.py" | awk '{print $2}')
  if grep -q '^OK' "$log.py"; then
    echo "${ran:-0} passed; 0 failed" >>"$log"
  else
    echo "0 passed; ${ran:-1} failed" >>"$log"
  fi
  rm -f "$log.py"
}
echo "== The API's contract: OpenAPI 3.1, every operation exercised in both store modes"
unittests tests/openapi
echo "== Deployment manifests against the SpinKube CRD; the county's nginx in front of the app"
unittests deploy
echo "== The operators' console in a real browser (screenshots in target/browser-test/)"
unittests tests/browser
echo "== The worked clients of examples/ (a partner platform, a mini-program) against the app"
unittests examples
echo "== The commands of README.md and docs/operations.md, verbatim"
python3 scripts/readme-commands.py 2>&1 | tee -a "$log" || status=$?
passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s += $1} END {print s + 0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s += $1} END {print s + 0}')
# A build that failed ran no test of its own: count it, so the line never reads clean.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "all tests: $passed passed, $failed failed"
exit "$status"
