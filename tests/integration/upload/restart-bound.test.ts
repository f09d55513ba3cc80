// No path may hammer a server: each cause that makes the engine discard a task and start over
// is driven against the test server, and the server's ledger says how many tasks each batch
// created and how far apart. The bound and the delay live in the journal, so a new engine on
// the same journal (an app restart) continues the count instead of starting it again.
import { appendFileSync, statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActivityRepo } from '../../../main/journal/activity-repo.js';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import type { TaskLedgerEntry } from '../../cvat-server/ledger.js';
import { plan, waitFor, workspace, writeImage, writeVideo } from './helpers.js';
import type { Workspace } from './helpers.js';

const POLICY = { maxRestarts: 3, baseDelayMs: 300, maxDelayMs: 5_000 };

let server: CvatTestServer;
let ws: Workspace;

beforeEach(async () => {
  server = await startCvatServer({ seed: 5, processingDelayMs: 20 });
  ws = workspace(server, { restartPolicy: POLICY });
});
afterEach(async () => {
  await ws.cleanup();
  await server.close();
});

function creations(name: string): TaskLedgerEntry[] {
  return server.admin.ledger().tasks.filter((t) => t.name === name);
}

/** Creations come at most maxRestarts + 1 times, each fresh start after its doubled delay. */
function expectBoundedAndSpaced(name: string): void {
  const tasks = creations(name);
  expect(tasks).toHaveLength(POLICY.maxRestarts + 1);
  for (let i = 1; i < tasks.length; i++) {
    const gap = (tasks[i]?.createdAt ?? 0) - (tasks[i - 1]?.createdAt ?? 0);
    expect(gap, `gap before creation ${i + 1}`).toBeGreaterThanOrEqual(
      POLICY.baseDelayMs * 2 ** (i - 1),
    );
  }
  // No task left behind: every discarded one and the last one are deleted.
  expect(tasks.every((t) => t.deletedAt !== null)).toBe(true);
}

function expectGaveUp(batchId: number, why: RegExp): void {
  const b = ws.engine.batches.get(batchId);
  expect(b?.state).toBe('failed');
  expect(b?.restarts).toBe(POLICY.maxRestarts);
  expect(b?.lastError?.message).toMatch(/gave up after 3 fresh starts/);
  expect(b?.lastError?.message).toMatch(why);
}

/** Runs until nothing is left to do, the deletion of a failed batch's task included. */
async function settle(): Promise<void> {
  ws.engine.start();
  await ws.engine.idle();
}

describe('every discard-and-restart path is bounded and spaced', () => {
  it('a renamed TUS upload: at most maxRestarts + 1 tasks, a doubling delay, across an app restart', async () => {
    const v = ws.engine.batches.insertPlanned(
      plan('renamed', [writeVideo(ws, 'renamed.mp4', 300_000)]),
    );
    // The creation answer names the file differently (as when a proxy or a server version
    // mangles Upload-Filename): the engine cannot tell whether its name is already taken.
    server.faults.failNext({
      kind: 'status',
      method: 'POST',
      header: 'upload-length',
      status: 201,
      headers: {
        'Tus-Resumable': '1.0.0',
        Location: `${server.url}/api/tasks/1/data/1_00000000-0000-4000-8000-000000000000`,
        'Upload-Filename': 'renamed_1.mp4',
      },
      times: 100,
    });
    ws.engine.start();
    await waitFor(() => creations('renamed').length >= 2, 20_000, 'two creations');
    // The app restarts between two fresh starts: the count and the next time are in the journal.
    await ws.engine.stop();
    ws.newEngine();
    await settle();
    expectGaveUp(v, /renamed\.mp4 was already in the task/);
    expectBoundedAndSpaced('renamed');
  });

  it('a 400 on Upload-Multiple: one task, failed at once with CVAT’s reason', async () => {
    const a = ws.engine.batches.insertPlanned(plan('refused', [writeImage(ws, 'r/a.png', 1)]));
    server.faults.failNext({
      kind: 'status',
      method: 'POST',
      header: 'upload-multiple',
      status: 400,
      body: { image_quality: ['This field is required.'] },
      times: 100,
    });
    await settle();
    const b = ws.engine.batches.get(a);
    expect(b?.state).toBe('failed');
    expect(b?.lastError?.message).toMatch(/image_quality/);
    expect(b?.lastError?.message).toMatch(/would fail the same way/);
    const tasks = creations('refused');
    expect(tasks).toHaveLength(1);
    expect(tasks[0]?.deletedAt).not.toBeNull();
  });

  it('a lost answer: a TUS creation is bounded; an Upload-Multiple is settled in its task', async () => {
    const v = ws.engine.batches.insertPlanned(
      plan('lost-tus', [writeVideo(ws, 'lost.mp4', 300_000)]),
    );
    server.faults.failNext({
      kind: 'drop-answer',
      method: 'POST',
      header: 'upload-length',
      times: 100,
    });
    await settle();
    expectGaveUp(v, /lost\.mp4/);
    expectBoundedAndSpaced('lost-tus');

    server.faults.clear();
    const a = ws.engine.batches.insertPlanned(
      plan('lost-bulk', [writeImage(ws, 'l/a.png', 2), writeImage(ws, 'l/b.png', 3)]),
    );
    server.faults.failNext({ kind: 'drop-answer', method: 'POST', header: 'upload-multiple' });
    await settle();
    expect(ws.engine.batches.get(a)).toMatchObject({ state: 'done', ambiguousEvents: 1 });
    expect(creations('lost-bulk')).toHaveLength(1);
  });

  it('a file that keeps changing: bounded and spaced, then failed with the file named', async () => {
    const f = writeVideo(ws, 'changing.mp4', 300_000);
    const id = ws.engine.batches.insertPlanned(plan('changing', [f]));
    // Each time the batch starts sending, the file grows; the planner answers each replan
    // request with the file as it is now (what folder-sync does).
    ws.engine.events.on('batch', (b) => {
      if (b.id === id && b.state === 'sending' && b.bytesDone === 0) appendFileSync(f.absPath, 'x');
    });
    ws.engine.events.on('replan-needed', (r) => {
      const st = statSync(f.absPath);
      ws.engine.batches.replan(r.batchId, {
        ...plan('changing', [{ ...f, size: st.size, mtimeMs: st.mtimeMs, sha256: null }]),
      });
      ws.engine.wake();
    });
    await settle();
    const b = ws.engine.batches.get(id);
    expect(b?.state).toBe('failed');
    expect(b?.lastError?.message).toMatch(/gave up after 3 fresh starts/);
    expect(b?.lastError?.message).toMatch(/changing\.mp4/);
    expectBoundedAndSpaced('changing');
    const kinds = new ActivityRepo(ws.db).list().map((a) => a.kind);
    expect(kinds.filter((k) => k === 'batch-replan')).toHaveLength(POLICY.maxRestarts);
  });
});
