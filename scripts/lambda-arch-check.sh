#!/usr/bin/env bash
# Checks that Lambda bootstrap binaries are built for the architecture template.yaml declares
# (Globals.Function.Architectures), from each binary's ELF header, so a build for the wrong
# machine can never pass for the right one.
#
#   bash scripts/lambda-arch-check.sh template.yaml target/lambda/*/bootstrap
#
# Exit 0: every binary matches; 1: a mismatch or an unreadable binary (named on stderr);
# 2: usage, or a template without exactly one architecture.
set -euo pipefail

if [ "$#" -lt 2 ]; then
  echo "usage: $0 TEMPLATE BOOTSTRAP..." >&2
  exit 2
fi
template="$1"; shift

# `Architectures: [arm64]` or the block form `Architectures:\n  - arm64`.
declared=$(awk '
  /^[[:space:]]*Architectures:/ {
    line = $0; sub(/^[^:]*:[[:space:]]*/, "", line)
    if (line != "") { gsub(/[][ "\x27]/, "", line); print line; exit }
    block = 1; next
  }
  block && /^[[:space:]]*-/ { v = $0; sub(/^[[:space:]]*-[[:space:]]*/, "", v); gsub(/["\x27 ]/, "", v); print v; exit }
  block { exit }
' "$template")
case "$declared" in
  arm64|x86_64) ;;
  *) echo "!! $template: expected one Architectures entry, arm64 or x86_64; found '${declared}'" >&2; exit 2 ;;
esac

status=0
for binary in "$@"; do
  # ELF: magic 7f 45 4c 46, e_machine (little endian) at offset 18: b7 00 aarch64, 3e 00 x86-64.
  header=$(od -An -tx1 -N20 "$binary" 2>/dev/null | tr -d ' \n' || true)
  case "$header" in
    7f454c46*) ;;
    *) echo "!! $binary is not an ELF binary" >&2; status=1; continue ;;
  esac
  case "${header:36:4}" in
    b700) built=arm64 ;;
    3e00) built=x86_64 ;;
    *) built="unknown (e_machine ${header:36:4})" ;;
  esac
  if [ "$built" != "$declared" ]; then
    echo "!! $binary is built for $built but $template declares Architectures [$declared]" >&2
    status=1
  fi
done
exit "$status"
