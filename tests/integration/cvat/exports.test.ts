// Flows C and D against the test server: exports, downloads with Range resume, backups, imports.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatClient } from '../../../main/cvat/client.js';
import type { SyncError } from '../../../main/core/errors.js';
import {
  LABELS,
  RecordingThrottle,
  collect,
  makeClient,
  sha256,
  tempDir,
  writePng,
} from './helpers.js';

type Server = Awaited<ReturnType<typeof startCvatServer>>;

async function taskWithMedia(client: CvatClient, dir: string, name: string): Promise<number> {
  const files = await Promise.all(
    [1, 2, 3].map((i) => writePng(dir, `${name}_${i}.png`, 3000 + i)),
  );
  const task = await client.createTask({ name, labels: LABELS });
  await client.uploadStart(task.id);
  await client.uploadMultiple(task.id, files);
  const rq = await client.uploadFinish(task.id, { image_quality: 70 });
  const r = await client.waitForRequest(rq!, { minDelayMs: 20, maxDelayMs: 100 });
  expect(r?.status).toBe('finished');
  return task.id;
}

async function finishedResult(client: CvatClient, rqId: string): Promise<string> {
  const r = await client.waitForRequest(rqId, { minDelayMs: 20, maxDelayMs: 100 });
  expect(r?.status).toBe('finished');
  expect(r?.result_url).toEqual(expect.any(String));
  return r!.result_url!;
}

