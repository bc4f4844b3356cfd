#!/usr/bin/env python3
"""Integration test of `wisp serve` (run by CTest as `http-serve`).

Starts the server on a free loopback port with a generated config routing to the
example handlers (examples/handlers), then checks, over real sockets: routing, the
CGI variables and body passing, a large body, traps (500, and the next request
works), deadlines (504, and other connections are not held up meanwhile), the memory
limit, that no request sees another's memory, malformed HTTP, oversized headers and
bodies, slow clients, bad handler output (502), concurrency limits (503), pipelining,
keep-alive, HEAD, Expect: 100-continue, read-only directories, metrics, the access
log, hot reload without failed requests, config errors that name the line, and a
SIGTERM that lets in-flight requests finish.

Standard library only. Usage:
    serve_test.py --wisp build/wisp --handlers build/examples/handlers [-k NAME]
Prints PASS/FAIL per check and "N passed, N failed"; exits 1 on any failure.
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HOST = "127.0.0.1"


class Server:
    """A running `wisp serve` with its stderr collected line by line."""

    def __init__(self, wisp, config):
        self.proc = subprocess.Popen(
            [wisp, "serve", config],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines = []
        self.lock = threading.Lock()
        self.port = None
        ready = threading.Event()

        def pump():
            for line in self.proc.stderr:
                with self.lock:
                    self.lines.append(line.rstrip("\n"))
                if '"event":"listening"' in line:
                    self.port = json.loads(line)["port"]
                    ready.set()
            ready.set()

        threading.Thread(target=pump, daemon=True).start()
        if not ready.wait(60) or self.port is None:
            self.stop()
            raise RuntimeError("server did not start:\n" + "\n".join(self.lines))

    def log(self):
        with self.lock:
            return list(self.lines)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# ---- small HTTP helpers --------------------------------------------------------------


def request(port, method, path, body=None, headers=None, timeout=10):
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        conn.close()


def get(port, path, **kw):
    return request(port, "GET", path, **kw)


def raw(port, data, timeout=5, read_all=True):
    """Sends raw bytes; returns everything the server sent until it closed (or timeout)."""
    s = socket.create_connection((HOST, port), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
            if not read_all:
                break
        return out
    finally:
        s.close()


def status_of(response_bytes):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", response_bytes)
    return int(m.group(1)) if m else None


def metric(text, name, labels):
    """The value of series name{labels} in a Prometheus exposition, or None."""
    pattern = re.escape(name) + r"\{" + re.escape(labels) + r"\} (\S+)"
    m = re.search(pattern, text)
    return float(m.group(1)) if m else None


# ---- the checks ---------------------------------------------------------------------

CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


class Failure(Exception):
    pass


def expect(cond, message):
    if not cond:
        raise Failure(message)


@check
def routing(ctx):
    port = ctx.port
    s, _, b = get(port, "/hello")
    expect(s == 200 and b == b"Hello, world!\n", f"/hello: {s} {b!r}")
    s, _, b = get(port, "/hello?name=Ada")
    expect(b == b"Hello, Ada!\n", f"/hello?name=Ada: {b!r}")
    s, _, _ = get(port, "/hellox")
    expect(s == 404, f"/hellox (not a segment boundary) gave {s}")
    s, _, _ = get(port, "/nothing/here")
    expect(s == 404, f"unrouted path gave {s}")
    # Longest prefix: /echo/deep is its own route (hello), /echo/deeper is not.
    s, _, b = get(port, "/echo/deep/x")
    expect(b == b"Hello, world!\n", f"/echo/deep/x should reach the deep route: {b!r}")
    s, _, b = get(port, "/echo/deeper")
    expect(b"SCRIPT_NAME=/echo\n" in b, f"/echo/deeper should reach echo: {b!r}")
    # Hosts: exact, wildcard, and fallback to the any-host routes.
    s, _, b = get(port, "/", headers={"Host": "tenant-a.test"})
    expect(b == b"Hello, world!\n", f"tenant-a.test/ : {s} {b!r}")
    s, _, b = get(port, "/x/y", headers={"Host": "shop.tenant-b.test:8080"})
    expect(b"WISP_ROUTE=tenant-b\n" in b and b"PATH_INFO=/x/y\n" in b and b"SCRIPT_NAME=\n" in b,
           f"*.tenant-b.test: {b!r}")
    s, _, b = get(port, "/hello", headers={"Host": "tenant-a.test"})
    expect(b == b"Hello, world!\n", "tenant-a.test/hello should fall back to the any-host route")
    s, _, _ = get(port, "/", headers={"Host": "tenant-b.test"})
    expect(s == 404, f"tenant-b.test (not covered by *.tenant-b.test) gave {s}")


@check
def cgi_variables(ctx):
    body = b"name=value&x=1"
    conn = http.client.HTTPConnection(HOST, ctx.port, timeout=10)
    conn.putrequest("POST", "/echo/a%20b/./c/../d?x=1&y=%41", skip_accept_encoding=True)
    for k, v in [("Content-Type", "application/x-www-form-urlencoded"),
                 ("Content-Length", str(len(body))), ("X-Custom", "one"), ("X-Custom", "two"),
                 ("Cookie", "a=1"), ("Cookie", "b=2"), ("X_Under", "dropped"),
                 ("Proxy", "http://evil"), ("Authorization", "Bearer t")]:
        conn.putheader(k, v)
    conn.endheaders(body)
    r = conn.getresponse()
    out = r.read().decode()
    conn.close()
    expect(r.status == 200, f"status {r.status}")
    env, _, echoed = out.partition("--- body\n")
    want = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": str(ctx.port),
        "REQUEST_METHOD": "POST",
        "REQUEST_URI": "/echo/a%20b/./c/../d?x=1&y=%41",
        "SCRIPT_NAME": "/echo",
        "PATH_INFO": "/a b/d",
        "QUERY_STRING": "x=1&y=%41",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "HTTP_X_CUSTOM": "one, two",
        "HTTP_COOKIE": "a=1; b=2",
        "HTTP_AUTHORIZATION": "Bearer t",
        "ECHO_GREETING": "hi there",
        "WISP_ROUTE": "echo",
    }
    got = dict(line.split("=", 1) for line in env.splitlines() if "=" in line)
    for k, v in want.items():
        expect(got.get(k) == v, f"{k}: expected {v!r}, got {got.get(k)!r}")
    for k in ("HTTP_X_UNDER", "HTTP_PROXY", "HTTP_CONTENT_LENGTH"):
        expect(k not in got, f"{k} must not reach the handler")
    expect(echoed.encode() == body, f"body: {echoed!r}")
    expect(r.getheader("X-Echo") == "yes", "the handler's own header is missing")


@check
def large_body(ctx):
    body = random.Random(7).randbytes(4 << 20)
    s, _, b = request(ctx.port, "POST", "/echo", body=body,
                      headers={"Content-Type": "application/octet-stream"}, timeout=30)
    expect(s == 200, f"status {s}")
    expect(b.split(b"--- body\n", 1)[1] == body, "the 4 MiB body did not come back intact")
    # Chunked transfer coding: the handler still sees the whole body on stdin.
    def chunks():
        for i in range(0, len(body), 100000):
            yield body[i:i + 100000]
    conn = http.client.HTTPConnection(HOST, ctx.port, timeout=30)
    conn.request("POST", "/echo", body=chunks(), encode_chunked=True)
    r = conn.getresponse()
    out = r.read()
    conn.close()
    expect(r.status == 200 and out.split(b"--- body\n", 1)[1] == body, "chunked body mangled")
    expect(b"CONTENT_LENGTH=%d\n" % len(body) in out, "CONTENT_LENGTH of a chunked body")


@check
def body_limit(ctx):
    s, _, _ = request(ctx.port, "POST", "/small", body=b"x" * 2048)
    expect(s == 413, f"2 KiB body to a 1 KiB route gave {s}")
    # Declared too large: refused before the body is sent (100-continue clients wait).
    out = raw(ctx.port, b"POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n"
              b"Expect: 100-continue\r\n\r\n")
    expect(status_of(out) == 413, f"declared huge body: {out[:60]!r}")
    # Chunked past the limit.
    out = raw(ctx.port, b"POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"800\r\n" + b"y" * 2048 + b"\r\n0\r\n\r\n")
    expect(status_of(out) == 413, f"chunked huge body: {out[:60]!r}")
    s, _, _ = request(ctx.port, "POST", "/small", body=b"x" * 1000)
    expect(s == 200, f"a body under the limit gave {s}")


@check
def trap_then_next(ctx):
    s, h, b = get(ctx.port, "/trap")
    expect(s == 500, f"trap gave {s}")
    expect(b"secret" not in b and b"unreachable" not in b and b"wasm" not in b,
           f"internal detail leaked: {b!r}")
    s, _, b = get(ctx.port, "/hello")
    expect(s == 200 and b == b"Hello, world!\n", "the request after a trap failed")
    # Same connection too.
    conn = http.client.HTTPConnection(HOST, ctx.port, timeout=10)
    conn.request("GET", "/trap")
    r1 = conn.getresponse()
    r1.read()
    conn.request("GET", "/hello")
    r2 = conn.getresponse()
    expect(r1.status == 500 and r2.status == 200 and r2.read() == b"Hello, world!\n",
           "trap then hello on one connection")
    conn.close()


@check
def deadline(ctx):
    # io_threads = 1: the spinning guest holds the only io thread, so the others'
    # quick answers prove the server lends that io_context another thread.
    result = {}

    def spin():
        t0 = time.monotonic()
        result["loop"] = get(ctx.port, "/loop", timeout=10)[0]
        result["elapsed"] = time.monotonic() - t0

    t = threading.Thread(target=spin)
    t.start()
    time.sleep(0.2)
    worst = 0
    for _ in range(20):
        t0 = time.monotonic()
        s, _, _ = get(ctx.port, "/hello")
        worst = max(worst, time.monotonic() - t0)
        expect(s == 200, "hello during the loop failed")
    t.join()
    expect(result.get("loop") == 504, f"loop gave {result.get('loop')}")
    expect(0.9 <= result["elapsed"] < 3.0, f"loop answered after {result['elapsed']:.2f}s "
           "(deadline 1 s)")
    expect(worst < 0.5, f"a hello took {worst:.3f}s while a guest was spinning")
    _, _, m = get(ctx.port, "/metrics")
    found = re.search(r"^wisp_helper_spawns_total (\S+)$", m.decode(), re.M)
    expect(found and float(found.group(1)) >= 1, "no helper thread was lent to the io_context")
    s, _, _ = get(ctx.port, "/hello")
    expect(s == 200, "hello after the loop")


@check
def memory_limit(ctx):
    s, _, b = get(ctx.port, "/membomb", timeout=20)
    expect(s == 500, f"membomb gave {s}")
    expect(b"memory" not in b, f"detail leaked: {b!r}")
    _, _, m = get(ctx.port, "/metrics")
    peak = metric(m.decode(), "wisp_guest_memory_peak_bytes", 'route="membomb"')
    expect(peak is not None and 4 << 20 < peak <= 8 << 20,
           f"peak guest memory {peak} should be near the 8 MiB limit, not above")
    s, _, _ = get(ctx.port, "/hello")
    expect(s == 200, "hello after the memory bomb")


@check
def no_leak_between_requests(ctx):
    def snoop(i):
        return get(ctx.port, f"/snoop?secret=tenant-secret-{i}")

    outs = [snoop(i) for i in range(10)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        outs += list(pool.map(snoop, range(10, 50)))
    for s, _, b in outs:
        expect(s == 200 and b.startswith(b"clean"), f"snoop found leftovers: {b!r}")


@check
def malformed_http(ctx):
    port = ctx.port
    cases = [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /hello HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n", 400),
        (b"GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
        (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
         400),
        (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        (b"GET /hello HTTP/1.1\r\n\r\n", 400),  # no Host
        (b"GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        (b"GET /hel%zzlo HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /hel%00lo HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET hello HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /hello HTTP/2.0\r\nHost: x\r\n\r\n", (400, 505)),
        (b"GET /hello HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n", 400),
    ]
    for data, want in cases:
        out = raw(port, data)
        ok = status_of(out) in want if isinstance(want, tuple) else status_of(out) == want
        expect(ok, f"{data[:50]!r}: expected {want}, got {out[:40]!r}")
    # Oversized header section (the limit is 8 KiB in this config).
    out = raw(port, b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    expect(status_of(out) == 431, f"oversized header: {out[:40]!r}")
    out = raw(port, b"GET /hello HTTP/1.1\r\nHost: x\r\n" +
              b"".join(b"X-%d: v\r\n" % i for i in range(2000)) + b"\r\n")
    expect(status_of(out) == 431, f"too many headers: {out[:40]!r}")
    # Random garbage never crashes the server.
    rng = random.Random(1)
    for _ in range(40):
        blob = rng.randbytes(rng.randint(1, 3000))
        try:
            raw(port, blob, timeout=2)
        except OSError:
            pass
    s, _, _ = get(port, "/hello")
    expect(s == 200, "the server should survive garbage")


@check
def slow_clients(ctx):
    # Slowloris: a header that never ends is cut off at request_timeout_ms (1.5 s).
    s = socket.create_connection((HOST, ctx.port), timeout=10)
    s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n")
    t0 = time.monotonic()
    closed = False
    try:
        for _ in range(40):
            s.sendall(b"X-Slow: 1\r\n")
            time.sleep(0.1)
            s.setblocking(False)
            try:
                if s.recv(4096) == b"":
                    closed = True
                    break
            except BlockingIOError:
                pass
            finally:
                s.setblocking(True)
    except OSError:
        closed = True
    elapsed = time.monotonic() - t0
    s.close()
    expect(closed and elapsed < 3.5, f"slowloris connection alive after {elapsed:.1f}s")
    # An idle keep-alive connection is closed after idle_timeout_ms (1 s).
    s = socket.create_connection((HOST, ctx.port), timeout=5)
    s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    first = s.recv(4096)
    t0 = time.monotonic()
    rest = s.recv(4096)
    elapsed = time.monotonic() - t0
    s.close()
    expect(status_of(first) == 200 and rest == b"" and 0.5 < elapsed < 3,
           f"idle connection: closed after {elapsed:.1f}s")


@check
def bad_responses(ctx):
    for q, want in [("nohead", 502), ("noblank", 502), ("status", 502), ("split", 502),
                    ("length", 502), ("huge", 502), ("exit", 500)]:
        s, h, b = get(ctx.port, f"/bad?{q}")
        expect(s == want, f"?{q}: expected {want}, got {s}")
        expect(b"secret" not in b.lower() and b"stolen" not in b and b"fine so far" not in b,
               f"?{q} leaked output: {b[:80]!r}")
        expect("set-cookie" not in h and "x-secret" not in h and "x-bad" not in h,
               f"?{q} leaked headers: {h}")


@check
def concurrency_limit(ctx):
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(get, ctx.port, "/slow?ms=800") for _ in range(3)]
        results = [f.result() for f in futures]
    statuses = sorted(r[0] for r in results)
    expect(statuses == [200, 200, 503], f"max_concurrency 2 with 3 requests: {statuses}")
    overloaded = [r for r in results if r[0] == 503][0]
    expect(overloaded[1].get("retry-after") == "1", "503 without Retry-After")


@check
def pipelining_and_keepalive(ctx):
    s = socket.create_connection((HOST, ctx.port), timeout=10)
    s.sendall(b"GET /hello?name=one HTTP/1.1\r\nHost: x\r\n\r\n"
              b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
              b"GET /native?name=three HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /hello?name=four HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    f = s.makefile("rb")
    bodies = []
    for _ in range(4):
        status = f.readline()
        expect(status.startswith(b"HTTP/1.1 200"), f"status line {status!r}")
        length = None
        while True:
            line = f.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        bodies.append(f.read(length))
    expect(f.read() == b"", "data after the last response")
    s.close()
    expect(bodies[0] == b"Hello, one!\n", f"1st: {bodies[0]!r}")
    expect(bodies[1].endswith(b"--- body\nabc"), f"2nd: {bodies[1][-20:]!r}")
    expect(bodies[2] == b"Hello, three!\n", f"3rd: {bodies[2]!r}")
    expect(bodies[3] == b"Hello, four!\n", f"4th: {bodies[3]!r}")
    # Keep-alive: many requests over one connection.
    conn = http.client.HTTPConnection(HOST, ctx.port, timeout=10)
    for i in range(20):
        conn.request("GET", f"/hello?name=n{i}")
        r = conn.getresponse()
        expect(r.read() == f"Hello, n{i}!\n".encode(), "keep-alive response mismatch")
    conn.close()


@check
def head_and_continue(ctx):
    s, h, b = request(ctx.port, "HEAD", "/hello")
    expect(s == 200 and b == b"" and h.get("content-length") == "14", f"HEAD: {s} {h} {b!r}")
    out = raw(ctx.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
              b"Expect: 100-continue\r\nConnection: close\r\n\r\n", read_all=False)
    expect(out.startswith(b"HTTP/1.1 100 Continue"), f"no 100 Continue: {out[:40]!r}")
    s = socket.create_connection((HOST, ctx.port), timeout=5)
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
              b"Expect: 100-continue\r\nConnection: close\r\n\r\n")
    interim = s.recv(4096)
    s.sendall(b"hello")
    out = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    s.close()
    expect(interim.startswith(b"HTTP/1.1 100") and status_of(out) == 200 and
           out.endswith(b"--- body\nhello"), f"100-continue flow: {out[-40:]!r}")


@check
def readonly_directory(ctx):
    s, _, b = get(ctx.port, "/files/greeting.txt")
    expect(s == 200 and b == b"hello from a preopened directory\n", f"read: {s} {b!r}")
    s, _, b = request(ctx.port, "PUT", "/files/new.txt", body=b"x")
    expect(s == 403, f"write to a read-only directory gave {s}: {b!r}")
    expect(not os.path.exists(os.path.join(ctx.tmp, "data", "new.txt")), "the file was created")


@check
def metrics_and_log(ctx):
    get(ctx.port, "/trap")
    s, h, b = get(ctx.port, "/metrics")
    text = b.decode()
    expect(s == 200 and h.get("content-type", "").startswith("text/plain"), "metrics endpoint")
    for name, labels in [("wisp_requests_total", 'route="hello"'),
                         ("wisp_responses_total", 'route="hello",code="2xx"'),
                         ("wisp_responses_total", 'route="trap",code="5xx"'),
                         ("wisp_traps_total", 'route="trap",kind="unreachable"'),
                         ("wisp_deadline_kills_total", 'route="loop"'),
                         ("wisp_request_duration_seconds_bucket", 'route="hello",le="+Inf"'),
                         ("wisp_instantiate_duration_seconds_count", 'route="hello"'),
                         ("wisp_guest_memory_peak_bytes", 'route="hello"')]:
        v = metric(text, name, labels)
        expect(v is not None and v > 0, f"{name}{{{labels}}} = {v}")
    expect(metric(text, "wisp_requests_total", 'route="(none)"') is not None, "404 series")
    for line in text.splitlines():
        expect(line.startswith("#") or re.match(r"^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$", line),
               f"bad exposition line: {line!r}")
    time.sleep(0.5)  # the access log is flushed every 200 ms
    with open(ctx.access_log) as f:
        entries = [json.loads(line) for line in f]
    traps = [e for e in entries if e.get("route") == "trap"]
    expect(traps and traps[-1]["status"] == 500 and "unreachable" in traps[-1].get("detail", ""),
           "the access log should say why a request failed")
    hello = [e for e in entries if e.get("route") == "hello" and e["status"] == 200]
    expect(hello and {"ts", "id", "remote", "method", "target", "dur_us", "inst_us"} <= set(
        hello[-1]), f"access log fields: {hello[-1] if hello else None}")


@check
def hot_reload(ctx):
    module = os.path.join(ctx.tmp, "reload.wasm")
    failures = []
    stop = threading.Event()
    seen = set()

    def hammer():
        conn = None
        while not stop.is_set():
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(HOST, ctx.port, timeout=10)
                conn.request("GET", "/reload")
                r = conn.getresponse()
                body = r.read()
                if r.status != 200:
                    failures.append(r.status)
                seen.add("echo" if b"GATEWAY_INTERFACE" in body else "hello")
            except Exception as e:  # noqa: BLE001 - any failure counts
                failures.append(repr(e))
                conn = None

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    # Replace the module the way deployments should: write aside, then rename.
    shutil.copy(os.path.join(ctx.handlers, "echo.wasm"), module + ".tmp")
    os.rename(module + ".tmp", module)
    deadline = time.monotonic() + 5
    while "echo" not in seen and time.monotonic() < deadline:
        time.sleep(0.05)
    # A broken module must not replace a working one.
    with open(module + ".tmp", "wb") as f:
        f.write(b"\0asm\1\0\0\0garbage")
    os.rename(module + ".tmp", module)
    time.sleep(0.8)
    stop.set()
    for t in threads:
        t.join()
    expect("echo" in seen, "the new module was never served")
    expect(not failures, f"requests failed during reload: {failures[:5]}")
    s, _, b = get(ctx.port, "/reload")
    expect(s == 200 and b"GATEWAY_INTERFACE" in b, "after a broken update the last good module stays")
    expect(any('"event":"reload_failed"' in l for l in ctx.server.log()), "reload failure logged")
    shutil.copy(os.path.join(ctx.handlers, "hello.wasm"), module)  # for later servers


@check
def config_errors(ctx):
    cases = {
        "unknown key": ('[server]\nlisten = "127.0.0.1:0"\ntimout_ms = 5\n', 3, "unknown key"),
        "bad type": ('[[route]]\npath = "/x"\nmodule = "a.wasm"\nmax_concurrency = "many"\n', 4,
                     "integer"),
        "bad toml": ('[[route]]\npath = "/x\n', 2, ""),
        "missing module": ('\n[[route]]\npath = "/x"\nmodule = "missing.wasm"\n', 2,
                           "missing.wasm"),
        "duplicate": ('[[route]]\npath = "/x"\nnative = "hello"\n[[route]]\nname = "b"\n'
                      'path = "/x"\nnative = "hello"\n', 4, "same host and path"),
        "reserved env": ('[[route]]\npath = "/x"\nmodule = "a.wasm"\n[route.env]\n'
                         'PATH_INFO = "x"\n', 5, "PATH_INFO"),
        "bad size": ('[defaults]\nmax_memory = "lots"\n[[route]]\npath = "/"\nnative = "hello"\n',
                     2, "size"),
        "not a wasi command": ('[[route]]\npath = "/x"\nmodule = "' +
                               os.path.join(ctx.handlers, "..", "fib.wasm") + '"\n', 1,
                               "_start"),
    }
    for name, (text, line, words) in cases.items():
        path = os.path.join(ctx.tmp, "bad.toml")
        with open(path, "w") as f:
            f.write(text)
        r = subprocess.run([ctx.wisp, "serve", path], capture_output=True, text=True, timeout=30)
        expect(r.returncode == 2, f"{name}: exit {r.returncode}")
        expect(f"bad.toml:{line}:" in r.stderr and words in r.stderr,
               f"{name}: expected bad.toml:{line} and {words!r} in {r.stderr.strip()!r}")


@check
def sigterm_drains(ctx):
    # Its own server, so the others' checks are unaffected.
    server = Server(ctx.wisp, ctx.config)
    try:
        port = server.port
        result = {}

        def slow():
            conn = http.client.HTTPConnection(HOST, port, timeout=10)
            conn.request("GET", "/slow?ms=1000")
            r = conn.getresponse()
            result["status"] = r.status
            result["body"] = r.read()
            result["connection"] = r.getheader("Connection")

        idle = socket.create_connection((HOST, port), timeout=5)  # idle keep-alive
        t = threading.Thread(target=slow)
        t.start()
        give_up = time.monotonic() + 5  # until the slow request is running
        while time.monotonic() < give_up:
            text = get(port, "/metrics")[2].decode()
            if metric(text, "wisp_instances_running", 'route="slow"') == 1:
                break
            time.sleep(0.02)
        server.proc.send_signal(signal.SIGTERM)
        refused = False
        give_up = time.monotonic() + 3
        while not refused and time.monotonic() < give_up:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                time.sleep(0.05)
            except OSError:
                refused = True
        t.join()
        idle_closed = idle.recv(1) == b""
        code = server.proc.wait(timeout=10)
        expect(result.get("status") == 200 and result.get("body") == b"slept 1000 ms\n",
               f"in-flight request during drain: {result}")
        expect(result.get("connection") == "close", "responses while draining close")
        expect(refused, "new connections should be refused while draining")
        expect(idle_closed, "idle connections are closed at once")
        expect(code == 0, f"exit status {code}")
        log = server.log()
        expect(any('"event":"draining"' in l for l in log) and
               any('"event":"stopped"' in l for l in log), "drain not logged")
    finally:
        server.stop()


# ---- setup and driver ---------------------------------------------------------------


def write_config(tmp, handlers):
    os.makedirs(os.path.join(tmp, "data"), exist_ok=True)
    with open(os.path.join(tmp, "data", "greeting.txt"), "w") as f:
        f.write("hello from a preopened directory\n")
    shutil.copy(os.path.join(handlers, "hello.wasm"), os.path.join(tmp, "reload.wasm"))
    h = lambda name: os.path.join(handlers, name + ".wasm")  # noqa: E731
    config = f"""
