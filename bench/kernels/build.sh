#!/usr/bin/env bash
# Build every compute kernel twice:
#   <out>/<name>.wasm    freestanding wasm32, zero imports, exports run + memory
#   <out>/<name>.native  gcc -O2 -ffp-contract=off, linked with native_main.c
#
# usage: bench/kernels/build.sh [OUT_DIR] [KERNEL...]
#   OUT_DIR defaults to bench/.cache/kernels (relative to the repo root);
#   KERNEL... restricts the build to the named kernels (default: all).
# env: WASM_CC (default clang), WASM_LD (default wasm-ld), CC (default gcc),
#      WASM_OBJDUMP (default wasm-objdump; used to check that no module has
#      imports).
#
# The wasm side is compiled with `clang -c` and linked with wasm-ld directly:
# when clang drives the link itself it silently runs `wasm-opt -O2` on the
# result if binaryen is on PATH, which would make the modules depend on what
# happens to be installed (and binaryen ignores noinline).  What the engines
# run is exactly LLVM's -O2 output.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:-$repo/bench/.cache/kernels}"
shift || true
mkdir -p "$out"
out="$(cd "$out" && pwd)"

WASM_CC="${WASM_CC:-clang}"
WASM_LD="${WASM_LD:-wasm-ld}"
CC="${CC:-gcc}"
WASM_OBJDUMP="${WASM_OBJDUMP:-wasm-objdump}"

# -mcpu=mvp: only MVP features, so any wasm 1.0 engine can run the modules.
WASM_CFLAGS=(--target=wasm32 -mcpu=mvp -O2 -std=c11 -ffreestanding
             -ffp-contract=off -Wall -Wextra)
# No libc, no entry point, export only run (memory is exported by default).
# Undefined symbols are link errors, so a successful link has no imports.
# --stack-first: a shadow-stack overflow traps instead of corrupting data.
# Initial memory is sized by wasm-ld to fit the static data + stack.
WASM_LDFLAGS=(--no-entry --export=run --stack-first -z stack-size=262144)
# -fno-math-errno: wasm f64.sqrt sets no errno; gcc would otherwise guard every
# sqrtsd with an errno check (results are bit-identical either way).
NATIVE_FLAGS=(-O2 -std=c11 -ffp-contract=off -fno-math-errno -Wall -Wextra)

if [ $# -gt 0 ]; then
  kernels=("$@")
else
  kernels=()
  for f in "$here"/*.c; do
    name="$(basename "$f" .c)"
    [ "$name" = native_main ] && continue
    kernels+=("$name")
  done
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

for name in "${kernels[@]}"; do
  src="$here/$name.c"
  [ -f "$src" ] || { echo "build.sh: no such kernel: $name" >&2; exit 1; }
  "$WASM_CC" "${WASM_CFLAGS[@]}" -c "$src" -o "$tmp/$name.o"
  "$WASM_LD" "${WASM_LDFLAGS[@]}" "$tmp/$name.o" -o "$out/$name.wasm"
  "$CC" "${NATIVE_FLAGS[@]}" "$src" "$here/native_main.c" -lm -o "$out/$name.native"
  if command -v "$WASM_OBJDUMP" >/dev/null 2>&1; then
    headers="$("$WASM_OBJDUMP" -x "$out/$name.wasm")"
    if grep -q '^Import\[' <<<"$headers"; then
      echo "build.sh: $name.wasm has imports:" >&2
      "$WASM_OBJDUMP" -x -j Import "$out/$name.wasm" >&2
      exit 1
    fi
  fi
  echo "built $name -> $out/$name.{wasm,native}"
done
