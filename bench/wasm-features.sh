#!/usr/bin/env bash
# Print the WebAssembly features FILE.wasm needs (comma-separated wabt feature names), by toggling wasm-validate flags.
set -uo pipefail
f=${1:?usage: wasm-features.sh FILE.wasm}
ok() { wasm-validate "$@" "$f" >/dev/null 2>&1; }
base=()      # extra flags needed to validate at all (beyond wabt 1.0.32's defaults)
if ! ok; then
  for x in threads exceptions tail-call memory64 multi-memory extended-const function-references gc relaxed-simd; do
    if ok --enable-$x; then base=(--enable-$x); break; fi
  done
  if [ ${#base[@]} -eq 0 ]; then
    if ok --enable-all; then base=(--enable-all); else echo "invalid even with --enable-all:" >&2; wasm-validate --enable-all "$f" >&2; exit 1; fi
  fi
fi
need=()
for x in mutable-globals saturating-float-to-int sign-extension simd multi-value bulk-memory reference-types; do
  ok "${base[@]}" --disable-$x || need+=("$x")
done
[ ${#base[@]} -gt 0 ] && need+=("${base[0]#--enable-}")
[ ${#need[@]} -eq 0 ] && need=(mvp)
(IFS=,; echo "${need[*]}")
