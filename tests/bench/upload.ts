// Upload benchmark: the engine (in a child process, against the CVAT test server) vs a raw HTTP
// PUT of the same bytes to a sink on 127.0.0.1 that writes them to a file on the same disk.
//   npm run bench:upload [-- --quick] [--big-mib 2048] [--files 10000] [--file-kib 100]
//                         [--chunk-mib 64] [--batch-mib 100] [--tus-files 2000]
// Prints one table of ratios measured in this run:
//   (a) one big file: engine throughput / raw PUT throughput (goal >= 0.9)
//   (b) many small images: engine time / raw PUT time (goal <= 1.3), and one TUS upload per file
//   (c) peak RSS of the engine process during (a), and RSS at each 5% of progress (flat?)
//   (d) bytes re-sent after a SIGKILL at 50% of (a) (goal <= one chunk), read from the test
//       server's ledger (it keeps nothing of a cut PATCH, as CVAT), with adaptive chunks
//       (8 MiB growing to --chunk-mib) and with a fixed --chunk-mib; (a) for both
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { UploadFile } from '../../main/cvat/api.js';
import { CvatClient } from '../../main/cvat/client.js';
import type { NewBatchFile } from '../../main/journal/batch-repo.js';
import { systemClock } from '../../main/service/system-clock.js';
import type { NewUploadBatch } from '../../main/engine/upload/types.js';
import { startCvatServer } from '../cvat-server/index.js';
import { paddedPng, writeRandom } from './lib/media.js';
import { mp4HeadToEnd } from '../cvat-server/fixture-media.js';
import { BenchReport } from './lib/results.js';

const MiB = 1024 * 1024;
const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
function arg(name: string, full: number, small: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : quick ? small : full;
}
const bigBytes = arg('big-mib', 2048, 256) * MiB;
const fileCount = arg('files', 10_000, 1_000);
const fileBytes = arg('file-kib', 100, 100) * 1024;
const chunk = arg('chunk-mib', 64, 64) * MiB;
const batchBytes = arg('batch-mib', 100, 100) * MiB;
const tusFiles = Math.min(fileCount, arg('tus-files', 2_000, 500));
const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'lib', 'upload-child.ts');

const dir = await mkdtemp(join(tmpdir(), 'bench-upload-'));
const server = await startCvatServer({ processingDelayMs: 10, dataDir: join(dir, 'server') });
const sink = await startSink(join(dir, 'sink.bin'));

interface ChildLine {
  t: string;
  ms?: number;
  bytes?: number;
  total?: number;
  rss?: number;
  maxRss?: number;
  states?: string[];
}

