#!/usr/bin/env bash
# Installs the pinned binaryen from npm (its tools are node scripts: bin/wasm-opt, ...)
# into bench/.cache/npm/binaryen-VERSION (git-ignored; bench/fetch-modules.sh keeps its
# packages there too) and prints the directory holding the tools. Idempotent; needs
# node and npm (scripts/install-deps.sh installs them).
#
#   fuzz/differential/fetch-binaryen.sh     # -> .../bench/.cache/npm/binaryen-132.0.0/package/bin
set -euo pipefail
version=132.0.0
# The tarball's "dist.integrity" in the npm registry (`npm view binaryen@132.0.0 dist`).
integrity=sha512-4Usg7yEvwO3FMso3Oov6qkOOHSod1IEv+boKkh77kTljM+eNBouqCTbqWswGzbG+vDNO/b/v2C4gfEh1WgB9Lg==

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir=$root/bench/.cache/npm/binaryen-$version
if [ ! -e "$dir/.done" ]; then
  command -v npm >/dev/null || { echo "fetch-binaryen.sh: npm is required" >&2; exit 2; }
  rm -rf "$dir" && mkdir -p "$dir"
  echo "fetching binaryen@$version from npm" >&2
  tgz=$(cd "$dir" && npm pack --silent "binaryen@$version" | tail -n1)
  got=$(python3 -c 'import base64, hashlib, sys
print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$dir/$tgz")
  if [ "$got" != "$integrity" ]; then
    echo "fetch-binaryen.sh: integrity mismatch for binaryen@$version: $got" >&2
    exit 1
  fi
  tar xzf "$dir/$tgz" -C "$dir" && rm -f "$dir/$tgz"
  touch "$dir/.done"
fi
printf '%s\n' "$dir/package/bin"