[server]
listen = "127.0.0.1:0"
io_threads = 1
max_header_bytes = 8192
request_timeout_ms = 1500
idle_timeout_ms = 1000
reload_poll_ms = 100
access_log = "access.log"

[defaults]
max_memory = "16MiB"
timeout_ms = 5000

[[route]]
path = "/hello"
module = "{h('hello')}"

[[route]]
name = "echo"
path = "/echo"
module = "{h('echo')}"
max_body = "8MiB"
max_response = "16MiB"
env = {{ ECHO_GREETING = "hi there" }}

[[route]]
name = "deep"
path = "/echo/deep"
module = "{h('hello')}"

[[route]]
name = "small"
path = "/small"
module = "{h('echo')}"
max_body = 1024

[[route]]
name = "tenant-a"
host = "tenant-a.test"
path = "/"
module = "{h('hello')}"

[[route]]
name = "tenant-b"
host = "*.tenant-b.test"
path = "/"
module = "{h('echo')}"

[[route]]
path = "/trap"
module = "{h('trap')}"

[[route]]
path = "/loop"
module = "{h('loop')}"
timeout_ms = 1000

[[route]]
path = "/membomb"
module = "{h('membomb')}"
max_memory = "8MiB"

[[route]]
path = "/snoop"
module = "{h('snoop')}"

