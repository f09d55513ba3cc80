import type { ActivityEntry, ActivityLevel, ActivityQuery } from '../model/index.js';
import type { Db } from './database.js';

export type { ActivityLevel };

/** A stored entry is the model's ActivityEntry. */
export type ActivityRow = ActivityEntry;

export type NewActivity = Omit<ActivityRow, 'id' | 'hint' | 'folderId' | 'taskId' | 'transferId'> &
  Partial<Pick<ActivityRow, 'hint' | 'folderId' | 'taskId' | 'transferId'>>;

/** What list() filters on is the model's ActivityQuery. */
export type ActivityFilter = ActivityQuery;

/** The row as SQLite returns it: the entry with its ids in snake case. */
type RawRow = Omit<ActivityEntry, 'folderId' | 'taskId' | 'transferId'> & {
  folder_id: number | null;
  task_id: number | null;
  transfer_id: string | null;
};

/** Append-only log of what happened; bounded by prune(). */
export class ActivityRepo {
  constructor(private readonly db: Db) {}

  add(entry: NewActivity): ActivityRow {
    const info = this.db
      .prepare(
        `INSERT INTO activity (at, level, kind, message, hint, folder_id, task_id, transfer_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        entry.at,
        entry.level,
        entry.kind,
        entry.message,
        entry.hint ?? null,
        entry.folderId ?? null,
        entry.taskId ?? null,
        entry.transferId ?? null,
      );
    return {
      id: Number(info.lastInsertRowid),
      at: entry.at,
      level: entry.level,
      kind: entry.kind,
      message: entry.message,
      hint: entry.hint ?? null,
      folderId: entry.folderId ?? null,
      taskId: entry.taskId ?? null,
      transferId: entry.transferId ?? null,
    };
  }

  list(filter: ActivityFilter = {}): ActivityRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.levels?.length) {
      where.push(`level IN (${filter.levels.map(() => '?').join(', ')})`);
      params.push(...filter.levels);
    }
    if (filter.kind) {
      where.push('kind = ?');
      params.push(filter.kind);
    }
    if (filter.search) {
      where.push("message LIKE ? ESCAPE '\\'");
      params.push(`%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    if (filter.folderId != null) {
      where.push('folder_id = ?');
      params.push(filter.folderId);
    }
    if (filter.beforeId != null) {
      where.push('id < ?');
      params.push(filter.beforeId);
    }
    const sql = `SELECT * FROM activity ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    params.push(Math.min(Math.max(filter.limit ?? 100, 1), 1000));
    return (this.db.prepare(sql).all(...params) as RawRow[]).map(fromRaw);
  }

  /** Keeps the newest `keep` entries. */
  prune(keep: number): number {
    return this.db
      .prepare('DELETE FROM activity WHERE id <= (SELECT max(id) FROM activity) - ?')
      .run(keep).changes;
  }
}

function fromRaw(r: RawRow): ActivityRow {
  return {
    id: r.id,
    at: r.at,
    level: r.level,
    kind: r.kind,
    message: r.message,
    hint: r.hint,
    folderId: r.folder_id,
    taskId: r.task_id,
    transferId: r.transfer_id,
  };
}
