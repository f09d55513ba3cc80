// The daemon's loopback web GUI: token, Host and Origin checks, RPC, SSE, static files.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../../main/cli/daemon.js';
import { MAX_RPC_BODY_BYTES, startDaemon } from '../../../main/cli/daemon.js';
import { MemoryCredentialStore } from '../../../main/service/credential-stores.js';
import { runCli, spawnCli } from './run-cli.js';

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

function redeem(code: string, headers: Record<string, string> = {}): Promise<Reply> {
  return send(
    'POST',
    '/session',
    { 'Content-Type': 'application/json', ...headers },
    JSON.stringify({ code }),
  );
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
  it('has a loopback URL without any secret, and a random token', () => {
    expect(daemon.url).toBe(`http://127.0.0.1:${daemon.port}/`);
    expect(daemon.token.length).toBeGreaterThanOrEqual(43);
  });

  it('signs a browser in with a single-use code, never with the token in the link', async () => {
    const link = new URL(daemon.signInLink());
    expect(link.origin).toBe(`http://127.0.0.1:${daemon.port}`);
    expect(link.href).not.toContain(daemon.token);
    expect(link.searchParams.get('token')).toBeNull();
    const code = link.searchParams.get('code') ?? '';
    expect(code.length).toBeGreaterThanOrEqual(32);
    const first = await redeem(code);
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toEqual({ ok: true, value: { token: daemon.token } });
    const again = await redeem(code);
    expect(again.status).toBe(401);
    expect(JSON.parse(again.body)).toMatchObject({ ok: false, error: { code: 'auth' } });
    expect(again.body).not.toContain(daemon.token);
    expect((await redeem('made-up-code')).status).toBe(401);
    expect((await send('GET', '/session')).status).toBe(405);
    // A foreign page cannot trade a code it learnt (Origin check).
    const stolen = new URL(daemon.signInLink()).searchParams.get('code') ?? '';
    expect((await redeem(stolen, { Origin: 'http://evil.example' })).status).toBe(403);
    // Minting a new link needs the token.
    expect((await send('POST', '/session/link')).status).toBe(401);
    const minted = await send('POST', '/session/link', { Authorization: `Bearer ${daemon.token}` });
    const url = (JSON.parse(minted.body) as { value: { url: string } }).value.url;
    expect((await redeem(new URL(url).searchParams.get('code') ?? '')).status).toBe(200);
  });

  it('lets a sign-in code expire', async () => {
    const short = await startDaemon({
      dataDir: join(work, 'data-short'),
      port: 0,
      rendererDir: join(work, 'renderer'),
      credentials: new MemoryCredentialStore(),
      signInCodeLifetimeMs: 100,
    });
    try {
      const code = new URL(short.signInLink()).searchParams.get('code') ?? '';
      await new Promise((r) => setTimeout(r, 250));
      const r = await fetch(`http://127.0.0.1:${short.port}/session`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ code }),
      });
      expect(r.status).toBe(401);
      const fresh = new URL(short.signInLink()).searchParams.get('code') ?? '';
      const ok = await fetch(`http://127.0.0.1:${short.port}/session`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ code: fresh }),
      });
      expect(ok.status).toBe(200);
    } finally {
      await short.close();
    }
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
    // A malformed percent escape in the method name is an unknown method, not a crash.
    const malformed = await rpc('%E0%A4%A', {});
    expect(malformed.status).toBe(404);
    expect(JSON.parse(malformed.body)).toMatchObject({
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

/** Waits until `pattern` shows up in the child's stdout. */
function waitForOutput(
  child: ReturnType<typeof spawnCli>,
  pattern: RegExp,
  what: string,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ${what}: ${out}`)), 30_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
}

async function tradeCode(link: string): Promise<{ status: number; token: string }> {
  const u = new URL(link);
  const r = await fetch(`${u.origin}/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code: u.searchParams.get('code') }),
  });
  const body = (await r.json()) as { value?: { token: string } };
  return { status: r.status, token: body.value?.token ?? '' };
}

describe('cvat-sync daemon', () => {
  it('prints a single-use link, serves it and stops on SIGTERM', async () => {
    const home = join(work, 'cli-home');
    const child = spawnCli(['daemon', '--gui-port', '0'], { CVAT_SYNC_HOME: home });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const [link] = await waitForOutput(child, /http:\/\/127\.0\.0\.1:\d+\/\S*/, 'URL');
      expect(link).not.toContain('token=');
      const traded = await tradeCode(link);
      expect(traded.status).toBe(200);
      expect((await tradeCode(link)).status).toBe(401);
      const res = await fetch(`${new URL(link).origin}/rpc/getConnection`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${traded.token}`,
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

  it('--open hands the browser a one-time code, not the token; --no-print-url prints none', async () => {
    const home = join(work, 'cli-open');
    const bin = join(work, 'fake-bin');
    const argvFile = join(work, 'opener-argv.txt');
    mkdirSync(bin, { recursive: true });
    // Stands in for xdg-open: records the command line any local user could read in /proc.
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argvFile}'\n`, {
      mode: 0o755,
    });
    const child = spawnCli(['daemon', '--gui-port', '0', '--open', '--no-print-url'], {
      CVAT_SYNC_HOME: home,
      PATH: `${bin}:${process.env.PATH ?? ''}`,
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    try {
      await waitForOutput(child, /running on http:\/\/127\.0\.0\.1:\d+\//, 'address');
      const deadline = Date.now() + 30_000;
      while (!existsSync(argvFile) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const argv = readFileSync(argvFile, 'utf8').trim();
      const daemonFile = JSON.parse(readFileSync(join(home, 'daemon.json'), 'utf8')) as {
        token: string;
        port: number;
      };
      expect(argv).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?code=[\w-]+$/);
      expect(argv).not.toContain(daemonFile.token);
      expect(stdout).not.toContain('code=');
      expect(stdout).not.toContain(daemonFile.token);
      const traded = await tradeCode(argv);
      expect(traded).toEqual({ status: 200, token: daemonFile.token });
      expect((await tradeCode(argv)).status).toBe(401);

      // `cvat-sync open --print` mints a fresh link from the running daemon.
      const opened = await runCli(['open', '--print'], { env: { CVAT_SYNC_HOME: home } });
      expect(opened.code).toBe(0);
      const fresh = opened.stdout.trim();
      expect(fresh).toMatch(/\?code=/);
      expect(fresh).not.toContain(daemonFile.token);
      expect((await tradeCode(fresh)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('open says so when no daemon runs', async () => {
    const r = await runCli(['open'], { env: { CVAT_SYNC_HOME: join(work, 'no-daemon') } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/No `cvat-sync daemon` is running/);
  });
});
