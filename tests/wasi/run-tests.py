#!/usr/bin/env python3
"""WASI preview1 conformance runner for wisp (python3 stdlib only).

Builds the C test programs in tests/wasi/src/ to wasm32-wasi (or takes a
directory of prebuilt .wasm files), runs each test from the TESTS table with
the selected runtime, and compares stdout byte for byte (and stderr where an
expected .stderr file exists) plus the exit status against tests/wasi/expected/.

    tests/wasi/run-tests.py --runtime node
    tests/wasi/run-tests.py --runtime wisp --wisp build/wisp
    tests/wasi/run-tests.py --runtime wasmtime-py      # pip install wasmtime
    WASI_RUNTIME=wisp WISP=build/wisp tests/wasi/run-tests.py

Runtime command lines (wisp and wasmtime use exactly these flag spellings):
    node:        node --no-warnings tests/wasi/node-wasi.mjs [--dir H::G] [--env K=V] F.wasm ARGS
    wisp:        WISP run [--dir H::G] [--env K=V] F.wasm ARGS
    wasmtime:    wasmtime run [--dir H::G] [--env K=V] F.wasm ARGS
    wasmtime-py: python3 tests/wasi/wasmtime-wasi.py [--dir H::G] [--env K=V] F.wasm ARGS

Exit status 0 iff no test failed. Known deviations of a runtime (KNOWN_FAILURES)
are reported as XFAIL and do not fail the run.
"""
import argparse
import difflib
import fnmatch
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "src")
EXPECTED = os.path.join(HERE, "expected")
INPUTS = os.path.join(HERE, "inputs")

SECRET = "TOP-SECRET-wisp-wasi-sandbox-7f3a9c\n"


def T(name, wasm=None, args=(), env=(), stdin=None, sandbox=False, fixture=None, exit=0, timeout=None):
    """One test. wasm: program name (default: name). args/env: guest argv
    (after argv[0]) and environment as (K, V) pairs; nothing else is passed.
    stdin: file under inputs/ fed through a pipe (None: empty stdin).
    sandbox: preopen a fresh empty host temp dir as /sandbox.
    fixture: extra host-side setup/verification ("escape").
    exit: expected exit status, or "trap" (non-zero, not a signal).
    Expected stdout: expected/NAME.stdout; stderr is compared only if
    expected/NAME.stderr exists."""
    return dict(name=name, wasm=wasm or name, args=list(args), env=list(env), stdin=stdin,
                sandbox=sandbox or fixture is not None, fixture=fixture, exit=exit, timeout=timeout)


TESTS = [
    T("args_env", args=["hello", "two words", "", "\u00fcn\u00efc\u00f6d\u00e9", "--flag=x=y"],
      env=[("WISP_A", "1"), ("WISP_B", "with spaces"), ("WISP_EMPTY", ""), ("WISP_EQ", "a=b=c"),
           ("WISP_UTF8", "\u00f1\u20ac")]),
    T("clocks"),
    T("random"),
    T("stdio_pipe", stdin="stdio_pipe.txt"),
    T("stdio_pipe_empty", wasm="stdio_pipe"),
    T("stdio_pipe_binary", wasm="stdio_pipe", stdin="binary.bin"),
    T("exit_code_0", wasm="exit_code", args=["0"], exit=0),
    T("exit_code_3", wasm="exit_code", args=["3", "exit"], exit=3),
    T("exit_code_42_return", wasm="exit_code", args=["42", "return"], exit=42),
    T("exit_code_113_raw", wasm="exit_code", args=["113", "raw"], exit=113),
    T("files", sandbox=True),
    T("files_readlink_truncate", wasm="files", args=["readlink_truncate"], sandbox=True),
    T("files_nofollow", wasm="files", args=["nofollow"], sandbox=True),
    T("files_symlink_dotdot", wasm="files", args=["symlink_dotdot"], sandbox=True),
    T("files_times_nsec", wasm="files", args=["times_nsec"], sandbox=True),
    T("files_fdstat_append", wasm="files", args=["fdstat_append"], sandbox=True),
    T("files_prestat_badf", wasm="files", args=["prestat_badf"], sandbox=True),
    T("poll", args=["clock", "sleep", "fd"], stdin="poll.txt", sandbox=True),
    T("poll_sleep_strict", wasm="poll", args=["sleep_strict"]),
    T("poll_fd_file", wasm="poll", args=["fd_file"], sandbox=True),
    T("poll_abstime", wasm="poll", args=["abstime"], sandbox=True, timeout=15),
    T("sandbox_escape", args=["preopens", "inside", "dotdot", "final_symlinks", "mutations", "dirfd"],
      fixture="escape"),
    T("sandbox_escape_symlink_dirs", wasm="sandbox_escape", args=["symlink_dirs"], fixture="escape"),
    T("sandbox_escape_out_and_back", wasm="sandbox_escape", args=["out_and_back"], fixture="escape"),
    T("sockets", args=["file"], sandbox=True),
    T("sockets_badf", wasm="sockets", args=["badf"], sandbox=True),
    T("sockets_stdout", wasm="sockets", args=["stdout"], sandbox=True),
    T("trap_unreachable", wasm="proc_exit_trap", args=["unreachable"], exit="trap"),
    T("trap_oob", wasm="proc_exit_trap", args=["oob"], exit="trap"),
    T("trap_divzero", wasm="proc_exit_trap", args=["divzero"], exit="trap"),
]

