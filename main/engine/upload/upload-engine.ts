// The upload queue: runs up to N batches at a time, shares one bandwidth limit between all
// transfers, pauses and resumes (all, per folder, per batch) by aborting in-flight requests,
// retries transient failures with backoff, and stops everything when the server rejects our
// credentials until new ones are given. Everything it knows is in the journal, so a new engine
// on the same journal continues where a killed one stopped.
import { isTerminal } from '../../core/batch-state.js';
import type { Clock } from '../../core/clock.js';
import { errorInfo, toSyncError } from '../../core/errors.js';
import type { ErrorInfo } from '../../core/errors.js';
import { EventBus } from '../../core/event-bus.js';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import { DEFAULT_BACKOFF, retryDelay } from '../../core/retry.js';
import type { BackoffPolicy } from '../../core/retry.js';
import type { CvatApi, DataRequest, Throttle } from '../../cvat/api.js';
import { ActivityRepo } from '../../journal/activity-repo.js';
import type { ActivityLevel, ActivityRow } from '../../journal/activity-repo.js';
import { BatchRepo } from '../../journal/batch-repo.js';
import type { BatchFilter } from '../../journal/batch-repo.js';
import type { BatchTaskSpec, UploadBatch, UploadBatchRepo } from './types.js';
import type { Db } from '../../journal/database.js';
import { DiscardRepo } from '../../journal/discard-repo.js';
import type { DiscardRow } from '../../journal/discard-repo.js';
import { RequestRepo } from '../../journal/request-repo.js';
import { UploadRepo } from '../../journal/upload-repo.js';
import { BatchRunner, deleteDiscards } from './batch-runner.js';
import type { RunnerDeps, RunnerSettings } from './batch-runner.js';
import { DEFAULT_RESTART_POLICY } from './restart-policy.js';
import { ChunkSizer, DEFAULT_CHUNK_SIZER } from '../../core/chunk-sizer.js';
import type { ChunkSizerOptions } from '../../core/chunk-sizer.js';
import type { RestartPolicy } from './restart-policy.js';
import type { FileSystem } from '../../fs/file-system.js';
import { nodeFileSystem } from '../../fs/node-file-system.js';

const MiB = 1024 * 1024;

export interface UploadEngineOptions {
  db: Db;
  /** null until the user has signed in. */
  api: CvatApi | null;
  clock: Clock;
  /** In [0,1): backoff jitter. */
  random: () => number;
  logger?: Logger;
  /** Where planned files are re-checked (default: the real disk). */
  fs?: FileSystem;
  /** Batches uploading at the same time (default 2). */
  concurrency?: number;
  /**
   * The bandwidth limit of every request body. The service passes the one it shares with the
   * results engine, so that uploads and downloads together stay within the user's setting.
   * Absent: uploads are not limited.
   */
  throttle?: Throttle;
  /**
   * Largest TUS chunk (default 64 MiB). Chunks start at 8 MiB (or this, when smaller) and grow
   * toward it while the link is healthy (core/chunk-sizer.ts): a kill costs at most the chunk in
   * flight, since CVAT keeps nothing of a cut PATCH. See tests/bench/upload.ts.
   */
  chunkSize?: number;
  /** Chunk sizing; false: always `chunkSize`. */
  adaptiveChunks?: Partial<ChunkSizerOptions> | false;
  /** Files above this size go by TUS (default 100 MiB, as cvat-core). */
  bulkThreshold?: number;
  /** Bound of one Upload-Multiple request in bytes (default 100 MiB, as cvat-core) ... */
  bulkBatchBytes?: number;
  /** ... and in files (default 1000). */
  bulkBatchFiles?: number;
  verifyHash?: boolean;
  backoff?: BackoffPolicy;
  /**
   * Fresh starts of one batch (each a new task) before it is marked failed, and their spacing
   * (default: 5, from 2 s doubling to at most 10 min; restart-policy.ts).
   */
  restartPolicy?: Partial<RestartPolicy>;
  /** How often to look for newly planned batches when nobody calls wake() (default 2 s). */
  pollMs?: number;
  /** Initial pause state (the service persists it). */
  paused?: boolean;
  pausedFolders?: number[];
}

/** 'server': the batch belongs to another server or organization than the one signed in. */
export type PausedBy = 'batch' | 'folder' | 'all' | 'auth' | 'no-api' | 'server' | null;

