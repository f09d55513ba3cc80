// Peer benchmark: `cvat-sync` against CVAT's own `cvat-cli`, in one run, on one test server, with
// the same files, each client as a user runs it (a fresh process per command, default settings).
//   npm run bench:peer [-- --scale 0.05] [--cases a,b,c,d,e] [--profile]     (or BENCH_SCALE=0.05)
//   a. 10,000 x 100 KiB images into one task      b. one 2 GiB video
//   c. 20 subfolders x 500 images -> 20 tasks (cvat-cli: one `task create` per subfolder, in turn)
//   d. a dataset export with images of a ~1 GiB task, downloaded
//   e. (a) and (c) over a slow link: 100 ms latency, 20 MiB/s shared by all requests
// Per client: wall time, requests, bytes sent (request bodies), bytes received, peak RSS of the
// client process; ratio = cvat-cli time / cvat-sync time (> 1: we are faster). --scale shrinks
// file counts and sizes; the full run (scale 1) is the default. --profile writes a CPU profile
// of each cvat-sync run to test-artifacts/bench/profiles/ and prints where its time went.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CvatClient } from '../../main/cvat/client.js';
import { systemClock } from '../../main/service/system-clock.js';
import { startCvatServer } from '../cvat-server/index.js';
import { paddedPng, writeRandom } from './lib/media.js';
import { mp4HeadToEnd } from '../cvat-server/fixture-media.js';
import { measuredRun } from './lib/measured-run.js';
import type { MeasuredRun } from './lib/measured-run.js';
import { ensurePythonTools } from './lib/python-tools.js';
import { summarizeProfiles } from './lib/cpu-profile.js';
import { BenchReport, formatTable, RESULTS_DIR } from './lib/results.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const scale = Number(
  option('scale') ?? process.env.BENCH_SCALE ?? (process.argv.includes('--quick') ? 0.05 : 1),
);
if (!(scale > 0 && scale <= 1)) throw new Error(`--scale must be in (0, 1], not ${scale}`);
const cases = new Set((option('cases') ?? 'a,b,c,d,e').split(','));
const profile = process.argv.includes('--profile');
const count = (full: number, min: number): number => Math.max(min, Math.round(full * scale));

const sizes = {
  aFiles: count(10_000, 20),
  imageBytes: 100 * KiB,
  videoBytes: count(2048, 16) * MiB,
  cFolders: 20,
  cFilesEach: count(500, 2),
  dImages: count(1024, 8),
  dImageBytes: 1 * MiB,
  slowLatencyMs: 100,
  slowLinkBytesPerSec: 20 * MiB,
};

// ---- set-up: the official client, our CLI built as users run it, the server, the files

