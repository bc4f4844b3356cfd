#!/usr/bin/env bash
# V8 peer compile timing: run compile.js REPS times, each in a fresh node process, and print the median (ms, MB/s) as JSON.
# Usage: bench/v8/compile-peer.sh FILE.wasm [reps=5] [liftoff|turbofan]
set -euo pipefail
file=${1:?usage: compile-peer.sh FILE.wasm [reps] [liftoff|turbofan]}
reps=${2:-5}
tier=${3:-liftoff}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
common=(--no-wasm-lazy-compilation --no-wasm-native-module-cache-enabled --single-threaded)
case $tier in
  liftoff)  flags=(--liftoff-only "${common[@]}") ;;
  turbofan) flags=(--no-liftoff "${common[@]}") ;;
  *) echo "tier must be liftoff or turbofan" >&2; exit 2 ;;
esac
for ((i = 0; i < reps; i++)); do
  node "${flags[@]}" "$here/compile.js" "$file"
done | node -e '
  const runs = require("fs").readFileSync(0, "utf8").trim().split("\n").map(JSON.parse);
  const ms = runs.map(r => r.ms).sort((a, b) => a - b), n = ms.length;
  const median = n % 2 ? ms[n >> 1] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  const bytes = runs[0].bytes;
  console.log(JSON.stringify({ file: runs[0].file, bytes, tier: process.argv[1], reps: n,
    median_ms: +median.toFixed(3), min_ms: ms[0], max_ms: ms[n - 1],
    mb_per_s: +(bytes / 1e6 / (median / 1e3)).toFixed(1) }));' "$tier"
