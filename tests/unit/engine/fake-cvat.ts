// One in-memory CVAT for the engine's unit tests, uploads and results alike. Longer than ~400
// lines on purpose: it is the one stand-in for every part of CvatApi the engines use, so what it
// answers is stated once (its records are held against CVAT's recorded answers in
// fake-cvat.test.ts).
// Uploads: the protocol facts the engine relies on (Upload-Multiple registers names once and
// acts only on a whole body, TUS names are registered at creation, 404 after a finished TUS
// upload, 409 with the running rq_id on a second Upload-Finish) and scripted faults at exact
// points: before an operation, after it took effect, or in the middle of it.
// Results: exports, downloads and imports, each behaviour the engine must cope with (broken
// connections, no Range, expiry, failed requests) a switch.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { abortError } from '../../../main/core/clock.js';
import { SyncError } from '../../../main/core/errors.js';
import type { AbortSignalLike } from '../../../main/core/signal.js';
import type {
  BulkCallbacks,
  CvatApi,
  CvatRequest,
  CvatTask,
  CvatUser,
  DataRequest,
  DownloadOptions,
  DownloadResponse,
  ExportTargetRef,
  ListQuery,
  Page,
  TaskCreateSpec,
  TaskCreationStatus,
  TransferCallbacks,
  TusUploadOptions,
  TusUploadResult,
  UploadFile,
} from '../../../main/cvat/api.js';

export type FaultOp =
  | 'createTask'
  | 'uploadStart'
  | 'tusCreate'
  | 'tusPatch'
  | 'uploadMultiple'
  | 'uploadFinish'
  | 'waitForRequest'
  | 'deleteTask';

/**
 * before - throw without effect; after - take effect, then throw (the answer is lost);
 * mid    - half the effect (TUS: half the chunk; bulk: none, as CVAT keeps nothing of a cut body), then throw;
 * hang   - take effect (per `applied`), then never answer until aborted: a crash at that instant.
 * before-after-body - bulk: the whole body went out, then the connection broke before the server acted.
 */
export interface Fault {
  op: FaultOp;
  when: 'before' | 'after' | 'mid' | 'hang' | 'before-after-body';
  error?: SyncError;
  /** Skip this many matching calls first. */
  skip?: number;
}

/** What an export produces, to be downloaded from its result_url. */
export interface FakeResult {
  bytes: Uint8Array;
  filename: string | null;
}

interface FakeUpload {
  id: string;
  taskId: number;
  name: string;
  length: number;
  offset: number;
  bytes: Buffer[];
}

interface FakeTask {
  task: CvatTask;
  started: boolean;
  files: Map<string, Buffer>;
  rqId: string | null;
}

export function networkReset(op = 'request'): SyncError {
  return new SyncError(`${op}: connection reset`, {
    code: 'network',
    kind: 'transient',
    status: 0,
  });
}

export function httpStatus(
  status: number,
  op = 'request',
  extra: { code?: string; retryAfterMs?: number } = {},
): SyncError {
  const kind =
    status === 401 || status === 403
      ? 'fatal'
      : status >= 500 || status === 429 || status === 409
        ? 'transient'
        : 'item';
  return new SyncError(`${op}: HTTP ${status}`, {
    code: extra.code ?? `http-${status}`,
    kind,
    status,
    ...(extra.retryAfterMs ? { retryAfterMs: extra.retryAfterMs } : {}),
  });
}

export class FakeCvat implements CvatApi {
  readonly server: string;
  readonly org: string | null | undefined;
  readonly tasks = new Map<number, FakeTask>();
  readonly uploads = new Map<string, FakeUpload>();
  readonly requests = new Map<string, CvatRequest>();
  readonly calls: string[] = [];
  faults: Fault[] = [];
  /** Outcome of processing: a function of the task's files. */
  process: (files: Map<string, Buffer>) => { ok: true } | { ok: false; message: string } = (
    files,
  ) => (files.size > 0 ? { ok: true } : { ok: false, message: 'No media data found' });
  /** When true, a request record disappears as soon as it finished (as after its TTL). */
  forgetFinishedRequests = false;
  /** A server older than 2.16: Upload-Finish answers no rq_id; the task's status tells. */
  legacy = false;

