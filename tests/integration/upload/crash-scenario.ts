// The crash scenario shared by the crash test (npm test, ≥ 30 kills) and npm run bench:crash
// (200 kills). The engine runs as a child process (crash-runner.ts) and is SIGKILLed at moments
// chosen from what the server sees, spread evenly over the phases of a sync: mid-PATCH, mid-bulk,
// after a bulk answer was sent but before the child could record it, during Upload-Finish,
// during processing, during request polling and during an export (backup) download. Work comes
// in rounds (image batches, a video, then backups of every task) so that every phase keeps
// coming back until the kills are done; then the child runs to the end undisturbed.
// No vitest import: the benchmark runs this as a plain script.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NewUploadBatch } from '../../../main/engine/upload/types.js';
import type { NewBatchFile } from '../../../main/journal/batch-repo.js';
import type { CvatTestServer, WireEvent } from '../../cvat-server/index.js';
import { makePng } from '../../cvat-server/index.js';
import { seeded } from './client-setup.js';
import { plan, writeMedia, writeVideo } from './media-files.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const RUNNER = join(HERE, 'crash-runner.ts');
const REPO = join(HERE, '..', '..', '..');

/**
 * The runner bundled once into plain JavaScript: a child then starts in a fraction of the time
 * tsx needs to compile it on every start, and there are hundreds of starts. It lives under the
 * repo (git-ignored test-artifacts/) so its packages resolve, with the journal's migrations
 * next to it (database.ts finds them beside itself).
 */
async function bundleRunner(): Promise<{ path: string; dispose(): void }> {
  const { build } = await import('esbuild');
  const out = join(REPO, 'test-artifacts', `crash-runner-${process.pid}`);
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [RUNNER],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: join(out, 'runner.mjs'),
    logLevel: 'silent',
  });
  cpSync(join(REPO, 'main', 'journal', 'migrations'), join(out, 'migrations'), { recursive: true });
  return {
    path: join(out, 'runner.mjs'),
    dispose: () => rmSync(out, { recursive: true, force: true }),
  };
}

export const PHASES = [
  'mid-PATCH',
  'mid-bulk',
  'bulk answered, not recorded',
  'Upload-Finish',
  'processing',
  'request polling',
  'export download',
] as const;
export type Phase = (typeof PHASES)[number];

export interface CrashOptions {
  server: CvatTestServer;
  dir: string;
  kills: number;
  seed: number;
  /** Per request, on the server: slow enough that bodies take a while. */
  bandwidth: number;
  chunk: number;
  imagesPerBatch: number;
  imageBatchesPerRound: number;
  videoBytes: number;
  processingDelayMs: number;
  log?: (line: string) => void;
}

export interface CrashReport {
  kills: number;
  byPhase: Record<string, number>;
  rounds: number;
  runs: number;
  plans: NewUploadBatch[];
  fileBytes: number;
  /** Largest request body that can be cut: a TUS chunk or one Upload-Multiple request. */
  largestCut: number;
}

interface Run {
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  ready: Promise<void>;
  kill(): void;
  dead: boolean;
}

function runChild(
  o: CrashOptions,
  runner: string,
  planPath: string,
  dataDir: string,
  seed: number,
): Run {
  const child = spawn(process.execPath, [runner], {
    env: {
      ...process.env,
      CRASH_SERVER_URL: o.server.url,
      CRASH_TOKEN: o.server.users.alice.token,
      CRASH_DATA_DIR: dataDir,
      CRASH_PLAN: planPath,
      CRASH_SEED: String(seed),
      CRASH_CHUNK: String(o.chunk),
      CRASH_BULK_FILES: '25',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<void>((resolve) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) resolve();
    });
  });
  const run: Run = {
    dead: false,
    ready,
    exited: new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        run.dead = true;
        resolve({ code, signal, stderr });
      }),
    ),
    kill: () => {
      if (!run.dead) child.kill('SIGKILL');
    },
  };
  return run;
}

const header = (e: WireEvent, name: string): boolean => e.headers[name] !== undefined;
const isBulk = (e: WireEvent): boolean => e.method === 'POST' && header(e, 'upload-multiple');
const isFinish = (e: WireEvent): boolean => e.method === 'POST' && header(e, 'upload-finish');
/** A TUS chunk (the task's rename to its default name is a PATCH too, of /api/tasks/{id}). */
const isTusPatch = (e: WireEvent): boolean => e.method === 'PATCH' && header(e, 'tus-resumable');
const isPoll = (e: WireEvent): boolean =>
  e.method === 'GET' && /^\/api\/requests\/[^/]+$/.test(e.path);
const isDownload = (e: WireEvent): boolean => e.method === 'GET' && /\/download$/.test(e.path);

/**
 * Arms a kill for each phase in `allowed`; the first that fires kills the child and resolves
 * with its phase. Delayed kills (mid-body) count only when their request is still in flight.
 */
