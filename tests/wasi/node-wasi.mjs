// Minimal WASI preview1 launcher on top of Node's node:wasi, used as the
// reference runtime for tests/wasi/run-tests.py.
//
//   node tests/wasi/node-wasi.mjs [--dir HOST::GUEST | --dir DIR]... [--env K=V]...
//        FILE.wasm [ARGS...]
//
// The flags mirror the wasmtime-style flags the runner passes to wisp.
// stdin/stdout/stderr are inherited. The process exits with the guest's exit
// code (proc_exit or the return value of main). If the guest traps, a message
// is written to stderr and the process exits with 134 (128 + SIGABRT), the
// same status wasmtime uses for traps on Unix.
//
// Run with `node --no-warnings` to silence the ExperimentalWarning for WASI.
import { WASI } from 'node:wasi';
import { readFileSync } from 'node:fs';

function usage(msg) {
  if (msg) process.stderr.write(`node-wasi: ${msg}\n`);
  process.stderr.write(
    'usage: node-wasi.mjs [--dir HOST::GUEST]... [--env K=V]... FILE.wasm [ARGS...]\n');
  process.exit(2);
}

const argv = process.argv.slice(2);
const preopens = {};
const env = {};
let i = 0;
for (; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--') { i++; break; }
  if (a === '--dir') {
    const v = argv[++i];
    if (v === undefined) usage('--dir needs a value');
    const sep = v.indexOf('::');
    if (sep >= 0) preopens[v.slice(sep + 2)] = v.slice(0, sep);
    else preopens[v] = v;
  } else if (a === '--env') {
    const v = argv[++i];
    if (v === undefined) usage('--env needs a value');
    const eq = v.indexOf('=');
    if (eq <= 0) usage(`--env value must be K=V, got ${JSON.stringify(v)}`);
    env[v.slice(0, eq)] = v.slice(eq + 1);
  } else if (a.startsWith('--')) {
    usage(`unknown flag ${a}`);
  } else {
    break;
  }
}
if (i >= argv.length) usage('missing FILE.wasm');
const file = argv[i];
const args = [file, ...argv.slice(i + 1)];

const wasi = new WASI({ version: 'preview1', args, env, preopens, returnOnExit: true });

let code;
try {
  const module = await WebAssembly.compile(readFileSync(file));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  code = wasi.start(instance);
} catch (e) {
  process.stderr.write(`node-wasi: ${e instanceof WebAssembly.RuntimeError ? 'wasm trap' : 'error'}: ${e && e.message}\n`);
  process.exit(e instanceof WebAssembly.RuntimeError ? 134 : 1);
}
process.exitCode = code;
