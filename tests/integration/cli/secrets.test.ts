// Secrets on the command line must not travel further: --auth USER:PASS into the data folder's
// lock (and from there into every refusal message), user:pass@ in --server into the profile.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePng, startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { runCli, spawnCli } from './run-cli.js';

let server: CvatTestServer;
let work: string;

beforeAll(async () => {
  server = await startCvatServer({ processingDelayMs: 20 });
  work = mkdtempSync(join(tmpdir(), 'cvat-sync-secrets-'));
});

afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

function withUserinfo(url: string): string {
  const u = new URL(url);
  u.username = 'alice';
  u.password = 'alice-pass';
  return u.toString();
}

describe('the engine lock', () => {
  it('records the subcommand and harmless switches only, never --auth USER:PASS', async () => {
    const home = join(work, 'lock-home');
    const dir = join(work, 'watched');
    mkdirSync(join(dir, 'set1'), { recursive: true });
    writeFileSync(join(dir, 'set1', 'a.png'), makePng(8, 8, 1));
    writeFileSync(join(work, 'labels.json'), JSON.stringify([{ name: 'car' }]));
    const child = spawnCli(
      [
        'watch',
        dir,
        '--labels',
        join(work, 'labels.json'),
        '--server',
        server.url,
        '--auth',
        'alice:alice-pass',
        '--settle',
        '0.2',
        '--json',
      ],
      { CVAT_SYNC_HOME: home },
    );
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const lockPath = join(home, 'engine.lock');
      // The lock is created, then written: wait for its content.
      const deadline = Date.now() + 30_000;
      let lock = '';
      while (!lock.endsWith('}') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        lock = existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : '';
      }
      expect((JSON.parse(lock) as { command: string }).command).toBe('cvat-sync watch --json');
      expect(lock).not.toContain('alice');
      expect(lock).not.toContain(server.url);

      const second = await runCli(['folders', 'add', dir, '--project', '1'], {
        env: { CVAT_SYNC_HOME: home, CVAT_SERVER: server.url, CVAT_ACCESS_TOKEN: 'x' },
      });
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`("cvat-sync watch --json")`);
      expect(second.stderr).not.toContain('alice-pass');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });
});

describe('user info in --server', () => {
  it('login refuses it with the clean URL to use, saves nothing and quotes no password', async () => {
    const home = join(work, 'login-userinfo');
    writeFileSync(join(work, 'token'), server.users.alice.token);
    const r = await runCli(
      ['login', '--server', withUserinfo(server.url), '--token-file', join(work, 'token')],
      { env: { CVAT_SYNC_HOME: home } },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `The server URL must not contain a user name or password: use ${server.url}`,
    );
    expect(r.stderr + r.stdout).not.toContain('alice-pass');
    expect(existsSync(join(home, 'credentials.json'))).toBe(false);
  });

  it('login saves the normalised URL', async () => {
    const home = join(work, 'login-clean');
    const r = await runCli(['login', '--server', `${server.url}/`, '--json'], {
      env: { CVAT_SYNC_HOME: home, CVAT_ACCESS_TOKEN: server.users.alice.token },
    });
    expect(r.code).toBe(0);
    const saved = JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')) as {
      server: string;
    };
    expect(saved.server).toBe(server.url);
  });
});