function armKill(
  o: CrashOptions,
  run: Run,
  allowed: Set<Phase>,
  random: () => number,
): { killed: Promise<Phase>; disarm(): void } {
  const inFlight = new Set<number>();
  let done = false;
  let resolveKilled: (p: Phase) => void = () => undefined;
  const killed = new Promise<Phase>((r) => (resolveKilled = r));
  const timers = new Set<NodeJS.Timeout>();
  const fire = (phase: Phase): void => {
    if (done || run.dead) return;
    done = true;
    run.kill();
    off();
    for (const t of timers) clearTimeout(t);
    resolveKilled(phase);
  };
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const bodyMs = (bytes: number): number => (bytes / o.bandwidth) * 1000;
  const off = o.server.faults.observe((e) => {
    if (e.phase === 'request') inFlight.add(e.id);
    else inFlight.delete(e.id);
    if (done) return;
    const length = Number(e.headers['content-length'] ?? 0);
    if (e.phase === 'request') {
      if (allowed.has('mid-PATCH') && isTusPatch(e))
        later(random() * bodyMs(length) * 0.7, () => inFlight.has(e.id) && fire('mid-PATCH'));
      else if (allowed.has('mid-bulk') && isBulk(e))
        later(random() * bodyMs(length) * 0.7, () => inFlight.has(e.id) && fire('mid-bulk'));
      else if (allowed.has('Upload-Finish') && isFinish(e)) fire('Upload-Finish');
      else if (allowed.has('request polling') && isPoll(e)) fire('request polling');
      else if (allowed.has('export download') && isDownload(e))
        later(random() * 150, () => inFlight.has(e.id) && fire('export download'));
    } else if (e.phase === 'answered') {
      if (allowed.has('bulk answered, not recorded') && isBulk(e) && e.status === 200)
        fire('bulk answered, not recorded');
      else if (allowed.has('processing') && isFinish(e) && e.status === 202)
        later(random() * o.processingDelayMs * 0.8, () => fire('processing'));
    }
  });
  return {
    killed,
    disarm: () => {
      done = true;
      off();
      for (const t of timers) clearTimeout(t);
    },
  };
}

function paddedImage(media: string, rel: string, seed: number): NewBatchFile {
  return writeMedia(media, rel, makePng(120, 120, seed));
}

export async function runCrashScenario(o: CrashOptions): Promise<CrashReport> {
  const media = join(o.dir, 'media');
  const data = join(o.dir, 'engine');
  mkdirSync(data, { recursive: true });
  const planPath = join(o.dir, 'plan.json');
  const plans: NewUploadBatch[] = [];
  const random = seeded(o.seed);
  const byPhase: Record<string, number> = Object.fromEntries(PHASES.map((p) => [p, 0]));
  let kills = 0;
  let runs = 0;
  let rounds = 0;
  let seed = 1;
  o.server.faults.set({ bandwidthBytesPerSec: o.bandwidth });
  const addRound = (): void => {
    rounds++;
    for (let b = 0; b < o.imageBatchesPerRound; b++) {
      const files = Array.from({ length: o.imagesPerBatch }, (_, i) =>
        paddedImage(media, `r${rounds}/set${b}/frame_${String(i).padStart(4, '0')}.png`, seed++),
      );
      plans.push(plan(`crash/r${rounds}/set${b}`, files));
    }
    plans.push(
      plan(`crash/r${rounds}/video`, [writeVideo({ media }, `r${rounds}/take.mp4`, o.videoBytes)]),
    );
    writeFileSync(planPath, JSON.stringify(plans));
  };
  addRound();
  const runner = await bundleRunner();
  try {
    while (kills < o.kills) {
      runs++;
      const run = runChild(o, runner.path, planPath, data, runs);
      await Promise.race([run.ready, run.exited]);
      // Only the phases with the fewest kills so far may fire: the kills stay spread evenly.
      const least = Math.min(...PHASES.map((p) => byPhase[p] ?? 0));
      const allowed = new Set(PHASES.filter((p) => (byPhase[p] ?? 0) <= least));
      const armed = armKill(o, run, allowed, random);
      const outcome = await Promise.race([
        armed.killed.then((phase) => ({ phase })),
        run.exited.then((end) => ({ end })),
      ]);
      armed.disarm();
      if ('phase' in outcome) {
        const end = await run.exited;
        if (end.signal !== 'SIGKILL') throw new Error(`child ended ${end.code} instead of SIGKILL`);
        kills++;
        byPhase[outcome.phase] = (byPhase[outcome.phase] ?? 0) + 1;
        o.log?.(`kill ${kills}: ${outcome.phase}`);
        continue;
      }
      if (outcome.end.code !== 0)
        throw new Error(
          `the engine ended with ${outcome.end.code}: ${outcome.end.stderr.slice(-2000)}`,
        );
      // Everything of this round is done without the phase we wait for: more work.
      if (rounds > o.kills + 3)
        throw new Error(`phases never reached: ${JSON.stringify(byPhase)} after ${rounds} rounds`);
      addRound();
    }
    o.server.faults.clear();
    runs++;
    const last = runChild(o, runner.path, planPath, data, runs);
    const end = await last.exited;
    if (end.code !== 0)
      throw new Error(`the final run ended ${end.code}: ${end.stderr.slice(-4000)}`);
  } finally {
    runner.dispose();
  }
  const fileBytes = plans.reduce((s, p) => s + p.files.reduce((t, f) => t + f.size, 0), 0);
  // Bulk requests hold at most 25 files (CRASH_BULK_FILES) of at most this size.
  const largestSmall = Math.max(
    ...plans.flatMap((p) => p.files.filter((f) => f.size <= 256 * 1024).map((f) => f.size)),
  );
  return {
    kills,
    byPhase,
    rounds,
    runs,
    plans,
    fileBytes,
    largestCut: Math.max(o.chunk, 25 * largestSmall),
  };
}
