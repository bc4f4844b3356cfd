#!/usr/bin/env bash
# Run the compute-kernel suite on every engine, check that all engines
# compute the same checksum, and print a table of median times and ratios
# against native gcc -O2.
#
# usage: bench/kernels/compare.sh [KERNEL...]      (default: all in kernels.tsv)
#
# Engines (one process per kernel and engine; REPS timed calls after one
# untimed warm-up call, median reported; compile time excluded):
#   native    <out>/<k>.native N REPS                       (native_main.c)
#   liftoff   node --liftoff-only ... run-v8.js <k>.wasm N REPS
#   turbofan  node --no-liftoff   ... run-v8.js <k>.wasm N REPS
#   wisp      only if $WISP is set, see below
#
# Environment:
#   REPS=5           timed repetitions per engine
#   WISP=/path       add a wisp column.  For each kernel the wrapper runs
#                      $WISP run $WISP_FLAGS --invoke run <k>.wasm N
#                    REPS times (plus one untimed warm-up process) and times
#                    each whole process by wall clock, so the wisp number
#                    INCLUDES process start-up, decoding, validation and JIT
#                    compilation of the module (a few ms at most for these
#                    1-4 KiB modules; the kernels run 100+ ms).  wisp must
#                    print the i64 result on stdout as a decimal integer
#                    (signed or unsigned; the last integer on the last
#                    non-empty line is taken, so "i64:123" or "123 : i64"
#                    are fine) and exit 0.
#   WISP_FLAGS=      extra flags placed right after `run` (e.g. a tier flag)
#   NODE=node        node binary
#   OUT=dir          build/output directory (default bench/.cache/kernels);
#                    raw JSON lines of every engine run go to $OUT/results.jsonl
#   NO_BUILD=1       do not (re)build the kernels first
#   QUICK=1          divide every N by 10 (smoke test; recorded checksums in
#                    kernels.tsv are then not compared, engines still are)
#   TIMEOUT=900      seconds allowed per engine invocation
#
# Exit status: 0 if every engine agreed with native on every kernel, 1 if any
# checksum differed or any engine failed (the offending rows are marked
# MISMATCH/FAIL and a summary is printed on stderr).  A native checksum that
# differs from the one recorded in kernels.tsv only produces a warning: the
# record documents the expected value for the listed N, the engines are
# compared against each other at run time.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
OUT="${OUT:-$repo/bench/.cache/kernels}"
REPS="${REPS:-5}"
NODE="${NODE:-node}"
TIMEOUT="${TIMEOUT:-900}"
WISP="${WISP:-}"
WISP_FLAGS="${WISP_FLAGS:-}"
V8_FLAGS=(--no-wasm-lazy-compilation --single-threaded)

if [ "${NO_BUILD:-0}" != 1 ]; then
  "$here/build.sh" "$OUT" >/dev/null || { echo "compare.sh: build failed" >&2; exit 1; }
fi
OUT="$(cd "$OUT" && pwd)"
results="$OUT/results.jsonl"
: >"$results"

# Kernel list from kernels.tsv: name <TAB> n <TAB> checksum; '#' = comment.
declare -a names ns sums
while IFS=$'\t' read -r name n sum _; do
  case "$name" in ''|'#'*|name) continue ;; esac
  names+=("$name"); ns+=("$n"); sums+=("$sum")
done <"$here/kernels.tsv"

want=("$@")
selected() {
  [ ${#want[@]} -eq 0 ] && return 0
  local w
  for w in "${want[@]}"; do [ "$w" = "$1" ] && return 0; done
  return 1
}
for w in "${want[@]}"; do
  found=0
  for name in "${names[@]}"; do [ "$name" = "$w" ] && found=1; done
  [ $found = 1 ] || { echo "compare.sh: unknown kernel '$w' (see kernels.tsv)" >&2; exit 1; }
done

json_field() { # json_field KEY JSON -> value of a top-level scalar field
  sed -nE "s/.*\"$1\":\"?([^\",}]*)\"?[,}].*/\1/p" <<<"$2"
}

median() { # median of numbers given as arguments
  printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {
    if (NR % 2) printf "%.3f", a[(NR+1)/2]; else printf "%.3f", (a[NR/2]+a[NR/2+1])/2 }'
}

now_ns() { date +%s%N; }

fmt_ms() { # fmt_ms MS -> fixed one-decimal milliseconds, or FAIL
  if [ -n "${1:-}" ]; then awk -v v="$1" 'BEGIN { printf "%.1f", v }'; else echo FAIL; fi
}

# run_wisp FILE N -> prints a JSON line like the other drivers, or fails.
run_wisp() {
  local file="$1" n="$2" out t0 t1 sum="" first="" i
  local -a times=()
  # shellcheck disable=SC2086  # WISP_FLAGS is intentionally word-split
  for ((i = 0; i <= REPS; i++)); do
    t0=$(now_ns)
    out=$(timeout "$TIMEOUT" "$WISP" run $WISP_FLAGS --invoke run "$file" "$n") || {
      echo "compare.sh: wisp exited with status $? on $file" >&2; return 1; }
    t1=$(now_ns)
    sum=$(grep -v '^[[:space:]]*$' <<<"$out" | tail -n 1 | grep -oE -- '-?[0-9]+' | tail -n 1)
    [ -n "$sum" ] || { echo "compare.sh: no integer in wisp output: $out" >&2; return 1; }
    sum=$(printf '%u' "$sum")
    if [ $i -eq 0 ]; then first="$sum"; continue; fi   # warm-up process, untimed
    [ "$sum" = "$first" ] || { echo "compare.sh: wisp non-deterministic: $sum vs $first" >&2; return 1; }
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')")
  done
  local tj
  tj=$(IFS=,; echo "${times[*]}")
  printf '{"engine":"wisp","kernel":"%s","n":%s,"reps":%s,"checksum":"%s","median_ms":%s,"times_ms":[%s],"timing":"process-wall-clock"}\n' \
    "$(basename "$file" .wasm)" "$n" "$REPS" "$first" "$(median "${times[@]}")" "$tj"
}

engines=(native liftoff turbofan)
[ -n "$WISP" ] && engines+=(wisp)

run_engine() { # run_engine ENGINE KERNEL N -> JSON line on stdout
  local e="$1" k="$2" n="$3"
  case "$e" in
    native)   timeout "$TIMEOUT" "$OUT/$k.native" "$n" "$REPS" ;;
    liftoff)  timeout "$TIMEOUT" "$NODE" --liftoff-only "${V8_FLAGS[@]}" "$here/run-v8.js" "$OUT/$k.wasm" "$n" "$REPS" ;;
    turbofan) timeout "$TIMEOUT" "$NODE" --no-liftoff "${V8_FLAGS[@]}" "$here/run-v8.js" "$OUT/$k.wasm" "$n" "$REPS" ;;
    wisp)     run_wisp "$OUT/$k.wasm" "$n" ;;
  esac
}

