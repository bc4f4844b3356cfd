#!/usr/bin/env python3
"""Second reference runtime: wasmtime's WASI preview1 through the `wasmtime`
Python package (pip install wasmtime; it bundles the wasmtime C API).

    python3 tests/wasi/wasmtime-wasi.py [--dir HOST::GUEST | --dir DIR]... [--env K=V]...
            FILE.wasm [ARGS...]

Same interface as node-wasi.mjs: stdio inherited, exits with the guest's
exit code, 134 on a trap. Used by run-tests.py --runtime wasmtime-py to
check that the expected outputs match what wasmtime does.
"""
import sys


def usage(msg):
    sys.stderr.write(f"wasmtime-wasi: {msg}\n")
    sys.stderr.write("usage: wasmtime-wasi.py [--dir HOST::GUEST]... [--env K=V]... FILE.wasm [ARGS...]\n")
    sys.exit(2)


def main(argv):
    try:
        import wasmtime
    except ImportError:
        usage("the `wasmtime` Python package is not installed (pip install wasmtime)")

    dirs, env = [], []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if a in ("--dir", "--env"):
            if i + 1 >= len(argv):
                usage(f"{a} needs a value")
            v = argv[i + 1]
            if a == "--dir":
                host, sep, guest = v.partition("::")
                dirs.append((host, guest if sep else host))
            else:
                k, sep, val = v.partition("=")
                if not sep or not k:
                    usage(f"--env value must be K=V, got {v!r}")
                env.append((k, val))
            i += 2
        elif a.startswith("--"):
            usage(f"unknown flag {a}")
        else:
            break
    if i >= len(argv):
        usage("missing FILE.wasm")
    path, args = argv[i], argv[i + 1:]

    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    cfg = wasmtime.WasiConfig()
    cfg.argv = [path] + args
    cfg.env = env
    for host, guest in dirs:
        cfg.preopen_dir(host, guest)
    cfg.inherit_stdin()
    cfg.inherit_stdout()
    cfg.inherit_stderr()
    store.set_wasi(cfg)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    module = wasmtime.Module.from_file(engine, path)
    try:
        instance = linker.instantiate(store, module)
        instance.exports(store)["_start"](store)
    except wasmtime.ExitTrap as e:
        return e.code
    except wasmtime.Trap as e:
        sys.stderr.write(f"wasmtime-wasi: wasm trap: {e.message}\n")
        return 134
    except wasmtime.WasmtimeError as e:
        sys.stderr.write(f"wasmtime-wasi: error: {e}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
