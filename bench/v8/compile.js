// Time one synchronous `new WebAssembly.Module(bytes)` in this (fresh) process; run via compile-peer.sh for Liftoff/TurboFan flags.
'use strict';
const fs = require('fs');
const file = process.argv[2];
if (!file) { console.error('usage: node [v8 flags] compile.js FILE.wasm'); process.exit(2); }
const bytes = fs.readFileSync(file);
const t0 = process.hrtime.bigint();
const mod = new WebAssembly.Module(bytes);
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(JSON.stringify({
  file, bytes: bytes.length, ms: +ms.toFixed(3),
  mb_per_s: +(bytes.length / 1e6 / (ms / 1e3)).toFixed(1),
  imports: WebAssembly.Module.imports(mod).length,
}));
