// npm `install` script: builds the optional native AVX-512 VNNI (+ AMX-INT8) kernels (native/, binding.gyp) with
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
  const out = join(root, 'build', 'Release', 'dpuflow_native.node');
  const build = (env) => spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--jobs=2'], { cwd: root, encoding: 'utf8', timeout: 300_000, env });
  const failed = (r) => r.status !== 0 || !existsSync(out);
  const whyOf = (r) => (r.error?.message ?? `${r.stderr ?? ''}`.split('\n').find((l) => /error/i.test(l)) ?? `node-gyp exit ${r.status}`).trim();
  let r = build(process.env);
  if (failed(r)) {
    // native/amx_conv.cc needs a compiler and assembler that know AMX (it compiles to stubs on GCC < 11 /
    // clang < 12 by itself); for any other toolchain problem with it, build once more without the AMX path
    const first = whyOf(r);
    r = build({ ...process.env, CXXFLAGS: `${process.env.CXXFLAGS ?? ''} -DDPUFLOW_NO_AMX`.trim() });
    if (failed(r)) return say(`not built (${whyOf(r).slice(0, 160)}); run mode uses WASM`);
    return say(`built ${out} without the AMX-INT8 path (${first.slice(0, 120)})`);
  }
  say(`built ${out}`);
}

try {
  main();
} catch (e) {
  say(`not built (${e?.message ?? e}); run mode uses WASM`);
}
process.exit(0);
