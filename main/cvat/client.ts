// CvatClient: the CvatApi over HTTP (PROTOCOL.md), validating every answer. Older servers are
// served by the fallbacks of §12, chosen from /api/server/about.
import type { Clock } from '../core/clock.js';
import { SyncError, isAbortError, isSyncError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import type { BackoffPolicy } from '../core/retry.js';
import type { AbortSignalLike } from '../core/signal.js';
import type {
  AccessTokenInfo,
  CvatApi,
  CvatAuth,
  CvatJob,
  CvatProject,
  CvatRequest,
  CvatTask,
  CvatUser,
  DataRequest,
  DownloadOptions,
  DownloadResponse,
  ExportTargetRef,
  Formats,
  ListQuery,
  Organization,
  Page,
  ServerAbout,
  ServerVersion,
  TaskCreateSpec,
  TaskCreationStatus,
  TransferCallbacks,
  BulkCallbacks,
  TusTarget,
  TusUploadOptions,
  TusUploadResult,
  UploadFile,
} from './api.js';
import { dispositionFilename } from './content-disposition.js';
import { badResponse, cancelledError, safeUrl } from './http-errors.js';
import { Transport, parseJson } from './http.js';
import type { NetStack } from './net-stack.js';
import type { FileSystem } from '../fs/file-system.js';
import type { CallSpec, Query } from './http.js';
import {
  legacyExportRequest,
  legacyExportUrl,
  legacyImportId,
  legacyImportRequest,
  isLegacyRequestId,
  parseLegacyImportId,
  LEGACY_PREFIX,
} from './legacy.js';
import type { LegacyImport } from './legacy.js';
import { multipartBody } from './multipart.js';
import {
  aboutSchema,
  accessTokenSchema,
  formatsSchema,
  jobSchema,
  loginSchema,
  organizationSchema,
  pageSchema,
  parseWith,
  projectSchema,
  requestSchema,
  rqIdSchema,
  taskSchema,
  taskStatusSchema,
  userSchema,
} from './schemas.js';
import type { z } from 'zod';
import { throttled } from './streams.js';
import { TaskCalls } from './task-calls.js';
import { CVAT_TUS_RETRY_DELAYS, tusUpload } from './tus.js';
import { PAT_SINCE, REQUESTS_API_SINCE, parseVersion, versionAtLeast } from './version.js';

export interface CvatClientOptions {
  server: string;
  auth: CvatAuth | null;
  /** undefined: no organization context; null or '': the personal workspace; else an org slug. */
  org?: string | null;
  clock: Clock;
  random?: () => number;
  /** Whole-call timeout for API calls; the idle timeout of transfers. */
  timeoutMs?: number;
  logger?: Logger;
  userAgent?: string;
  /** Backoff for retried reads (GET/HEAD). */
  retry?: BackoffPolicy;
  /** Delays between TUS retries; CVAT's web client uses 2..64 s. */
  tusRetryDelays?: readonly number[];
  /** Proxy and certificate trust (default: the environment's HTTPS_PROXY, NO_PROXY, …). */
  net?: NetStack;
  /** Where uploaded files are read (default: the real disk). */
  fs?: FileSystem;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_READ_RETRY: BackoffPolicy = {
  baseMs: 1_000,
  maxMs: 30_000,
  jitter: 0.5,
  maxAttempts: 5,
};
const PAGE_SIZE = 100;
/** cvat-core's and cvat-sdk's default JPEG quality. */
export const DEFAULT_IMAGE_QUALITY = 70;
const DEFAULT_USER_AGENT = 'cvat-sync';

export interface PollOptions<T> {
  signal?: AbortSignalLike;
  onUpdate?: (value: T) => void;
  minDelayMs?: number;
  maxDelayMs?: number;
}

export class CvatClient implements CvatApi {
  readonly server: string;
  readonly org: string | null | undefined;
  private readonly transport: Transport;
  private readonly options: CvatClientOptions;
  private readonly random: () => number;
  private readonly logger: Logger;
  private version: Promise<ServerVersion> | null;

  constructor(options: CvatClientOptions, sharedVersion: Promise<ServerVersion> | null = null) {
    this.options = options;
    this.org = options.org;
    this.random = options.random ?? Math.random;
    this.logger = options.logger ?? silentLogger;
    this.version = sharedVersion;
    this.transport = new Transport({
      server: options.server,
      auth: options.auth,
      org: options.org,
      clock: options.clock,
      random: this.random,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      logger: this.logger,
      userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
      retry: options.retry ?? DEFAULT_READ_RETRY,
      explainUnauthorized: (error, signal) => this.explainUnauthorized(error, signal),
      ...(options.net ? { net: options.net } : {}),
      ...(options.fs ? { fs: options.fs } : {}),
    });
    this.server = this.transport.server;
  }

  /** POST /api/auth/login: the legacy API key for `Authorization: Token` (PROTOCOL.md §2.1). */
  static async login(
    server: string,
    username: string,
    password: string,
    opts: Omit<CvatClientOptions, 'server' | 'auth'> & { signal?: AbortSignalLike },
  ): Promise<string> {
    const client = new CvatClient({ ...opts, server, auth: null });
    try {
      const reply = await client.transport.call({
        operation: 'sign in',
        method: 'POST',
        path: '/api/auth/login',
        json: { username, password },
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      return parseWith(loginSchema, parseJson(reply, 'sign in'), 'sign in', reply.url).key;
    } catch (e) {
      // Wrong credentials are a 400 with non_field_errors: the user has to act, as for a 401.
      if (isSyncError(e) && e.status === 400) {
        throw rehint(e, { code: 'auth', kind: 'fatal', hint: 'Check the user name and password.' });
      }
      throw e;
    }
  }

  taskApi(): TaskCalls {
    return new TaskCalls(this.transport);
  }

  withAuth(auth: CvatAuth | null): CvatClient {
    return new CvatClient({ ...this.options, auth }, this.version);
  }

  withOrg(org: string | null | undefined): CvatClient {
    const options: CvatClientOptions = { ...this.options };
    if (org === undefined) delete options.org;
    else options.org = org;
    return new CvatClient(options, this.version);
  }

  // --- server, identity -------------------------------------------------------------------

  about(signal?: AbortSignalLike): Promise<ServerAbout> {
    return this.transport.json(
      {
        operation: 'get server info',
        method: 'GET',
        path: '/api/server/about',
        anonymous: true,
        ...sig(signal),
      },
      aboutSchema,
    );
  }

  serverVersion(signal?: AbortSignalLike): Promise<ServerVersion> {
    this.version ??= this.about(signal).then((about) => {
      const v = parseVersion(about.version);
      if (!v)
        throw badResponse(
          'get server info',
          `${this.server}/api/server/about`,
          `field "version": not a version: ${about.version}`,
        );
      return v;
    });
    // A failed probe is forgotten so that the next call asks again.
    this.version.catch(() => {
      this.version = null;
    });
    return this.version;
  }

  self(signal?: AbortSignalLike): Promise<CvatUser> {
    return this.transport.json(
      { operation: 'get current user', method: 'GET', path: '/api/users/self', ...sig(signal) },
      userSchema,
    );
  }

  async accessTokenInfo(signal?: AbortSignalLike): Promise<AccessTokenInfo | null> {
    if (this.options.auth?.kind !== 'token') return null;
    return this.transport.json(
      {
        operation: 'get access token',
        method: 'GET',
        path: '/api/auth/access_tokens/self',
        ...sig(signal),
      },
      accessTokenSchema,
    );
  }

  organizations(): AsyncIterable<Organization> {
    return this.pages('list organizations', '/api/organizations', organizationSchema, {}, false);
  }

  // --- lists, tasks -----------------------------------------------------------------------

  listTasks(query: ListQuery = {}, signal?: AbortSignalLike): Promise<Page<CvatTask>> {
    return this.transport.json(
      {
        operation: 'list tasks',
        method: 'GET',
        path: '/api/tasks',
        query: listQuery(query),
        org: true,
        ...sig(signal),
      },
      pageSchema(taskSchema),
    );
  }

  iterateTasks(query: ListQuery = {}): AsyncIterable<CvatTask> {
    return this.pages('list tasks', '/api/tasks', taskSchema, query, true);
  }

  getTask(id: number, signal?: AbortSignalLike): Promise<CvatTask> {
    return this.transport.json(
      { operation: 'get task', method: 'GET', path: `/api/tasks/${id}`, ...sig(signal) },
      taskSchema,
    );
  }

  async findTask(id: number, signal?: AbortSignalLike): Promise<CvatTask | null> {
    const spec: CallSpec = {
      operation: 'get task',
      method: 'GET',
      path: `/api/tasks/${id}`,
      expect: [404],
      ...sig(signal),
    };
    const reply = await this.transport.call(spec);
    if (reply.status === 404) return null;
    return parseWith(taskSchema, parseJson(reply, spec.operation), spec.operation, reply.url);
  }

  async findTasksByName(name: string, signal?: AbortSignalLike): Promise<CvatTask[]> {
    const found: CvatTask[] = [];
    // search matches substrings of several fields; the exact name is checked here.
    for await (const task of this.pages(
      'find tasks by name',
      '/api/tasks',
      taskSchema,
      { search: name },
      true,
      signal,
    )) {
      if (task.name === name) found.push(task);
    }
    return found;
  }

  createTask(spec: TaskCreateSpec, signal?: AbortSignalLike): Promise<CvatTask> {
    return this.transport.json(
      {
        operation: 'create task',
        method: 'POST',
        path: '/api/tasks',
        json: spec,
        org: true,
        ...sig(signal),
      },
      taskSchema,
    );
  }

  /** Resolves also when the task is already gone (404): the goal is reached either way. */
  async deleteTask(id: number, signal?: AbortSignalLike): Promise<void> {
    const reply = await this.transport.call({
      operation: 'delete task',
      method: 'DELETE',
      path: `/api/tasks/${id}`,
      expect: [404],
      ...sig(signal),
    });
    if (reply.status === 404) this.logger.info('task already gone', { taskId: id });
  }

  listProjects(query: ListQuery = {}, signal?: AbortSignalLike): Promise<Page<CvatProject>> {
    return this.transport.json(
      {
        operation: 'list projects',
        method: 'GET',
        path: '/api/projects',
        query: listQuery(query),
        org: true,
        ...sig(signal),
      },
      pageSchema(projectSchema),
    );
  }

  async listJobs(taskId: number, signal?: AbortSignalLike): Promise<CvatJob[]> {
    const jobs: CvatJob[] = [];
    // The task's id decides its workspace; an org filter here could only hide its jobs.
    for await (const job of this.pages(
      'list jobs',
      '/api/jobs',
      jobSchema,
      { task_id: taskId, page_size: 'all' },
      false,
      signal,
    ))
      jobs.push(job);
    return jobs;
  }

  formats(signal?: AbortSignalLike): Promise<Formats> {
    return this.transport.json(
      {
        operation: 'list formats',
        method: 'GET',
        path: '/api/server/annotation/formats',
        ...sig(signal),
      },
      formatsSchema,
    );
  }

  async preview(
    taskId: number,
    signal?: AbortSignalLike,
  ): Promise<{ contentType: string; bytes: Uint8Array } | null> {
    const operation = 'get task preview';
    const open = await this.transport.open({
      operation,
      method: 'GET',
      path: `/api/tasks/${taskId}/preview`,
      headers: { Prefer: 'handling=empty' },
      expect: [204, 404],
      ...sig(signal),
    });
    if (open.response.status === 200) return this.transport.bytes(operation, open);
    try {
      await open.response.body?.cancel();
      return null;
    } catch (e) {
      throw this.transport.failure(operation, open.url, open.guard, e);
    } finally {
      open.guard.dispose();
    }
  }

  // --- Flow A: media ----------------------------------------------------------------------

  async uploadStart(taskId: number, signal?: AbortSignalLike): Promise<void> {
    await this.transport.call({
      operation: 'start upload',
      method: 'POST',
      path: `/api/tasks/${taskId}/data/`,
      headers: { 'Upload-Start': 'true' },
      json: {},
      ...sig(signal),
    });
  }

  async tusUpload(options: TusUploadOptions): Promise<TusUploadResult> {
    return tusUpload(
      {
        transport: this.transport,
        logger: this.logger,
        retryDelays: this.options.tusRetryDelays ?? CVAT_TUS_RETRY_DELAYS,
        idleTimeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        serverVersion: await this.serverVersion(options.signal),
      },
      this.transport.url(tusPath(options.target)),
      options,
      `upload ${options.file.name}`,
    );
  }

  /** One request; never retried here: CVAT appends Upload-Multiple bodies, a repeat duplicates bytes. */
  async uploadMultiple(
    taskId: number,
    files: UploadFile[],
    options: BulkCallbacks & { imageQuality?: number } = {},
  ): Promise<{ sha256: string[] }> {
    const operation = `upload ${files.length} files`;
    // Before 2.65 every Upload-Multiple is validated as a full DataRequest: image_quality is
    // required there (400 without it). cvat-core and cvat-sdk always send it.
    const body = multipartBody(
      files,
      (i) => `client_files[${i}]`,
      undefined,
      {
        image_quality: String(options.imageQuality ?? DEFAULT_IMAGE_QUALITY),
      },
      this.transport.fs,
    );
    let done = 0;
    await this.transport.call({
      operation,
      method: 'POST',
      path: `/api/tasks/${taskId}/data/`,
      headers: { 'Upload-Multiple': 'true' },
      body: {
        contentType: body.contentType,
        length: body.length,
        stream: (touch) =>
          throttled(
            body.chunks(operation, (n) => options.onProgress?.((done += n), body.fileBytes)),
            {
              throttle: options.throttle,
              signal: options.signal,
              onChunk: touch,
            },
          ),
        ...(options.onBodySent ? { onSent: options.onBodySent } : {}),
      },
      retry: false,
      ...sig(options.signal),
    });
    options.onProgress?.(body.fileBytes, body.fileBytes);
    return { sha256: [...body.sha256] };
  }

  async uploadFinish(
    taskId: number,
    data: DataRequest,
    signal?: AbortSignalLike,
  ): Promise<string | null> {
    const legacy = !(await this.supportsRequests(signal));
    const spec: CallSpec = {
      operation: 'finish upload',
      method: 'POST',
      path: `/api/tasks/${taskId}/data/`,
      headers: { 'Upload-Finish': 'true' },
      // CVAT's web UI creates tasks with use_cache on (cvat-ui create-task-content defaults).
      json: { ...data, use_cache: data.use_cache ?? true },
      expect: [409],
      ...sig(signal),
    };
    const reply = await this.transport.call(spec);
    // Before 2.16 the answer echoes the options: progress is read from the task status.
    if (legacy && reply.status !== 409) return null;
    return parseWith(rqIdSchema, parseJson(reply, spec.operation), spec.operation, reply.url).rq_id;
  }

  async waitForTaskCreation(
    taskId: number,
    options: PollOptions<TaskCreationStatus> = {},
  ): Promise<TaskCreationStatus> {
    return this.poll(options, async () => {
      const status = await this.transport.json(
        {
          operation: 'get task status',
          method: 'GET',
          path: `/api/tasks/${taskId}/status`,
          ...sig(options.signal),
        },
        taskStatusSchema,
      );
      return { value: status, done: status.state === 'Finished' || status.state === 'Failed' };
    });
  }

  // --- Flow B: requests -------------------------------------------------------------------

  async getRequest(rqId: string, signal?: AbortSignalLike): Promise<CvatRequest | null> {
    if (isLegacyRequestId(rqId)) return this.getLegacyExport(rqId, signal);
    const legacyImport = parseLegacyImportId(rqId);
    if (legacyImport) return this.getLegacyImport(rqId, legacyImport, signal);
    const spec: CallSpec = {
      operation: 'get request',
      method: 'GET',
      path: `/api/requests/${encodeURIComponent(rqId)}`,
      expect: [404],
      ...sig(signal),
    };
    const reply = await this.transport.call(spec);
    if (reply.status === 404) return null;
    return parseWith(requestSchema, parseJson(reply, spec.operation), spec.operation, reply.url);
  }

  async listRequests(query: ListQuery = {}, signal?: AbortSignalLike): Promise<Page<CvatRequest>> {
    // Servers before 2.16 keep no request records.
    if (!(await this.supportsRequests(signal)))
      return { count: 0, next: null, previous: null, results: [] };
    return this.transport.json(
      {
        operation: 'list requests',
        method: 'GET',
        path: '/api/requests',
        query: listQuery(query),
        ...sig(signal),
      },
      pageSchema(requestSchema),
    );
  }

  async cancelRequest(rqId: string, signal?: AbortSignalLike): Promise<void> {
    if (isLegacyRequestId(rqId) || parseLegacyImportId(rqId)) {
      throw new SyncError('cancel request: on servers before 2.16 requests cannot be cancelled', {
        code: 'not-cancellable',
        kind: 'item',
        operation: 'cancel request',
      });
    }
    await this.transport.call({
      operation: 'cancel request',
      method: 'POST',
      path: `/api/requests/${encodeURIComponent(rqId)}/cancel`,
      ...sig(signal),
    });
  }

  /** null when the request is unknown or gone (404): finished long ago or expired; look at the target. */
  waitForRequest(
    rqId: string,
    options: PollOptions<CvatRequest> = {},
  ): Promise<CvatRequest | null> {
    const { onUpdate, ...rest } = options;
    const poll: PollOptions<CvatRequest | null> = onUpdate
      ? { ...rest, onUpdate: (r) => r && onUpdate(r) }
      : rest;
    return this.poll(poll, async () => {
      const r = await this.getRequest(rqId, options.signal);
      return { value: r, done: r === null || r.status === 'finished' || r.status === 'failed' };
    });
  }

  // --- Flow C: exports, downloads ---------------------------------------------------------

  async exportDataset(
    target: ExportTargetRef,
    format: string,
    saveImages: boolean,
    signal?: AbortSignalLike,
  ): Promise<string> {
    if (!(await this.supportsRequests(signal))) {
      return this.startLegacyExport(
        legacyExportUrl(this.server, target, saveImages ? 'dataset' : 'annotations', format),
        signal,
      );
    }
    const operation = `export ${target.kind} ${target.id}`;
    try {
      return await this.startRequest({
        operation,
        method: 'POST',
        path: `/api/${target.kind}s/${target.id}/dataset/export`,
        query: { format, save_images: saveImages, location: 'local' },
        expect: [409],
        ...sig(signal),
      });
    } catch (e) {
      if (isSyncError(e) && e.status === 400)
        throw rehint(e, {
          code: 'unknown-format',
          hint: `Pick an exporter name the server lists (Formats: GET /api/server/annotation/formats); "${format}" was refused.`,
        });
      if (isSyncError(e) && e.status === 405)
        throw rehint(e, {
          code: 'format-disabled',
          hint: `The server has the "${format}" exporter disabled; pick another format.`,
        });
      throw e;
    }
  }

  async exportBackup(
    target: { kind: 'task' | 'project'; id: number },
    signal?: AbortSignalLike,
  ): Promise<string> {
    if (!(await this.supportsRequests(signal)))
      return this.startLegacyExport(legacyExportUrl(this.server, target, 'backup', null), signal);
    return this.startRequest({
      operation: `back up ${target.kind} ${target.id}`,
      method: 'POST',
      path: `/api/${target.kind}s/${target.id}/backup/export`,
      query: { location: 'local' },
      expect: [409],
      ...sig(signal),
    });
  }

  async download(url: string, options: DownloadOptions = {}): Promise<DownloadResponse> {
    const operation = 'download';
    const resumeFrom = Math.max(0, options.resumeFrom ?? 0);
    // identity: byte offsets must be those of the file, not of a compressed transfer.
    const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
    if (resumeFrom > 0) headers['Range'] = `bytes=${resumeFrom}-`;
    const target = this.onServerOrigin(url);
    const open = await this.transport
      .open({
        operation,
        method: 'GET',
        path: target,
        headers,
        expect: [416],
        ...sig(options.signal),
      })
      .catch(async (e: unknown) => {
        throw await this.expiredResult(e, target, options.signal);
      });
    const { response, guard } = open;
    const filename = dispositionFilename(response.headers.get('content-disposition'));
    const range = parseContentRange(response.headers.get('content-range'));
    const length = numberHeader(response.headers.get('content-length'));
    const fail = async (what: string): Promise<never> => {
      guard.dispose();
      await response.body?.cancel().catch(() => undefined);
      throw badResponse(operation, open.url, what, response.status);
    };
    if (response.status === 416) {
      // Nothing after resumeFrom: complete when the resource is exactly that long.
      if (range?.total === resumeFrom) {
        guard.dispose();
        await response.body?.cancel().catch(() => undefined);
        return { status: 416, totalBytes: resumeFrom, resumed: true, filename, body: emptyBody() };
      }
      return fail(`range ${resumeFrom}- not satisfiable (size ${range?.total ?? 'unknown'})`);
    }
    let resumed = false;
    let totalBytes: number | null = length;
    if (response.status === 206) {
      if (!range || range.start !== resumeFrom)
        return fail(
          `Content-Range ${response.headers.get('content-range') ?? '(missing)'} does not start at ${resumeFrom}`,
        );
      resumed = true;
      totalBytes = range.total ?? (length !== null ? resumeFrom + length : null);
    }
    const start = resumed ? resumeFrom : 0;
    const transport = this.transport;
    async function* body(): AsyncGenerator<Uint8Array> {
      let done = start;
      try {
        if (!response.body) return;
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          guard.touch();
          if (options.throttle) await options.throttle.take(chunk.length, options.signal);
          done += chunk.length;
          options.onProgress?.(done, totalBytes ?? done);
          yield chunk;
        }
      } catch (e) {
        throw transport.failure(operation, open.url, guard, e);
      } finally {
        guard.dispose();
      }
    }
    return { status: response.status, totalBytes, resumed, filename, body: body() };
  }

  /**
   * CVAT builds result_url from the Host (or X-Forwarded-Host) it was asked with; behind a proxy
   * that rewrites it, the URL names another origin. Credentials never go there: the same path
   * and query are fetched from the configured server (PROTOCOL.md §8.3).
   */
  private onServerOrigin(url: string): string {
    if (!/^https?:\/\//i.test(url) || this.transport.sameOrigin(url)) return url;
    const foreign = new URL(url);
    const rewritten = new URL(foreign.pathname + foreign.search, this.transport.origin).toString();
    this.logger.warn('result_url names another origin: fetched from the configured server', {
      from: foreign.origin,
      to: this.transport.origin,
    });
    return rewritten;
  }

  /**
   * CVAT reports an expired export two ways: 404 while its request lives on without the file,
   * 400 ("Unknown export request id") once the request itself left the queue, which is the
   * usual case since both share one TTL. The second is rewritten as the first when
   * /api/requests confirms the id is gone, so callers have a single "export again" signal.
   */
  private async expiredResult(e: unknown, url: string, signal?: AbortSignalLike): Promise<unknown> {
    if (!isSyncError(e) || e.status !== 400) return e;
    const rqId = new URL(url, this.server).searchParams.get('rq_id');
    if (rqId === null) return e;
    const request = await this.getRequest(rqId, signal).catch(() => undefined);
    if (request !== null) return e;
    return new SyncError(
      'download: the export result expired on the server (its request is gone)',
      {
        code: 'result-expired',
        kind: 'item',
        operation: 'download',
        url: safeUrl(url),
        status: 404,
        ...(e.body !== undefined ? { body: e.body } : {}),
        hint: 'Export it again; CVAT keeps results for a limited time (24 h by default).',
        cause: e,
      },
    );
  }

  // --- Flow D: imports --------------------------------------------------------------------

  async importBackup(
    file: UploadFile,
    options: TransferCallbacks & {
      projectId?: number | null;
      chunkSize: number;
      resumeUrl?: string | null;
      onCreated?: TusUploadOptions['onCreated'];
    },
  ): Promise<string> {
    if (options.projectId !== undefined && options.projectId !== null) {
      // CVAT restores a task backup as a standalone task (schema: no project parameter).
      throw new SyncError('restore backup: CVAT cannot restore a task backup into a project', {
        code: 'unsupported',
        kind: 'item',
        operation: 'restore backup',
        hint: 'Restore it as a standalone task, then move the task into the project in CVAT.',
      });
    }
    return this.importVia(
      '/api/tasks/backup/',
      { kind: 'task-backup' },
      file,
      options,
      {},
      'restore backup',
      true,
    );
  }

  async importAnnotations(
    taskId: number,
    file: UploadFile,
    format: string,
    mode: 'replace' | 'append',
    options: TransferCallbacks & {
      chunkSize: number;
      resumeUrl?: string | null;
      onCreated?: TusUploadOptions['onCreated'];
    },
  ): Promise<string> {
    return this.importVia(
      `/api/tasks/${taskId}/annotations/`,
      { kind: 'task-annotations', taskId },
      file,
      options,
      // location=local: otherwise the task's source_storage decides where `filename` is read
      // from, a cloud bucket for some tasks (PROTOCOL.md §11.2), as for exports.
      { format, import_mode: mode, location: 'local' },
      `import annotations into task ${taskId}`,
      false,
    );
  }

  // --- internals --------------------------------------------------------------------------

  /** Upload-Start, TUS, Upload-Finish with the upload id as filename (PROTOCOL.md §11). */
  private async importVia(
    path: string,
    target: TusTarget,
    file: UploadFile,
    options: TransferCallbacks & {
      chunkSize: number;
      resumeUrl?: string | null;
      onCreated?: TusUploadOptions['onCreated'];
    },
    query: Query,
    operation: string,
    org: boolean,
  ): Promise<string> {
    if (!options.resumeUrl) {
      await this.transport.call({
        operation: `${operation}: start upload`,
        method: 'POST',
        path,
        query,
        org,
        headers: { 'Upload-Start': 'true' },
        json: {},
        ...sig(options.signal),
      });
    }
    const tus: TusUploadOptions = {
      target,
      file,
      chunkSize: options.chunkSize,
      resumeUrl: options.resumeUrl ?? null,
    };
    if (options.signal) tus.signal = options.signal;
    if (options.throttle) tus.throttle = options.throttle;
    if (options.onProgress) tus.onProgress = options.onProgress;
    if (options.onCreated) tus.onCreated = options.onCreated;
    const uploaded = await this.tusUpload(tus);
    const finish: CallSpec = {
      operation: `${operation}: finish upload`,
      method: 'POST',
      path,
      query: { ...query, filename: uploaded.uploadFilename },
      org,
      headers: { 'Upload-Finish': 'true' },
      json: {},
      expect: [409],
      ...sig(options.signal),
    };
    if (await this.supportsRequests(options.signal)) return this.startRequest(finish);
    // Before 2.16 there is no /api/requests: the import is followed by repeating a request.
    const reply = await this.transport.call(finish);
    let rqId: string | null = null;
    try {
      const body = JSON.parse(reply.text) as { rq_id?: unknown };
      rqId = typeof body.rq_id === 'string' ? body.rq_id : null;
    } catch {
      rqId = null;
    }
    const kind = target.kind === 'task-backup' ? 'backup' : 'annotations';
    if (kind === 'backup' && rqId === null)
      throw badResponse(finish.operation, reply.url, 'no rq_id in the answer', reply.status);
    const plain: Record<string, string> = {};
    for (const [k, v] of Object.entries(query))
      if (v !== undefined && v !== null) plain[k] = String(v);
    return legacyImportId({ kind, path, query: plain, rqId });
  }

  /** Servers before 2.16: one repeat of the import's polling request (PROTOCOL.md §12). */
  private async getLegacyImport(
    id: string,
    spec: LegacyImport,
    signal?: AbortSignalLike,
  ): Promise<CvatRequest | null> {
    const reply = await this.transport.call(
      spec.kind === 'backup'
        ? {
            operation: 'get import status',
            method: 'POST',
            path: spec.path,
            org: true,
            json: { rq_id: spec.rqId },
            expect: [400, 500],
            ...sig(signal),
          }
        : {
            operation: 'get import status',
            method: 'PUT',
            path: spec.path,
            query: { format: spec.query.format ?? '' },
            expect: [400, 500],
            ...sig(signal),
          },
    );
    return legacyImportRequest(id, spec, reply, new Date(this.options.clock.now()).toISOString());
  }

  /** A call answered 202 {rq_id}, or 409 {rq_id} naming the request already running. */
  private async startRequest(spec: CallSpec): Promise<string> {
    const reply = await this.transport.call(spec);
    return parseWith(rqIdSchema, parseJson(reply, spec.operation), spec.operation, reply.url).rq_id;
  }

  private async supportsRequests(signal?: AbortSignalLike): Promise<boolean> {
    return versionAtLeast(await this.serverVersion(signal), REQUESTS_API_SINCE);
  }

  private async startLegacyExport(url: string, signal?: AbortSignalLike): Promise<string> {
    // The first GET starts the export and surfaces a bad format at once.
    await this.transport.call({
      operation: 'start export',
      method: 'GET',
      path: url,
      ...sig(signal),
    });
    return LEGACY_PREFIX + url;
  }

  private async getLegacyExport(
    rqId: string,
    signal?: AbortSignalLike,
  ): Promise<CvatRequest | null> {
    const url = rqId.slice(LEGACY_PREFIX.length);
    if (!this.transport.sameOrigin(url))
      throw badResponse('get request', safeUrl(url), 'legacy export id of another server');
    // 500 with text is how these servers report a failed export.
    const reply = await this.transport.call({
      operation: 'get export status',
      method: 'GET',
      path: url,
      expect: [404, 500],
      ...sig(signal),
    });
    if (reply.status === 404) return null;
    return legacyExportRequest(rqId, url, reply, new Date(this.options.clock.now()).toISOString());
  }

  private async explainUnauthorized(
    error: SyncError,
    signal?: AbortSignalLike,
  ): Promise<SyncError> {
    if (this.options.auth?.kind !== 'token') return error;
    let version: ServerVersion;
    try {
      version = await this.serverVersion(signal);
    } catch {
      return error;
    }
    if (versionAtLeast(version, PAT_SINCE)) return error;
    return rehint(error, {
      code: 'pat-unsupported',
      message: `This CVAT server (${version.raw}) does not accept personal access tokens; they arrived in CVAT 2.48.`,
      hint: 'Sign in with your user name and password instead of a token.',
    });
  }

  /** Pages of a list, in id order so that items created meanwhile do not shift the pages. */
  private async *pages<T extends z.ZodType<{ id: number }>>(
    operation: string,
    path: string,
    item: T,
    query: ListQuery,
    org: boolean,
    signal?: AbortSignalLike,
  ): AsyncGenerator<z.output<T>> {
    const schema = pageSchema(item);
    const seen = new Set<number>();
    const base: ListQuery = { page_size: PAGE_SIZE, sort: 'id', ...query };
    for (let page = typeof query.page === 'number' ? query.page : 1; ; page++) {
      const p = await this.transport.json(
        {
          operation,
          method: 'GET',
          path,
          query: listQuery({ ...base, page }),
          org,
          ...sig(signal),
        },
        schema,
      );
      for (const entry of p.results as Array<z.output<T>>) {
        if (seen.has(entry.id)) continue;
        seen.add(entry.id);
        yield entry;
      }
      if (!p.next || p.results.length === 0) return;
    }
  }

  private async poll<T>(
    options: PollOptions<T>,
    step: () => Promise<{ value: T; done: boolean }>,
  ): Promise<T> {
    const max = options.maxDelayMs ?? 5_000;
    let delay = Math.min(options.minDelayMs ?? 1_000, max);
    for (;;) {
      const { value, done } = await step();
      options.onUpdate?.(value);
      if (done) return value;
      try {
        await this.options.clock.sleep(
          Math.round(delay * (1 + 0.25 * this.random())),
          options.signal,
        );
      } catch (e) {
        if (isAbortError(e)) throw cancelledError('wait');
        throw e;
      }
      delay = Math.min(max, delay * 1.5);
    }
  }
}

function tusPath(target: TusTarget): string {
  switch (target.kind) {
    case 'task-data':
      return `/api/tasks/${target.taskId}/data/`;
    case 'task-backup':
      return '/api/tasks/backup/';
    case 'task-annotations':
      return `/api/tasks/${target.taskId}/annotations/`;
  }
}

/** ListQuery -> query parameters: the JSON-Logic filter serialised, empty values left out. */
export function listQuery(query: ListQuery): Query {
  const out: Query = {};
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    if (k === 'filter') out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (Array.isArray(v)) out[k] = v.join(',');
    else out[k] = JSON.stringify(v);
  }
  return out;
}

export function parseContentRange(
  header: string | null,
): { start: number; end: number | null; total: number | null } | null {
  if (!header) return null;
  const m = /^\s*bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)\s*$/i.exec(header);
  if (!m) return null;
  const total = m[3] === '*' ? null : Number(m[3]);
  if (m[1] === undefined) return { start: -1, end: null, total };
  return { start: Number(m[1]), end: Number(m[2]), total };
}

function numberHeader(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Number(value);
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {
  // a completed download has nothing more to send
}

function sig(signal: AbortSignalLike | undefined): { signal?: AbortSignalLike } {
  return signal ? { signal } : {};
}

/** The same error with another code, kind, message or hint (SyncError fields are read-only). */
function rehint(
  e: SyncError,
  over: { code?: string; kind?: SyncError['kind']; hint?: string; message?: string },
): SyncError {
  const details: ConstructorParameters<typeof SyncError>[1] = {
    code: over.code ?? e.code,
    kind: over.kind ?? e.kind,
    cause: e,
  };
  if (e.operation !== undefined) details.operation = e.operation;
  if (e.url !== undefined) details.url = e.url;
  if (e.status !== undefined) details.status = e.status;
  if (e.body !== undefined) details.body = e.body;
  if (e.retryAfterMs !== undefined) details.retryAfterMs = e.retryAfterMs;
  const hint = over.hint ?? e.hint;
  if (hint !== undefined) details.hint = hint;
  return new SyncError(over.message ?? e.message, details);
}
