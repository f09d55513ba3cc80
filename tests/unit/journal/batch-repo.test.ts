import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/core/clock.js';
import { BatchRepo, uniqueUploadNames } from '../../../main/journal/batch-repo.js';
import type { NewBatch, NewBatchFile } from '../../../main/journal/batch-repo.js';
import { openJournal } from '../../../main/journal/database.js';
import type { Db } from '../../../main/journal/database.js';
import { DiscardRepo } from '../../../main/journal/discard-repo.js';
import { RequestRepo } from '../../../main/journal/request-repo.js';
import { UploadRepo } from '../../../main/journal/upload-repo.js';

let dir: string;
let db: Db;
let clock: FakeClock;
let repo: BatchRepo;
let uploads: UploadRepo;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'batch-repo-'));
  db = openJournal(join(dir, 'journal.db'));
  clock = new FakeClock();
  repo = new BatchRepo(db, clock);
  uploads = new UploadRepo(db, clock);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, size: number): NewBatchFile {
  return {
    fileId: null,
    absPath: `/data/${name}`,
    relPath: name,
    name: name.slice(name.lastIndexOf('/') + 1),
    size,
    mtimeMs: 1000.5,
    sha256: null,
  };
}

function batch(key: string, files: NewBatchFile[]): NewBatch {
  return {
    folderId: 3,
    key,
    name: `task ${key}`,
    task: { labels: [{ name: 'car' }] },
    data: { image_quality: 70 },
    files,
  };
}

describe('BatchRepo', () => {
  it('inserts planned batches idempotently on (folder, key), keeping the first plan', () => {
    const id = repo.insertPlanned(batch('count:1', [file('a.jpg', 10), file('b.jpg', 20)]));
    expect(repo.insertPlanned(batch('count:1', [file('c.jpg', 99)]))).toBe(id);
    expect(repo.insertPlanned({ ...batch('count:1', []), folderId: null })).not.toBe(id);
    const row = repo.get(id);
    expect(row).toMatchObject({
      state: 'planned',
      bytesTotal: 30,
      filesTotal: 2,
      task: { labels: [{ name: 'car' }] },
      data: { image_quality: 70 },
    });
    expect(repo.files(id).map((f) => [f.position, f.uploadName, f.mtimeMs])).toEqual([
      [0, 'a.jpg', 1000.5],
      [1, 'b.jpg', 1000.5],
    ]);
  });

  it('renames colliding basenames deterministically with CVAT’s _N rule', () => {
    expect(
      uniqueUploadNames(['a/x.jpg', 'b/x.jpg', 'x_2.jpg', 'c/x.jpg', 'noext', 'd/noext']),
    ).toEqual(['x.jpg', 'x_3.jpg', 'x_2.jpg', 'x_4.jpg', 'noext', 'noext_2']);
    const id = repo.insertPlanned(batch('dup', [file('a/x.jpg', 1), file('b/x.jpg', 1)]));
    expect(repo.files(id).map((f) => [f.plannedName, f.uploadName])).toEqual([
      ['x.jpg', 'x.jpg'],
      ['x.jpg', 'x_2.jpg'],
    ]);
  });

  it('moves state only by compare-and-set along the state machine', () => {
    const id = repo.insertPlanned(batch('k', [file('a.jpg', 1)]));
    expect(repo.transition(id, 'planned', 'creating', { createStartedAt: 5 })).toBe(true);
    expect(repo.transition(id, 'planned', 'creating')).toBe(false);
    expect(() => repo.transition(id, 'creating', 'done')).toThrow(/no transition/);
    expect(repo.transition(id, 'creating', 'created', { taskId: 12 })).toBe(true);
    expect(repo.get(id)).toMatchObject({ state: 'created', taskId: 12, createStartedAt: 5 });
    expect(repo.claimedBy(12, '')).toEqual([id]);
  });

  it('records errors with attempts and the next attempt time', () => {
    const id = repo.insertPlanned(batch('k', [file('a.jpg', 1)]));
    const error = {
      code: 'server',
      kind: 'transient' as const,
      message: 'HTTP 503',
      retryable: true,
      status: 503,
    };
    expect(repo.recordError(id, 'planned', error, 9_000)).toBe(true);
    expect(repo.recordError(id, 'planned', error, 19_000)).toBe(true);
    expect(repo.recordError(id, 'creating', error, 1)).toBe(false);
    expect(repo.get(id)).toMatchObject({
      attempts: 2,
      lastError: error,
      nextAttemptAt: clock.now() + 19_000,
      updatedAt: clock.now(),
    });
  });

  it('restarts a batch in one transaction: task queued for deletion, transfers forgotten, files pending', () => {
    const id = repo.insertPlanned(
      batch('k', [file('big.mp4', 5000), file('a.jpg', 10), file('b.jpg', 10)]),
    );
    repo.transition(id, 'planned', 'creating');
    repo.transition(id, 'creating', 'created', { taskId: 44 });
    repo.transition(id, 'created', 'started');
    repo.transition(id, 'started', 'sending');
    const [big, a, b] = repo.files(id);
    uploads.tusBegin(big?.id ?? 0, 44, 5000);
    uploads.tusCreated(big?.id ?? 0, 'http://s/api/tasks/44/data/1_x', 'big.mp4');
    uploads.tusOffset(big?.id ?? 0, 2000);
    expect(repo.get(id)?.bytesDone).toBe(2000);
    const part = uploads.bulkBegin(id, 44, [a?.id ?? 0, b?.id ?? 0], 20);
    uploads.bulkDone(part);
    expect(repo.get(id)).toMatchObject({ bytesDone: 2020, filesDone: 2 });
    expect(repo.restart(id, 'sending', { reason: 'test', countRestart: true })).toBe(true);
    expect(repo.get(id)).toMatchObject({
      state: 'planned',
      taskId: null,
      bytesDone: 0,
      filesDone: 0,
      restarts: 1,
    });
    expect(repo.files(id).every((f) => f.state === 'pending' && f.bulkPartId === null)).toBe(true);
    expect(uploads.tusForBatch(id)).toEqual([]);
    expect(uploads.bulkParts(id)).toEqual([]);
    expect(new DiscardRepo(db, clock).list().map((d) => [d.taskId, d.batchId, d.reason])).toEqual([
      [44, id, 'test'],
    ]);
  });

  it('parks a batch for re-planning and accepts the planner’s new plan', () => {
    const id = repo.insertPlanned(batch('k', [file('a.jpg', 1)]));
    repo.transition(id, 'planned', 'creating');
    repo.transition(id, 'creating', 'created', { taskId: 7 });
    repo.restart(id, 'created', {
      reason: 'changed',
      countRestart: false,
      replanReason: 'a.jpg: size changed',
    });
    expect(repo.get(id)).toMatchObject({
      state: 'planned',
      replanReason: 'a.jpg: size changed',
      restarts: 0,
    });
    expect(
      repo.replan(id, {
        name: 'task k',
        task: {},
        data: { image_quality: 50 },
        files: [file('a.jpg', 2)],
      }),
    ).toBe(true);
    expect(repo.get(id)).toMatchObject({
      replanReason: null,
      bytesTotal: 2,
      data: { image_quality: 50 },
    });
  });

  it('cancels only where the state machine allows, queuing the task for deletion', () => {
    const id = repo.insertPlanned(batch('k', [file('a.jpg', 1)]));
    repo.transition(id, 'planned', 'creating');
    repo.transition(id, 'creating', 'created', { taskId: 8 });
    expect(repo.requestCancel(id)).toBe(true);
    expect(repo.get(id)?.cancelRequested).toBe(true);
    expect(repo.finishCancel(id, 'created', [9])).toBe(true);
    expect(repo.get(id)).toMatchObject({
      state: 'cancelled',
      cancelRequested: false,
      taskId: null,
    });
    expect(new DiscardRepo(db, clock).list().map((d) => d.taskId)).toEqual([8, 9]);
    const p = repo.insertPlanned(batch('p', [file('a.jpg', 1)]));
    for (const [from, to] of [
      ['planned', 'creating'],
      ['creating', 'created'],
      ['created', 'started'],
      ['started', 'sending'],
      ['sending', 'finishing'],
      ['finishing', 'processing'],
    ] as const) {
      repo.transition(p, from, to);
    }
    expect(repo.requestCancel(p)).toBe(false);
  });
});

