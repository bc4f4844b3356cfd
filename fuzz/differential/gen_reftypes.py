#!/usr/bin/env python3
"""Writes a random WebAssembly 2.0 module (text) that exercises reference types and the
bulk table instructions, as initial content for `wasm-opt -ttf --initial-fuzz`.

    gen_reftypes.py SEED OUT.wat

binaryen's -ttf by itself only emits table.get/table.set/call_indirect on one funcref
table and ref.null/ref.func/ref.is_null; it never makes a second table, an externref
table, table.size/grow/fill/copy/init or elem.drop. This module has them: 2..5 tables
(funcref and externref, with and without a maximum), active/passive/declarative element
segments in both forms (function indices and expressions), functions whose bodies do
table operations with in- and out-of-bounds operands, call_indirect on every funcref
table, funcref/externref locals, params, globals, results and block values.

-ttf then keeps this module's functions and exports, adds its own code around them
(which calls these functions with its own arguments, including imported externref
globals), and sometimes mutates and recombines their bodies.

Observability: every target function returns a distinct constant, so call_indirect
through a table shows which function an entry holds; the other results go to
fuzzing-support.log-i32 (ref.is_null of references, table sizes, grow results).
"""
import random
import sys


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        r = self.r
        # Tables: table 0 is funcref (binaryen's -ttf adopts the first funcref table).
        self.tables = []  # (name, elemtype, min, max or None)
        n = r.randint(2, 5)
        for i in range(n):
            et = "funcref" if i == 0 else r.choice(["funcref", "funcref", "externref"])
            lo = r.randint(0, 8) if r.random() < 0.15 else r.randint(1, 8)
            hi = None if r.random() < 0.5 else lo + r.randint(0, 6)
            self.tables.append(("$t%d" % i, et, lo, hi))
        # Make sure there is an externref table most of the time.
        if not any(t[1] == "externref" for t in self.tables) and r.random() < 0.8:
            lo = r.randint(0, 6)
            self.tables.append(("$t%d" % len(self.tables), "externref", lo,
                                None if r.random() < 0.5 else lo + r.randint(0, 4)))
        # Target function signatures; every target returns its own id (as an i32,
        # or mixed into its results) so call_indirect shows which entry it hit.
        self.sigs = [
            ("$v_i", [], ["i32"]),
            ("$i_i", ["i32"], ["i32"]),
            ("$ii_i", ["i32", "i32"], ["i32"]),
            ("$v_ii", [], ["i32", "i32"]),
            ("$f_i", ["f64"], ["i32"]),
            ("$e_i", ["externref"], ["i32"]),
            ("$v_f", [], ["funcref"]),
            ("$v_v", [], []),
        ]
        self.targets = []  # (name, sig name)
        for i in range(r.randint(4, 10)):
            self.targets.append(("$target%d" % i, r.choice(self.sigs)[0]))
        self.passive = []  # (name, elemtype, length)
        self.globals = []  # (name, type, mutable)

    # ---- helpers ------------------------------------------------------------------

    def sig(self, name):
        return next(s for s in self.sigs if s[0] == name)

    def tables_of(self, et):
        return [t for t in self.tables if t[1] == et]

    def index(self, table):
        """An i32 index for `table`: mostly in bounds, sometimes just past it or far."""
        r = self.r
        name, _, lo, _ = table
        c = r.random()
        if c < 0.8:
            return "(i32.const %d)" % r.randint(0, max(lo - 1, 0))
        if c < 0.88:
            return "(i32.sub (table.size %s) (i32.const %d))" % (name, r.randint(1, 2))
        if c < 0.92:
            return "(local.get $i)"
        if c < 0.97:
            return "(i32.const %d)" % r.randint(lo, lo + 3)
        return "(i32.const %d)" % r.choice([-1, 0x7FFFFFFF, 1 << 20])

    def count(self):
        r = self.r
        c = r.random()
        if c < 0.85:
            return "(i32.const %d)" % r.randint(0, 3)
        if c < 0.92:
            return "(local.get $i)"
        return "(i32.const %d)" % r.choice([5, 8, 100, -1, 1 << 24])

    def ref(self, et, depth=0):
        r = self.r
        c = r.random()
        if et == "funcref":
            if c < 0.25:
                return "(ref.null func)"
            if c < 0.6:
                return "(ref.func %s)" % r.choice(self.targets)[0]
            if c < 0.75 and depth < 2:
                t = r.choice(self.tables_of("funcref"))
                return "(table.get %s %s)" % (t[0], self.index(t))
            if c < 0.85:
                return "(local.get $fr)"
            if c < 0.92 and depth < 2:
                return "(select (result funcref) %s %s (local.get $i))" % (
                    self.ref(et, depth + 1), self.ref(et, depth + 1))
            g = [x for x in self.globals if x[1] == "funcref"]
            return "(global.get %s)" % g[0][0] if g else "(ref.null func)"
        if c < 0.3:
            return "(ref.null extern)"
        if c < 0.55 and depth < 2 and self.tables_of("externref"):
            t = r.choice(self.tables_of("externref"))
            return "(table.get %s %s)" % (t[0], self.index(t))
        if c < 0.8:
            return "(local.get $er)"
        if c < 0.9 and depth < 2:
            return "(select (result externref) %s %s (local.get $i))" % (
                self.ref(et, depth + 1), self.ref(et, depth + 1))
        g = [x for x in self.globals if x[1] == "externref"]
        return "(global.get %s)" % g[0][0] if g else "(ref.null extern)"

    def log(self, expr):
        return "(call $log %s)" % expr

    # ---- statements ---------------------------------------------------------------

    def identify(self, ref_expr):
        """Logs which target a funcref is (-1 for null): puts it into table 0 and calls
        it with one of the signatures that return an i32 id."""
        r = self.r
        t0 = self.tables[0]
        sig = r.choice([s for s in self.sigs if s[1] == [] and s[2] and s[2][0] == "i32"])
        call = "(call_indirect %s (type %s) (i32.const 0))" % (t0[0], sig[0])
        if len(sig[2]) == 2:
            call = "(i32.add %s)" % call
        return ("(local.set $fr %s) (if (ref.is_null (local.get $fr)) (then %s) (else "
                "(if (i32.gt_u (table.size %s) (i32.const 0)) (then (table.set %s (i32.const 0) "
                "(local.get $fr)) %s))))" % (ref_expr, self.log("(i32.const -1)"), t0[0], t0[0],
                                            self.log(call)))

    def call_indirect(self):
        r = self.r
        t = r.choice(self.tables_of("funcref"))
        prepared = r.random() < 0.7
        if prepared:
            name, params, results = self.sig(r.choice(self.targets)[1])
        else:
            name, params, results = self.sig(r.choice(self.sigs)[0])
        args = []
        for p in params:
            if p == "i32":
                args.append("(local.get $i)" if r.random() < 0.3 else "(i32.const %d)" % r.randint(-3, 50))
            elif p == "f64":
                args.append("(f64.const %d.5)" % r.randint(-5, 5))
            else:
                args.append(self.ref("externref"))
        pre = ""
        if prepared:
            # Make the entry hold a function of the right type first (if the index
            # is in bounds), so the call usually goes through.
            target = [f for f in self.targets if f[1] == name]
            idx = "(i32.const %d)" % r.randint(0, max(t[2] - 1, 0))
            call = "(call_indirect %s (type %s) %s %s)" % (t[0], name, " ".join(args), idx)
            if target:
                pre = "(table.set %s %s (ref.func %s)) " % (t[0], idx, r.choice(target)[0])
        else:
            call = "(call_indirect %s (type %s) %s %s)" % (t[0], name, " ".join(args), self.index(t))
        if results == ["i32"]:
            return pre + self.log(call)
        if results == ["i32", "i32"]:
            return pre + self.log("(i32.sub %s)" % call)
        if results == ["funcref"]:
            return pre + self.log("(ref.is_null %s)" % call)
        return pre + call

    def stmt(self):
        r = self.r
        t = r.choice(self.tables)
        name, et, _, _ = t
        same = self.tables_of(et)
        c = r.randint(0, 17)
        if c == 0:
            return self.log("(table.size %s)" % name)
        if c == 1:
            return self.log("(table.grow %s %s %s)" % (name, self.ref(et), self.count()))
        if c == 2:
            return "(table.fill %s %s %s %s)" % (name, self.index(t), self.ref(et), self.count())
        if c == 3:
            src = r.choice(same)
            return "(table.copy %s %s %s %s %s)" % (name, src[0], self.index(t), self.index(src),
                                                    self.count())
        if c == 4:
            segs = [s for s in self.passive if s[1] == et]
            if segs:
                s = r.choice(segs)
                return "(table.init %s %s %s (i32.const %d) %s)" % (
                    name, s[0], self.index(t), r.randint(0, s[2] + 1), self.count())
            return self.log("(table.size %s)" % name)
        if c == 5 and self.passive:
            return "(elem.drop %s)" % r.choice(self.passive)[0]
        if c in (6, 7):
            return "(table.set %s %s %s)" % (name, self.index(t), self.ref(et))
        if c == 8:
            return self.log("(ref.is_null (table.get %s %s))" % (name, self.index(t)))
        if c in (9, 10, 11):
            return self.call_indirect()
        if c == 12:
            return self.identify(self.ref("funcref"))
        if c == 13:
            g = [x for x in self.globals if x[2]]
            if g:
                gn, gt, _ = r.choice(g)
                return "(global.set %s %s)" % (gn, self.ref(gt))
            return self.log("(ref.is_null %s)" % self.ref(et))
        if c == 14:
            return "(local.set %s %s)" % ("$fr" if et == "funcref" else "$er", self.ref(et))
        if c == 15:
            # A reference through a block result and a branch.
            return self.log("(ref.is_null (block (result %s) (br_if 0 %s (local.get $i)) (drop) %s))"
                            % (et, self.ref(et), self.ref(et)))
        if c == 16:
            # A loop that grows or fills a table a few times (-ttf adds its hang limit).
            return ("(local.set $k (i32.const %d)) (loop $l %s (br_if $l (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))"
                    % (r.randint(1, 4), r.choice([
                        self.log("(table.grow %s %s (i32.const 1))" % (name, self.ref(et))),
                        "(table.fill %s (i32.const 0) %s (table.size %s))" % (name, self.ref(et), name),
                        self.call_indirect()])))
        return self.log("(ref.is_null %s)" % self.ref(et))

    # ---- the module ---------------------------------------------------------------

    def module(self):
        r = self.r
        out = ["(module"]
        for name, params, results in self.sigs:
            out.append("  (type %s (func%s%s))" % (
                name, "".join(" (param %s)" % p for p in params),
                "".join(" (result %s)" % x for x in results)))
        out.append('  (import "fuzzing-support" "log-i32" (func $log (param i32)))')
        for name, et, lo, hi in self.tables:
            out.append("  (table %s %d%s %s)" % (name, lo, "" if hi is None else " %d" % hi, et))
        for i in range(r.randint(0, 3)):
            gt = r.choice(["funcref", "externref"])
            mut = r.random() < 0.7
            self.globals.append(("$g%d" % i, gt, mut))
        for name, gt, mut in self.globals:
            init = "(ref.null func)" if gt == "externref" or r.random() < 0.5 else None
            if gt == "externref":
                init = "(ref.null extern)"
            elif init is None:
                init = "(ref.func %s)" % r.choice(self.targets)[0]
            out.append("  (global %s %s %s)" % (name, "(mut %s)" % gt if mut else gt, init))
            if r.random() < 0.5:
                out.append('  (export "%s" (global %s))' % (name[1:], name))

        # Targets.
        for i, (name, signame) in enumerate(self.targets):
            _, params, results = self.sig(signame)
            body = []
            if results == ["i32"]:
                body.append("(i32.const %d)" % (100 + i))
                if params and params[0] == "i32":
                    body = ["(i32.add (local.get 0) (i32.const %d))" % (100 + i)]
                if params and params[0] == "externref":
                    body = ["(i32.add (ref.is_null (local.get 0)) (i32.const %d))" % (100 + i)]
            elif results == ["i32", "i32"]:
                body.append("(i32.const %d) (i32.const %d)" % (100 + i, i))
            elif results == ["funcref"]:
                body.append("(ref.func %s)" % r.choice(self.targets)[0])
            else:
                body.append(self.log("(i32.const %d)" % (100 + i)))
            out.append("  (func %s (type %s) %s)" % (name, signame, " ".join(body)))

        # Element segments: active ones that fit (so instantiation succeeds), passive,
        # declarative.
        for name, et, lo, _ in self.tables:
            if r.random() < 0.7 and lo > 0:
                off = r.randint(0, lo - 1)
                n = r.randint(1, lo - off)
                if et == "funcref" and r.random() < 0.6:
                    items = " ".join(r.choice(self.targets)[0] for _ in range(n))
                    if name == "$t0":
                        out.append("  (elem (i32.const %d) func %s)" % (off, items))
                    else:
                        out.append("  (elem (table %s) (i32.const %d) func %s)" % (name, off, items))
                else:
                    items = " ".join(self.elem_expr(et) for _ in range(n))
                    out.append("  (elem (table %s) (i32.const %d) %s %s)" % (name, off, et, items))
        for i in range(r.randint(1, 4)):
            et = r.choice(["funcref", "funcref", "externref"])
            n = r.randint(0, 5)
            seg = "$p%d" % i
            self.passive.append((seg, et, n))
            if et == "funcref" and r.random() < 0.5:
                items = " ".join(r.choice(self.targets)[0] for _ in range(n))
                out.append("  (elem %s func %s)" % (seg, items))
            else:
                items = " ".join(self.elem_expr(et) for _ in range(n))
                out.append("  (elem %s %s %s)" % (seg, et, items))
        out.append("  (elem declare func %s)" % " ".join(t[0] for t in self.targets))

        # Test functions, exported. Their params (zero from the harness, anything from
        # -ttf's callers) feed indices and references.
        for i in range(r.randint(4, 10)):
            params = r.choice(["", "(param $i i32)", "(param $i i32) (param $er externref)",
                               "(param $fr funcref) (param $i i32)"])
            locs = []
            if "$i " not in params:
                locs.append("(local $i i32)")
            if "$er" not in params:
                locs.append("(local $er externref)")
            if "$fr" not in params:
                locs.append("(local $fr funcref)")
            locs.append("(local $k i32)")
            result = r.choice(["", "", "(result i32)", "(result funcref)", "(result externref)",
                               "(result i32 externref funcref)"])
            body = [self.stmt() for _ in range(r.randint(3, 12))]
            if result == "(result i32)":
                body.append("(table.size %s)" % r.choice(self.tables)[0])
            elif result == "(result funcref)":
                body.append(self.ref("funcref"))
            elif result == "(result externref)":
                body.append(self.ref("externref"))
            elif result:
                body.append("(table.size %s) %s %s" % (r.choice(self.tables)[0], self.ref("externref"),
                                                       self.ref("funcref")))
            out.append('  (func $test%d (export "test%d") %s %s %s\n    %s)' % (
                i, i, params, result, " ".join(locs), "\n    ".join(body)))
        out.append(")")
        return "\n".join(out) + "\n"

    def elem_expr(self, et):
        r = self.r
        if et == "funcref":
            return "(ref.func %s)" % r.choice(self.targets)[0] if r.random() < 0.7 else "(ref.null func)"
        return "(ref.null extern)"


def main():
    seed, out = int(sys.argv[1]), sys.argv[2]
    with open(out, "w") as f:
        f.write(Gen(seed).module())


if __name__ == "__main__":
    main()
