// The engine commands: watch (graceful stop), the one-engine-per-data-folder lock, saved
// folders, status, and doctor behind misbehaving proxies.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMisbehavingProxy, makePng, startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { jsonLines, runCli, spawnCli } from './run-cli.js';

let server: CvatTestServer;
let work: string;

beforeAll(async () => {
  server = await startCvatServer({ processingDelayMs: 20 });
  work = mkdtempSync(join(tmpdir(), 'cvat-sync-engine-'));
});

afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

function env(home: string) {
  return {
    CVAT_SYNC_HOME: join(work, home),
    CVAT_SERVER: server.url,
    CVAT_ACCESS_TOKEN: server.users.alice.token,
  };
}

function waitFor(
  stream: NodeJS.ReadableStream,
  pattern: RegExp,
  timeoutMs = 30_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}; saw: ${seen}`)),
      timeoutMs,
    );
    stream.on('data', (c: Buffer) => {
      seen += c.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
  });
}

describe('watch and the data-folder lock', () => {
  it('uploads while watching, refuses a second engine naming the holder, serves read-only commands, and stops on SIGINT', async () => {
    const dir = join(work, 'watched');
    mkdirSync(join(dir, 'set1'), { recursive: true });
    writeFileSync(join(dir, 'set1', 'a.png'), makePng(8, 8, 1));
    writeFileSync(join(dir, 'set1', 'b.png'), makePng(8, 8, 2));
    const e = env('watch-home');
    writeFileSync(join(work, 'labels.json'), JSON.stringify([{ name: 'car' }]));
    const before = new Set(server.admin.tasks().map((t) => t.id));

    const child = spawnCli(
      ['watch', dir, '--labels', join(work, 'labels.json'), '--settle', '0.2'],
      e,
    );
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await waitFor(child.stderr, /Watching /);
      await waitFor(child.stderr, /done: upload "watched\/set1"/);
      expect(
        server.admin
          .tasks()
          .filter((t) => !before.has(t.id))
          .map((t) => t.name),
      ).toEqual(['watched/set1']);

      const second = await runCli(['folders', 'add', dir, '--project', '1'], { env: e });
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(
        `Another CVAT Sync engine is using ${join(work, 'watch-home')}: process ${child.pid}`,
      );
      expect(second.stderr).toMatch(/cvat-sync watch/);
      expect(second.stderr).toMatch(/^hint: /m);

      const ls = await runCli(['tasks', 'ls', '--json'], { env: e });
      expect(ls.code).toBe(0);
      expect(
        jsonLines(ls.stdout).some(
          (t) => t.name === 'watched/set1' && (t.localFolder as { path: string }).path === dir,
        ),
      ).toBe(true);
      const status = await runCli(['status', '--json'], { env: e });
      expect(status.code).toBe(0);
      const snapshot = jsonLines(status.stdout)[0] as {
        type: string;
        connection: { state: string };
        transfers: Array<{ state: string }>;
      };
      expect(snapshot.type).toBe('status');
      expect(snapshot.connection.state).toBe('connected');
      expect(snapshot.transfers.some((t) => t.state === 'done')).toBe(true);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(existsSync(join(work, 'watch-home', 'engine.lock'))).toBe(false);
  });
});

describe('saved folders', () => {
  it('adds, lists, pauses, resumes and removes a folder', async () => {
    const dir = join(work, 'saved');
    mkdirSync(dir, { recursive: true });
    const e = env('folders-home');
    const add = await runCli(
      [
        'folders',
        'add',
        dir,
        '--project',
        '1',
        '--split',
        'count:50',
        '--exclude',
        '*.tmp',
        '--json',
      ],
      { env: e },
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const folder = jsonLines(add.stdout)[0] as {
      id: number;
      rule: { split: unknown; exclude: string[] };
    };
    expect(folder.rule.split).toEqual({ kind: 'count', count: 50 });
    expect(folder.rule.exclude).toEqual(['*.tmp']);

    const ls = await runCli(['folders', 'ls'], { env: e });
    expect(ls.code).toBe(0);
    expect(ls.stdout).toContain(dir);

    expect((await runCli(['folders', 'pause', String(folder.id)], { env: e })).stdout).toMatch(
      /paused/,
    );
    const paused = jsonLines((await runCli(['folders', 'ls', '--json'], { env: e })).stdout)[0] as {
      paused: boolean;
    };
    expect(paused.paused).toBe(true);
    expect((await runCli(['folders', 'resume', String(folder.id)], { env: e })).code).toBe(0);
    const rm = await runCli(['folders', 'rm', String(folder.id)], { env: e });
    expect(rm.code).toBe(0);
    expect(jsonLines((await runCli(['folders', 'ls', '--json'], { env: e })).stdout)).toEqual([]);
    const again = await runCli(['folders', 'rm', String(folder.id)], { env: e });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/No sync folder/);

    const badSplit = await runCli(['folders', 'add', dir, '--project', '1', '--split', 'count:0'], {
      env: e,
    });
    expect(badSplit.code).toBe(2);
  });
});

describe('doctor', () => {
  it('passes against the server itself', async () => {
    const r = await runCli(['doctor', '--json'], { env: env('doctor-ok') });
    const findings = jsonLines(r.stdout);
    expect(findings.map((f) => [f.id, f.status])).toEqual([
      ['reachable', 'ok'],
      ['version', 'ok'],
      ['auth', 'ok'],
      ['result-host', 'ok'],
      ['org', 'ok'],
      ['tus-options', 'ok'],
      ['tus-location', 'ok'],
      ['tus-head', 'ok'],
      ['body-limit', 'ok'],
      ['agent', 'ok'],
    ]);
    expect(r.code).toBe(0);
  });

  it('finds a proxy that turns HEAD into GET, answers a Location with another scheme and limits bodies, each with its fix', async () => {
    const proxy = await createMisbehavingProxy({
      target: server.url,
      headToGet: true,
      maxBodyBytes: 1024 * 1024,
      rewriteLocationScheme: 'https',
    });
    try {
      const r = await runCli(['doctor'], {
        env: { ...env('doctor-proxy'), CVAT_SERVER: proxy.url },
      });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/\[FAIL\] HEAD requests reach CVAT.*\n\s+fix: .*HEAD/);
      expect(r.stdout).toMatch(
        /\[FAIL\] Upload address matches the server.*https:.*\n\s+fix: .*X-Forwarded-Proto/,
      );
      expect(r.stdout).toMatch(
        /\[FAIL\] Request size limit: .*413.*\n\s+fix: .*client_max_body_size/,
      );
      expect(r.stdout).toMatch(/\[ok {2}\] Signed in/);
    } finally {
      await proxy.close();
    }
  });

  it('reports a refused token (exit 3) and a server that is down (exit 4)', async () => {
    const bad = await runCli(['doctor', '--json'], {
      env: { ...env('doctor-bad'), CVAT_ACCESS_TOKEN: 'wrong' },
    });
    expect(bad.code).toBe(3);
    expect(jsonLines(bad.stdout).find((f) => f.id === 'auth')?.status).toBe('fail');
    const down = await runCli(['doctor'], {
      env: { ...env('doctor-down'), CVAT_SERVER: 'http://127.0.0.1:9' },
    });
    expect(down.code).toBe(4);
    expect(down.stdout).toMatch(/\[FAIL\] Server reachable/);
  });
});
