// The main user flow at every CVAT version the client branches on (main/cvat/version.ts): a folder
// becomes tasks (images in Upload-Multiple requests, a video by TUS), creation is polled, a
// dataset is exported and downloaded, a backup is downloaded and restored, and annotations are
// imported. Servers before 2.48 have no personal access tokens: the login key or Basic auth.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import type { FolderRule } from '../../preload/contract.js';
import type { CvatAuth } from '../../main/cvat/api.js';
import { CvatClient } from '../../main/cvat/client.js';
import { FolderSync } from '../../main/engine/folders/folder-sync.js';
import { ResultsEngine } from '../../main/engine/results/results-engine.js';
import { UploadEngine } from '../../main/engine/upload/upload-engine.js';
import { BatchRepo } from '../../main/journal/batch-repo.js';
import { openJournal } from '../../main/journal/database.js';
import type { Db } from '../../main/journal/database.js';
import { FolderRepo } from '../../main/journal/folder-repo.js';
import { systemClock } from '../../main/service/system-clock.js';
import { makePng, randomMp4, startCvatServer } from '../cvat-server/index.js';
import type { CvatTestServer } from '../cvat-server/index.js';
import { Journal } from '../../main/journal/journal.js';

/** Every version a branch of the client (or of the test server) turns on. */
const VERSIONS: Array<[string, 'token' | 'key' | 'basic']> = [
  ['2.15.0', 'key'], // no /api/requests, legacy GET exports, creation via /status
  ['2.20.0', 'basic'], // result_url = old GET URL
  ['2.35.0', 'key'], // Upload-Filename on PATCH, original name at Upload-Finish
  ['2.45.0', 'basic'], // 500 for gone uploads, 100 MiB chunks, no PATs
  ['2.50.0', 'token'], // PATs; still image_quality required, 500, 100 MiB chunks
  ['2.60.0', 'token'], // streamed PATCH, 404 again; image_quality still required
  ['2.73.0', 'token'],
  ['2.80.0', 'token'],
];

const KiB = 1024;
const VIDEO_BYTES = 300 * KiB;
const IMAGES = 5;

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function rule(path: string): FolderRule {
  return {
    path,
    target: { kind: 'labels', labels: [{ name: 'car' }, { name: 'person' }] },
    org: null,
    split: { kind: 'subfolder' },
    nameTemplate: null,
    include: [],
    exclude: [],
    settleSeconds: 0.05,
    maxFileSizeBytes: null,
    polling: false,
    taskOptions: { imageQuality: 70 },
    autoExport: null,
  };
}

async function authFor(s: CvatTestServer, kind: 'token' | 'key' | 'basic'): Promise<CvatAuth> {
  const alice = s.users.alice;
  if (kind === 'token') return { kind: 'token', token: alice.token };
  if (kind === 'basic') return { kind: 'basic', username: 'alice', password: 'alice-pass' };
  // The login key, as `cvat-sync login` gets it.
  const key = await CvatClient.login(s.url, 'alice', 'alice-pass', { clock: systemClock });
  expect(key).toBe(alice.key);
  return { kind: 'key', key };
}

