// The engine against servers behaving as CVAT releases do where the protocol has traps: 2.50
// requires image_quality in every Upload-Multiple and answers 500 for a finished upload;
// Django MIME-encodes Upload-Filename. Each test counts the tasks the engine created: a trap
// that is not handled shows up as tasks created and deleted over and over.
import { afterEach, describe, expect, it } from 'vitest';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import type { CvatAuth } from '../../../main/cvat/api.js';
import type { UploadEngineOptions } from '../../../main/engine/upload/upload-engine.js';
import type { NewBatchFile } from '../../../main/journal/batch-repo.js';
import { CvatClient } from '../../../main/cvat/client.js';
import { systemClock } from '../../../main/service/system-clock.js';
import {
  expectExactlyOnce,
  makeClient,
  plan,
  waitFor,
  workspace,
  writeImage,
  writeVideo,
} from './helpers.js';
import type { Workspace } from './helpers.js';

let server: CvatTestServer | null = null;
let ws: Workspace | null = null;

afterEach(async () => {
  await ws?.cleanup();
  await server?.close();
  ws = null;
  server = null;
});

async function setUp(
  version: string,
  opts: Partial<UploadEngineOptions> = {},
): Promise<{ s: CvatTestServer; w: Workspace }> {
  const s = await startCvatServer({ version, seed: 9, processingDelayMs: 10 });
  const auth: CvatAuth =
    Number(version.split('.')[1]) >= 48
      ? { kind: 'token', token: s.users.alice.token }
      : { kind: 'key', key: s.users.alice.key };
  const w = workspace(s, { api: makeClient(s.url, auth), ...opts });
  server = s;
  ws = w;
  return { s, w };
}

/** Resolves when the engine is idle; rejects with what it was doing after `ms`. */
async function idleWithin(w: Workspace, s: CvatTestServer, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`not idle after ${ms} ms: ${taskCreations(s)} tasks created`)),
      ms,
    );
  });
  try {
    await Promise.race([w.engine.idle(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function taskCreations(s: CvatTestServer): number {
  return s.faults
    .stats()
    .log.filter((l) => l.method === 'POST' && l.path === '/api/tasks' && l.status === 201).length;
}

function taskDeletions(s: CvatTestServer): number {
  return s.faults.stats().log.filter((l) => l.method === 'DELETE').length;
}

const NAMES = [
  '夜间录像-Запись',
  'Запись с камеры',
  '🎥 clip 🚗',
  'cafe\u0301 Ёлка\u0308'.normalize('NFD'),
  'caf\u00e9',
];

describe('CVAT 2.50', () => {
  it('a folder of images and a video syncs: every Upload-Multiple carries image_quality', async () => {
    const { s, w } = await setUp('2.50.0', { bulkBatchFiles: 5 });
    const imgs: NewBatchFile[] = Array.from({ length: 12 }, (_, i) =>
      writeImage(w, `cams/img_${String(i).padStart(2, '0')}.png`, i + 1),
    );
    const a = w.engine.batches.insertPlanned(plan('cams', imgs));
    const v = w.engine.batches.insertPlanned(plan('clip', [writeVideo(w, 'clip.mp4', 400_000)]));
    w.engine.start();
    await idleWithin(w, s, 20_000);
    expectExactlyOnce(s, w.engine, [a, v]);
    expect(taskCreations(s)).toBe(2);
    expect(taskDeletions(s)).toBe(0);
    const bulk = s.faults
      .stats()
      .log.filter((l) => l.method === 'POST' && /\/data\/?$/.test(l.path) && l.status === 200);
    expect(bulk.length).toBe(3); // 12 images, 5 per Upload-Multiple, each accepted
  });

  it('the answer to the last chunk is lost (as a kill right after it): one restart, then done', async () => {
    // One chunk holds the whole file: its PATCH is the last one.
    const { s, w } = await setUp('2.50.0', { chunkSize: 1024 * 1024 });
    const v = w.engine.batches.insertPlanned(plan('last', [writeVideo(w, 'last.mp4', 300_000)]));
    s.faults.failNext({ kind: 'reset-response', method: 'PATCH', path: '/data/', afterBytes: 0 });
    w.engine.start();
    await idleWithin(w, s, 20_000);
    expectExactlyOnce(s, w.engine, [v]);
    // The 500 on HEAD reads as "finished or unknown": the task is replaced once.
    expect(taskCreations(s)).toBe(2);
    expect(taskDeletions(s)).toBe(1);
    const heads = s.faults.stats().log.filter((l) => l.method === 'HEAD');
    expect(heads.map((h) => h.status)).toEqual([500]);
  });
});

describe('CVAT 2.50: the app stops right after the last chunk reached the server', () => {
  it('the next run resumes, reads the 500 on HEAD as gone, replaces the task once and finishes', async () => {
    const { s, w } = await setUp('2.50.0', { chunkSize: 1024 * 1024 });
    // The first run never retries on its own (its retry waits a minute): it is stopped first.
    const patient = new CvatClient({
      server: s.url,
      auth: { kind: 'token', token: s.users.alice.token },
      clock: systemClock,
      timeoutMs: 15_000,
      tusRetryDelays: [60_000],
    });
    w.newEngine({ api: patient, chunkSize: 1024 * 1024 });
    const v = w.engine.batches.insertPlanned(plan('kill', [writeVideo(w, 'kill.mp4', 300_000)]));
    s.faults.failNext({ kind: 'reset-response', method: 'PATCH', path: '/data/', afterBytes: 0 });
    w.engine.start();
    const patched = () =>
      s.faults.stats().log.some((l) => l.method === 'PATCH' && l.path.includes('/data/'));
    await waitFor(patched, 20_000, 'the last chunk on the server');
    await w.engine.stop();
    // The journal knows the Location but not the final offset: the same as after a kill.
    expect(s.admin.uploads()).toEqual([]);
    expect(taskCreations(s)).toBe(1);
    w.newEngine({ chunkSize: 1024 * 1024 });
    w.engine.start();
    await idleWithin(w, s, 20_000);
    expectExactlyOnce(s, w.engine, [v]);
    expect(taskCreations(s)).toBe(2);
    expect(taskDeletions(s)).toBe(1);
    expect(
      s.faults
        .stats()
        .log.filter((l) => l.method === 'HEAD')
        .map((h) => h.status),
    ).toEqual([500]);
  });
});

describe.each(['2.35.0', '2.50.0', '2.73.0'])('CVAT %s: names outside Latin-1', (version) => {
  it('TUS and bulk batches with CJK, Cyrillic, emoji, NFC and NFD names: one task each, no churn', async () => {
    const { s, w } = await setUp(version);
    const ids = NAMES.map((n, i) =>
      w.engine.batches.insertPlanned(
        plan(`video ${i}`, [writeVideo(w, `v${i}/${n}.mp4`, 270_000 + i)]),
      ),
    );
    const bulk = NAMES.map((n, i) => writeImage(w, `imgs/${n}.png`, 40 + i));
    ids.push(w.engine.batches.insertPlanned(plan('images', bulk)));
    w.engine.start();
    await idleWithin(w, s, 30_000);
    expectExactlyOnce(s, w.engine, ids);
    expect(taskCreations(s)).toBe(ids.length);
    expect(taskDeletions(s)).toBe(0);
  });
});
