// Transfer state of a batch's files: one TUS upload per large file (its Location and the
// server's last acknowledged offset) and the Upload-Multiple requests with their outcome.
// Progress is persisted here at chunk / request granularity, never per byte.
import type { Clock } from '../core/clock.js';
import type { ErrorInfo } from '../core/errors.js';
import type { Db } from './database.js';
import { inTransaction } from './database.js';

/**
 * creating - the creation POST may be on its way; no Location recorded yet
 * unknown  - the creation failed in a way that may have registered the name on the server
 * sending  - Location recorded; `offset` bytes acknowledged
 * done     - the last byte was acknowledged
 */
export type TusState = 'creating' | 'unknown' | 'sending' | 'done';

export interface TusUploadRow {
  batchFileId: number;
  taskId: number;
  state: TusState;
  location: string | null;
  uploadFilename: string | null;
  offset: number;
  length: number;
  updatedAt: number;
}

/** sending - request on its way (found after a crash: outcome unknown); unknown - failed mid-way. */
export type BulkPartState = 'sending' | 'done' | 'unknown';

export interface BulkPartRow {
  id: number;
  batchId: number;
  taskId: number;
  state: BulkPartState;
  files: number;
  bytes: number;
  error: ErrorInfo | null;
  startedAt: number;
  finishedAt: number | null;
  /** The whole body was handed to the network (null: it was not, so CVAT kept nothing of it). */
  bodySentAt: number | null;
}

interface RawTus {
  batch_file_id: number;
  task_id: number;
  state: TusState;
  location: string | null;
  upload_filename: string | null;
  offset: number;
  length: number;
  updated_at: number;
}

interface RawPart {
  id: number;
  batch_id: number;
  task_id: number;
  state: BulkPartState;
  files: number;
  bytes: number;
  error: string | null;
  started_at: number;
  finished_at: number | null;
  body_sent_at: number | null;
}

export class UploadRepo {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  tus(batchFileId: number): TusUploadRow | undefined {
    const raw = this.db
      .prepare('SELECT * FROM tus_uploads WHERE batch_file_id = ?')
      .get(batchFileId) as RawTus | undefined;
    return raw && tusFromRaw(raw);
  }

  tusForBatch(batchId: number): TusUploadRow[] {
    return (
      this.db
        .prepare(
          'SELECT t.* FROM tus_uploads t JOIN batch_files f ON f.id = t.batch_file_id WHERE f.batch_id = ? ORDER BY f.position',
        )
        .all(batchId) as RawTus[]
    ).map(tusFromRaw);
  }

  /** Records the intent to create an upload, before the creation POST is sent. */
  tusBegin(batchFileId: number, taskId: number, length: number): void {
    this.db
      .prepare(
        "INSERT INTO tus_uploads (batch_file_id, task_id, state, length, updated_at) VALUES (?, ?, 'creating', ?, ?)",
      )
      .run(batchFileId, taskId, length, this.clock.now());
  }

  /** The server answered the creation: from now on the upload can be resumed. */
  tusCreated(batchFileId: number, location: string, uploadFilename: string): void {
    this.db
      .prepare(
        "UPDATE tus_uploads SET state = 'sending', location = ?, upload_filename = ?, updated_at = ? WHERE batch_file_id = ?",
      )
      .run(location, uploadFilename, this.clock.now(), batchFileId);
  }

  tusOffset(batchFileId: number, offset: number): void {
    inTransaction(this.db, () => {
      this.db
        .prepare(
          "UPDATE tus_uploads SET offset = ?, updated_at = ? WHERE batch_file_id = ? AND state = 'sending'",
        )
        .run(offset, this.clock.now(), batchFileId);
      this.refreshProgress(this.batchOf(batchFileId));
    });
  }

  /** The creation failed after it may have reached the server: the name may be taken there. */
  tusUnknown(batchFileId: number): void {
    this.db
      .prepare("UPDATE tus_uploads SET state = 'unknown', updated_at = ? WHERE batch_file_id = ?")
      .run(this.clock.now(), batchFileId);
  }

  /** The creation was refused before the server registered anything (e.g. 413, 429, 401). */
  tusForget(batchFileId: number): void {
    this.db
      .prepare("DELETE FROM tus_uploads WHERE batch_file_id = ? AND state = 'creating'")
      .run(batchFileId);
  }

  /** Last byte acknowledged: the upload and its file are done, in one transaction. */
  tusDone(batchFileId: number): void {
    inTransaction(this.db, () => {
      this.db
        .prepare(
          "UPDATE tus_uploads SET state = 'done', offset = length, updated_at = ? WHERE batch_file_id = ?",
        )
        .run(this.clock.now(), batchFileId);
      this.db.prepare("UPDATE batch_files SET state = 'sent' WHERE id = ?").run(batchFileId);
      this.refreshProgress(this.batchOf(batchFileId));
    });
  }

