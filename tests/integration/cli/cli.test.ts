// Every cvat-sync command as a child process against the test server: stdout, stderr, exit code.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { writeMediaTree } from './media-tree.js';
import { jsonLines, runCli } from './run-cli.js';

let server: CvatTestServer;
let work: string;
let n = 0;

beforeAll(async () => {
  server = await startCvatServer({ processingDelayMs: 20 });
  work = mkdtempSync(join(tmpdir(), 'cvat-sync-cli-'));
  writeFileSync(join(work, 'labels.json'), JSON.stringify([{ name: 'car' }, { name: 'person' }]));
});

afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

/** A fresh data folder and the environment of a signed-in user (PAT in the environment). */
function env(extra: Record<string, string | undefined> = {}) {
  n += 1;
  return {
    CVAT_SYNC_HOME: join(work, `home-${n}`),
    CVAT_SERVER: server.url,
    CVAT_ACCESS_TOKEN: server.users.alice.token,
    ...extra,
  };
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('sync --once', () => {
  it('turns nested images, videos and a zip into the right tasks, byte-identical, and a re-run uploads nothing', async () => {
    const media = join(work, 'media');
    const tree = writeMediaTree(media);
    const e = env();
    const before = new Set(server.admin.tasks().map((t) => t.id));

    const first = await runCli(
      ['sync', media, '--once', '--labels', join(work, 'labels.json'), '--settle', '0.2', '--json'],
      { env: e },
    );
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const lines = jsonLines(first.stdout);
    const summary = lines.find((l) => l.type === 'summary') as {
      tasks: Array<{ taskId: number; name: string; state: string }>;
      uploadedFiles: number;
    };
    expect(summary.uploadedFiles).toBe(tree.files.length);
    expect(summary.tasks.map((t) => t.name).sort()).toEqual(
      [
        'media',
        'media/a.mp4',
        'media/b.mp4',
        'media/day1',
        'media/day2',
        'media/frames.zip',
      ].sort(),
    );
    expect(summary.tasks.every((t) => t.state === 'done')).toBe(true);

    const created = server.admin.tasks().filter((t) => !before.has(t.id));
    expect(created).toHaveLength(6);
    const remote = created.flatMap((t) => server.admin.taskFiles(t.id).map((f) => f.sha256)).sort();
    const local = tree.files.map((f) => sha256(join(media, f))).sort();
    expect(remote).toEqual(local);

    const second = await runCli(
      ['sync', media, '--once', '--labels', join(work, 'labels.json'), '--settle', '0.2', '--json'],
      { env: e },
    );
    expect(second.code).toBe(0);
    const again = jsonLines(second.stdout).find((l) => l.type === 'summary') as {
      tasks: unknown[];
      uploadedFiles: number;
      alreadyUploaded: number;
    };
    expect(again.tasks).toEqual([]);
    expect(again.uploadedFiles).toBe(0);
    expect(again.alreadyUploaded).toBe(tree.files.length);
    expect(server.admin.tasks().filter((t) => !before.has(t.id))).toHaveLength(6);

    // tasks ls marks the tasks with the folder they came from.
    const ls = await runCli(['tasks', 'ls', '--json'], { env: e });
    expect(ls.code).toBe(0);
    const listed = jsonLines(ls.stdout).filter((l) => created.some((c) => c.id === l.id));
    expect(listed).toHaveLength(6);
    expect(listed.every((t) => (t.localFolder as { path: string } | null)?.path === media)).toBe(
      true,
    );
  });

  it('refuses a missing folder, an unreadable folder and a missing rule target with exit 2', async () => {
    const missing = await runCli(['sync', join(work, 'nope'), '--once', '--project', '1'], {
      env: env(),
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/error: The folder .*nope does not exist\./);
    expect(missing.stdout).toBe('');

    const locked = join(work, 'locked');
    mkdirSync(locked, { recursive: true });
    chmodSync(locked, 0o000);
    try {
      const unreadable = await runCli(['sync', locked, '--once', '--project', '1'], { env: env() });
      // root can read anything: then the folder is simply empty and nothing fails.
      if (process.getuid?.() === 0) expect(unreadable.code).toBe(0);
      else {
        expect(unreadable.code).toBe(2);
        expect(unreadable.stderr).toMatch(/not readable/);
      }
    } finally {
      chmodSync(locked, 0o755);
    }

    const noTarget = await runCli(['sync', work, '--once'], { env: env() });
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toMatch(/--project ID or --labels FILE/);
  });
});

describe('rule validation', () => {
  it('names every problem of a bad rule by its option in folders add, sync and watch (exit 2)', async () => {
    writeFileSync(join(work, 'no-labels.json'), '[]');
    const home = env();
    const add = await runCli(
      [
        'folders',
        'add',
        work,
        '--labels',
        join(work, 'no-labels.json'),
        '--include',
        'day[1',
        '--name',
        '{nope}',
      ],
      { env: home },
    );
    expect(add.code).toBe(2);
    expect(add.stderr).toContain('error: Invalid sync rule:');
    expect(add.stderr).toContain(`  --include: The include pattern "day[1" has an unclosed '['.`);
    expect(add.stderr).toContain('  --project/--labels: Add at least one label');
    expect(add.stderr).toMatch(/ {2}--name: .*nope/);
    expect(add.stdout).toBe('');
    const ls = await runCli(['folders', 'ls', '--json'], { env: home });
    expect([ls.code, ls.stdout]).toEqual([0, '']);

    for (const command of [
      ['sync', work, '--once'],
      ['watch', work],
    ]) {
      const r = await runCli([...command, '--project', '1', '--exclude', '/abs/*.png'], {
        env: env(),
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('  --exclude: The exclude pattern "/abs/*.png" must be relative');
    }
    const zero = await runCli(['sync', work, '--once', '--project', '1', '--split', 'count:0'], {
      env: env(),
    });
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--split must be subfolder, count:N or file, not "count:0"');
  });
});

describe('results', () => {
  let taskId: number;

  beforeAll(async () => {
    const media = join(work, 'results-media');
    mkdirSync(media, { recursive: true });
    writeMediaTree(media, 7);
    const r = await runCli(
      [
        'sync',
        join(media, 'day1'),
        '--once',
        '--labels',
        join(work, 'labels.json'),
        '--settle',
        '0.1',
        '--json',
      ],
      { env: env() },
    );
    expect(r.code).toBe(0);
    const summary = jsonLines(r.stdout).find((l) => l.type === 'summary') as {
      tasks: Array<{ taskId: number }>;
    };
    taskId = summary.tasks[0]?.taskId ?? 0;
    expect(taskId).toBeGreaterThan(0);
  });

  it('exports a dataset to -o FILE, backs up, restores and imports annotations', async () => {
    const e = env();
    const out = join(work, 'out');
    mkdirSync(out, { recursive: true });

    const exp = await runCli(
      ['export', String(taskId), '--format', 'COCO 1.0', '-o', join(out, 'coco.zip')],
      { env: e },
    );
    expect(exp.code).toBe(0);
    expect(exp.stdout.trim()).toBe(join(out, 'coco.zip'));
    expect(readFileSync(join(out, 'coco.zip')).subarray(0, 2).toString()).toBe('PK');

    const bak = await runCli(['backup', String(taskId), '-o', join(out, 'backup.zip'), '--json'], {
      env: e,
    });
    expect(bak.code).toBe(0);
    const result = jsonLines(bak.stdout).find((l) => l.type === 'result') as { path: string };
    expect(result.path).toBe(join(out, 'backup.zip'));
    expect(statSync(join(out, 'backup.zip')).size).toBeGreaterThan(0);

    const before = new Set(server.admin.tasks().map((t) => t.id));
    const res = await runCli(['restore', join(out, 'backup.zip')], { env: e });
    expect(res.code).toBe(0);
    const newId = Number(res.stdout.trim());
    expect(before.has(newId)).toBe(false);
    expect(server.admin.tasks().some((t) => t.id === newId)).toBe(true);

    const imp = await runCli(
      ['import-annotations', String(taskId), '--format', 'COCO 1.0', join(out, 'coco.zip')],
      { env: e },
    );
    expect(imp.code).toBe(0);
    expect(imp.stdout).toMatch(/Imported coco\.zip into task/);
  });

  it('names close matches for an unknown format (exit 2) and reports an unknown task id (exit 1)', async () => {
    const e = env();
    const fmt = await runCli(
      ['export', String(taskId), '--format', 'coco', '-o', join(work, 'x.zip')],
      { env: e },
    );
    expect(fmt.code).toBe(2);
    expect(fmt.stderr).toContain('Unknown export format "coco"');
    expect(fmt.stderr).toMatch(/hint: Did you mean "COCO 1\.0"/);
    expect(existsSync(join(work, 'x.zip'))).toBe(false);

    const missing = await runCli(['backup', '987654', '-o', join(work, 'y.zip')], { env: e });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Task 987654 does not exist/);

    const rm = await runCli(['tasks', 'rm', '987654'], { env: e });
    expect(rm.code).toBe(1);

    const restoreMissing = await runCli(['restore', join(work, 'no-such-backup.zip')], { env: e });
    expect(restoreMissing.code).toBe(2);
    expect(restoreMissing.stderr).toMatch(/does not exist/);
  });

  it('lists formats and deletes tasks', async () => {
    const e = env();
    const f = await runCli(['formats', '--json'], { env: e });
    expect(f.code).toBe(0);
    const formats = jsonLines(f.stdout);
    expect(formats.some((l) => l.side === 'export' && l.name === 'CVAT for images 1.1')).toBe(true);
    expect(formats.some((l) => l.side === 'import' && l.name === 'CVAT 1.1')).toBe(true);

    const spare = await runCli(['restore', join(work, 'out', 'backup.zip'), '--json'], { env: e });
    const id = Number(
      (jsonLines(spare.stdout).find((l) => l.type === 'result') as { taskId: number }).taskId,
    );
    const rm = await runCli(['tasks', 'rm', String(id)], { env: e });
    expect(rm.code).toBe(0);
    expect(server.admin.tasks().some((t) => t.id === id)).toBe(false);
  });
});

describe('connection and credentials', () => {
  it('exits 3 for a wrong token and for a revoked one, 4 when the server is down', async () => {
    const wrong = await runCli(['tasks', 'ls'], { env: env({ CVAT_ACCESS_TOKEN: 'not-a-token' }) });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/^error: /m);
    expect(wrong.stderr).toMatch(/^hint: /m);
    expect(wrong.stderr).not.toMatch(/at .*\.ts:\d+/);

    const { token } = await mintToken();
    const ok = await runCli(['tasks', 'ls'], { env: env({ CVAT_ACCESS_TOKEN: token }) });
    expect(ok.code).toBe(0);
    server.admin.revokeToken(token);
    const revoked = await runCli(['tasks', 'ls'], { env: env({ CVAT_ACCESS_TOKEN: token }) });
    expect(revoked.code).toBe(3);

    const down = await runCli(['tasks', 'ls'], { env: env({ CVAT_SERVER: 'http://127.0.0.1:9' }) });
    expect(down.code).toBe(4);
    expect(down.stderr).toMatch(/network|reach/i);

    const debug = await runCli(['tasks', 'ls', '--debug'], {
      env: env({ CVAT_SERVER: 'http://127.0.0.1:9' }),
    });
    expect(debug.code).toBe(4);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('login saves an owner-only profile that later commands use; logout forgets it without calling the server', async () => {
    const home = join(work, 'login-home');
    const base = { CVAT_SYNC_HOME: home, CVAT_SERVER: undefined, CVAT_ACCESS_TOKEN: undefined };
    const noAuth = await runCli(['tasks', 'ls'], { env: base });
    expect(noAuth.code).toBe(3);

    const login = await runCli(
      ['login', '--server', server.url, '--auth', 'alice', '--password-stdin'],
      { env: base, input: 'alice-pass\n' },
    );
    expect(login.code).toBe(0);
    expect(login.stdout).toMatch(/Signed in to .* as alice/);
    const profile = join(home, 'credentials.json');
    expect(statSync(profile).mode & 0o777).toBe(0o600);
    expect(readFileSync(profile, 'utf8')).not.toContain('alice-pass');

    const ls = await runCli(['--json', 'tasks', 'ls'], { env: base });
    expect(ls.code).toBe(0);

    const keyBefore = server.users.alice.key;
    const logout = await runCli(['logout'], { env: base });
    expect(logout.code).toBe(0);
    expect(existsSync(profile)).toBe(false);
    // The shared legacy key still works: the server's logout was not called.
    const withKey = await fetch(`${server.url}/api/users/self`, {
      headers: { Authorization: `Token ${keyBefore}` },
    });
    expect(withKey.status).toBe(200);

    const bad = await runCli(['login', '--server', server.url, '--auth', 'alice:wrong'], {
      env: base,
    });
    expect(bad.code).toBe(3);
  });

  it('accepts global options after the command and a token file; bad usage exits 2', async () => {
    const tokenFile = join(work, 'token.txt');
    writeFileSync(tokenFile, `${server.users.alice.token}\n`);
    const r = await runCli(
      ['tasks', 'ls', '--server', server.url, '--token-file', tokenFile, '--json'],
      {
        env: { CVAT_SYNC_HOME: join(work, 'tf-home') },
      },
    );
    expect(r.code).toBe(0);
    for (const l of jsonLines(r.stdout)) expect(l.type).toBe('task');

    const usage = await runCli(['tasks', 'ls', '--status', 'nonsense'], { env: env() });
    expect(usage.code).toBe(2);
    const unknown = await runCli(['frobnicate'], { env: env() });
    expect(unknown.code).toBe(2);
    const help = await runCli(['export', '--help'], { env: env() });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:/);
    const top = await runCli(['--help'], { env: env() });
    expect(top.stdout).toMatch(/Exit codes:/);
  });
});

async function mintToken(): Promise<{ token: string }> {
  const res = await fetch(`${server.url}/api/auth/access_tokens`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${server.users.alice.token}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ name: `cli-test-${n}`, expiry_date: null, read_only: false }),
  });
  expect(res.status).toBe(201);
  return { token: ((await res.json()) as { value: string }).value };
}
