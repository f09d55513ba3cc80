// Journal rows of results transfers: export/backup downloads, backup restores, annotation
// imports. State changes are compare-and-set so that a cancel and a finishing job never both win.
import type { ErrorInfo } from '../core/errors.js';
import type { Db } from './database.js';

export type ResultsKind = 'download' | 'restore' | 'import';
export type ResultsSubject = 'dataset' | 'backup' | 'annotations';
export type ResultsState =
  | 'queued'
  | 'exporting'
  | 'downloading'
  | 'uploading'
  | 'processing'
  | 'paused'
  | 'done'
  | 'failed'
  | 'cancelled';

/** States a job is in while it runs; after a crash they are resumed from the row alone. */
export const RUNNING_STATES: readonly ResultsState[] = [
  'exporting',
  'downloading',
  'uploading',
  'processing',
];
export const FINAL_STATES: readonly ResultsState[] = ['done', 'failed', 'cancelled'];

export interface TransferRow {
  id: string;
  kind: ResultsKind;
  subject: ResultsSubject;
  targetKind: 'task' | 'project' | 'job' | null;
  targetId: number | null;
  format: string | null;
  withImages: boolean;
  extract: boolean;
  importMode: 'replace' | 'append' | null;
  projectId: number | null;
  /** download: the folder to save into; restore/import: the local file sent. */
  localPath: string;
  state: ResultsState;
  rqId: string | null;
  resultUrl: string | null;
  partPath: string | null;
  finalPath: string | null;
  extractedPath: string | null;
  tusLocation: string | null;
  resultId: number | null;
  bytesDone: number;
  bytesTotal: number | null;
  attempts: number;
  rerequests: number;
  error: ErrorInfo | null;
  nextAttemptAt: number | null;
  sourceUpdatedDate: string | null;
  origin: string;
  folderId: number | null;
  createdAt: number;
  updatedAt: number;
}

export type NewTransfer = Pick<TransferRow, 'id' | 'kind' | 'subject' | 'localPath' | 'createdAt'> &
  Partial<
    Pick<
      TransferRow,
      | 'targetKind'
      | 'targetId'
      | 'format'
      | 'withImages'
      | 'extract'
      | 'importMode'
      | 'projectId'
      | 'origin'
      | 'folderId'
    >
  >;

/** Columns a job may change; keys are TransferRow names. */
export type TransferPatch = Partial<
  Pick<
    TransferRow,
    | 'state'
    | 'rqId'
    | 'resultUrl'
    | 'partPath'
    | 'finalPath'
    | 'extractedPath'
    | 'tusLocation'
    | 'resultId'
    | 'bytesDone'
    | 'bytesTotal'
    | 'attempts'
    | 'rerequests'
    | 'error'
    | 'nextAttemptAt'
    | 'sourceUpdatedDate'
  >
>;

export interface TransferFilter {
  kinds?: ResultsKind[];
  states?: ResultsState[];
  origin?: string;
  limit?: number;
}

const COLUMNS: Record<keyof TransferPatch, string> = {
  state: 'state',
  rqId: 'rq_id',
  resultUrl: 'result_url',
  partPath: 'part_path',
  finalPath: 'final_path',
  extractedPath: 'extracted_path',
  tusLocation: 'tus_location',
  resultId: 'result_id',
  bytesDone: 'bytes_done',
  bytesTotal: 'bytes_total',
  attempts: 'attempts',
  rerequests: 'rerequests',
  error: 'error',
  nextAttemptAt: 'next_attempt_at',
  sourceUpdatedDate: 'source_updated_date',
};

interface RawRow {
  id: string;
  kind: ResultsKind;
  subject: ResultsSubject;
  target_kind: 'task' | 'project' | 'job' | null;
  target_id: number | null;
  format: string | null;
  with_images: number;
  extract: number;
  import_mode: 'replace' | 'append' | null;
  project_id: number | null;
  local_path: string;
  state: ResultsState;
  rq_id: string | null;
  result_url: string | null;
  part_path: string | null;
  final_path: string | null;
  extracted_path: string | null;
  tus_location: string | null;
  result_id: number | null;
  bytes_done: number;
  bytes_total: number | null;
  attempts: number;
  rerequests: number;
  error: string | null;
  next_attempt_at: number | null;
  source_updated_date: string | null;
  origin: string;
  folder_id: number | null;
  created_at: number;
  updated_at: number;
}

export class TransferRepo {
  constructor(private readonly db: Db) {}