# Tests whose expected output follows the WASI preview1 spec / wasmtime and a
# given runtime is known to deviate from. Reported as XFAIL, not failures.
# A reason starting with "(flaky)" marks a deviation that only shows up
# sometimes; its XPASS is not a hint to remove the entry.
KNOWN_FAILURES = {
    "node": {
        "files_readlink_truncate": "path_readlink with a small buffer fails with ENOBUFS instead of truncating",
        "files_nofollow": "path_open without SYMLINK_FOLLOW follows a symlink in the last component (no ELOOP)",
        "files_symlink_dotdot": "path_symlink checks the target against the preopen root instead of the "
                                "link's directory: ../a.txt from a subdirectory is refused (ENOTCAPABLE)",
        "files_times_nsec": "path/fd_filestat_set_times drop the sub-second part of timestamps",
        "files_fdstat_append": "fd_fdstat_get does not report APPEND set by fd_fdstat_set_flags",
        "files_prestat_badf": "fd_prestat_get on a non-preopened fd returns EINVAL instead of EBADF",
        "poll_sleep_strict": "(flaky) relative sleeps sometimes end up to 1 ms early by the monotonic clock "
                             "(libuv millisecond timers against a cached loop time)",
        "poll_fd_file": "poll_oneoff fd subscriptions on regular files fail with EPERM (epoll)",
        "poll_abstime": "poll_oneoff ABSTIME clock subscriptions are converted with the realtime clock "
                        "whatever the clock id: a monotonic deadline never fires (hangs, killed by timeout)",
        "sandbox_escape_symlink_dirs": "SECURITY: symlinks in intermediate path components are followed "
                                       "outside the preopen (reads /etc/passwd and ../secret.txt, "
                                       "renames/creates/removes outside)",
        "sandbox_escape_out_and_back": "paths that leave the preopen and come back (../sandbox/x) are "
                                       "resolved lexically and allowed",
        "sockets_stdout": "sock_recv/sock_send/sock_accept on stdout crash the node process (SIGSEGV)",
    },
    "wasmtime-py": {},
    "wasmtime": {},
    "wisp": {},
}


def find_sysroot():
    cands = [os.environ.get("WASI_SYSROOT"), "/usr/share/wasi-sysroot", "/opt/wasi-sdk/share/wasi-sysroot"]
    for c in cands:
        if c and os.path.isdir(c):
            return c
    # Debian/Ubuntu `wasi-libc` package: headers and libc.a under /usr
    if os.path.exists("/usr/lib/wasm32-wasi/libc.a"):
        return "/usr"
    return None


