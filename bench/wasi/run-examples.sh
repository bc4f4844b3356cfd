#!/usr/bin/env bash
# Run the WASI command workloads (clang, wasm-ld, yosys, flite) under a runner and print rc, time and sha256 of every output.
# Usage: bench/wasi/run-examples.sh [RUNNER...]   (default runner: node bench/v8/wasi-run.mjs)
# A runner takes: [--dir HOST::GUEST]... [--argv0 NAME] FILE.wasm ARGS...   Outputs are kept in $OUT (default: a new temp dir).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
C=$here/../.cache
[ -f "$C/modules/MANIFEST.tsv" ] || { echo "run bench/fetch-modules.sh first" >&2; exit 1; }
[ $# -gt 0 ] && runner=("$@") || runner=(node "$here/../v8/wasi-run.mjs")
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT/files"
TEXT="WebAssembly is a binary instruction format for a stack-based virtual machine. It is designed as a portable compilation target for programming languages."
CLANG=(--dir "$C/wasi/clang-usr::/usr" --dir "$here::/src" --dir "$OUT/files::/out")

sha() { sha256sum "$1" | cut -c1-16; }
run() {  # run NAME ARGS... : stdout/stderr to $OUT/NAME.{out,err}
  local name=$1; shift
  local t0=$(date +%s.%N) rc=0
  "${runner[@]}" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" || rc=$?
  printf '%-14s rc=%-3s %6.2fs  stdout=%s  stderr=%s\n' "$name" "$rc" "$(echo "$(date +%s.%N) - $t0" | awk '{print $1 - $3}')" \
    "$(sha "$OUT/$name.out")" "$(sha "$OUT/$name.err")"
}

run clang-version --argv0 clang "$C/modules/clang.wasm" --version
run clang-S "${CLANG[@]}" --argv0 clang "$C/modules/clang.wasm" -S -O2 /src/prog.c -o -
run clang-c "${CLANG[@]}" --argv0 clang "$C/modules/clang.wasm" -c -O2 /src/prog.c -o /out/prog.o
run wasm-ld "${CLANG[@]}" --argv0 wasm-ld "$C/modules/clang.wasm" -m wasm32 -L/usr/lib/wasm32-wasip1 \
  /usr/lib/wasm32-wasip1/crt1-command.o /out/prog.o -lc /usr/lib/wasm32-unknown-wasip1/libclang_rt.builtins.a -o /out/prog.wasm
run prog "$OUT/files/prog.wasm" hello
run yosys-synth --dir "$C/wasi/yosys-share::/share" --dir "$here::/src" "$C/modules/yosys.wasm" \
  -Q -T -p 'read_verilog /src/alu.v; synth -top alu -noabc; stat'
run flite-psdur "$C/modules/flite.wasm" -voice slt -psdur -t "$TEXT" none
run flite-wav --dir "$OUT/files::/out" "$C/modules/flite.wasm" -voice slt -t "$TEXT" -o /out/flite.wav
for f in prog.o prog.wasm flite.wav; do
  [ -f "$OUT/files/$f" ] && printf '%-14s file=%s\n' "$f" "$(sha "$OUT/files/$f")" || printf '%-14s MISSING\n' "$f"
done
echo "outputs in $OUT" >&2
