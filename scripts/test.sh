#!/usr/bin/env bash
# Runs every test: starts a local AWS emulator (moto) for the DynamoDB/SQS/Secrets Manager
# adapter suites and a second one that enforces IAM (tests/tests/aws_iam.rs), expands
# template.yaml as SAM does (that suite takes each function's policy from it), runs the
# workspace's tests, stops the emulators.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/moto.sh
expanded=$(mktemp -t zsync-expanded.XXXXXX.json)
trap 'moto_stop; moto_iam_stop; rm -f "$expanded"' EXIT
bash scripts/expand-template.sh "$expanded"
export ZSYNC_EXPANDED_TEMPLATE="$expanded"
moto_start
moto_iam_start
cargo test --workspace --all-targets "$@"
cargo test --workspace --doc "$@"
