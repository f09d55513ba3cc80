// Task batches: what the planner decided to send as one CVAT task, and where its upload stands.
// Every state change is a compare-and-set on `state` in one transaction, so two writers (the
// engine, a user action, a recovering process) can never both move the same batch. The row
// shapes and their column mapping are in batch-rows.ts.
import type { BatchState } from '../core/batch-state.js';
import { canTransition } from '../core/batch-state.js';
import type { Clock } from '../core/clock.js';
import type { ErrorInfo } from '../core/errors.js';
import type { Db } from './database.js';
import { inTransaction } from './database.js';
import { PATCH_COLUMNS, fileFromRaw, fromRaw, uniqueUploadNames } from './batch-rows.js';
import type {
  BatchFileRow,
  BatchFilter,
  BatchPatch,
  BatchRow,
  NewBatch,
  NewBatchFile,
  RawBatch,
  RawFile,
} from './batch-rows.js';

export type {
  BatchFileRow,
  BatchFileState,
  BatchFilter,
  BatchPatch,
  BatchRow,
  NewBatch,
  NewBatchFile,
} from './batch-rows.js';
export { uniqueUploadNames } from './batch-rows.js';

export class BatchRepo<Task = unknown, Data = unknown> {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Inserts a planned batch; idempotent on (folderId, key): an existing batch's id is returned unchanged. */
  insertPlanned(b: NewBatch<Task, Data>): number {
    return inTransaction(this.db, () => {
      const existing = this.db
        .prepare('SELECT id FROM batches WHERE ifnull(folder_id, -1) = ifnull(?, -1) AND key = ?')
        .get(b.folderId, b.key) as { id: number } | undefined;
      if (existing) return existing.id;
      const now = this.clock.now();
      const folder = this.db
        .prepare('SELECT server, org FROM folders WHERE id = ?')
        .get(b.folderId) as { server: string; org: string | null } | undefined;
      const info = this.db
        .prepare(
          `INSERT INTO batches (folder_id, key, name, task_spec, data_request, server, org, state, bytes_total, files_total, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'planned', ?, ?, ?, ?)`,
        )
        .run(
          b.folderId,
          b.key,
          b.name,
          JSON.stringify(b.task),
          JSON.stringify(b.data),
          b.server ?? folder?.server ?? '',
          b.org !== undefined ? b.org : (folder?.org ?? null),
          b.files.reduce((s, f) => s + f.size, 0),
          b.files.length,
          now,
          now,
        );
      const id = Number(info.lastInsertRowid);
      this.insertFiles(id, b.files);
      return id;
    });
  }

  /**
   * The planner's answer to a replan request: new files and spec for a planned batch. Clears the
   * replan mark and the error history. False when the batch is not in 'planned' any more.
   */
  replan(id: number, b: Omit<NewBatch<Task, Data>, 'folderId' | 'key'>): boolean {
    return inTransaction(this.db, () => {
      const row = this.get(id);
      if (!row || row.state !== 'planned') return false;
      this.db.prepare('DELETE FROM batch_files WHERE batch_id = ?').run(id);
      this.db
        .prepare(
          `UPDATE batches SET name = ?, task_spec = ?, data_request = ?, replan_reason = NULL, attempts = 0,
             last_error = NULL, next_attempt_at = NULL, bytes_total = ?, bytes_done = 0, files_total = ?, files_done = 0,
             updated_at = ? WHERE id = ?`,
        )
        .run(
          b.name,
          JSON.stringify(b.task),
          JSON.stringify(b.data),
          b.files.reduce((s, f) => s + f.size, 0),
          b.files.length,
          this.clock.now(),
          id,
        );
      this.insertFiles(id, b.files);
      return true;
    });
  }

  get(id: number): BatchRow<Task, Data> | undefined {
    const raw = this.db.prepare('SELECT * FROM batches WHERE id = ?').get(id) as
      RawBatch | undefined;
    return raw && fromRaw<Task, Data>(raw);
  }