  // ---- results switches
  /** What export requests produced, by request id (download bodies). */
  readonly results = new Map<string, FakeResult>();
  /** What the next export produces. */
  nextResult: FakeResult = {
    bytes: new Uint8Array(1000).map((_, i) => i % 251),
    filename: 'task_1_dataset.zip',
  };
  /** Ends the next download bodies after this many bytes with a socket error (one entry per download). */
  breakAfter: number[] = [];
  rangeSupport = true;
  /** Makes the next waitForRequest answer null (the request expired). */
  expireRequests = 0;
  /** Makes the next downloads find their request expired: 400 "Unknown export request id", as CVAT. */
  expireDownloads = 0;
  /** Makes the next downloads find the request alive but its file gone: 404. */
  loseFiles = 0;
  /** Answers downloads of live requests with this 400 (e.g. a result saved to a cloud storage). */
  refuseDownloadsWith: string | null = null;
  /** Fails the next export and import requests on the server with this message. */
  failExportWith: string | null = null;
  exportCalls: Array<{ target: ExportTargetRef; format: string | null; saveImages: boolean }> = [];
  downloads: Array<{ url: string; resumeFrom: number; status: number }> = [];
  imports: Array<{
    kind: 'backup' | 'annotations';
    file: UploadFile;
    resumeUrl: string | null;
    projectId?: number | null;
    format?: string;
    mode?: string;
  }> = [];
  /** Fails the next import uploads after onCreated with a network error. */
  breakImports = 0;

  private nextId = 1;
  private nextUpload = 1;
  private nextRequest = 1;

  constructor(
    readonly user: CvatUser = { id: 5, username: 'alice' },
    where: { server?: string; org?: string | null } = {},
  ) {
    this.server = where.server ?? 'http://fake.test';
    this.org = where.org;
  }

  /** Adds a task that someone else made (or an orphan of ours, when `owner` is us). */
  seedTask(
    name: string,
    ownerId: number,
    createdDate = new Date(1_700_000_000_000).toISOString(),
  ): CvatTask {
    const t = this.newTask(name, ownerId, createdDate);
    this.tasks.set(t.id, { task: t, started: false, files: new Map(), rqId: null });
    return t;
  }

  fileSha(taskId: number, name: string): string | undefined {
    const b = this.tasks.get(taskId)?.files.get(name);
    return b && createHash('sha256').update(b).digest('hex');
  }

  /** Adds a task with media (size 3) under a chosen id, as the results tests start from. */
  addTask(id: number, patch: Partial<CvatTask> = {}): CvatTask {
    const task: CvatTask = {
      id,
      name: `task ${id}`,
      url: `${this.server}/api/tasks/${id}`,
      project_id: null,
      owner: null,
      assignee: null,
      status: 'annotation',
      size: 3,
      media_type: 'image',
      mode: 'annotation',
      subset: '',
      bug_tracker: '',
      segment_size: 0,
      overlap: 0,
      data: 1,
      created_date: '2026-01-01T00:00:00.000Z',
      updated_date: '2026-01-01T00:00:00.000Z',
      jobs: { count: 1, completed: 0, validation: 0 },
      ...patch,
    };
    this.tasks.set(id, { task, started: true, files: new Map(), rqId: null });
    this.nextId = Math.max(this.nextId, id + 1);
    return task;
  }

  /** The stored task itself (not a copy): tests change it as the server would. */
  task(id: number): CvatTask {
    const t = this.tasks.get(id);
    if (!t) throw new Error(`fake: no task ${id}`);
    return t.task;
  }

  asApi(): CvatApi {
    return this;
  }

