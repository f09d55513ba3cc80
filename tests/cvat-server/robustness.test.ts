// Persistence across restarts (including SIGKILL of a standalone server), every fault kind,
// traffic stats, the /_test/ HTTP controls and the misbehaving proxy.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer, createMisbehavingProxy, makePng } from './index.js';
import type { CvatTestServer } from './index.js';
import { attachImages, call, createTask, form, images, raw, tusMeta } from './test-helpers.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Sends a request and reports whether the connection was reset instead of answered. */
function attempt(
  url: string,
  method: string,
  headers: Record<string, string | number>,
  body?: Buffer,
): Promise<{ status?: number; error?: string; body?: Buffer }> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(parts) }));
      res.on('error', (e) =>
        resolve({ status: res.statusCode, error: e.message, body: Buffer.concat(parts) }),
      );
      res.on('aborted', () =>
        resolve({ status: res.statusCode, error: 'aborted', body: Buffer.concat(parts) }),
      );
    });
    req.on('error', (e) => resolve({ error: e.message }));
    if (body) req.write(body);
    req.end();
  });
}

async function tusStart(
  s: CvatTestServer,
  taskId: number,
  name: string,
  length: number,
): Promise<string> {
  await call(s, 'POST', `/api/tasks/${taskId}/data/`, {
    headers: { 'Upload-Start': 'true' },
    body: {},
  });
  const r = await raw(`${s.url}/api/tasks/${taskId}/data/`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${s.users.alice.token}`,
      'Upload-Length': length,
      'Upload-Metadata': tusMeta(name),
      'Content-Length': 0,
    },
  });
  return String(r.headers.location);
}

const patchHeaders = (s: CvatTestServer, offset: number, length: number) => ({
  Authorization: `Bearer ${s.users.alice.token}`,
  'Tus-Resumable': '1.0.0',
  'Content-Type': 'application/offset+octet-stream',
  'Upload-Offset': offset,
  'Content-Length': length,
});

async function headOffset(s: CvatTestServer, location: string): Promise<number> {
  const r = await raw(location, {
    method: 'HEAD',
    headers: { Authorization: `Bearer ${s.users.alice.token}` },
  });
  return Number(r.headers['upload-offset']);
}

describe('persistence', () => {
  it('state and TUS offsets survive a restart on another port; Location uses the new host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cvat-persist-'));
    try {
      const png = makePng(64, 48, 3);
      let s = await startCvatServer({ dataDir: dir, processingDelayMs: 10 });
      const token = s.users.alice.token;
      const taskId = await createTask(s, { name: 'persisted' });
      const loc = await tusStart(s, taskId, 'resume.png', png.length);
      expect(
        (
          await raw(loc, {
            method: 'PATCH',
            headers: patchHeaders(s, 0, 100),
            body: png.subarray(0, 100),
          })
        ).status,
      ).toBe(204);
      await s.close();
      s = await startCvatServer({ dataDir: dir, processingDelayMs: 10 });
      expect(s.users.alice.token).toBe(token);
      const moved = loc.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${s.port}`);
      expect(await headOffset(s, moved)).toBe(100);
      const another = await raw(`${s.url}/api/tasks/${taskId}/data/`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Upload-Length': 5,
          'Upload-Metadata': tusMeta('x.png'),
          'Content-Length': 0,
        },
      });
      expect(another.headers.location).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${s.port}/`));
      expect(
        (
          await raw(moved, {
            method: 'PATCH',
            headers: patchHeaders(s, 100, png.length - 100),
            body: png.subarray(100),
          })
        ).status,
      ).toBe(204);
      expect((await call(s, 'GET', `/api/tasks/${taskId}`)).json().name).toBe('persisted');
      expect(s.admin.taskFiles(taskId).find((f) => f.name === 'resume.png')?.sha256).toBe(sha(png));
      await s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an acknowledged PATCH survives SIGKILL of the standalone server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cvat-kill-'));
    const startChild = () =>
      new Promise<{ url: string; token: string; kill: () => Promise<void> }>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', join(import.meta.dirname, 'cli.ts'), '--port', '0', '--data', dir],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const url = /listening on (http:\S+)/.exec(out)?.[1];
          const token = /CVAT_ACCESS_TOKEN=(\S+)/.exec(out)?.[1];
          if (url && token)
            resolve({
              url,
              token,
              kill: () =>
                new Promise((r) => {
                  child.once('exit', () => r());
                  child.kill('SIGKILL');
                }),
            });
        });
        child.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
      });
    try {
      const a = await startChild();
      const H = { Authorization: `Bearer ${a.token}` };
      const t = await fetch(`${a.url}/api/tasks`, {
        method: 'POST',
        headers: { ...H, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'k', labels: [{ name: 'x' }] }),
      });
      const taskId = ((await t.json()) as { id: number }).id;
      const created = await raw(`${a.url}/api/tasks/${taskId}/data/`, {
        method: 'POST',
        headers: {
          ...H,
          'Upload-Length': 1000,
          'Upload-Metadata': tusMeta('k.bin'),
          'Content-Length': 0,
        },
      });
      const loc = String(created.headers.location);
      const p = await raw(loc, {
        method: 'PATCH',
        headers: {
          ...H,
          'Content-Type': 'application/offset+octet-stream',
          'Upload-Offset': 0,
          'Content-Length': 400,
        },
        body: Buffer.alloc(400, 1),
      });
      expect(p.status).toBe(204);
      await a.kill();
      const b = await startChild();
      const head = await raw(loc.replace(/^http:\/\/[^/]+/, b.url), { method: 'HEAD', headers: H });
      expect(head.headers['upload-offset']).toBe('400');
      await b.kill();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('faults', () => {
  let s: CvatTestServer;
  beforeAll(async () => {
    s = await startCvatServer({ processingDelayMs: 10, seed: 42 });
  });
  afterAll(async () => s.close());

  it('errorRate → 503 with Retry-After; clear() restores service', async () => {
    s.faults.set({ errorRate: 1, retryAfterSeconds: 7 });
    const r = await call(s, 'GET', '/api/users/self');
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('7');
    s.faults.clear();
    expect((await call(s, 'GET', '/api/users/self')).status).toBe(200);
  });

  it('scripted status faults match method and path and are consumed in order', async () => {
    s.faults.failNext({
      method: 'GET',
      path: /\/api\/tasks$/,
      kind: 'status',
      status: 429,
      headers: { 'Retry-After': '2' },
      body: { detail: 'slow down' },
      times: 2,
    });
    s.faults.failNext({ path: '/api/tasks', kind: 'status', status: 502, body: 'Bad Gateway' });
    expect((await call(s, 'GET', '/api/users/self')).status).toBe(200);
    const a = await call(s, 'GET', '/api/tasks');
    expect(a.status).toBe(429);
    expect(a.headers.get('retry-after')).toBe('2');
    expect(a.json()).toEqual({ detail: 'slow down' });
    expect((await call(s, 'GET', '/api/tasks')).status).toBe(429);
    const c = await call(s, 'GET', '/api/tasks');
    expect(c.status).toBe(502);
    expect(c.text).toBe('Bad Gateway');
    expect((await call(s, 'GET', '/api/tasks')).status).toBe(200);
  });

  // CVAT reads the whole body before the view runs (TusChunk reads request.body,
  // cvat/apps/engine/mixins.py): a PATCH cut mid-body changes nothing.
  it('reset-request on PATCH has no effect: the offset stays and the ledger counts the bytes', async () => {
    const data = Buffer.alloc(200_000, 5);
    const taskId = await createTask(s);
    const loc = await tusStart(s, taskId, 'r.bin', data.length);
    s.faults.failNext({ method: 'PATCH', kind: 'reset-request', afterBytes: 12_345 });
    const r = await attempt(loc, 'PATCH', patchHeaders(s, 0, data.length), data);
    expect(r.error).toBeTruthy();
    await new Promise((res) => setTimeout(res, 50));
    expect(await headOffset(s, loc)).toBe(0);
    const entry = s.admin.ledger().tasks.find((t) => t.taskId === taskId);
    expect(entry?.bytesReceived).toBe(12_345);
    expect(entry?.bytesDiscarded).toBe(12_345);
    expect(
      (
        await raw(loc, {
          method: 'PATCH',
          headers: patchHeaders(s, 0, data.length),
          body: data,
        })
      ).status,
    ).toBe(204);
    const after = s.admin.ledger().tasks.find((t) => t.taskId === taskId);
    expect(after?.bytesReceived).toBe(12_345 + data.length);
    expect(after?.files['r.bin']).toBe(12_345 + data.length);
    expect(s.admin.taskFiles(taskId)[0]?.sha256).toBe(sha(data));
  });

  it('a PATCH cut after N bytes of its body leaves the offset where it was', async () => {
    const data = Buffer.alloc(300_000, 7);
    const taskId = await createTask(s);
    const loc = await tusStart(s, taskId, 'n.bin', data.length);
    expect(
      (
        await raw(loc, {
          method: 'PATCH',
          headers: patchHeaders(s, 0, 100_000),
          body: data.subarray(0, 100_000),
        })
      ).status,
    ).toBe(204);
    s.faults.failNext({ method: 'PATCH', kind: 'reset-request', afterBytes: 150_000 });
    const r = await attempt(
      loc,
      'PATCH',
      patchHeaders(s, 100_000, 200_000),
      data.subarray(100_000),
    );
    expect(r.error).toBeTruthy();
    await new Promise((res) => setTimeout(res, 50));
    expect(await headOffset(s, loc)).toBe(100_000);
  });

  it('drop-answer on a PATCH keeps its effect: the offset moved, the client got no answer', async () => {
    const data = Buffer.alloc(50_000, 9);
    const taskId = await createTask(s);
    const loc = await tusStart(s, taskId, 'd.bin', data.length * 2);
    s.faults.failNext({ method: 'PATCH', kind: 'drop-answer' });
    const r = await attempt(loc, 'PATCH', patchHeaders(s, 0, data.length), data);
    expect(r.error).toBeTruthy();
    expect(r.status).toBeUndefined();
    expect(await headOffset(s, loc)).toBe(data.length);
  });

  // DRF parses the whole multipart body (request.data) before append_files writes anything.
  it('reset-request on Upload-Multiple appends nothing, not even the parts that arrived whole', async () => {
    const taskId = await createTask(s);
    await call(s, 'POST', `/api/tasks/${taskId}/data/`, {
      headers: { 'Upload-Start': 'true' },
      body: {},
    });
    const files = [
      { name: 'a.png', data: makePng(300, 300, 1) },
      { name: 'b.png', data: makePng(300, 300, 2) },
    ];
    const fd = form(files);
    const req = new Request(`${s.url}/api/tasks/${taskId}/data/`, { method: 'POST', body: fd });
    const body = Buffer.from(await req.arrayBuffer());
    const cut = body.indexOf(Buffer.from('b.png')) + 1000;
    s.faults.failNext({ method: 'POST', path: '/data', kind: 'reset-request', afterBytes: cut });
    const r = await attempt(
      `${s.url}/api/tasks/${taskId}/data/`,
      'POST',
      {
        Authorization: `Bearer ${s.users.alice.token}`,
        'Upload-Multiple': 'true',
        'Content-Type': String(req.headers.get('content-type')),
        'Content-Length': body.length,
      },
      body,
    );
    expect(r.error).toBeTruthy();
    await new Promise((res) => setTimeout(res, 50));
    expect(s.admin.taskFiles(taskId)).toEqual([]);
    const entry = s.admin.ledger().tasks.find((t) => t.taskId === taskId);
    expect(entry?.files['a.png']).toBe(files[0]!.data.length);
    expect(entry?.files['b.png']).toBeGreaterThan(0);
    expect(entry?.bytesDiscarded).toBe(entry?.bytesReceived);
    // Nothing was registered either: the same request sent again is stored whole.
    const again = await attempt(
      `${s.url}/api/tasks/${taskId}/data/`,
      'POST',
      {
        Authorization: `Bearer ${s.users.alice.token}`,
        'Upload-Multiple': 'true',
        'Content-Type': String(req.headers.get('content-type')),
        'Content-Length': body.length,
      },
      body,
    );
    expect(again.status).toBe(200);
    const stored = s.admin.taskFiles(taskId);
    expect(stored.map((f) => f.sha256)).toEqual(files.map((f) => sha(f.data)));
  });

  it('drop-answer on Upload-Multiple stores the files; sending them again answers 500 and stores nothing', async () => {
    const taskId = await createTask(s);
    await call(s, 'POST', `/api/tasks/${taskId}/data/`, {
      headers: { 'Upload-Start': 'true' },
      body: {},
    });
    const files = [{ name: 'a.png', data: makePng(100, 100, 1) }];
    const fd = form(files);
    const req = new Request(`${s.url}/api/tasks/${taskId}/data/`, { method: 'POST', body: fd });
    const body = Buffer.from(await req.arrayBuffer());
    const headers = {
      Authorization: `Bearer ${s.users.alice.token}`,
      'Upload-Multiple': 'true',
      'Content-Type': String(req.headers.get('content-type')),
      'Content-Length': body.length,
    };
    s.faults.failNext({ method: 'POST', header: 'upload-multiple', kind: 'drop-answer' });
    const r = await attempt(`${s.url}/api/tasks/${taskId}/data/`, 'POST', headers, body);
    expect(r.error).toBeTruthy();
    expect(r.status).toBeUndefined();
    expect(s.admin.taskFiles(taskId).map((f) => f.sha256)).toEqual([sha(files[0]!.data)]);
    const again = await attempt(`${s.url}/api/tasks/${taskId}/data/`, 'POST', headers, body);
    expect(again.status).toBe(500);
    expect(s.admin.taskFiles(taskId).map((f) => f.size)).toEqual([files[0]!.data.length]);
  });

  it('reset-response drops the socket after N response bytes', async () => {
    const taskId = await createTask(s);
    const { resultUrl } = s.admin.addSyntheticResult(taskId, 100_000);
    s.faults.failNext({ path: '/dataset/download', kind: 'reset-response', afterBytes: 30_000 });
    const r = await attempt(resultUrl, 'GET', { Authorization: `Bearer ${s.users.alice.token}` });
    expect(r.status).toBe(200);
    expect(r.error).toBeTruthy();
    expect(r.body?.length).toBe(30_000);
    s.faults.failNext({ kind: 'reset-response', afterBytes: 0 });
    expect(
      (
        await attempt(`${s.url}/api/users/self`, 'GET', {
          Authorization: `Bearer ${s.users.alice.token}`,
        })
      ).error,
    ).toBeTruthy();
  });

  it('hang, latency and bandwidth slow requests down', async () => {
    s.faults.failNext({ kind: 'hang', ms: 250 });
    let t0 = Date.now();
    expect((await call(s, 'GET', '/api/users/self')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
    s.faults.set({ latencyMs: 100 });
    t0 = Date.now();
    await call(s, 'GET', '/api/users/self');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);
    s.faults.clear();
    const taskId = await createTask(s);
    const { resultUrl } = s.admin.addSyntheticResult(taskId, 100_000);
    s.faults.set({ bandwidthBytesPerSec: 250_000 });
    t0 = Date.now();
    const r = await fetch(resultUrl, {
      headers: { Authorization: `Bearer ${s.users.alice.token}` },
    });
    expect((await r.arrayBuffer()).byteLength).toBe(100_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    s.faults.clear();
  });

  it('a shared link caps parallel requests together, a per-request cap does not', async () => {
    const taskId = await createTask(s);
    const { resultUrl } = s.admin.addSyntheticResult(taskId, 200_000);
    const both = async (): Promise<number> => {
      const t0 = Date.now();
      const sizes = await Promise.all(
        [0, 1].map(async () => {
          const r = await fetch(resultUrl, {
            headers: { Authorization: `Bearer ${s.users.alice.token}` },
          });
          return (await r.arrayBuffer()).byteLength;
        }),
      );
      expect(sizes).toEqual([200_000, 200_000]);
      return Date.now() - t0;
    };
    s.faults.set({ bandwidthBytesPerSec: 1_000_000 });
    const perRequest = await both();
    s.faults.clear();
    s.faults.set({ linkBytesPerSec: 1_000_000 });
    const shared = await both();
    s.faults.clear();
    // 400 kB over one 1 MB/s link take >= 400 ms; each on its own 1 MB/s, about 200 ms.
    expect(shared).toBeGreaterThanOrEqual(380);
    expect(perRequest).toBeLessThan(shared);
  });

  it('resetRate resets connections; the pattern is reproducible with a seed', async () => {
    const run = async (seed: number) => {
      const srv = await startCvatServer({ seed });
      srv.faults.set({ errorRate: 0.5 });
      const out: number[] = [];
      for (let i = 0; i < 12; i++) out.push((await call(srv, 'GET', '/api/users/self')).status);
      srv.faults.set({ errorRate: 0, resetRate: 1 });
      const reset = await attempt(`${srv.url}/api/users/self`, 'GET', {
        Authorization: `Bearer ${srv.users.alice.token}`,
      });
      await srv.close();
      return { out, reset };
    };
    const a = await run(7);
    const b = await run(7);
    expect(a.out).toEqual(b.out);
    expect(a.out).toContain(503);
    expect(a.out).toContain(200);
    expect(a.reset.error).toBeTruthy();
  });

  it('stats count requests, methods and bytes; /_test/ HTTP controls drive the same server', async () => {
    const before = s.faults.stats();
    await call(s, 'POST', '/api/tasks', { body: { name: 'stats', labels: [{ name: 'a' }] } });
    const after = s.faults.stats();
    expect(after.requests).toBe(before.requests + 1);
    expect(after.byMethod.POST).toBe((before.byMethod.POST ?? 0) + 1);
    expect(after.bytesIn).toBeGreaterThan(before.bytesIn);
    expect(after.log.at(-1)).toMatchObject({ method: 'POST', path: '/api/tasks', status: 201 });
    const post = (path: string, body: unknown) =>
      fetch(`${s.url}/_test${path}`, { method: 'POST', body: JSON.stringify(body) });
    await post('/faults/fail-next', {
      kind: 'status',
      status: 418,
      pathRegex: '^/api/users/self$',
    });
    expect((await call(s, 'GET', '/api/users/self')).status).toBe(418);
    const taskId = await createTask(s);
    await attachImages(s, taskId, images(2));
    await post(`/complete-task/${taskId}`, {});
    expect((await call(s, 'GET', `/api/tasks/${taskId}`)).json().status).toBe('completed');
    const files = (await (await fetch(`${s.url}/_test/tasks/${taskId}/files`)).json()) as Array<{
      name: string;
    }>;
    expect(files.map((f) => f.name)).toEqual(['img_000.png', 'img_001.png']);
    await post('/revoke', { token: s.users.alice.key });
    expect(
      (
        await call(s, 'GET', '/api/users/self', {
          headers: { Authorization: `Token ${s.users.alice.key}` },
        })
      ).status,
    ).toBe(401);
    expect(await (await fetch(`${s.url}/_test/stats-nope`)).status).toBe(404);
  });
});

describe('misbehaving proxy', () => {
  let s: CvatTestServer;
  beforeAll(async () => {
    s = await startCvatServer({ processingDelayMs: 10 });
  });
  afterAll(async () => s.close());

  it('forwards (streaming) and answers nginx-style 413 above maxBodyBytes', async () => {
    const proxy = await createMisbehavingProxy({ target: s.url, maxBodyBytes: 1000 });
    try {
      const ok = await fetch(`${proxy.url}/api/users/self`, {
        headers: { Authorization: `Bearer ${s.users.alice.token}` },
      });
      expect(ok.status).toBe(200);
      const taskId = await createTask(s);
      const big = await fetch(`${proxy.url}/api/tasks/${taskId}/data/`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${s.users.alice.token}`, 'Upload-Multiple': 'true' },
        body: form(images(3)),
      });
      expect(big.status).toBe(413);
      expect(big.headers.get('content-type')).toBe('text/html');
      expect(await big.text()).toMatch(/413 Request Entity Too Large/);
      const { resultUrl } = s.admin.addSyntheticResult(taskId, 2_000_000);
      const dl = await fetch(resultUrl.replace(s.url, proxy.url), {
        headers: { Authorization: `Bearer ${s.users.alice.token}` },
      });
      expect((await dl.arrayBuffer()).byteLength).toBe(2_000_000);
    } finally {
      await proxy.close();
    }
  });

  it('HEAD→GET, Location scheme rewriting and header stripping', async () => {
    const proxy = await createMisbehavingProxy({
      target: s.url,
      headToGet: true,
      rewriteLocationScheme: 'https',
      stripHeaders: ['upload-offset'],
    });
    try {
      const taskId = await createTask(s);
      await call(s, 'POST', `/api/tasks/${taskId}/data/`, {
        headers: { 'Upload-Start': 'true' },
        body: {},
      });
      const created = await raw(`${proxy.url}/api/tasks/${taskId}/data/`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${s.users.alice.token}`,
          'Upload-Length': 10,
          'Upload-Metadata': tusMeta('p.bin'),
          'Content-Length': 0,
        },
      });
      const loc = String(created.headers.location);
      expect(loc).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${new URL(proxy.url).port}/`));
      const viaProxy = loc.replace(/^https:/, 'http:');
      const head = await raw(viaProxy, {
        method: 'HEAD',
        headers: { Authorization: `Bearer ${s.users.alice.token}` },
      });
      expect(head.status).toBe(405); // the upstream saw GET
      const p = await raw(viaProxy, {
        method: 'PATCH',
        headers: patchHeaders(s, 0, 10),
        body: Buffer.alloc(10),
      });
      expect(p.status).toBe(204);
      expect(p.headers['upload-offset']).toBeUndefined();
    } finally {
      await proxy.close();
    }
  });
});
