// Files seen under sync folders (table `files`). Paths are (folder id, relative POSIX path).
// Writes come in big batches (one transaction per few thousand rows) so a 200k-file scan stays fast.
import type { FileCounts, FileRow, FileState, FileWrite } from '../core/file-record.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';
import { inTransaction, statementCache } from './database.js';

export type { FileCounts, FileFields, FileRow, FileState, FileWrite } from '../core/file-record.js';

interface Raw {
  id: number;
  folder_id: number;
  rel_path: string;
  dir: string;
  size: number;
  mtime_ms: number;
  state: FileState;
  reason: string | null;
  detail: string | null;
  sha256: string | null;
  first_seen_at: number;
  last_seen_at: number;
  changed_at: number;
  missing_since: number | null;
  batch_id: number | null;
}

function fromRaw(r: Raw): FileRow {
  return {
    id: r.id,
    folderId: r.folder_id,
    relPath: r.rel_path,
    dir: r.dir,
    size: r.size,
    mtimeMs: r.mtime_ms,
    state: r.state,
    reason: r.reason,
    detail: r.detail,
    sha256: r.sha256,
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at,
    changedAt: r.changed_at,
    missingSince: r.missing_since,
    batchId: r.batch_id,
  };
}

function likePrefix(dir: string): string {
  return `${dir.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`;
}

export class FileRepo {
  private readonly stmt: (sql: string) => Statement;
  private readonly insertStmt;
  private readonly updateStmt;

  constructor(private readonly db: Db) {
    this.stmt = statementCache(db);
    this.insertStmt = db.prepare(
      `INSERT INTO files (folder_id, rel_path, dir, size, mtime_ms, state, reason, detail, sha256,
         first_seen_at, last_seen_at, changed_at, missing_since, batch_id)
       VALUES (@folderId, @relPath, @dir, @size, @mtimeMs, @state, @reason, @detail, @sha256,
         @lastSeenAt, @lastSeenAt, @changedAt, @missingSince, @batchId)`,
    );
    this.updateStmt = db.prepare(
      `UPDATE files SET size = @size, mtime_ms = @mtimeMs, state = @state, reason = @reason, detail = @detail,
         sha256 = @sha256, last_seen_at = @lastSeenAt, changed_at = @changedAt, missing_since = @missingSince,
         batch_id = @batchId
       WHERE id = @id`,
    );
  }

  /** Applies writes in one transaction. */
  write(folderId: number, writes: readonly FileWrite[]): void {
    if (writes.length === 0) return;
    inTransaction(this.db, () => {
      for (const w of writes) {
        if (w.kind === 'insert')
          this.insertStmt.run({ folderId, relPath: w.relPath, dir: w.dir, ...w.fields });
        else this.updateStmt.run({ id: w.id, ...w.fields });
      }
    });
  }

  get(id: number): FileRow | undefined {
    const raw = this.stmt('SELECT * FROM files WHERE id = ?').get(id) as Raw | undefined;
    return raw && fromRaw(raw);
  }

  byPath(folderId: number, relPath: string): FileRow | undefined {
    const raw = this.stmt('SELECT * FROM files WHERE folder_id = ? AND rel_path = ?').get(
      folderId,
      relPath,
    ) as Raw | undefined;
    return raw && fromRaw(raw);
  }

  /** Every row whose file sits directly in `dir` (present or missing). */
  inDir(folderId: number, dir: string): FileRow[] {
    return (
      this.stmt('SELECT * FROM files WHERE folder_id = ? AND dir = ?').all(folderId, dir) as Raw[]
    ).map(fromRaw);
  }

  /** True when the journal knows any present file in `dir` or below it. */
  knowsDir(folderId: number, dir: string): boolean {
    return (
      this.stmt(
        "SELECT 1 FROM files WHERE folder_id = ? AND missing_since IS NULL AND (dir = ? OR dir LIKE ? ESCAPE '\\') LIMIT 1",
      ).get(folderId, dir, likePrefix(dir)) !== undefined
    );
  }

  /** Directories that hold present rows. */
  presentDirs(folderId: number): string[] {
    return (
      this.stmt('SELECT DISTINCT dir FROM files WHERE folder_id = ? AND missing_since IS NULL').all(
        folderId,
      ) as {
        dir: string;
      }[]
    ).map((r) => r.dir);
  }

  hasPresent(folderId: number): boolean {
    return (
      this.stmt('SELECT 1 FROM files WHERE folder_id = ? AND missing_since IS NULL LIMIT 1').get(
        folderId,
      ) !== undefined
    );
  }

  /** Marks present rows in `dir` (and below it when `recursive`) missing; returns how many. */
  markMissing(folderId: number, dir: string, recursive: boolean, now: number): number {
    const sql = recursive
      ? "UPDATE files SET missing_since = ?, last_seen_at = ? WHERE folder_id = ? AND missing_since IS NULL AND (dir = ? OR dir LIKE ? ESCAPE '\\')"
      : 'UPDATE files SET missing_since = ?, last_seen_at = ? WHERE folder_id = ? AND missing_since IS NULL AND dir = ?';
    const params: unknown[] = [now, now, folderId, dir];
    if (recursive) params.push(likePrefix(dir));
    return this.stmt(sql).run(...params).changes;
  }