  bulkParts(batchId: number): BulkPartRow[] {
    return (
      this.db
        .prepare('SELECT * FROM bulk_parts WHERE batch_id = ? ORDER BY id')
        .all(batchId) as RawPart[]
    ).map(partFromRaw);
  }

  /** Records which files go in one Upload-Multiple request, before it is sent. */
  bulkBegin(batchId: number, taskId: number, fileRowIds: number[], bytes: number): number {
    return inTransaction(this.db, () => {
      const info = this.db
        .prepare(
          "INSERT INTO bulk_parts (batch_id, task_id, state, files, bytes, started_at) VALUES (?, ?, 'sending', ?, ?, ?)",
        )
        .run(batchId, taskId, fileRowIds.length, bytes, this.clock.now());
      const partId = Number(info.lastInsertRowid);
      const link = this.db.prepare(
        'UPDATE batch_files SET bulk_part_id = ? WHERE id = ? AND batch_id = ?',
      );
      for (const id of fileRowIds) link.run(partId, id, batchId);
      return partId;
    });
  }

  /** The last byte of the part's body went out: from now on its outcome is ambiguous until answered. */
  bulkBodySent(partId: number): void {
    this.db
      .prepare('UPDATE bulk_parts SET body_sent_at = ? WHERE id = ? AND body_sent_at IS NULL')
      .run(this.clock.now(), partId);
  }

  /** Files of a part, in the order they were sent. */
  bulkPartFiles(partId: number): number[] {
    return (
      this.db
        .prepare('SELECT id FROM batch_files WHERE bulk_part_id = ? ORDER BY position')
        .all(partId) as Array<{ id: number }>
    ).map((r) => r.id);
  }

  bulkDone(partId: number): void {
    inTransaction(this.db, () => {
      this.db
        .prepare("UPDATE bulk_parts SET state = 'done', finished_at = ? WHERE id = ?")
        .run(this.clock.now(), partId);
      this.db.prepare("UPDATE batch_files SET state = 'sent' WHERE bulk_part_id = ?").run(partId);
      const part = this.db.prepare('SELECT batch_id FROM bulk_parts WHERE id = ?').get(partId) as
        { batch_id: number } | undefined;
      if (part) this.refreshProgress(part.batch_id);
    });
  }

  /** The request failed in a way that may have appended some bytes on the server. */
  bulkUnknown(partId: number, error: ErrorInfo): void {
    this.db
      .prepare("UPDATE bulk_parts SET state = 'unknown', error = ?, finished_at = ? WHERE id = ?")
      .run(JSON.stringify(error), this.clock.now(), partId);
  }

  /**
   * The request had no effect on the server: refused before anything was written
   * (401/403/413/429/503), or cut before its body went out whole. As if never sent.
   */
  bulkForget(partId: number): void {
    inTransaction(this.db, () => {
      this.db
        .prepare('UPDATE batch_files SET bulk_part_id = NULL WHERE bulk_part_id = ?')
        .run(partId);
      this.db.prepare('DELETE FROM bulk_parts WHERE id = ?').run(partId);
    });
  }

  private batchOf(batchFileId: number): number {
    const row = this.db
      .prepare('SELECT batch_id FROM batch_files WHERE id = ?')
      .get(batchFileId) as { batch_id: number } | undefined;
    return row?.batch_id ?? -1;
  }

  private refreshProgress(batchId: number): void {
    this.db
      .prepare(
        `UPDATE batches SET
           files_done = (SELECT count(*) FROM batch_files WHERE batch_id = @batch AND state = 'sent'),
           bytes_done = (SELECT ifnull(sum(size), 0) FROM batch_files WHERE batch_id = @batch AND state = 'sent')
             + (SELECT ifnull(sum(t.offset), 0) FROM tus_uploads t JOIN batch_files f ON f.id = t.batch_file_id
                WHERE f.batch_id = @batch AND t.state = 'sending'),
           updated_at = @now
         WHERE id = @batch`,
      )
      .run({ batch: batchId, now: this.clock.now() });
  }
}

function tusFromRaw(r: RawTus): TusUploadRow {
  return {
    batchFileId: r.batch_file_id,
    taskId: r.task_id,
    state: r.state,
    location: r.location,
    uploadFilename: r.upload_filename,
    offset: r.offset,
    length: r.length,
    updatedAt: r.updated_at,
  };
}

function partFromRaw(r: RawPart): BulkPartRow {
  return {
    id: r.id,
    batchId: r.batch_id,
    taskId: r.task_id,
    state: r.state,
    files: r.files,
    bytes: r.bytes,
    error: r.error === null ? null : (JSON.parse(r.error) as ErrorInfo),
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    bodySentAt: r.body_sent_at,
  };
}
