// CvatClient: the CvatApi over HTTP, validating every answer. Older servers are served by
// fallbacks chosen from /api/server/about. The flows live in their own modules: paging.ts
// (lists), requests.ts, uploads.ts (media and imports), downloads.ts (exports and results),
// legacy-flows.ts (servers before 2.16), tasks.ts; this class holds identity and the wiring.
import type { Clock } from '../core/clock.js';
import type { SyncError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import type { BackoffPolicy } from '../core/retry.js';
import type { AbortSignalLike } from '../core/signal.js';
import type {
  AccessTokenInfo,
  BulkCallbacks,
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
  ImportOptions,
  ListQuery,
  Organization,
  Page,
  ServerAbout,
  ServerVersion,
  TaskCreateSpec,
  TaskCreationStatus,
  TusUploadOptions,
  TusUploadResult,
  UploadFile,
} from './api.js';
import type { ClientContext, PollOptions } from './client-context.js';
import * as downloads from './downloads.js';
import * as identity from './identity.js';
import { badResponse } from './http-errors.js';
import { Transport } from './http.js';
import type { NetStack } from './net-stack.js';
import type { FileSystem } from '../fs/file-system.js';
import { listPage, pages } from './paging.js';
import * as requests from './requests.js';
import { TaskCalls } from './task-calls.js';
import { CVAT_TUS_RETRY_DELAYS } from './tus.js';
import * as tasks from './tasks.js';
import * as uploads from './uploads.js';
import { REQUESTS_API_SINCE, parseVersion, versionAtLeast } from './version.js';

export type { PollOptions } from './client-context.js';
export { listQuery } from './paging.js';
export { parseContentRange } from './downloads.js';
export { DEFAULT_IMAGE_QUALITY } from './uploads.js';

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
const DEFAULT_USER_AGENT = 'cvat-sync';

export class CvatClient implements CvatApi {
  readonly server: string;
  readonly org: string | null | undefined;
  private readonly transport: Transport;
  private readonly options: CvatClientOptions;
  private readonly logger: Logger;
  /** What the flow modules share; built once per client. */
  private readonly context: ClientContext;
  private version: Promise<ServerVersion> | null;

  constructor(options: CvatClientOptions, sharedVersion: Promise<ServerVersion> | null = null) {
    this.options = options;
    this.org = options.org;
    const random = options.random ?? Math.random;
    this.logger = options.logger ?? silentLogger;
    this.version = sharedVersion;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.transport = new Transport({
      server: options.server,
      auth: options.auth,
      org: options.org,
      clock: options.clock,
      random,
      timeoutMs,
      logger: this.logger,
      userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
      retry: options.retry ?? DEFAULT_READ_RETRY,
      explainUnauthorized: (error, signal) => this.explainUnauthorized(error, signal),
      ...(options.net ? { net: options.net } : {}),
      ...(options.fs ? { fs: options.fs } : {}),
    });
    this.server = this.transport.server;
    this.context = {
      server: this.server,
      transport: this.transport,
      logger: this.logger,
      clock: options.clock,
      random,
      tus: {
        retryDelays: options.tusRetryDelays ?? CVAT_TUS_RETRY_DELAYS,
        idleTimeoutMs: timeoutMs,
      },
      serverVersion: (signal) => this.serverVersion(signal),
      supportsRequests: (signal) => this.supportsRequests(signal),
      getRequest: (rqId, signal) => this.getRequest(rqId, signal),
    };
  }

  /** POST /api/auth/login: the legacy API key for `Authorization: Token`. */
  static async login(
    server: string,
    username: string,
    password: string,
    opts: Omit<CvatClientOptions, 'server' | 'auth'> & { signal?: AbortSignalLike },
  ): Promise<string> {
    const client = new CvatClient({ ...opts, server, auth: null });
    return identity.signIn(client.transport, username, password, opts.signal);
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
    return identity.about(this.transport, signal);
  }

  serverVersion(signal?: AbortSignalLike): Promise<ServerVersion> {
    this.version ??= this.about(signal).then((about) => {
      const version = parseVersion(about.version);
      if (!version)
        throw badResponse(
          'get server info',
          `${this.server}/api/server/about`,
          `field "version": not a version: ${about.version}`,
        );
      return version;
    });
    // A failed probe is forgotten so that the next call asks again.
    this.version.catch(() => {
      this.version = null;
    });
    return this.version;
  }

  self(signal?: AbortSignalLike): Promise<CvatUser> {
    return identity.self(this.transport, signal);
  }

  async accessTokenInfo(signal?: AbortSignalLike): Promise<AccessTokenInfo | null> {
    if (this.options.auth?.kind !== 'token') return null;
    return identity.accessToken(this.transport, signal);
  }

  organizations(): AsyncIterable<Organization> {
    return pages(this.transport, identity.ORGANIZATION_LIST, {});
  }

  // --- lists, tasks (tasks.ts) -----------------------------------------------------------

  listTasks(query: ListQuery = {}, signal?: AbortSignalLike): Promise<Page<CvatTask>> {
    return listPage(this.transport, tasks.TASK_LIST, query, signal);
  }

  iterateTasks(query: ListQuery = {}): AsyncIterable<CvatTask> {
    return pages(this.transport, tasks.TASK_LIST, query);
  }

  getTask(id: number, signal?: AbortSignalLike): Promise<CvatTask> {
    return tasks.getTask(this.transport, id, signal);
  }

  findTask(id: number, signal?: AbortSignalLike): Promise<CvatTask | null> {
    return tasks.findTask(this.transport, id, signal);
  }

  findTasksByName(name: string, signal?: AbortSignalLike): Promise<CvatTask[]> {
    return tasks.findTasksByName(this.transport, name, signal);
  }

  createTask(spec: TaskCreateSpec, signal?: AbortSignalLike): Promise<CvatTask> {
    return tasks.createTask(this.transport, spec, signal);
  }

  /** Resolves also when the task is already gone (404): the goal is reached either way. */
  deleteTask(id: number, signal?: AbortSignalLike): Promise<void> {
    return tasks.deleteTask(this.transport, this.logger, id, signal);
  }

  listProjects(query: ListQuery = {}, signal?: AbortSignalLike): Promise<Page<CvatProject>> {
    return listPage(this.transport, tasks.PROJECT_LIST, query, signal);
  }

  listJobs(taskId: number, signal?: AbortSignalLike): Promise<CvatJob[]> {
    return tasks.listJobs(this.transport, taskId, signal);
  }

  formats(signal?: AbortSignalLike): Promise<Formats> {
    return tasks.formats(this.transport, signal);
  }

  preview(
    taskId: number,
    signal?: AbortSignalLike,
  ): Promise<{ contentType: string; bytes: Uint8Array } | null> {
    return tasks.preview(this.transport, taskId, signal);
  }

  // --- Flow A: media (uploads.ts) ---------------------------------------------------------

  uploadStart(taskId: number, signal?: AbortSignalLike): Promise<void> {
    return uploads.uploadStart(this.context, taskId, signal);
  }

  tusUpload(options: TusUploadOptions): Promise<TusUploadResult> {
    return uploads.uploadByTus(this.context, options);
  }

  uploadMultiple(
    taskId: number,
    files: UploadFile[],
    options: BulkCallbacks & { imageQuality?: number } = {},
  ): Promise<{ sha256: string[] }> {
    return uploads.uploadMultiple(this.context, taskId, files, options);
  }

  uploadFinish(
    taskId: number,
    data: DataRequest,
    signal?: AbortSignalLike,
  ): Promise<string | null> {
    return uploads.uploadFinish(this.context, taskId, data, signal);
  }

  waitForTaskCreation(
    taskId: number,
    options: PollOptions<TaskCreationStatus> = {},
  ): Promise<TaskCreationStatus> {
    return uploads.waitForTaskCreation(this.context, taskId, options);
  }

  // --- Flow B: requests (requests.ts) -----------------------------------------------------

  getRequest(rqId: string, signal?: AbortSignalLike): Promise<CvatRequest | null> {
    return requests.getRequest(this.context, rqId, signal);
  }

  listRequests(query: ListQuery = {}, signal?: AbortSignalLike): Promise<Page<CvatRequest>> {
    return requests.listRequests(this.context, query, signal);
  }

  cancelRequest(rqId: string, signal?: AbortSignalLike): Promise<void> {
    return requests.cancelRequest(this.context, rqId, signal);
  }

  /** null when the request is unknown or gone (404): finished long ago or expired; look at the target. */
  waitForRequest(
    rqId: string,
    options: PollOptions<CvatRequest> = {},
  ): Promise<CvatRequest | null> {
    return requests.waitForRequest(this.context, rqId, options);
  }

  // --- Flow C: exports, downloads (downloads.ts) ------------------------------------------

  exportDataset(
    target: ExportTargetRef,
    format: string,
    saveImages: boolean,
    signal?: AbortSignalLike,
  ): Promise<string> {
    return downloads.exportDataset(this.context, target, format, saveImages, signal);
  }

  exportBackup(
    target: { kind: 'task' | 'project'; id: number },
    signal?: AbortSignalLike,
  ): Promise<string> {
    return downloads.exportBackup(this.context, target, signal);
  }

  download(url: string, options: DownloadOptions = {}): Promise<DownloadResponse> {
    return downloads.download(this.context, url, options);
  }

  // --- Flow D: imports (uploads.ts) -------------------------------------------------------

  importBackup(
    file: UploadFile,
    options: ImportOptions & { projectId?: number | null },
  ): Promise<string> {
    return uploads.importBackup(this.context, file, options);
  }

  importAnnotations(...args: Parameters<CvatApi['importAnnotations']>): Promise<string> {
    return uploads.importAnnotations(this.context, ...args);
  }

  // --- internals --------------------------------------------------------------------------

  private async supportsRequests(signal?: AbortSignalLike): Promise<boolean> {
    return versionAtLeast(await this.serverVersion(signal), REQUESTS_API_SINCE);
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
    return identity.explainTokenRefusal(error, version);
  }
}
