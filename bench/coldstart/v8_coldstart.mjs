// Cold start of V8 through Node: compile, instantiate with Node's WASI, run _start,
// timed in one fresh process (Node shares compiled code between identical modules in
// a process, so each measurement is its own process; see compare.py).
//   node [V8 flags] v8_coldstart.mjs MODULE.wasm [ARGS...]   -> one JSON line
import { readFileSync, openSync } from 'node:fs';
import { WASI } from 'node:wasi';
import process from 'node:process';

process.removeAllListeners('warning');
const [file, ...args] = process.argv.slice(2);
const bytes = readFileSync(file);
const out = openSync('/dev/null', 'w');
const t0 = process.hrtime.bigint();
const module = new WebAssembly.Module(bytes);
const t1 = process.hrtime.bigint();
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: {}, stdout: out, returnOnExit: true });
const instance = new WebAssembly.Instance(module, wasi.getImportObject());
const t2 = process.hrtime.bigint();
wasi.start(instance);
const t3 = process.hrtime.bigint();
const us = (a, b) => Number(b - a) / 1e3;
console.log(JSON.stringify({ engine: 'v8', file, compile_us: us(t0, t1), instantiate_us: us(t1, t2),
  start_us: us(t2, t3), total_us: us(t0, t3) }));
