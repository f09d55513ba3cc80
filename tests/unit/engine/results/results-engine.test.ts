import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../main/core/clock.js';
import { SyncError } from '../../../../main/core/errors.js';
import type { ResultsEngineOptions } from '../../../../main/engine/results/results-engine.js';
import { ResultsEngine } from '../../../../main/engine/results/results-engine.js';
import type { FileSystem } from '../../../../main/fs/file-system.js';
import { nodeFileSystem } from '../../../../main/fs/node-file-system.js';
import { ActivityRepo } from '../../../../main/journal/activity-repo.js';
import { TransferRepo } from '../../../../main/journal/download-repo.js';
import { FakeCvat } from '../fake-cvat.js';
import type { TempJournal } from './helpers.js';
import { settle, tempJournal, until } from './helpers.js';
import { Journal } from '../../../../main/journal/journal.js';

let j: TempJournal;
let api: FakeCvat;
let clock: FakeClock;
let engines: ResultsEngine[];
let out: string;
const payload = new Uint8Array(20_000).map((_, i) => (i * 13) % 256);

function makeEngine(over: Partial<ResultsEngineOptions> = {}): ResultsEngine {
  const engine = new ResultsEngine({
    journal: new Journal(j.db, clock),
    api: api.asApi(),
    clock,
    random: () => 0.5,
    downloadsDir: out,
    backoff: { baseMs: 1_000, maxMs: 8_000, jitter: 0, maxAttempts: 4 },
    ...over,
  });
  engines.push(engine);
  return engine;
}

beforeEach(async () => {
  j = await tempJournal();
  out = join(j.dir, 'out');
  api = new FakeCvat();
  api.addTask(1, { updated_date: '2026-02-01T10:00:00.000Z' });
  api.nextResult = { bytes: payload, filename: 'task_1_dataset_coco 1.0.zip' };
  clock = new FakeClock();
  engines = [];
});

afterEach(async () => {
  for (const e of engines) await e.stop();
  await j.cleanup();
});

