// CLI parity with the UI: pause/resume, transfers, settings, activity, folder preview and
// ignored files, organizations and the debug archive, first on a data folder no engine holds,
// then against a running daemon (the CLI acts on it over its RPC, found in daemon.json).
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transfer } from '../../../preload/contract.js';
import type { Daemon } from '../../../main/cli/daemon.js';
import { startDaemon } from '../../../main/cli/daemon.js';
import { DAEMON_FILE } from '../../../main/cli/daemon-file.js';
import { MemoryCredentialStore } from '../../../main/service/credential-stores.js';
import { createSyncService } from '../../../main/service/index.js';
import { makePng, startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { jsonLines, runCli } from './run-cli.js';

let server: CvatTestServer;
let work: string;
let labels: string;

beforeAll(async () => {
  server = await startCvatServer({ processingDelayMs: 20 });
  work = mkdtempSync(join(tmpdir(), 'cvat-sync-parity-'));
  labels = join(work, 'labels.json');
  writeFileSync(labels, JSON.stringify([{ name: 'car' }]));
});

afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

function env(home: string, withToken = true) {
  return {
    CVAT_SYNC_HOME: join(work, home),
    CVAT_SERVER: server.url,
    CVAT_ACCESS_TOKEN: withToken ? server.users.alice.token : undefined,
  };
}

/** Two images in a subfolder and a file no rule uploads. */
function mediaFolder(name: string, seed: number): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'set'), { recursive: true });
  writeFileSync(join(dir, 'set', 'a.png'), makePng(8, 8, seed));
  writeFileSync(join(dir, 'set', 'b.png'), makePng(8, 8, seed + 1));
  writeFileSync(join(dir, 'notes.txt'), 'not media');
  return dir;
}

function only(stdout: string): Record<string, unknown> {
  const lines = jsonLines(stdout);
  expect(lines).toHaveLength(1);
  return lines[0] as Record<string, unknown>;
}

/** A usage error: exit 2 and one line on stderr naming the problem. */
function expectUsage(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  expect(lines.filter((l) => l.startsWith('error: '))).toHaveLength(1);
}

