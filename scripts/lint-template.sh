#!/usr/bin/env bash
# Lints template.yaml offline: cfn-lint, SAM's own validation (the SAM translator) and
# `sam validate --lint`, then cfn-lint again on the template as SAM expands it (roles, event
# source mappings, schedule rules), which catches what the SAM-level schemas do not, such as
# dependency cycles. Tools come from PyPI into a venv under ~/.cache/zendesk-sync/ (once).
set -euo pipefail
cd "$(dirname "$0")/.."

CFN_LINT_VERSION="${CFN_LINT_VERSION:-1.58.0}"
SAM_CLI_VERSION="${SAM_CLI_VERSION:-1.170.0}"
VENV="${ZSYNC_LINT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/zendesk-sync/venv-lint-cfn-$CFN_LINT_VERSION-sam-$SAM_CLI_VERSION}"
TEMPLATE="${1:-template.yaml}"

if [ ! -x "$VENV/bin/sam" ] || [ ! -x "$VENV/bin/cfn-lint" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "cfn-lint==$CFN_LINT_VERSION" "aws-sam-cli==$SAM_CLI_VERSION"
fi

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
"$VENV/bin/python" - "$TEMPLATE" "$expanded" <<'PY'
import json
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """The template names no managed policies; SAM's own are known to the translator."""

    def load(self):
        return {}


with open(sys.argv[1]) as f:
    template = yaml_parse(f.read())
# `sam build` replaces each local CodeUri with the uploaded package; stand in for it.
for name, resource in template.get("Resources", {}).items():
    if resource.get("Type") == "AWS::Serverless::Function":
        resource["Properties"]["CodeUri"] = f"s3://placeholder-bucket/{name}.zip"
parameters = {"JwtIssuer": "https://issuer.example.com/", "JwtAudience": "zendesk-sync"}
expanded = transform(template, parameters, NoManagedPolicies())
with open(sys.argv[2], "w") as f:
    json.dump(expanded, f, indent=1)
PY
"$VENV/bin/cfn-lint" --format parseable "$expanded"

echo "== alarms and dashboard"
"$VENV/bin/python" scripts/check-operations.py "$expanded" shared/core/src/telemetry.rs
echo "template OK"