  async about(): Promise<{ name: string; version: string }> {
    return { name: 'fake', version: '2.73.0' };
  }
  async self(): Promise<CvatUser> {
    return this.user;
  }
  async listTasks(query: ListQuery = {}): Promise<Page<CvatTask>> {
    const results = this.filterTasks(query);
    return { count: results.length, next: null, previous: null, results };
  }
  async *iterateTasks(query: ListQuery = {}): AsyncIterable<CvatTask> {
    yield* this.filterTasks(query);
  }
  async getTask(id: number): Promise<CvatTask> {
    const t = this.tasks.get(id);
    if (!t) throw httpStatus(404, 'get task');
    return { ...t.task };
  }
  async findTask(id: number): Promise<CvatTask | null> {
    const t = this.tasks.get(id);
    return t ? { ...t.task } : null;
  }
  async findTasksByName(name: string): Promise<CvatTask[]> {
    this.calls.push(`findTasksByName ${name}`);
    return [...this.tasks.values()].filter((t) => t.task.name === name).map((t) => ({ ...t.task }));
  }
  async createTask(spec: TaskCreateSpec, signal?: AbortSignalLike): Promise<CvatTask> {
    this.calls.push(`createTask ${spec.name}`);
    return this.faulted('createTask', signal, () => {
      const t = this.newTask(
        spec.name,
        this.user.id,
        new Date(1_700_000_000_000 + this.nextId * 1000).toISOString(),
      );
      this.tasks.set(t.id, { task: t, started: false, files: new Map(), rqId: null });
      return { ...t };
    });
  }
  async deleteTask(id: number, signal?: AbortSignalLike): Promise<void> {
    this.calls.push(`deleteTask ${id}`);
    await this.faulted('deleteTask', signal, () => {
      this.tasks.delete(id);
      for (const [k, u] of this.uploads) if (u.taskId === id) this.uploads.delete(k);
    });
  }
  async uploadStart(taskId: number, signal?: AbortSignalLike): Promise<void> {
    this.calls.push(`uploadStart ${taskId}`);
    await this.faulted('uploadStart', signal, () => {
      const t = this.requireTask(taskId);
      if (t.task.size > 0) throw httpStatus(400, 'upload start');
      t.started = true;
    });
  }

  async tusUpload(o: TusUploadOptions): Promise<TusUploadResult> {
    if (o.target.kind !== 'task-data') throw new Error('fake: only task data');
    const taskId = o.target.taskId;
    let up: FakeUpload;
    let sent = 0;
    if (o.resumeUrl) {
      this.calls.push(`tusResume ${o.file.name}`);
      const found = this.uploads.get(o.resumeUrl);
      if (!found)
        throw new SyncError('HEAD: 404', { code: 'tus-resume-lost', kind: 'item', status: 404 });
      up = found;
    } else {
      this.calls.push(`tusCreate ${o.file.name}`);
      up = await this.faulted('tusCreate', o.signal, () => {
        const t = this.requireTask(taskId);
        if (t.files.has(o.file.name))
          throw httpStatus(409, 'create upload', { code: 'tus-name-taken' });
        const u: FakeUpload = {
          id: `${this.server}/api/tasks/${taskId}/data/5_${this.nextUpload++}`,
          taskId,
          name: o.file.name,
          length: o.file.size,
          offset: 0,
          bytes: [],
        };
        this.uploads.set(u.id, u);
        // CVAT registers the name at creation.
        t.files.set(u.name, Buffer.alloc(0));
        return u;
      });
      await o.onCreated?.(up.id, up.name);
    }
    const content = readFileSync(o.file.path);
    while (up.offset < up.length) {
      const chunk = content.subarray(up.offset, Math.min(up.length, up.offset + o.chunkSize));
      await o.throttle?.take(chunk.length, o.signal);
      const current = up;
      await this.faulted('tusPatch', o.signal, () => {
        current.bytes.push(Buffer.from(chunk));
        current.offset += chunk.length;
        if (current.offset === current.length) {
          this.requireTask(taskId).files.set(current.name, Buffer.concat(current.bytes));
          this.uploads.delete(current.id);
        }
      });
      sent += chunk.length;
      await o.onOffset?.(up.offset);
      o.onProgress?.(up.offset, up.length);
    }
    return { location: up.id, uploadFilename: up.name, bytesSent: sent };
  }

  async uploadMultiple(
    taskId: number,
    files: UploadFile[],
    options: BulkCallbacks = {},
  ): Promise<{ sha256: string[] }> {
    this.calls.push(`uploadMultiple ${files.map((f) => f.name).join(',')}`);
    const t = this.requireTask(taskId);
    const sha256: string[] = [];
    const append = (list: UploadFile[]): void => {
      // The body arrived whole (CVAT acts on nothing less: Django parses the whole body first).
      options.onBodySent?.();
      // TaskViewSet.append_files registers every name in one transaction first: a name already
      // in the task is an IntegrityError, a bare 500, and nothing of the request is stored.
      if (list.some((f) => t.files.has(f.name))) throw httpStatus(500, 'upload files');
      for (const f of list) {
        const bytes = readFileSync(f.path);
        sha256.push(createHash('sha256').update(bytes).digest('hex'));
        t.files.set(f.name, bytes);
      }
    };
    for (const f of files) await options.throttle?.take(f.size, options.signal);
    // 'mid': the connection broke before the body went out whole, so nothing is stored.
    await this.faulted(
      'uploadMultiple',
      options.signal,
      () => append(files),
      () => undefined,
      () => options.onBodySent?.(),
    );
    options.onProgress?.(
      files.reduce((s, f) => s + f.size, 0),
      files.reduce((s, f) => s + f.size, 0),
    );
    return { sha256 };
  }

