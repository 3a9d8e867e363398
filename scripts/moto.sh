#!/usr/bin/env bash
# Installs moto[server] in a venv (once) and starts it on 127.0.0.1 on a free port.
# Source it: `source scripts/moto.sh && moto_start` exports AWS_ENDPOINT_URL, dummy
# credentials and a region; `moto_stop` stops the server.
# `moto_iam_start` starts a second server that enforces IAM (tests/tests/aws_iam.rs) and exports
# ZSYNC_IAM_MOTO_ENDPOINT and its administrator's keys; `moto_iam_stop` stops it. Enforcement is
# global to a moto process, so every other test keeps the first, unchecked server.
MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
VENV="${ZSYNC_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/zendesk-sync/venv-moto-$MOTO_VERSION}"

moto_install() {
  if [ ! -x "$VENV/bin/moto_server" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  fi
}

moto_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

moto_start() {
  moto_install || return 1
  local port
  port=$(moto_free_port)
  MOTO_LOG="${MOTO_LOG:-$(mktemp -t moto.XXXXXX.log)}"
  "$VENV/bin/python" "$(dirname "${BASH_SOURCE[0]}")/moto_server.py" -H 127.0.0.1 -p "$port" >"$MOTO_LOG" 2>&1 &
  MOTO_PID=$!
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
  export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  export AWS_EC2_METADATA_DISABLED=true
  for _ in $(seq 1 100); do
    if curl -fsS "$AWS_ENDPOINT_URL/moto-api/" >/dev/null 2>&1; then
      echo "moto server on $AWS_ENDPOINT_URL (pid $MOTO_PID)"
      return 0
    fi
    sleep 0.2
  done
  echo "moto server did not start; log:" >&2
  cat "$MOTO_LOG" >&2
  return 1
}

moto_stop() {
  if [ -n "${MOTO_PID:-}" ]; then
    kill "$MOTO_PID" 2>/dev/null
    wait "$MOTO_PID" 2>/dev/null
    unset MOTO_PID
  fi
}

# IAM enforced after the first 3 actions, which scripts/moto_iam_bootstrap.py spends on the
# administrator before anything else can reach the server. AWS's managed policies are loaded
# (the suite reads AWSLambdaSQSQueueExecutionRole from there, as SAM attaches it).
moto_iam_start() {
  moto_install || return 1
  local port endpoint keys
  port=$(moto_free_port)
  MOTO_IAM_LOG="${MOTO_IAM_LOG:-$(mktemp -t moto-iam.XXXXXX.log)}"
  INITIAL_NO_AUTH_ACTION_COUNT=3 MOTO_IAM_LOAD_MANAGED_POLICIES=true \
    "$VENV/bin/python" "$(dirname "${BASH_SOURCE[0]}")/moto_server.py" -H 127.0.0.1 -p "$port" >"$MOTO_IAM_LOG" 2>&1 &
  MOTO_IAM_PID=$!
  endpoint="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    if curl -fsS "$endpoint/moto-api/" >/dev/null 2>&1; then
      if ! keys=$("$VENV/bin/python" "$(dirname "${BASH_SOURCE[0]}")/moto_iam_bootstrap.py" "$endpoint"); then
        echo "bootstrapping the IAM-enforcing moto failed; log:" >&2
        cat "$MOTO_IAM_LOG" >&2
        return 1
      fi
      export ZSYNC_IAM_MOTO_ENDPOINT="$endpoint"
      export ZSYNC_IAM_ADMIN_KEY_ID="${keys%% *}" ZSYNC_IAM_ADMIN_SECRET="${keys#* }"
      echo "IAM-enforcing moto server on $endpoint (pid $MOTO_IAM_PID)"
      return 0
    fi
    sleep 0.2
  done
  echo "IAM-enforcing moto server did not start; log:" >&2
  cat "$MOTO_IAM_LOG" >&2
  return 1
}

moto_iam_stop() {
  if [ -n "${MOTO_IAM_PID:-}" ]; then
    kill "$MOTO_IAM_PID" 2>/dev/null
    wait "$MOTO_IAM_PID" 2>/dev/null
    unset MOTO_IAM_PID
  fi
}
