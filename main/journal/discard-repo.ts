// Tasks this app created and has decided to delete. A row lives until the DELETE succeeded (or
// the task was already gone), so a crash between deciding and deleting loses nothing.
import type { Clock } from '../core/clock.js';
import type { ErrorInfo } from '../core/errors.js';
import type { Db } from './database.js';

export interface DiscardRow {
  taskId: number;
  batchId: number | null;
  /** The server that holds the task ('' = unknown: discarded before servers were recorded). */
  server: string;
  reason: string;
  attempts: number;
  lastError: ErrorInfo | null;
  createdAt: number;
}

interface RawDiscard {
  task_id: number;
  batch_id: number | null;
  server: string;
  reason: string;
  attempts: number;
  last_error: string | null;
  created_at: number;
}

export class DiscardRepo {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  add(taskId: number, batchId: number | null, reason: string, server: string): void {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO task_discards (task_id, batch_id, reason, created_at, server) VALUES (?, ?, ?, ?, ?)',
      )
      .run(taskId, batchId, reason, this.clock.now(), server);
  }

  /** All pending deletions, or those of one batch. */
  list(batchId?: number): DiscardRow[] {
    const rows = (
      batchId === undefined
        ? this.db.prepare('SELECT * FROM task_discards ORDER BY created_at, task_id').all()
        : this.db
            .prepare('SELECT * FROM task_discards WHERE batch_id = ? ORDER BY created_at, task_id')
            .all(batchId)
    ) as RawDiscard[];
    return rows.map(fromRaw);
  }

  has(taskId: number, server: string): boolean {
    return (
      this.db
        .prepare('SELECT 1 FROM task_discards WHERE task_id = ? AND server = ?')
        .get(taskId, server) !== undefined
    );
  }

  /** The DELETE succeeded or the task was already gone. */
  deleted(taskId: number, server: string): void {
    this.db
      .prepare('DELETE FROM task_discards WHERE task_id = ? AND server = ?')
      .run(taskId, server);
  }

  failed(taskId: number, server: string, error: ErrorInfo): void {
    this.db
      .prepare(
        'UPDATE task_discards SET attempts = attempts + 1, last_error = ? WHERE task_id = ? AND server = ?',
      )
      .run(JSON.stringify(error), taskId, server);
  }
}

function fromRaw(r: RawDiscard): DiscardRow {
  return {
    taskId: r.task_id,
    batchId: r.batch_id,
    server: r.server,
    reason: r.reason,
    attempts: r.attempts,
    lastError: r.last_error === null ? null : (JSON.parse(r.last_error) as ErrorInfo),
    createdAt: r.created_at,
  };
}
