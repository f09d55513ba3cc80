// `cvat-sync annotations pull|push` against the test server: a round trip through a file,
// the four modes, and a bad file refused before anything is sent.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { attachImages, call, createTask } from '../../cvat-server/test-helpers.js';
import { runCli } from './run-cli.js';

let server: CvatTestServer;
let work: string;
let env: Record<string, string>;
let task: number;
let car: number;

beforeAll(async () => {
  server = await startCvatServer({ processingDelayMs: 20 });
  work = mkdtempSync(join(tmpdir(), 'cvat-sync-ann-'));
  env = {
    CVAT_SYNC_HOME: join(work, 'home'),
    CVAT_SERVER: server.url,
    CVAT_ACCESS_TOKEN: server.users.alice.token,
  };
  task = await createTask(server);
  await attachImages(server, task);
  car = (await call(server, 'GET', `/api/labels?task_id=${task}`))
    .json()
    .results.find((l: { name: string }) => l.name === 'car').id;
});

afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

const box = (frame: number, x: number) => ({
  type: 'rectangle',
  frame,
  label_id: car,
  points: [x, 1, x + 5, 6],
});

describe('cvat-sync annotations', () => {
  it('appends model pre-annotations, pulls them with ids, updates and deletes by id, replaces', async () => {
    const pre = join(work, 'pre.json');
    writeFileSync(pre, JSON.stringify({ shapes: [box(0, 1), box(1, 2)], tags: [] }));
    const push = await runCli(['annotations', 'push', pre, String(task), '--mode', 'append'], {
      env,
    });
    expect(push.stderr).toBe('');
    expect(push.code).toBe(0);
    expect(push.stdout).toContain('CVAT applied 2 shapes, 0 tags and 0 tracks');
    expect(
      (await call(server, 'GET', `/api/tasks/${task}/annotations`)).json().shapes,
    ).toHaveLength(2);

    const out = join(work, 'ann.json');
    const pull = await runCli(['annotations', 'pull', String(task), '-o', out], { env });
    expect(pull.code).toBe(0);
    const pulled = JSON.parse(readFileSync(out, 'utf8'));
    expect(pulled.shapes.map((s: { frame: number }) => s.frame)).toEqual([0, 1]);
    expect(pulled.shapes.every((s: { id: unknown }) => typeof s.id === 'number')).toBe(true);

    pulled.shapes[0].points = [9, 9, 19, 19];
    writeFileSync(out, JSON.stringify({ shapes: [pulled.shapes[0]] }));
    expect(
      (await runCli(['annotations', 'push', out, String(task), '--mode', 'update'], { env })).code,
    ).toBe(0);
    let now = (await call(server, 'GET', `/api/tasks/${task}/annotations`)).json();
    expect(now.shapes.find((s: { id: number }) => s.id === pulled.shapes[0].id).points).toEqual([
      9, 9, 19, 19,
    ]);

    writeFileSync(out, JSON.stringify({ shapes: [pulled.shapes[1]] }));
    expect(
      (await runCli(['annotations', 'push', out, String(task), '--mode', 'delete'], { env })).code,
    ).toBe(0);
    now = (await call(server, 'GET', `/api/tasks/${task}/annotations`)).json();
    expect(now.shapes.map((s: { id: number }) => s.id)).toEqual([pulled.shapes[0].id]);

    writeFileSync(
      out,
      JSON.stringify({ shapes: [box(2, 3)], tags: [{ frame: 1, label_id: car }] }),
    );
    expect(
      (await runCli(['annotations', 'push', out, String(task), '--mode', 'replace'], { env })).code,
    ).toBe(0);
    now = (await call(server, 'GET', `/api/tasks/${task}/annotations`)).json();
    expect(now.shapes.map((s: { frame: number }) => s.frame)).toEqual([2]);
    expect(now.tags).toHaveLength(1);
  });

  it('refuses a file that is not CVAT annotations before sending anything (exit 2)', async () => {
    const badFile = join(work, 'bad.json');
    writeFileSync(badFile, JSON.stringify({ shapes: [{ frame: 0, label_id: car, type: 'box' }] }));
    const from = server.faults.stats().log.length;
    const r = await runCli(['annotations', 'push', badFile, String(task), '--mode', 'append'], {
      env,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('shapes[0].type');
    expect(server.faults.stats().log.slice(from)).toEqual([]);
    const noIds = join(work, 'noids.json');
    writeFileSync(noIds, JSON.stringify({ shapes: [box(0, 1)] }));
    const u = await runCli(['annotations', 'push', noIds, String(task), '--mode', 'update'], {
      env,
    });
    expect(u.code).toBe(1);
    expect(u.stderr).toContain('shapes[0] has no id');
  });

  it('CVAT refuses PATCH without a valid action, as CVAT answers it', async () => {
    const r = await call(server, 'PATCH', `/api/tasks/${task}/annotations?action=merge`, {
      body: { shapes: [] },
    });
    expect(r.status).toBe(400);
    expect(r.json()).toEqual(["Please specify a correct 'action' for the request"]);
  });
});
