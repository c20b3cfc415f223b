// npm run fuzz -- --seconds N [--target onnx|xmodel|mccode|mcdeep|tfjs|quantinfo|archjson|image] [--seed S] [--count N] [--budget MS]
// Runs the seeded fuzz harnesses of test/fuzz (build first: tsc). Crashes/hangs/OOMs are saved to
// test/fuzz/corpus/<target>-<hash>.bin and replayed by npm test (test/fuzz/fuzz.test.ts); tfjs findings are
// stored compactly (unchanged seed shards referred to, not copied). Each line reports past-decoder: inputs that
// reached the stage semantics (not stopped by the protobuf/JSON/instruction decoder).
import { writeFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const { TARGETS } = await import('../dist/test/fuzz/targets.js');
const { makeSeeds } = await import('../dist/test/fuzz/seeds.js');
const { compactTfjs } = await import('../dist/test/fuzz/mutate.js');
const { FuzzWorker, fuzzTarget } = await import('../dist/test/fuzz/runner.js');
const targets = opt('target') ? opt('target').split(',') : TARGETS;
for (const t of targets) if (!TARGETS.includes(t)) { console.error(`unknown target '${t}' (use ${TARGETS.join('|')})`); process.exit(2); }
const seconds = Number(opt('seconds', '10'));
const count = opt('count') ? Number(opt('count')) : undefined;
const seed = Number(opt('seed', '1'));
const budgetMs = Number(opt('budget', '5000'));
const seeds = await makeSeeds();
const w = new FuzzWorker(seeds.ctx);
let bad = 0;
mkdirSync('test/fuzz/corpus', { recursive: true });
for (const t of targets) {
  const t0 = Date.now();
  const st = await fuzzTarget(w, t, seeds.files[t], { seed, seconds: count ? undefined : seconds, count, budgetMs });
  const codes = Object.entries(st.rejectCodes).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([c, n]) => `${c}:${n}`).join(' ');
  console.log(`${t.padEnd(10)} inputs ${st.inputs}  accepted ${st.accepted}  rejected ${st.rejected}  crashes ${st.crashes}  hangs ${st.hangs}  oom ${st.ooms}  past-decoder ${st.pastDecoder} (${(100 * st.pastDecoder / Math.max(1, st.inputs)).toFixed(1)}%)  ${((Date.now() - t0) / 1000).toFixed(0)} s   [${codes}]`);
  for (const f of st.findings) {
    const bytes = t === 'tfjs' ? compactTfjs(f.bytes, seeds.files.tfjs) : f.bytes;
    const h = createHash('sha1').update(bytes).digest('hex').slice(0, 12);
    const file = `test/fuzz/corpus/${t}-${h}.bin`;
    writeFileSync(file, bytes);
    console.log(`  ${f.kind} (seed ${f.seed} #${f.index}) → ${file}\n    ${f.detail.split('\n').join('\n    ')}`);
  }
  bad += st.crashes + st.hangs + st.ooms;
}
await w.close();
process.exit(bad ? 1 : 0);
