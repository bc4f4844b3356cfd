#!/usr/bin/env bash
# Differential fuzzing of wisp against binaryen's interpreter (see README.md).
#
#   fuzz/differential/run.sh [CASES] [SEED]
#
# Case i turns PRNG bytes (seeded with SEED and i, so a case is reproducible from its
# two numbers) into a module with `wasm-opt -ttf`, in one of several variants (with or
# without out-of-bounds accesses, unoptimized or through one of binaryen's optimization
# pipelines), runs its exports in binaryen (`wasm-opt --fuzz-exec-before`) and in wisp
# (wisp-fuzz-exec), and diffs the traces. A divergence, or wisp crashing or hanging, is
# saved under findings/SEED-i/ and makes the run fail. CASES=0 runs until interrupted.
#
# Environment:
#   FEATURES        noref (default: binaryen 108, no reference types) or reftypes
#                   (binaryen 132 from npm, reference types and table instructions);
#                   see common.sh and README.md
#   WISP_FUZZ_EXEC  the wisp-fuzz-exec binary (default: build-fuzzdiff/, then build/)
#   FIRST=N         start at case N (FIRST=17 run.sh 1 SEED re-runs case 17 of SEED)
#   KEEP_GOING=1    record every divergence and go on; fail at the end
#   MIN_BYTES, MAX_BYTES  size range of the random input (default 1000..40000)
#   FINDINGS        where divergences go (default fuzz/differential/findings)
#   QUIET=1         no per-case progress lines
#   CORPUS=DIR      keep every compared module as DIR/SEED-CASE.wasm (coverage.sh counts
#                   their reference-type instructions)
#   WISP_FUEL=1     wisp compiles with fuel metering (unlimited fuel)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cases="${1:-200}"
seed="${2:-$(( $(date +%s) % 1000000 ))}"
min_bytes="${MIN_BYTES:-1000}"
max_bytes="${MAX_BYTES:-40000}"
findings="${FINDINGS:-$here/findings}"

source "$here/common.sh" || exit 2
find_wisp "$root" || exit 2
for tool in "${wasm_opt[0]}" wasm-validate wasm2wat wat2wasm python3 timeout; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 2; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A private copy, so that rebuilding wisp during a long run does not disturb it.
cp "$wisp" "$work/wisp-fuzz-exec" && wisp="$work/wisp-fuzz-exec"

# Deterministic input bytes for (seed, case): the size, then the bytes.
make_input() {
  python3 - "$1" "$2" "$min_bytes" "$max_bytes" "$3" <<'EOF'
import random, sys
seed, case, lo, hi, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
r = random.Random(seed * 1000003 + case)
with open(out, "wb") as f:
    f.write(r.randbytes(r.randint(lo, hi)))
EOF
}

# Variants, chosen by case number: binaryen's optimization pipelines give the JIT
# other code shapes than -ttf's raw output (more locals live across calls, folded
# expressions, fewer blocks); --no-fuzz-oob lets more code run before a trap.
opt_variants=("" "" -O1 -O2 -O3 -O4 -Os -Oz --fuzz-passes)
variant_flags() {
  local case="$1" flags=()
  (( case % 2 == 0 )) && flags+=(--no-fuzz-oob)
  local opt="${opt_variants[$(( (case / 2) % ${#opt_variants[@]} ))]}"
  [[ -n "$opt" ]] && flags+=("$opt")
  echo "${flags[@]}"
}

# binaryen's hang limit lets an export run only 10 function entries and loop
# iterations; raising it (in the module, so both engines see it) lets calls go deeper
# and loops run longer. Stays below 250, binaryen's call depth limit.
hang_limits=(10 100 200)
hang_limit() { echo "${hang_limits[$(( ($1 / 18) % ${#hang_limits[@]} ))]}"; }

