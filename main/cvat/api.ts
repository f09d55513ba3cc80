// What the rest of the app may ask of a CVAT server. The engine and the service code against
// this interface; CvatClient (client.ts) implements it over HTTP, validating every response.
// Field names follow CVAT's JSON (snake_case) so the journal and logs show what the server said.
import type { z } from 'zod';
import type { AbortSignalLike } from '../core/signal.js';
import type { labelAttributeSchema } from './task-api-schemas.js';
import type { CvatTaskApi } from './task-calls.js';

export type CvatAuth =
  | { kind: 'token'; token: string } // personal access token: Authorization: Bearer
  | { kind: 'key'; key: string } // legacy login key: Authorization: Token
  | { kind: 'basic'; username: string; password: string };

export interface ServerAbout {
  name: string;
  version: string;
  description?: string;
}

/** The server's version as a comparable triple; older releases take other code paths. */
export interface ServerVersion {
  raw: string;
  major: number;
  minor: number;
  patch: number;
}

/** GET /api/auth/access_tokens/self: the personal access token's own record. */
export interface AccessTokenInfo {
  id: number;
  name: string;
  read_only: boolean;
  expiry_date: string | null;
  last_used_date?: string | null;
}

/** The deprecated task status (servers older than 2.16 have no /api/requests). */
export interface TaskCreationStatus {
  state: 'Queued' | 'Started' | 'Finished' | 'Failed';
  message: string;
  progress: number | null;
}

export interface CvatUser {
  id: number;
  username: string;
  email?: string;
  first_name?: string;
  last_name?: string;
}