def build(build_dir, cc, sysroot, names, verbose):
    os.makedirs(build_dir, exist_ok=True)
    header = os.path.join(SRC, "wasi_test.h")
    for name in sorted(names):
        src = os.path.join(SRC, name + ".c")
        out = os.path.join(build_dir, name + ".wasm")
        if os.path.exists(out) and os.path.getmtime(out) >= max(os.path.getmtime(src), os.path.getmtime(header)):
            continue
        cmd = [cc, "--target=wasm32-wasi"] + (["--sysroot=" + sysroot] if sysroot else []) + \
              ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-o", out, src]
        if verbose:
            print("  build:", " ".join(cmd))
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.stderr.write(r.stdout + r.stderr)
            sys.exit(f"run-tests: failed to build {name}.wasm")


def runtime_command(opts, wasm, test, dirs):
    flags = []
    for host, guest in dirs:
        flags += ["--dir", f"{host}::{guest}"]
    for k, v in test["env"]:
        flags += ["--env", f"{k}={v}"]
    tail = [wasm] + test["args"]
    rt = opts.runtime
    if rt == "node":
        return [opts.node, "--no-warnings", os.path.join(HERE, "node-wasi.mjs")] + flags + tail
    if rt == "wasmtime-py":
        return [opts.python, os.path.join(HERE, "wasmtime-wasi.py")] + flags + tail
    if rt == "wasmtime":
        return [opts.wasmtime, "run"] + flags + tail
    if rt == "wisp":
        return [opts.wisp, "run"] + flags + tail
    raise SystemExit(f"unknown runtime {rt}")


# ---- fixtures ---------------------------------------------------------------

def setup_escape(root):
    """Host layout for sandbox_escape.c (see its header comment)."""
    sb = os.path.join(root, "sandbox")
    os.makedirs(os.path.join(sb, "sub"))
    os.makedirs(os.path.join(root, "victim_dir"))
    with open(os.path.join(root, "secret.txt"), "w") as f:
        f.write(SECRET)
    with open(os.path.join(sb, "inside.txt"), "w") as f:
        f.write("inside\n")
    with open(os.path.join(sb, "sub", "file.txt"), "w") as f:
        f.write("sub file\n")
    os.symlink("/etc", os.path.join(sb, "link_etc"))
    os.symlink("..", os.path.join(sb, "link_up"))
    os.symlink("../secret.txt", os.path.join(sb, "link_secret"))
    os.symlink(os.path.join(root, "secret.txt"), os.path.join(sb, "link_abs_secret"))
    os.symlink("../..", os.path.join(sb, "sub", "link_upup"))
    st = os.stat(os.path.join(root, "secret.txt"))
    return {"secret_mtime": st.st_mtime_ns}


def verify_escape(root, state, out, err):
    problems = []
    marker = SECRET.strip().encode()
    if marker in out or marker in err:
        problems.append("secret file contents appeared in the guest's output")
    outside = sorted(os.listdir(root))
    if outside != ["sandbox", "secret.txt", "victim_dir"]:
        problems.append(f"files outside the sandbox changed: {outside}")
    secret = os.path.join(root, "secret.txt")
    if os.path.isfile(secret):
        with open(secret) as f:
            if f.read() != SECRET:
                problems.append("secret.txt was modified")
        if os.stat(secret).st_mtime_ns != state["secret_mtime"]:
            problems.append("secret.txt timestamps were modified")
    if not os.path.isdir(os.path.join(root, "victim_dir")):
        problems.append("victim_dir outside the sandbox was removed")
    return problems


# ---- running ----------------------------------------------------------------

def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def show_diff(label, want, got):
    a = want.decode("utf-8", "replace").splitlines(keepends=True)
    b = got.decode("utf-8", "replace").splitlines(keepends=True)
    d = "".join(difflib.unified_diff(a, b, f"expected {label}", f"actual {label}"))
    return d if d else f"  ({label} differs only in bytes not visible as text)\n"


