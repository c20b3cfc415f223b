// npm `install` script: builds the optional native AVX-512 VNNI kernels (native/, binding.gyp) with
// node-gyp into build/Release/dpuflow_native.node. It NEVER fails the install: on any problem it
// prints one line and exits 0 — the 'run' mode then uses the WebAssembly kernels.
// Nothing is downloaded: node-gyp is npm's bundled copy, headers come from the local Node
// installation (--nodedir, default the prefix of this node binary, e.g. /usr → /usr/include/node).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => console.log(`dpuflow native kernels: ${msg}`);

function main() {
  if (process.env.DPUFLOW_NATIVE === '0') return say('skipped (DPUFLOW_NATIVE=0); run mode uses WASM');
  if (process.arch !== 'x64') return say(`skipped (${process.arch}: the kernels are x86-64 AVX-512 VNNI); run mode uses WASM`);
  if (!existsSync(join(root, 'binding.gyp'))) return say('skipped (no binding.gyp)');
  // node-gyp: the one npm runs install scripts with (npm_config_node_gyp), else npm's bundled copy
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].filter(Boolean);
  const gyp = candidates.find((p) => existsSync(p));
  if (!gyp) return say('not built (node-gyp not found next to npm); run mode uses WASM');
  const nodedir = process.env.npm_config_nodedir || resolve(dirname(process.execPath), '..');
  if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) return say(`not built (no Node headers under ${nodedir}/include/node; nothing is downloaded); run mode uses WASM`);
  const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--jobs=2'], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  const out = join(root, 'build', 'Release', 'dpuflow_native.node');
  if (r.status !== 0 || !existsSync(out)) {
    const why = (r.error?.message ?? `${r.stderr ?? ''}`.split('\n').find((l) => /error/i.test(l)) ?? `node-gyp exit ${r.status}`).trim();
    return say(`not built (${why.slice(0, 160)}); run mode uses WASM`);
  }
  say(`built ${out}`);
}

try {
  main();
} catch (e) {
  say(`not built (${e?.message ?? e}); run mode uses WASM`);
}
process.exit(0);