[[route]]
name = "badresponse"
path = "/bad"
module = "{h('badresponse')}"
max_response = "64KiB"

[[route]]
path = "/slow"
module = "{h('slow')}"
max_concurrency = 2

[[route]]
path = "/files"
module = "{h('files')}"
dirs = [{{ host = "data", guest = "/data" }}]

[[route]]
name = "reload"
path = "/reload"
module = "reload.wasm"

[[route]]
path = "/native"
native = "hello"
"""
    path = os.path.join(tmp, "serve.toml")
    with open(path, "w") as f:
        f.write(config)
    return path


class Context:
    pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wisp", required=True)
    ap.add_argument("--handlers", required=True)
    ap.add_argument("-k", dest="only", help="run only checks whose name contains this")
    args = ap.parse_args()
    ctx = Context()
    ctx.wisp = os.path.abspath(args.wisp)
    ctx.handlers = os.path.abspath(args.handlers)
    ctx.tmp = tempfile.mkdtemp(prefix="wisp-serve-test-")
    ctx.config = write_config(ctx.tmp, ctx.handlers)
    ctx.access_log = os.path.join(ctx.tmp, "access.log")
    passed = failed = 0
    ctx.server = Server(ctx.wisp, ctx.config)
    ctx.port = ctx.server.port
    try:
        for fn in CHECKS:
            if args.only and args.only not in fn.__name__:
                continue
            t0 = time.monotonic()
            try:
                fn(ctx)
                passed += 1
                print(f"PASS {fn.__name__} ({time.monotonic() - t0:.2f}s)", flush=True)
            except Exception as e:  # noqa: BLE001 - report and go on
                failed += 1
                detail = str(e) if isinstance(e, Failure) else traceback.format_exc()
                print(f"FAIL {fn.__name__}: {detail}", flush=True)
            if ctx.server.proc.poll() is not None:
                print("server died:\n" + "\n".join(ctx.server.log()[-20:]), flush=True)
                failed += 1
                break
    finally:
        ctx.server.stop()
    if failed:
        print("server log (last lines):\n" + "\n".join(ctx.server.log()[-30:]))
    else:
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
