#!/usr/bin/env python3
"""The JIT's direct x86-64 encoders (src/jit/x64/fast_assembler.h) must produce exactly
the bytes asmjit's encoder produces. Compiles every module of the spec suite (and any
extra .wasm given) twice — normally and with WISP_JIT_ASMJIT_ONLY=1 — and compares the
machine code. The modules of a few control-flow scripts are compared once more compiled
with fuel metering. Usage: encoder_equivalence.py WISP TESTSUITE_DIR [EXTRA.wasm...]"""
import glob, os, subprocess, sys, tempfile

wisp, suite, extra = sys.argv[1], sys.argv[2], sys.argv[3:]


FUEL_SCRIPTS = {"block", "br", "br_if", "br_table", "call", "call_indirect", "fac", "if",
                "loop", "return"}


def dump(module, out, asmjit_only, fuel=False):
    env = dict(os.environ, WISP_JIT_DUMP=out)
    if asmjit_only:
        env["WISP_JIT_ASMJIT_ONLY"] = "1"
    args = [wisp, "compile", "--threads", "1"] + (["--fuel"] if fuel else []) + [module]
    r = subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0


with tempfile.TemporaryDirectory() as tmp:
    modules = list(extra)
    fueled = []
    for wast in sorted(glob.glob(os.path.join(suite, "core", "*.wast"))):
        name = os.path.basename(wast)[:-5]
        if name.startswith("simd_"):
            continue  # not compiled yet
        out = os.path.join(tmp, name)
        os.makedirs(out)
        subprocess.run(["wast2json", wast, "-o", os.path.join(out, name + ".json")],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        found = sorted(glob.glob(os.path.join(out, "*.wasm")))
        modules += found
        if name in FUEL_SCRIPTS:
            fueled += found
    compared = mismatched = 0
    a, b = os.path.join(tmp, "direct.bin"), os.path.join(tmp, "asmjit.bin")
    for m, fuel in [(m, False) for m in modules] + [(m, True) for m in fueled]:
        if not dump(m, a, False, fuel):
            continue  # invalid or unsupported modules are other tests' business
        what = f"{m} (fuel metering)" if fuel else m
        if not dump(m, b, True, fuel):
            print(f"FAIL {what}: compiles with direct encoders but not with asmjit's")
            mismatched += 1
            continue
        compared += 1
        if open(a, "rb").read() != open(b, "rb").read():
            print(f"FAIL {what}: machine code differs between the direct encoders and asmjit")
            mismatched += 1
    print(f"{compared} modules compared, {mismatched} mismatches")
    sys.exit(1 if mismatched or compared == 0 else 0)
