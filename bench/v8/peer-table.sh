#!/usr/bin/env bash
# Run validate.js and compile-peer.sh over every module in bench/.cache/modules/MANIFEST.tsv; print a markdown table.
# Usage: bench/v8/peer-table.sh [validate_reps=20] [compile_reps=5] [liftoff|turbofan]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mods=$here/../.cache/modules
vreps=${1:-20}; creps=${2:-5}; tier=${3:-liftoff}
field() { node -e 'const j=JSON.parse(process.argv[1]); console.log(j[process.argv[2]])' "$1" "$2"; }
echo "| module | MB | code MB | validate ms | validate MB/s | $tier compile ms | $tier MB/s |"
echo "|---|---:|---:|---:|---:|---:|---:|"
tail -n +2 "$mods/MANIFEST.tsv" | cut -f1,2 | while IFS=$'\t' read -r name bytes; do
  v=$(node --single-threaded "$here/validate.js" "$mods/$name.wasm" "$vreps")
  c=$(bash "$here/compile-peer.sh" "$mods/$name.wasm" "$creps" "$tier")
  printf '| %s | %.1f | %.1f | %s | %s | %s | %s |\n' "$name" "$(awk -v b="$bytes" 'BEGIN{print b/1e6}')" \
    "$(awk -v b="$(field "$v" code_bytes)" 'BEGIN{print b/1e6}')" \
    "$(field "$v" median_ms)" "$(field "$v" mb_per_s)" "$(field "$c" median_ms)" "$(field "$c" mb_per_s)"
done
