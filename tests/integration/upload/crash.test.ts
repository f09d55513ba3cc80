// THE crash test: the engine runs as a child process and is SIGKILLed ≥ 30 times (CRASH_KILLS),
// the kills spread evenly over every phase of a sync (crash-scenario.ts), then it runs to the
// end. Afterwards, on the server and in the journal: every file in exactly one task,
// byte-identical; tasks created ≤ batches + the ambiguous events the journal counted; bytes
// received ≤ file bytes + kills × the largest request a kill can cut; no orphan task.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { checkCrash, crashTable } from './crash-check.js';
import { PHASES, runCrashScenario } from './crash-scenario.js';

const KILLS = Number(process.env.CRASH_KILLS ?? 30);
const PROCESSING_MS = 300;

let server: CvatTestServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'crash-test-'));
  server = await startCvatServer({
    seed: 17,
    processingDelayMs: PROCESSING_MS,
    dataDir: join(dir, 'server'),
  });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

it(`survives ${KILLS} SIGKILLs spread over every phase: each file once, bounded waste`, async () => {
  const report = await runCrashScenario({
    server,
    dir,
    kills: KILLS,
    seed: 20_261_203,
    bandwidth: 24 * 1024 * 1024,
    chunk: 2 * 1024 * 1024,
    imagesPerBatch: 50,
    imageBatchesPerRound: 1,
    videoBytes: 8 * 1024 * 1024,
    processingDelayMs: PROCESSING_MS,
    ...(process.env.CRASH_LOG ? { log: (l: string) => console.log(l) } : {}),
  });
  const f = checkCrash(server, dir, report);
  console.log(crashTable(report, f));

  expect(report.kills).toBeGreaterThanOrEqual(KILLS);
  // Spread evenly: every phase was hit, none more than one above another.
  const counts = PHASES.map((p) => report.byPhase[p] ?? 0);
  expect(Math.min(...counts)).toBeGreaterThan(0);
  expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);

  expect(f.mismatches).toEqual([]);
  expect(f.orphans).toEqual([]);
  expect(f.pendingDiscards).toBe(0);
  expect(f.tasksCreated).toBeLessThanOrEqual(f.batches + f.ambiguousEvents);
  expect(f.tasksCreated - f.tasksDeleted).toBe(f.batches);
  expect(f.bytesReceived).toBeLessThanOrEqual(report.fileBytes + f.resentBound);
  expect(f.backupsDone).toBe(f.batches);
}, 600_000);
