// Older servers: 2.15 without /api/requests, 2.47 without personal access tokens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatClient } from '../../../main/cvat/client.js';
import type { SyncError } from '../../../main/core/errors.js';
import { LABELS, collect, makeClient, tempDir, writePng } from './helpers.js';

describe('a 2.15 server', () => {
  let server: Awaited<ReturnType<typeof startCvatServer>>;
  let client: CvatClient;
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    server = await startCvatServer({ seed: 31, version: '2.15.0', processingDelayMs: 20 });
    const { username, password } = server.users.alice;
    client = makeClient(server.url, { kind: 'basic', username, password });
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  it('creates a task: no rq_id, progress from the task status', async () => {
    expect((await client.serverVersion()).minor).toBe(15);
    const files = await Promise.all([1, 2].map((i) => writePng(dir, `old_${i}.png`, 1500)));
    const task = await client.createTask({ name: 'old server', labels: LABELS });
    await client.uploadStart(task.id);
    await client.uploadMultiple(task.id, files);
    expect(await client.uploadFinish(task.id, { image_quality: 70 })).toBeNull();
    const states: string[] = [];
    const status = await client.waitForTaskCreation(task.id, {
      minDelayMs: 20,
      maxDelayMs: 100,
      onUpdate: (s) => states.push(s.state),
    });
    expect(status.state).toBe('Finished');
    expect((await client.getTask(task.id)).size).toBe(2);
    expect((await client.listRequests()).results).toEqual([]);

    const rq = await client.exportDataset(
      { kind: 'task', id: task.id },
      'CVAT for images 1.1',
      true,
    );
    expect(rq.startsWith('legacy:')).toBe(true);
    const done = await client.waitForRequest(rq, { minDelayMs: 20, maxDelayMs: 100 });
    expect(done).toMatchObject({
      status: 'finished',
      operation: { type: 'export:dataset', task_id: task.id, format: 'CVAT for images 1.1' },
    });
    expect(done!.result_url).toContain('action=download');
    const dl = await client.download(done!.result_url!);
    const bytes = await collect(dl.body);
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');

    const backup = await client.waitForRequest(
      await client.exportBackup({ kind: 'task', id: task.id }),
      { minDelayMs: 20, maxDelayMs: 100 },
    );
    expect(backup?.status).toBe('finished');
    expect(
      (await collect((await client.download(backup!.result_url!)).body)).length,
    ).toBeGreaterThan(0);
  });
});

describe('a 2.47 server', () => {
  it('refuses a personal access token with a clear message, and takes the password', async () => {
    const server = await startCvatServer({ seed: 32, version: '2.47.0' });
    try {
      const err = (await makeClient(server.url, { kind: 'token', token: server.users.alice.token })
        .self()
        .catch((e: unknown) => e)) as SyncError;
      expect(err).toMatchObject({ code: 'pat-unsupported', kind: 'fatal', status: 401 });
      expect(err.message).toContain('2.47.0');
      expect(err.hint).toMatch(/password/);
      const { username, password } = server.users.alice;
      expect(
        (await makeClient(server.url, { kind: 'basic', username, password }).self()).username,
      ).toBe(username);
    } finally {
      await server.close();
    }
  });
});
