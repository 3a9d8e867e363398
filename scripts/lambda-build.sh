#!/usr/bin/env bash
# Release build of the four Lambda binaries for Lambda's arm64 (Graviton) provided.al2023
# runtime, cross-compiled on this machine with cargo-lambda + zig (no Docker).
# Output: target/lambda/<function>/bootstrap (what `sam build` / `sam deploy` package).
# Tools come from PyPI into a venv under ~/.cache/zendesk-sync/ (installed once).
#
#   bash scripts/lambda-build.sh            # arm64 (the template's architecture)
#   LAMBDA_ARCH=x86_64 bash scripts/lambda-build.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LAMBDA_VERSION="${CARGO_LAMBDA_VERSION:-1.9.2}"
# zig 0.14.1: its `zig ar` creates archives (0.16.0's does not, which breaks cc-rs static
# libraries such as ring and aws-lc-sys); tested with aws-lc-sys 0.47 and ring 0.17 here.
ZIG_VERSION="${ZIG_VERSION:-0.14.1}"
VENV="${ZSYNC_LAMBDA_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/zendesk-sync/venv-cargo-lambda-$CARGO_LAMBDA_VERSION-zig-$ZIG_VERSION}"
LAMBDA_ARCH="${LAMBDA_ARCH:-arm64}"
FUNCTIONS=(webhook scheduler mapper api)

if [ ! -x "$VENV/bin/cargo-lambda" ] || [ ! -d "$VENV/lib" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "cargo-lambda==$CARGO_LAMBDA_VERSION" "ziglang==$ZIG_VERSION"
fi
# cargo-lambda finds zig through the venv's `python3 -m ziglang`.
export PATH="$VENV/bin:$PATH"

case "$LAMBDA_ARCH" in
  arm64) target=aarch64-unknown-linux-gnu; arch_flag=--arm64 ;;
  x86_64) target=x86_64-unknown-linux-gnu; arch_flag=--x86-64 ;;
  *) echo "LAMBDA_ARCH must be arm64 or x86_64" >&2; exit 2 ;;
esac
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$target"; then
  if ! rustup target add "$target"; then
    # The aarch64 standard library comes from the Rust distribution server, not a package
    # registry; where it cannot be fetched, still prove the release build on the host's arch.
    echo "!! could not add the $target target; building for x86_64 instead (the template's" >&2
    echo "!! arm64 functions need the arm64 build: run this script where rustup can fetch it)" >&2
    LAMBDA_ARCH=x86_64; target=x86_64-unknown-linux-gnu; arch_flag=--x86-64
  fi
fi

packages=()
for f in "${FUNCTIONS[@]}"; do packages+=(--package "zsync-fn-$f"); done

start=$(date +%s)
cargo lambda build --release "$arch_flag" "${packages[@]}"
echo "== cargo lambda build ($LAMBDA_ARCH, release) took $(( $(date +%s) - start ))s"

# The release profile strips symbols (strip = true): these are the sizes that ship.
for f in "${FUNCTIONS[@]}"; do
  ls -l "target/lambda/$f/bootstrap"
done
