// npm run bench:watch [-- --files 200000 --dirs 2000 --settle 1 --watcher chokidar|directory --keep]
// Builds a tree of tiny files, then measures: a plain recursive readdir+lstat of it, our initial
// scan into the journal (goal <= 3x the plain walk), a no-change rescan, memory per file,
// settling + hashing + planning everything with the OS watcher on, idle CPU, and the latency
// from writing a new file to its batch being planned, minus the settle window (goal <= 1 s).
// Without --watcher it builds the tree once and runs each watcher in its own process (RSS never
// shrinks, so one run would colour the other), then prints them side by side.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { FolderSync } from '../../main/engine/folders/folder-sync.js';
import { Journal } from '../../main/journal/journal.js';
import { openJournal } from '../../main/journal/database.js';
import { FileRepo } from '../../main/journal/file-repo.js';
import { FolderRepo } from '../../main/journal/folder-repo.js';
import { systemClock } from '../../main/service/system-clock.js';
import { compileFilter } from '../../main/watch/filter.js';
import { DirectoryWatcher } from '../../main/watch/directory-watcher.js';
import type { WatcherFactory } from '../../main/watch/folder-watcher.js';
import { chokidarWatcherFactory } from '../../main/watch/folder-watcher.js';
import { nodeFileSystem } from '../../main/fs/node-file-system.js';
import { Scanner } from '../../main/watch/scanner.js';
import { jpegWithTag } from '../cvat-server/fixture-media.js';
import type { WatcherKind } from '../../main/watch/watcher-choice.js';
import { BenchReport } from './lib/results.js';

function textArg(name: string): string | null {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? null) : null;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const FILES = arg('files', 200_000);
const DIRS = arg('dirs', Math.max(1, Math.round(FILES / 100)));
const SETTLE_S = arg('settle', 1);
const KEEP = process.argv.includes('--keep');
const WATCHER = textArg('watcher') as WatcherKind | null;
const ROOT = textArg('root');
const TOPS = Math.max(1, Math.min(20, DIRS));

// `npm run bench:watch` cannot pass --expose-gc; this enables it at run time so that memory is
// measured after a full collection, not with whatever garbage V8 had not swept yet.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MB`;
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function buildTree(root: string): void {
  const leaves = leavesOf();
  for (const rel of leaves) mkdirSync(join(root, rel), { recursive: true });
  for (let i = 0; i < FILES; i++) {
    const rel = leaves[i % DIRS] as string;
    writeFileSync(
      join(root, rel, `img${String(i).padStart(7, '0')}.jpg`),
      jpegWithTag(`file ${i}`),
    );
  }
}

async function plainWalk(dir: string): Promise<number> {
  let n = 0;
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries.filter((e) => e.isFile());
  for (let i = 0; i < files.length; i += 128) {
    await Promise.all(files.slice(i, i + 128).map((e) => lstat(join(dir, e.name))));
  }
  n += files.length;
  for (const e of entries) if (e.isDirectory()) n += await plainWalk(join(dir, e.name));
  return n;
}

interface Summary {
  watcher: WatcherKind;
  rssPerFile: number;
  peakRssPerFile: number;
  watchedDirs: number | null;
  idleCpuPct: number;
  latencyAvgMs: number;
  latencyMaxMs: number;
  passMs: number;
}

function leavesOf(): string[] {
  return Array.from(
    { length: DIRS },
    (_v, d) => `top${String(d % TOPS).padStart(2, '0')}/dir${String(d).padStart(5, '0')}`,
  );
}

