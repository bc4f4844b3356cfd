#!/usr/bin/env python3
"""`wisp run` as an operator uses it: limits (--timeout, --max-memory-size), exit codes,
trap reports, --invoke, and bad input (missing, malformed and invalid files, bad
arguments). Each guest is written here in the text format and assembled with wabt's
wat2wasm, so every expectation below is checked against a real run."""
import argparse
import os
import subprocess
import sys
import tempfile
import time

TRAP_EXIT = 134
ERROR_EXIT = 2

WASI = '"wasi_snapshot_preview1"'
GUESTS = {
    # Spins forever: only the interruption check at the loop header can stop it.
    "spin": """(module (func (export "_start") (loop (br 0))))""",
    # Blocks in fd_read on stdin: the guest never returns to wasm code by itself.
    "read_stdin": f"""(module
      (import {WASI} "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 16))
        (i32.store (i32.const 4) (i32.const 64))
        (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))))""",
    # Grows memory by `pages` and returns memory.grow's result (-1 on refusal).
    "grow": """(module (memory 1)
      (func (export "grow") (param $pages i32) (result i32) (memory.grow (local.get $pages))))""",
    # Divides: traps on zero, in function 1 ("div") at a known offset.
    "div": """(module
      (func $helper (result i32) (i32.const 1))
      (func $div (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1))))""",
    # Exits with code 7 through proc_exit.
    "exit7": f"""(module
      (import {WASI} "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (func (export "_start") (call $exit (i32.const 7)) (unreachable)))""",
    "unreachable": """(module (func (export "_start") (unreachable)))""",
    # Counts to n in a loop of 9 instructions per iteration and returns n.
    "count": """(module (func (export "count") (param $n i32) (result i32) (local $i i32)
      (block $done (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
      (local.get $i)))""",
    "add64": """(module (func (export "add") (param i64 i64) (result i64)
      (i64.add (local.get 0) (local.get 1))))""",
    # Structurally fine but invalid: i64 result where i32 is declared.
    "invalid": """(module (func (export "_start") (result i32) (i64.const 1)))""",
}