/** A batch as the service shows it. */
export interface BatchView extends UploadBatch {
  active: boolean;
  pausedBy: PausedBy;
}

export interface UploadProgress {
  batchId: number;
  folderId: number | null;
  taskId: number | null;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

/** An entry the engine wrote to the activity log, as stored (null batchId: about the queue). */
export interface UploadActivity {
  entry: ActivityRow;
  batchId: number | null;
}

export interface ReplanRequest {
  batchId: number;
  folderId: number | null;
  fileId: number | null;
  relPath: string;
  reason: string;
}

export interface EngineStatus {
  paused: boolean;
  pausedFolders: number[];
  /** Set while the server rejects our credentials: nothing runs until setApi(). */
  authError: ErrorInfo | null;
  active: number;
  concurrency: number;
}

export type UploadEvents = {
  batch: BatchView;
  progress: UploadProgress;
  activity: UploadActivity;
  'replan-needed': ReplanRequest;
  'auth-required': { error: ErrorInfo };
  status: EngineStatus;
};

/** The activity log's transfer id of a batch. */
export function batchTransferId(batchId: number): string {
  return `upload:${batchId}`;
}

interface Running {
  controller: AbortController;
  done: Promise<void>;
  folderId: number | null;
}

export class UploadEngine {
  readonly events = new EventBus<UploadEvents>();
  readonly batches: UploadBatchRepo;
  private readonly uploads: UploadRepo;
  private readonly requests: RequestRepo;
  private readonly discards: DiscardRepo;
  private readonly activityLog: ActivityRepo;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly fs: FileSystem;
  private readonly throttle: Throttle | undefined;
  private readonly settings: RunnerSettings;
  private readonly chunkSizer: ChunkSizer;
  private readonly backoff: BackoffPolicy;
  private readonly pollMs: number;

  private api: CvatApi | null;
  private selfIdCache: { api: CvatApi; id: Promise<number | null> } | null = null;
  private concurrency: number;
  private pausedAll: boolean;
  private readonly pausedFolders: Set<number>;
  private authError: ErrorInfo | null = null;
  private readonly running = new Map<number, Running>();
  private janitor: { controller: AbortController; done: Promise<void> } | null = null;
  private janitorNextAt = 0;
  private janitorAttempts = 0;
  private started = false;
  private loopDone: Promise<void> | null = null;
  private wakeController: AbortController | null = null;
  private idleWaiters: Array<() => void> = [];

  constructor(opts: UploadEngineOptions) {
    this.clock = opts.clock;
    this.random = opts.random;
    this.logger = opts.logger ?? silentLogger;
    this.fs = opts.fs ?? nodeFileSystem;
    this.api = opts.api;
    this.batches = new BatchRepo<BatchTaskSpec, DataRequest>(opts.db, opts.clock);
    this.uploads = new UploadRepo(opts.db, opts.clock);
    this.requests = new RequestRepo(opts.db, opts.clock);
    this.discards = new DiscardRepo(opts.db, opts.clock);
    this.activityLog = new ActivityRepo(opts.db);
    this.throttle = opts.throttle;
    this.concurrency = Math.max(1, opts.concurrency ?? 2);
    this.pausedAll = opts.paused ?? false;
    this.pausedFolders = new Set(opts.pausedFolders ?? []);
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.pollMs = opts.pollMs ?? 2_000;
    const maxChunk = opts.chunkSize ?? 64 * MiB;
    this.chunkSizer = new ChunkSizer(
      opts.adaptiveChunks === false
        ? { minBytes: maxChunk, maxBytes: maxChunk, targetMs: 1 }
        : { ...DEFAULT_CHUNK_SIZER, maxBytes: maxChunk, ...opts.adaptiveChunks },
    );
    this.settings = {
      chunkSize: opts.chunkSize ?? 64 * MiB,
      bulkThreshold: opts.bulkThreshold ?? 100 * MiB,
      bulkBatchBytes: opts.bulkBatchBytes ?? 100 * MiB,
      bulkBatchFiles: opts.bulkBatchFiles ?? 1000,
      verifyHash: opts.verifyHash ?? true,
      clockSkewMs: 60 * 60 * 1000,
      recheckDelayMs: 5_000,
      restart: { ...DEFAULT_RESTART_POLICY, ...opts.restartPolicy },
    };
  }

