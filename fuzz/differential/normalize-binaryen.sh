#!/usr/bin/env bash
# Filters a `wasm-opt --fuzz-exec-before` trace (stdin) into what wisp-fuzz-exec prints
# (stdout): binaryen's own trace lines only (not its warnings), and its trap wording
# mapped onto the spec's, which wisp uses. Unknown wordings stay as they are, so that
# they show up as differences. See README.md for where each wording comes from.
# (binaryen 132 prints a multi-value result one value a line: the lines after a
# "note result" line that do not start with "[" belong to it.)
awk '/^\[(fuzz-exec\] (calling|export|note result)|LoggingExternalInterface|trap |host limit|exception)/ {
       print; result = /^\[fuzz-exec\] note result/; next }
     result && !/^\[/ { print; next }
     { result = 0 }' |
  sed -E \
    -e 's/^\[trap (i32|i64)\.(div|rem)_[su] by 0\]$/[trap integer divide by zero]/' \
    -e 's/^\[trap (i32|i64)\.div_s overflow\]$/[trap integer overflow]/' \
    -e 's/^\[trap ((i32|i64)\.)?trunc[SU]Float overflow\]$/[trap integer overflow]/' \
    -e 's/^\[trap ((i32|i64)\.)?trunc[SU]Float of nan\]$/[trap invalid conversion to integer]/' \
    -e 's/^\[trap (final|offset|highest|bytes) > memory: .*\]$/[trap out of bounds memory access]/' \
    -e 's/^\[trap out of bounds (memory|segment) access in memory\.(init|copy|fill)\]$/[trap out of bounds memory access]/' \
    -e 's/^\[trap callTable overflow\]$/[trap undefined element]/' \
    -e 's/^\[trap uninitialized table element\]$/[trap uninitialized element]/' \
    -e "s/^\[trap callIndirect: function types don't match\]$/[trap indirect call type mismatch]/" \
    -e 's/^\[trap stack limit\]$/[trap call stack exhausted]/' \
    -e 's/^\[trap callIndirect: non-subtype\]$/[trap indirect call type mismatch]/' \
    -e 's/^\[trap null target in call_indirect\]$/[trap uninitialized element]/' \
    -e 's/^\[trap RuntimeTable::set out of bounds\]$/[trap out of bounds table access]/' \
    -e 's/^\[trap out of bounds (segment|table) access in table\.(init|copy|fill)\]$/[trap out of bounds table access]/'
