// Run one compute kernel under V8 (node).
//
//   node [--liftoff-only | --no-liftoff] --no-wasm-lazy-compilation \
//        --single-threaded bench/kernels/run-v8.js FILE.wasm N REPS
//
// --liftoff-only  -> V8's baseline compiler only (no tier-up)
// --no-liftoff    -> TurboFan only (everything optimised up front)
//
// Compiles and instantiates the module with no imports (compile time is not
// measured), calls run(N) once as a warm-up, then REPS more times, timing
// each call with performance.now().  All calls must return the same checksum.
// Prints one JSON line:
//   {"engine":"v8-liftoff"|"v8-turbofan"|"v8","kernel":...,"n":N,"reps":R,
//    "checksum":"<u64 decimal>","median_ms":M,"times_ms":[...]}
'use strict';
const fs = require('fs');
const path = require('path');
const { performance } = require('perf_hooks');

function die(msg) {
  process.stderr.write(`run-v8.js: ${msg}\n`);
  process.exit(1);
}

const [file, nArg, repsArg] = process.argv.slice(2);
if (!file || nArg === undefined || repsArg === undefined)
  die('usage: node [V8 flags] run-v8.js FILE.wasm N REPS');
const n = Number(nArg), reps = Number(repsArg);
if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) die(`bad N: ${nArg}`);
if (!Number.isInteger(reps) || reps < 1) die(`bad REPS: ${repsArg}`);

const flags = process.execArgv.join(' ');
const engine = /--liftoff-only\b/.test(flags) ? 'v8-liftoff'
             : /--no-liftoff\b/.test(flags) ? 'v8-turbofan' : 'v8';

const wasmModule = new WebAssembly.Module(fs.readFileSync(file));
if (WebAssembly.Module.imports(wasmModule).length !== 0) die(`${file} has imports`);
const instance = new WebAssembly.Instance(wasmModule, {});
const run = instance.exports.run;
if (typeof run !== 'function') die(`${file} does not export run`);

// i64 results arrive as (signed) BigInt; i32 as Number.  Normalise to the
// unsigned decimal the native driver prints.
function toU64String(v) {
  if (typeof v === 'bigint') return BigInt.asUintN(64, v).toString();
  return (v >>> 0).toString();
}

const expect = toU64String(run(n));  // warm-up
const times = [];
for (let i = 0; i < reps; i++) {
  const t0 = performance.now();
  const r = run(n);
  times.push(performance.now() - t0);
  const c = toU64String(r);
  if (c !== expect) die(`non-deterministic checksum: ${c} vs ${expect}`);
}
const sorted = [...times].sort((a, b) => a - b);
const mid = sorted.length >> 1;
const median = sorted.length & 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
console.log(JSON.stringify({
  engine,
  kernel: path.basename(file).replace(/\..*$/, ''),
  n, reps,
  checksum: expect,
  median_ms: Number(median.toFixed(3)),
  times_ms: times.map((t) => Number(t.toFixed(3))),
}));
