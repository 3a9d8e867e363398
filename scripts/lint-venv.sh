#!/usr/bin/env bash
# Source it: defines LINT_VENV (cfn-lint + SAM CLI, with SAM's translator, from PyPI into a
# venv under ~/.cache/zendesk-sync/) and `lint_venv_install`, which creates it once.
CFN_LINT_VERSION="${CFN_LINT_VERSION:-1.58.0}"
SAM_CLI_VERSION="${SAM_CLI_VERSION:-1.170.0}"
LINT_VENV="${ZSYNC_LINT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/zendesk-sync/venv-lint-cfn-$CFN_LINT_VERSION-sam-$SAM_CLI_VERSION}"

lint_venv_install() {
  if [ ! -x "$LINT_VENV/bin/sam" ] || [ ! -x "$LINT_VENV/bin/cfn-lint" ]; then
    python3 -m venv "$LINT_VENV"
    "$LINT_VENV/bin/pip" install --quiet --disable-pip-version-check \
      "cfn-lint==$CFN_LINT_VERSION" "aws-sam-cli==$SAM_CLI_VERSION"
  fi
}