  /**
   * Present files waiting for the stability gate whose settle window ended at `before`, in
   * (changed_at, id) order after the cursor `after` (keyset paging: one pass never loops).
   */
  dueForSettle(
    folderId: number,
    before: number,
    limit: number,
    after?: { changedAt: number; id: number },
  ): FileRow[] {
    const c = after ?? { changedAt: -Infinity, id: -1 };
    return (
      this.stmt(
        `SELECT * FROM files WHERE folder_id = ? AND state = 'seen' AND missing_since IS NULL AND changed_at <= ?
             AND (changed_at > ? OR (changed_at = ? AND id > ?))
           ORDER BY changed_at, id LIMIT ?`,
      ).all(folderId, before, c.changedAt, c.changedAt, c.id, limit) as Raw[]
    ).map(fromRaw);
  }

  /** The oldest change among files still settling, or null when none is. */
  oldestSettling(folderId: number): number | null {
    const row = this.stmt(
      "SELECT min(changed_at) AS at FROM files WHERE folder_id = ? AND state = 'seen' AND missing_since IS NULL",
    ).get(folderId) as { at: number | null };
    return row.at;
  }

  /**
   * One page of the present stable files not yet in a batch, in path order after `afterPath`
   * (keyset paging: the planner never holds a whole big folder). `where` narrows to the root's
   * own files or to the files in subfolders.
   */
  candidatePage(
    folderId: number,
    afterPath: string | null,
    limit: number,
    where: 'all' | 'root' | 'subfolders' = 'all',
  ): FileRow[] {
    const dir = where === 'root' ? "AND dir = ''" : where === 'subfolders' ? "AND dir <> ''" : '';
    return (
      this.stmt(
        `SELECT * FROM files WHERE folder_id = ? AND state = 'stable' AND missing_since IS NULL AND batch_id IS NULL
             AND rel_path > ? ${dir}
           ORDER BY rel_path LIMIT ?`,
      ).all(folderId, afterPath ?? '', limit) as Raw[]
    ).map(fromRaw);
  }

  hasCandidates(folderId: number): boolean {
    return (
      this.stmt(
        "SELECT 1 FROM files WHERE folder_id = ? AND state = 'stable' AND missing_since IS NULL AND batch_id IS NULL LIMIT 1",
      ).get(folderId) !== undefined
    );
  }

  /**
   * Files still settling or hashing, summed up per top-level folder ('' = the root's own files):
   * the latest change in each. What the planner needs to know, in one row per subfolder.
   */
  settlingByTop(folderId: number): { top: string; changedAt: number }[] {
    return this.stmt(
      `SELECT CASE WHEN instr(rel_path, '/') = 0 THEN '' ELSE substr(rel_path, 1, instr(rel_path, '/') - 1) END AS top,
           max(changed_at) AS changedAt
         FROM files WHERE folder_id = ? AND state = 'seen' AND missing_since IS NULL GROUP BY top`,
    ).all(folderId) as { top: string; changedAt: number }[];
  }

  markPlanned(ids: readonly number[], batchId: number): void {
    const stmt = this.stmt("UPDATE files SET state = 'planned', batch_id = ? WHERE id = ?");
    inTransaction(this.db, () => {
      for (const id of ids) stmt.run(batchId, id);
    });
  }

  setIgnored(id: number, reason: string, detail: string | null): void {
    this.stmt(
      "UPDATE files SET state = 'ignored', reason = ?, detail = ?, batch_id = NULL WHERE id = ?",
    ).run(reason, detail, id);
  }

  ofBatch(batchId: number): FileRow[] {
    return (
      this.stmt('SELECT * FROM files WHERE batch_id = ? ORDER BY rel_path').all(batchId) as Raw[]
    ).map(fromRaw);
  }

  /** The upload engine finished the batch: its files are in CVAT. */
  markBatchUploaded(batchId: number): number {
    return this.stmt(
      "UPDATE files SET state = 'uploaded' WHERE batch_id = ? AND state = 'planned'",
    ).run(batchId).changes;
  }

  /** The batch was cancelled: its files still planned are set aside (the user's choice). */
  setAsideBatch(batchId: number, detail: string): number {
    return this.stmt(
      "UPDATE files SET state = 'ignored', reason = 'cancelled', detail = ? WHERE batch_id = ? AND state = 'planned'",
    ).run(detail, batchId).changes;
  }

  counts(folderId: number): FileCounts {
    const rows = this.stmt(
      'SELECT state, count(*) AS n FROM files WHERE folder_id = ? AND missing_since IS NULL GROUP BY state',
    ).all(folderId) as { state: FileState; n: number }[];
    const c: FileCounts = { files: 0, uploaded: 0, pending: 0, ignored: 0, failed: 0 };
    for (const { state, n } of rows) {
      c.files += n;
      if (state === 'uploaded') c.uploaded += n;
      else if (state === 'ignored') c.ignored += n;
      else if (state === 'failed') c.failed += n;
      else c.pending += n;
    }
    return c;
  }

  /** Present ignored and failed files, newest first. */
  ignored(folderId: number, limit: number): FileRow[] {
    return (
      this.stmt(
        `SELECT * FROM files WHERE folder_id = ? AND state IN ('ignored', 'failed') AND missing_since IS NULL
           ORDER BY last_seen_at DESC, id DESC LIMIT ?`,
      ).all(folderId, limit) as Raw[]
    ).map(fromRaw);
  }
}