describe('ResultsEngine exports', () => {
  it('exports, downloads and records the task state it holds', async () => {
    const engine = makeEngine();
    engine.start();
    const row = engine.exportDataset({
      target: { kind: 'task', id: 1 },
      format: 'COCO 1.0',
      withImages: true,
    });
    expect(engine.view(row)).toMatchObject({
      kind: 'download',
      state: 'queued',
      title: 'Task 1 as COCO 1.0 with images',
      taskId: 1,
    });
    const done = await settle(engine, row.id, clock);
    expect(done).toMatchObject({
      state: 'done',
      sourceUpdatedDate: '2026-02-01T10:00:00.000Z',
      bytesDone: 20_000,
      bytesTotal: 20_000,
    });
    expect(done.finalPath).toBe(join(out, 'task_1_dataset_coco 1.0.zip'));
    expect(Buffer.from(await readFile(done.finalPath as string)).equals(Buffer.from(payload))).toBe(
      true,
    );
    expect(api.exportCalls).toEqual([
      { target: { kind: 'task', id: 1 }, format: 'COCO 1.0', saveImages: true },
    ]);
    expect(engine.view(done)).toMatchObject({
      state: 'done',
      destination: done.finalPath,
      error: null,
    });
    const log = new ActivityRepo(j.db).list();
    expect(log[0]).toMatchObject({ level: 'info', kind: 'export', transferId: row.id, taskId: 1 });
  });

  it('continues a reset download with Range after a backoff, and the file is identical', async () => {
    api.breakAfter = [7_000];
    const engine = makeEngine();
    engine.start();
    const row = engine.backup({ target: { kind: 'task', id: 1 } });
    await until(() => engine.get(row.id)?.nextAttemptAt !== null, 'a retry');
    const waiting = engine.get(row.id);
    expect(waiting).toMatchObject({
      state: 'queued',
      attempts: 1,
      error: { code: 'network', retryable: true },
    });
    expect(engine.view(waiting!).state).toBe('waiting-retry');
    const done = await settle(engine, row.id, clock);
    expect(done.state).toBe('done');
    expect(api.downloads.map((d) => [d.resumeFrom, d.status])).toEqual([
      [0, 200],
      [7_000, 206],
    ]);
    expect(Buffer.from(await readFile(done.finalPath as string)).equals(Buffer.from(payload))).toBe(
      true,
    );
  });

  it('requests an expired export again: request gone (404), result gone (400), file lost (404)', async () => {
    api.expireRequests = 1;
    api.expireDownloads = 1;
    api.loseFiles = 1;
    const engine = makeEngine();
    engine.start();
    const row = engine.exportDataset({
      target: { kind: 'task', id: 1 },
      format: 'COCO 1.0',
      withImages: false,
    });
    const done = await settle(engine, row.id, clock);
    expect(done).toMatchObject({ state: 'done', rerequests: 3 });
    expect(api.exportCalls).toHaveLength(4);
    expect(api.downloads.map((d) => d.status)).toEqual([400, 404, 200]);
    expect(await readdir(out)).toEqual(['task_1_dataset_coco 1.0.zip']);
  });

  it('fails on a download refused for another reason, without asking again', async () => {
    api.refuseDownloadsWith =
      'The export result was saved to a cloud storage and cannot be downloaded';
    const engine = makeEngine();
    engine.start();
    const row = engine.exportDataset({
      target: { kind: 'task', id: 1 },
      format: 'COCO 1.0',
      withImages: false,
    });
    const failed = await settle(engine, row.id, clock);
    expect(failed).toMatchObject({ state: 'failed', rerequests: 0, error: { status: 400 } });
    expect(failed.error?.message).toContain('cloud storage');
    expect(api.exportCalls).toHaveLength(1);
  });

  it('gives up after a bounded number of re-requests', async () => {
    api.expireDownloads = 100;
    const engine = makeEngine({ maxRerequests: 2 });
    engine.start();
    const row = engine.exportDataset({
      target: { kind: 'task', id: 1 },
      format: 'COCO 1.0',
      withImages: false,
    });
    const failed = await settle(engine, row.id, clock);
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'expired', kind: 'item' } });
    expect(api.exportCalls).toHaveLength(3);
  });

  it("fails an export with CVAT's message, and retry asks again", async () => {
    api.failExportWith = 'ValueError: the task has no frames';
    const engine = makeEngine();
    engine.start();
    const row = engine.exportDataset({
      target: { kind: 'task', id: 1 },
      format: 'COCO 1.0',
      withImages: false,
    });
    const failed = await settle(engine, row.id, clock);
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'export-failed', kind: 'item', retryable: false });
    expect(failed.error?.message).toContain('ValueError: the task has no frames');
    expect(new ActivityRepo(j.db).list()[0]).toMatchObject({ level: 'error', transferId: row.id });

    api.failExportWith = null;
    engine.retry(row.id);
    expect((await settle(engine, row.id, clock)).state).toBe('done');
    expect(api.exportCalls).toHaveLength(2);
  });

  it('fails an unknown format at once with the server answer', async () => {
    const engine = makeEngine();
    engine.start();
    const row = engine.exportDataset({
      target: { kind: 'task', id: 1 },
      format: 'Unknown 9.9',
      withImages: false,
    });
    const failed = await settle(engine, row.id, clock);
    expect(failed).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: { code: 'bad-request', status: 400 },
    });
    expect(failed.error?.message).toContain('Unknown format');
  });

  it('continues after a crash from the journal row and the .part', async () => {
    api.breakAfter = [9_000];
    const first = makeEngine();
    first.start();
    const row = first.exportDataset({
      target: { kind: 'task', id: 1 },
      format: 'COCO 1.0',
      withImages: false,
    });
    await until(() => first.get(row.id)?.nextAttemptAt !== null, 'the first attempt to break');
    await first.stop();
    // The process died while downloading: the row still says so.
    new TransferRepo(j.db).update(
      row.id,
      { state: 'downloading', nextAttemptAt: null },
      clock.now(),
    );

    const second = makeEngine();
    second.start();
    const done = await settle(second, row.id, clock);
    expect(done.state).toBe('done');
    expect(api.exportCalls).toHaveLength(1);
    expect(api.downloads.at(-1)).toMatchObject({ resumeFrom: 9_000, status: 206 });
    expect(Buffer.from(await readFile(done.finalPath as string)).equals(Buffer.from(payload))).toBe(
      true,
    );
  });

  it('reports a full disk as an item error and resumes from the .part after a retry', async () => {
    let full = true;
    let written = 0;
    const disk: FileSystem = {
      ...nodeFileSystem,
      async open(path, mode) {
        const real = await nodeFileSystem.open(path, mode);
        return {
          ...real,
          async write(data) {
            if (full && written + data.byteLength > 8_192)
              throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
            written += data.byteLength;
            await real.write(data);
          },
        };
      },
    };
    // One chunk per write: the buffer flushes every megabyte, so break the body to force flushes.
    api.breakAfter = [8_000];
    const engine = makeEngine({ fs: disk });
    engine.start();
    const row = engine.exportDataset({
      target: { kind: 'task', id: 1 },
      format: 'COCO 1.0',
      withImages: false,
    });
    const failed = await settle(engine, row.id, clock);
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'disk-full', kind: 'item' } });
    expect(failed.error?.message).toMatch(/disk is full/);
    expect(failed.finalPath).toBeNull();
    expect(await readdir(out)).toEqual(['task_1_dataset_coco 1.0.zip.part']);

    full = false;
    engine.retry(row.id);
    const done = await settle(engine, row.id, clock);
    expect(done.state).toBe('done');
    expect(api.downloads.at(-1)).toMatchObject({ resumeFrom: 8_000, status: 206 });
    expect(Buffer.from(await readFile(done.finalPath as string)).equals(Buffer.from(payload))).toBe(
      true,
    );
  });

  it('cancel removes the .part; pause keeps it and resume continues', async () => {
    api.breakAfter = [5_000];
    const engine = makeEngine();
    engine.start();
    const a = engine.exportDataset({
      target: { kind: 'task', id: 1 },
      format: 'COCO 1.0',
      withImages: false,
    });
    await until(() => engine.get(a.id)?.nextAttemptAt !== null, 'a retry');
    const paused = await engine.pause(a.id);
    expect(paused.state).toBe('paused');
    expect(engine.view(paused).state).toBe('paused');
    engine.resume(a.id);
    const done = await settle(engine, a.id, clock);
    expect(done.state).toBe('done');

    api.breakAfter = [6_000];
    const b = engine.backup({ target: { kind: 'task', id: 1 } });
    await until(() => engine.get(b.id)?.nextAttemptAt !== null, 'a retry');
    const part = engine.get(b.id)?.partPath as string;
    expect((await readdir(out)).sort()).toContain(part.slice(out.length + 1));
    const cancelled = await engine.cancel(b.id);
    expect(cancelled.state).toBe('cancelled');
    expect(await readdir(out)).toEqual(['task_1_dataset_coco 1.0.zip']);
  });

  it('extracts the archive when asked', async () => {
    const { zipSync, strToU8 } = await import('fflate');
    api.nextResult = {
      bytes: zipSync({ 'annotations.xml': strToU8('<annotations/>') }),
      filename: 'task_1_annotations.zip',
    };
    const engine = makeEngine();
    engine.start();
    const row = engine.exportDataset({
      target: { kind: 'task', id: 1 },
      format: 'CVAT for images 1.1',
      withImages: false,
      extract: true,
    });
    const done = await settle(engine, row.id, clock);
    expect(done.extractedPath).toBe(join(out, 'task_1_annotations'));
    expect(await readFile(join(out, 'task_1_annotations', 'annotations.xml'), 'utf8')).toBe(
      '<annotations/>',
    );
    expect(engine.view(done).destination).toBe(done.extractedPath);
  });

  it('holds the queue on a fatal error until new credentials arrive', async () => {
    const engine = makeEngine();
    const realFind = api.findTask.bind(api);
    api.findTask = async () => {
      throw new SyncError('401 Invalid token', { code: 'auth', kind: 'fatal', status: 401 });
    };
    engine.start();
    const row = engine.exportDataset({
      target: { kind: 'task', id: 1 },
      format: 'COCO 1.0',
      withImages: false,
    });
    await until(() => engine.blockedBy() !== null, 'the queue to stop');
    expect(engine.get(row.id)).toMatchObject({
      state: 'queued',
      error: { code: 'auth', kind: 'fatal' },
    });
    api.findTask = realFind;
    await engine.setApi(api.asApi());
    expect((await settle(engine, row.id, clock)).state).toBe('done');
  });

  it('runs a transfer once when two engines share the journal', async () => {
    const a = makeEngine();
    const b = makeEngine();
    a.start();
    b.start();
    const row = a.exportDataset({
      target: { kind: 'task', id: 1 },
      format: 'COCO 1.0',
      withImages: false,
    });
    b.resumeQueue(); // wakes b's loop too: both look at the queued row
    const done = await settle(a, row.id, clock);
    expect(done.state).toBe('done');
    expect(api.exportCalls).toHaveLength(1);
    expect(api.downloads).toHaveLength(1);
    expect(await readdir(out)).toEqual(['task_1_dataset_coco 1.0.zip']);
  });

  it('validates requests before queueing', () => {
    const engine = makeEngine();
    expect(() =>
      engine.exportDataset({
        target: { kind: 'task', id: 0 },
        format: 'COCO 1.0',
        withImages: false,
      }),
    ).toThrow(/task id/);
    expect(() =>
      engine.exportDataset({ target: { kind: 'task', id: 1 }, format: ' ', withImages: false }),
    ).toThrow(/format/);
    expect(() =>
      engine.backup({ target: { kind: 'task', id: 1 }, destination: 'relative/dir' }),
    ).toThrow(/absolute/);
    expect(() =>
      engine.importAnnotations({
        taskId: 1,
        path: '/x.zip',
        format: 'CVAT 1.1',
        mode: 'merge' as 'replace',
      }),
    ).toThrow(/mode/);
    expect(engine.list()).toEqual([]);
  });
});

