// THE crash test: the engine runs as a child process and is SIGKILLed at ≥ 25 seeded random
// instants during a mixed upload (hundreds of small images over several tasks, two 200 MB
// videos), restarted each time, then allowed to finish. The server must end up with every file
// exactly once and byte-identical, no extra task, and no task without media.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ActivityRepo } from '../../../main/journal/activity-repo.js';
import { DiscardRepo } from '../../../main/journal/discard-repo.js';
import { openJournal } from '../../../main/journal/database.js';
import { UploadRepo } from '../../../main/journal/upload-repo.js';
import { BatchRepo } from '../../../main/journal/batch-repo.js';
import { systemClock } from '../../../main/service/system-clock.js';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import type { NewUploadBatch } from '../../../main/engine/upload/types.js';
import { plan, seeded, writeImage, writeVideo } from './helpers.js';

const RUNNER = join(dirname(fileURLToPath(import.meta.url)), 'crash-runner.ts');
const KILLS = 25;
const IMAGE_BATCHES = 6;
const IMAGES_PER_BATCH = 60;
const VIDEO_BYTES = 200 * 1024 * 1024;
// Per request, on the server: slow enough that the kills land while the videos are on their way.
const SERVER_BANDWIDTH = 12 * 1024 * 1024;

let server: CvatTestServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'crash-test-'));
  server = await startCvatServer({ seed: 17, processingDelayMs: 50, dataDir: join(dir, 'server') });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  ready: Promise<void>;
  kill(): void;
}

function runChild(planPath: string, dataDir: string, seed: number): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', RUNNER], {
    env: {
      ...process.env,
      CRASH_SERVER_URL: server.url,
      CRASH_TOKEN: server.users.alice.token,
      CRASH_DATA_DIR: dataDir,
      CRASH_PLAN: planPath,
      CRASH_SEED: String(seed),
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
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stderr: string;
  }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { exited, ready, kill: () => child.kill('SIGKILL') };
}

it(`survives SIGKILL at ${KILLS} random instants and ends with every file exactly once`, async () => {
  const media = join(dir, 'media');
  const data = join(dir, 'engine');
  const ws = { media };
  const plans: NewUploadBatch[] = [];
  let seed = 1;
  for (let b = 0; b < IMAGE_BATCHES; b++) {
    const files = Array.from({ length: IMAGES_PER_BATCH }, (_, i) =>
      writeImage(ws, `set${b}/frame_${String(i).padStart(4, '0')}.png`, seed++),
    );
    plans.push(plan(`crash/set${b}`, files));
  }
  for (let v = 0; v < 2; v++)
    plans.push(plan(`crash/video${v}`, [writeVideo(ws, `videos/take${v}.mp4`, VIDEO_BYTES)]));
  const planPath = join(dir, 'plan.json');
  writeFileSync(planPath, JSON.stringify(plans));
  server.faults.set({ bandwidthBytesPerSec: SERVER_BANDWIDTH });

  const random = seeded(20_261_129);
  let kills = 0;
  let runs = 0;
  let startupMs = 1000;
  mkdirSync(data, { recursive: true });
  while (kills < KILLS) {
    runs++;
    const spawnedAt = performance.now();
    const run = runChild(planPath, data, runs);
    void run.ready.then(() => (startupMs = performance.now() - spawnedAt));
    // One kill in five lands during start-up (module loading, journal open, recovery); the
    // rest while the engine works.
    const early = random() < 0.2;
    if (!early) await Promise.race([run.ready, run.exited]);
    const delay = early ? random() * startupMs : random() * 700;
    const outcome = await Promise.race([run.exited, systemClock.sleep(delay).then(() => null)]);
    if (outcome !== null) {
      throw new Error(
        `the engine ended before kill ${kills + 1} (code ${outcome.code}): ${outcome.stderr.slice(-2000)}`,
      );
    }
    run.kill();
    const end = await run.exited;
    expect(end.signal).toBe('SIGKILL');
    kills++;
  }
  const killed = server.faults.stats();
  server.faults.clear();
  const last = runChild(planPath, data, runs + 1);
  const end = await last.exited;
  expect(end.code, end.stderr.slice(-4000)).toBe(0);

  // The server: each batch's task holds exactly its files, byte-identical; nothing else.
  const db = openJournal(join(data, 'journal.db'));
  try {
    const batches = new BatchRepo(db, systemClock);
    const rows = batches.list();
    expect(rows).toHaveLength(plans.length);
    const tasks = server.admin.tasks();
    expect(tasks.map((t) => t.id).sort((a, b) => a - b)).toEqual(
      rows.map((b) => b.taskId ?? -1).sort((a, b) => a - b),
    );
    for (const t of tasks) expect(t.size, `task ${t.id} has media`).toBeGreaterThan(0);
    const planned = new Map(plans.map((p) => [p.name, p.files]));
    for (const b of rows) {
      expect(b.state).toBe('done');
      const stored = server.admin.taskFiles(b.taskId ?? -1);
      const want = planned.get(b.name) ?? [];
      expect(stored.map((f) => f.name).sort()).toEqual(want.map((f) => f.name).sort());
      const sha = new Map(stored.map((f) => [f.name, f.sha256]));
      for (const f of want) expect(sha.get(f.name), `${b.name}/${f.name}`).toBe(f.sha256);
    }
    expect(new DiscardRepo(db, systemClock).list()).toEqual([]);
    // No upload left half-done in a task we kept.
    const kept = new Set(rows.map((b) => b.taskId));
    expect(
      server.admin.uploads().filter((u) => u.taskId !== undefined && kept.has(u.taskId)),
    ).toEqual([]);
    const resumed = rows
      .flatMap((b) => batches.files(b.id))
      .filter((f) => new UploadRepo(db, systemClock).tus(f.id) !== undefined);
    expect(resumed).toHaveLength(2);
    const kinds: Record<string, number> = {};
    for (const a of new ActivityRepo(db).list({ limit: 1000 }))
      kinds[a.kind] = (kinds[a.kind] ?? 0) + 1;
    console.log('crash test activity', kinds);
  } finally {
    db.close();
  }
  expect(kills).toBeGreaterThanOrEqual(KILLS);
  // The kills hit the interesting places: TUS uploads were resumed (HEAD) mid-file.
  const heads = killed.log.filter((l) => l.method === 'HEAD').length;
  console.log('crash test', {
    kills,
    heads,
    patches: killed.log.filter((l) => l.method === 'PATCH').length,
  });
  expect(heads).toBeGreaterThan(0);
}, 300_000);