  list(filter: BatchFilter = {}): Array<BatchRow<Task, Data>> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.states?.length) {
      where.push(`state IN (${filter.states.map(() => '?').join(', ')})`);
      params.push(...filter.states);
    }
    if (filter.folderId !== undefined) {
      where.push('ifnull(folder_id, -1) = ifnull(?, -1)');
      params.push(filter.folderId);
    }
    if (filter.ids) {
      where.push(`id IN (${filter.ids.map(() => '?').join(', ') || 'NULL'})`);
      params.push(...filter.ids);
    }
    const limit =
      filter.limit === undefined ? '' : ` LIMIT ${Math.max(1, Math.floor(filter.limit))}`;
    const sql = `SELECT * FROM batches ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id${limit}`;
    return (this.db.prepare(sql).all(...params) as RawBatch[]).map((r) => fromRaw<Task, Data>(r));
  }

  /** Binds a batch planned without a server to `server`; false when it already belongs to one. */
  bindServer(id: number, server: string): boolean {
    return (
      this.db
        .prepare("UPDATE batches SET server = ?, updated_at = ? WHERE id = ? AND server = ''")
        .run(server, this.clock.now(), id).changes === 1
    );
  }

  /** Batch ids whose task id is `taskId` on `server` (a task is claimed by at most one batch). */
  claimedBy(taskId: number, server: string): number[] {
    return (
      this.db
        .prepare('SELECT id FROM batches WHERE task_id = ? AND server = ?')
        .all(taskId, server) as Array<{ id: number }>
    ).map((r) => r.id);
  }

  files(batchId: number): BatchFileRow[] {
    return (
      this.db
        .prepare('SELECT * FROM batch_files WHERE batch_id = ? ORDER BY position')
        .all(batchId) as RawFile[]
    ).map(fileFromRaw);
  }

  /** Compare-and-set: moves `id` from `from` to `to` (with `patch`) only if it is still in `from`. */
  transition(id: number, from: BatchState, to: BatchState, patch: BatchPatch = {}): boolean {
    if (from !== to && !canTransition(from, to))
      throw new Error(`Batch ${id}: no transition ${from} -> ${to}`);
    return inTransaction(this.db, () => this.setWhere(id, from, { ...patch }, to));
  }

  /** Changes columns of a batch still in `state` (compare-and-set without a state change). */
  update(id: number, state: BatchState, patch: BatchPatch): boolean {
    return inTransaction(this.db, () => this.setWhere(id, state, patch, state));
  }

  setPaused(id: number, paused: boolean): boolean {
    return (
      this.db
        .prepare('UPDATE batches SET paused = ?, updated_at = ? WHERE id = ?')
        .run(paused ? 1 : 0, this.clock.now(), id).changes === 1
    );
  }

  /**
   * Records that the current attempt ended with `error`; the scheduler waits `retryInMs` from
   * this moment (the one stored as updatedAt), or for a user's action when null.
   */
  recordError(id: number, state: BatchState, error: ErrorInfo, retryInMs: number | null): boolean {
    return inTransaction(this.db, () => {
      const row = this.get(id);
      if (!row || row.state !== state) return false;
      const now = this.clock.now();
      return this.setWhere(
        id,
        state,
        {
          attempts: row.attempts + 1,
          lastError: error,
          nextAttemptAt: retryInMs === null ? null : now + retryInMs,
        },
        state,
        now,
      );
    });
  }

  /** Adds to the batch's recovery figures (resends and their bytes, ambiguous events). */
  countRecovery(
    id: number,
    add: { resends?: number; resentBytes?: number; ambiguous?: number },
  ): void {
    this.db
      .prepare(
        'UPDATE batches SET resends = resends + ?, resent_bytes = resent_bytes + ?, ambiguous_events = ambiguous_events + ? WHERE id = ?',
      )
      .run(add.resends ?? 0, add.resentBytes ?? 0, add.ambiguous ?? 0, id);
  }

  /** Marks files that will never be sent (zero bytes, unsupported type). */
  skipFile(fileRowId: number, reason: string): void {
    this.db
      .prepare(
        "UPDATE batch_files SET state = 'skipped', skip_reason = ? WHERE id = ? AND state = 'pending'",
      )
      .run(reason, fileRowId);
  }

  /** A 413 on a bulk request: this file goes by TUS from now on. */
  forceTus(fileRowId: number): void {
    this.db.prepare("UPDATE batch_files SET via = 'tus' WHERE id = ?").run(fileRowId);
  }

  /**
   * Starts the batch over from 'planned' under a new task: the current task (if any) is queued
   * for deletion, every transfer record is dropped and every sent file is pending again, all in
   * one transaction. `replanReason` additionally parks the batch until the planner re-plans it.
   */
  restart(
    id: number,
    from: BatchState,
    why: {
      reason: string;
      countRestart: boolean;
      replanReason?: string | null;
      discardTaskIds?: number[];
      /** A user's retry: attempts, restarts and the last error start from zero. */
      resetHistory?: boolean;
      /** No new task before this time (the spacing of restarts). */
      notBefore?: number | null;
      /** A file left out of the next attempt, marked skipped with this reason (same transaction). */
      skip?: { fileRowId: number; reason: string };
    },
  ): boolean {
    if (!canTransition(from, 'planned'))
      throw new Error(`Batch ${id}: no transition ${from} -> planned`);
    return inTransaction(this.db, () => {
      const row = this.get(id);
      if (!row || row.state !== from) return false;
      const now = this.clock.now();
      const discard = this.db.prepare(
        'INSERT OR IGNORE INTO task_discards (task_id, batch_id, reason, created_at, server) VALUES (?, ?, ?, ?, ?)',
      );
      const discarded = [
        ...(row.taskId === null ? [] : [row.taskId]),
        ...(why.discardTaskIds ?? []),
      ];
      for (const taskId of discarded) discard.run(taskId, id, why.reason, now, row.server);
      this.db
        .prepare('UPDATE batches SET discarded_tasks = discarded_tasks + ? WHERE id = ?')
        .run(discarded.length, id);
      this.db
        .prepare(
          'DELETE FROM tus_uploads WHERE batch_file_id IN (SELECT id FROM batch_files WHERE batch_id = ?)',
        )
        .run(id);
      this.db
        .prepare(
          "UPDATE batch_files SET state = 'pending', bulk_part_id = NULL WHERE batch_id = ? AND state = 'sent'",
        )
        .run(id);
      this.db.prepare('UPDATE batch_files SET bulk_part_id = NULL WHERE batch_id = ?').run(id);
      if (why.skip) this.skipFile(why.skip.fileRowId, why.skip.reason);
      this.db.prepare('DELETE FROM bulk_parts WHERE batch_id = ?').run(id);
      this.db.prepare('DELETE FROM requests WHERE batch_id = ?').run(id);
      return this.setWhere(
        id,
        from,
        {
          taskId: null,
          rqId: null,
          createStartedAt: null,
          bytesDone: 0,
          filesDone: 0,
          taskSize: null,
          jobCount: null,
          finishedAt: null,
          restarts: why.resetHistory ? 0 : row.restarts + (why.countRestart ? 1 : 0),
          ...(why.resetHistory
            ? { attempts: 0, lastError: null, nextAttemptAt: null, restartNotBefore: null }
            : {}),
          ...(why.notBefore === undefined ? {} : { restartNotBefore: why.notBefore }),
          ...(why.replanReason === undefined ? {} : { replanReason: why.replanReason }),
        },
        'planned',
      );
    });
  }

  /** Asks the engine to cancel the batch; false when it can no longer be cancelled (processing, done). */
  requestCancel(id: number): boolean {
    return inTransaction(this.db, () => {
      const row = this.get(id);
      if (!row || !canTransition(row.state, 'cancelled')) return false;
      return this.setWhere(id, row.state, { cancelRequested: true }, row.state);
    });
  }

  /** Ends a cancellation: the batch's task (and `extraTaskIds`) are queued for deletion, in one transaction. */
  finishCancel(id: number, from: BatchState, extraTaskIds: number[] = []): boolean {
    if (!canTransition(from, 'cancelled'))
      throw new Error(`Batch ${id}: no transition ${from} -> cancelled`);
    return inTransaction(this.db, () => {
      const row = this.get(id);
      if (!row || row.state !== from) return false;
      const discard = this.db.prepare(
        'INSERT OR IGNORE INTO task_discards (task_id, batch_id, reason, created_at, server) VALUES (?, ?, ?, ?, ?)',
      );
      for (const taskId of [...(row.taskId === null ? [] : [row.taskId]), ...extraTaskIds]) {
        discard.run(taskId, id, 'cancelled', this.clock.now(), row.server);
      }
      return this.setWhere(
        id,
        from,
        {
          cancelRequested: false,
          taskId: null,
          rqId: null,
          nextAttemptAt: null,
          finishedAt: this.clock.now(),
        },
        'cancelled',
      );
    });
  }

  private insertFiles(batchId: number, files: NewBatchFile[]): void {
    const insert = this.db.prepare(
      `INSERT INTO batch_files (batch_id, position, file_id, abs_path, rel_path, planned_name, upload_name, size, mtime_ms, sha256, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
    );
    const names = uniqueUploadNames(files.map((f) => f.name));
    files.forEach((f, i) => {
      insert.run(
        batchId,
        i,
        f.fileId,
        f.absPath,
        f.relPath,
        f.name,
        names[i] ?? f.name,
        f.size,
        f.mtimeMs,
        f.sha256,
      );
    });
  }

  private setWhere(
    id: number,
    state: BatchState,
    patch: BatchPatch,
    to: BatchState,
    now = this.clock.now(),
  ): boolean {
    const sets = ['state = ?', 'updated_at = ?'];
    const params: unknown[] = [to, now];
    for (const [key, value] of Object.entries(patch) as Array<[keyof BatchPatch, unknown]>) {
      if (value === undefined) continue;
      sets.push(`${PATCH_COLUMNS[key]} = ?`);
      if (key === 'lastError') params.push(value === null ? null : JSON.stringify(value));
      else if (key === 'cancelRequested') params.push(value ? 1 : 0);
      else params.push(value);
    }
    params.push(id, state);
    return (
      this.db
        .prepare(`UPDATE batches SET ${sets.join(', ')} WHERE id = ? AND state = ?`)
        .run(...params).changes === 1
    );
  }
}
