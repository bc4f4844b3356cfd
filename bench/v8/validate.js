// Time WebAssembly.validate() on one module: `node --single-threaded bench/v8/validate.js FILE.wasm [reps]` -> one JSON line.
'use strict';
const fs = require('fs');
const [file, repsArg] = process.argv.slice(2);
if (!file) { console.error('usage: validate.js FILE.wasm [reps]'); process.exit(2); }
const reps = Number(repsArg ?? 20);
const bytes = fs.readFileSync(file);

// Size of the code section and number of function bodies (to tell code-heavy from data-heavy modules).
function codeSection(b) {
  let p = 8;
  const leb = () => { let r = 0, s = 0, x; do { x = b[p++]; r += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80); return r; };
  while (p < b.length) {
    const id = b[p++], size = leb(), end = p + size;
    if (id === 10) return { code_bytes: size, functions: leb() };
    p = end;
  }
  return { code_bytes: 0, functions: 0 };
}

for (let i = 0; i < 2; i++) WebAssembly.validate(bytes);  // warm-up
const times = [];
let valid = true;
for (let i = 0; i < reps; i++) {
  const t0 = process.hrtime.bigint();
  valid = WebAssembly.validate(bytes) && valid;
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
times.sort((a, b) => a - b);
const mid = times.length >> 1;
const median = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
console.log(JSON.stringify({
  file, bytes: bytes.length, ...codeSection(bytes), valid, reps,
  median_ms: +median.toFixed(3), min_ms: +times[0].toFixed(3),
  mb_per_s: +(bytes.length / 1e6 / (median / 1e3)).toFixed(1),
}));
