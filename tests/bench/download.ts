// Download throughput of the results engine vs a raw GET of the same file, and the peak memory
// of a 2 GiB download. Both sides write to a file in a temp dir on the same disk.
//   npx tsx tests/bench/download.ts [--size-mib 1024] [--runs 3] [--big-gib 2.1]
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { CvatClient } from '../../main/cvat/client.js';
import { ResultsEngine } from '../../main/engine/results/results-engine.js';
import { openJournal } from '../../main/journal/database.js';
import { TransferRepo } from '../../main/journal/download-repo.js';
import { systemClock } from '../../main/service/system-clock.js';
import { makePng, startCvatServer } from '../cvat-server/index.js';
import { BenchReport } from './lib/results.js';
import { Journal } from '../../main/journal/journal.js';

const MiB = 1024 * 1024;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const sizeMiB = arg('size-mib', 1024);
const runs = arg('runs', 3);
const bigGiB = arg('big-gib', 2.1);

const server = await startCvatServer({ processingDelayMs: 10 });
const dir = await mkdtemp(join(tmpdir(), 'bench-download-'));
const db = openJournal(join(dir, 'journal.db'));
const token = server.users.alice.token;
const client = new CvatClient({
  server: server.url,
  auth: { kind: 'token', token },
  clock: systemClock,
  random: Math.random,
});

try {
  const taskId = await imageTask();
  const size = sizeMiB * MiB;
  const result = server.admin.addSyntheticResult(taskId, size);
  const raw: number[] = [];
  const engine: number[] = [];
  for (let i = 0; i < runs; i++) {
    raw.push(await timed(() => rawGet(result.resultUrl, join(dir, 'raw.zip'))));
    await unlink(join(dir, 'raw.zip'));
    engine.push(await timed(() => engineDownload(taskId, result.rqId, join(dir, `engine-${i}`))));
    await rm(join(dir, `engine-${i}`), { recursive: true, force: true });
  }
  const rawBest = Math.min(...raw);
  const engineBest = Math.min(...engine);
  const mbps = (ms: number, bytes = size) => bytes / MiB / (ms / 1000);
  console.log(`file: ${sizeMiB} MiB, best of ${runs}`);
  console.log(
    `raw GET (fetch -> file):    ${mbps(rawBest).toFixed(0)} MiB/s  (runs ms: ${raw.map((r) => r.toFixed(0)).join(', ')})`,
  );
  console.log(
    `results engine (.part etc): ${mbps(engineBest).toFixed(0)} MiB/s  (runs ms: ${engine.map((r) => r.toFixed(0)).join(', ')})`,
  );
  console.log(`ratio engine / raw: ${(rawBest / engineBest).toFixed(2)}x`);

  const bigSize = Math.round(bigGiB * 1024 * MiB);
  const big = server.admin.addSyntheticResult(taskId, bigSize);
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
  const ms = await timed(() => engineDownload(taskId, big.rqId, join(dir, 'big')));
  clearInterval(sampler);
  const bigLine =
    `${bigGiB} GiB download: ${mbps(ms, bigSize).toFixed(0)} MiB/s, RSS baseline ${(baseline / MiB).toFixed(0)} MiB, ` +
    `peak ${(peak / MiB).toFixed(0)} MiB (growth ${((peak - baseline) / MiB).toFixed(0)} MiB; test server in the same process)`;
  console.log(bigLine);
  const report = new BenchReport('download', 'results engine vs raw GET', {
    sizeMiB,
    runs,
    bigGiB,
  });
  report.goal(
    'download, engine / raw GET throughput (best runs)',
    rawBest / engineBest,
    'x',
    null,
    `${sizeMiB} MiB: raw ${mbps(rawBest).toFixed(0)} MiB/s, engine ${mbps(engineBest).toFixed(0)} MiB/s`,
    { rawMs: raw, engineMs: engine },
  );
  report.goal(`${bigGiB} GiB download, RSS growth`, (peak - baseline) / MiB, 'MiB', null, bigLine, {
    peakRssBytes: peak,
    baselineRssBytes: baseline,
    ms,
  });
  console.log(`\nfigures: ${report.write()}`);
} finally {
  db.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function rawGet(url: string, to: string): Promise<void> {
  const res = await fetch(url, {
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/vnd.cvat+json' },
  });
  if (!res.ok || !res.body) throw new Error(`raw GET ${res.status}`);
  await pipeline(
    Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
    createWriteStream(to),
  );
}

async function engineDownload(taskId: number, rqId: string, to: string): Promise<void> {
  const engine = new ResultsEngine({
    journal: new Journal(db, systemClock),
    api: client,
    clock: systemClock,
    random: Math.random,
    downloadsDir: to,
    poll: { minDelayMs: 10, maxDelayMs: 50 },
  });
  const row = engine.exportDataset({
    target: { kind: 'task', id: taskId },
    format: 'CVAT for images 1.1',
    withImages: false,
  });
  new TransferRepo(db).update(row.id, { rqId }, Date.now());
  engine.start();
  const done = await engine.waitFor(row.id);
  await engine.stop();
  if (done.state !== 'done')
    throw new Error(`engine download ${done.state}: ${done.error?.message}`);
}

async function imageTask(): Promise<number> {
  const task = await client.createTask({ name: 'bench', labels: [{ name: 'car' }] });
  const path = join(dir, 'a.png');
  const png = makePng(32, 32);
  await writeFile(path, png);
  await client.uploadStart(task.id);
  await client.uploadMultiple(task.id, [{ path, name: 'a.png', size: png.length }]);
  const rq = await client.uploadFinish(task.id, { image_quality: 70 });
  if (rq !== null) await client.waitForRequest(rq, { minDelayMs: 10, maxDelayMs: 50 });
  return task.id;
}