# (binaryen 132 has no hangLimitInitializer: its hang limit is a global that the code
# resets to 100 when it runs out, so reftypes mode leaves it alone.)
# Rewrites the constant that the export hangLimitInitializer stores (through wabt's
# text format, which round-trips 2.0 modules exactly).
set_hang_limit() {
  local wasm="$1" limit="$2"
  wasm2wat "$wasm" -o "$work/hang.wat" 2>/dev/null || return 1
  python3 - "$work/hang.wat" "$limit" <<'EOF' || return 1
import re, sys
path, limit = sys.argv[1], sys.argv[2]
text = open(path).read()
m = re.search(r'\(export "hangLimitInitializer" \(func (\d+)\)\)', text)
if not m:
    sys.exit(1)
start = text.find('(func (;%s;)' % m.group(1))
end = text.find('\n  (', start + 1)
body = text[start:end]
patched = body.replace('i32.const 10\n', 'i32.const %s\n' % limit, 1)
if patched == body:
    sys.exit(1)
open(path, 'w').write(text[:start] + patched + text[end:])
EOF
  wat2wasm "$work/hang.wat" -o "$wasm" 2>/dev/null
}

ran=0 skipped=0 divergences=0
declare -A skip_reasons=()
skip() { skipped=$((skipped + 1)); skip_reasons[$1]=$(( ${skip_reasons[$1]:-0} + 1 )); }

# Saves a failing case: input, module (binary and text), both traces, their diff.
save_finding() {
  local id="$1" why="$2" dir="$findings/$seed-$1"
  mkdir -p "$dir"
  cp "$work/input.bin" "$work/case.wasm" "$work/binaryen.txt" "$work/wisp.txt" "$dir/" 2>/dev/null
  [[ -n "$initial" ]] && cp "$work/initial.wat" "$work/initial.wasm" "$dir/" 2>/dev/null
  cp "$work/wisp.err" "$dir/wisp.stderr" 2>/dev/null
  wasm2wat --enable-all "$work/case.wasm" -o "$dir/case.wat" 2>/dev/null ||
    "${wasm_opt[@]}" "${features[@]}" "$work/case.wasm" --print >"$dir/case.wat" 2>/dev/null
  diff -u "$dir/binaryen.txt" "$dir/wisp.txt" >"$dir/trace.diff"
  {
    echo "why: $why"
    echo "mode: FEATURES=$mode"
    [[ -n "$initial" ]] && echo "initial content: gen_reftypes.py $initial initial.wat; wat2wasm initial.wat -o initial.wasm"
    echo "generated with: ${wasm_opt[*]} -ttf input.bin ${initial:+-if initial.wasm }${features[*]} --denan ${variant[*]} -o case.wasm"
    [[ "$mode" == noref ]] &&
      echo "hang limit: $hang (10 is -ttf's; a larger one was patched into hangLimitInitializer)"
    echo "re-run the case: FEATURES=$mode FIRST=$id fuzz/differential/run.sh 1 $seed"
    echo "or, in this directory:"
    echo "  ${wasm_opt[*]} case.wasm ${features[*]} --fuzz-exec-before"
    echo "  wisp-fuzz-exec ${wisp_flags[*]} case.wasm"
  } >"$dir/README"
  echo "DIVERGENCE seed $seed case $id: $why -> $dir"
}

