#!/usr/bin/env bash
# Run the real WASI programs (clang --version / -S / -c, wasm-ld, the linked program,
# yosys synth, flite) under wisp and under Node's WASI, and compare exit codes, stdout,
# stderr and output files byte for byte. Exits non-zero on any difference.
# Then runs yosys *with* ABC under wisp: yosys parks stdout/stderr with fd_renumber
# while ABC runs, which Node gets wrong (fd_renumber onto the vacated fd 1 fails, all
# later output is lost); wisp must print everything, and Node's output must be a prefix.
# Usage: bench/wasi/compare-wisp-node.sh [WISP]   (default: build/wisp; needs bench/fetch-modules.sh)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
C=$root/bench/.cache
WISP=$(realpath "${1:-$root/build/wisp}")
[ -x "$WISP" ] || { echo "no wisp binary at $WISP" >&2; exit 2; }
[ -f "$C/modules/MANIFEST.tsv" ] || { echo "run bench/fetch-modules.sh first" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== node"
OUT=$work/node bash "$here/run-examples.sh" node "$root/bench/v8/wasi-run.mjs" 2>/dev/null | tee "$work/node.txt"
echo "== wisp ($WISP)"
OUT=$work/wisp bash "$here/run-examples.sh" "$WISP" run 2>/dev/null | tee "$work/wisp.txt"

status=0
differ() { echo "DIFF  $*"; status=1; }
# Exit codes: the rc= column of each run.
rcs() { awk '/ rc=/ { for (i = 1; i <= NF; i++) if ($i ~ /^rc=/) print $1, $i }' "$1"; }
diff <(rcs "$work/node.txt") <(rcs "$work/wisp.txt") > /dev/null || differ "exit codes: $(diff <(rcs "$work/node.txt") <(rcs "$work/wisp.txt") | tr '\n' ' ')"
for f in "$work"/node/*.out "$work"/node/*.err "$work"/node/files/*; do
  rel=${f#"$work"/node/}
  if [ ! -e "$work/wisp/$rel" ]; then differ "$rel missing under wisp"
  elif ! cmp -s "$f" "$work/wisp/$rel"; then differ "$rel ($(cmp "$f" "$work/wisp/$rel" 2>&1 | head -1))"
  else echo "same  $rel ($(stat -c %s "$f") bytes)"; fi
done
for f in "$work"/wisp/files/*; do
  [ -e "$work/node/files/${f##*/}" ] || differ "files/${f##*/} only under wisp"
done

echo "== yosys with ABC (fd_renumber)"
abc() {  # abc NAME RUNNER...: synth with ABC, /tmp preopened for ABC's scratch files
  local name=$1; shift
  mkdir -p "$work/abc-$name-tmp"
  "$@" --dir "$C/wasi/yosys-share::/share" --dir "$here::/src" --dir "$work/abc-$name-tmp::/tmp" \
    "$C/modules/yosys.wasm" -Q -T -p 'read_verilog /src/alu.v; synth -top alu; stat' \
    > "$work/abc-$name.out" 2> "$work/abc-$name.err" || echo "rc=$? ($name)" >> "$work/abc-$name.err"
}
abc node node "$root/bench/v8/wasi-run.mjs"
abc wisp "$WISP" run
wl=$(wc -l < "$work/abc-wisp.out"); nl=$(wc -l < "$work/abc-node.out")
if [ -s "$work/abc-wisp.err" ]; then differ "yosys+ABC under wisp wrote to stderr: $(head -c 300 "$work/abc-wisp.err")"; fi
for want in "ABC RESULTS:" "Printing statistics." "Number of cells:"; do
  grep -q "$want" "$work/abc-wisp.out" || differ "yosys+ABC under wisp: no \"$want\" in stdout"
done
if ! cmp -s "$work/abc-node.out" <(head -c "$(stat -c %s "$work/abc-node.out")" "$work/abc-wisp.out"); then
  differ "yosys+ABC: Node's stdout is not a prefix of wisp's"
fi
echo "yosys+ABC: wisp $wl lines (ABC results and statistics present), node $nl lines (output lost after fd_renumber)"

[ $status -eq 0 ] && echo "OK: wisp and Node agree on every program" || echo "FAILED: differences above"
exit $status