describe('UploadRepo and RequestRepo', () => {
  it('tracks a TUS upload from intent to done and a bulk part’s outcome', () => {
    const id = repo.insertPlanned(batch('k', [file('big.mp4', 300), file('a.jpg', 10)]));
    const [big, a] = repo.files(id);
    uploads.tusBegin(big?.id ?? 0, 1, 300);
    expect(uploads.tus(big?.id ?? 0)).toMatchObject({
      state: 'creating',
      location: null,
      offset: 0,
    });
    uploads.tusUnknown(big?.id ?? 0);
    expect(uploads.tus(big?.id ?? 0)?.state).toBe('unknown');
    uploads.tusCreated(big?.id ?? 0, 'http://s/u/1', 'big.mp4');
    uploads.tusOffset(big?.id ?? 0, 100);
    uploads.tusDone(big?.id ?? 0);
    expect(uploads.tus(big?.id ?? 0)).toMatchObject({ state: 'done', offset: 300 });
    const part = uploads.bulkBegin(id, 1, [a?.id ?? 0], 10);
    uploads.bulkUnknown(part, {
      code: 'network',
      kind: 'transient',
      message: 'reset',
      retryable: true,
    });
    expect(uploads.bulkParts(id)).toEqual([
      expect.objectContaining({
        state: 'unknown',
        files: 1,
        bytes: 10,
        error: expect.objectContaining({ code: 'network' }),
      }),
    ]);
    const refused = uploads.bulkBegin(id, 1, [a?.id ?? 0], 10);
    uploads.bulkForget(refused);
    expect(repo.files(id)[1]?.bulkPartId).toBeNull();
    expect(repo.get(id)).toMatchObject({ filesDone: 1, bytesDone: 300 });
  });

  it('records request ids and their last status', () => {
    const requests = new RequestRepo(db, clock);
    const id = repo.insertPlanned(batch('k', [file('a.jpg', 1)]));
    requests.record({ rqId: 'rq-1', batchId: id, taskId: 4, operation: 'create:task' });
    requests.update('rq-1', 'started', 'Preparing', 0.5);
    expect(requests.forBatch(id)).toEqual([
      expect.objectContaining({
        rqId: 'rq-1',
        status: 'started',
        message: 'Preparing',
        progress: 0.5,
      }),
    ]);
  });
});
