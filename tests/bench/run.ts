// `npm run bench`: every benchmark in turn, each in its own process so that one's memory does
// not colour the next one's RSS figures, then one summary table of the figures they wrote to
// test-artifacts/bench/*.json. Arguments pass through (e.g. `-- --quick`, which also shrinks the
// peer benchmark to BENCH_SCALE=0.05 unless BENCH_SCALE is set).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable, formatValue, resultPath } from './lib/results.js';
import type { BenchResult } from './lib/results.js';

const here = dirname(fileURLToPath(import.meta.url));
const benches = ['upload', 'watch', 'download', 'crash', 'scroll', 'peer'];
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const env = {
  ...process.env,
  ...(quick && process.env.BENCH_SCALE === undefined ? { BENCH_SCALE: '0.05' } : {}),
};
const startedAt = Date.now();
const failed: string[] = [];
for (const bench of benches) {
  console.log(`\n=== ${bench} ===`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(here, `${bench}.ts`), ...args], {
    stdio: 'inherit',
    env,
  });
  if (run.status !== 0) {
    failed.push(bench);
    console.error(`${bench} exited with ${run.status ?? run.signal}`);
  }
}

const rows: string[][] = [];
for (const bench of benches) {
  const path = resultPath(bench);
  // Only figures of this run: an older file from an earlier run is not shown as current.
  if (!existsSync(path) || statSync(path).mtimeMs < startedAt) {
    rows.push([bench, '(no figures from this run)', '', '', '']);
    continue;
  }
  const result = JSON.parse(readFileSync(path, 'utf8')) as BenchResult;
  for (const r of result.rows)
    rows.push([
      bench,
      r.measure.trim(),
      formatValue(r.value, r.unit),
      r.goal,
      r.met === null ? '' : r.met ? 'met' : 'MISSED',
    ]);
}
console.log('\n=== summary ===\n');
console.log(formatTable(['bench', 'measure', 'value', 'goal', ''], rows));
if (failed.length > 0) console.log(`\nfailed: ${failed.join(', ')}`);
process.exit(failed.length === 0 ? 0 : 1);