try {
  // ---- (a), (c): one big file
  const big = join(dir, 'media', 'big.mp4');
  await mkdir(dirname(big), { recursive: true });
  await writeRandom(big, bigBytes, mp4HeadToEnd());
  const rawBig = await rawPut(sink.url, [big]);
  const clientBig = await clientOnly(async (api, taskId) => {
    await api.tusUpload({
      target: { kind: 'task-data', taskId },
      file: { path: big, name: 'big.mp4', size: bigBytes },
      chunkSize: chunk,
    });
  });
  const a = await runEngine('big', [await describe(big, 'big.mp4')], {
    BENCH_CHUNK: String(chunk),
  });
  await dropTasks();
  const aFixed = await runEngine('big-fixed', [await describe(big, 'big.mp4')], {
    BENCH_CHUNK: String(chunk),
    BENCH_ADAPTIVE: '0',
  });
  await dropTasks();

  // ---- (d): SIGKILL at 50% of the same upload, then resume; adaptive, then fixed chunks
  const killRun = async (name: string, extra: Record<string, string>) => {
    const first = await runEngine(
      name,
      [await describe(big, 'big.mp4')],
      { BENCH_CHUNK: String(chunk), ...extra },
      0.5,
    );
    const second = await runEngine(name, [await describe(big, 'big.mp4')], {
      BENCH_CHUNK: String(chunk),
      ...extra,
    });
    const received = server.admin
      .ledger()
      .tasks.filter((t) => t.name === `bench ${name}`)
      .reduce((s, t) => s + t.bytesReceived, 0);
    await dropTasks();
    return { first, second, received, resent: received - bigBytes };
  };
  const dAdaptive = await killRun('big-kill', {});
  const dFixed = await killRun('big-kill-fixed', { BENCH_ADAPTIVE: '0' });
  const d1 = dAdaptive.first;
  const d2 = dAdaptive.second;
  const resent = dAdaptive.resent;
  const patched = dAdaptive.received;

  // ---- (b): many small images
  const smallFiles: NewBatchFile[] = [];
  for (let i = 0; i < fileCount; i++) {
    const path = join(dir, 'media', 'img', `img_${String(i).padStart(5, '0')}.png`);
    if (i === 0) await mkdir(dirname(path), { recursive: true });
    const bytes = paddedPng(i, fileBytes);
    await writeFile(path, bytes);
    smallFiles.push(await describe(path, `img_${String(i).padStart(5, '0')}.png`, bytes));
  }
  const rawSmall = await rawPut(
    sink.url,
    smallFiles.map((f) => f.absPath),
  );
  const clientSmall = await clientOnly(async (api, taskId) => {
    for (let i = 0; i < smallFiles.length;) {
      const group: UploadFile[] = [];
      let bytes = 0;
      for (
        ;
        i < smallFiles.length && (group.length === 0 || bytes + fileBytes <= batchBytes);
        i++
      ) {
        const f = smallFiles[i];
        if (!f) break;
        group.push({ path: f.absPath, name: f.name, size: f.size });
        bytes += f.size;
      }
      await api.uploadMultiple(taskId, group);
    }
  });
  const reqBefore = server.faults.stats().requests;
  const b = await runEngine('images', smallFiles, {
    BENCH_BULK_BYTES: String(batchBytes),
    BENCH_BULK_FILES: String(fileCount),
  });
  const bulkRequests = server.faults.stats().requests - reqBefore;
  await dropTasks();
  const tusSubset = smallFiles.slice(0, tusFiles);
  const rawTusSubset = await rawPut(
    sink.url,
    tusSubset.map((f) => f.absPath),
  );
  const tusBefore = server.faults.stats().requests;
  const t = await runEngine('images-tus', tusSubset, {
    BENCH_THRESHOLD: '0',
    BENCH_CHUNK: String(chunk),
  });
  const tusRequests = server.faults.stats().requests - tusBefore;
  await dropTasks();

  // ---- the table
  const mibps = (bytes: number, ms: number): string =>
    `${(bytes / MiB / (ms / 1000)).toFixed(0)} MiB/s`;
  const sentMs = (r: EngineRun): number => r.sentMs ?? r.doneMs;
  const rssAt = a.samples.map(
    (s) => `${Math.round(((s.bytes ?? 0) / bigBytes) * 100)}%:${((s.rss ?? 0) / MiB).toFixed(0)}`,
  );
  const rows: Array<[string, string, string, string]> = [
    [
      '(a) big file, engine vs raw PUT',
      `${(rawBig / sentMs(a)).toFixed(2)}`,
      '>= 0.9',
      `${(bigBytes / MiB).toFixed(0)} MiB: engine ${mibps(bigBytes, sentMs(a))} (${sentMs(a).toFixed(0)} ms sent, ${a.doneMs.toFixed(0)} ms ready), raw ${mibps(bigBytes, rawBig)} (${rawBig.toFixed(0)} ms); chunk ${chunk / MiB} MiB`,
    ],
    [
      '(b) images, engine (bulk) / raw PUT',
      `${(sentMs(b) / rawSmall).toFixed(2)}x`,
      '<= 1.3x',
      `${fileCount} x ${fileBytes / 1024} KiB: engine ${sentMs(b).toFixed(0)} ms sent (${b.doneMs.toFixed(0)} ms ready), raw ${rawSmall.toFixed(0)} ms; ${(bulkRequests / fileCount).toFixed(3)} requests/file (batch ${batchBytes / MiB} MiB)`,
    ],
    [
      '    same bytes by CvatClient alone / raw PUT',
      `${(clientSmall / rawSmall).toFixed(2)}x`,
      '(baseline)',
      `Upload-Multiple requests of <= ${batchBytes / MiB} MiB to the test server without the engine: ${clientSmall.toFixed(0)} ms`,
    ],
    [
      '(b) images, one TUS upload per file / raw PUT',
      `${(sentMs(t) / rawTusSubset).toFixed(2)}x`,
      '(for comparison)',
      `${tusFiles} files: ${sentMs(t).toFixed(0)} ms sent, raw ${rawTusSubset.toFixed(0)} ms; ${(tusRequests / tusFiles).toFixed(2)} requests/file`,
    ],
    [
      '    same file by CvatClient alone vs raw PUT',
      `${(rawBig / clientBig).toFixed(2)}`,
      '(baseline)',
      `one tusUpload to the test server without the engine: ${mibps(bigBytes, clientBig)}`,
    ],
    [
      '(c) peak RSS of the engine during (a)',
      `${(a.maxRss / MiB).toFixed(0)} MiB`,
      '<= 200 MiB, flat',
      `RSS MiB by progress ${rssAt.join(' ')}`,
    ],
    [
      '(d) bytes re-sent after SIGKILL at 50%, adaptive chunks',
      `${resent} B`,
      `<= ${chunk} B (one chunk)`,
      `killed at ${(((d1.killedAt ?? 0) / bigBytes) * 100).toFixed(0)}%, server received ${patched} B for a ${bigBytes} B file (ledger); second run ${d2.states.join(',')}`,
    ],
    [
      `    same with fixed ${chunk / MiB} MiB chunks`,
      `${dFixed.resent} B`,
      '(for comparison)',
      `killed at ${(((dFixed.first.killedAt ?? 0) / bigBytes) * 100).toFixed(0)}%, server received ${dFixed.received} B; second run ${dFixed.second.states.join(',')}`,
    ],
    [
      `    (a) with fixed ${chunk / MiB} MiB chunks / adaptive`,
      `${(sentMs(aFixed) / sentMs(a)).toFixed(2)}`,
      '(~1: no loss of throughput)',
      `fixed ${mibps(bigBytes, sentMs(aFixed))}, adaptive ${mibps(bigBytes, sentMs(a))}`,
    ],
  ];
  const report = new BenchReport('upload', 'upload engine vs raw PUT', {
    quick,
    bigBytes,
    fileCount,
    fileBytes,
    chunk,
    batchBytes,
    tusFiles,
  });
  const details = (i: number): string => rows[i]?.[3] ?? '';
  report.goal(
    '(a) big file, engine / raw PUT throughput',
    rawBig / sentMs(a),
    'x',
    { min: 0.9 },
    details(0),
  );
  report.goal(
    '(b) images, engine (bulk) time / raw PUT time',
    sentMs(b) / rawSmall,
    'x',
    { max: 1.3 },
    details(1),
    {
      engineSentMs: sentMs(b),
      engineReadyMs: b.doneMs,
      rawMs: rawSmall,
      requestsPerFile: bulkRequests / fileCount,
    },
  );
  report.goal(
    '    same bytes by CvatClient alone / raw PUT',
    clientSmall / rawSmall,
    'x',
    null,
    details(2),
  );
  report.goal(
    '(b) images, one TUS upload per file / raw PUT',
    sentMs(t) / rawTusSubset,
    'x',
    null,
    details(3),
  );
  report.goal(
    '    same file by CvatClient alone vs raw PUT',
    rawBig / clientBig,
    'x',
    null,
    details(4),
  );
  report.goal(
    '(c) peak RSS of the engine during (a)',
    a.maxRss / MiB,
    'MiB',
    { max: 200 },
    details(5),
  );
  report.goal('(d) bytes re-sent after SIGKILL at 50%', resent, 'B', { max: chunk }, details(6));
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0), 8));
  console.log(
    `\nUpload benchmark${quick ? ' (quick)' : ''} — engine against the CVAT test server, raw PUT to a sink writing to disk\n`,
  );
  console.log(
    `${'measure'.padEnd(w[0] ?? 0)}  ${'value'.padEnd(w[1] ?? 0)}  ${'goal'.padEnd(w[2] ?? 0)}  details`,
  );
  for (const r of rows)
    console.log(
      `${r[0].padEnd(w[0] ?? 0)}  ${r[1].padEnd(w[1] ?? 0)}  ${r[2].padEnd(w[2] ?? 0)}  ${r[3]}`,
    );
  for (const r of [a, b, t, d2])
    if (r.states.some((s) => s !== 'done'))
      console.log(`warning: a run ended with states ${r.states.join(',')}`);
  console.log(`\nfigures: ${report.write()}`);
} finally {
  await server.close();
  await new Promise<void>((r) => sink.server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
}

interface EngineRun {
  sentMs: number | null;
  doneMs: number;
  maxRss: number;
  samples: ChildLine[];
  states: string[];
  killedAt: number | null;
}

/** Runs the engine child on one batch; with `killAt`, SIGKILLs it at that fraction of the bytes. */
async function runEngine(
  name: string,
  files: NewBatchFile[],
  extraEnv: Record<string, string>,
  killAt?: number,
): Promise<EngineRun> {
  const data = join(dir, `engine-${name}`);
  await mkdir(data, { recursive: true });
  const plan: NewUploadBatch = {
    folderId: null,
    key: name,
    name: `bench ${name}`,
    task: { labels: [{ name: 'thing' }] },
    data: { image_quality: 70 },
    files,
  };
  const planPath = join(data, 'plan.json');
  await writeFile(planPath, JSON.stringify([plan]));
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: {
      ...process.env,
      BENCH_URL: server.url,
      BENCH_TOKEN: server.users.alice.token,
      BENCH_DATA_DIR: data,
      BENCH_PLAN: planPath,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const run: EngineRun = {
    sentMs: null,
    doneMs: 0,
    maxRss: 0,
    samples: [],
    states: [],
    killedAt: null,
  };
  let buffer = '';
  child.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    for (;;) {
      const nl = buffer.indexOf('\n');
      if (nl < 0) break;
      const line = JSON.parse(buffer.slice(0, nl)) as ChildLine;
      buffer = buffer.slice(nl + 1);
      if (line.t === 'progress') {
        run.samples.push(line);
        if (
          killAt !== undefined &&
          run.killedAt === null &&
          (line.bytes ?? 0) >= (line.total ?? Infinity) * killAt
        ) {
          run.killedAt = line.bytes ?? 0;
          child.kill('SIGKILL');
        }
      } else if (line.t === 'sent') run.sentMs = line.ms ?? null;
      else if (line.t === 'done') {
        run.doneMs = line.ms ?? 0;
        run.maxRss = line.maxRss ?? 0;
        run.states = line.states ?? [];
      }
    }
  });
  await new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return run;
}