start=$(date +%s)
first="${FIRST:-1}"
i=$((first - 1))
while [[ "$cases" -eq 0 || "$i" -lt $((first - 1 + cases)) ]]; do
  i=$((i + 1))
  make_input "$seed" "$i" "$work/input.bin"
  rm -f "$work/case.wasm" "$work/binaryen.txt" "$work/wisp.txt" "$work/wisp.err"
  # --denan keeps NaNs out (their bits are nondeterministic across engines); it runs
  # first so that the optimizers work on the code that is executed.
  read -r -a variant <<<"$(variant_flags "$i")"
  # reftypes: -ttf starts from a module of gen_reftypes.py's (tables, segments, table
  # instructions) in three cases of four, from nothing in the fourth.
  initial="" initial_flags=()
  if [[ "$mode" == reftypes ]] && (( i % 4 != 3 )); then
    initial=$(( seed * 1000003 + i ))
    if ! "$here/gen_reftypes.py" "$initial" "$work/initial.wat" ||
       ! wat2wasm "$work/initial.wat" -o "$work/initial.wasm" 2>"$work/initial.err"; then
      skip "gen_reftypes.py wrote an invalid module"; continue
    fi
    initial_flags=(-if "$work/initial.wasm")
  fi
  if ! timeout 120 "${wasm_opt[@]}" -ttf "$work/input.bin" "${initial_flags[@]}" "${features[@]}" \
        --denan "${variant[@]}" -o "$work/case.wasm" >/dev/null 2>&1; then
    skip "binaryen could not generate"; continue
  fi
  hang=10; [[ "$mode" == reftypes ]] && hang="binaryen's"
  if [[ "$mode" == noref ]]; then
    hang="$(hang_limit "$i")"
    if [[ "$hang" != 10 ]] && ! set_hang_limit "$work/case.wasm" "$hang"; then
      skip "could not raise the hang limit"; continue
    fi
  fi
  # A module wabt rejects cannot tell us anything about wisp (binaryen has bugs too).
  if ! wasm-validate "${validate_flags[@]}" "$work/case.wasm" >/dev/null 2>&1; then
    skip "generated module is not valid 2.0 (wabt)"; continue
  fi
  if ! timeout 120 "${wasm_opt[@]}" "$work/case.wasm" "${features[@]}" --fuzz-exec-before \
        >"$work/binaryen.raw" 2>/dev/null; then
    skip "binaryen interpreter failed"; continue
  fi
  "$here/normalize-binaryen.sh" <"$work/binaryen.raw" >"$work/binaryen.txt"
  if grep -q '^\[host limit' "$work/binaryen.txt"; then
    skip "binaryen hit a host limit"; continue
  fi
  # A NaN that --denan missed: its bits may legitimately differ between engines.
  if grep -q 'nan' "$work/binaryen.txt"; then
    skip "NaN in binaryen's trace"; continue
  fi
  ran=$((ran + 1))
  [[ -n "${CORPUS:-}" ]] && mkdir -p "$CORPUS" && cp "$work/case.wasm" "$CORPUS/$seed-$i.wasm"
  # (The braces keep bash's own "Segmentation fault" notices out of the output.)
  rc=$({ timeout -k 5 60 "$wisp" "${wisp_flags[@]}" --timeout 20 "$work/case.wasm" >"$work/wisp.txt" \
           2>"$work/wisp.err"; echo $?; } 2>/dev/null)
  why=""
  if [[ $rc -ne 0 ]]; then
    case $rc in
      124|137) why="wisp hung (killed by timeout)";;
      4) why="wisp call did not finish (interrupted by its watchdog)";;
      3) why="wisp rejected a module wabt accepts: $(head -c 300 "$work/wisp.err")";;
      *) if (( rc > 128 )); then
           why="wisp crashed: signal $(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))"
         else
           why="wisp exited with status $rc: $(head -c 300 "$work/wisp.err")"
         fi;;
    esac
  elif ! cmp -s "$work/binaryen.txt" "$work/wisp.txt"; then
    why="traces differ"
  fi
  if [[ -n "$why" ]]; then
    divergences=$((divergences + 1))
    save_finding "$i" "$why"
    [[ "${KEEP_GOING:-0}" == 1 ]] || break
  elif [[ "${QUIET:-0}" != 1 ]]; then
    echo "case $i ok (${variant[*]:-plain}${initial:+, initial content}, hang limit $hang; $(grep -cE "^\[fuzz-exec\] (calling|export)" "$work/wisp.txt") calls, $(grep -c "^\[trap" "$work/wisp.txt") traps, $(grep -c "^\[Logging" "$work/wisp.txt") logs)"
  fi
done

echo "---"
echo "FEATURES=$mode seed $seed: $((i - first + 1)) cases generated, $ran compared, $skipped skipped, $divergences divergent ($(( $(date +%s) - start ))s)"
for reason in "${!skip_reasons[@]}"; do echo "  skipped ${skip_reasons[$reason]}: $reason"; done
[[ $divergences -eq 0 ]]
