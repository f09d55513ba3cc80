// `cvat-sync verify` and `cvat-sync tasks edit` as child processes against the test server.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePng, startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { call } from '../../cvat-server/test-helpers.js';
import { jsonLines, runCli } from './run-cli.js';

let server: CvatTestServer;
let work: string;
let env: Record<string, string>;
const photos = () => join(work, 'photos');

beforeAll(async () => {
  server = await startCvatServer({ processingDelayMs: 20 });
  work = mkdtempSync(join(tmpdir(), 'cvat-sync-taskapi-'));
  writeFileSync(join(work, 'labels.json'), JSON.stringify([{ name: 'car' }, { name: 'person' }]));
  for (const [sub, count] of [
    ['day1', 3],
    ['day2', 2],
  ] as const) {
    mkdirSync(join(photos(), sub), { recursive: true });
    for (let i = 0; i < count; i++)
      writeFileSync(join(photos(), sub, `img-${i}.png`), makePng(30 + i, 20, i + count));
  }
  env = {
    CVAT_SYNC_HOME: join(work, 'home'),
    CVAT_SERVER: server.url,
    CVAT_ACCESS_TOKEN: server.users.alice.token,
  };
  const sync = await runCli(
    ['sync', photos(), '--once', '--labels', join(work, 'labels.json'), '--settle', '0.2'],
    { env },
  );
  expect(sync.code).toBe(0);
});

afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

interface FileLine {
  type: 'file';
  path: string;
  state: string;
  taskId: number | null;
  frame: number | null;
  detail: string | null;
  width: number | null;
}

async function verify(): Promise<{ code: number | null; files: FileLine[]; stderr: string }> {
  const r = await runCli(['verify', photos(), '--json'], { env });
  const files = jsonLines(r.stdout).filter((l) => l.type === 'file') as unknown as FileLine[];
  return { code: r.code, files, stderr: r.stderr };
}

describe('cvat-sync verify', () => {
  it('finds every file of a fresh sync in CVAT, with the sizes CVAT reports; exit 0', async () => {
    const r = await verify();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.files.map((f) => f.path).sort()).toEqual([
      'day1/img-0.png',
      'day1/img-1.png',
      'day1/img-2.png',
      'day2/img-0.png',
      'day2/img-1.png',
    ]);
    expect(r.files.every((f) => f.state === 'in-cvat')).toBe(true);
    expect(r.files.find((f) => f.path === 'day1/img-2.png')?.width).toBe(32);
    const human = await runCli(['verify', photos()], { env });
    expect(human.stdout).toContain('5 files in CVAT, 0 missing from CVAT, 0 not in CVAT');
  });

  it('reports a frame marked deleted on the server as missing, and exits 1', async () => {
    const before = await verify();
    const f = before.files.find((x) => x.path === 'day1/img-1.png') as FileLine;
    const patch = await call(server, 'PATCH', `/api/tasks/${f.taskId}/data/meta`, {
      body: { deleted_frames: [f.frame] },
    });
    expect(patch.status).toBe(200);
    const r = await verify();
    expect(r.code).toBe(1);
    const missing = r.files.filter((x) => x.state === 'missing');
    expect(missing.map((x) => x.path)).toEqual(['day1/img-1.png']);
    expect(missing[0]?.detail).toContain(`frame ${f.frame} is marked deleted`);
    const human = await runCli(['verify', photos()], { env });
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('MISSING from CVAT');
    await call(server, 'PATCH', `/api/tasks/${f.taskId}/data/meta`, {
      body: { deleted_frames: [] },
    });
  });

  it('reports a file added after its task was made as not in CVAT', async () => {
    writeFileSync(join(photos(), 'day2', 'late.png'), makePng(40, 20, 99));
    const r = await verify();
    expect(r.code).toBe(1);
    const late = r.files.find((x) => x.path === 'day2/late.png');
    expect(late).toMatchObject({ state: 'not-uploaded', taskId: null });
    expect(r.files.filter((x) => x.state === 'in-cvat')).toHaveLength(5);
    rmSync(join(photos(), 'day2', 'late.png'));
  });

  it('reports a file whose image size differs from the frame CVAT holds as missing', async () => {
    const path = join(photos(), 'day2', 'img-0.png');
    const before = readFileSync(path);
    writeFileSync(path, makePng(64, 48, 5));
    const r = await verify();
    expect(r.code).toBe(1);
    const changed = r.files.find((x) => x.path === 'day2/img-0.png');
    expect(changed?.state).toBe('missing');
    expect(changed?.detail).toContain('in CVAT is 30×20; the file on disk is 64×48');
    writeFileSync(path, before);
    expect((await verify()).code).toBe(0);
  });

  it('refuses a folder this app never synced, with a hint (exit 1)', async () => {
    const r = await runCli(['verify', work], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not a sync folder of this app');
  });
});

describe('cvat-sync tasks edit', () => {
  it('renames, sets subset and assignee; a refused move shows CVAT’s message and the fix', async () => {
    const task = server.admin.tasks().find((t) => t.name.endsWith('day1'));
    expect(task).toBeDefined();
    const id = String(task?.id);
    const r = await runCli(
      ['tasks', 'edit', id, '--name', 'street day 1', '--subset', 'train', '--assignee', 'bob'],
      { env },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('“street day 1” updated');
    const t = (await call(server, 'GET', `/api/tasks/${id}`)).json();
    expect(t).toMatchObject({ name: 'street day 1', subset: 'train' });
    expect(t.assignee.username).toBe('bob');

    const p = (
      await call(server, 'POST', '/api/projects', {
        body: { name: 'cars only', labels: [{ name: 'car' }] },
      })
    ).json().id;
    const move = await runCli(['tasks', 'edit', id, '--project', String(p)], { env });
    expect(move.code).toBe(1);
    expect(move.stderr).toContain(
      'All task or project label names must be mapped to the target project',
    );
    expect(move.stderr).toContain(`Project #${p} has no label "person"`);

    const unknown = await runCli(['tasks', 'edit', id, '--assignee', 'nobody'], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No user "nobody"');
    const nothing = await runCli(['tasks', 'edit', id], { env });
    expect(nothing.code).toBe(2);
  });

  it('--project none is refused before sending: CVAT cannot take a task out of its project', async () => {
    const p = (
      await call(server, 'POST', '/api/projects', {
        body: { name: 'keeps its tasks', labels: [{ name: 'car' }, { name: 'person' }] },
      })
    ).json().id;
    const task = server.admin.tasks().find((t) => t.name.endsWith('day2'));
    const id = String(task?.id);
    const into = await runCli(['tasks', 'edit', id, '--project', String(p)], { env });
    expect(into.stderr).toBe('');
    expect(into.code).toBe(0);
    const out = await runCli(['tasks', 'edit', id, '--project', 'none'], { env });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(`CVAT cannot take task #${id} out of its project`);
    expect(out.stderr).toContain('cvat-sync restore');
    expect(out.stderr).not.toContain('500');
    expect((await call(server, 'GET', `/api/tasks/${id}`)).json().project_id).toBe(p);
  });
});
