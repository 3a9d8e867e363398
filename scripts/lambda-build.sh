#!/usr/bin/env bash
# Release build of the four Lambda binaries for Lambda's arm64 (Graviton) provided.al2023
# runtime, cross-compiled on this machine with cargo-lambda + zig (no Docker).
# Output: target/lambda/<function>/bootstrap (under $CARGO_TARGET_DIR when set) (what `sam build` / `sam deploy` package).
# Tools come from PyPI into a venv under ~/.cache/zendesk-sync/ (installed once).
#
#   bash scripts/lambda-build.sh            # the template's architecture (arm64)
#   LAMBDA_ARCH=x86_64 bash scripts/lambda-build.sh   # deliberately another one (not in CI)
#
# The binaries' ELF headers are checked against template.yaml's Architectures afterwards
# (scripts/lambda-arch-check.sh). A mismatch fails the build in CI (CI=true) and whenever the
# architecture was not asked for explicitly; there is no silent fallback to another target.
#
# Where rustup cannot fetch the template's target (a machine without the Rust distribution
# server, such as this project's CI), the build fails, unless CI=true or
# ZSYNC_LAMBDA_ARCH_FALLBACK=1: then the release build is still proven on the host's x86_64,
# and the template follows what was built: `<target dir>/lambda/template.x86_64.yaml` is
# template.yaml with `Architectures: [x86_64]`, the binaries are checked against it, and a
# banner says that template.yaml's own architecture was NOT built.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LAMBDA_VERSION="${CARGO_LAMBDA_VERSION:-1.9.2}"
# zig 0.14.1: its `zig ar` creates archives (0.16.0's does not, which breaks cc-rs static
# libraries such as ring and aws-lc-sys); tested with aws-lc-sys 0.47 and ring 0.17 here.
ZIG_VERSION="${ZIG_VERSION:-0.14.1}"
VENV="${ZSYNC_LAMBDA_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/zendesk-sync/venv-cargo-lambda-$CARGO_LAMBDA_VERSION-zig-$ZIG_VERSION}"
TEMPLATE_ARCH=$(awk '/^[[:space:]]*Architectures:/ { gsub(/.*\[|\].*/, ""); print; exit }' template.yaml)
ARCH_ASKED="${LAMBDA_ARCH:-}"
LAMBDA_ARCH="${LAMBDA_ARCH:-${TEMPLATE_ARCH:-arm64}}"
if [ -n "$ARCH_ASKED" ] && [ "$ARCH_ASKED" != "$TEMPLATE_ARCH" ] && [ "${CI:-}" = true ]; then
  echo "!! LAMBDA_ARCH=$ARCH_ASKED but template.yaml declares Architectures [$TEMPLATE_ARCH]: refused in CI" >&2
  exit 1
fi
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
    # The standard library comes from the Rust distribution server; without it there is no
    # build for this architecture. Building another one is allowed only where asked for, and
    # then the template the binaries are checked against follows what was built.
    echo "!! could not add the $target target (rustup target add $target): no $LAMBDA_ARCH build" >&2
    if [ "${CI:-}" != true ] && [ "${ZSYNC_LAMBDA_ARCH_FALLBACK:-0}" != 1 ]; then
      exit 1
    fi
    LAMBDA_ARCH=x86_64; target=x86_64-unknown-linux-gnu; arch_flag=--x86-64
    FALLBACK=1
  fi
fi

packages=()
for f in "${FUNCTIONS[@]}"; do packages+=(--package "zsync-fn-$f"); done

start=$(date +%s)
cargo lambda build --release "$arch_flag" "${packages[@]}"
echo "== cargo lambda build ($LAMBDA_ARCH, release) took $(( $(date +%s) - start ))s"

bootstraps=()
for f in "${FUNCTIONS[@]}"; do bootstraps+=("${CARGO_TARGET_DIR:-target}/lambda/$f/bootstrap"); done
checked_template=template.yaml
if [ "${FALLBACK:-0}" = 1 ]; then
  checked_template="${CARGO_TARGET_DIR:-target}/lambda/template.x86_64.yaml"
  sed -E 's/^([[:space:]]*Architectures:[[:space:]]*)\[arm64\]/\1[x86_64]/' template.yaml >"$checked_template"
  {
    echo "!! ================================================================================="
    echo "!! template.yaml declares Architectures [$TEMPLATE_ARCH], but its target could not be"
    echo "!! fetched here: these binaries are x86_64 and match only $checked_template."
    echo "!! Deploy arm64 from a machine where 'rustup target add aarch64-unknown-linux-gnu' works."
    echo "!! ================================================================================="
  } >&2
  ARCH_ASKED=x86_64
fi
if ! bash scripts/lambda-arch-check.sh "$checked_template" "${bootstraps[@]}"; then
  if [ "${CI:-}" = true ] || [ -z "$ARCH_ASKED" ]; then
    echo "!! the Lambda binaries do not match template.yaml's Architectures: build failed" >&2
    exit 1
  fi
  echo "!! LAMBDA_ARCH=$ARCH_ASKED was asked for: these binaries do NOT match template.yaml's" >&2
  echo "!! Architectures [$TEMPLATE_ARCH]; do not deploy them with this template" >&2
fi

# The release profile strips symbols (strip = true): these are the sizes that ship.
for f in "${FUNCTIONS[@]}"; do
  ls -l "${CARGO_TARGET_DIR:-target}/lambda/$f/bootstrap"
done
