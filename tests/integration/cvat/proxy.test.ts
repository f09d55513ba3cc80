// The client behind a misbehaving reverse proxy: HEAD rewritten to GET, a body-size limit, and a
// TUS Location whose scheme the proxy changed. Each is reported with a code the engine acts on.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMisbehavingProxy, startCvatServer } from '../../cvat-server/index.js';
import type { SyncError } from '../../../main/core/errors.js';
import { LABELS, makeClient, tempDir, writePng } from './helpers.js';

type Server = Awaited<ReturnType<typeof startCvatServer>>;
type Proxy = Awaited<ReturnType<typeof createMisbehavingProxy>>;
let server: Server;
let dir: string;
let cleanup: () => Promise<void>;
const proxies: Proxy[] = [];

beforeAll(async () => {
  server = await startCvatServer({ seed: 51, processingDelayMs: 10 });
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await cleanup();
});

async function via(options: Omit<Parameters<typeof createMisbehavingProxy>[0], 'target'>) {
  const proxy = await createMisbehavingProxy({ target: server.url, ...options });
  proxies.push(proxy);
  return makeClient(proxy.url, { kind: 'token', token: server.users.alice.token });
}

const KiB = 1024;

describe('behind a proxy', () => {
  it('HEAD turned into GET: resuming fails with tus-head-rejected and creates no second upload', async () => {
    const client = await via({ headToGet: true });
    const f = await writePng(dir, 'head.png', 600 * KiB);
    const task = await client.createTask({ name: 'head to get', labels: LABELS });
    await client.uploadStart(task.id);
    const abort = new AbortController();
    let location = '';
    await client
      .tusUpload({
        target: { kind: 'task-data', taskId: task.id },
        file: f,
        chunkSize: 128 * KiB,
        signal: abort.signal,
        onCreated: (l) => void (location = l),
        onOffset: () => abort.abort(),
      })
      .catch(() => undefined);
    expect(location).not.toBe('');
    const err = (await client
      .tusUpload({
        target: { kind: 'task-data', taskId: task.id },
        file: f,
        chunkSize: 128 * KiB,
        resumeUrl: location,
      })
      .catch((e: unknown) => e)) as SyncError;
    expect(err.code).toBe('tus-head-rejected');
    expect(err.hint).toMatch(/proxy/);
    expect(server.admin.uploads().filter((u) => u.taskId === task.id)).toHaveLength(1);
  });

  it('a request-size limit gives too-large with the proxy hint, for batches and TUS chunks', async () => {
    const client = await via({ maxBodyBytes: 256 * KiB });
    const f = await writePng(dir, 'large.png', 400 * KiB);
    const task = await client.createTask({ name: 'size limit', labels: LABELS });
    await client.uploadStart(task.id);
    const batch = (await client.uploadMultiple(task.id, [f]).catch((e: unknown) => e)) as SyncError;
    expect(batch).toMatchObject({
      code: 'too-large',
      kind: 'item',
      status: 413,
      body: '413 Request Entity Too Large',
    });
    expect(batch.hint).toContain('client_max_body_size');
    const tus = (await client
      .tusUpload({ target: { kind: 'task-data', taskId: task.id }, file: f, chunkSize: 384 * KiB })
      .catch((e: unknown) => e)) as SyncError;
    expect(tus).toMatchObject({ code: 'too-large', status: 413 });
    // a chunk under the limit gets through
    const ok = await writePng(dir, 'fits.png', 400 * KiB);
    await expect(
      client.tusUpload({
        target: { kind: 'task-data', taskId: task.id },
        file: ok,
        chunkSize: 128 * KiB,
      }),
    ).resolves.toMatchObject({
      uploadFilename: 'fits.png',
    });
  });

  it('a Location rewritten to another scheme stops before any byte is sent', async () => {
    const client = await via({ rewriteLocationScheme: 'https' });
    const f = await writePng(dir, 'scheme.png', 64 * KiB);
    const task = await client.createTask({ name: 'scheme', labels: LABELS });
    await client.uploadStart(task.id);
    let created = false;
    const err = (await client
      .tusUpload({
        target: { kind: 'task-data', taskId: task.id },
        file: f,
        chunkSize: 32 * KiB,
        onCreated: () => void (created = true),
      })
      .catch((e: unknown) => e)) as SyncError;
    expect(err).toMatchObject({ code: 'tus-location-mismatch', kind: 'fatal' });
    expect(err.hint).toMatch(/X-Forwarded/);
    expect(created).toBe(false);
    expect(server.admin.uploads().find((u) => u.taskId === task.id)?.offset).toBe(0);
  });
});