  async uploadFinish(
    taskId: number,
    _data: DataRequest,
    signal?: AbortSignalLike,
  ): Promise<string | null> {
    this.calls.push(`uploadFinish ${taskId}`);
    return this.faulted('uploadFinish', signal, () => {
      const t = this.requireTask(taskId);
      if (t.task.size > 0) throw httpStatus(400, 'finish upload');
      if (t.rqId && this.requests.get(t.rqId)?.status === 'queued') return t.rqId; // the client maps 409 to the running id
      const id = `action=create&target=task&target_id=${taskId}`;
      t.rqId = id;
      this.requests.set(id, this.newRequest(id, taskId));
      return this.legacy ? null : id;
    });
  }

  async waitForTaskCreation(
    taskId: number,
    options: { signal?: AbortSignalLike } = {},
  ): Promise<TaskCreationStatus> {
    this.calls.push(`waitForTaskCreation ${taskId}`);
    const rqId = this.tasks.get(taskId)?.rqId;
    // As CVAT before 2.16: a job it does not know reads as finished.
    if (!rqId) return { state: 'Finished', message: '', progress: null };
    const r = await this.waitForRequest(rqId, options);
    return r?.status === 'failed'
      ? { state: 'Failed', message: r.message, progress: null }
      : { state: 'Finished', message: '', progress: null };
  }

  async getRequest(rqId: string): Promise<CvatRequest | null> {
    return this.requests.get(rqId) ?? null;
  }
  async listRequests(query: { task_id?: unknown } = {}): Promise<Page<CvatRequest>> {
    const results = [...this.requests.values()].filter(
      (r) => query.task_id === undefined || r.operation.task_id === query.task_id,
    );
    return { count: results.length, next: null, previous: null, results };
  }
  async waitForRequest(
    rqId: string,
    options: { signal?: AbortSignalLike; onUpdate?: (r: CvatRequest) => void } = {},
  ): Promise<CvatRequest | null> {
    this.calls.push(`waitForRequest ${rqId}`);
    if (this.expireRequests > 0) {
      this.expireRequests--;
      this.requests.delete(rqId);
      return null;
    }
    return this.faulted('waitForRequest', options.signal, () => {
      const r = this.requests.get(rqId);
      if (!r) return null;
      const taskId = r.operation.task_id ?? -1;
      const t = this.tasks.get(taskId);
      if (r.status === 'queued') {
        const outcome = t ? this.process(t.files) : { ok: false as const, message: 'task gone' };
        if (outcome.ok && t) {
          t.task.size = t.files.size;
          t.task.jobs = { count: 1, completed: 0, validation: 0 };
          r.status = 'finished';
        } else {
          r.status = 'failed';
          r.message = outcome.ok ? '' : outcome.message;
        }
      }
      options.onUpdate?.(r);
      if (this.forgetFinishedRequests) this.requests.delete(rqId);
      return this.forgetFinishedRequests ? null : { ...r };
    });
  }

  // ---- results

  async exportDataset(
    target: ExportTargetRef,
    format: string,
    saveImages: boolean,
  ): Promise<string> {
    this.exportCalls.push({ target, format, saveImages });
    if (format === 'Unknown 9.9') {
      throw new SyncError('export dataset: 400 ["Unknown format specified for the request"]', {
        code: 'bad-request',
        kind: 'item',
        status: 400,
        operation: 'export dataset',
      });
    }
    return this.newExportRequest('export:dataset', target, format);
  }

  async exportBackup(target: { kind: 'task' | 'project'; id: number }): Promise<string> {
    this.exportCalls.push({ target, format: null, saveImages: false });
    return this.newExportRequest('export:backup', target, null);
  }

