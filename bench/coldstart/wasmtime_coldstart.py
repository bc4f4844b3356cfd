#!/usr/bin/env python3
"""Cold start of wasmtime (pip package, C library underneath): compile, instantiate with
WASI, run _start; medians over REPS, one JSON line.
  wasmtime_coldstart.py MODULE.wasm [REPS] [cranelift|winch] [ARGS...]"""
import json, os, statistics, sys, tempfile, time
import wasmtime
from wasmtime import _ffi as ffi

path = sys.argv[1]
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
strategy = sys.argv[3] if len(sys.argv) > 3 else "cranelift"
args = [path] + sys.argv[4:]
data = open(path, "rb").read()
config = wasmtime.Config()
# The Python wrapper only names auto/cranelift; the C API also has winch (2).
ffi.wasmtime_config_strategy_set(config.ptr(), {"cranelift": 1, "winch": 2}[strategy])
engine = wasmtime.Engine(config)
linker = wasmtime.Linker(engine)
linker.define_wasi()
out = tempfile.NamedTemporaryFile(delete=False)
comp, inst, start, total = [], [], [], []
for _ in range(reps):
    t0 = time.perf_counter()
    module = wasmtime.Module(engine, data)
    t1 = time.perf_counter()
    store = wasmtime.Store(engine)
    wasi = wasmtime.WasiConfig()
    wasi.argv = args
    wasi.stdout_file = out.name
    store.set_wasi(wasi)
    instance = linker.instantiate(store, module)
    t2 = time.perf_counter()
    try:
        instance.exports(store)["_start"](store)
    except wasmtime.ExitTrap as e:
        if e.code != 0:
            raise
    t3 = time.perf_counter()
    comp.append((t1 - t0) * 1e6)
    inst.append((t2 - t1) * 1e6)
    start.append((t3 - t2) * 1e6)
    total.append((t3 - t0) * 1e6)
os.unlink(out.name)
med = lambda v: round(statistics.median(v), 1)
print(json.dumps({"engine": "wasmtime-" + strategy, "file": path, "reps": reps,
                  "compile_us": med(comp), "instantiate_us": med(inst),
                  "start_us": med(start), "total_us": med(total)}))
