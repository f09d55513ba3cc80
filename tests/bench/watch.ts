// npm run bench:watch [-- --files 200000 --dirs 2000 --settle 1 --keep]
// Builds a tree of tiny files, then measures: a plain recursive readdir+lstat of it, our initial
// scan into the journal (goal <= 3x the plain walk), a no-change rescan, memory per file,
// settling + hashing + planning everything, and the latency from writing a new file to its
// batch being planned, minus the settle window (goal <= 1 s), with the real chokidar watcher.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FolderSync } from '../../main/engine/planner/folder-sync.js';
import { openJournal } from '../../main/journal/database.js';
import { FileRepo } from '../../main/journal/file-repo.js';
import { FolderRepo } from '../../main/journal/folder-repo.js';
import { systemClock } from '../../main/service/system-clock.js';
import { compileFilter } from '../../main/watch/filter.js';
import { chokidarWatcherFactory } from '../../main/watch/folder-watcher.js';
import { nodeWatchFs } from '../../main/watch/fs-port.js';
import { Scanner } from '../../main/watch/scanner.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const FILES = arg('files', 200_000);
const DIRS = arg('dirs', Math.max(1, Math.round(FILES / 100)));
const SETTLE_S = arg('settle', 1);
const KEEP = process.argv.includes('--keep');
const TOPS = Math.max(1, Math.min(20, DIRS));

// `npm run bench:watch` cannot pass --expose-gc; this enables it at run time so that memory is
// measured after a full collection, not with whatever garbage V8 had not swept yet.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MB`;
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function buildTree(root: string): string[] {
  const leaves: string[] = [];
  for (let d = 0; d < DIRS; d++) {
    const rel = `top${String(d % TOPS).padStart(2, '0')}/dir${String(d).padStart(5, '0')}`;
    mkdirSync(join(root, rel), { recursive: true });
    leaves.push(rel);
  }
  for (let i = 0; i < FILES; i++) {
    const rel = leaves[i % DIRS] as string;
    writeFileSync(join(root, rel, `img${String(i).padStart(7, '0')}.jpg`), `file ${i}`);
  }
  return leaves;
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

async function main(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'cvat-sync-bench-watch-'));
  const root = join(base, 'media');
  const rows: Array<[string, string, string]> = [];
  try {
    console.log(`building ${FILES} files in ${DIRS} folders under ${root} …`);
    let t = performance.now();
    const leaves = buildTree(root);
    console.log(`built in ${sec(performance.now() - t)}`);

    t = performance.now();
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
    const scanner = new Scanner(files, nodeWatchFs, systemClock);
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

    const sync = new FolderSync({
      db,
      clock: systemClock,
      watcherFactory: chokidarWatcherFactory,
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
    t = performance.now();
    await sync.start();
    await allPlanned;
    const settleMs = performance.now() - t;
    rows.push([
      `start + settle + hash + plan (${SETTLE_S} s window)`,
      sec(settleMs),
      `${batches} batches planned`,
    ]);
    gc();
    const mem = process.memoryUsage();
    rows.push([
      '  after a GC: RSS / heap',
      `${mb(mem.rss)} / ${mb(mem.heapUsed)}`,
      `${((mem.rss - rssBefore) / FILES).toFixed(0)} B/file RSS, ${((mem.heapUsed - heapBefore) / FILES).toFixed(0)} B/file heap over the pre-scan base; external ${mb(mem.external)}, V8 heap committed ${mb(mem.heapTotal)}`,
    ]);

    const cpuBefore = process.cpuUsage();
    const idleFrom = performance.now();
    await new Promise((r) => setTimeout(r, 3000));
    const cpu = process.cpuUsage(cpuBefore);
    rows.push([
      'idle CPU after the scan',
      `${(((cpu.user + cpu.system) / 1000 / (performance.now() - idleFrom)) * 100).toFixed(1)} %`,
      'over 3 s',
    ]);

    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const dir = leaves[(i * 37) % leaves.length] as string;
      const top = dir.split('/')[0] as string;
      const before = batches;
      const written = performance.now();
      writeFileSync(join(root, dir, `new-${i}.jpg`), `new ${i} ${written}`);
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
  } finally {
    if (!KEEP) rmSync(base, { recursive: true, force: true });
  }
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log(
    `\nwatch benchmark: ${FILES} files in ${DIRS} folders (Node ${process.version}, ${process.platform})`,
  );
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