  private newExportRequest(type: string, target: ExportTargetRef, format: string | null): string {
    const id = `rq-${this.nextRequest++}`;
    const failed = this.failExportWith !== null;
    this.requests.set(id, {
      id,
      status: failed ? 'failed' : 'finished',
      message: this.failExportWith ?? '',
      progress: 1,
      operation: {
        type,
        target: target.kind,
        task_id: target.kind === 'task' ? target.id : null,
        project_id: null,
        job_id: null,
        format,
      },
      created_date: '2026-01-01T00:00:00.000Z',
      started_date: null,
      finished_date: null,
      expiry_date: null,
      result_url: failed ? null : `${this.server}/api/download?rq_id=${id}`,
      result_id: null,
    });
    if (!failed)
      this.results.set(id, {
        bytes: this.nextResult.bytes.slice(),
        filename: this.nextResult.filename,
      });
    return id;
  }

  async download(url: string, options: DownloadOptions = {}): Promise<DownloadResponse> {
    const rqId = new URL(url).searchParams.get('rq_id') ?? '';
    const resumeFrom = options.resumeFrom ?? 0;
    if (this.expireDownloads > 0) {
      this.expireDownloads--;
      this.requests.delete(rqId);
      this.results.delete(rqId);
    }
    const result = this.requests.has(rqId) ? this.results.get(rqId) : undefined;
    if (!result) {
      this.downloads.push({ url, resumeFrom, status: 400 });
      throw new SyncError('download failed: HTTP 400 Bad Request — Unknown export request id', {
        code: 'bad-request',
        kind: 'item',
        status: 400,
        operation: 'download',
      });
    }
    if (this.refuseDownloadsWith !== null) {
      this.downloads.push({ url, resumeFrom, status: 400 });
      throw new SyncError(`download failed: HTTP 400 — ${this.refuseDownloadsWith}`, {
        code: 'bad-request',
        kind: 'item',
        status: 400,
        operation: 'download',
      });
    }
    if (this.loseFiles > 0) {
      this.loseFiles--;
      this.downloads.push({ url, resumeFrom, status: 404 });
      throw new SyncError('download failed: HTTP 404', {
        code: 'not-found',
        kind: 'item',
        status: 404,
        operation: 'download',
      });
    }
    const ranged = this.rangeSupport && resumeFrom > 0 && resumeFrom < result.bytes.length;
    const from = ranged ? resumeFrom : 0;
    this.downloads.push({ url, resumeFrom, status: ranged ? 206 : 200 });
    const breakAt = this.breakAfter.shift();
    const bytes = result.bytes;
    const body = (async function* () {
      const chunk = 100;
      let sent = 0;
      for (let off = from; off < bytes.length; off += chunk) {
        const piece = bytes.subarray(off, Math.min(bytes.length, off + chunk));
        if (breakAt !== undefined && sent + piece.length > breakAt) {
          if (breakAt > sent) yield piece.subarray(0, breakAt - sent);
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        }
        sent += piece.length;
        yield piece;
      }
    })();
    return {
      status: ranged ? 206 : 200,
      totalBytes: bytes.length,
      resumed: ranged,
      filename: result.filename,
      body,
    };
  }

  async importBackup(
    file: UploadFile,
    options: TransferCallbacks & {
      projectId?: number | null;
      resumeUrl?: string | null;
      onCreated?: TusUploadOptions['onCreated'];
    },
  ): Promise<string> {
    this.imports.push({
      kind: 'backup',
      file,
      resumeUrl: options.resumeUrl ?? null,
      projectId: options.projectId ?? null,
    });
    return this.finishImport(file, options, 'import:backup');
  }

  async importAnnotations(
    taskId: number,
    file: UploadFile,
    format: string,
    mode: 'replace' | 'append',
    options: TransferCallbacks & {
      resumeUrl?: string | null;
      onCreated?: TusUploadOptions['onCreated'];
    },
  ): Promise<string> {
    this.imports.push({
      kind: 'annotations',
      file,
      resumeUrl: options.resumeUrl ?? null,
      format,
      mode,
    });
    return this.finishImport(file, options, 'import:annotations', taskId);
  }

