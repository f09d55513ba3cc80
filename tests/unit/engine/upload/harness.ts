// A journal in a temp dir, real files on disk, a fake CVAT and a fake clock.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../../../main/core/clock.js';
import { openJournal } from '../../../../main/journal/database.js';
import type { Db } from '../../../../main/journal/database.js';
import type { NewBatchFile } from '../../../../main/journal/batch-repo.js';
import { UploadEngine } from '../../../../main/engine/upload/upload-engine.js';
import type { UploadEngineOptions } from '../../../../main/engine/upload/upload-engine.js';
import type { NewUploadBatch } from '../../../../main/engine/upload/types.js';
import { FakeCvat } from '../fake-cvat.js';
import { Journal } from '../../../../main/journal/journal.js';

export interface Harness {
  dir: string;
  db: Db;
  clock: FakeClock;
  cvat: FakeCvat;
  engine: UploadEngine;
  /** Stops the engine as a crash would leave it (in-flight calls abandoned) and starts a new one. */
  restart(overrides?: Partial<UploadEngineOptions>): Promise<UploadEngine>;
  file(name: string, size: number): NewBatchFile;
  batch(name: string, files: NewBatchFile[], extra?: Partial<NewUploadBatch>): number;
  close(): Promise<void>;
}

export const SMALL = {
  chunkSize: 1000,
  bulkThreshold: 4000,
  bulkBatchBytes: 6000,
  bulkBatchFiles: 3,
};

export function makeHarness(overrides: Partial<UploadEngineOptions> = {}): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'engine-upload-'));
  mkdirSync(join(dir, 'media'));
  const db = openJournal(join(dir, 'journal.db'));
  // A test that shares the clock with another engine passes its own.
  const clock = overrides.clock instanceof FakeClock ? overrides.clock : new FakeClock();
  const cvat = new FakeCvat();
  let seed = 1;
  const random = (): number => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const build = (o: Partial<UploadEngineOptions>): UploadEngine =>
    new UploadEngine({
      journal: new Journal(db, clock),
      api: cvat,
      clock,
      random,
      pollMs: 60_000,
      ...SMALL,
      ...overrides,
      ...o,
      // Fresh starts at once unless a test is about their spacing.
      restartPolicy: { baseDelayMs: 0, ...overrides.restartPolicy, ...o.restartPolicy },
    });
  const h: Harness = {
    dir,
    db,
    clock,
    cvat,
    engine: build({}),
    async restart(o = {}) {
      await h.engine.stop();
      h.engine = build(o);
      h.engine.start();
      return h.engine;
    },
    file(name, size) {
      const abs = join(dir, 'media', name.replace(/\//g, '__'));
      const bytes = randomBytes(size);
      writeFileSync(abs, bytes);
      const mtimeMs = statSync(abs).mtimeMs;
      return {
        fileId: null,
        absPath: abs,
        relPath: name,
        name: name.slice(name.lastIndexOf('/') + 1),
        size,
        mtimeMs,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      };
    },
    batch(name, files, extra = {}) {
      return h.engine.batches.insertPlanned({
        folderId: 1,
        key: `test:${name}`,
        name,
        task: { labels: [{ name: 'car' }] },
        data: { image_quality: 70 },
        files,
        ...extra,
      });
    },
    async close() {
      await h.engine.stop();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
