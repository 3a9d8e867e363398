#!/usr/bin/env bash
# Property-based API robustness run: schemathesis (pinned, from PyPI, in a venv under
# ~/.cache/zendesk-sync/) against the local server's own /openapi.json. Not part of CI.
#
#   scripts/schemathesis.sh                    # 50 examples per operation, at most 10 minutes
#   ST_EXAMPLES=200 ST_SECONDS=1800 scripts/schemathesis.sh
#
# It builds and starts `zendesk-sync serve` (shared/local-server) on 127.0.0.1 with a fresh
# temporary data dir and a random ZSYNC_AUTH_SECRET, mints an admin token with
# `zendesk-sync token`, runs every check schemathesis has (no 5xx, responses match the
# documented status codes, content types and schemas, ...), and stops the server.
#
# Expected findings, by design: "ST202 Schema-valid request rejected" for ids in a body
# (owner_id, assigned_to, contact_id, integration_id) or a `cursor` that name nothing here —
# a schema cannot say which ids exist; they are answered 400 naming the field.
set -euo pipefail
cd "$(dirname "$0")/.."

version="4.32.5"
venv="${HOME}/.cache/zendesk-sync/schemathesis-venv"
examples="${ST_EXAMPLES:-50}"
seconds="${ST_SECONDS:-600}"
port="${ST_PORT:-38417}"

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==${version}"
fi

# ZSYNC_BIN: an already built `zendesk-sync` to use instead of building it here.
bin="${ZSYNC_BIN:-}"
if [ -z "$bin" ]; then
  cargo build -q -p zendesk-sync
  bin="target/debug/zendesk-sync"
fi
data="$(mktemp -d)"
export ZSYNC_AUTH_SECRET="$(head -c 32 /dev/urandom | base64)"
"$bin" --log-format json serve --addr "127.0.0.1:${port}" --data-dir "$data" \
  --allow-insecure-zendesk-url > "$data/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:${port}/health" > /dev/null 2>&1 && break
  sleep 0.1
done
token="$("$bin" token --email schemathesis@crm.example.com --admin)"

set +e
timeout "$seconds" "$venv/bin/schemathesis" run "http://127.0.0.1:${port}/openapi.json" \
  --url "http://127.0.0.1:${port}" \
  -H "Authorization: Bearer ${token}" \
  --checks all \
  --max-examples "$examples" \
  --seed 20261126 \
  --max-time "$(( seconds * 2 / 3 ))" \
  --request-timeout 10 \
  --workers 1 \
  "${@}"
rc=$?
set -e
if grep -q '"level":"ERROR"' "$data/server.log"; then
  echo "server errors:"; grep '"level":"ERROR"' "$data/server.log" | head -20
fi
exit "$rc"
