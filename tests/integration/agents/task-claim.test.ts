// The claim and rename steps of task creation against the test server, with the faults where a
// second agent of the same account could be mistaken for us: the answer of POST /api/tasks is
// lost (CVAT created the task all the same), the request never arrived, the app stops between
// recording the task id and renaming it. Another agent's tasks (its claim, or a default name this
// journal never recorded) sit on the server throughout and must never be adopted or deleted.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import type { CvatTask } from '../../../main/cvat/api.js';
import { ActivityRepo } from '../../../main/journal/activity-repo.js';
import { TaskClaimRepo, readAgentId } from '../../../main/journal/claim-repo.js';
import { SettingsRepo } from '../../../main/journal/settings-repo.js';
import { claimName, parseClaim } from '../../../main/engine/upload/task-claim.js';
import { systemClock } from '../../../main/service/system-clock.js';
import { makeClient, plan, tokenAuth, waitFor, workspace, writeImage } from '../upload/helpers.js';
import type { Workspace } from '../upload/helpers.js';

let server: CvatTestServer;
let ws: Workspace;
/** Tasks of another agent of the same account, created before ours. */
let foreign: CvatTask[];

const CREATE = { method: 'POST', path: /^\/api\/tasks\/?$/ };
const RENAME = { method: 'PATCH', path: /^\/api\/tasks\/\d+\/?$/ };

beforeEach(async () => {
  server = await startCvatServer({ seed: 5, processingDelayMs: 10 });
  ws = workspace(server);
  const other = makeClient(server.url, tokenAuth(server));
  const spec = { labels: [{ name: 'car' }] };
  foreign = [
    // Its task for the same subfolder, renamed already, data not yet attached.
    await other.createTask({ ...spec, name: 'cams' }),
    // Its claim for its batch 1, the same batch id as ours.
    await other.createTask({ ...spec, name: 'cams ‹cvat-sync 0badf00d-1›' }),
  ];
});

afterEach(async () => {
  await ws.cleanup();
  await server.close();
});

function images(prefix: string, n: number) {
  return Array.from({ length: n }, (_, i) => writeImage(ws, `${prefix}/${prefix}-${i}.png`, i + 1));
}

/** Ledger entries of the tasks this agent created (by the claim they were created under). */
function ours() {
  const agent = readAgentId(new SettingsRepo(ws.db));
  return server.admin
    .ledger()
    .tasks.filter((t) => parseClaim(t.createdAs)?.agentId === agent && agent !== null);
}

/** The other agent's tasks are all there, under the names they had, none deleted. */
function expectForeignUntouched(): void {
  const live = new Map(server.admin.tasks().map((t) => [t.id, t]));
  for (const f of foreign) expect(live.get(f.id)?.name, `task ${f.id}`).toBe(f.name);
  const ledger = server.admin.ledger().tasks;
  for (const f of foreign)
    expect(ledger.find((t) => t.taskId === f.id)?.deletedAt, `task ${f.id}`).toBeNull();
  expect(server.admin.taskFiles(foreign[0]!.id)).toEqual([]);
}

/** The batch is done in one task of ours, under its default name, holding exactly its files. */
function expectDone(batchId: number, name: string): void {
  const b = ws.engine.batches.get(batchId);
  expect(b?.state, JSON.stringify(b?.lastError)).toBe('done');
  const mine = ours();
  expect(mine.map((t) => t.taskId)).toEqual([b?.taskId]);
  expect(mine[0]?.name).toBe(name);
  expect(mine[0]?.deletedAt).toBeNull();
  const files = server.admin.taskFiles(b?.taskId ?? -1);
  const planned = ws.engine.batches.files(batchId);
  expect(files.map((f) => f.name).sort()).toEqual(planned.map((f) => f.uploadName).sort());
  const sha = new Map(files.map((f) => [f.name, f.sha256]));
  for (const f of planned) expect(sha.get(f.uploadName), f.relPath).toBe(f.sha256);
}

function kinds(): string[] {
  return new ActivityRepo(ws.db).list({ limit: 1000 }).map((r) => r.kind);
}