/** One watcher's run over an existing tree, in this process. */
async function measure(kind: WatcherKind, root: string): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'cvat-sync-bench-watch-journal-'));
  const leaves = leavesOf();
  const rows: Array<[string, string, string]> = [];
  let summary: Summary;
  try {
    let t = performance.now();
    const walked = await plainWalk(root);
    const plainMs = performance.now() - t;
    rows.push(['plain readdir+lstat walk', sec(plainMs), `${walked} files`]);

    const db = openJournal(join(base, 'journal.sqlite'));
    const folders = new FolderRepo(db, systemClock);
    const folder = folders.insert(
      {
        path: root,
        target: { kind: 'labels', labels: [{ name: 'car' }] },
        split: { kind: 'subfolder' },
        include: [],
        exclude: [],
        settleSeconds: SETTLE_S,
        polling: false,
        taskOptions: { imageQuality: 70 },
      },
      { server: 'http://127.0.0.1:9' },
    );
    const files = new FileRepo(db);
    const scanner = new Scanner(files, nodeFileSystem, systemClock);
    const target = { folderId: folder.id, root, filter: compileFilter(folder.rule) };
    gc();
    const rssBefore = process.memoryUsage().rss;
    const heapBefore = process.memoryUsage().heapUsed;
    let peakRss = rssBefore;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    t = performance.now();
    const first = await scanner.scanFull(target);
    const scanMs = performance.now() - t;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    gc();
    const heapAfter = process.memoryUsage().heapUsed;
    if (first.status !== 'ok') throw new Error(`scan failed: ${first.why}`);
    rows.push([
      'initial scan into the journal',
      sec(scanMs),
      `${(scanMs / plainMs).toFixed(2)}x the plain walk (goal <= 3x)`,
    ]);
    rows.push([
      '  peak RSS growth during the scan',
      mb(peakRss - rssBefore),
      `${((peakRss - rssBefore) / FILES).toFixed(0)} B/file (goal well under 1024)`,
    ]);
    rows.push([
      '  heap growth after the scan',
      mb(heapAfter - heapBefore),
      `${((heapAfter - heapBefore) / FILES).toFixed(0)} B/file`,
    ]);

    t = performance.now();
    const again = await scanner.scanFull(target);
    rows.push([
      'rescan, nothing changed',
      sec(performance.now() - t),
      `${again.status === 'ok' ? again.writes : '?'} writes`,
    ]);

    let directory: DirectoryWatcher | null = null;
    const factory: WatcherFactory =
      kind === 'directory' ? (o) => (directory = new DirectoryWatcher(o)) : chokidarWatcherFactory;
    const sync = new FolderSync({
      journal: new Journal(db, systemClock),
      clock: systemClock,
      watcherFactory: factory,
      fullScanIntervalMs: 3_600_000,
    });
    const plannedAt = new Map<string, number>();
    let batches = 0;
    sync.events.on('planned', (e) => {
      for (const b of e.batches) plannedAt.set(b.name, performance.now());
      batches += e.batches.length;
    });
    const allPlanned = new Promise<void>((resolve) => {
      const off = sync.events.on('planned', () => {
        if (
          files.counts(folder.id).pending > 0 &&
          !files.hasCandidates(folder.id) &&
          files.oldestSettling(folder.id) === null
        ) {
          off();
          resolve();
        }
      });
    });
    let passPeak = process.memoryUsage().rss;
    const passSampler = setInterval(
      () => (passPeak = Math.max(passPeak, process.memoryUsage().rss)),
      20,
    );
    t = performance.now();
    await sync.start();
    await allPlanned;
    const settleMs = performance.now() - t;
    clearInterval(passSampler);
    rows.push([
      `start (${kind} watcher) + settle + hash + plan (${SETTLE_S} s window)`,
      sec(settleMs),
      `${batches} batches planned`,
    ]);
    gc();
    const mem = process.memoryUsage();
    const watched = (directory as DirectoryWatcher | null)?.watchedDirs.length ?? null;
    rows.push([
      '  peak RSS growth over the pre-scan base',
      mb(passPeak - rssBefore),
      `${((passPeak - rssBefore) / FILES).toFixed(0)} B/file${watched === null ? '' : `; ${watched} directories watched`}`,
    ]);
    rows.push([
      '  after a GC: RSS / heap',
      `${mb(mem.rss)} / ${mb(mem.heapUsed)}`,
      `${((mem.rss - rssBefore) / FILES).toFixed(0)} B/file RSS, ${((mem.heapUsed - heapBefore) / FILES).toFixed(0)} B/file heap over the pre-scan base; external ${mb(mem.external)}, V8 heap committed ${mb(mem.heapTotal)}`,
    ]);

    const cpuBefore = process.cpuUsage();
    const idleFrom = performance.now();
    await new Promise((r) => setTimeout(r, 3000));
    const cpu = process.cpuUsage(cpuBefore);
    const idleCpuPct = ((cpu.user + cpu.system) / 1000 / (performance.now() - idleFrom)) * 100;
    rows.push(['idle CPU after the scan', `${idleCpuPct.toFixed(1)} %`, 'over 3 s']);

    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const dir = leaves[(i * 37) % leaves.length] as string;
      const top = dir.split('/')[0] as string;
      const before = batches;
      const written = performance.now();
      writeFileSync(join(root, dir, `new-${kind}-${i}.jpg`), jpegWithTag(`new ${i} ${written}`));
      for (let w = 0; w < 400 && batches === before; w++)
        await new Promise((r) => setTimeout(r, 25));
      const at = [...plannedAt.entries()]
        .filter(([name]) => name.includes(top))
        .map(([, when]) => when)
        .sort((a, b) => b - a)[0];
      if (batches === before || at === undefined)
        throw new Error(`new file ${i} was not planned within 10 s`);
      latencies.push(at - written - SETTLE_S * 1000);
    }
    rows.push([
      'new file -> planned, minus the settle window',
      sec(latencies.reduce((a, b) => a + b, 0) / latencies.length),
      `avg of 5; max ${sec(Math.max(...latencies))} (goal <= 1 s)`,
    ]);
    await sync.stop();
    db.close();
    summary = {
      watcher: kind,
      rssPerFile: (mem.rss - rssBefore) / FILES,
      peakRssPerFile: (passPeak - rssBefore) / FILES,
      watchedDirs: watched,
      idleCpuPct,
      latencyAvgMs: latencies.reduce((a, b) => a + b, 0) / latencies.length,
      latencyMaxMs: Math.max(...latencies),
      passMs: settleMs,
    };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  printTable(
    `watch benchmark, ${kind} watcher: ${FILES} files in ${DIRS} folders (Node ${process.version}, ${process.platform})`,
    rows,
  );
  console.log(`RESULT ${JSON.stringify(summary)}`);
}

