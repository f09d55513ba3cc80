// The rows of task batches and their files as the journal stores them, and their mapping to
// and from SQLite columns (batch-repo.ts holds the state changes on them).
import type { BatchState } from '../core/batch-state.js';
import type { ErrorInfo } from '../core/errors.js';
import { CVAT_FILE_NAMES } from '../core/file-name.js';
import { firstFreeName } from '../core/unique-name.js';

export interface NewBatchFile {
  /** Row id in the planner's `files` table, or null for ad-hoc uploads. */
  fileId: number | null;
  absPath: string;
  relPath: string;
  /** Unique basename inside the task. */
  name: string;
  size: number;
  mtimeMs: number;
  sha256: string | null;
}

/**
 * `Task` and `Data` are the JSON bodies of POST /api/tasks (without the name) and of Upload-Finish
 * (the engine uses cvat/api.ts's TaskCreateSpec and DataRequest); the journal stores them as JSON
 * and, by the layer rule, does not know their shape.
 */
export interface NewBatch<Task = unknown, Data = unknown> {
  folderId: number | null;
  /** Stable per folder ('subfolder:cams/day1', 'count:7', 'file:a/b.mp4'); unique with folderId. */
  key: string;
  /** Task name, unique among the folder's batches. */
  name: string;
  task: Task;
  data: Data;
  files: NewBatchFile[];
  /** The CVAT server the batch is for; defaults to its folder's ('' = bound when it first runs). */
  server?: string;
  /** The organization the batch is for; defaults to its folder's (null = the connection's). */
  org?: string | null;
}

