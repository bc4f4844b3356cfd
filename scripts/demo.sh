#!/usr/bin/env bash
# Quick start 1: install what is missing, build, and run a bundled example.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
echo
echo "$ wisp run --invoke fib build/examples/fib.wasm 30"
"$root/build/wisp" run --invoke fib "$root/build/examples/fib.wasm" 30
