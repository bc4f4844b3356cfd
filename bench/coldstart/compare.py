#!/usr/bin/env python3
"""Cold start, measured side by side in one run (medians; ratios are peer / wisp).

In process: compile + instantiate (fresh store, WASI) + _start of
  - small: build/examples/hello.wasm
  - large: bench/.cache/modules/yosys.wasm (-V) and flite.wasm (data-heavy)
for wisp (eager with all threads and with one; lazy: validate all, compile on first call),
wasmtime 50 (Cranelift and Winch, through its C API
from the pip package) and V8 (Node 20, default lazy tiering and eager Liftoff; a fresh
process per measurement). Whole process: `wisp run hello.wasm` against Node running
the same program under its WASI (hyperfine).

  bench/coldstart/compare.py [--reps N]
"""
import json, os, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
B = os.path.join(ROOT, "build")
REPS = int(sys.argv[sys.argv.index("--reps") + 1]) if "--reps" in sys.argv else 10
SMALL = os.path.join(B, "examples", "hello.wasm")
MODULES = os.path.join(ROOT, "bench", ".cache", "modules")
CASES = [("hello (small)", SMALL, [], REPS),
         ("yosys -V (31 MB)", os.path.join(MODULES, "yosys.wasm"), ["-V"], 3),
         ("flite (22 MB, data)", os.path.join(MODULES, "flite.wasm"), ["-voice", "slt", "-t", "hi", "none"], 3)]


def run_json(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def v8(path, args, flags, reps):
    runs = [run_json(["node"] + flags + [os.path.join(ROOT, "bench/coldstart/v8_coldstart.mjs"), path] + args)
            for _ in range(reps)]
    return {k: statistics.median(r[k] for r in runs) for k in ("compile_us", "instantiate_us", "start_us", "total_us")}


def main():
    rows = []
    for name, path, args, reps in CASES:
        if not os.path.exists(path):
            print(f"skipping {name}: {path} missing (bash bench/fetch-modules.sh)", file=sys.stderr)
            continue
        res = {}
        res["wisp"] = run_json([os.path.join(B, "bench", "coldstart_bench"), path, str(reps), "0"] + args)
        res["wisp 1 thread"] = run_json([os.path.join(B, "bench", "coldstart_bench"), path, str(reps), "1"] + args)
        res["wisp lazy"] = run_json([os.path.join(B, "bench", "coldstart_bench"), path, str(reps), "lazy"] + args)
        res["wasmtime Winch"] = run_json([sys.executable, os.path.join(ROOT, "bench/coldstart/wasmtime_coldstart.py"),
                                          path, str(reps), "winch"] + args)
        cl_reps = reps if "small" in name else 1  # Cranelift takes minutes on the big ones
        res["wasmtime Cranelift"] = run_json([sys.executable, os.path.join(ROOT, "bench/coldstart/wasmtime_coldstart.py"),
                                              path, str(cl_reps), "cranelift"] + args)
        res["V8 default (lazy)"] = v8(path, args, [], reps)
        res["V8 Liftoff eager"] = v8(path, args, ["--liftoff-only", "--no-wasm-lazy-compilation"], reps)
        rows.append((name, res))
    for name, res in rows:
        print(f"\n**{name}** (µs, median)\n")
        print("| engine | compile | instantiate | _start | total | total vs wisp |")
        print("|---|---:|---:|---:|---:|---:|")
        base = res["wisp"]["total_us"]
        for engine, r in res.items():
            print(f"| {engine} | {r['compile_us']:.0f} | {r['instantiate_us']:.0f} | {r['start_us']:.0f} | "
                  f"{r['total_us']:.0f} | {r['total_us'] / base:.2f}x |")
    hf = subprocess.run(["hyperfine", "-N", "--warmup", "10", "-r", "100", "--export-json", "/tmp/wisp-hf.json",
                         f"{B}/wisp run {SMALL}", f"node {ROOT}/bench/v8/wasi-run.mjs {SMALL}"],
                        capture_output=True, text=True)
    if hf.returncode == 0:
        res = json.load(open("/tmp/wisp-hf.json"))["results"]
        print("\n**whole process, hello.wasm** (hyperfine, ms)\n")
        print("| command | median | min | vs wisp |")
        print("|---|---:|---:|---:|")
        base = res[0]["median"]
        for r in res:
            print(f"| `{r['command'].replace(ROOT + '/', '')}` | {r['median'] * 1e3:.2f} | {r['min'] * 1e3:.2f} | {r['median'] / base:.1f}x |")


if __name__ == "__main__":
    main()
