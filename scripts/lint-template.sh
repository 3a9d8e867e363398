#!/usr/bin/env bash
# Lints template.yaml offline: cfn-lint, SAM's own validation (the SAM translator) and
# `sam validate --lint`, then cfn-lint again on the template as SAM expands it (roles, event
# source mappings, schedule rules), which catches what the SAM-level schemas do not, such as
# dependency cycles, and the roles' resources and conditions against what each function's code
# uses. Tools come from PyPI into a venv under ~/.cache/zendesk-sync/ (once).
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPLATE="${1:-template.yaml}"
source scripts/lint-venv.sh
lint_venv_install
VENV="$LINT_VENV"

# Offline: no telemetry, dummy credentials, and a proxy that refuses every connection, so a
# check that would need AWS fails loudly instead of passing on network luck.
export SAM_CLI_TELEMETRY=0 SAM_CLI_DISABLE_UPDATE_CHECK=1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY=
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL

echo "== cfn-lint $TEMPLATE"
"$VENV/bin/cfn-lint" "$TEMPLATE"

echo "== sam validate (SAM translator)"
"$VENV/bin/sam" validate --template "$TEMPLATE" --region us-east-1

echo "== sam validate --lint"
"$VENV/bin/sam" validate --lint --template "$TEMPLATE" --region us-east-1

echo "== cfn-lint on the expanded template"
expanded=$(mktemp -t zsync-expanded.XXXXXX.json)
trap 'rm -f "$expanded"' EXIT
bash scripts/expand-template.sh "$expanded" "$TEMPLATE"
"$VENV/bin/cfn-lint" --format parseable "$expanded"

echo "== alarms and dashboard"
"$VENV/bin/python" scripts/check-operations.py "$expanded" shared/core/src/telemetry.rs
# What the IAM-enforced suite cannot prove on moto (it judges actions only): every function's
# Resource and dynamodb:LeadingKeys conditions cover the table, indexes, queues and secrets its
# code uses (names from the code's own constants), and exclude a few it must not touch.
echo "== IAM resources and conditions (tests/tests/aws_iam.rs)"
unset HTTPS_PROXY HTTP_PROXY NO_PROXY
ZSYNC_EXPANDED_TEMPLATE="$expanded" cargo test --quiet -p zsync-tests --test aws_iam -- \
  --exact template_resources_and_conditions_cover_what_each_function_uses
echo "template OK"
