#!/usr/bin/env bash
# The benchmark harness in one command (not part of CI): builds the harness and the four Lambda
# binaries in release, starts moto on 127.0.0.1 for the DynamoDB/SQS section, runs
# `zsync-bench` (every figure of shared/bench), and stops moto.
#
#   scripts/bench.sh                                  # 20,000 tickets, 2,000 users, 1,000 webhooks
#   scripts/bench.sh --tickets 2000 --data-dir /dev/shm --moto-tickets 100
#
# Arguments go to zsync-bench (`target/release/zsync-bench --help`). BENCH_MOTO=0 skips moto.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -p zsync-bench \
  -p zsync-fn-webhook -p zsync-fn-scheduler -p zsync-fn-mapper -p zsync-fn-api

if [ "${BENCH_MOTO:-1}" != "0" ]; then
  # shellcheck source=scripts/moto.sh
  source scripts/moto.sh
  trap moto_stop EXIT # also when moto starts but never answers
  moto_start
fi
target/release/zsync-bench --bin-dir target/release "$@"