class Checker:
    def __init__(self, wisp, workdir):
        self.wisp, self.dir, self.failures, self.count = wisp, workdir, [], 0

    def wasm(self, name):
        path = os.path.join(self.dir, name + ".wasm")
        if not os.path.exists(path):
            wat = os.path.join(self.dir, name + ".wat")
            with open(wat, "w") as f:
                f.write(GUESTS[name])
            flags = ["--no-check"] if name == "invalid" else []
            subprocess.run(["wat2wasm", *flags, wat, "-o", path], check=True)
        return path

    def run(self, args, stdin=subprocess.DEVNULL, timeout=30):
        start = time.monotonic()
        r = subprocess.run([self.wisp, "run", *args], stdin=stdin, capture_output=True,
                           timeout=timeout)
        return r, time.monotonic() - start

    def check(self, name, cond, detail=""):
        self.count += 1
        status = "ok" if cond else "FAIL"
        print(f"{status:4} {name}" + ("" if cond else f": {detail}"))
        if not cond:
            self.failures.append(name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wisp", required=True)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="wisp-run-test-") as d:
        c = Checker(os.path.abspath(opts.wisp), d)

        # --timeout stops a spinning guest with the interruption trap.
        r, took = c.run(["--timeout", "0.3", c.wasm("spin")])
        err = r.stderr.decode()
        c.check("timeout stops a spinning guest", r.returncode == TRAP_EXIT and
                "interrupted" in err and took < 10, f"rc={r.returncode} took={took:.1f}s {err!r}")

        # ...and a guest blocked in a host call (stdin is a pipe nobody writes to).
        rfd, wfd = os.pipe()  # the write end stays open: fd_read waits for ever
        start = time.monotonic()
        try:
            p = subprocess.run([c.wisp, "run", "--timeout", "0.3", c.wasm("read_stdin")],
                               stdin=rfd, capture_output=True, timeout=20)
            rc, err = p.returncode, p.stderr
        except subprocess.TimeoutExpired:
            rc, err = None, b"still running after 20 s"
        finally:
            os.close(rfd)
            os.close(wfd)
        took = time.monotonic() - start
        c.check("timeout stops a guest blocked in fd_read", rc == TRAP_EXIT and
                b"interrupted" in err and took < 10, f"rc={rc} took={took:.1f}s {err!r}")

        # Without --timeout the blocked read completes once input arrives.
        p = subprocess.run([c.wisp, "run", c.wasm("read_stdin")], input=b"hi\n",
                           capture_output=True, timeout=30)
        c.check("no timeout: fd_read returns with input", p.returncode == 0,
                f"rc={p.returncode} {p.stderr!r}")

        # --max-memory-size: growth within the limit succeeds, beyond it returns -1.
        limit = str(4 * 65536)
        r, _ = c.run(["--max-memory-size", limit, "--invoke", "grow", c.wasm("grow"), "3"])
        c.check("memory growth up to the limit", r.returncode == 0 and r.stdout.strip() == b"1",
                f"rc={r.returncode} out={r.stdout!r} err={r.stderr!r}")
        r, _ = c.run(["--max-memory-size", limit, "--invoke", "grow", c.wasm("grow"), "4"])
        c.check("memory growth past the limit fails", r.returncode == 0 and
                r.stdout.strip() == b"-1", f"rc={r.returncode} out={r.stdout!r}")
        r, _ = c.run(["--invoke", "grow", c.wasm("grow"), "4"])
        c.check("without a limit the same growth succeeds", r.stdout.strip() == b"1",
                f"out={r.stdout!r} err={r.stderr!r}")

        # Traps: distinct exit code, trap kind, function and offset.
        r, _ = c.run(["--invoke", "div", c.wasm("div"), "7", "0"])
        err = r.stderr.decode()
        c.check("trap exit code and kind", r.returncode == TRAP_EXIT and
                "integer divide by zero" in err, f"rc={r.returncode} {err!r}")
        c.check("trap names the function and offset", "div" in err and "0x" in err, err)
        r, _ = c.run(["--invoke", "div", c.wasm("div"), "-7", "2"])
        c.check("--invoke prints results", r.returncode == 0 and r.stdout.strip() == b"-3",
                f"out={r.stdout!r}")
        r, _ = c.run([c.wasm("unreachable")])
        c.check("unreachable in _start", r.returncode == TRAP_EXIT and b"unreachable" in r.stderr,
                f"rc={r.returncode} {r.stderr!r}")

        # proc_exit's code becomes wisp's exit code.
        r, _ = c.run([c.wasm("exit7")])
        c.check("proc_exit code", r.returncode == 7, f"rc={r.returncode} {r.stderr!r}")

        # i64 arguments at their extremes, and malformed ones rejected before running.
        r, _ = c.run(["--invoke", "add", c.wasm("add64"), "9223372036854775807", "1"])
        c.check("i64 arguments wrap", r.stdout.strip() in (b"-9223372036854775808",
                b"9223372036854775808"), f"out={r.stdout!r} err={r.stderr!r}")
        r, _ = c.run(["--invoke", "add", c.wasm("add64"), "1x", "1"])
        c.check("malformed argument", r.returncode == ERROR_EXIT and b"argument 0" in r.stderr,
                f"rc={r.returncode} {r.stderr!r}")
        r, _ = c.run(["--invoke", "add", c.wasm("add64"), "1"])
        c.check("wrong argument count", r.returncode == ERROR_EXIT and b"takes 2" in r.stderr,
                f"rc={r.returncode} {r.stderr!r}")
        r, _ = c.run(["--invoke", "nope", c.wasm("add64")])
        c.check("unknown export", r.returncode == ERROR_EXIT and b"nope" in r.stderr,
                f"rc={r.returncode} {r.stderr!r}")

        # Bad files: named, with the offset for a malformed or invalid module.
        r, _ = c.run([os.path.join(d, "missing.wasm")])
        c.check("missing file", r.returncode == ERROR_EXIT and b"cannot read" in r.stderr,
                f"rc={r.returncode} {r.stderr!r}")
        r, _ = c.run([d])
        c.check("a directory is not a module", r.returncode == ERROR_EXIT, f"rc={r.returncode}")
        junk = os.path.join(d, "junk.wasm")
        with open(junk, "wb") as f:
            f.write(b"\0asm\x01\0\0\0\x01\xff\xff\xff\xff\x0f")
        r, _ = c.run([junk])
        c.check("malformed module", r.returncode == ERROR_EXIT and b"offset" in r.stderr,
                f"rc={r.returncode} {r.stderr!r}")
        empty = os.path.join(d, "empty.wasm")
        open(empty, "wb").close()
        r, _ = c.run([empty])
        c.check("empty file", r.returncode == ERROR_EXIT and r.stderr, f"rc={r.returncode}")
        for mode in ([], ["--eager"]):
            r, _ = c.run([*mode, c.wasm("invalid")])
            c.check(f"invalid module {mode or 'lazy'}", r.returncode == ERROR_EXIT and
                    b"type mismatch" in r.stderr, f"rc={r.returncode} {r.stderr!r}")
        # --fuel: a deterministic budget of instructions.
        r, took = c.run(["--fuel", "100000", c.wasm("spin")])
        err = r.stderr.decode()
        c.check("fuel stops a spinning guest", r.returncode == TRAP_EXIT and
                "all fuel consumed" in err and took < 10, f"rc={r.returncode} {err!r}")
        r, _ = c.run(["--fuel", "10000", "--invoke", "count", c.wasm("count"), "1000"])
        c.check("fuel enough for 1000 iterations", r.returncode == 0 and
                r.stdout.strip() == b"1000", f"rc={r.returncode} {r.stdout!r} {r.stderr!r}")
        r, _ = c.run(["--fuel", "8000", "--invoke", "count", c.wasm("count"), "1000"])
        c.check("fuel too little for 1000 iterations", r.returncode == TRAP_EXIT and
                b"all fuel consumed" in r.stderr, f"rc={r.returncode} {r.stderr!r}")
        r, _ = c.run(["--fuel", "-5", c.wasm("spin")])
        c.check("negative fuel is a usage error", r.returncode not in (0, TRAP_EXIT),
                f"rc={r.returncode}")

        r, _ = c.run(["--max-memory-size", "lots", c.wasm("spin")])
        c.check("malformed option value", r.returncode != 0 and r.returncode != TRAP_EXIT,
                f"rc={r.returncode}")

        print(f"{c.count - len(c.failures)}/{c.count} checks passed")
        return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
