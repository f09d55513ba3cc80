// The engine in its own process for the upload benchmark, so that its memory is measured alone
// and it can be SIGKILLed. Prints JSON lines: progress samples, 'sent' when every byte is on the
// server, 'done' when the task is ready.
//   BENCH_URL BENCH_TOKEN BENCH_DATA_DIR BENCH_PLAN [BENCH_CHUNK BENCH_THRESHOLD BENCH_BULK_BYTES BENCH_BULK_FILES]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isTerminal } from '../../../main/core/batch-state.js';
import { UploadEngine } from '../../../main/engine/upload/upload-engine.js';
import type { NewUploadBatch } from '../../../main/engine/upload/types.js';
import { openJournal } from '../../../main/journal/database.js';
import { systemClock } from '../../../main/service/system-clock.js';
import { CvatClient } from '../../../main/cvat/client.js';
import { Journal } from '../../../main/journal/journal.js';

const env = (name: string): string | undefined => process.env[name];
const num = (name: string): number | undefined =>
  env(name) === undefined ? undefined : Number(env(name));
const say = (o: Record<string, unknown>): void =>
  void process.stdout.write(`${JSON.stringify(o)}\n`);

const db = openJournal(join(env('BENCH_DATA_DIR') ?? '.', 'journal.db'));
const api = new CvatClient({
  server: env('BENCH_URL') ?? '',
  auth: { kind: 'token', token: env('BENCH_TOKEN') ?? '' },
  clock: systemClock,
});
const engine = new UploadEngine({
  journal: new Journal(db, systemClock),
  api,
  clock: systemClock,
  random: Math.random,
  verifyHash: env('BENCH_VERIFY_HASH') !== '0',
  pollMs: 100,
  ...(num('BENCH_CHUNK') ? { chunkSize: num('BENCH_CHUNK') } : {}),
  ...(env('BENCH_ADAPTIVE') === '0' ? { adaptiveChunks: false as const } : {}),
  ...(num('BENCH_THRESHOLD') !== undefined ? { bulkThreshold: num('BENCH_THRESHOLD') } : {}),
  ...(num('BENCH_BULK_BYTES') ? { bulkBatchBytes: num('BENCH_BULK_BYTES') } : {}),
  ...(num('BENCH_BULK_FILES') ? { bulkBatchFiles: num('BENCH_BULK_FILES') } : {}),
});
const plans = JSON.parse(readFileSync(env('BENCH_PLAN') ?? '', 'utf8')) as NewUploadBatch[];
const ids = plans.map((p) => engine.batches.insertPlanned(p));
const total = plans.reduce((s, p) => s + p.files.reduce((t, f) => t + f.size, 0), 0);
const t0 = performance.now();
let nextSample = 0;
engine.events.on('progress', (p) => {
  if (p.bytesDone < nextSample) return;
  nextSample = p.bytesDone + total / 20;
  say({
    t: 'progress',
    bytes: p.bytesDone,
    total,
    rss: process.memoryUsage.rss(),
    ms: performance.now() - t0,
  });
});
let sentAt: number | null = null;
engine.events.on('batch', (b) => {
  if (
    sentAt === null &&
    ['finishing', 'processing', 'done'].includes(b.state) &&
    ids.every((id) =>
      ['finishing', 'processing', 'done'].includes(engine.batches.get(id)?.state ?? ''),
    )
  ) {
    sentAt = performance.now() - t0;
    say({ t: 'sent', ms: sentAt });
  }
});
engine.start();
say({ t: 'ready' });
for (;;) {
  await engine.idle();
  if (ids.every((id) => isTerminal(engine.batches.get(id)?.state ?? 'planned'))) break;
  await systemClock.sleep(50);
}
await engine.stop();
const states = ids.map((id) => engine.batches.get(id)?.state);
say({
  t: 'done',
  ms: performance.now() - t0,
  maxRss: process.resourceUsage().maxRSS * 1024,
  states,
});
db.close();
