// The journal's whole operations on a real SQLite file: planBatch writes all its rows or none,
// completeBatch and cancelBatch are compare-and-set on the batch's state and carry its files along.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FolderRule } from '../../../preload/contract.js';
import { FakeClock } from '../../../main/core/clock.js';
import type { NewBatchFile } from '../../../main/journal/batch-repo.js';
import type { BatchPlan } from '../../../main/journal/journal.js';
import { Journal } from '../../../main/journal/journal.js';

const TARGET = 'http://127.0.0.1:9|labels';

let dir: string;
let clock: FakeClock;
let journal: Journal;
let folderId: number;

const rule: FolderRule = {
  path: '/data/cams',
  target: { kind: 'labels', labels: [{ name: 'car' }] },
  org: null,
  split: { kind: 'count', count: 2 },
  nameTemplate: null,
  include: [],
  exclude: [],
  settleSeconds: 10,
  maxFileSizeBytes: null,
  polling: false,
  taskOptions: { imageQuality: 70 },
  autoExport: null,
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'journal-'));
  clock = new FakeClock();
  journal = Journal.open(join(dir, 'journal.db'), clock);
  folderId = journal.folders.insert(rule, { server: 'http://127.0.0.1:9' }).id;
});
afterEach(() => {
  journal.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Stable file rows in the folder, as the stability gate leaves them. */
function stableFiles(names: string[]): NewBatchFile[] {
  journal.files.write(
    folderId,
    names.map((relPath) => ({
      kind: 'insert' as const,
      relPath,
      dir: '',
      fields: {
        size: relPath.length,
        mtimeMs: 1000,
        state: 'stable' as const,
        reason: null,
        detail: null,
        sha256: `sha-${relPath}`,
        lastSeenAt: 0,
        changedAt: 0,
        missingSince: null,
        batchId: null,
      },
    })),
  );
  return names.map((relPath) => {
    const row = journal.files.byPath(folderId, relPath);
    return {
      fileId: row?.id ?? null,
      absPath: `/data/cams/${relPath}`,
      relPath,
      name: relPath,
      size: relPath.length,
      mtimeMs: 1000,
      sha256: `sha-${relPath}`,
    };
  });
}

function plan(files: NewBatchFile[], groupKey = 'count'): BatchPlan<unknown, unknown> {
  return {
    folderId,
    groupKey,
    targetKey: TARGET,
    nameFor: (index) => `cams ${index}`,
    task: { labels: [{ name: 'car' }] },
    data: { image_quality: 70 },
    files,
    plannedAt: clock.now(),
  };
}

function count(table: string): number {
  return (journal.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

/** Runs a planned batch up to 'processing' as the upload engine would. */
function toProcessing(id: number, taskId: number): void {
  const steps = [
    ['planned', 'creating'],
    ['creating', 'created'],
    ['created', 'started'],
    ['started', 'sending'],
    ['sending', 'finishing'],
    ['finishing', 'processing'],
  ] as const;
  for (const [from, to] of steps)
    expect(journal.batches.transition(id, from, to, from === 'creating' ? { taskId } : {})).toBe(
      true,
    );
}

describe('Journal.planBatch', () => {
  it('writes the batch, its files, the file states, the ledger and the plan row together', () => {
    const files = stableFiles(['1.jpg', '2.jpg']);
    const planned = journal.planBatch(plan(files));
    expect(planned).toMatchObject({ key: 'count:1', name: 'cams 1', files: 2, bytes: 10 });
    expect(journal.batches.get(planned.batchId)?.state).toBe('planned');
    expect(journal.batches.files(planned.batchId).map((f) => f.relPath)).toEqual([
      '1.jpg',
      '2.jpg',
    ]);
    expect(journal.files.byPath(folderId, '1.jpg')).toMatchObject({
      state: 'planned',
      batchId: planned.batchId,
    });
    expect(journal.contentLedger.find(TARGET, 'sha-2.jpg')?.batchId).toBe(planned.batchId);
    expect(journal.plans.byBatch(planned.batchId)).toMatchObject({ key: 'count:1', files: 2 });
    // The next count batch takes the next index; a name already taken gets a suffix.
    const again = journal.planBatch({ ...plan(stableFiles(['3.jpg'])), nameFor: () => 'cams 1' });
    expect([again.key, again.name]).toEqual(['count:2', 'cams 1 (2)']);
  });

  it('writes nothing at all when one of its inserts fails', () => {
    const files = stableFiles(['1.jpg', '2.jpg']);
    // The last write of the operation (the plan row) fails.
    journal.db.exec(
      "CREATE TRIGGER fail_plan BEFORE INSERT ON folder_plans BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    );
    expect(() => journal.planBatch(plan(files))).toThrow(/disk full/);
    expect([count('batches'), count('batch_files'), count('content_ledger')]).toEqual([0, 0, 0]);
    expect(count('folder_plans')).toBe(0);
    for (const name of ['1.jpg', '2.jpg'])
      expect(journal.files.byPath(folderId, name)).toMatchObject({
        state: 'stable',
        batchId: null,
      });
    // The folder's counter was not moved either: the next attempt is still batch 1.
    journal.db.exec('DROP TRIGGER fail_plan');
    expect(journal.planBatch(plan(files)).key).toBe('count:1');
  });
});

describe('Journal.completeBatch', () => {
  it('makes the batch done and its files uploaded in one step, once', async () => {
    const { batchId } = journal.planBatch(plan(stableFiles(['1.jpg', '2.jpg'])));
    toProcessing(batchId, 42);
    await clock.advance(5_000);
    const doneAt = clock.now();
    expect(journal.completeBatch(batchId, { id: 42, size: 2, jobCount: 1 })).toBe(true);
    const done = journal.batches.get(batchId);
    expect(done).toMatchObject({ state: 'done', taskId: 42, taskSize: 2, jobCount: 1 });
    expect(done?.finishedAt).toBe(doneAt);
    expect(journal.files.counts(folderId)).toMatchObject({ uploaded: 2, pending: 0 });
    expect(journal.contentLedger.find(TARGET, 'sha-1.jpg')?.taskId).toBe(42);

    // A second call (a stale runner, a replay) finds the batch no longer processing: no write.
    const before = journal.db.prepare('SELECT * FROM batches WHERE id = ?').get(batchId);
    await clock.advance(4_000);
    expect(journal.completeBatch(batchId, { id: 43, size: 9, jobCount: 3 })).toBe(false);
    expect(journal.db.prepare('SELECT * FROM batches WHERE id = ?').get(batchId)).toEqual(before);
    expect(journal.contentLedger.find(TARGET, 'sha-1.jpg')?.taskId).toBe(42);
  });

  it('changes nothing on a cancelled batch', () => {
    const { batchId } = journal.planBatch(plan(stableFiles(['1.jpg', '2.jpg'])));
    expect(journal.cancelBatch(batchId, 'planned')).toBe(true);
    expect(journal.files.byPath(folderId, '1.jpg')).toMatchObject({
      state: 'ignored',
      reason: 'cancelled',
    });
    expect(journal.contentLedger.find(TARGET, 'sha-1.jpg')).toBeUndefined();
    const files = () => journal.files.ofBatch(batchId).map((f) => [f.relPath, f.state, f.reason]);
    const filesBefore = files();
    expect(journal.completeBatch(batchId, { id: 42, size: 2, jobCount: 1 }, 'planned')).toBe(false);
    expect(journal.completeBatch(batchId, { id: 42, size: 2, jobCount: 1 })).toBe(false);
    expect(journal.batches.get(batchId)).toMatchObject({ state: 'cancelled', taskId: null });
    expect(files()).toEqual(filesBefore);
    // And a second cancel is refused as well.
    expect(journal.cancelBatch(batchId, 'planned')).toBe(false);
  });
});
