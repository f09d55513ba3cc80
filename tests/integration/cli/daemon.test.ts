// The daemon's loopback web GUI: token, Host and Origin checks, RPC, SSE, static files.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../../main/cli/daemon.js';
import { MAX_RPC_BODY_BYTES, startDaemon } from '../../../main/cli/daemon.js';
import { MemoryCredentialStore } from '../../../main/service/credential-stores.js';
import { spawnCli } from './run-cli.js';

let work: string;
let daemon: Daemon;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: daemon.port,
        method,
        path,
        headers: { Host: `127.0.0.1:${daemon.port}`, ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function rpc(method: string, arg: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return send(
    'POST',
    `/rpc/${method}`,
    { Authorization: `Bearer ${daemon.token}`, 'Content-Type': 'application/json', ...headers },
    JSON.stringify(arg),
  );
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'cvat-sync-daemon-'));
  const ui = join(work, 'renderer');
  mkdirSync(join(ui, 'assets'), { recursive: true });
  writeFileSync(join(ui, 'index.html'), '<!doctype html><title>CVAT Sync</title>');
  writeFileSync(join(ui, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(work, 'secret.txt'), 'do not serve');
  daemon = await startDaemon({
    dataDir: join(work, 'data'),
    port: 0,
    rendererDir: ui,
    credentials: new MemoryCredentialStore(),
  });
});

afterAll(async () => {
  await daemon.close();
  rmSync(work, { recursive: true, force: true });
});

describe('daemon web GUI', () => {
  it('prints a loopback URL carrying a random token', () => {
    expect(daemon.url).toBe(`http://127.0.0.1:${daemon.port}/?token=${daemon.token}`);
    expect(daemon.token.length).toBeGreaterThanOrEqual(43);
  });

  it('serves the renderer with security headers', async () => {
    const index = await send('GET', '/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('CVAT Sync');
    expect(index.headers['content-type']).toMatch(/text\/html/);
    expect(index.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(index.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['referrer-policy']).toBe('no-referrer');
    const js = await send('GET', '/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect((await send('GET', '/missing.js')).status).toBe(404);
  });

  it('refuses path traversal', async () => {
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
      '/%00',
    ]) {
      const r = await send('GET', path);
      expect([403, 404]).toContain(r.status);
      expect(r.body).not.toContain('do not serve');
    }
  });

  it('answers 403 to a foreign Host (DNS rebinding) or Origin, and accepts localhost', async () => {
    expect((await send('GET', '/', { Host: 'evil.example:80' })).status).toBe(403);
    expect((await send('GET', '/', { Host: `attacker.test:${daemon.port}` })).status).toBe(403);
    expect((await send('GET', '/', { Host: `localhost:${daemon.port}` })).status).toBe(200);
    const cross = await rpc('getStatus', {}, { Origin: 'http://evil.example' });
    expect(cross.status).toBe(403);
    const same = await rpc('getStatus', {}, { Origin: `http://127.0.0.1:${daemon.port}` });
    expect(same.status).toBe(200);
  });

  it('requires the token for RPC and events', async () => {
    const none = await send('POST', '/rpc/getStatus', { 'Content-Type': 'application/json' }, '{}');
    expect(none.status).toBe(401);
    const wrong = await rpc('getStatus', {}, { Authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect((await send('GET', '/events')).status).toBe(401);
    expect((await send('GET', '/events?token=nope')).status).toBe(401);
  });

  it('round-trips contract calls as Results, and validates them', async () => {
    const status = await rpc('getStatus', {});
    expect(status.status).toBe(200);
    const parsed = JSON.parse(status.body) as {
      ok: boolean;
      value: { host: string; connection: { state: string } };
    };
    expect(parsed.ok).toBe(true);
    expect(parsed.value.host).toBe('daemon');
    expect(parsed.value.connection.state).toBe('signed-out');

    const signedOut = JSON.parse((await rpc('listTasks', { page: 1, pageSize: 10 })).body) as {
      ok: boolean;
      error: { code: string };
    };
    expect(signedOut).toMatchObject({ ok: false, error: { code: 'signed-out' } });

    const unknown = await rpc('dropDatabase', {});
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({
      ok: false,
      error: { code: 'unknown-method' },
    });
    const bad = await rpc('listTasks', { page: 0, pageSize: 'x' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    const notJson = await send(
      'POST',
      '/rpc/getStatus',
      { Authorization: `Bearer ${daemon.token}`, 'Content-Type': 'application/json' },
      '{',
    );
    expect(notJson.status).toBe(400);
    const big = await send(
      'POST',
      '/rpc/getStatus',
      { Authorization: `Bearer ${daemon.token}`, 'Content-Type': 'application/json' },
      JSON.stringify({ pad: 'x'.repeat(MAX_RPC_BODY_BYTES) }),
    );
    expect(big.status).toBe(413);
    const form = await send(
      'POST',
      '/rpc/getStatus',
      { Authorization: `Bearer ${daemon.token}`, 'Content-Type': 'text/plain' },
      '{}',
    );
    expect(form.status).toBe(415);
  });

  it('streams contract events over SSE', async () => {
    const received = new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: daemon.port,
          path: `/events?token=${daemon.token}`,
          headers: { Host: `127.0.0.1:${daemon.port}` },
        },
        (res) => {
          expect(res.statusCode).toBe(200);
          expect(res.headers['content-type']).toMatch(/text\/event-stream/);
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
            if (text.includes('event: status\ndata: ')) {
              req.destroy();
              resolve(text);
            }
          });
          // Trigger an event once the stream is open.
          void rpc('updateSettings', { concurrency: 4 });
        },
      );
      req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)));
      req.end();
    });
    const text = await received;
    const data = /event: status\ndata: (.*)\n\n/.exec(text)?.[1] ?? '';
    expect(JSON.parse(data)).toMatchObject({ host: 'daemon' });
    const settings = JSON.parse((await rpc('getSettings', {})).body) as {
      value: { concurrency: number };
    };
    expect(settings.value.concurrency).toBe(4);
  });
});

describe('cvat-sync daemon', () => {
  it('prints the URL, serves it and stops on SIGTERM', async () => {
    const home = join(work, 'cli-home');
    const child = spawnCli(['daemon', '--gui-port', '0'], { CVAT_SYNC_HOME: home });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no URL: ${out}`)), 30_000);
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[0]);
          }
        });
      });
      const u = new URL(url);
      const res = await fetch(`${u.origin}/rpc/getConnection`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${u.searchParams.get('token') ?? ''}`,
          'Content-Type': 'application/json',
        },
        body: '{}',
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { ok: boolean }).ok).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
