// Results out and imports against the CVAT-compatible test server over real HTTP.
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { strToU8, unzipSync, zipSync } from 'fflate';
import type { FileSystem } from '../../../main/fs/file-system.js';
import { nodeFileSystem } from '../../../main/fs/node-file-system.js';
import { TransferRepo } from '../../../main/journal/download-repo.js';
import type { Harness } from './harness.js';
import {
  createImageTask,
  recordingDownloads,
  sha256File,
  sha256Of,
  startHarness,
} from './harness.js';

const DAY = 86_400_000;

describe('results against the test server (Range supported)', () => {
  let h: Harness;
  let taskId: number;

  beforeAll(async () => {
    h = await startHarness();
    taskId = await createImageTask(h.client, h.dir, 'results');
  });
  afterEach(async () => {
    await h.stopEngines();
  });
  afterAll(async () => {
    await h.close();
  });

  it('continues a download reset mid-body with Range; the file equals a clean download', async () => {
    const { api, calls } = recordingDownloads(h.client);
    const engine = h.engine({ api, downloadsDir: join(h.dir, 'reset') });
    h.server.faults.failNext({
      kind: 'reset-response',
      afterBytes: 5_000,
      method: 'GET',
      path: /\/dataset\/download/,
    });
    engine.start();
    const row = engine.exportDataset({
      target: { kind: 'task', id: taskId },
      format: 'CVAT for images 1.1',
      withImages: true,
    });
    const done = await engine.waitFor(row.id);
    expect(done.state).toBe('done');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ resumeFrom: 0, status: 200 });
    expect(calls[1]?.resumeFrom).toBeGreaterThan(0);
    expect(calls[1]).toMatchObject({ status: 206, resumed: true });
    const clean = await sha256Of(h.client, done.resultUrl as string);
    expect(done.bytesTotal).toBe(clean.size);
    expect(await sha256File(done.finalPath as string)).toBe(clean.sha256);
    expect(await readdir(join(h.dir, 'reset'))).toEqual([
      done.finalPath?.slice(join(h.dir, 'reset').length + 1),
    ]);
    // It is a real archive of the task.
    const entries = Object.keys(unzipSync(await readFile(done.finalPath as string)));
    expect(entries).toContain('annotations.xml');
  });

  it('requests an expired export again: before polling, and before downloading', async () => {
    const engine = h.engine({ downloadsDir: join(h.dir, 'expired') });
    const repo = new TransferRepo(h.db);
    // Two transfers interrupted by a crash a day ago: one still waiting for its request, one
    // with the result URL in hand but no byte downloaded.
    const waiting = engine.exportDataset({
      target: { kind: 'task', id: taskId },
      format: 'COCO 1.0',
      withImages: false,
    });
    const rq1 = await h.client.exportDataset({ kind: 'task', id: taskId }, 'COCO 1.0', false);
    repo.update(waiting.id, { state: 'exporting', rqId: rq1 }, Date.now());
    const fetching = engine.backup({ target: { kind: 'task', id: taskId } });
    const rq2 = await h.client.exportBackup({ kind: 'task', id: taskId });
    const finished = await h.client.waitForRequest(rq2, { minDelayMs: 20, maxDelayMs: 200 });
    repo.update(
      fetching.id,
      { state: 'downloading', rqId: rq2, resultUrl: finished?.result_url ?? null },
      Date.now(),
    );
    await h.client.waitForRequest(rq1, { minDelayMs: 20, maxDelayMs: 200 });

    h.server.admin.advanceTime(DAY + 60_000);
    expect(await h.client.getRequest(rq1)).toBeNull();
    engine.start();
    const [a, b] = await Promise.all([engine.waitFor(waiting.id), engine.waitFor(fetching.id)]);
    expect(a).toMatchObject({ state: 'done', rerequests: 1 });
    expect(b).toMatchObject({ state: 'done', rerequests: 1 });
    expect(a.rqId).toBeTruthy();
    expect(Object.keys(unzipSync(await readFile(b.finalPath as string)))).toContain('task.json');
  });

  it('fails an export with a clear error: unknown format, and a backup of a task without media', async () => {
    const engine = h.engine();
    engine.start();
    const unknown = engine.exportDataset({
      target: { kind: 'task', id: taskId },
      format: 'No Such Format 9.9',
      withImages: false,
    });
    const failed = await engine.waitFor(unknown.id);
    expect(failed).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: { kind: 'item', status: 400, retryable: false },
    });
    expect(failed.error?.message).toMatch(/format/i);
    expect(failed.error?.hint).toMatch(/No Such Format 9\.9/);

    const empty = await h.client.createTask({ name: 'no media', labels: [{ name: 'car' }] });
    const backup = engine.backup({ target: { kind: 'task', id: empty.id } });
    const noMedia = await engine.waitFor(backup.id);
    expect(noMedia).toMatchObject({ state: 'failed', error: { kind: 'item', status: 400 } });
    expect(engine.view(noMedia)).toMatchObject({ state: 'failed', error: { retryable: false } });
  });

  it('reports a full disk, leaves only the .part, and finishes after a retry', async () => {
    const synthetic = h.server.admin.addSyntheticResult(taskId, 3 * 1024 * 1024 + 17);
    let full = true;
    let written = 0;
    const disk: FileSystem = {
      ...nodeFileSystem,
      async open(path, mode) {
        const real = await nodeFileSystem.open(path, mode);
        return {
          ...real,
          async write(data) {
            if (full && written + data.byteLength > 2 * 1024 * 1024)
              throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
                code: 'ENOSPC',
              });
            written += data.byteLength;
            await real.write(data);
          },
        };
      },
    };
    const dest = join(h.dir, 'full');
    const engine = h.engine({ fs: disk, downloadsDir: dest });
    const row = engine.exportDataset({
      target: { kind: 'task', id: taskId },
      format: 'CVAT for images 1.1',
      withImages: false,
    });
    new TransferRepo(h.db).update(row.id, { rqId: synthetic.rqId }, Date.now());
    engine.start();
    const failed = await engine.waitFor(row.id);
    expect(failed).toMatchObject({
      state: 'failed',
      finalPath: null,
      error: { code: 'disk-full', kind: 'item' },
    });
    expect(failed.error?.message).toMatch(/disk is full/);
    const left = await readdir(dest);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/\.zip\.part$/);

    full = false;
    engine.retry(row.id);
    const done = await engine.waitFor(row.id);
    expect(done.state).toBe('done');
    expect(await sha256File(done.finalPath as string)).toBe(
      (await sha256Of(h.client, synthetic.resultUrl)).sha256,
    );
  });

  it('auto-exports a folder task once when it is completed, and not again while unchanged', async () => {
    const dest = join(h.dir, 'auto');
    const folder = {
      folderId: 1,
      rule: {
        formats: ['COCO 1.0'],
        withImages: false,
        backup: true,
        destination: dest,
        trigger: 'completed' as const,
      },
      taskIds: [taskId],
    };
    const engine = h.engine({ folderAutoExports: () => [folder] });
    engine.start();
    expect(await engine.autoExport.checkNow()).toEqual([]);

    h.server.admin.completeTask(taskId);
    const queued = await engine.autoExport.checkNow();
    expect(queued.map((t) => [t.targetId, t.subject, t.origin])).toEqual([
      [taskId, 'dataset', 'folder:1'],
      [taskId, 'backup', 'folder:1'],
    ]);
    const done = await Promise.all(queued.map((t) => engine.waitFor(t.id)));
    expect(done.map((t) => t.state)).toEqual(['done', 'done']);
    expect((await readdir(dest)).filter((n) => n.endsWith('.zip'))).toHaveLength(2);
    const updated = (await h.client.getTask(taskId)).updated_date;
    expect(done.every((t) => t.sourceUpdatedDate === updated)).toBe(true);

    expect(await engine.autoExport.checkNow()).toEqual([]);
    expect(await engine.autoExport.checkNow()).toEqual([]);
    expect(engine.list({ origin: 'folder:1' })).toHaveLength(2);
  });

  it('restores a backup into a new task with the same files', async () => {
    const engine = h.engine({ downloadsDir: join(h.dir, 'backup') });
    engine.start();
    const backup = await engine.waitFor(engine.backup({ target: { kind: 'task', id: taskId } }).id);
    expect(backup.state).toBe('done');
    const restore = engine.restore({ path: backup.finalPath as string });
    const restored = await engine.waitFor(restore.id);
    expect(restored.state).toBe('done');
    expect(restored.resultId).not.toBe(taskId);
    expect(restored.tusLocation).toMatch(/\/api\/tasks\/backup\//);
    expect(engine.view(restored)).toMatchObject({
      kind: 'restore',
      state: 'done',
      taskId: restored.resultId,
    });
    const files = (id: number) =>
      h.server.admin
        .taskFiles(id)
        .map((f) => [f.name, f.size, f.sha256])
        .sort();
    expect(files(restored.resultId as number)).toEqual(files(taskId));
    expect(files(taskId)).toHaveLength(3);
    expect((await h.client.getTask(restored.resultId as number)).size).toBe(3);
  });

  it('imports annotations into a task, replace and append', async () => {
    const engine = h.engine({ downloadsDir: join(h.dir, 'annotations') });
    engine.start();
    const exported = await engine.waitFor(
      engine.exportDataset({
        target: { kind: 'task', id: taskId },
        format: 'CVAT for images 1.1',
        withImages: false,
      }).id,
    );
    expect(exported.state).toBe('done');
    for (const mode of ['replace', 'append'] as const) {
      const row = engine.importAnnotations({
        taskId,
        path: exported.finalPath as string,
        format: 'CVAT 1.1',
        mode,
      });
      const done = await engine.waitFor(row.id);
      expect(done).toMatchObject({ state: 'done', error: null, kind: 'import' });
      expect(done.bytesDone).toBe(done.bytesTotal);
    }
    // A file that is not in the format fails with the server's message.
    const junk = join(h.dir, 'junk.zip');
    await writeFile(junk, zipSync({ 'readme.txt': strToU8('not annotations') }));
    const bad = await engine.waitFor(
      engine.importAnnotations({ taskId, path: junk, format: 'CVAT 1.1', mode: 'replace' }).id,
    );
    expect(bad).toMatchObject({ state: 'failed', error: { kind: 'item' } });
  });
});