  /** Starts taking work from the journal. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.loopDone = this.loop();
  }

  /** Stops taking work, aborts in-flight requests and waits until every runner has let go. */
  async stop(): Promise<void> {
    this.started = false;
    for (const r of this.running.values()) r.controller.abort();
    this.janitor?.controller.abort();
    this.wake();
    await Promise.all([...this.running.values()].map((r) => r.done));
    await this.janitor?.done;
    await this.loopDone;
    this.loopDone = null;
    this.resolveIdle();
  }

  /** New credentials (or none). Clears an authentication pause. */
  setApi(api: CvatApi | null): void {
    if (api !== this.api) for (const r of this.running.values()) r.controller.abort();
    this.api = api;
    if (this.authError !== null) {
      this.authError = null;
      this.emitStatus();
    }
    this.wake();
  }

  pauseAll(): void {
    this.pausedAll = true;
    for (const r of this.running.values()) r.controller.abort();
    this.emitStatus();
  }

  resumeAll(): void {
    this.pausedAll = false;
    this.emitStatus();
    this.wake();
  }

  pauseFolder(folderId: number): void {
    this.pausedFolders.add(folderId);
    for (const r of this.running.values()) if (r.folderId === folderId) r.controller.abort();
    this.emitStatus();
  }

  resumeFolder(folderId: number): void {
    this.pausedFolders.delete(folderId);
    this.emitStatus();
    this.wake();
  }

  pauseBatch(batchId: number): boolean {
    if (!this.batches.setPaused(batchId, true)) return false;
    this.running.get(batchId)?.controller.abort();
    this.emitBatch(batchId);
    return true;
  }

  resumeBatch(batchId: number): boolean {
    if (!this.batches.setPaused(batchId, false)) return false;
    this.emitBatch(batchId);
    this.wake();
    return true;
  }

  /**
   * Cancels a batch that is not processing or done: its runner stops, and the task it created
   * (if any) is deleted. False when the batch can no longer be cancelled.
   */
  cancelBatch(batchId: number): boolean {
    if (!this.batches.requestCancel(batchId)) return false;
    this.running.get(batchId)?.controller.abort();
    this.emitBatch(batchId);
    this.wake();
    return true;
  }

  /** Starts a failed or cancelled batch over (its old task, if any, is deleted first). */
  retryBatch(batchId: number): boolean {
    const b = this.batches.get(batchId);
    if (!b || (b.state !== 'failed' && b.state !== 'cancelled')) return false;
    const ok = this.batches.restart(batchId, b.state, {
      reason: 'retried by the user',
      countRestart: false,
      resetHistory: true,
    });
    if (ok) {
      this.emitBatch(batchId);
      this.wake();
    }
    return ok;
  }

  setConcurrency(n: number): void {
    this.concurrency = Math.max(1, Math.floor(n));
    this.emitStatus();
    this.wake();
  }

  status(): EngineStatus {
    return {
      paused: this.pausedAll,
      pausedFolders: [...this.pausedFolders].sort((a, b) => a - b),
      authError: this.authError,
      active: this.running.size,
      concurrency: this.concurrency,
    };
  }

  listBatches(filter: BatchFilter = {}): BatchView[] {
    return this.batches.list(filter).map((b) => this.view(b));
  }

  getBatch(batchId: number): BatchView | undefined {
    const b = this.batches.get(batchId);
    return b && this.view(b);
  }

  /** Look for work now (e.g. after the planner inserted batches). */
  wake(): void {
    this.wakeController?.abort();
  }

  /** Resolves when nothing can run now: no runner busy, no retry pending, no task left to delete. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---- scheduling

  private async loop(): Promise<void> {
    while (this.started) {
      this.pump();
      if (this.isIdle()) this.resolveIdle();
      const controller = new AbortController();
      this.wakeController = controller;
      try {
        await this.clock.sleep(this.nextWakeIn(), controller.signal);
      } catch {
        // woken early
      }
    }
  }

  private pump(): void {
    if (!this.started || this.api === null || this.authError !== null) return;
    const now = this.clock.now();
    for (const b of this.candidates()) {
      if (this.running.size >= this.concurrency) break;
      if (this.running.has(b.id) || (b.nextAttemptAt !== null && b.nextAttemptAt > now)) continue;
      this.launch(b);
    }
    this.maybeRunJanitor(now);
  }

  /** Batches that may run when their time comes, oldest first. */
  private candidates(): UploadBatch[] {
    return this.batches
      .list({
        states: [
          'planned',
          'creating',
          'created',
          'started',
          'sending',
          'finishing',
          'processing',
          'failed',
        ],
      })
      .filter((b) => {
        // A cancel needs the server only to find a creation whose outcome is unknown.
        if (b.cancelRequested)
          return b.state !== 'creating' || (this.api !== null && this.belongsTo(b, this.api));
        if (isTerminal(b.state) || b.replanReason !== null) return false;
        return this.pausedBy(b) === null;
      });
  }