describe('ResultsEngine imports', () => {
  it('restores a backup into a new task, resuming the upload at its Location after a break', async () => {
    const file = join(j.dir, 'task_1_backup.zip');
    await writeFile(file, payload);
    api.breakImports = 1;
    const engine = makeEngine();
    engine.start();
    const row = engine.restore({ path: file, projectId: 4 });
    expect(engine.view(row)).toMatchObject({
      kind: 'restore',
      title: 'Restore task_1_backup.zip into project 4',
    });
    const done = await settle(engine, row.id, clock);
    expect(done.state).toBe('done');
    expect(done.resultId).toBeGreaterThan(100);
    expect(api.imports).toHaveLength(2);
    expect(api.imports[0]).toMatchObject({
      kind: 'backup',
      resumeUrl: null,
      projectId: 4,
      file: { path: file, name: 'task_1_backup.zip', size: 20_000 },
    });
    expect(api.imports[1]?.resumeUrl).toMatch(/\/api\/tasks\/backup\/1_upload-/);
    expect(engine.view(done)).toMatchObject({
      state: 'done',
      taskId: done.resultId,
      bytesDone: 20_000,
    });
  });

  it('imports annotations with the format and mode, and reports a failed import', async () => {
    const file = join(j.dir, 'annotations.zip');
    await writeFile(file, 'xml');
    const engine = makeEngine();
    engine.start();
    const ok = engine.importAnnotations({
      taskId: 1,
      path: file,
      format: 'CVAT 1.1',
      mode: 'append',
    });
    expect((await settle(engine, ok.id, clock)).state).toBe('done');
    expect(api.imports[0]).toMatchObject({
      kind: 'annotations',
      format: 'CVAT 1.1',
      mode: 'append',
    });

    api.failExportWith = 'CvatImportError: wrong format';
    const bad = engine.importAnnotations({
      taskId: 1,
      path: file,
      format: 'COCO 1.0',
      mode: 'replace',
    });
    const failed = await settle(engine, bad.id, clock);
    expect(failed.error).toMatchObject({ code: 'import-failed', kind: 'item' });
    expect(failed.error?.message).toContain('CvatImportError: wrong format');

    const missing = engine.restore({ path: join(j.dir, 'nope.zip') });
    expect((await settle(engine, missing.id, clock)).error).toMatchObject({ code: 'not-found' });
  });
});
