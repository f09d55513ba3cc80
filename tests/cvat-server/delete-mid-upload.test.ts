// A task deleted while an upload's body is still arriving: as in CVAT the upload answers 404,
// the server keeps serving, and nothing of the task stays on disk.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePng, startCvatServer } from './index.js';
import type { CvatTestServer } from './index.js';
import { call, createTask, raw, tusMeta } from './test-helpers.js';

let s: CvatTestServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cvat-delete-mid-'));
  s = await startCvatServer({ dataDir, processingDelayMs: 10 });
});
afterAll(async () => {
  await s.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts a request whose body is written by the caller; resolves with the status once answered. */
function open(
  path: string,
  headers: Record<string, string | number>,
): { req: ClientRequest; status: Promise<number | undefined> } {
  let req!: ClientRequest;
  const status = new Promise<number | undefined>((resolve) => {
    req = httpRequest(
      `${s.url}${path}`,
      { method: headers['X-Method'] as string, headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', () => resolve(undefined));
  });
  return { req, status };
}

const auth = (): Record<string, string> => ({ Authorization: `Bearer ${s.users.alice.token}` });

async function deleteWhileSending(
  taskId: number,
  start: (
    taskId: number,
  ) => Promise<{ req: ClientRequest; status: Promise<number | undefined>; rest: Buffer }>,
): Promise<number | undefined> {
  const { req, status, rest } = await start(taskId);
  // The first part of the body is in; the task goes away before the rest arrives.
  await new Promise((r) => setTimeout(r, 100));
  expect((await call(s, 'DELETE', `/api/tasks/${taskId}`)).status).toBe(204);
  req.end(rest);
  return status;
}

function taskLeftovers(taskId: number): string[] {
  const dir = join(dataDir, 'tasks', String(taskId));
  return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String) : [];
}

describe('a task deleted mid-upload', () => {
  it('answers the TUS PATCH 404 and leaves no file behind', async () => {
    const taskId = await createTask(s);
    const length = 4 * 1024 * 1024;
    await call(s, 'POST', `/api/tasks/${taskId}/data/`, {
      headers: { 'Upload-Start': 'true' },
      body: {},
    });
    const created = await raw(`${s.url}/api/tasks/${taskId}/data/`, {
      method: 'POST',
      headers: {
        ...auth(),
        'Upload-Length': length,
        'Upload-Metadata': tusMeta('clip.mp4'),
        'Content-Length': 0,
      },
    });
    const location = new URL(String(created.headers.location));
    const uploadsBefore = readdirSync(join(dataDir, 'uploads')).length;
    const status = await deleteWhileSending(taskId, async () => {
      const r = open(location.pathname, {
        ...auth(),
        'X-Method': 'PATCH',
        'Tus-Resumable': '1.0.0',
        'Upload-Offset': 0,
        'Content-Type': 'application/offset+octet-stream',
        'Content-Length': length,
      });
      r.req.write(Buffer.alloc(length / 2, 1));
      return { ...r, rest: Buffer.alloc(length / 2, 2) };
    });
    expect(status).toBe(404);
    expect(taskLeftovers(taskId)).toEqual([]);
    expect(readdirSync(join(dataDir, 'uploads')).length).toBe(uploadsBefore - 1);
    expect((await call(s, 'GET', '/api/server/about')).status).toBe(200);
  });

  it('answers an Upload-Multiple 404 and leaves no file behind', async () => {
    const taskId = await createTask(s);
    await call(s, 'POST', `/api/tasks/${taskId}/data/`, {
      headers: { 'Upload-Start': 'true' },
      body: {},
    });
    const boundary = 'cvat-sync-test-boundary';
    const part = (i: number, data: Buffer): Buffer =>
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="client_files[${i}]"; filename="img_${i}.png"\r\nContent-Type: image/png\r\n\r\n`,
        ),
        data,
        Buffer.from('\r\n'),
      ]);
    const first = Buffer.concat([part(0, makePng(20, 10, 1)), part(1, makePng(20, 10, 2))]);
    const rest = Buffer.concat([part(2, makePng(20, 10, 3)), Buffer.from(`--${boundary}--\r\n`)]);
    const status = await deleteWhileSending(taskId, async () => {
      const r = open(`/api/tasks/${taskId}/data/`, {
        ...auth(),
        'X-Method': 'POST',
        'Upload-Multiple': 'true',
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': first.length + rest.length,
      });
      r.req.write(first);
      return { ...r, rest };
    });
    expect(status).toBe(404);
    expect(taskLeftovers(taskId)).toEqual([]);
    expect(readdirSync(join(dataDir, 'tmp'))).toEqual([]);
    expect((await call(s, 'GET', '/api/server/about')).status).toBe(200);
  });
});