describe('a task is created under this agent’s claim and renamed before data is attached', () => {
  it('without faults: one POST under the claim, one rename, then the data', async () => {
    const id = ws.engine.batches.insertPlanned(plan('cams', images('a', 3)));
    ws.engine.start();
    await ws.engine.idle();
    expectDone(id, 'cams');
    const agent = readAgentId(new SettingsRepo(ws.db));
    expect(agent).toMatch(/^[0-9a-f]{8}$/);
    expect(ours()[0]?.createdAs).toBe(`cams ‹cvat-sync ${agent}-${id}›`);
    // The rename came before Upload-Start (the first request that attaches data).
    const log = server.faults.stats().log.map((l) => `${l.method} ${l.path}`);
    const taskId = ws.engine.batches.get(id)?.taskId;
    const renamed = log.indexOf(`PATCH /api/tasks/${taskId}`);
    const started = log.findIndex((l) => l.startsWith(`POST /api/tasks/${taskId}/data`));
    expect(renamed).toBeGreaterThan(-1);
    expect(renamed).toBeLessThan(started);
    expectForeignUntouched();
  });

  it('the answer of POST /api/tasks is lost: its own claim is found and adopted, nothing else', async () => {
    const id = ws.engine.batches.insertPlanned(plan('cams', images('b', 3)));
    server.faults.failNext({ kind: 'drop-answer', ...CREATE });
    ws.engine.start();
    await ws.engine.idle();
    expectDone(id, 'cams');
    expect(kinds()).toContain('task-adopted');
    expect(kinds()).not.toContain('task-deleted');
    // One creation reached the server: the one whose answer was lost.
    expect(ours()).toHaveLength(1);
    expectForeignUntouched();
  });

  it('the POST never arrived: no task of its claim, it creates again and touches no other', async () => {
    const id = ws.engine.batches.insertPlanned(plan('cams', images('c', 2)));
    server.faults.failNext({ kind: 'reset-request', afterBytes: 0, ...CREATE });
    ws.engine.start();
    await ws.engine.idle();
    expectDone(id, 'cams');
    expect(kinds()).not.toContain('task-adopted');
    expect(new TaskClaimRepo(ws.db, systemClock).get(id)?.unseenCreations).toBe(1);
    // Counted as an ambiguous event (the task it may cost) and on the record.
    expect(ws.engine.batches.get(id)?.ambiguousEvents).toBe(1);
    expect(kinds()).toContain('creation-unseen');
    expectForeignUntouched();
  });

  it('a lost creation that lands late is found by its claim when the batch is done, and deleted', async () => {
    const id = ws.engine.batches.insertPlanned(plan('cams', images('g', 2)));
    server.faults.failNext({ kind: 'reset-request', afterBytes: 0, ...CREATE });
    const other = makeClient(server.url, tokenAuth(server));
    let late: CvatTask | null = null;
    ws.engine.events.on('batch', (b) => {
      if (b.id !== id || b.state !== 'sending' || late !== null) return;
      // As if the first POST had reached CVAT after all, later than the look for its claim.
      const claim = new TaskClaimRepo(ws.db, systemClock).get(id)?.claim ?? '';
      late = {} as CvatTask;
      void other.createTask({ labels: [{ name: 'car' }], name: claim }).then((t) => (late = t));
    });
    ws.engine.start();
    await waitFor(() => late !== null && late.id !== undefined, 20_000, 'the late task');
    await ws.engine.idle();
    await waitFor(
      () => server.admin.tasks().every((t) => t.id !== late?.id),
      20_000,
      'the late task deleted',
    );
    await ws.engine.idle();
    const b = ws.engine.batches.get(id);
    expect(b?.state).toBe('done');
    // Two tasks of its claim: the batch's, renamed and holding its files, and the late one, gone.
    expect(ours().map((t) => [t.taskId, t.name, t.deletedAt === null])).toEqual([
      [b?.taskId, 'cams', true],
      [(late as CvatTask | null)?.id, ours()[1]?.createdAs, false],
    ]);
    expect(server.admin.taskFiles(b?.taskId ?? -1)).toHaveLength(2);
    expect(kinds()).toContain('task-duplicate');
    const deleted = new ActivityRepo(ws.db)
      .list({ limit: 100 })
      .filter((r) => r.kind === 'task-deleted')
      .map((r) => r.taskId);
    expect(deleted).toEqual([(late as CvatTask | null)?.id]);
    expectForeignUntouched();
  });

  it('the app stops between recording the task id and renaming it: the next run renames, no second task', async () => {
    const id = ws.engine.batches.insertPlanned(plan('cams', images('d', 3)));
    server.faults.failNext({ kind: 'hang', ms: 2_000, ...RENAME });
    let renaming = false;
    const off = server.faults.observe((e) => {
      if (e.phase === 'request' && e.method === 'PATCH' && RENAME.path.test(e.path))
        renaming = true;
    });
    ws.engine.start();
    await waitFor(() => renaming, 20_000, 'the rename on the wire');
    off();
    await ws.engine.stop();
    const b = ws.engine.batches.get(id);
    expect(b?.state).toBe('created');
    // Recorded, not renamed: the task still carries the claim.
    expect(ours().map((t) => [t.taskId, t.name])).toEqual([[b?.taskId, ours()[0]?.createdAs]]);
    expect(new TaskClaimRepo(ws.db, systemClock).get(id)?.namedTaskId).toBeNull();

    ws.newEngine();
    ws.engine.start();
    await ws.engine.idle();
    expectDone(id, 'cams');
    expect(new TaskClaimRepo(ws.db, systemClock).get(id)?.namedTaskId).toBe(b?.taskId);
    expectForeignUntouched();
  });

  it('the rename landed but its answer was lost: renamed once more, still one task', async () => {
    const id = ws.engine.batches.insertPlanned(plan('cams', images('e', 2)));
    server.faults.failNext({ kind: 'drop-answer', ...RENAME });
    ws.engine.start();
    await ws.engine.idle();
    expectDone(id, 'cams');
    const taskId = ws.engine.batches.get(id)?.taskId;
    const renames = server.faults
      .stats()
      .log.filter((l) => l.method === 'PATCH' && l.path === `/api/tasks/${taskId}`);
    expect(renames.length).toBe(2);
    expectForeignUntouched();
  });

  it('a cancel during an unknown creation deletes its own claimed task only', async () => {
    const id = ws.engine.batches.insertPlanned(plan('cams', images('f', 2)));
    // The task is created, its answer lost; the app stops while it looks for its claim.
    server.faults.failNext({ kind: 'drop-answer', ...CREATE });
    server.faults.failNext({ kind: 'hang', ms: 1_500, method: 'GET', path: /^\/api\/tasks\/?$/ });
    let looking = false;
    const off = server.faults.observe((e) => {
      if (e.phase === 'request' && e.method === 'GET' && /^\/api\/tasks\/?$/.test(e.path))
        looking = true;
    });
    ws.engine.start();
    await waitFor(() => looking, 20_000, 'the look for the claim');
    off();
    await ws.engine.stop();
    expect(ws.engine.batches.get(id)?.state).toBe('creating');
    expect(ws.engine.batches.requestCancel(id)).toBe(true);
    ws.newEngine();
    ws.engine.start();
    await ws.engine.idle();
    expect(ws.engine.batches.get(id)?.state).toBe('cancelled');
    const mine = ours();
    expect(mine).toHaveLength(1);
    expect(mine[0]?.deletedAt).not.toBeNull();
    expect(kinds()).toContain('task-deleted');
    expectForeignUntouched();
  });
});

describe('claim names', () => {
  it('fit CVAT’s 256 characters: the base is cut, the claim never', () => {
    const long = '日本語🙂'.repeat(100);
    const claim = claimName(long, 'a1b2c3d4', 123456);
    expect(Array.from(claim).length).toBeLessThanOrEqual(256);
    expect(claim.endsWith(' ‹cvat-sync a1b2c3d4-123456›')).toBe(true);
    expect(parseClaim(claim)).toEqual({ agentId: 'a1b2c3d4', batchId: 123456 });
    expect(claimName('  day1  ', 'ab', 7)).toBe('day1 ‹cvat-sync ab-7›');
    expect(parseClaim('day1')).toBeNull();
    expect(parseClaim('day1 ‹cvat-sync ab-7› copy')).toBeNull();
  });
});