# Table header.
hdr=$(printf '%-9s %9s' kernel n)
for e in "${engines[@]}"; do
  case "$e" in
    native) hdr+=$(printf ' %10s' 'native ms') ;;
    wisp)   hdr+=$(printf ' %10s %7s' 'wisp ms*' ratio) ;;
    *)      hdr+=$(printf ' %10s %7s' "$e ms" ratio) ;;
  esac
done
hdr+="  checksum"
echo "$hdr"
echo "${hdr//?/-}"

failures=()
declare -A ratios_log   # engine -> sum of ln(ratio)
declare -A ratios_cnt
for idx in "${!names[@]}"; do
  k="${names[$idx]}"; n="${ns[$idx]}"; recorded="${sums[$idx]}"
  selected "$k" || continue
  [ "${QUICK:-0}" = 1 ] && n=$(( n / 10 > 0 ? n / 10 : 1 ))
  declare -A ms=() cs=()
  for e in "${engines[@]}"; do
    if line=$(run_engine "$e" "$k" "$n"); then
      echo "$line" >>"$results"
      cs[$e]=$(json_field checksum "$line")
      ms[$e]=$(json_field median_ms "$line")
    else
      cs[$e]=FAIL; ms[$e]=""
      failures+=("$k: $e failed")
    fi
  done
  ref="${cs[native]}"
  row=$(printf '%-9s %9s' "$k" "$n")
  for e in "${engines[@]}"; do
    if [ "$e" = native ]; then
      row+=$(printf ' %10s' "$(fmt_ms "${ms[$e]}")")
      continue
    fi
    if [ "${cs[$e]}" = FAIL ] || [ "$ref" = FAIL ]; then
      row+=$(printf ' %10s %7s' "$(fmt_ms "${ms[$e]}")" '-')
    elif [ "${cs[$e]}" != "$ref" ]; then
      row+=$(printf ' %10s %7s' "$(fmt_ms "${ms[$e]}")" 'MISMATCH')
      failures+=("$k: $e checksum ${cs[$e]} != native $ref")
    else
      r=$(awk -v a="${ms[$e]}" -v b="${ms[native]}" 'BEGIN { printf "%.2f", a / b }')
      row+=$(printf ' %10s %7s' "$(fmt_ms "${ms[$e]}")" "${r}x")
      ratios_log[$e]=$(awk -v s="${ratios_log[$e]:-0}" -v r="$r" 'BEGIN { printf "%.9f", s + log(r) }')
      ratios_cnt[$e]=$(( ${ratios_cnt[$e]:-0} + 1 ))
    fi
  done
  row+="  $ref"
  if [ "${QUICK:-0}" != 1 ] && [ "$ref" != FAIL ] && [ "$ref" != "$recorded" ]; then
    row+="  (WARNING: kernels.tsv records $recorded)"
  fi
  echo "$row"
  unset ms cs
done

# Geometric mean of the ratios per engine.
geo=$(printf '%-9s %9s %10s' geomean '' '')
for e in "${engines[@]}"; do
  [ "$e" = native ] && continue
  if [ -n "${ratios_cnt[$e]:-}" ]; then
    g=$(awk -v s="${ratios_log[$e]}" -v c="${ratios_cnt[$e]}" 'BEGIN { printf "%.2f", exp(s / c) }')
    geo+=$(printf ' %10s %7s' '' "${g}x")
  else
    geo+=$(printf ' %10s %7s' '' '-')
  fi
done
echo "$geo"
echo
echo "ratio = engine median / native median (lower is better); REPS=$REPS; raw results: $results"
[ -n "$WISP" ] && echo "* wisp: wall clock of the whole \`wisp run\` process (start-up + compile + run)"

if [ ${#failures[@]} -gt 0 ]; then
  {
    echo
    echo "compare.sh: FAILED — engines disagree or failed:"
    printf '  %s\n' "${failures[@]}"
  } >&2
  exit 1
fi
echo "all checksums agree across engines"