export interface BatchRow<Task = unknown, Data = unknown> {
  id: number;
  folderId: number | null;
  key: string;
  name: string;
  task: Task;
  data: Data;
  /** The CVAT server it belongs to: it runs only there ('' = not bound yet). */
  server: string;
  /** The organization it belongs to; null = whichever the connection uses. */
  org: string | null;
  state: BatchState;
  paused: boolean;
  cancelRequested: boolean;
  /** Set when a file changed after planning; the batch waits for the planner (replan()). */
  replanReason: string | null;
  taskId: number | null;
  rqId: string | null;
  createStartedAt: number | null;
  attempts: number;
  restarts: number;
  lastError: ErrorInfo | null;
  nextAttemptAt: number | null;
  /** Requests sent again into the same task after they were cut before their body went out whole. */
  resends: number;
  resentBytes: number;
  /** Tasks of this batch deleted to start again (their state could not be known). */
  discardedTasks: number;
  /** Answers lost after a whole body: each one may have cost a task. */
  ambiguousEvents: number;
  /** No new task for this batch before this time (restarts are spaced). */
  restartNotBefore: number | null;
  bytesTotal: number;
  bytesDone: number;
  filesTotal: number;
  filesDone: number;
  taskSize: number | null;
  jobCount: number | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export type BatchFileState = 'pending' | 'sent' | 'skipped';

export interface BatchFileRow {
  id: number;
  batchId: number;
  position: number;
  fileId: number | null;
  absPath: string;
  relPath: string;
  plannedName: string;
  uploadName: string;
  size: number;
  mtimeMs: number;
  sha256: string | null;
  state: BatchFileState;
  skipReason: string | null;
  via: 'tus' | 'bulk' | null;
  bulkPartId: number | null;
}

/** Columns a transition or update may set besides the state. */
export interface BatchPatch {
  taskId?: number | null;
  rqId?: string | null;
  createStartedAt?: number | null;
  attempts?: number;
  restarts?: number;
  lastError?: ErrorInfo | null;
  nextAttemptAt?: number | null;
  restartNotBefore?: number | null;
  replanReason?: string | null;
  cancelRequested?: boolean;
  bytesDone?: number;
  filesDone?: number;
  taskSize?: number | null;
  jobCount?: number | null;
  finishedAt?: number | null;
}

export interface BatchFilter {
  states?: BatchState[];
  folderId?: number | null;
  ids?: number[];
  limit?: number;
}

export interface RawBatch {
  id: number;
  folder_id: number | null;
  key: string;
  name: string;
  task_spec: string;
  data_request: string;
  server: string;
  org: string | null;
  state: BatchState;
  paused: number;
  cancel_requested: number;
  replan_reason: string | null;
  task_id: number | null;
  rq_id: string | null;
  create_started_at: number | null;
  attempts: number;
  restarts: number;
  last_error: string | null;
  next_attempt_at: number | null;
  resends: number;
  resent_bytes: number;
  discarded_tasks: number;
  ambiguous_events: number;
  restart_not_before: number | null;
  bytes_total: number;
  bytes_done: number;
  files_total: number;
  files_done: number;
  task_size: number | null;
  job_count: number | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface RawFile {
  id: number;
  batch_id: number;
  position: number;
  file_id: number | null;
  abs_path: string;
  rel_path: string;
  planned_name: string;
  upload_name: string;
  size: number;
  mtime_ms: number;
  sha256: string | null;
  state: BatchFileState;
  skip_reason: string | null;
  via: 'tus' | 'bulk' | null;
  bulk_part_id: number | null;
}

export const PATCH_COLUMNS: Record<keyof BatchPatch, string> = {
  taskId: 'task_id',
  rqId: 'rq_id',
  createStartedAt: 'create_started_at',
  attempts: 'attempts',
  restarts: 'restarts',
  lastError: 'last_error',
  nextAttemptAt: 'next_attempt_at',
  restartNotBefore: 'restart_not_before',
  replanReason: 'replan_reason',
  cancelRequested: 'cancel_requested',
  bytesDone: 'bytes_done',
  filesDone: 'files_done',
  taskSize: 'task_size',
  jobCount: 'job_count',
  finishedAt: 'finished_at',
};

/**
 * Basenames unique within a task. Later duplicates become `stem_2.ext`, `stem_3.ext`, ... (the
 * `_N` rule CVAT itself applies), skipping names already taken; deterministic for one input.
 */
export function uniqueUploadNames(names: string[]): string[] {
  const taken = new Set<string>();
  const planned = new Set(names.map(basename));
  return names.map((raw) => {
    const name = basename(raw);
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
    const candidate = firstFreeName(name, (c) => taken.has(c) || planned.has(c), CVAT_FILE_NAMES);
    taken.add(candidate);
    return candidate;
  });
}

function basename(name: string): string {
  return name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
}

export function fromRaw<Task, Data>(r: RawBatch): BatchRow<Task, Data> {
  return {
    id: r.id,
    folderId: r.folder_id,
    key: r.key,
    name: r.name,
    task: JSON.parse(r.task_spec) as Task,
    data: JSON.parse(r.data_request) as Data,
    server: r.server,
    org: r.org,
    state: r.state,
    paused: r.paused === 1,
    cancelRequested: r.cancel_requested === 1,
    replanReason: r.replan_reason,
    taskId: r.task_id,
    rqId: r.rq_id,
    createStartedAt: r.create_started_at,
    attempts: r.attempts,
    restarts: r.restarts,
    lastError: r.last_error === null ? null : (JSON.parse(r.last_error) as ErrorInfo),
    nextAttemptAt: r.next_attempt_at,
    resends: r.resends,
    resentBytes: r.resent_bytes,
    discardedTasks: r.discarded_tasks,
    ambiguousEvents: r.ambiguous_events,
    restartNotBefore: r.restart_not_before,
    bytesTotal: r.bytes_total,
    bytesDone: r.bytes_done,
    filesTotal: r.files_total,
    filesDone: r.files_done,
    taskSize: r.task_size,
    jobCount: r.job_count,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
  };
}

export function fileFromRaw(r: RawFile): BatchFileRow {
  return {
    id: r.id,
    batchId: r.batch_id,
    position: r.position,
    fileId: r.file_id,
    absPath: r.abs_path,
    relPath: r.rel_path,
    plannedName: r.planned_name,
    uploadName: r.upload_name,
    size: r.size,
    mtimeMs: r.mtime_ms,
    sha256: r.sha256,
    state: r.state,
    skipReason: r.skip_reason,
    via: r.via,
    bulkPartId: r.bulk_part_id,
  };
}
