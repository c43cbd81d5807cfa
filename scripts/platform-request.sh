#!/usr/bin/env bash
# Sends one signed platform request with curl and openssl, following the README's signing
# scheme: a reference a platform engineer can read in one screen.
#   PLATFORM_KEY_ID=pk_… PLATFORM_SECRET=ps_… scripts/platform-request.sh METHOD PATH_AND_QUERY [BODY]
# BASE_URL defaults to http://127.0.0.1:3000.
set -euo pipefail
method=$1 target=$2 body=${3:-}
path=${target%%\?*}
query=""
[[ $target == *\?* ]] && query=${target#*\?}
timestamp=$(date +%s)
nonce=$(openssl rand -hex 16)
body_digest=$(printf '%s' "$body" | openssl dgst -sha256 -r | cut -d' ' -f1)
string_to_sign=$(printf '%s\n%s\n%s\n%s\n%s\n%s' "$method" "$path" "$query" "$timestamp" "$nonce" "$body_digest")
signature=$(printf '%s' "$string_to_sign" | openssl dgst -sha256 -hmac "$PLATFORM_SECRET" -r | cut -d' ' -f1)
args=(-s -X "$method" "${BASE_URL:-http://127.0.0.1:3000}$target"
  -H "X-Key-Id: $PLATFORM_KEY_ID" -H "X-Timestamp: $timestamp"
  -H "X-Nonce: $nonce" -H "X-Signature: $signature")
[ -n "$body" ] && args+=(-H "Content-Type: application/json" --data-binary "$body")
curl "${args[@]}"
echo