  private launch(b: UploadBatch): void {
    const api = this.api;
    if (api === null) return;
    // Bound before its first request: from now on it runs on this server only.
    if (b.server === '') this.batches.bindServer(b.id, api.server);
    const controller = new AbortController();
    const runner = new BatchRunner(this.runnerDeps(api), b.id, controller.signal);
    const done = runner
      .run()
      .catch((e: unknown) => this.onRunnerError(b.id, e, controller.signal))
      .finally(() => {
        this.running.delete(b.id);
        this.emitBatch(b.id);
        this.emitStatus();
        this.wake();
      });
    this.running.set(b.id, { controller, done, folderId: b.folderId });
    this.emitBatch(b.id);
    this.emitStatus();
  }

  private onRunnerError(batchId: number, e: unknown, signal: AbortSignal): void {
    // Paused, cancelled or stopped: whatever the abort made the request throw is no failure.
    if (signal.aborted) return;
    const err = toSyncError(e, 'upload');
    const info = errorInfo(err);
    const b = this.batches.get(batchId);
    // Nothing to record on a batch that reached an end (the error came after its last step).
    if (!b || isTerminal(b.state)) return;
    if (err.kind === 'fatal') {
      this.authPause(info);
      return;
    }
    this.logger.warn('batch attempt failed', {
      batchId,
      state: b.state,
      code: info.code,
      message: info.message,
    });
    if (err.kind === 'transient') {
      const delay = retryDelay(b.attempts + 1, this.backoff, this.random, err.retryAfterMs);
      this.batches.recordError(batchId, b.state, info, delay);
      return;
    }
    if (
      this.batches.transition(batchId, b.state, 'failed', {
        lastError: info,
        attempts: b.attempts + 1,
        finishedAt: this.clock.now(),
      })
    ) {
      this.activity(b, 'error', 'batch-failed', `${b.name}: ${info.message}`, info.hint);
    }
  }

  private authPause(error: ErrorInfo): void {
    if (this.authError !== null) return;
    this.authError = error;
    for (const r of this.running.values()) r.controller.abort();
    this.janitor?.controller.abort();
    const entry = this.activityLog.add({
      at: this.clock.now(),
      level: 'error',
      kind: 'auth-required',
      message: `Uploads paused: the server rejected our credentials (${error.message})`,
      hint: error.hint ?? 'Sign in again; uploads continue where they stopped.',
    });
    this.events.emit('activity', { entry, batchId: null });
    this.events.emit('auth-required', { error });
    this.emitStatus();
  }

  /** Deletes discarded tasks of batches that are not running (a running batch deletes its own). */
  private maybeRunJanitor(now: number): void {
    const api = this.api;
    if (this.janitor !== null || api === null || now < this.janitorNextAt) return;
    const pending = this.discardsHere(api).filter(
      (d) => d.batchId === null || !this.running.has(d.batchId),
    );
    if (pending.length === 0) return;
    const controller = new AbortController();
    const done = (async () => {
      await deleteDiscards(api, this.discards, pending, controller.signal);
      this.janitorAttempts = 0;
    })()
      .catch((e: unknown) => {
        if (controller.signal.aborted) return;
        const err = toSyncError(e, 'delete task');
        if (err.kind === 'fatal') {
          this.authPause(errorInfo(err));
          return;
        }
        this.janitorAttempts += 1;
        this.janitorNextAt =
          this.clock.now() +
          retryDelay(this.janitorAttempts, this.backoff, this.random, err.retryAfterMs);
      })
      .finally(() => {
        this.janitor = null;
        this.wake();
      });
    this.janitor = { controller, done };
  }

