// `npm run bench:crash [-- --kills 200]`: the crash scenario of the crash test with 200 kills
// spread evenly over every phase of a sync, then its table and the same checks:
// every file in exactly one task, byte-identical; tasks created <= batches + ambiguous events;
// bytes received <= file bytes + kills x the largest request a kill can cut; no orphan task.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCvatServer } from '../cvat-server/index.js';
import { checkCrash, crashTable } from '../integration/upload/crash-check.js';
import { runCrashScenario } from '../integration/upload/crash-scenario.js';
import { BenchReport } from './lib/results.js';

const i = process.argv.indexOf('--kills');
const kills = i >= 0 ? Number(process.argv[i + 1]) : 200;
const PROCESSING_MS = 300;
const dir = mkdtempSync(join(tmpdir(), 'bench-crash-'));
const server = await startCvatServer({
  seed: 23,
  processingDelayMs: PROCESSING_MS,
  dataDir: join(dir, 'server'),
});
let failed = false;
try {
  const t0 = performance.now();
  const report = await runCrashScenario({
    server,
    dir,
    kills,
    seed: 20_261_204,
    bandwidth: 24 * 1024 * 1024,
    chunk: 2 * 1024 * 1024,
    imagesPerBatch: 50,
    imageBatchesPerRound: 1,
    videoBytes: 8 * 1024 * 1024,
    processingDelayMs: PROCESSING_MS,
  });
  const f = checkCrash(server, dir, report);
  console.log(`\n${crashTable(report, f)}\n`);
  console.log(`took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const checks: Array<[string, boolean]> = [
    ['every file in exactly one task, byte-identical', f.mismatches.length === 0],
    ['no orphan task, no deletion pending', f.orphans.length === 0 && f.pendingDiscards === 0],
    [
      'tasks created <= batches + ambiguous events',
      f.tasksCreated <= f.batches + f.ambiguousEvents,
    ],
    [
      'bytes received <= file bytes + kills x largest cut',
      f.bytesReceived <= report.fileBytes + f.resentBound,
    ],
    ['every backup downloaded', f.backupsDone === f.batches],
  ];
  const json = new BenchReport('crash', 'SIGKILL at many instants of a sync', { kills });
  json.goal(
    'wall time of the scenario',
    (performance.now() - t0) / 1000,
    's',
    null,
    `${kills} kills`,
  );
  for (const [what, ok] of checks) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failed = true;
    json.add({ measure: what, value: ok ? 1 : 0, unit: '', goal: 'holds', met: ok, details: '' });
  }
  console.log(`figures: ${json.write()}`);
  if (f.mismatches.length) console.log(f.mismatches.slice(0, 20).join('\n'));
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
