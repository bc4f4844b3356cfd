#!/usr/bin/env bash
# Builds the libFuzzer targets with clang + ASan/UBSan, seeds them with every module
# of the spec suite, and runs each for a bounded time (default 30 s each). Fails on
# any crash, leak, sanitizer report or timeout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
seconds=${1:-30}
suite=${WISP_TESTSUITE:-$root/../shared/spec-tests}
build=$root/build-fuzz
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DWISP_FUZZ=ON -DWISP_TESTS=OFF \
  -DWISP_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build" decode_validate_fuzzer compile_fuzzer

seeds=$root/fuzz/corpus-run/seeds
if [ ! -d "$seeds" ]; then
  mkdir -p "$seeds.tmp"
  for f in "$suite"/core/*.wast; do
    wast2json "$f" -o "$seeds.tmp/$(basename "$f" .wast).json" >/dev/null 2>&1 || true
  done
  find "$seeds.tmp" -name '*.wasm' -size -64k -exec mv {} "$seeds.tmp/" \; 2>/dev/null || true
  rm -f "$seeds.tmp"/*.json
  mv "$seeds.tmp" "$seeds"
fi
for target in decode_validate_fuzzer compile_fuzzer; do
  corpus=$root/fuzz/corpus-run/$target
  mkdir -p "$corpus"
  echo "== $target for ${seconds}s"
  # -timeout: any single input taking over 10 s is a hang; -rss_limit_mb bounds memory.
  ASAN_OPTIONS=detect_leaks=1 "$build/fuzz/$target" "$corpus" "$seeds" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$root/fuzz/corpus-run/$target-" 2>&1 | tail -12
done
