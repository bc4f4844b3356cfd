#!/usr/bin/env python3
"""Shape-preserving reducer for divergent modules, used by reduce.sh.

binaryen's wasm-reduce rewrites every candidate through binaryen's own writer, which
changes the code's shape; a JIT bug that depends on shape (register pressure, operand
order) can vanish before reduction starts. This reducer edits wabt's text form instead
and leaves the surviving instructions as they were:

  1. drop exports,                      4. drop element and data segments,
  2. stub out function bodies,          5. delete instruction lines (ddmin, per function).
  3. drop function-table entries,

A candidate is kept when wat2wasm assembles it and CHECK (a command taking the .wasm
path, exit status 1 = still diverges) says so.

    reduce_wat.py CHECK IN.wasm OUT.wat
"""
import os
import re
import subprocess
import sys
import tempfile


def run_check(check, lines, work):
    wat = os.path.join(work, "cand.wat")
    wasm = os.path.join(work, "cand.wasm")
    with open(wat, "w") as f:
        f.write("\n".join(lines) + "\n")
    if subprocess.run(["wat2wasm", wat, "-o", wasm], capture_output=True).returncode != 0:
        return False
    return subprocess.run([check, wasm], capture_output=True).returncode == 1


def fields(lines):
    """(start, end) line ranges of the module's top-level fields (indent 2)."""
    starts = [i for i, l in enumerate(lines) if l.startswith("  (")]
    ends = starts[1:] + [len(lines) - 1]
    return list(zip(starts, ends))


class Reducer:
    def __init__(self, check, lines, work):
        self.check, self.lines, self.work, self.tries = check, lines, work, 0

    def accept(self, candidate):
        self.tries += 1
        if run_check(self.check, candidate, self.work):
            self.lines = candidate
            return True
        return False

    def drop_fields(self, pattern):
        """Deletes whole top-level fields matching pattern, one at a time, last first."""
        i = len(fields(self.lines)) - 1
        while i >= 0:
            f = fields(self.lines)
            if i < len(f):
                s, e = f[i]
                if re.match(pattern, self.lines[s]):
                    self.accept(self.lines[:s] + self.lines[e:])
            i -= 1

    def stub_functions(self):
        """Replaces function bodies with `unreachable`."""
        i = 0
        while True:
            funcs = [(s, e) for s, e in fields(self.lines) if self.lines[s].startswith("  (func")]
            if i >= len(funcs):
                return
            s, e = funcs[i]
            body = self.lines[s + 1:e]
            if not (len(body) == 1 and body[0].strip() == "unreachable)"):
                header = self.lines[s].rstrip()
                if header.endswith(")") and header.count("(") == header.count(")"):
                    header = header[:-1]  # single-line function: reopen it
                stub = [header, "    unreachable)"]
                self.accept(self.lines[:s] + stub + self.lines[e:])
            i += 1

    def shrink_elems(self):
        """Replaces function indices in element segments by the first one."""
        for idx, line in enumerate(self.lines):
            m = re.match(r"(\s*\(elem .*? func )([\d ]+)\)$", line)
            if not m:
                continue
            entries = m.group(2).split()
            for j in range(len(entries)):
                if entries[j] == entries[0]:
                    continue
                trial = entries[:j] + [entries[0]] + entries[j + 1:]
                candidate = list(self.lines)
                candidate[idx] = m.group(1) + " ".join(trial) + ")"
                if self.accept(candidate):
                    entries = trial

    def ddmin_bodies(self):
        """Deletes chunks of instruction lines inside each function (ddmin)."""
        i = 0
        while True:
            funcs = [(s, e) for s, e in fields(self.lines) if self.lines[s].startswith("  (func")]
            if i >= len(funcs):
                return
            s, e = funcs[i]
            # Body lines, keeping the header, a (local ...) line and the closing line.
            first = s + 1
            while first < e and self.lines[first].strip().startswith("(local"):
                first += 1
            body = list(range(first, e - 1))
            chunk = max(1, len(body) // 2)
            while chunk >= 1 and body:
                removed = False
                k = 0
                while k < len(body):
                    drop = set(body[k:k + chunk])
                    candidate = [l for n, l in enumerate(self.lines) if n not in drop]
                    if self.accept(candidate):
                        shift = len(drop)
                        body = [b for b in body if b not in drop]
                        body = [b if b < min(drop) else b - shift for b in body]
                        removed = True
                    else:
                        k += chunk
                if not removed:
                    chunk //= 2
            i += 1


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    check, wasm_in, wat_out = sys.argv[1:]
    with tempfile.TemporaryDirectory() as work:
        wat = os.path.join(work, "in.wat")
        subprocess.run(["wasm2wat", wasm_in, "-o", wat], check=True)
        with open(wat) as f:
            lines = f.read().rstrip("\n").split("\n")
        r = Reducer(check, lines, work)
        if not run_check(check, lines, work):
            sys.exit("reduce_wat.py: the input does not diverge after a wabt round trip")
        before = len(r.lines)
        r.drop_fields(r'  \(export "(?!hangLimitInitializer")')
        r.stub_functions()
        r.shrink_elems()
        r.drop_fields(r"  \(elem ")
        r.drop_fields(r"  \(data ")
        r.drop_fields(r'  \(export "hangLimitInitializer"')
        for _ in range(2):  # a second round profits from the first's deletions
            r.ddmin_bodies()
            r.stub_functions()
        with open(wat_out, "w") as f:
            f.write("\n".join(r.lines) + "\n")
        print(f"reduce_wat.py: {before} -> {len(r.lines)} lines in {r.tries} tries")


if __name__ == "__main__":
    main()
