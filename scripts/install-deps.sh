#!/usr/bin/env bash
# Installs what wisp needs to build and test from Debian's packages (Debian 12).
# Idempotent: installs only what is missing.
set -euo pipefail
packages=(
  build-essential cmake ninja-build git python3
  clang lld clang-format libclang-rt-14-dev          # fuzzing build, formatting
  wasi-libc libclang-rt-14-dev-wasm32                 # guest programs (clang --target=wasm32-wasi)
  libasmjit-dev libgtest-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev
  libboost1.81-dev libtomlplusplus-dev                # wisp serve: HTTP (Beast) and TOML config
  wabt binaryen                                       # wast2json for the spec suite; differential fuzzing
  curl wrk hyperfine                                  # the Quick start's request; bench/serve/wrk.sh, whole-process timing
)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
