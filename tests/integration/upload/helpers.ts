// Shared set-up of the upload engine's integration tests: a CVAT test server, a journal in a
// temp dir, media files on disk and the invariant every test ends with.
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { UploadEngine } from '../../../main/engine/upload/upload-engine.js';
import type { UploadEngineOptions } from '../../../main/engine/upload/upload-engine.js';
import type { NewBatchFile } from '../../../main/journal/batch-repo.js';
import { openJournal } from '../../../main/journal/database.js';
import type { Db } from '../../../main/journal/database.js';
import { systemClock } from '../../../main/service/system-clock.js';
import { makePng } from '../../cvat-server/index.js';
import { FAST_BACKOFF, makeClient, seeded, tokenAuth } from './client-setup.js';
import { writeMedia } from './media-files.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { Journal } from '../../../main/journal/journal.js';

export interface Workspace {
  dir: string;
  media: string;
  db: Db;
  engine: UploadEngine;
  newEngine(opts?: Partial<UploadEngineOptions>): UploadEngine;
  cleanup(): Promise<void>;
}

export function workspace(
  server: CvatTestServer,
  opts: Partial<UploadEngineOptions> = {},
): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'upload-it-'));
  const media = join(dir, 'media');
  mkdirSync(media);
  const db = openJournal(join(dir, 'journal.db'));
  const build = (o: Partial<UploadEngineOptions> = {}): UploadEngine =>
    new UploadEngine({
      journal: new Journal(db, systemClock),
      api: makeClient(server.url, tokenAuth(server)),
      clock: systemClock,
      random: seeded(11),
      backoff: FAST_BACKOFF,
      chunkSize: 64 * 1024,
      bulkThreshold: 256 * 1024,
      bulkBatchBytes: 200 * 1024,
      bulkBatchFiles: 20,
      pollMs: 200,
      ...opts,
      ...o,
    });
  const ws: Workspace = {
    dir,
    media,
    db,
    engine: build(),
    newEngine(o = {}) {
      ws.engine = build(o);
      return ws.engine;
    },
    async cleanup() {
      await ws.engine.stop();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return ws;
}

/** A valid PNG (the server decodes headers) under `media/<rel>`. */
export function writeImage(ws: { media: string }, rel: string, seed: number): NewBatchFile {
  const bytes = makePng(8 + (seed % 13), 8 + (seed % 7), seed);
  return writeMedia(ws.media, rel, bytes);
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * The promise of the product, checked on the server: every batch done, each in its own task,
 * every planned file there exactly once and byte-identical, no other task, no task without media.
 */
export function expectExactlyOnce(
  server: CvatTestServer,
  engine: UploadEngine,
  batchIds: number[],
): void {
  const tasks = server.admin.tasks();
  const seen = new Set<number>();
  for (const id of batchIds) {
    const b = engine.batches.get(id);
    expect(b?.state, `batch ${id}: ${JSON.stringify(b?.lastError)}`).toBe('done');
    const taskId = b?.taskId ?? -1;
    expect(seen.has(taskId)).toBe(false);
    seen.add(taskId);
    const files = server.admin.taskFiles(taskId);
    const planned = engine.batches.files(id).filter((f) => f.state !== 'skipped');
    expect(files.map((f) => f.name).sort()).toEqual(planned.map((f) => f.uploadName).sort());
    const byName = new Map(files.map((f) => [f.name, f]));
    for (const f of planned) expect(byName.get(f.uploadName)?.sha256, f.relPath).toBe(f.sha256);
  }
  expect(tasks.map((t) => t.id).sort((a, b) => a - b)).toEqual([...seen].sort((a, b) => a - b));
  for (const t of tasks) expect(t.size, `task ${t.id} has media`).toBeGreaterThan(0);
}

/** Resolves when `cond` holds, polling; fails after `ms`. */
export async function waitFor(cond: () => boolean, ms = 30_000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export { FAST_BACKOFF, makeClient, seeded, tokenAuth };
export { plan, writeMedia, writeVideo } from './media-files.js';
