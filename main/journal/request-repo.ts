// Background requests (rq_id) we wait for, with their last seen status. A request id is what
// lets a restarted process poll again instead of starting the operation twice.
import type { Clock } from '../core/clock.js';
import type { Db } from './database.js';

/** CVAT's statuses, plus 'gone': 404 after we had seen it (finished and expired, or cancelled). */
export type RequestStatus = 'queued' | 'started' | 'finished' | 'failed' | 'gone';

export interface RequestRow {
  rqId: string;
  batchId: number | null;
  taskId: number | null;
  operation: string;
  status: RequestStatus;
  message: string | null;
  progress: number | null;
  createdAt: number;
  updatedAt: number;
}

interface RawRequest {
  rq_id: string;
  batch_id: number | null;
  task_id: number | null;
  operation: string;
  status: RequestStatus;
  message: string | null;
  progress: number | null;
  created_at: number;
  updated_at: number;
}

export class RequestRepo {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Records a request (or refreshes it when the same id is seen again). */
  record(r: {
    rqId: string;
    batchId: number | null;
    taskId: number | null;
    operation: string;
  }): void {
    const now = this.clock.now();
    this.db
      .prepare(
        `INSERT INTO requests (rq_id, batch_id, task_id, operation, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'queued', ?, ?)
         ON CONFLICT (rq_id) DO UPDATE SET batch_id = excluded.batch_id, task_id = excluded.task_id,
           operation = excluded.operation, updated_at = excluded.updated_at`,
      )
      .run(r.rqId, r.batchId, r.taskId, r.operation, now, now);
  }

  update(
    rqId: string,
    status: RequestStatus,
    message: string | null,
    progress: number | null,
  ): void {
    this.db
      .prepare(
        'UPDATE requests SET status = ?, message = ?, progress = ?, updated_at = ? WHERE rq_id = ?',
      )
      .run(status, message, progress, this.clock.now(), rqId);
  }

  get(rqId: string): RequestRow | undefined {
    const raw = this.db.prepare('SELECT * FROM requests WHERE rq_id = ?').get(rqId) as
      RawRequest | undefined;
    return raw && fromRaw(raw);
  }

  forBatch(batchId: number): RequestRow[] {
    return (
      this.db
        .prepare('SELECT * FROM requests WHERE batch_id = ? ORDER BY created_at')
        .all(batchId) as RawRequest[]
    ).map(fromRaw);
  }
}

function fromRaw(r: RawRequest): RequestRow {
  return {
    rqId: r.rq_id,
    batchId: r.batch_id,
    taskId: r.task_id,
    operation: r.operation,
    status: r.status,
    message: r.message,
    progress: r.progress,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
