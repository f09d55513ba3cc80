// Child process of the crash test: one upload engine and one results engine on a journal in
// CRASH_DATA_DIR. It uploads the batches listed in CRASH_PLAN to the server at CRASH_SERVER_URL
// and then downloads a backup of every task it made, until all of it is finished. It may be
// SIGKILLed at any instant; the next run continues from the journal alone.
// Run with: node --import tsx crash-runner.ts
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isTerminal } from '../../../main/core/batch-state.js';
import { ResultsEngine } from '../../../main/engine/results/results-engine.js';
import { UploadEngine } from '../../../main/engine/upload/upload-engine.js';
import type { NewUploadBatch } from '../../../main/engine/upload/types.js';
import { openJournal } from '../../../main/journal/database.js';
import { systemClock } from '../../../main/service/system-clock.js';
import { makeClient, seeded } from './client-setup.js';
import type { EngineJournal } from '../../../main/engine/engine-journal.js';
import { Journal } from '../../../main/journal/journal.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

// No top-level await: the crash test bundles this file to CommonJS, which starts faster.
async function main(): Promise<void> {
  const dataDir = env('CRASH_DATA_DIR');
  const journal: EngineJournal = new Journal(openJournal(join(dataDir, 'journal.db')), systemClock);
  const api = makeClient(env('CRASH_SERVER_URL'), { kind: 'token', token: env('CRASH_TOKEN') });
  const random = seeded(Number(process.env.CRASH_SEED ?? '1') * 7919 + process.pid);
  const engine = new UploadEngine({
    journal,
    api,
    clock: systemClock,
    random,
    backoff: { baseMs: 50, maxMs: 500, jitter: 0.5, maxAttempts: 8 },
    chunkSize: Number(process.env.CRASH_CHUNK ?? 2 * 1024 * 1024),
    bulkBatchFiles: Number(process.env.CRASH_BULK_FILES ?? 25),
    // Videos go by TUS, images in Upload-Multiple requests.
    bulkThreshold: Number(process.env.CRASH_THRESHOLD ?? 1024 * 1024),
    restartPolicy: { maxRestarts: 20, baseDelayMs: 50, maxDelayMs: 1_000 },
    pollMs: 200,
  });
  const results = new ResultsEngine({
    journal,
    api,
    clock: systemClock,
    random,
    downloadsDir: join(dataDir, 'downloads'),
    backoff: { baseMs: 50, maxMs: 500, jitter: 0.5, maxAttempts: 50 },
    poll: { minDelayMs: 20, maxDelayMs: 200 },
  });
  const plans = JSON.parse(readFileSync(env('CRASH_PLAN'), 'utf8')) as NewUploadBatch[];
  const ids = plans.map((p) => engine.batches.insertPlanned(p));
  engine.start();
  results.start();
  process.stdout.write('ready\n');

  for (;;) {
    await engine.idle();
    const rows = ids.map((id) => engine.batches.get(id));
    if (rows.every((b) => b !== undefined && isTerminal(b.state))) break;
    await systemClock.sleep(100);
  }
  await engine.stop();
  const failed = ids.map((id) => engine.batches.get(id)).filter((b) => b?.state !== 'done');
  if (failed.length > 0) {
    process.stderr.write(
      `not done: ${JSON.stringify(failed.map((b) => [b?.id, b?.state, b?.lastError]))}\n`,
    );
    process.exit(2);
  }

  // Results back: a backup of each task (the journal remembers which were asked for).
  const asked = new Set(results.list({ limit: 10_000 }).map((t) => t.targetId));
  for (const id of ids) {
    const taskId = engine.batches.get(id)?.taskId ?? null;
    if (taskId !== null && !asked.has(taskId))
      results.backup({ target: { kind: 'task', id: taskId } });
  }
  for (const t of results.list({ limit: 10_000 })) {
    const end = await results.waitFor(t.id);
    if (end.state !== 'done') {
      process.stderr.write(`backup ${t.id} ended ${end.state}: ${JSON.stringify(end.error)}\n`);
      process.exit(3);
    }
  }
  await results.stop();
  journal.close();
  process.stdout.write('all done\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${String((e as Error).stack ?? e)}\n`);
  process.exit(1);
});
