// Reference runner: run a WASI preview1 command module under Node's built-in `wasi` (stdio inherited, exit code passed through).
// Usage: node bench/v8/wasi-run.mjs [--dir HOST::GUEST | --dir DIR]... [--env K=V]... [--argv0 NAME] FILE.wasm [ARGS...]
import { readFileSync } from 'node:fs';

// Keep stderr byte-clean: drop Node's "WASI is an experimental feature" warning.
const emitWarning = process.emitWarning;
process.emitWarning = (w, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type ?? w?.name;
  if (type === 'ExperimentalWarning' && String(w?.message ?? w).includes('WASI')) return;
  return emitWarning.call(process, w, ...rest);
};
const { WASI } = await import('node:wasi');

const usage = 'usage: wasi-run.mjs [--dir HOST::GUEST]... [--env K=V]... [--argv0 NAME] FILE.wasm [ARGS...]';
const argv = process.argv.slice(2);
const preopens = {}, env = {};
let argv0 = null;
while (argv.length && argv[0].startsWith('--')) {
  const opt = argv.shift();
  if (opt === '--') break;
  const val = argv.shift();
  if (val === undefined) { console.error(usage); process.exit(2); }
  if (opt === '--dir') {
    const [host, guest = host] = val.split('::');
    preopens[guest] = host;
  } else if (opt === '--env') {
    const i = val.indexOf('=');
    if (i < 0) { console.error(`bad --env ${val}`); process.exit(2); }
    env[val.slice(0, i)] = val.slice(i + 1);
  } else if (opt === '--argv0') {
    argv0 = val;
  } else { console.error(`unknown option ${opt}\n${usage}`); process.exit(2); }
}
const file = argv.shift();
if (!file) { console.error(usage); process.exit(2); }

const wasi = new WASI({ version: 'preview1', args: [argv0 ?? file, ...argv], env, preopens, returnOnExit: true });
const module = new WebAssembly.Module(readFileSync(file));
const instance = new WebAssembly.Instance(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