  private nextWakeIn(): number {
    const now = this.clock.now();
    let wait = this.pollMs;
    for (const b of this.candidates()) {
      if (b.nextAttemptAt !== null && b.nextAttemptAt > now)
        wait = Math.min(wait, b.nextAttemptAt - now);
    }
    if (this.janitorNextAt > now) wait = Math.min(wait, this.janitorNextAt - now);
    return Math.max(1, wait);
  }

  private isIdle(): boolean {
    if (this.running.size > 0 || this.janitor !== null) return false;
    if (!this.started || this.api === null || this.authError !== null) return true;
    if (this.discardsHere(this.api).length > 0) return false;
    return this.candidates().length === 0;
  }

  private resolveIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Tasks to delete on the api's server ('' = recorded before servers were: any). */
  private discardsHere(api: CvatApi): DiscardRow[] {
    return this.discards.list().filter((d) => d.server === '' || d.server === api.server);
  }

  /** Whether `b` may run on `api`: its server, and its organization when it names one. */
  private belongsTo(b: UploadBatch, api: CvatApi): boolean {
    if (b.server === '') return true;
    return b.server === api.server && (b.org === null || b.org === (api.org ?? ''));
  }

  // ---- plumbing

  private runnerDeps(api: CvatApi): RunnerDeps {
    return {
      api,
      batches: this.batches,
      uploads: this.uploads,
      requests: this.requests,
      discards: this.discards,
      activity: this.activityLog,
      clock: this.clock,
      fs: this.fs,
      throttle: this.throttle,
      settings: this.settings,
      selfId: () => this.selfId(api),
      chunkSizer: this.chunkSizer,
      hooks: {
        progress: (b, bytesDone, filesDone) =>
          this.events.emit('progress', {
            batchId: b.id,
            folderId: b.folderId,
            taskId: b.taskId,
            bytesDone,
            bytesTotal: b.bytesTotal,
            filesDone,
            filesTotal: b.filesTotal,
          }),
        changed: (id) => this.emitBatch(id),
        activity: (b, level, kind, message, hint) => this.activity(b, level, kind, message, hint),
        replanNeeded: (b, f, reason) =>
          this.events.emit('replan-needed', {
            batchId: b.id,
            folderId: b.folderId,
            fileId: f.fileId,
            relPath: f.relPath,
            reason,
          }),
      },
    };
  }

  private selfId(api: CvatApi): Promise<number | null> {
    if (this.selfIdCache?.api !== api) {
      const id = api.self().then(
        (u) => u.id,
        (e: unknown) => {
          if (toSyncError(e).kind === 'fatal') throw e;
          return null;
        },
      );
      this.selfIdCache = { api, id };
      // A transient failure is not cached.
      id.then(
        (v) => {
          if (v === null && this.selfIdCache?.id === id) this.selfIdCache = null;
        },
        () => {
          if (this.selfIdCache?.id === id) this.selfIdCache = null;
        },
      );
    }
    return this.selfIdCache.id;
  }

  private activity(
    b: UploadBatch,
    level: ActivityLevel,
    kind: string,
    message: string,
    hint?: string,
  ): void {
    const entry = this.activityLog.add({
      at: this.clock.now(),
      level,
      kind,
      message,
      hint: hint ?? null,
      folderId: b.folderId,
      taskId: b.taskId,
      transferId: batchTransferId(b.id),
    });
    this.events.emit('activity', { entry, batchId: b.id });
  }

  private pausedBy(b: UploadBatch): PausedBy {
    if (b.paused) return 'batch';
    if (b.folderId !== null && this.pausedFolders.has(b.folderId)) return 'folder';
    if (this.pausedAll) return 'all';
    if (this.authError !== null) return 'auth';
    if (this.api === null) return 'no-api';
    if (!this.belongsTo(b, this.api)) return 'server';
    return null;
  }

  private view(b: UploadBatch): BatchView {
    return {
      ...b,
      active: this.running.has(b.id),
      pausedBy: isTerminal(b.state) ? null : this.pausedBy(b),
    };
  }

  private emitBatch(batchId: number): void {
    const b = this.batches.get(batchId);
    if (b) this.events.emit('batch', this.view(b));
  }

  private emitStatus(): void {
    this.events.emit('status', this.status());
  }
}