function printTable(title: string, rows: Array<[string, string, string]>): void {
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log(`\n${title}`);
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
}

/** Builds the tree once, then runs each watcher in a child process and compares them. */
async function compare(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'cvat-sync-bench-watch-'));
  const root = join(base, 'media');
  const results: Summary[] = [];
  try {
    console.log(`building ${FILES} files in ${DIRS} folders under ${root} …`);
    const t = performance.now();
    buildTree(root);
    console.log(`built in ${sec(performance.now() - t)}`);
    const self = fileURLToPath(import.meta.url);
    for (const kind of ['chokidar', 'directory'] as const) {
      const run = spawnSync(
        process.execPath,
        ['--import', 'tsx', self, ...process.argv.slice(2), '--root', root, '--watcher', kind],
        { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 24 },
      );
      const out = run.stdout ?? '';
      process.stdout.write(out.replace(/^RESULT .*$/m, ''));
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (run.status !== 0 || !line) throw new Error(`${kind} run failed (${run.status})`);
      results.push(JSON.parse(line.slice('RESULT '.length)) as Summary);
    }
  } finally {
    if (!KEEP) rmSync(base, { recursive: true, force: true });
  }
  const row = (r: Summary): [string, string, string] => [
    `${r.watcher}${r.watchedDirs === null ? '' : ` (${r.watchedDirs} dirs watched)`}`,
    `${r.rssPerFile.toFixed(0)} B/file (peak ${r.peakRssPerFile.toFixed(0)})`,
    `first pass ${sec(r.passMs)}, new file ${sec(r.latencyAvgMs)} avg / ${sec(r.latencyMaxMs)} max after settle, idle CPU ${r.idleCpuPct.toFixed(1)} %`,
  ];
  printTable(
    `before/after: RSS over the pre-scan base after the whole first pass with the OS watcher on (${FILES} files, ${DIRS} folders; goals: well under 1024 B/file, <= 1 s)`,
    results.map(row),
  );
  const report = new BenchReport('watch', 'folder watching and planning', {
    files: FILES,
    dirs: DIRS,
  });
  for (const r of results) {
    const [, value, details] = row(r);
    report.goal(
      `${r.watcher} watcher: RSS per file after the first pass`,
      r.rssPerFile,
      'B',
      { max: 1024 },
      `${value}; ${details}`,
      { ...r },
    );
    report.goal(
      `${r.watcher} watcher: new file -> planned, max after settle`,
      r.latencyMaxMs,
      'ms',
      { max: 1000 },
      details,
    );
  }
  console.log(`\nfigures: ${report.write()}`);
}

function main(): Promise<void> {
  if (WATCHER && ROOT) return measure(WATCHER, ROOT);
  if (WATCHER) {
    // One watcher only: build, measure, clean up, in this process.
    const base = mkdtempSync(join(tmpdir(), 'cvat-sync-bench-watch-'));
    const root = join(base, 'media');
    console.log(`building ${FILES} files in ${DIRS} folders under ${root} …`);
    buildTree(root);
    return measure(WATCHER, root).finally(() => {
      if (!KEEP) rmSync(base, { recursive: true, force: true });
    });
  }
  return compare();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