function fastClient(s: CvatTestServer, auth: CvatAuth): CvatClient {
  return new CvatClient({
    server: s.url,
    auth,
    clock: systemClock,
    timeoutMs: 10_000,
    retry: { baseMs: 20, maxMs: 200, jitter: 0.5, maxAttempts: 4 },
    tusRetryDelays: [20, 40, 80],
  });
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe.each(VERSIONS)('CVAT %s (%s auth)', (version, authKind) => {
  it('folder -> tasks (bulk + TUS), export, backup + restore, annotation import', async () => {
    const s = await startCvatServer({ version, seed: 21, processingDelayMs: 5 });
    cleanups.push(() => s.close());
    const dir = mkdtempSync(join(tmpdir(), 'version-matrix-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const db: Db = openJournal(join(dir, 'journal.db'));
    cleanups.push(() => void db.close());
    const client = fastClient(s, await authFor(s, authKind));
    expect((await client.about()).version).toBe(version);

    // 1. A folder: a subfolder of images (one task, bulk) and a video (its own task, TUS).
    const media = join(dir, 'media');
    mkdirSync(join(media, 'cams'), { recursive: true });
    for (let i = 0; i < IMAGES; i++)
      writeFileSync(join(media, 'cams', `img_${i}.png`), makePng(24 + i, 16, i + 1));
    writeFileSync(join(media, 'ride.mp4'), randomMp4(VIDEO_BYTES, randomBytes));
    const folderId = new FolderRepo(db, systemClock).insert(rule(media), {
      server: client.server,
    }).id;
    const sync = new FolderSync({
      journal: new Journal(db, systemClock),
      clock: systemClock,
      watcherFactory: null,
    });
    const report = await sync.syncOnce(folderId);
    await sync.stop();
    expect(report.planned.map((b) => b.media).sort()).toEqual(['images', 'video']);

    // 2. The upload engine turns the batches into tasks and polls their creation.
    const uploads = new UploadEngine({
      journal: new Journal(db, systemClock),
      api: client,
      clock: systemClock,
      random: () => 0.5,
      backoff: { baseMs: 50, maxMs: 400, jitter: 0, maxAttempts: 4 },
      chunkSize: 64 * KiB,
      bulkThreshold: 256 * KiB,
      bulkBatchBytes: 200 * KiB,
      bulkBatchFiles: 3,
      pollMs: 50,
    });
    cleanups.push(() => uploads.stop());
    uploads.start();
    await within(uploads.idle(), 20_000, 'uploads');
    const batches = new BatchRepo(db, systemClock).list({ folderId });
    expect(batches.map((b) => [b.state, b.lastError])).toEqual([
      ['done', null],
      ['done', null],
    ]);
    const tasks = s.admin.tasks();
    expect(tasks).toHaveLength(2);
    const imageBatch = batches.find((b) => b.name.endsWith('cams'));
    const imageTask = imageBatch?.taskId ?? -1;
    expect(imageBatch?.taskSize).toBe(IMAGES);
    const log = s.faults.stats().log;
    const patches = log.filter((l) => l.method === 'PATCH');
    expect(patches.filter((l) => l.path.includes('/data/')).length).toBe(
      Math.ceil(VIDEO_BYTES / (64 * KiB)),
    );
    // The other PATCHes: one rename of each task from its claim to its default name.
    expect(patches.filter((l) => !l.path.includes('/data/')).map((l) => l.status)).toEqual(
      batches.map(() => 200),
    );
    const bulk = log.filter(
      (l) => l.method === 'POST' && /\/data\/?$/.test(l.path) && l.status === 200,
    );
    expect(bulk.length).toBe(Math.ceil(IMAGES / 3));
    const polled = log.filter((l) =>
      version === '2.15.0'
        ? /\/api\/tasks\/\d+\/status$/.test(l.path)
        : l.path.startsWith('/api/requests/'),
    );
    expect(polled.length).toBeGreaterThan(0);
    expect(log.filter((l) => l.method === 'DELETE')).toEqual([]);

    // 3. Results: a dataset with images, a backup restored as a new task, annotations imported.
    const results = new ResultsEngine({
      journal: new Journal(db, systemClock),
      api: client,
      clock: systemClock,
      random: () => 0.5,
      downloadsDir: join(dir, 'downloads'),
      backoff: { baseMs: 50, maxMs: 400, jitter: 0, maxAttempts: 4 },
      poll: { minDelayMs: 10, maxDelayMs: 50 },
      chunkSize: 64 * KiB,
    });
    cleanups.push(() => results.stop());
    results.start();
    const dataset = await within(
      results.waitFor(
        results.exportDataset({
          target: { kind: 'task', id: imageTask },
          format: 'CVAT for images 1.1',
          withImages: true,
        }).id,
      ),
      15_000,
      'dataset export',
    );
    expect([dataset.state, dataset.error]).toEqual(['done', null]);
    const entries = Object.keys(unzipSync(await readFile(dataset.finalPath as string)));
    expect(entries).toContain('annotations.xml');
    expect(entries.filter((e) => e.endsWith('.png'))).toHaveLength(IMAGES);

    const backup = await within(
      results.waitFor(results.backup({ target: { kind: 'task', id: imageTask } }).id),
      15_000,
      'backup',
    );
    expect([backup.state, backup.error]).toEqual(['done', null]);
    const restored = await within(
      results.waitFor(results.restore({ path: backup.finalPath as string }).id),
      15_000,
      'restore',
    );
    expect([restored.state, restored.error]).toEqual(['done', null]);
    const files = (id: number) =>
      s.admin
        .taskFiles(id)
        .map((f) => [f.name, f.sha256])
        .sort();
    expect(restored.resultId).not.toBe(imageTask);
    expect(files(restored.resultId as number)).toEqual(files(imageTask));

    const annotations = await within(
      results.waitFor(
        results.exportDataset({
          target: { kind: 'task', id: imageTask },
          format: 'CVAT for images 1.1',
          withImages: false,
        }).id,
      ),
      15_000,
      'annotations export',
    );
    expect(annotations.state).toBe('done');
    const imported = await within(
      results.waitFor(
        results.importAnnotations({
          taskId: imageTask,
          path: annotations.finalPath as string,
          format: 'CVAT 1.1',
          mode: 'replace',
        }).id,
      ),
      15_000,
      'annotation import',
    );
    expect([imported.state, imported.error]).toEqual(['done', null]);
    if (version === '2.15.0') {
      // No /api/requests: both imports were followed by repeating their request until 201.
      const after = s.faults.stats().log;
      expect(after.some((l) => l.method === 'PUT' && l.status === 201)).toBe(true);
      expect(
        after.some(
          (l) => l.method === 'POST' && l.path === '/api/tasks/backup/' && l.status === 201,
        ),
      ).toBe(true);
    }
  });
});