  private async finishImport(
    file: UploadFile,
    options: TransferCallbacks & {
      resumeUrl?: string | null;
      onCreated?: TusUploadOptions['onCreated'];
    },
    type: string,
    taskId: number | null = null,
  ): Promise<string> {
    if (!options.resumeUrl)
      await options.onCreated?.(
        `${this.server}/api/tasks/backup/1_upload-${this.nextRequest++}`,
        `1_upload-${this.nextRequest - 1}`,
      );
    if (this.breakImports > 0) {
      this.breakImports--;
      throw new SyncError('PATCH upload: network error', {
        code: 'network',
        kind: 'transient',
        status: 0,
        operation: 'PATCH upload',
      });
    }
    options.onProgress?.(file.size, file.size);
    const id = `rq-${this.nextRequest++}`;
    const newTask = type === 'import:backup' ? 100 + (this.nextRequest - 1) : null;
    this.requests.set(id, {
      id,
      status: this.failExportWith ? 'failed' : 'finished',
      message: this.failExportWith ?? '',
      progress: 1,
      operation: {
        type,
        target: 'task',
        task_id: taskId,
        project_id: null,
        job_id: null,
        format: null,
      },
      created_date: '2026-01-01T00:00:00.000Z',
      started_date: null,
      finished_date: null,
      expiry_date: null,
      result_url: null,
      result_id: newTask,
    });
    return id;
  }

  // Not used by the engines.
  organizations(): AsyncIterable<never> {
    throw new Error('fake: organizations');
  }
  listProjects(): never {
    throw new Error('fake: listProjects');
  }
  listJobs(): never {
    throw new Error('fake: listJobs');
  }
  formats(): never {
    throw new Error('fake: formats');
  }
  preview(): never {
    throw new Error('fake: preview');
  }
  cancelRequest(): never {
    throw new Error('fake: cancelRequest');
  }

  /** Runs `apply` with whatever fault is scripted for this call. */
  private async faulted<T>(
    op: FaultOp,
    signal: AbortSignalLike | undefined,
    apply: () => T,
    half?: () => void,
    bodySent?: () => void,
  ): Promise<T> {
    if (signal?.aborted) throw abortError();
    const i = this.faults.findIndex((f) => f.op === op);
    const fault = i >= 0 ? this.faults[i] : undefined;
    if (fault && (fault.skip ?? 0) > 0) {
      fault.skip = (fault.skip ?? 0) - 1;
      return apply();
    }
    if (!fault) return apply();
    this.faults.splice(i, 1);
    const error = fault.error ?? networkReset(op);
    if (fault.when === 'before') throw error;
    if (fault.when === 'before-after-body') {
      bodySent?.();
      throw error;
    }
    if (fault.when === 'mid') {
      if (half) half();
      throw error;
    }
    apply();
    if (fault.when === 'after') throw error;
    return new Promise<T>((_, reject) => {
      if (!signal) return;
      signal.addEventListener('abort', () => reject(abortError()), { once: true });
    });
  }

  private filterTasks(query: ListQuery): CvatTask[] {
    let tasks = [...this.tasks.values()].map((t) => t.task);
    if (typeof query.project_id === 'number')
      tasks = tasks.filter((t) => t.project_id === query.project_id);
    const filter = query.filter as { in?: [unknown, number[]] } | undefined;
    if (filter?.in) tasks = tasks.filter((t) => filter.in?.[1].includes(t.id));
    return tasks;
  }

  private requireTask(id: number): FakeTask {
    const t = this.tasks.get(id);
    if (!t) throw httpStatus(404, 'task');
    return t;
  }

  private newTask(name: string, ownerId: number, createdDate: string): CvatTask {
    const id = this.nextId++;
    return {
      id,
      name,
      url: `${this.server}/api/tasks/${id}`,
      project_id: null,
      owner: { id: ownerId, username: ownerId === this.user.id ? this.user.username : 'someone' },
      assignee: null,
      status: 'annotation',
      size: 0,
      media_type: '',
      mode: '',
      subset: '',
      bug_tracker: '',
      segment_size: 0,
      overlap: null,
      data: null,
      created_date: createdDate,
      updated_date: createdDate,
      jobs: { count: 0, completed: 0, validation: 0 },
    };
  }

  private newRequest(id: string, taskId: number): CvatRequest {
    return {
      id,
      status: 'queued',
      message: '',
      progress: null,
      operation: {
        type: 'create:task',
        target: 'task',
        task_id: taskId,
        project_id: null,
        job_id: null,
        format: null,
      },
      created_date: new Date(1_700_000_000_000).toISOString(),
      started_date: null,
      finished_date: null,
      expiry_date: null,
      result_url: null,
      result_id: null,
    };
  }
}