  insert(t: NewTransfer): TransferRow {
    this.db
      .prepare(
        `INSERT INTO transfers (id, kind, subject, target_kind, target_id, format, with_images, extract, import_mode,
           project_id, local_path, state, origin, folder_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)`,
      )
      .run(
        t.id,
        t.kind,
        t.subject,
        t.targetKind ?? null,
        t.targetId ?? null,
        t.format ?? null,
        t.withImages ? 1 : 0,
        t.extract ? 1 : 0,
        t.importMode ?? null,
        t.projectId ?? null,
        t.localPath,
        t.origin ?? 'user',
        t.folderId ?? null,
        t.createdAt,
        t.createdAt,
      );
    return this.require(t.id);
  }

  get(id: string): TransferRow | null {
    const raw = this.db.prepare('SELECT * FROM transfers WHERE id = ?').get(id) as
      RawRow | undefined;
    return raw ? fromRaw(raw) : null;
  }

  require(id: string): TransferRow {
    const row = this.get(id);
    if (!row) throw new Error(`No transfer ${id}`);
    return row;
  }

  /**
   * Applies `patch` when the row is in one of `expected` states (any state when omitted).
   * Returns the updated row, or null when the row was not in an expected state.
   */
  update(
    id: string,
    patch: TransferPatch,
    at: number,
    expected?: readonly ResultsState[],
  ): TransferRow | null {
    const sets: string[] = ['updated_at = ?'];
    const params: unknown[] = [at];
    for (const [key, column] of Object.entries(COLUMNS) as Array<[keyof TransferPatch, string]>) {
      if (!(key in patch)) continue;
      const value = patch[key];
      sets.push(`${column} = ?`);
      params.push(
        key === 'error'
          ? value === null || value === undefined
            ? null
            : JSON.stringify(value)
          : (value ?? null),
      );
    }
    let sql = `UPDATE transfers SET ${sets.join(', ')} WHERE id = ?`;
    params.push(id);
    if (expected) {
      sql += ` AND state IN (${expected.map(() => '?').join(', ')})`;
      params.push(...expected);
    }
    const changed = this.db.prepare(sql).run(...params).changes;
    return changed === 0 ? null : this.require(id);
  }

  list(filter: TransferFilter = {}): TransferRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.kinds?.length) {
      where.push(`kind IN (${filter.kinds.map(() => '?').join(', ')})`);
      params.push(...filter.kinds);
    }
    if (filter.states?.length) {
      where.push(`state IN (${filter.states.map(() => '?').join(', ')})`);
      params.push(...filter.states);
    }
    if (filter.origin !== undefined) {
      where.push('origin = ?');
      params.push(filter.origin);
    }
    const sql = `SELECT * FROM transfers ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY created_at DESC, id DESC LIMIT ?`;
    params.push(Math.min(Math.max(filter.limit ?? 500, 1), 10_000));
    return (this.db.prepare(sql).all(...params) as RawRow[]).map(fromRaw);
  }

  /** Queued rows whose next attempt is due, oldest first. */
  due(now: number, limit: number): TransferRow[] {
    return (
      this.db
        .prepare(
          `SELECT * FROM transfers WHERE state = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
           ORDER BY created_at, id LIMIT ?`,
        )
        .all(now, limit) as RawRow[]
    ).map(fromRaw);
  }

  /** The earliest next_attempt_at among queued rows waiting for a retry. */
  nextDueAt(): number | null {
    const row = this.db
      .prepare(
        "SELECT min(next_attempt_at) AS at FROM transfers WHERE state = 'queued' AND next_attempt_at IS NOT NULL",
      )
      .get() as { at: number | null };
    return row.at;
  }

  /** Destination .part paths of unfinished downloads (so two downloads never share one). */
  partPathsInUse(): Set<string> {
    const rows = this.db
      .prepare(
        `SELECT part_path FROM transfers WHERE part_path IS NOT NULL AND state NOT IN ('done', 'failed', 'cancelled')`,
      )
      .all() as Array<{ part_path: string }>;
    return new Set(rows.map((r) => r.part_path));
  }
}

function fromRaw(r: RawRow): TransferRow {
  return {
    id: r.id,
    kind: r.kind,
    subject: r.subject,
    targetKind: r.target_kind,
    targetId: r.target_id,
    format: r.format,
    withImages: r.with_images === 1,
    extract: r.extract === 1,
    importMode: r.import_mode,
    projectId: r.project_id,
    localPath: r.local_path,
    state: r.state,
    rqId: r.rq_id,
    resultUrl: r.result_url,
    partPath: r.part_path,
    finalPath: r.final_path,
    extractedPath: r.extracted_path,
    tusLocation: r.tus_location,
    resultId: r.result_id,
    bytesDone: r.bytes_done,
    bytesTotal: r.bytes_total,
    attempts: r.attempts,
    rerequests: r.rerequests,
    error: r.error === null ? null : (JSON.parse(r.error) as ErrorInfo),
    nextAttemptAt: r.next_attempt_at,
    sourceUpdatedDate: r.source_updated_date,
    origin: r.origin,
    folderId: r.folder_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
