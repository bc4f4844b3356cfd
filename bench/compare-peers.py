#!/usr/bin/env python3
"""Measures wisp against V8 in the same run and prints ratios (markdown).

  bench/compare-peers.py validate [MODULE...]   decode+validate vs WebAssembly.validate
  bench/compare-peers.py compile  [MODULE...]   compile vs Liftoff (fresh node per run)

Modules default to the WebAssembly 2.0, SIMD-free ones fetched by
bench/fetch-modules.sh. wisp runs in process (build/bench/wisp_bench); V8 runs
single-threaded with eager compilation (see bench/README.md). Medians throughout.
"""
import json, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.environ.get("WISP_BENCH", os.path.join(ROOT, "build", "bench", "wisp_bench"))
MODULES = os.path.join(ROOT, "bench", ".cache", "modules")
DEFAULT = ["clang", "biome", "duckdb", "yosys", "typst", "ruby", "esbuild", "spidermonkey", "sqlite"]


def wisp(kind, path, reps):
    flt = f"^{kind}/" + ("" if kind == "validate" else "")
    out = subprocess.run([BENCH, f"--benchmark_filter={flt}", "--benchmark_format=json",
                          f"--benchmark_repetitions={reps}", "--benchmark_report_aggregates_only=true",
                          path], capture_output=True, text=True, check=True).stdout
    res = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name = b["run_name"]
        ms = b["real_time"] if b["time_unit"] == "ms" else b["real_time"] / 1e6
        res["threads:all" if "threads:all" in name else "threads:1" if "threads:1" in name else "v"] = ms
    return res


def node(args):
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    return json.loads(out)


def main():
    kind = sys.argv[1] if len(sys.argv) > 1 else "validate"
    names = sys.argv[2:] or DEFAULT
    paths = [n if n.endswith(".wasm") else os.path.join(MODULES, n + ".wasm") for n in names]
    rows = []
    for path in paths:
        if not os.path.exists(path):
            print(f"missing {path} (run bench/fetch-modules.sh)", file=sys.stderr)
            continue
        size = os.path.getsize(path) / 1e6
        name = os.path.basename(path)[:-5]
        if kind == "validate":
            v8 = node(["node", "--single-threaded", os.path.join(ROOT, "bench/v8/validate.js"), path, "20"])
            w = wisp("validate", path, 5)["v"]
            rows.append((name, size, w, v8["median_ms"]))
        else:
            v8 = node(["bash", os.path.join(ROOT, "bench/v8/compile-peer.sh"), path, "5", "liftoff"])
            w = wisp("compile", path, 3)
            rows.append((name, size, w["threads:1"], w["threads:all"], v8["median_ms"]))
    if kind == "validate":
        print("| module | MB | wisp ms | wisp MB/s | V8 validate ms | V8 MB/s | V8/wisp |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for n, mb, w, v in rows:
            print(f"| {n} | {mb:.1f} | {w:.1f} | {mb / w * 1e3:.0f} | {v:.1f} | {mb / v * 1e3:.0f} | {v / w:.2f}x |")
    else:
        print("| module | MB | wisp 1 thread ms | MB/s | wisp all threads ms | MB/s | Liftoff ms | MB/s | Liftoff/wisp (1 thread) | Liftoff/wisp (all) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for n, mb, w1, wa, v in rows:
            print(f"| {n} | {mb:.1f} | {w1:.0f} | {mb / w1 * 1e3:.0f} | {wa:.0f} | {mb / wa * 1e3:.0f} | "
                  f"{v:.0f} | {mb / v * 1e3:.0f} | {v / w1:.2f}x | {v / wa:.2f}x |")


if __name__ == "__main__":
    main()
