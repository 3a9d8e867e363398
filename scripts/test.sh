#!/usr/bin/env bash
# Runs every test: starts a local AWS emulator (moto) for the DynamoDB/SQS/Secrets Manager
# adapter suites, runs the workspace's tests, stops the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/moto.sh
moto_start
trap moto_stop EXIT
cargo test --workspace --all-targets "$@"
cargo test --workspace --doc "$@"
