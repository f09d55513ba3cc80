// `npm run bench`: every benchmark in turn, each in its own process so that one's memory does
// not colour the next one's RSS figures. Arguments pass through (e.g. `-- --quick`).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const benches = ['upload.ts', 'watch.ts', 'download.ts'];
const args = process.argv.slice(2);
let failed = 0;
for (const bench of benches) {
  console.log(`\n=== ${bench.replace('.ts', '')} ===`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(here, bench), ...args], {
    stdio: 'inherit',
  });
  if (run.status !== 0) {
    failed += 1;
    console.error(`${bench} exited with ${run.status ?? run.signal}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