async function until<T>(what: string, probe: () => Promise<T | null>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('without a running engine', () => {
  it('pause is saved, stops sync --once with a hint to resume, and resume lets it finish', async () => {
    const e = env('queue-home');
    const dir = mediaFolder('queue-media', 10);
    const paused = await runCli(['pause', '--json'], { env: e });
    expect(paused.stderr).toBe('');
    expect(paused.code).toBe(0);
    expect(only(paused.stdout)).toEqual({ type: 'queue', paused: true, via: 'local' });
    expect(only((await runCli(['status', '--json'], { env: e })).stdout).paused).toBe(true);

    const blocked = await runCli(['sync', dir, '--once', '--labels', labels, '--settle', '0.2'], {
      env: e,
    });
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/paused/i);
    expect(blocked.stderr).toMatch(/^hint: Run `cvat-sync resume`/m);

    const resumed = await runCli(['resume'], { env: e });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^Transfers resumed/);
    expect(only((await runCli(['status', '--json'], { env: e })).stdout).paused).toBe(false);
    const ok = await runCli(['sync', dir, '--once', '--labels', labels, '--settle', '0.2'], {
      env: e,
    });
    expect(ok.code).toBe(0);

    // transfers: the finished upload, filters, and actions on it
    const ls = await runCli(['transfers', 'ls', '--json'], { env: e });
    expect(ls.code).toBe(0);
    const transfers = jsonLines(ls.stdout).map((l) => l.transfer as Transfer);
    const upload = transfers.find((t) => t.title === 'queue-media/set');
    expect(upload?.state).toBe('done');
    expect(upload?.kind).toBe('upload');
    const human = await runCli(['transfers', 'ls'], { env: e });
    expect(human.stdout).toMatch(/^ID\s+KIND\s+STATE\s+PROGRESS\s+SPEED\s+ETA\s+TITLE/);
    expect(human.stdout).toContain(`${upload?.id}`);
    expect(human.stdout).toMatch(/100% /);
    expect(
      (await runCli(['transfers', 'ls', '--state', 'failed,waiting-retry'], { env: e })).stdout,
    ).toBe('No transfers.\n');
    expect(
      jsonLines(
        (await runCli(['transfers', 'ls', '--kind', 'download', '--json'], { env: e })).stdout,
      ),
    ).toEqual([]);
    expectUsage(
      await runCli(['transfers', 'ls', '--state', 'stuck'], { env: e }),
      /--state must be one of/,
    );
    const cancel = await runCli(['transfers', 'cancel', upload?.id ?? ''], { env: e });
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toMatch(/can no longer be cancelled \(done\)/);
    const missing = await runCli(['transfers', 'retry', 'upload:99999'], { env: e });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: No transfer upload:99999\./);

    // activity: the pause and resume are in the log, filtered by level, kind and text
    const act = await runCli(['activity', '--kind', 'queue', '--json'], { env: e });
    expect(act.code).toBe(0);
    expect(jsonLines(act.stdout).map((a) => a.message)).toEqual([
      'Transfers resumed.',
      'All transfers paused.',
    ]);
    const search = await runCli(['activity', '--search', 'paused', '--level', 'info'], { env: e });
    expect(search.stdout).toMatch(/info\s+queue\s+All transfers paused\./);
    expect(search.stdout).not.toMatch(/Transfers resumed/);
    expect((await runCli(['activity', '--level', 'error'], { env: e })).stdout).toBe(
      'No activity.\n',
    );
    expectUsage(await runCli(['activity', '--level', 'loud'], { env: e }), /--level must be/);
    expectUsage(await runCli(['activity', '--limit', '0'], { env: e }), /--limit must be/);
  });

  it('settings get and set, with one-line errors for bad values', async () => {
    const e = env('settings-home');
    const downloads = join(work, 'downloads');
    mkdirSync(downloads, { recursive: true });
    const set = await runCli(['settings', 'set', 'bandwidth', '500k', '--json'], { env: e });
    expect(set.code).toBe(0);
    expect(only(set.stdout)).toMatchObject({ bandwidthLimitBps: 500_000, via: 'local' });
    for (const [k, v] of [
      ['concurrency', '5'],
      ['chunk-size', '32'],
      ['downloads-dir', downloads],
      ['notifications', 'off'],
      ['theme', 'dark'],
    ]) {
      const r = await runCli(['settings', 'set', k ?? '', v ?? ''], { env: e });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${k} = ${v}.\n`);
    }
    const all = only((await runCli(['settings', '--json'], { env: e })).stdout);
    expect(all).toMatchObject({
      type: 'settings',
      concurrency: 5,
      bandwidthLimitBps: 500_000,
      chunkSizeMiB: 32,
      downloadsDir: downloads,
      notifications: false,
      theme: 'dark',
      dataDir: join(work, 'settings-home'),
    });
    expect((await runCli(['settings', 'get', 'bandwidth'], { env: e })).stdout).toBe('500k\n');
    const table = await runCli(['settings'], { env: e });
    expect(table.stdout).toMatch(/^concurrency\s+5$/m);
    expect(table.stdout).toMatch(/^data-dir\s+/m);

    expectUsage(
      await runCli(['settings', 'set', 'bandwidth', 'fast'], { env: e }),
      /bandwidth must be/,
    );
    expectUsage(
      await runCli(['settings', 'set', 'concurrency', '64'], { env: e }),
      /concurrency must be a whole number from 1 to 32, not "64"/,
    );
    expectUsage(await runCli(['settings', 'set', 'theme', 'blue'], { env: e }), /theme must be/);
    expectUsage(
      await runCli(['settings', 'set', 'colour', 'red'], { env: e }),
      /Unknown setting "colour"/,
    );
    expectUsage(
      await runCli(['settings', 'set', 'downloads-dir', join(work, 'nope')], { env: e }),
      /does not exist/,
    );
    expectUsage(
      await runCli(['settings', 'set', 'data-dir', '/tmp'], { env: e }),
      /cannot be changed/,
    );
    // nothing changed by the refused values
    expect(only((await runCli(['settings', '--json'], { env: e })).stdout).concurrency).toBe(5);
  });

  it('folders preview names the tasks and the ignored files; folders ignored checks its id', async () => {
    const e = env('preview-home');
    const dir = mediaFolder('preview-media', 20);
    const r = await runCli(
      ['folders', 'preview', dir, '--labels', labels, '--name', '{folder} part {index}', '--json'],
      { env: e },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const p = only(r.stdout) as {
      tasks: Array<{ name: string; files: number; media: string }>;
      ignored: Array<{ path: string; reason: string }>;
    };
    expect(p.tasks.map((t) => [t.name, t.files, t.media])).toEqual([
      ['preview-media part 1', 2, 'images'],
    ]);
    expect(p.ignored.map((f) => f.path)).toEqual(['notes.txt']);
    expect(p.ignored[0]?.reason).not.toBe('');
    const human = await runCli(['folders', 'preview', dir, '--labels', labels], { env: e });
    expect(human.stdout).toMatch(/^TASK NAME\s+FILES\s+SIZE\s+MEDIA/);
    expect(human.stdout).toMatch(/preview-media\/set\s+2\s/);
    expect(human.stdout).toMatch(/Ignored \(1\):\n {2}notes\.txt: /);
    expectUsage(await runCli(['folders', 'preview', dir], { env: e }), /--project ID or --labels/);
    expectUsage(await runCli(['folders', 'ignored', 'abc'], { env: e }), /not a folder id/);
    // the server was not needed
    expect(existsSync(join(work, 'preview-home', 'engine.lock'))).toBe(false);
  });

  it('orgs ls, orgs use (saved in the profile) and --personal', async () => {
    const e = env('orgs-home');
    const ls = await runCli(['orgs', 'ls', '--json'], { env: e });
    expect(ls.code).toBe(0);
    expect(jsonLines(ls.stdout).map((o) => [o.slug, o.current])).toEqual([['acme', false]]);
    expectUsage(await runCli(['orgs', 'use', 'acme'], { env: e }), /No saved profile/);
    expectUsage(await runCli(['orgs', 'use'], { env: e }), /slug or --personal/);

    expect((await runCli(['login'], { env: e })).code).toBe(0);
    const profileOnly = env('orgs-home', false);
    const use = await runCli(['orgs', 'use', 'acme'], { env: profileOnly });
    expect(use.stderr).toBe('');
    expect(use.code).toBe(0);
    expect(use.stdout).toMatch(/organization acme .*saved in the profile/);
    const after = await runCli(['orgs', 'ls'], { env: profileOnly });
    expect(after.stdout).toMatch(/^\*\s+acme\s+ACME/m);
    const missing = await runCli(['orgs', 'use', 'nosuchorg'], { env: profileOnly });
    expect(missing.code).not.toBe(0);
    expect((await runCli(['orgs', 'use', '--personal'], { env: profileOnly })).code).toBe(0);
    expect((await runCli(['orgs', 'ls'], { env: profileOnly })).stdout).toMatch(
      /^\*\s+\(personal\)/m,
    );
  });

  it('debug-archive writes where -o says', async () => {
    const e = env('debug-home');
    const out = join(work, 'debug.zip');
    const r = await runCli(['debug-archive', '-o', out, '--json'], { env: e });
    expect(r.code).toBe(0);
    expect(only(r.stdout)).toEqual({ type: 'debug-archive', path: out });
    expect(statSync(out).size).toBeGreaterThan(0);
    expectUsage(
      await runCli(['debug-archive', '-o', join(work, 'no', 'such', 'x.zip')], { env: e }),
      /does not exist/,
    );
  });
});

describe('with a running daemon', () => {
  let daemon: Daemon | null = null;
  const home = 'daemon-home';
  const data = () => join(work, home);

  afterAll(async () => {
    await daemon?.close();
  });

  it('acts on the running engine: pause, resume, folders, transfers, settings, activity, orgs', async () => {
    const e = env(home);
    expect((await runCli(['login'], { env: e })).code).toBe(0);
    daemon = await startDaemon({ dataDir: data(), port: 0, rendererDir: join(work, 'no-ui') });
    const file = join(data(), DAEMON_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const paused = await runCli(['pause', '--json'], { env: e });
    expect(paused.stderr).toBe('');
    expect(only(paused.stdout)).toEqual({ type: 'queue', paused: true, via: 'daemon' });
    const st = await daemon.service.getStatus();
    expect(st.ok && st.value.paused).toBe(true);
    expect(only((await runCli(['status', '--json'], { env: e })).stdout).paused).toBe(true);
    expect((await runCli(['resume'], { env: e })).stdout).toMatch(/in the running daemon/);
    expect(only((await runCli(['status', '--json'], { env: e })).stdout).paused).toBe(false);

    // a folder added from the CLI is run by the daemon; its transfers are listed from it
    const dir = mediaFolder('daemon-media', 30);
    const add = await runCli(
      ['folders', 'add', dir, '--labels', labels, '--settle', '0.2', '--json'],
      { env: e },
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const folderId = only(add.stdout).id as number;
    const done = await until('the daemon to upload the folder', async () => {
      const r = await daemon?.service.listTransfers({ states: ['done'] });
      return (r?.ok && r.value.find((t) => t.title === 'daemon-media/set')) || null;
    });
    const ls = await runCli(['transfers', 'ls', '--json'], { env: e });
    expect(ls.code).toBe(0);
    const listed = jsonLines(ls.stdout).map((l) => l.transfer as Transfer);
    expect(listed.find((t) => t.id === done.id)?.state).toBe('done');
    const ignored = await runCli(['folders', 'ignored', String(folderId), '--json'], { env: e });
    expect(ignored.code).toBe(0);
    expect(jsonLines(ignored.stdout).map((f) => [f.path, typeof f.reason])).toEqual([
      ['notes.txt', 'string'],
    ]);
    const fpause = await runCli(['folders', 'pause', String(folderId), '--json'], { env: e });
    expect(only(fpause.stdout).paused).toBe(true);
    const folders = await daemon.service.listFolders();
    expect(folders.ok && folders.value.find((f) => f.id === folderId)?.paused).toBe(true);
    expect((await runCli(['folders', 'resume', String(folderId)], { env: e })).code).toBe(0);

    // settings: changed in the daemon, read back over its RPC
    const set = await runCli(['settings', 'set', 'bandwidth', '1M'], { env: e });
    expect(set.stderr).toBe('');
    expect(set.stdout).toBe('bandwidth = 1M (the running daemon uses it now).\n');
    const s = await daemon.service.getSettings();
    expect(s.ok && s.value.bandwidthLimitBps).toBe(1_000_000);
    expect((await runCli(['settings', 'get', 'bandwidth'], { env: e })).stdout).toBe('1M\n');
    expectUsage(
      await runCli(['settings', 'set', 'bandwidth', '1 lot'], { env: e }),
      /bandwidth must be/,
    );
    expectUsage(
      await runCli(['transfers', 'ls', '--kind', 'sideways'], { env: e }),
      /--kind must be/,
    );

    const act = await runCli(['activity', '--kind', 'queue', '--json'], { env: e });
    expect(jsonLines(act.stdout).map((a) => a.message)).toEqual([
      'Transfers resumed.',
      'All transfers paused.',
    ]);
    const orgs = await runCli(['orgs', 'ls', '--json'], { env: e });
    expect(jsonLines(orgs.stdout).map((o) => o.slug)).toEqual(['acme']);
    const use = await runCli(['orgs', 'use', 'acme', '--json'], { env: e });
    expect(only(use.stdout)).toMatchObject({ org: 'acme', via: 'daemon' });
    const conn = await daemon.service.getConnection();
    expect(conn.ok && conn.value.org).toBe('acme');
    expect((await runCli(['orgs', 'use', '--personal'], { env: e })).code).toBe(0);

    const out = join(work, 'daemon-debug.zip');
    const dbg = await runCli(['debug-archive', '-o', out], { env: e });
    expect(dbg.code).toBe(0);
    expect(existsSync(out)).toBe(true);

    await daemon.close();
    daemon = null;
    expect(existsSync(file)).toBe(false);
  });

  it('ignores a stale daemon.json (its process is dead) and works on the data folder', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(
      join(data(), DAEMON_FILE),
      JSON.stringify({ port: 9, token: 'old', pid: dead, host: hostname() }),
      { mode: 0o600 },
    );
    const r = await runCli(['settings', 'set', 'concurrency', '2', '--json'], {
      env: env(home),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(only(r.stdout)).toMatchObject({
      concurrency: 2,
      bandwidthLimitBps: 1_000_000,
      via: 'local',
    });
  });

  it('refuses, naming it, when the desktop app holds the data folder without a daemon', async () => {
    const dataDir = join(work, 'desktop-home');
    const desktop = await createSyncService({
      dataDir,
      host: 'desktop',
      credentials: new MemoryCredentialStore(),
      command: 'CVAT Sync (desktop)',
      autostart: false,
    });
    try {
      const r = await runCli(['pause'], { env: { ...env('desktop-home') } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `Another CVAT Sync engine is using ${dataDir}: process ${process.pid}`,
      );
      expect(r.stderr).toContain('"CVAT Sync (desktop)"');
      expect(r.stderr).toMatch(/^hint: Make the change in the desktop app/m);
      // reading still works beside it
      expect(
        (await runCli(['settings', 'get', 'concurrency'], { env: env('desktop-home') })).stdout,
      ).toBe('3\n');
    } finally {
      await desktop.close();
    }
  });
});
