#!/usr/bin/env bash
# Quick start 2 (and CI): install what is missing, build, and run every test —
# unit tests and the spec suite in a release and an ASan/UBSan build, real WASI
# programs against Node, differential fuzzing against binaryen, the fuzzers for a
# bounded time, and the formatting check.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"

echo "== release build and tests"
BUILD_DIR=$root/build "$root/scripts/build.sh"
(cd "$root/build" && ctest --output-on-failure -j2)

echo "== ASan/UBSan build and tests"
BUILD_DIR=$root/build-asan "$root/scripts/build.sh" -DWISP_SANITIZE=ON -DWISP_BENCH=OFF
(cd "$root/build-asan" && ctest --output-on-failure -j2)

echo "== real WASI programs from npm (clang, wasm-ld, yosys, flite): wisp against Node, byte for byte"
bash "$root/bench/fetch-modules.sh" >/dev/null
"$root/bench/wasi/compare-wisp-node.sh" "$root/build/wisp"

echo "== differential fuzzing against binaryen (bounded, fixed seed)"
QUIET=1 WISP_FUZZ_EXEC=$root/build/fuzz/differential/wisp-fuzz-exec \
  "$root/fuzz/differential/run.sh" "${WISP_DIFF_CASES:-300}" "${WISP_DIFF_SEED:-1234}"
echo "== differential fuzzing with reference types against binaryen 132 from npm (bounded)"
FEATURES=reftypes QUIET=1 WISP_FUZZ_EXEC=$root/build/fuzz/differential/wisp-fuzz-exec \
  "$root/fuzz/differential/run.sh" "${WISP_DIFF_REFTYPES_CASES:-60}" "${WISP_DIFF_SEED:-1234}"

echo "== fuzzers (bounded)"
"$root/fuzz/run-fuzzers.sh" "${WISP_FUZZ_SECONDS:-30}"

echo "== formatting"
"$root/scripts/check-format.sh"
echo "All tests passed."