def run_one(opts, test, wasm_dir):
    """Returns (ok, messages, actual_stdout, actual_stderr)."""
    wasm = os.path.join(wasm_dir, test["wasm"] + ".wasm")
    root = tempfile.mkdtemp(prefix=f"wasi-{test['name']}-")
    msgs = []
    try:
        dirs, state = [], None
        if test["sandbox"]:
            if test["fixture"] == "escape":
                state = setup_escape(root)
            else:
                os.makedirs(os.path.join(root, "sandbox"))
            dirs.append((os.path.join(root, "sandbox"), "/sandbox"))
        stdin_data = read_bytes(os.path.join(INPUTS, test["stdin"])) if test["stdin"] else b""
        cmd = runtime_command(opts, wasm, test, dirs)
        if opts.verbose:
            print("  $ " + shlex.join(cmd))
        timeout = test["timeout"] or opts.timeout
        t0 = time.monotonic()
        try:
            # stdin is always a pipe (data then EOF), stdout/stderr are pipes
            r = subprocess.run(cmd, input=stdin_data, capture_output=True, timeout=timeout, cwd=root,
                               env=dict(os.environ, LC_ALL="C.UTF-8"))
            rc, out, err = r.returncode, r.stdout, r.stderr
        except subprocess.TimeoutExpired as e:
            rc, out, err = None, e.stdout or b"", e.stderr or b""
            msgs.append(f"timed out after {timeout} s")
        elapsed = time.monotonic() - t0

        ok = rc is not None
        exp = test["exit"]
        if rc is not None:
            if rc < 0:
                ok = False
                msgs.append(f"runtime killed by signal {-rc}")
            elif exp == "trap":
                if rc == 0 or (opts.trap_exit_code is not None and rc != opts.trap_exit_code):
                    ok = False
                    want = opts.trap_exit_code if opts.trap_exit_code is not None else "non-zero (trap)"
                    msgs.append(f"exit status {rc}, expected {want}")
            elif rc != exp:
                ok = False
                msgs.append(f"exit status {rc}, expected {exp}")

        exp_out_path = os.path.join(EXPECTED, test["name"] + ".stdout")
        exp_err_path = os.path.join(EXPECTED, test["name"] + ".stderr")
        if not os.path.exists(exp_out_path):
            ok = False
            msgs.append(f"missing {os.path.relpath(exp_out_path)}")
        elif read_bytes(exp_out_path) != out:
            ok = False
            msgs.append("stdout differs from expected")
            if opts.verbose:
                msgs.append(show_diff("stdout", read_bytes(exp_out_path), out))
        if os.path.exists(exp_err_path) and read_bytes(exp_err_path) != err:
            ok = False
            msgs.append("stderr differs from expected")
            if opts.verbose:
                msgs.append(show_diff("stderr", read_bytes(exp_err_path), err))
        if test["fixture"] == "escape":
            problems = verify_escape(root, state, out, err)
            if problems:
                ok = False
                msgs += ["SANDBOX: " + p for p in problems]
        if opts.verbose and err:
            msgs.append("stderr:\n" + err.decode("utf-8", "replace").rstrip())
        if opts.verbose:
            msgs.append(f"({elapsed:.2f} s)")
        return ok, msgs, out, err
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runtime", default=os.environ.get("WASI_RUNTIME", "node"),
                    choices=["node", "wisp", "wasmtime", "wasmtime-py"],
                    help="runtime to test (default: $WASI_RUNTIME or node)")
    ap.add_argument("--wisp", default=os.environ.get("WISP"), help="path to the wisp binary (default: $WISP)")
    ap.add_argument("--node", default=os.environ.get("NODE", "node"), help="node binary (default: node)")
    ap.add_argument("--wasmtime", default="wasmtime", help="wasmtime binary for --runtime wasmtime")
    ap.add_argument("--python", default=sys.executable, help="python with `wasmtime` for --runtime wasmtime-py")
    ap.add_argument("--wasm-dir", help="use prebuilt NAME.wasm files from this directory instead of building")
    ap.add_argument("--build-dir", default=os.path.join(HERE, "build"), help="where to build (default: tests/wasi/build)")
    ap.add_argument("--cc", default=os.environ.get("CC_WASM", "clang"), help="clang for wasm32-wasi (default: clang)")
    ap.add_argument("--sysroot", default=None, help="WASI sysroot (default: autodetect, $WASI_SYSROOT)")
    ap.add_argument("--only", action="append", default=[], metavar="GLOB", help="run only matching tests (repeatable)")
    ap.add_argument("--timeout", type=float, default=60, help="per-test timeout in seconds (default 60)")
    ap.add_argument("--trap-exit-code", type=int, default=None,
                    help="require this exact exit status for traps (default: any non-zero)")
    ap.add_argument("--strict", action="store_true", help="treat XPASS (known failure that passed) as failure")
    ap.add_argument("--no-known-failures", action="store_true", help="ignore the KNOWN_FAILURES table")
    ap.add_argument("--update-expected", action="store_true",
                    help="overwrite expected stdout with actual output (tests that are not known failures only)")
    ap.add_argument("--list", action="store_true", help="list tests and exit")
    ap.add_argument("-v", "--verbose", action="store_true", help="show commands, diffs and guest stderr")
    opts = ap.parse_args()

    tests = [t for t in TESTS if not opts.only or any(fnmatch.fnmatch(t["name"], g) for g in opts.only)]
    known = {} if opts.no_known_failures else KNOWN_FAILURES.get(opts.runtime, {})
    if opts.list:
        for t in tests:
            extra = f"   [known failure on {opts.runtime}: {known[t['name']]}]" if t["name"] in known else ""
            print(f"{t['name']:32} {shlex.join([t['wasm'] + '.wasm'] + t['args'])}{extra}")
        return 0
    if not tests:
        sys.exit("run-tests: no test matches --only")

    if opts.runtime == "wisp" and not opts.wisp:
        sys.exit("run-tests: --runtime wisp needs --wisp PATH (or $WISP)")
    if opts.runtime == "wisp":
        opts.wisp = os.path.abspath(opts.wisp)

    if opts.wasm_dir:
        wasm_dir = os.path.abspath(opts.wasm_dir)
    else:
        wasm_dir = os.path.abspath(opts.build_dir)
        sysroot = opts.sysroot or find_sysroot()
        if shutil.which(opts.cc) is None:
            sys.exit(f"run-tests: {opts.cc} not found (apt-get install clang lld wasi-libc "
                     f"libclang-rt-14-dev-wasm32), or pass --wasm-dir")
        build(wasm_dir, opts.cc, sysroot, {t["wasm"] for t in tests}, opts.verbose)

    print(f"WASI tests: runtime {opts.runtime}, wasm from {os.path.relpath(wasm_dir)}")
    passed = failed = xfail = 0
    failures = []
    for t in tests:
        ok, msgs, out, _err = run_one(opts, t, wasm_dir)
        name = t["name"]
        if name in known:
            if ok:
                status = "XPASS"
                if opts.strict:
                    failed += 1
                    failures.append(name)
                else:
                    passed += 1
                if known[name].startswith("(flaky)"):
                    msgs.insert(0, "known flaky deviation did not show up this time")
                else:
                    msgs.insert(0, "known failure passed: remove it from KNOWN_FAILURES")
            else:
                status = "XFAIL"
                xfail += 1
                msgs = [known[name]] + (msgs if opts.verbose else [])
        elif ok:
            status = "PASS"
            passed += 1
        else:
            status = "FAIL"
            failed += 1
            failures.append(name)
        if opts.update_expected and name not in known:
            with open(os.path.join(EXPECTED, name + ".stdout"), "wb") as f:
                f.write(out)
        print(f"{status:5} {name}")
        for m in msgs:
            for line in m.rstrip("\n").split("\n"):
                print("      " + line)
    if failures:
        print("failed: " + " ".join(failures))
    print(f"{passed} passed, {failed} failed, {xfail} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
