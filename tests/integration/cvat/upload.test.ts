// Flow A against the test server: Upload-Start, TUS (chunked, resumed, recovered after a reset),
// Upload-Multiple, Upload-Finish, request polling; bytes in the task equal the local files.
import { truncate } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatClient } from '../../../main/cvat/client.js';
import type { SyncError } from '../../../main/core/errors.js';
import { LABELS, RecordingThrottle, makeClient, tempDir, writePng } from './helpers.js';

type Server = Awaited<ReturnType<typeof startCvatServer>>;
let server: Server;
let client: CvatClient;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  server = await startCvatServer({ seed: 11, processingDelayMs: 50 });
  client = makeClient(server.url, { kind: 'token', token: server.users.alice.token });
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  server.faults.clear();
  await cleanup();
});

const MiB = 1024 * 1024;

describe('Flow A', () => {
  it('uploads one big file by TUS and a batch by Upload-Multiple, then processes the task', async () => {
    const big = await writePng(dir, 'big.png', 5 * MiB + 123);
    const small = await Promise.all([1, 2, 3].map((i) => writePng(dir, `img_${i}.png`, 2000 + i)));
    const task = await client.createTask({ name: 'flow a', labels: LABELS });
    await client.uploadStart(task.id);

    const events: string[] = [];
    const offsets: number[] = [];
    const throttle = new RecordingThrottle();
    let lastProgress = 0;
    let offsetWhilePersisting = -1;
    const result = await client.tusUpload({
      target: { kind: 'task-data', taskId: task.id },
      file: big,
      chunkSize: MiB,
      throttle,
      onCreated: async (location, name) => {
        events.push(`created ${name}`);
        expect(location.startsWith(`${server.url}/api/tasks/${task.id}/data/`)).toBe(true);
        // The first PATCH must wait for this: nothing may arrive while the location is persisted.
        await new Promise((r) => setTimeout(r, 150));
        offsetWhilePersisting =
          server.admin.uploads().find((u) => u.taskId === task.id)?.offset ?? -1;
        events.push('persisted');
      },
      onOffset: (o) => {
        events.push('offset');
        offsets.push(o);
      },
      onProgress: (done) => (lastProgress = done),
    });
    expect(events.slice(0, 3)).toEqual(['created big.png', 'persisted', 'offset']);
    expect(offsetWhilePersisting).toBe(0);
    expect(offsets).toEqual([1, 2, 3, 4, 5].map((n) => n * MiB).concat([big.size]));
    expect(result).toMatchObject({ uploadFilename: 'big.png', bytesSent: big.size });
    expect(lastProgress).toBe(big.size);
    expect(throttle.taken).toBe(big.size);

    const batchThrottle = new RecordingThrottle();
    const progress: number[] = [];
    await client.uploadMultiple(task.id, small, {
      throttle: batchThrottle,
      onProgress: (d) => progress.push(d),
    });
    const fileBytes = small.reduce((n, f) => n + f.size, 0);
    expect(batchThrottle.taken).toBeGreaterThan(fileBytes); // file bytes plus multipart framing
    expect(progress.at(-1)).toBe(fileBytes);

    const rqId = await client.uploadFinish(task.id, {
      image_quality: 70,
      sorting_method: 'lexicographical',
    });
    expect(rqId).toEqual(expect.any(String));
    const seen: string[] = [];
    const done = await client.waitForRequest(rqId!, {
      minDelayMs: 20,
      maxDelayMs: 100,
      onUpdate: (r) => seen.push(r.status),
    });
    expect(done?.status).toBe('finished');
    expect(done?.operation.task_id).toBe(task.id);
    expect(seen.at(-1)).toBe('finished');

    expect((await client.getTask(task.id)).size).toBe(4);
    const files = server.admin.taskFiles(task.id);
    const byName = new Map(files.map((f) => [f.name, f.sha256]));
    for (const f of [big, ...small]) expect(byName.get(f.name)).toBe(f.sha256);
    expect(files).toHaveLength(4);
  });

  it('a 409 on Upload-Finish joins the running creation request', async () => {
    const f = await writePng(dir, 'a.png', 1000);
    const task = await client.createTask({ name: 'finish twice', labels: LABELS });
    await client.uploadStart(task.id);
    await client.uploadMultiple(task.id, [f]);
    const first = await client.uploadFinish(task.id, { image_quality: 70 });
    const second = await client.uploadFinish(task.id, { image_quality: 70 });
    expect(second).toBe(first);
    await client.waitForRequest(first!, { minDelayMs: 20, maxDelayMs: 100 });
  });

  it('resumes an aborted TUS upload from its Location and sends only the rest', async () => {
    const big = await writePng(dir, 'resume.png', 3 * MiB);
    const task = await client.createTask({ name: 'resume', labels: LABELS });
    await client.uploadStart(task.id);
    const abort = new AbortController();
    let location = '';
    let uploadName = '';
    const err = await client
      .tusUpload({
        target: { kind: 'task-data', taskId: task.id },
        file: big,
        chunkSize: 512 * 1024,
        signal: abort.signal,
        onCreated: (loc, name) => {
          location = loc;
          uploadName = name;
        },
        onOffset: (o) => {
          if (o >= MiB) abort.abort();
        },
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'cancelled' });
    expect(location).not.toBe('');

    const offsets: number[] = [];
    const resumed = await client.tusUpload({
      target: { kind: 'task-data', taskId: task.id },
      file: big,
      chunkSize: 512 * 1024,
      resumeUrl: location,
      uploadFilename: uploadName,
      onCreated: () => {
        throw new Error('a resumed upload must not be created again');
      },
      onOffset: (o) => {
        offsets.push(o);
      },
    });
    expect(resumed.location).toBe(location);
    expect(resumed.uploadFilename).toBe('resume.png');
    expect(resumed.bytesSent).toBeLessThan(big.size);
    expect(resumed.bytesSent).toBeGreaterThan(0);
    expect(offsets.at(-1)).toBe(big.size);
    expect(server.admin.taskFiles(task.id)).toEqual([
      { name: 'resume.png', size: big.size, sha256: big.sha256 },
    ]);

    // Completed: the Location is gone, and resuming it again must not create a new upload.
    const lost = (await client
      .tusUpload({
        target: { kind: 'task-data', taskId: task.id },
        file: big,
        chunkSize: MiB,
        resumeUrl: location,
      })
      .catch((e: unknown) => e)) as SyncError;
    expect(lost).toMatchObject({ code: 'tus-resume-lost', status: 404 });
    // A second creation of the same name is refused by CVAT: reported, not retried.
    const taken = (await client
      .tusUpload({ target: { kind: 'task-data', taskId: task.id }, file: big, chunkSize: MiB })
      .catch((e: unknown) => e)) as SyncError;
    expect(taken).toMatchObject({ code: 'tus-name-taken', status: 409 });
    expect(server.admin.taskFiles(task.id)).toHaveLength(1);
  });

  it('recovers from a connection reset in the middle of a PATCH (HEAD for the offset)', async () => {
    const big = await writePng(dir, 'reset.png', 2 * MiB + 77);
    const task = await client.createTask({ name: 'reset', labels: LABELS });
    await client.uploadStart(task.id);
    server.faults.failNext({
      kind: 'reset-request',
      method: 'PATCH',
      afterBytes: 300 * 1024,
      times: 1,
    });
    const result = await client.tusUpload({
      target: { kind: 'task-data', taskId: task.id },
      file: big,
      chunkSize: MiB,
    });
    expect(result.uploadFilename).toBe('reset.png');
    expect(server.admin.taskFiles(task.id)).toEqual([
      { name: 'reset.png', size: big.size, sha256: big.sha256 },
    ]);
  });

  it('retries TUS answers 503 on PATCH and HEAD, honouring Retry-After, and finishes the file', async () => {
    const big = await writePng(dir, 'busy.png', MiB + 5);
    const task = await client.createTask({ name: 'busy', labels: LABELS });
    await client.uploadStart(task.id);
    server.faults.failNext({
      kind: 'status',
      status: 503,
      method: 'PATCH',
      headers: { 'Retry-After': '1' },
      times: 1,
    });
    server.faults.failNext({ kind: 'status', status: 503, method: 'HEAD', times: 1 });
    const started = Date.now();
    const result = await client.tusUpload({
      target: { kind: 'task-data', taskId: task.id },
      file: big,
      chunkSize: 256 * 1024,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(result.uploadFilename).toBe('busy.png');
    expect(server.admin.taskFiles(task.id)).toEqual([
      { name: 'busy.png', size: big.size, sha256: big.sha256 },
    ]);
    const log = server.faults
      .stats()
      .log.filter((l) => l.path.startsWith(`/api/tasks/${task.id}/data/`));
    expect(log.filter((l) => l.method === 'POST' && l.status === 201)).toHaveLength(1);
    expect(log.filter((l) => l.status === 503).map((l) => l.method)).toEqual(['PATCH', 'HEAD']);
  });

  it('a file above the server limit is refused at creation (413) without retries', async () => {
    const small = await startCvatServer({ seed: 12, tusMaxSize: 100 * 1024 });
    try {
      const c = makeClient(small.url, { kind: 'token', token: small.users.alice.token });
      const f = await writePng(dir, 'huge.png', 200 * 1024);
      const task = await c.createTask({ name: 'limit', labels: LABELS });
      await c.uploadStart(task.id);
      const err = (await c
        .tusUpload({
          target: { kind: 'task-data', taskId: task.id },
          file: f,
          chunkSize: 64 * 1024,
        })
        .catch((e: unknown) => e)) as SyncError;
      expect(err).toMatchObject({ code: 'too-large', kind: 'item', status: 413 });
      expect(
        small.faults.stats().log.filter((l) => l.method === 'POST' && l.path.endsWith('/data/')),
      ).toHaveLength(2); // Upload-Start + one creation
    } finally {
      await small.close();
    }
  });

  it('reports a file that shrank since planning instead of hanging', async () => {
    const f = await writePng(dir, 'shrink.png', MiB);
    const task = await client.createTask({ name: 'shrink', labels: LABELS });
    await client.uploadStart(task.id);
    await truncate(f.path, 1000);
    await expect(
      client.tusUpload({ target: { kind: 'task-data', taskId: task.id }, file: f, chunkSize: MiB }),
    ).rejects.toMatchObject({
      code: 'file-changed',
      kind: 'item',
    });
    await expect(client.uploadMultiple(task.id, [f])).rejects.toMatchObject({
      code: 'file-changed',
    });
  });

  it('cancels an Upload-Multiple request through its signal', async () => {
    const files = await Promise.all([1, 2].map((i) => writePng(dir, `c${i}.png`, 400 * 1024)));
    const task = await client.createTask({ name: 'cancel batch', labels: LABELS });
    await client.uploadStart(task.id);
    const abort = new AbortController();
    const slow = { take: async () => new Promise<void>((r) => setTimeout(r, 20)) };
    const p = client.uploadMultiple(task.id, files, {
      signal: abort.signal,
      throttle: slow,
      onProgress: (d) => d > 100_000 && abort.abort(),
    });
    await expect(p).rejects.toMatchObject({ code: 'cancelled' });
  });
});
