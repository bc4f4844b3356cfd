#!/usr/bin/env bash
# Reduces a divergent module to a small one that still diverges, with binaryen's
# wasm-reduce:
#
#   fuzz/differential/reduce.sh findings/SEED-CASE [TIMEOUT_SECONDS]
#
# Writes reduced.wasm, reduced.wat and the traces of the reduced module
# (reduced.binaryen.txt, reduced.wisp.txt) into the finding's directory. "Still diverges" means: wabt validates it, binaryen runs it, and wisp's
# trace differs from binaryen's or wisp fails. The result can diverge for a different
# reason than the original did (a reducer keeps any divergence); compare the traces.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dir="$(cd "${1:?usage: reduce.sh FINDING_DIR [TIMEOUT]}" && pwd)"
per_run="${2:-10}"
# The finding's mode (FEATURES=noref/reftypes), unless FEATURES says otherwise.
if [[ -z "${FEATURES:-}" ]] && grep -q '^mode: FEATURES=' "$dir/README" 2>/dev/null; then
  FEATURES=$(sed -n 's/^mode: FEATURES=//p' "$dir/README")
fi
source "$here/common.sh" || exit 2
find_wisp "$root" || exit 2

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# classify.sh FILE: what happens to FILE ("same", "differ", "crash SIGNAL", "timeout",
# "exit N", or "not comparable"); check.sh FILE: exit 1 (interesting to wasm-reduce)
# when FILE fails the way the original did, so the reduction keeps the same bug.
cat >"$work/classify.sh" <<CLASSIFY
#!/usr/bin/env bash
set -o pipefail
wasm-validate ${validate_flags[*]} "\$1" >/dev/null 2>&1 || { echo "not comparable"; exit; }
timeout 30 ${wasm_opt[*]} "\$1" ${features[*]} --fuzz-exec-before 2>/dev/null |
  "$here/normalize-binaryen.sh" >"\$1.binaryen" || { echo "not comparable"; exit; }
grep -q '^\[host limit' "\$1.binaryen" && { echo "not comparable"; exit; }
rc=\$({ timeout 10 "$wisp" ${wisp_flags[*]} --timeout 5 "\$1" >"\$1.wisp" 2>/dev/null; echo \$?; } 2>/dev/null)
case \$rc in
  0) cmp -s "\$1.binaryen" "\$1.wisp" && echo same || echo differ;;
  4|124|137) echo timeout;;
  *) if (( rc > 128 )); then echo "crash \$((rc - 128))"; else echo "exit \$rc"; fi;;
esac
CLASSIFY
chmod +x "$work/classify.sh"
expected="$("$work/classify.sh" "$dir/case.wasm")"
case "$expected" in
  same|"not comparable")
    echo "reduce.sh: $dir/case.wasm does not diverge ($expected)" >&2
    exit 1;;
esac
echo "original: $expected"
cat >"$work/check.sh" <<CHECK
#!/usr/bin/env bash
[[ "\$("$work/classify.sh" "\$1")" == "$expected" ]] && exit 1
exit 0
CHECK
chmod +x "$work/check.sh"
# First binaryen's wasm-reduce, which is strong but rewrites the module through
# binaryen (a shape-dependent JIT bug may not survive that: it then gives up); then
# reduce_wat.py, which edits wabt's text form and keeps the shape.
# Both run twice: a module wasm-reduce cannot start on (its canonical form does not
# fail) often becomes one it can after reduce_wat.py's pass.
# wasm_reduce IN.wasm: reduces into $work/work.wasm; fails if it could not.
# (Only in the noref mode: binaryen 108 cannot read reference-type modules, and the npm
# package's wasm-reduce cannot run commands: reftypes mode uses reduce_wat.py alone.)
wasm_reduce() {
  [[ "$mode" == noref ]] || return 1
  cp "$1" "$work/input.wasm"
  rm -f "$work/work.wasm"
  (cd "$work" && wasm-reduce input.wasm "${features[@]}" --extra-flags "${features[*]}" \
    --command "$work/check.sh $work/test.wasm" -t "$work/test.wasm" -w "$work/work.wasm" \
    --timeout "$per_run" -b "$(dirname "$(command -v wasm-opt)")" >>"$dir/reduce.log" 2>&1)
  [[ -s "$work/work.wasm" ]] && ! "$work/check.sh" "$work/work.wasm"
}
: >"$dir/reduce.log"
current="$dir/case.wasm"
for round in 1 2; do
  if wasm_reduce "$current"; then
    cp "$work/work.wasm" "$work/round$round.wasm"
    current="$work/round$round.wasm"
    echo "round $round, wasm-reduce: $(wc -c <"$current") bytes"
  else
    echo "round $round, wasm-reduce could not reduce it (see reduce.log)"
  fi
  "$here/reduce_wat.py" "$work/check.sh" "$current" "$dir/reduced.wat" || exit 1
  wat2wasm "$dir/reduced.wat" -o "$dir/reduced.wasm"
  current="$dir/reduced.wasm"
  echo "round $round, reduce_wat.py: $(wc -c <"$current") bytes"
done
# Drop what is now unused (stubbed functions, types). binaryen rewrites the module for
# that, so keep the result only if it still fails the same way.
if "${wasm_opt[@]}" "$dir/reduced.wasm" "${features[@]}" --remove-unused-module-elements \
     -o "$work/pruned.wasm" 2>/dev/null &&
   ! "$work/check.sh" "$work/pruned.wasm"; then
  cp "$work/pruned.wasm" "$dir/reduced.wasm"
  wasm2wat "$dir/reduced.wasm" -o "$dir/reduced.wat"
fi
"$work/check.sh" "$dir/reduced.wasm" 2>/dev/null
mv "$dir/reduced.wasm.binaryen" "$dir/reduced.binaryen.txt" 2>/dev/null
mv "$dir/reduced.wasm.wisp" "$dir/reduced.wisp.txt" 2>/dev/null
echo "$(wc -c <"$dir/case.wasm") -> $(wc -c <"$dir/reduced.wasm") bytes: $dir/reduced.wat"