describe('results against a server without Range support', () => {
  let h: Harness;
  let taskId: number;

  beforeAll(async () => {
    h = await startHarness({ rangeSupport: false });
    taskId = await createImageTask(h.client, h.dir, 'norange');
  });
  afterEach(async () => {
    await h.stopEngines();
  });
  afterAll(async () => {
    await h.close();
  });

  it('starts over cleanly (200) and writes the right file', async () => {
    const { api, calls } = recordingDownloads(h.client);
    const engine = h.engine({ api });
    h.server.faults.failNext({
      kind: 'reset-response',
      afterBytes: 4_000,
      method: 'GET',
      path: /\/dataset\/download/,
    });
    engine.start();
    const done = await engine.waitFor(
      engine.exportDataset({
        target: { kind: 'task', id: taskId },
        format: 'CVAT for images 1.1',
        withImages: true,
      }).id,
    );
    expect(done.state).toBe('done');
    expect(calls.map((c) => [c.status, c.resumed])).toEqual([
      [200, false],
      [200, false],
    ]);
    expect(calls[1]?.resumeFrom).toBeGreaterThan(0);
    const clean = await sha256Of(h.client, done.resultUrl as string);
    expect(await sha256File(done.finalPath as string)).toBe(clean.sha256);
  });
});

describe('results against a server older than 2.16 (legacy GET export flow)', () => {
  let h: Harness;
  let taskId: number;

  beforeAll(async () => {
    h = await startHarness({ version: '2.15.0' });
    taskId = await createImageTask(h.client, h.dir, 'legacy');
  });
  afterEach(async () => {
    await h.stopEngines();
  });
  afterAll(async () => {
    await h.close();
  });

  it('exports a dataset and a backup through the client', async () => {
    const engine = h.engine();
    engine.start();
    const dataset = await engine.waitFor(
      engine.exportDataset({
        target: { kind: 'task', id: taskId },
        format: 'CVAT for images 1.1',
        withImages: true,
      }).id,
    );
    expect(dataset.state).toBe('done');
    expect(dataset.resultUrl).toMatch(/action=download/);
    expect(Object.keys(unzipSync(await readFile(dataset.finalPath as string)))).toContain(
      'annotations.xml',
    );
    const backup = await engine.waitFor(engine.backup({ target: { kind: 'task', id: taskId } }).id);
    expect(backup.state).toBe('done');
    expect(Object.keys(unzipSync(await readFile(backup.finalPath as string)))).toContain(
      'task.json',
    );
  });
});