export interface Organization {
  id: number;
  slug: string;
  name: string;
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface ListQuery {
  page?: number;
  page_size?: number | 'all';
  sort?: string;
  search?: string;
  /** JSON-Logic expression; serialised by the client. */
  filter?: unknown;
  /** Equality filters sent as plain query parameters (project_id, status, name, ...). */
  [equality: string]: unknown;
}

export interface LabelSpec {
  name: string;
  color?: string;
  type?: string;
  attributes?: LabelAttributeSpec[];
}

/** A label attribute as it is written: the read schema's fields without the server's id. */
export type LabelAttributeSpec = Omit<z.input<typeof labelAttributeSchema>, 'id'> & {
  values: string[];
};

/** Body of POST /api/tasks. Exactly one of labels / project_id. */
export interface TaskCreateSpec {
  name: string;
  labels?: LabelSpec[];
  project_id?: number;
  subset?: string;
  segment_size?: number;
  overlap?: number;
  bug_tracker?: string;
  target_storage?: { location: 'local' | 'cloud_storage'; cloud_storage_id?: number | null };
  source_storage?: { location: 'local' | 'cloud_storage'; cloud_storage_id?: number | null };
}

export interface CvatTask {
  id: number;
  name: string;
  url: string;
  project_id: number | null;
  project_name?: string | null;
  owner: { id: number; username: string } | null;
  assignee: { id: number; username: string } | null;
  status: 'annotation' | 'validation' | 'completed';
  size: number;
  media_type: string;
  mode: string;
  subset: string;
  bug_tracker: string;
  segment_size: number;
  overlap: number | null;
  image_quality?: number;
  data: number | null;
  created_date: string;
  updated_date: string;
  organization_id?: number | null;
  jobs: { count: number; completed: number; validation: number };
}

export interface CvatProject {
  id: number;
  name: string;
  status?: string;
  organization_id?: number | null;
  updated_date?: string;
}

export interface CvatJob {
  id: number;
  task_id: number;
  stage: 'annotation' | 'validation' | 'acceptance';
  state: 'new' | 'in progress' | 'completed' | 'rejected';
  status: 'annotation' | 'validation' | 'completed';
  start_frame: number;
  stop_frame: number;
  frame_count?: number;
  type?: string;
  updated_date?: string;
}

export interface FormatEntry {
  name: string;
  ext: string;
  version: string;
  enabled: boolean;
  dimension: string;
}

export interface Formats {
  importers: FormatEntry[];
  exporters: FormatEntry[];
}

/** A background request (GET /api/requests/{id}, CVAT 2.16 and later). */
export interface CvatRequest {
  id: string;
  status: 'queued' | 'started' | 'finished' | 'failed';
  message: string;
  progress: number | null;
  operation: {
    type: string;
    target: string;
    task_id: number | null;
    project_id: number | null;
    job_id: number | null;
    format: string | null;
  };
  created_date: string;
  started_date: string | null;
  finished_date: string | null;
  expiry_date: string | null;
  result_url: string | null;
  result_id: number | null;
}

/** Upload-Finish options (DataRequest). image_quality is always sent; use_cache defaults to true. */
export interface DataRequest {
  image_quality: number;
  use_zip_chunks?: boolean;
  use_cache?: boolean;
  sorting_method?: 'lexicographical' | 'natural' | 'predefined' | 'random';
  upload_file_order?: string[];
  chunk_size?: number | null;
  start_frame?: number;
  stop_frame?: number;
  frame_filter?: string;
  server_files?: string[];
  remote_files?: string[];
}

/** One local file to send, under the name it will have in the task (a unique basename). */
export interface UploadFile {
  path: string;
  name: string;
  size: number;
}

/** Limits the rate of request bodies (token bucket shared by all transfers). */
export interface Throttle {
  /** Resolves when `bytes` may be sent. */
  take(bytes: number, signal?: AbortSignalLike): Promise<void>;
}

export interface TransferCallbacks {
  signal?: AbortSignalLike;
  throttle?: Throttle;
  /** Bytes of this operation that reached the server so far. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export interface BulkCallbacks extends TransferCallbacks {
  /**
   * The last byte of the body was handed to the network. Until then the server cannot have the
   * whole body, and CVAT acts on no request whose body did not arrive whole.
   */
  onBodySent?: () => void;
}

/** Where a TUS upload goes. */
export type TusTarget =
  | { kind: 'task-data'; taskId: number }
  | { kind: 'task-backup' }
  | { kind: 'task-annotations'; taskId: number };

export interface TusUploadOptions extends TransferCallbacks {
  target: TusTarget;
  file: UploadFile;
  chunkSize: number;
  /** A Location recorded earlier: resume there (HEAD for the offset) instead of creating. */
  resumeUrl?: string | null;
  /** The Upload-Filename recorded with resumeUrl (onCreated gave it); returned again when resuming. */
  uploadFilename?: string | null;
  /**
   * Called with the Location right after creation and before any byte is sent, so that the
   * caller can persist it; the upload waits for the returned promise.
   */
  onCreated?: (location: string, uploadFilename: string) => void | Promise<void>;
  /** Called after each acknowledged PATCH with the server's offset. */
  onOffset?: (offset: number) => void | Promise<void>;
  /**
   * Adapts the chunk size as the upload goes: called before the first chunk ('start'), after
   * each acknowledged chunk (its bytes and duration) and after each failed one ('trouble');
   * returns the size of the next chunk, never used above `chunkSize` (the maximum).
   */
  adaptChunk?: (event: { bytes: number; ms: number } | 'start' | 'trouble') => number;
}

/** An upload of a file CVAT imports (backup, annotations): TUS, resumable from resumeUrl. */
export type ImportOptions = TransferCallbacks &
  Pick<TusUploadOptions, 'chunkSize' | 'resumeUrl' | 'onCreated'>;

export interface TusUploadResult {
  location: string;
  /** Upload-Filename from the creation answer: the media name in the task, or the upload id for imports. */
  uploadFilename: string;
  /** Bytes sent in this call (less than the file size when resumed). */
  bytesSent: number;
}

export type ExportTargetRef = { kind: 'task' | 'project' | 'job'; id: number };

export interface DownloadOptions extends TransferCallbacks {
  /** Resume from this many bytes already on disk with a Range request when the server allows it. */
  resumeFrom?: number;
}

export interface DownloadResponse {
  status: number;
  /** Total size of the resource, from Content-Length or Content-Range. */
  totalBytes: number | null;
  /** True when the server answered 206 to our Range. */
  resumed: boolean;
  filename: string | null;
  /** The body; the caller writes it. */
  body: AsyncIterable<Uint8Array>;
}

export interface CvatApi {
  readonly server: string;
  readonly org: string | null | undefined;

  about(signal?: AbortSignalLike): Promise<ServerAbout>;
  // Optional so that existing fakes stay valid; CvatClient implements all three.
  /** Parsed from about(), fetched once per client. */
  serverVersion?(signal?: AbortSignalLike): Promise<ServerVersion>;
  /** The PAT's own record; null when the client does not authenticate with a PAT. */
  accessTokenInfo?(signal?: AbortSignalLike): Promise<AccessTokenInfo | null>;
  self(signal?: AbortSignalLike): Promise<CvatUser>;
  organizations(): AsyncIterable<Organization>;
  /** Task edit, data meta, frames, annotations, validation layout (task-calls.ts). */
  taskApi?(): CvatTaskApi;

