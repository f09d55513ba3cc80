// Protocol cross-check: the same core TUS 1.0.0 scenarios against our CVAT /data/ endpoint and the
// reference @tus/server (FileStore), asserting agreement where the core protocol is shared.
//
// Deliberate CVAT differences (asserted separately below, not smoothed over):
// * Tus-Extension is empty (CVAT declares no extensions; @tus/server lists creation, termination…).
// * Tus-Resumable on requests is ignored (@tus/server answers 412 when it is missing).
// * A finished upload answers 404 on HEAD/PATCH (CVAT moves the file away); @tus/server keeps 200.
// * DELETE is 405 (no termination extension).
// * A wrong PATCH Content-Type is 415 (as the TUS spec says); @tus/server 2.4.5 answers 400.
import { createServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Server as TusServer } from '@tus/server';
import { FileStore } from '@tus/file-store';
import { startCvatServer } from './index.js';
import type { CvatTestServer } from './index.js';
import { call, createTask, raw, tusMeta } from './test-helpers.js';

interface Target {
  name: string;
  auth: Record<string, string>;
  /** A fresh collection URL for one upload. */
  collection(): Promise<string>;
}

let cvat: CvatTestServer;
let ref: HttpServer;
let refUrl: string;
let refDir: string;
const targets: Target[] = [];

beforeAll(async () => {
  cvat = await startCvatServer({ processingDelayMs: 10 });
  refDir = mkdtempSync(join(tmpdir(), 'tus-ref-'));
  const tus = new TusServer({ path: '/files', datastore: new FileStore({ directory: refDir }) });
  ref = createServer((req, res) => void tus.handle(req, res));
  await new Promise<void>((r) => ref.listen(0, '127.0.0.1', r));
  refUrl = `http://127.0.0.1:${(ref.address() as AddressInfo).port}`;
  targets.push(
    {
      name: 'cvat',
      auth: { Authorization: `Bearer ${cvat.users.alice.token}` },
      collection: async () => {
        const id = await createTask(cvat);
        await call(cvat, 'POST', `/api/tasks/${id}/data/`, {
          headers: { 'Upload-Start': 'true' },
          body: {},
        });
        return `${cvat.url}/api/tasks/${id}/data/`;
      },
    },
    { name: '@tus/server', auth: {}, collection: async () => `${refUrl}/files` },
  );
});

afterAll(async () => {
  await cvat.close();
  ref.closeAllConnections();
  await new Promise<void>((r) => ref.close(() => r()));
  rmSync(refDir, { recursive: true, force: true });
});

const T = { 'Tus-Resumable': '1.0.0' };
let n = 0;

async function create(t: Target, length: number): Promise<string> {
  const r = await raw(await t.collection(), {
    method: 'POST',
    headers: {
      ...t.auth,
      ...T,
      'Upload-Length': length,
      'Upload-Metadata': tusMeta(`f${++n}.bin`),
      'Content-Length': 0,
    },
  });
  expect(r.status, t.name).toBe(201);
  expect(r.headers.location, t.name).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  expect(r.headers['tus-resumable'], t.name).toBe('1.0.0');
  return String(r.headers.location);
}

const patch = (
  t: Target,
  loc: string,
  offset: number,
  body: Buffer,
  extra: Record<string, string | number> = {},
) =>
  raw(loc, {
    method: 'PATCH',
    headers: {
      ...t.auth,
      ...T,
      'Content-Type': 'application/offset+octet-stream',
      'Upload-Offset': offset,
      'Content-Length': body.length,
      ...extra,
    },
    body,
  });

const head = (t: Target, loc: string) => raw(loc, { method: 'HEAD', headers: { ...t.auth, ...T } });

/** Runs `scenario` against both servers and returns both results for comparison. */
async function both<R>(scenario: (t: Target) => Promise<R>): Promise<[R, R]> {
  const [a, b] = targets;
  return [await scenario(a as Target), await scenario(b as Target)];
}

