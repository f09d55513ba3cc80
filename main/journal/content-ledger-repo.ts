// Content sent (or on its way) to a target: the same bytes under a new name, after a move, or
// from a re-added folder are not uploaded to that target again.
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';
import { statementCache } from './database.js';

export interface LedgerEntry {
  targetKey: string;
  sha256: string;
  folderId: number | null;
  relPath: string;
  batchId: number | null;
  taskId: number | null;
  recordedAt: number;
}

interface Raw {
  target_key: string;
  sha256: string;
  folder_id: number | null;
  rel_path: string;
  batch_id: number | null;
  task_id: number | null;
  recorded_at: number;
}

export class ContentLedgerRepo {
  private readonly stmt: (sql: string) => Statement;

  constructor(db: Db) {
    this.stmt = statementCache(db);
  }

  find(targetKey: string, sha256: string): LedgerEntry | undefined {
    const r = this.stmt('SELECT * FROM content_ledger WHERE target_key = ? AND sha256 = ?').get(
      targetKey,
      sha256,
    ) as Raw | undefined;
    return (
      r && {
        targetKey: r.target_key,
        sha256: r.sha256,
        folderId: r.folder_id,
        relPath: r.rel_path,
        batchId: r.batch_id,
        taskId: r.task_id,
        recordedAt: r.recorded_at,
      }
    );
  }

  /** Records content planned into a batch; the first record of a (target, content) pair wins. */
  record(entry: Omit<LedgerEntry, 'taskId'>): void {
    this.stmt(
      `INSERT INTO content_ledger (target_key, sha256, folder_id, rel_path, batch_id, task_id, recorded_at)
         VALUES (@targetKey, @sha256, @folderId, @relPath, @batchId, NULL, @recordedAt)
         ON CONFLICT (target_key, sha256) DO NOTHING`,
    ).run(entry);
  }

  /** The batch became a task on the server. */
  setTask(batchId: number, taskId: number): number {
    return this.stmt('UPDATE content_ledger SET task_id = ? WHERE batch_id = ?').run(
      taskId,
      batchId,
    ).changes;
  }

  /** Forgets content of a batch that will not reach the server as planned (re-planning). */
  releaseBatch(batchId: number): number {
    return this.stmt('DELETE FROM content_ledger WHERE batch_id = ? AND task_id IS NULL').run(
      batchId,
    ).changes;
  }
}
