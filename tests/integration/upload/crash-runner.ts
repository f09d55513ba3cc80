// Child process of the crash test: one engine on a journal in CRASH_DATA_DIR, uploading the
// batches listed in CRASH_PLAN to the server at CRASH_SERVER_URL until every batch is finished.
// It may be SIGKILLed at any instant; the next run continues from the journal alone.
// Run with: node --import tsx crash-runner.ts
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isTerminal } from '../../../main/core/batch-state.js';
import { UploadEngine } from '../../../main/engine/upload/upload-engine.js';
import type { NewUploadBatch } from '../../../main/engine/upload/types.js';
import { openJournal } from '../../../main/journal/database.js';
import { systemClock } from '../../../main/service/system-clock.js';
import { makeClient, seeded } from './client-setup.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const db = openJournal(join(env('CRASH_DATA_DIR'), 'journal.db'));
const engine = new UploadEngine({
  db,
  api: makeClient(env('CRASH_SERVER_URL'), { kind: 'token', token: env('CRASH_TOKEN') }),
  clock: systemClock,
  random: seeded(Number(process.env.CRASH_SEED ?? '1') * 7919 + process.pid),
  backoff: { baseMs: 50, maxMs: 500, jitter: 0.5, maxAttempts: 8 },
  chunkSize: Number(process.env.CRASH_CHUNK ?? 2 * 1024 * 1024),
  bulkBatchFiles: Number(process.env.CRASH_BULK_FILES ?? 25),
  restartPolicy: { maxRestarts: 20, baseDelayMs: 50, maxDelayMs: 1_000 },
  pollMs: 200,
});
const plans = JSON.parse(readFileSync(env('CRASH_PLAN'), 'utf8')) as NewUploadBatch[];
const ids = plans.map((p) => engine.batches.insertPlanned(p));
engine.start();
process.stdout.write('ready\n');

for (;;) {
  await engine.idle();
  const rows = ids.map((id) => engine.batches.get(id));
  if (rows.every((b) => b !== undefined && isTerminal(b.state))) break;
  await systemClock.sleep(100);
}
await engine.stop();
const failed = ids.map((id) => engine.batches.get(id)).filter((b) => b?.state !== 'done');
db.close();
if (failed.length > 0) {
  process.stderr.write(
    `not done: ${JSON.stringify(failed.map((b) => [b?.id, b?.state, b?.lastError]))}\n`,
  );
  process.exit(2);
}
process.stdout.write('all done\n');