describe('TUS core agreement: CVAT vs @tus/server', () => {
  it('OPTIONS: 204 with Tus-Resumable, Tus-Version and Tus-Max-Size', async () => {
    const [c, r] = await both(async (t) => {
      const res = await raw(await t.collection(), {
        method: 'OPTIONS',
        headers: { ...t.auth, ...T },
      });
      return {
        status: res.status,
        resumable: res.headers['tus-resumable'],
        version: String(res.headers['tus-version']).split(',').includes('1.0.0'),
        ext: res.headers['tus-extension'],
      };
    });
    expect(c.status).toBe(r.status);
    expect(c.resumable).toBe(r.resumable);
    expect(c.version).toBe(true);
    expect(r.version).toBe(true);
    expect(c.ext).toBe('');
    expect(String(r.ext)).toMatch(/creation/);
  });

  it('HEAD after creation: 200, Upload-Offset 0, Upload-Length, Cache-Control no-store', async () => {
    const [c, r] = await both(async (t) => {
      const h = await head(t, await create(t, 1234));
      return {
        status: h.status,
        offset: h.headers['upload-offset'],
        length: h.headers['upload-length'],
        cache: h.headers['cache-control'],
      };
    });
    expect(c).toEqual(r);
    expect(c).toEqual({ status: 200, offset: '0', length: '1234', cache: 'no-store' });
  });

  it('PATCH at the right offset: 204 and the new Upload-Offset', async () => {
    const [c, r] = await both(async (t) => {
      const res = await patch(t, await create(t, 100), 0, Buffer.alloc(40, 1));
      return { status: res.status, offset: res.headers['upload-offset'] };
    });
    expect(c).toEqual(r);
    expect(c).toEqual({ status: 204, offset: '40' });
  });

  it('PATCH with a wrong Upload-Offset: 409', async () => {
    const [c, r] = await both(async (t) => {
      const loc = await create(t, 100);
      await patch(t, loc, 0, Buffer.alloc(10));
      return (await patch(t, loc, 0, Buffer.alloc(10))).status;
    });
    expect(c).toBe(r);
    expect(c).toBe(409);
  });

  it('PATCH with the wrong Content-Type is refused without writing (CVAT and the spec: 415)', async () => {
    const [c, r] = await both(async (t) => {
      const loc = await create(t, 100);
      const status = (
        await patch(t, loc, 0, Buffer.alloc(10), { 'Content-Type': 'application/octet-stream' })
      ).status;
      return { status, offset: (await head(t, loc)).headers['upload-offset'] };
    });
    expect(c.offset).toBe(r.offset);
    expect(c.status).toBe(415);
    // @tus/server 2.4.5 rejects the header in its generic header validator with 400.
    expect(r.status).toBe(400);
  });

  it('PATCH beyond Upload-Length is refused and nothing is written', async () => {
    const [c, r] = await both(async (t) => {
      const loc = await create(t, 50);
      const res = await patch(t, loc, 0, Buffer.alloc(60));
      return {
        refused: res.status >= 400,
        offset: (await head(t, loc)).headers['upload-offset'],
        status: res.status,
      };
    });
    expect(c.refused).toBe(true);
    expect(r.refused).toBe(true);
    expect(c.offset).toBe(r.offset);
    expect(c.status).toBe(413);
  });

  // Here the two differ on purpose: @tus/server keeps what arrived, CVAT reads the whole body
  // before its view runs (TusChunk reads request.body, cvat/apps/engine/mixins.py) and keeps none.
  it('resume after a PATCH cut mid-body: HEAD reports what each kept, continuing completes the file', async () => {
    const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) & 0xff));
    const [c, r] = await both(async (t) => {
      const loc = await create(t, data.length);
      await new Promise<void>((resolve) => {
        const req = httpRequest(loc, {
          method: 'PATCH',
          headers: {
            ...t.auth,
            ...T,
            'Content-Type': 'application/offset+octet-stream',
            'Upload-Offset': 0,
            'Content-Length': data.length,
          },
        });
        req.on('error', () => resolve());
        req.write(data.subarray(0, 100_000), () =>
          setTimeout(() => {
            req.destroy();
            resolve();
          }, 100),
        );
      });
      await new Promise((res) => setTimeout(res, 100));
      const offset = Number((await head(t, loc)).headers['upload-offset']);
      const rest = await patch(t, loc, offset, data.subarray(offset));
      return { offset, status: rest.status, final: rest.headers['upload-offset'], loc };
    });
    expect(r.offset).toBe(100_000);
    expect(c.offset).toBe(0);
    expect(c.status).toBe(204);
    expect(r.status).toBe(204);
    expect(c.final).toBe(String(data.length));
    expect(r.final).toBe(c.final);
    const want = createHash('sha256').update(data).digest('hex');
    const refFile = readFileSync(join(refDir, r.loc.split('/').pop() ?? ''));
    expect(createHash('sha256').update(refFile).digest('hex')).toBe(want);
    const taskId = Number(/tasks\/(\d+)\//.exec(c.loc)?.[1]);
    expect(cvat.admin.taskFiles(taskId)[0]?.sha256).toBe(want);
  });
});

describe('TUS: deliberate CVAT differences', () => {
  it('missing Tus-Resumable: CVAT ignores it, @tus/server answers 412', async () => {
    const [c, r] = await both(async (t) => {
      const loc = await create(t, 10);
      return (
        await raw(loc, {
          method: 'PATCH',
          headers: {
            ...t.auth,
            'Content-Type': 'application/offset+octet-stream',
            'Upload-Offset': 0,
            'Content-Length': 5,
          },
          body: Buffer.alloc(5),
        })
      ).status;
    });
    expect(c).toBe(204);
    expect(r).toBe(412);
  });

  it('after completion CVAT answers 404 (file moved into the task), @tus/server keeps 200; DELETE 405 vs 204', async () => {
    const [c, r] = await both(async (t) => {
      const loc = await create(t, 5);
      await patch(t, loc, 0, Buffer.alloc(5));
      const h = (await head(t, loc)).status;
      const del = (await raw(loc, { method: 'DELETE', headers: { ...t.auth, ...T } })).status;
      return { h, del };
    });
    expect(c).toEqual({ h: 404, del: 405 });
    expect(r).toEqual({ h: 200, del: 204 });
  });
});
