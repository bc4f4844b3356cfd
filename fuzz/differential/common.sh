# Shared by run.sh and reduce.sh (sourced): the feature set and the runner binary.

# WebAssembly 2.0 without SIMD and without reference types, as binaryen 108 spells it.
# Reference types are off because binaryen 108 cannot write them as 2.0: it emits typed
# function references ((ref $t), fixed in binaryen PR #5737) and treats externref as
# anyref, storing funcrefs in it; no such module validates.
features=(--enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int
          --enable-bulk-memory --disable-reference-types --enable-multivalue
          --disable-simd --disable-threads --disable-exception-handling --disable-tail-call
          --disable-gc --disable-memory64 --disable-typed-function-references
          --disable-relaxed-simd --disable-extended-const --disable-gc-nn-locals)

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
