// Batches the planner handed over (table `folder_plans`), so that keys and task names stay
// unique per folder and a group planned before gets a fresh key (CVAT has no append).
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';
import { statementCache } from './database.js';

export interface PlanRow {
  id: number;
  folderId: number;
  groupKey: string;
  key: string;
  name: string;
  batchId: number;
  files: number;
  bytes: number;
  plannedAt: number;
}

export class PlanRepo {
  private readonly stmt: (sql: string) => Statement;

  constructor(db: Db) {
    this.stmt = statementCache(db);
  }

  add(plan: Omit<PlanRow, 'id'>): void {
    this.stmt(
      `INSERT INTO folder_plans (folder_id, group_key, key, name, batch_id, files, bytes, planned_at)
         VALUES (@folderId, @groupKey, @key, @name, @batchId, @files, @bytes, @plannedAt)`,
    ).run(plan);
  }

  /** How many batches this group produced so far. */
  countForGroup(folderId: number, groupKey: string): number {
    return (
      this.stmt('SELECT count(*) AS n FROM folder_plans WHERE folder_id = ? AND group_key = ?').get(
        folderId,
        groupKey,
      ) as {
        n: number;
      }
    ).n;
  }

  keyTaken(folderId: number, key: string): boolean {
    return (
      this.stmt('SELECT 1 FROM folder_plans WHERE folder_id = ? AND key = ?').get(folderId, key) !==
      undefined
    );
  }

  nameTaken(folderId: number, name: string): boolean {
    return (
      this.stmt('SELECT 1 FROM folder_plans WHERE folder_id = ? AND name = ?').get(
        folderId,
        name,
      ) !== undefined
    );
  }

  byBatch(batchId: number): PlanRow | undefined {
    const r = this.stmt('SELECT * FROM folder_plans WHERE batch_id = ?').get(batchId) as
      Raw | undefined;
    return r && fromRaw(r);
  }

  list(folderId: number): PlanRow[] {
    return (
      this.stmt('SELECT * FROM folder_plans WHERE folder_id = ? ORDER BY id').all(folderId) as Raw[]
    ).map(fromRaw);
  }
}

interface Raw {
  id: number;
  folder_id: number;
  group_key: string;
  key: string;
  name: string;
  batch_id: number;
  files: number;
  bytes: number;
  planned_at: number;
}

function fromRaw(r: Raw): PlanRow {
  return {
    id: r.id,
    folderId: r.folder_id,
    groupKey: r.group_key,
    key: r.key,
    name: r.name,
    batchId: r.batch_id,
    files: r.files,
    bytes: r.bytes,
    plannedAt: r.planned_at,
  };
}