const tools = ensurePythonTools();
const build = spawnSync('npm', ['run', 'build:main'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) throw new Error('npm run build:main failed');
const OURS = join(ROOT, 'bin', 'cvat-sync.js');

const work = await mkdtemp(join(tmpdir(), 'bench-peer-'));
const server = await startCvatServer({ dataDir: join(work, 'server'), processingDelayMs: 10 });
const port = new URL(server.url).port;
const token = server.users.alice.token;
const labels = [{ name: 'car' }];
const labelsFile = join(work, 'labels.json');
await writeFile(labelsFile, JSON.stringify(labels));
const api = new CvatClient({
  server: server.url,
  auth: { kind: 'token', token },
  clock: systemClock,
});
const report = new BenchReport('peer', 'cvat-sync vs cvat-cli, side by side', {
  scale,
  sizes,
  cvatCli: tools.version,
});

interface ClientRun {
  client: 'cvat-sync' | 'cvat-cli';
  ms: number;
  requests: number;
  bytesSent: number;
  bytesReceived: number;
  peakRssBytes: number;
  commands: number;
  /** Wall time during which a media body (upload > 64 KiB, or the download) was on the wire. */
  mediaMs: number;
}
interface CaseResult {
  id: string;
  title: string;
  goal: number;
  runs: ClientRun[];
  note: string;
}
const results: CaseResult[] = [];
const failures: string[] = [];

/** One case; a failure is reported and the run goes on with the next case. */
async function attempt(id: string, run: () => Promise<CaseResult>): Promise<void> {
  try {
    results.push(await run());
  } catch (e) {
    failures.push(`${id}: ${(e as Error).message}`);
    console.error(`${id} failed: ${(e as Error).message}`);
    await dropTasks().catch(() => undefined);
  }
}

try {
  const seedBase = { n: 0 };
  const images = async (dir: string, n: number, size: number): Promise<string[]> => {
    await mkdir(dir, { recursive: true });
    const paths: string[] = [];
    for (let i = 0; i < n; i++) {
      const p = join(dir, `img_${String(i).padStart(5, '0')}.png`);
      await writeFile(p, paddedPng(seedBase.n++, size));
      paths.push(p);
    }
    return paths;
  };

  if (cases.has('a') || cases.has('e')) await images(aDirOf(), sizes.aFiles, sizes.imageBytes);
  if (cases.has('c') || cases.has('e'))
    for (const sub of cSubOf())
      await images(join(cDirOf(), sub.name), sizes.cFilesEach, sizes.imageBytes);

  if (cases.has('a'))
    await attempt('a', () => imagesCase('a', `${sizes.aFiles} x 100 KiB images, one task`, 1));
  if (cases.has('b'))
    await attempt('b', async () => {
      const dir = join(work, 'media', 'b-video');
      await mkdir(dir, { recursive: true });
      const video = join(dir, 'clip.mp4');
      await writeRandom(video, sizes.videoBytes, mp4HeadToEnd());
      const title = `one ${(sizes.videoBytes / MiB).toFixed(0)} MiB video`;
      try {
        const ours = await oursSync('b', dir, 1);
        const cli = await cliCreate('b', [{ name: 'b-video', files: [video] }], 1);
        return { id: 'b', title, goal: 1, runs: [ours, cli], note: '' };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  if (cases.has('c'))
    await attempt('c', () =>
      foldersCase(
        'c',
        `${sizes.cFolders} subfolders x ${sizes.cFilesEach} images, ${sizes.cFolders} tasks`,
        2,
      ),
    );
  if (cases.has('d')) await attempt('d', exportCase);
  if (cases.has('e')) {
    server.faults.set({
      latencyMs: sizes.slowLatencyMs,
      linkBytesPerSec: sizes.slowLinkBytesPerSec,
    });
    const link = `${sizes.slowLatencyMs} ms, ${sizes.slowLinkBytesPerSec / MiB} MiB/s shared`;
    await attempt('e/a', () => imagesCase('e/a', `(a) over a slow link (${link})`, 2));
    await attempt('e/c', () => foldersCase('e/c', `(c) over a slow link (${link})`, 2));
    server.faults.clear();
  }

  // ---- the table and the JSON
  const fmtMs = (ms: number): string =>
    ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`;
  const fmtBytes = (b: number): string =>
    b >= 10 * MiB
      ? `${(b / MiB).toFixed(0)} MiB`
      : b >= 10 * KiB
        ? `${(b / KiB).toFixed(0)} KiB`
        : `${b} B`;
  const rows: string[][] = [];
  for (const r of results) {
    const ours = r.runs.find((x) => x.client === 'cvat-sync');
    const cli = r.runs.find((x) => x.client === 'cvat-cli');
    const ratio = ours && cli ? cli.ms / ours.ms : null;
    for (const x of r.runs)
      rows.push([
        x === r.runs[0] ? `${r.id}. ${r.title}` : '',
        x.client,
        fmtMs(x.ms),
        `${fmtMs(x.mediaMs)} / ${fmtMs(x.ms - x.mediaMs)}`,
        String(x.requests),
        fmtBytes(x.bytesSent),
        fmtBytes(x.bytesReceived),
        `${(x.peakRssBytes / MiB).toFixed(0)} MiB`,
        x === r.runs[0] ? '' : ratio === null ? 'n/a' : `${ratio.toFixed(2)}x`,
        x === r.runs[0]
          ? ''
          : `>= ${r.goal}x ${ratio !== null && ratio >= r.goal ? 'met' : 'MISSED'}`,
      ]);
    report.goal(
      `${r.id}. ${r.title}: cvat-cli time / cvat-sync time`,
      ratio,
      'x',
      { min: r.goal },
      r.note || r.runs.map((x) => `${x.client} ${fmtMs(x.ms)}`).join(', '),
      { runs: r.runs },
    );
  }
  console.log(
    `\nPeer benchmark (scale ${scale}) — cvat-sync vs ${tools.version.includes('cvat') ? tools.version : `cvat-cli ${tools.version}`}, one test server, the same files\n`,
  );
  console.log(
    formatTable(
      [
        'case',
        'client',
        'wall',
        'media / rest',
        'requests',
        'sent',
        'received',
        'peak RSS',
        'ratio',
        'goal',
      ],
      rows,
    ),
  );
  console.log(
    '\nratio = cvat-cli wall time / cvat-sync wall time (above 1: cvat-sync is faster)\n' +
      'media / rest = wall time with a media body on the wire (uploads over 64 KiB, the download) / ' +
      'everything else: start-up, scanning and hashing, task creation, waiting for processing',
  );
  for (const r of results) if (r.note) console.log(`${r.id}: ${r.note}`);
  for (const f of failures) {
    report.add({
      measure: `case ${f.split(':')[0]} failed`,
      value: null,
      unit: '',
      goal: 'runs',
      met: false,
      details: f,
    });
    console.log(`FAILED ${f}`);
  }
  console.log(`\nfigures: ${report.write()}`);
  if (failures.length > 0) process.exitCode = 1;
} finally {
  await server.close();
  await rm(work, { recursive: true, force: true });
}

// ---- the cases

async function imagesCase(id: string, title: string, goal: number): Promise<CaseResult> {
  const ours = await oursSync(id, aDirOf(), 1);
  const cli = await cliCreate(id, [{ name: 'a-images', files: aFilesOf() }], 1);
  return { id, title, goal, runs: [ours, cli], note: '' };
}

async function foldersCase(id: string, title: string, goal: number): Promise<CaseResult> {
  const ours = await oursSync(id, cDirOf(), sizes.cFolders);
  const cli = await cliCreate(id, cSubOf(), sizes.cFolders);
  return { id, title, goal, runs: [ours, cli], note: '' };
}

async function exportCase(): Promise<CaseResult> {
  const dir = join(work, 'media', 'd-task');
  const files = [];
  for (let i = 0; i < sizes.dImages; i++) {
    const p = join(dir, `frame_${String(i).padStart(5, '0')}.png`);
    if (i === 0) await mkdir(dir, { recursive: true });
    await writeFile(p, paddedPng(1_000_000 + i, sizes.dImageBytes));
    files.push({
      path: p,
      name: `frame_${String(i).padStart(5, '0')}.png`,
      size: sizes.dImageBytes,
    });
  }
  const task = await api.createTask({ name: 'd-export', labels });
  await api.uploadStart(task.id);
  for (let i = 0; i < files.length; i += 50)
    await api.uploadMultiple(task.id, files.slice(i, i + 50));
  const rq = await api.uploadFinish(task.id, { image_quality: 70 });
  if (rq) await api.waitForRequest(rq);
  await rm(dir, { recursive: true, force: true });
  const format = 'CVAT for images 1.1';
  const out = join(work, 'exports');
  await mkdir(out, { recursive: true });
  const oursFile = join(out, 'ours.zip');
  const cliFile = join(out, 'cli.zip');
  const ours = await measure('cvat-sync', 'd', () =>
    ourCommand('d', [
      'export',
      String(task.id),
      '--format',
      format,
      '--with-images',
      '-o',
      oursFile,
    ]),
  );
  const cli = await measure('cvat-cli', 'd', () =>
    cliCommand([
      'task',
      'export-dataset',
      String(task.id),
      cliFile,
      '--format',
      format,
      '--with-images',
      'True',
    ]),
  );
  const [a, b] = [(await stat(oursFile)).size, (await stat(cliFile)).size];
  if (a !== b || a < sizes.dImages * sizes.dImageBytes)
    throw new Error(`d: the two downloads differ or are short (${a} vs ${b} bytes)`);
  await dropTasks();
  return {
    id: 'd',
    title: `export with images of a ${((sizes.dImages * sizes.dImageBytes) / MiB).toFixed(0)} MiB task (${(a / MiB).toFixed(0)} MiB zip)`,
    goal: 1,
    runs: [ours, cli],
    note: '',
  };
}

function aDirOf(): string {
  return join(work, 'media', 'a-images');
}
function aFilesOf(): string[] {
  return Array.from({ length: sizes.aFiles }, (_, i) =>
    join(aDirOf(), `img_${String(i).padStart(5, '0')}.png`),
  );
}
function cDirOf(): string {
  return join(work, 'media', 'c-folders');
}
function cSubOf(): Array<{ name: string; files: string[] }> {
  return Array.from({ length: sizes.cFolders }, (_, k) => {
    const name = `part_${String(k).padStart(2, '0')}`;
    return {
      name,
      files: Array.from({ length: sizes.cFilesEach }, (_, i) =>
        join(cDirOf(), name, `img_${String(i).padStart(5, '0')}.png`),
      ),
    };
  });
}

// ---- the clients

/** `cvat-sync sync DIR --once`: scan, plan one task per subfolder, upload, wait until processed. */
async function oursSync(id: string, dir: string, tasks: number): Promise<ClientRun> {
  const run = await measure('cvat-sync', id, () =>
    ourCommand(id, ['sync', dir, '--once', '--settle', '0', '--labels', labelsFile]),
  );
  await expectTasks(id, 'cvat-sync', tasks);
  return run;
}

/** One `cvat-cli task create` per task, one after the other, as a user would script it. */
async function cliCreate(
  id: string,
  tasks: Array<{ name: string; files: string[] }>,
  expected: number,
): Promise<ClientRun> {
  const run = await measure('cvat-cli', id, async () => {
    const runs: MeasuredRun[] = [];
    for (const t of tasks)
      runs.push(
        await cliCommand([
          'task',
          'create',
          t.name,
          '--labels',
          JSON.stringify(labels),
          'local',
          ...t.files,
        ]),
      );
    return runs;
  });
  await expectTasks(id, 'cvat-cli', expected);
  return run;
}

async function ourCommand(id: string, args: string[]): Promise<MeasuredRun> {
  // A fresh data folder: no journal or content ledger from an earlier case.
  const home = await mkdtemp(join(work, 'home-'));
  const node = profile
    ? ['--cpu-prof', '--cpu-prof-dir', join(RESULTS_DIR, 'profiles', id.replace('/', '-'))]
    : [];
  return measuredRun(process.execPath, [...node, OURS, ...args], {
    env: {
      ...process.env,
      CVAT_SERVER: server.url,
      CVAT_ACCESS_TOKEN: token,
      CVAT_SYNC_HOME: home,
    },
  });
}

function cliCommand(args: string[]): Promise<MeasuredRun> {
  return measuredRun(
    tools.cvatCli,
    ['--server-host', 'http://127.0.0.1', '--server-port', port, ...args],
    { env: { ...process.env, CVAT_ACCESS_TOKEN: token } },
  );
}

/** Runs the commands of one client for one case and takes the server's traffic figures. */
async function measure(
  client: ClientRun['client'],
  id: string,
  body: () => Promise<MeasuredRun | MeasuredRun[]>,
): Promise<ClientRun> {
  const before = server.faults.stats();
  const t0 = performance.now();
  const from = Date.now();
  const out = await body();
  const ms = performance.now() - t0;
  const after = server.faults.stats();
  const media = after.log.filter(
    (l) => l.startedAt >= from && (l.bytesIn > 64 * KiB || /\/download$/.test(l.path)),
  );
  const runs = Array.isArray(out) ? out : [out];
  for (const r of runs)
    if (r.code !== 0)
      throw new Error(
        `${id}: ${client} exited with ${r.code}:\n${(r.stderr || r.stdout).slice(-2000)}`,
      );
  if (profile && client === 'cvat-sync') {
    const dir = join(RESULTS_DIR, 'profiles', id.replace('/', '-'));
    console.log(
      `\n${id}: where cvat-sync spent its CPU time (self time, top 12)\n${await summarizeProfiles(dir, 12)}`,
    );
  }
  console.log(`${id}: ${client} ${ms.toFixed(0)} ms`);
  return {
    client,
    ms,
    requests: after.requests - before.requests,
    bytesSent: after.bytesIn - before.bytesIn,
    bytesReceived: after.bytesOut - before.bytesOut,
    peakRssBytes: Math.max(...runs.map((r) => r.peakRssBytes)),
    commands: runs.length,
    mediaMs: unionMs(media.map((l) => [l.startedAt, l.endedAt])),
  };
}

/** Total length of the union of [start, end] intervals. */
function unionMs(intervals: Array<[number, number]>): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of sorted) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

/** The client did the whole job: `n` tasks, every one with all its media; then they go. */
async function expectTasks(id: string, client: string, n: number): Promise<void> {
  const tasks = server.admin.tasks();
  if (tasks.length !== n || tasks.some((t) => t.size === 0))
    throw new Error(
      `${id}: ${client} left ${tasks.length} tasks (${tasks.map((t) => `${t.name}:${t.size}`).join(', ')}), expected ${n} with media`,
    );
  await dropTasks();
}

async function dropTasks(): Promise<void> {
  for (const t of server.admin.tasks()) await api.deleteTask(t.id);
}
