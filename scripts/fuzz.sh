#!/usr/bin/env bash
# Fuzzing on stable Rust: the proptest fuzz targets (tests/tests/fuzz_*.rs) with many cases,
# bounded in time. cargo-fuzz needs nightly, which this project does not use.
#
#   scripts/fuzz.sh                 # every target, 20,000 cases each, at most 10 minutes each
#   FUZZ_CASES=200000 FUZZ_SECONDS=3600 scripts/fuzz.sh fuzz_api
#
# Targets: fuzz_webhook (body parser, signature check, webhook route), fuzz_payloads (Zendesk
# response decoders on arbitrary JSON and mutated recorded fixtures, queue messages, string
# helpers), fuzz_api (arbitrary bodies into every POST/PATCH route).
#
# A failing input is shrunk by proptest and kept under tests/regressions/<target>/ as
# <sha256>.bin; the `kept_crash_inputs_still_pass` test of each target replays every kept
# input on every run (CI included). Commit the file with the fix.
# In CI the same targets run with the default 64 cases per property.
set -euo pipefail
cd "$(dirname "$0")/.."

cases="${FUZZ_CASES:-20000}"
seconds="${FUZZ_SECONDS:-600}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz_webhook fuzz_payloads fuzz_api)
fi

cargo test -p zsync-tests --no-run $(printf -- '--test %s ' "${targets[@]}")

status=0
for target in "${targets[@]}"; do
  echo "== $target: $cases cases per property, at most ${seconds}s"
  start=$(date +%s)
  set +e
  PROPTEST_CASES="$cases" ZSYNC_FUZZ_KEEP=1 \
    timeout --signal=INT "$seconds" cargo test -q -p zsync-tests --test "$target"
  rc=$?
  set -e
  elapsed=$(( $(date +%s) - start ))
  if [ "$rc" -eq 0 ]; then
    echo "== $target: passed in ${elapsed}s"
  elif [ "$rc" -eq 124 ] || [ "$rc" -eq 130 ]; then
    echo "== $target: time bound reached after ${elapsed}s without a failure"
  else
    echo "== $target: FAILED (exit $rc)"
    status=1
  fi
done

# Name kept crash inputs after their content, so re-finding one does not add a copy.
shopt -s nullglob
for pending in tests/regressions/*/pending-*.bin; do
  name="$(sha256sum "$pending" | cut -c1-16).bin"
  mv "$pending" "$(dirname "$pending")/$name"
  echo "kept crash input: $(dirname "$pending")/$name"
done
exit "$status"
