#!/usr/bin/env bash
# Writes template.yaml as SAM expands it (the roles with their policies, event source
# mappings, schedule rules) as JSON to OUT: `scripts/expand-template.sh OUT [TEMPLATE]`.
# Offline, with SAM's own translator. The template lint checks the result, and the
# IAM-enforced test suite (tests/tests/aws_iam.rs) takes each function's policy from it.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: scripts/expand-template.sh OUT [TEMPLATE]}"
template="${2:-template.yaml}"
source scripts/lint-venv.sh
lint_venv_install
# SAM fills in AWS::Region; nothing here talks to AWS.
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 SAM_CLI_TELEMETRY=0
"$LINT_VENV/bin/python" - "$template" "$out" <<'PY'
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
