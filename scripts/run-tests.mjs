// Runs every compiled test file under dist/test with node's test runner (Node 20 has no --test globs).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const filter = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') && (filter.length === 0 || filter.some((f) => p.includes(f)))) files.push(p);
  }
})('dist/test');
files.sort();
if (files.length === 0) {
  // node --test with no file would run every test it can find: refuse instead.
  console.error(`no compiled test file under dist/test matches ${filter.join(', ')} (give a path fragment like test/xir)`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