  listTasks(query?: ListQuery, signal?: AbortSignalLike): Promise<Page<CvatTask>>;
  iterateTasks(query?: ListQuery): AsyncIterable<CvatTask>;
  getTask(id: number, signal?: AbortSignalLike): Promise<CvatTask>;
  /** null when the task is gone (404). */
  findTask(id: number, signal?: AbortSignalLike): Promise<CvatTask | null>;
  /** Tasks whose name equals `name` exactly (the server searches by substring; we filter). */
  findTasksByName(name: string, signal?: AbortSignalLike): Promise<CvatTask[]>;
  createTask(spec: TaskCreateSpec, signal?: AbortSignalLike): Promise<CvatTask>;
  deleteTask(id: number, signal?: AbortSignalLike): Promise<void>;
  listProjects(query?: ListQuery, signal?: AbortSignalLike): Promise<Page<CvatProject>>;
  listJobs(taskId: number, signal?: AbortSignalLike): Promise<CvatJob[]>;
  formats(signal?: AbortSignalLike): Promise<Formats>;
  /** The preview image, or null when the task has none. */
  preview(
    taskId: number,
    signal?: AbortSignalLike,
  ): Promise<{ contentType: string; bytes: Uint8Array } | null>;

  // Flow A: create a task and attach media
  uploadStart(taskId: number, signal?: AbortSignalLike): Promise<void>;
  tusUpload(options: TusUploadOptions): Promise<TusUploadResult>;
  /**
   * One Upload-Multiple request with these files (client_files[i]) and `image_quality`, which
   * CVAT before 2.65 requires in every such request (default 70). Resolves with each file's
   * SHA-256 (hex) over the bytes that were actually sent, in order: a file that changed while it
   * streamed shows here, after the fact.
   */
  uploadMultiple(
    taskId: number,
    files: UploadFile[],
    options?: BulkCallbacks & { imageQuality?: number },
  ): Promise<{ sha256: string[] }>;
  /** Returns the rq_id; null on servers older than 2.16 (poll the task status instead). */
  uploadFinish(taskId: number, data: DataRequest, signal?: AbortSignalLike): Promise<string | null>;

  /**
   * Servers older than 2.16 (uploadFinish returned null): polls GET /api/tasks/{id}/status until
   * Finished or Failed and returns that last status.
   */
  waitForTaskCreation?(
    taskId: number,
    options?: {
      signal?: AbortSignalLike;
      onUpdate?: (s: TaskCreationStatus) => void;
      minDelayMs?: number;
      maxDelayMs?: number;
    },
  ): Promise<TaskCreationStatus>;

  // Flow B: background requests
  /** null when the request is unknown or expired (404). */
  getRequest(rqId: string, signal?: AbortSignalLike): Promise<CvatRequest | null>;
  listRequests(query?: ListQuery, signal?: AbortSignalLike): Promise<Page<CvatRequest>>;
  cancelRequest(rqId: string, signal?: AbortSignalLike): Promise<void>;
  /**
   * Polls until finished or failed, with backoff and jitter. A 404 resolves to null ("finished
   * or gone", also when first polled after a restart: look at the target itself).
   */
  waitForRequest(
    rqId: string,
    options?: {
      signal?: AbortSignalLike;
      onUpdate?: (r: CvatRequest) => void;
      minDelayMs?: number;
      maxDelayMs?: number;
    },
  ): Promise<CvatRequest | null>;

  // Flow C: exports and downloads
  /** Starts an export (location=local); a 409 joins the running request. Returns its rq_id. */
  exportDataset(
    target: ExportTargetRef,
    format: string,
    saveImages: boolean,
    signal?: AbortSignalLike,
  ): Promise<string>;
  exportBackup(
    target: { kind: 'task' | 'project'; id: number },
    signal?: AbortSignalLike,
  ): Promise<string>;
  /**
   * GET (with Range when resumeFrom > 0) of a result URL, with our credentials. An expired
   * result rejects with status 404 (code 'result-expired' when CVAT itself answered 400 because
   * the request id left its queue).
   */
  download(url: string, options?: DownloadOptions): Promise<DownloadResponse>;

  // Flow D: imports
  /** Restores a task from a backup file; returns the rq_id whose result_id is the new task. */
  importBackup(
    file: UploadFile,
    options: ImportOptions & { projectId?: number | null },
  ): Promise<string>;
  importAnnotations(
    taskId: number,
    file: UploadFile,
    format: string,
    mode: 'replace' | 'append',
    options: ImportOptions,
  ): Promise<string>;
}
