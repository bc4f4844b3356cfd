#!/usr/bin/env bash
# Counts the reference-type and table instructions in a corpus of generated modules
# (run.sh with CORPUS=DIR keeps every compared case there):
#
#   fuzz/differential/coverage.sh DIR
#
# For each instruction: how often it occurs in all, and in how many modules.
set -euo pipefail
dir="${1:?usage: coverage.sh DIR}"
shopt -s nullglob
files=("$dir"/*.wasm)
(( ${#files[@]} )) || { echo "no .wasm files in $dir" >&2; exit 1; }
for f in "${files[@]}"; do
  wasm2wat "$f" 2>/dev/null | sed "s|^|$(basename "$f") |"
done | python3 -c '
import re, sys
from collections import Counter
patterns = [
    ("table.get", r"\btable\.get\b"), ("table.set", r"\btable\.set\b"),
    ("table.size", r"\btable\.size\b"), ("table.grow", r"\btable\.grow\b"),
    ("table.fill", r"\btable\.fill\b"), ("table.copy", r"\btable\.copy\b"),
    ("table.init", r"\btable\.init\b"), ("elem.drop", r"\belem\.drop\b"),
    ("ref.null func", r"\bref\.null func\b"), ("ref.null extern", r"\bref\.null extern\b"),
    ("ref.is_null", r"\bref\.is_null\b"), ("ref.func", r"^\s+ref\.func\b"),
    ("call_indirect (table 0)", r"\bcall_indirect \(type"),
    ("call_indirect (table > 0)", r"\bcall_indirect [1-9][0-9]* \(type"),
    ("select (result funcref|externref)", r"\bselect \(result (funcref|externref)\)"),
    ("memory.init/copy/fill, data.drop", r"\b(memory\.(init|copy|fill)|data\.drop)\b"),
    ("table (defined)", r"^\s+\(table \(;"),
    ("table of externref", r"^\s+\(table \(;.*externref"),
    ("elem segment", r"^\s+\(elem \(;"),
    ("passive elem segment", r"^\s+\(elem \(;\d+;\) (func|funcref|externref)"),
    ("declarative elem segment", r"^\s+\(elem \(;\d+;\) declare"),
    ("externref global import", r"\(import .*\(global .*externref"),
    ("call-export/call-ref import", r"\(import \"fuzzing-support\" \"call-"),
    ("table-get/table-set import", r"\(import \"fuzzing-support\" \"table-"),
]
total, modules = Counter(), {}
names = set()
for line in sys.stdin:
    name, _, text = line.partition(" ")
    names.add(name)
    for label, p in patterns:
        n = len(re.findall(p, text))
        if n:
            total[label] += n
            modules.setdefault(label, set()).add(name)
print("%d modules" % len(names))
print("%-36s %9s %8s" % ("", "count", "modules"))
for label, _ in patterns:
    print("%-36s %9d %8d" % (label, total[label], len(modules.get(label, ()))))
'
