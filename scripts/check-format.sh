#!/usr/bin/env bash
# Fails if any C/C++ file of the project is not formatted per .clang-format.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
files=$(git ls-files '*.cpp' '*.h' '*.c' | grep -v '^tests/wasi/src/' || true)
if [ "${1:-}" = "--fix" ]; then
  clang-format -i $files
  exit 0
fi
clang-format --dry-run --Werror $files