describe('exports and downloads', () => {
  let server: Server;
  let client: CvatClient;
  let taskId: number;
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    server = await startCvatServer({ seed: 21, processingDelayMs: 20 });
    client = makeClient(server.url, { kind: 'token', token: server.users.alice.token });
    ({ dir, cleanup } = await tempDir());
    taskId = await taskWithMedia(client, dir, 'exp');
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  it('exports a dataset, joins a running export, and downloads it whole and resumed', async () => {
    const rq = await client.exportDataset(
      { kind: 'task', id: taskId },
      'CVAT for images 1.1',
      true,
    );
    const again = await client.exportDataset(
      { kind: 'task', id: taskId },
      'CVAT for images 1.1',
      true,
    );
    expect(again).toBe(rq);
    const url = await finishedResult(client, rq);

    const progress: number[] = [];
    const throttle = new RecordingThrottle();
    const whole = await client.download(url, { throttle, onProgress: (d) => progress.push(d) });
    expect(whole.status).toBe(200);
    expect(whole.resumed).toBe(false);
    expect(whole.filename).toMatch(/^task_\d+_dataset_.*\.zip$/);
    const bytes = await collect(whole.body);
    expect(bytes.length).toBe(whole.totalBytes);
    expect(throttle.taken).toBe(bytes.length);
    expect(progress.at(-1)).toBe(bytes.length);
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');

    const from = Math.floor(bytes.length / 3);
    const part = await client.download(url, { resumeFrom: from });
    expect(part.status).toBe(206);
    expect(part.resumed).toBe(true);
    expect(part.totalBytes).toBe(bytes.length);
    const tail = await collect(part.body);
    expect(sha256(tail)).toBe(sha256(bytes.subarray(from)));

    const complete = await client.download(url, { resumeFrom: bytes.length });
    expect(complete.resumed).toBe(true);
    expect((await collect(complete.body)).length).toBe(0);
  });

  it('an unknown format is an item error that says how to find the names', async () => {
    const err = (await client
      .exportDataset({ kind: 'task', id: taskId }, 'No Such Format 9.9', false)
      .catch((e: unknown) => e)) as SyncError;
    expect(err).toMatchObject({ code: 'unknown-format', kind: 'item', status: 400 });
    expect(err.hint).toMatch(/formats/i);
  });

  it('backs up a task and restores it as a new task (result_id)', async () => {
    const rq = await client.exportBackup({ kind: 'task', id: taskId });
    const url = await finishedResult(client, rq);
    const dl = await client.download(url);
    expect(dl.filename).toMatch(/backup.*\.zip$/);
    const path = join(dir, 'backup.zip');
    await writeFile(path, await collect(dl.body));
    const size = (await collect((await client.download(url)).body)).length;
    let created = '';
    const importRq = await client.importBackup(
      { path, name: 'backup.zip', size },
      { chunkSize: 64 * 1024, onCreated: (loc) => void (created = loc) },
    );
    expect(created).toContain('/api/tasks/backup/');
    const done = await client.waitForRequest(importRq, { minDelayMs: 20, maxDelayMs: 100 });
    expect(done?.status).toBe('finished');
    expect(done?.result_id).toEqual(expect.any(Number));
    const restored = await client.getTask(done!.result_id!);
    expect(restored.id).not.toBe(taskId);
    expect(restored.size).toBe(3);
  });

  it('imports annotations exported from the task', async () => {
    const rq = await client.exportDataset(
      { kind: 'task', id: taskId },
      'CVAT for images 1.1',
      false,
    );
    const url = await finishedResult(client, rq);
    const bytes = await collect((await client.download(url)).body);
    const path = join(dir, 'annotations.zip');
    await writeFile(path, bytes);
    const importRq = await client.importAnnotations(
      taskId,
      { path, name: 'annotations.zip', size: bytes.length },
      'CVAT 1.1',
      'replace',
      {
        chunkSize: 64 * 1024,
      },
    );
    const done = await client.waitForRequest(importRq, { minDelayMs: 20, maxDelayMs: 100 });
    expect(done?.status).toBe('finished');
    expect(done?.operation.type).toBe('import:annotations');
  });

  it('refuses to restore a task backup into a project', async () => {
    await expect(
      client.importBackup(
        { path: '/nonexistent', name: 'x.zip', size: 1 },
        { chunkSize: 1024, projectId: 3 },
      ),
    ).rejects.toMatchObject({
      code: 'unsupported',
    });
  });

  it('an unknown request id reads as null', async () => {
    expect(
      await client.getRequest(
        'action=export&target=task&target_id=999999&user_id=1&subresource=backup',
      ),
    ).toBeNull();
    expect(await client.waitForRequest('no such id')).toBeNull();
  });

  // Last in this suite: it moves the server clock a day on.
  it('an expired result (CVAT: 400 once its request left the queue) rejects as 404 result-expired', async () => {
    const missing = (await client
      .download(`${server.url}/api/tasks/${taskId}/dataset/download`)
      .catch((e: unknown) => e)) as SyncError;
    expect(missing).toMatchObject({ code: 'bad-request', status: 400 });
    const url = await finishedResult(
      client,
      await client.exportBackup({ kind: 'task', id: taskId }),
    );
    await collect((await client.download(url)).body);
    server.admin.advanceTime(86_400_000 + 60_000);
    const expired = (await client.download(url).catch((e: unknown) => e)) as SyncError;
    expect(expired).toMatchObject({ code: 'result-expired', kind: 'item', status: 404 });
    expect(expired.hint).toMatch(/export it again/i);
  });
});

describe('a server that ignores Range', () => {
  it('gives the whole file with resumed=false', async () => {
    const server = await startCvatServer({ seed: 22, processingDelayMs: 10, rangeSupport: false });
    const { dir, cleanup } = await tempDir();
    try {
      const client = makeClient(server.url, { kind: 'token', token: server.users.alice.token });
      const taskId = await taskWithMedia(client, dir, 'norange');
      const url = await finishedResult(
        client,
        await client.exportBackup({ kind: 'task', id: taskId }),
      );
      const full = await collect((await client.download(url)).body);
      const again = await client.download(url, { resumeFrom: 100 });
      expect(again.status).toBe(200);
      expect(again.resumed).toBe(false);
      expect(again.totalBytes).toBe(full.length);
      expect(sha256(await collect(again.body))).toBe(sha256(full));
    } finally {
      await server.close();
      await cleanup();
    }
  });
});