/** Times `send` with a bare CvatClient on a fresh task: what the client and the server cost without the engine. */
async function clientOnly(
  send: (api: CvatClient, taskId: number) => Promise<void>,
): Promise<number> {
  const api = new CvatClient({
    server: server.url,
    auth: { kind: 'token', token: server.users.alice.token },
    clock: systemClock,
  });
  const task = await api.createTask({
    name: `baseline ${Date.now()}`,
    labels: [{ name: 'thing' }],
  });
  await api.uploadStart(task.id);
  const t0 = performance.now();
  await send(api, task.id);
  const ms = performance.now() - t0;
  await dropTasks();
  return ms;
}

async function dropTasks(): Promise<void> {
  for (const task of server.admin.tasks()) {
    await new Promise<void>((resolve, reject) => {
      const req = request(
        `${server.url}/api/tasks/${task.id}`,
        { method: 'DELETE', headers: { Authorization: `Bearer ${server.users.alice.token}` } },
        (res) => {
          res.resume();
          res.on('end', () => resolve());
        },
      );
      req.on('error', reject);
      req.end();
    });
  }
}

/** The file as the planner hands it over; small files with their hash, which the engine re-checks. */
async function describe(path: string, name: string, bytes?: Buffer): Promise<NewBatchFile> {
  const s = await stat(path);
  const sha256 = bytes ? createHash('sha256').update(bytes).digest('hex') : null;
  return {
    fileId: null,
    absPath: path,
    relPath: name,
    name,
    size: s.size,
    mtimeMs: s.mtimeMs,
    sha256,
  };
}

/** A PUT of the files' bytes back to back, streamed from disk; returns ms. */
async function rawPut(url: string, paths: string[]): Promise<number> {
  let length = 0;
  for (const p of paths) length += (await stat(p)).size;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'PUT',
        headers: { 'Content-Length': String(length), 'Content-Type': 'application/octet-stream' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
      },
    );
    req.on('error', reject);
    void (async () => {
      for (const p of paths) {
        for await (const chunk of createReadStream(p, { highWaterMark: MiB })) {
          if (!req.write(chunk)) await new Promise<void>((r) => req.once('drain', () => r()));
        }
      }
      req.end();
    })().catch(reject);
  });
  return performance.now() - t0;
}

/** An HTTP sink on 127.0.0.1 that writes each request body to a file, as a server would. */
async function startSink(
  path: string,
): Promise<{ url: string; server: ReturnType<typeof createServer> }> {
  const s = createServer((req, res) => {
    void pipeline(req, createWriteStream(path)).then(
      () => res.end(),
      () => res.destroy(),
    );
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/sink`, server: s };
}
