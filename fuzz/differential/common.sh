# Shared by run.sh and reduce.sh (sourced): the feature set, the binaryen to compare
# with, and the runner binary. FEATURES picks the mode:
#
#   FEATURES=noref     (default) WebAssembly 2.0 without SIMD and without reference
#                      types, generated and run by Debian's binaryen 108.
#   FEATURES=reftypes  WebAssembly 2.0 without SIMD, with reference types and the bulk
#                      table instructions, generated and run by binaryen 132 from npm
#                      (fetch-binaryen.sh installs it), with gen_reftypes.py's modules
#                      as -ttf's initial content.
#
# Sets: mode, features (binaryen's flags), wasm_opt (the wasm-opt command, an array),
# wisp_flags (wisp-fuzz-exec's flags for that binaryen's trace format),
# validate_flags (wabt's wasm-validate flags for exactly that feature set).
mode="${FEATURES:-noref}"
case "$mode" in
  noref)
    # Reference types are off because binaryen 108 cannot write them as 2.0: it emits
    # typed function references ((ref $t), fixed in binaryen PR #5737) and treats
    # externref as anyref, storing funcrefs in it; no such module validates.
    features=(--enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int
              --enable-bulk-memory --disable-reference-types --enable-multivalue
              --disable-simd --disable-threads --disable-exception-handling --disable-tail-call
              --disable-gc --disable-memory64 --disable-typed-function-references
              --disable-relaxed-simd --disable-extended-const --disable-gc-nn-locals)
    wasm_opt=(wasm-opt)
    wisp_flags=()
    validate_flags=()
    ;;
  reftypes)
    # Everything else (GC, typed function references, SIMD, exceptions, tail calls,
    # strings, multi-memory, memory64, threads, ...) stays off: --mvp-features first.
    features=(--mvp-features --enable-sign-ext --enable-mutable-globals
              --enable-nontrapping-float-to-int --enable-bulk-memory --enable-reference-types
              --enable-multivalue)
    binaryen_bin="$("$(dirname "${BASH_SOURCE[0]}")/fetch-binaryen.sh")" || return 2 2>/dev/null || exit 2
    # Liftoff only: binaryen.js is a 10 MB wasm module, and optimizing it costs more
    # than these short runs gain (3.5 s -> 0.8 s for one -ttf).
    wasm_opt=(node --liftoff-only "$binaryen_bin/wasm-opt")
    wisp_flags=(--binaryen 132)
    # wabt 1.0.32 enables 2.0's features by default, SIMD included.
    validate_flags=(--disable-simd)
    ;;
  *)
    echo "FEATURES must be noref or reftypes, not '$mode'" >&2
    return 2 2>/dev/null || exit 2
    ;;
esac
# WISP_FUEL=1: wisp compiles with fuel metering (unlimited fuel): the metering code must
# not change any result.
[ "${WISP_FUEL:-0}" = 1 ] && wisp_flags+=(--fuel)

# Sets $wisp to the wisp-fuzz-exec binary: $WISP_FUZZ_EXEC, else build-fuzzdiff/ or
# build/ under the repository root ($1).
find_wisp() {
  wisp="${WISP_FUZZ_EXEC:-}"
  if [[ -z "$wisp" ]]; then
    for candidate in "$1/build-fuzzdiff/fuzz/differential/wisp-fuzz-exec" \
                     "$1/build/fuzz/differential/wisp-fuzz-exec"; do
      if [[ -x "$candidate" ]]; then wisp="$candidate"; break; fi
    done
  fi
  if [[ -z "$wisp" || ! -x "$wisp" ]]; then
    echo "wisp-fuzz-exec not found; build it (see README.md) or set WISP_FUZZ_EXEC" >&2
    return 1
  fi
}
