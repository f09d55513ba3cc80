// Failures below and around HTTP: transient 503 with Retry-After, a server that is down, one that
// never answers, a proxy that rewrites HEAD.
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer } from '../../cvat-server/index.js';
import type { SyncError } from '../../../main/core/errors.js';
import { makeClient } from './helpers.js';

describe('transient failures', () => {
  let server: Awaited<ReturnType<typeof startCvatServer>>;
  beforeAll(async () => {
    server = await startCvatServer({ seed: 41 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('retries a GET answered 503 with Retry-After, waiting at least that long', async () => {
    const client = makeClient(server.url, { kind: 'token', token: server.users.alice.token });
    server.faults.failNext({
      kind: 'status',
      status: 503,
      headers: { 'Retry-After': '1' },
      path: '/api/users/self',
      times: 2,
    });
    const started = Date.now();
    const me = await client.self();
    expect(me.username).toBe(server.users.alice.username);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  });

  it('gives up with a transient error when the 503s outlast the retries', async () => {
    const client = makeClient(server.url, { kind: 'token', token: server.users.alice.token });
    server.faults.failNext({ kind: 'status', status: 503, path: '/api/users/self', times: 10 });
    const err = (await client.self().catch((e: unknown) => e)) as SyncError;
    expect(err).toMatchObject({ code: 'server', kind: 'transient', status: 503 });
    server.faults.clear();
  });

  it('does not retry a POST', async () => {
    const client = makeClient(server.url, { kind: 'token', token: server.users.alice.token });
    server.faults.failNext({
      kind: 'status',
      status: 503,
      path: '/api/tasks',
      method: 'POST',
      times: 1,
    });
    await expect(
      client.createTask({ name: 'no retry', labels: [{ name: 'a' }] }),
    ).rejects.toMatchObject({ status: 503, kind: 'transient' });
    expect((await client.findTasksByName('no retry')).length).toBe(0);
  });
});

describe('network failures', () => {
  it('a server that is down is a transient network error with a hint', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const client = makeClient(`http://127.0.0.1:${port}`, null, {
      retry: { baseMs: 1, maxMs: 2, jitter: 0, maxAttempts: 2 },
    });
    const err = (await client.about().catch((e: unknown) => e)) as SyncError;
    expect(err).toMatchObject({ code: 'network', kind: 'transient', status: 0 });
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.hint).toBe('Is the server URL right and reachable?');
  });

  it('a server that never answers times out', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer(() => undefined);
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as AddressInfo).port;
      const client = makeClient(`http://127.0.0.1:${port}`, null, {
        timeoutMs: 200,
        retry: { baseMs: 1, maxMs: 2, jitter: 0, maxAttempts: 1 },
      });
      await expect(client.about()).rejects.toMatchObject({ code: 'timeout', kind: 'transient' });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('a caller abort is a cancellation, not a failure', async () => {
    const silent = createServer(() => undefined);
    const sockets = new Set<Socket>();
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as AddressInfo).port;
      const client = makeClient(`http://127.0.0.1:${port}`, null);
      const abort = new AbortController();
      const p = client.about(abort.signal);
      setTimeout(() => abort.abort(), 50);
      await expect(p).rejects.toMatchObject({ code: 'cancelled' });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});

describe('credentials stay with the server', () => {
  it('a result_url on another origin is fetched from the server; a redirect there goes without Authorization', async () => {
    const seen: Array<{ at: string; path: string; auth: string | undefined }> = [];
    let otherUrl = '';
    const other = createServer((req, res) => {
      seen.push({ at: 'other', path: req.url ?? '', auth: req.headers.authorization });
      res.end('data');
    });
    const home = createServer((req, res) => {
      seen.push({ at: 'home', path: req.url ?? '', auth: req.headers.authorization });
      res.writeHead(302, { Location: `${otherUrl}/moved` }).end();
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => home.listen(0, '127.0.0.1', r));
    try {
      otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
      const homeUrl = `http://127.0.0.1:${(home.address() as AddressInfo).port}`;
      const client = makeClient(homeUrl, { kind: 'token', token: 'secret-token' });
      // A foreign result_url is taken onto the configured server (path and query kept).
      const direct = await client.download(`${otherUrl}/file.zip?rq_id=1`);
      for await (const _ of direct.body) void _;
      const redirected = await client.download(`${homeUrl}/api/tasks/1/backup/download?rq_id=x`);
      for await (const _ of redirected.body) void _;
      expect(seen).toEqual([
        { at: 'home', path: '/file.zip?rq_id=1', auth: 'Bearer secret-token' },
        { at: 'other', path: '/moved', auth: undefined },
        { at: 'home', path: '/api/tasks/1/backup/download?rq_id=x', auth: 'Bearer secret-token' },
        { at: 'other', path: '/moved', auth: undefined },
      ]);
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
      await new Promise<void>((r) => home.close(() => r()));
    }
  });
});
