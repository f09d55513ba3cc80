// The upload queue: runs up to N batches at a time, shares one bandwidth limit between all
// transfers, pauses and resumes (all, per folder, per batch) by aborting in-flight requests,
// retries transient failures with backoff, and stops everything when the server rejects our
// credentials until new ones are given. The scheduling itself (wake loop, cap, hold, retry
// delay) is a lane of the engine's JobQueue (engine/job-queue.ts). Everything it knows is in the
// journal, so a new engine on the same journal continues where a killed one stopped.
import { isTerminal } from '../../core/batch-state.js';
import type { Clock } from '../../core/clock.js';
import { errorInfo } from '../../core/errors.js';
import type { ErrorInfo, SyncError } from '../../core/errors.js';
import { EventBus } from '../../core/event-bus.js';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import { DEFAULT_BACKOFF } from '../../core/retry.js';
import type { CvatApi } from '../../cvat/api.js';
import type { ActivityRepo } from '../../journal/activity-repo.js';
import type { ActivityLevel } from '../../journal/activity-repo.js';
import type { BatchFilter } from '../../journal/batch-repo.js';
import type { DiscardRepo } from '../../journal/discard-repo.js';
import type { RequestRepo } from '../../journal/request-repo.js';
import type { UploadRepo } from '../../journal/upload-repo.js';
import type { EngineJournal } from '../engine-journal.js';
import { JobQueue } from '../job-queue.js';
import type { JobSource, Lane } from '../job-queue.js';
import { CANDIDATE_STATES, isCandidate, pausedBy } from './batch-eligibility.js';
import type { QueueState } from './batch-eligibility.js';
import { BatchRunner } from './batch-runner.js';
import type { RunnerDeps } from './batch-runner.js';
import { DiscardJanitor } from './discard-janitor.js';
import { deletedEntry } from './task-claim.js';
import { nodeFileSystem } from '../../fs/node-file-system.js';
import { SelfIdCache } from './self-id.js';
import type { UploadBatch, UploadBatchRepo } from './types.js';
import { batchCounts, batchTransferId } from './upload-events.js';
import type { BatchView, EngineStatus, UploadEvents } from './upload-events.js';
import { chunkSizerFor, runnerSettings } from './upload-options.js';
import type { UploadEngineOptions } from './upload-options.js';

export type { UploadEngineOptions } from './upload-options.js';
export { batchCounts, batchTransferId } from './upload-events.js';
export type {
  BatchView,
  EngineStatus,
  PausedBy,
  ReplanRequest,
  UploadActivity,
  UploadEvents,
  UploadProgress,
} from './upload-events.js';

export class UploadEngine {
  readonly events = new EventBus<UploadEvents>();
  readonly batches: UploadBatchRepo;
  private readonly journal: EngineJournal;
  private readonly uploads: UploadRepo;
  private readonly requests: RequestRepo;
  private readonly discards: DiscardRepo;
  /** This journal's agent id (claim names of its tasks; README.md § Several agents, one CVAT). */
  readonly agentId: string;
  private readonly activityLog: ActivityRepo;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly runnerBase: Omit<RunnerDeps, 'api' | 'selfId' | 'hooks'>;
  private readonly lane: Lane<number>;
  private readonly janitor: DiscardJanitor;
  private readonly selfIds = new SelfIdCache();

  private api: CvatApi | null;
  private readonly pausedFolders: Set<number>;

  constructor(opts: UploadEngineOptions) {
    this.clock = opts.clock;
    this.logger = opts.logger ?? silentLogger;
    this.api = opts.api;
    this.journal = opts.journal;
    this.batches = opts.journal.batches;
    this.uploads = opts.journal.uploads;
    this.requests = opts.journal.requests;
    this.discards = opts.journal.discards;
    this.agentId = opts.journal.agentId();
    this.activityLog = opts.journal.activity;
    this.pausedFolders = new Set(opts.pausedFolders ?? []);
    this.runnerBase = {
      journal: this.journal,
      batches: this.batches,
      uploads: this.uploads,
      requests: this.requests,
      discards: this.discards,
      claims: opts.journal.claims,
      agentId: this.agentId,
      activity: this.activityLog,
      clock: this.clock,
      fs: opts.fs ?? nodeFileSystem,
      throttle: opts.throttle,
      settings: runnerSettings(opts),
      chunkSizer: chunkSizerFor(opts),
    };
    const queue = opts.queue ?? new JobQueue(opts.clock);
    this.lane = queue.lane(this.jobSource(), {
      concurrency: opts.concurrency ?? 2,
      pollMs: opts.pollMs ?? 2_000,
      backoff: opts.backoff ?? DEFAULT_BACKOFF,
      random: opts.random,
      paused: opts.paused ?? false,
    });
    this.janitor = new DiscardJanitor({
      discards: this.discards,
      clock: this.clock,
      retryDelay: (attempt, retryAfterMs) => this.lane.retryDelay(attempt, retryAfterMs),
      hold: (error) => this.lane.hold(error),
      wake: () => this.lane.wake(),
      deleted: (row) =>
        this.activityLog.add({
          at: this.clock.now(),
          level: 'info',
          ...deletedEntry(row),
          taskId: row.taskId,
          transferId: row.batchId === null ? null : batchTransferId(row.batchId),
        }),
    });
  }

  /** Starts taking work from the journal. */
  start(): void {
    this.lane.start();
  }

  /** Stops taking work, aborts in-flight requests and waits until every runner has let go. */
  async stop(): Promise<void> {
    this.janitor.abort();
    await Promise.all([this.lane.stop(), this.janitor.stop()]);
  }

  /** New credentials (or none). Clears an authentication pause. */
  setApi(api: CvatApi | null): void {
    if (api !== this.api) void this.lane.interruptWhere(() => true, 'stop');
    this.api = api;
    if (this.lane.release()) this.emitStatus();
    this.lane.wake();
  }

  pauseAll(): void {
    void this.lane.pause();
    this.emitStatus();
  }

  resumeAll(): void {
    this.lane.resume();
    this.emitStatus();
  }

  pauseFolder(folderId: number): void {
    this.pausedFolders.add(folderId);
    void this.lane.interruptWhere((id) => this.batches.get(id)?.folderId === folderId, 'pause');
    this.emitStatus();
  }

  resumeFolder(folderId: number): void {
    this.pausedFolders.delete(folderId);
    this.emitStatus();
    this.lane.wake();
  }

  pauseBatch(batchId: number): boolean {
    if (!this.batches.setPaused(batchId, true)) return false;
    void this.lane.interrupt(batchId, 'pause');
    this.emitBatch(batchId);
    return true;
  }

  resumeBatch(batchId: number): boolean {
    if (!this.batches.setPaused(batchId, false)) return false;
    this.emitBatch(batchId);
    this.lane.wake();
    return true;
  }

  /**
   * Cancels a batch that is not processing or done: its runner stops, and the task it created
   * (if any) is deleted. False when the batch can no longer be cancelled.
   */
  cancelBatch(batchId: number): boolean {
    if (!this.batches.requestCancel(batchId)) return false;
    void this.lane.interrupt(batchId, 'cancel');
    this.emitBatch(batchId);
    this.lane.wake();
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
      this.lane.wake();
    }
    return ok;
  }

  setConcurrency(n: number): void {
    this.lane.setConcurrency(n);
    this.emitStatus();
  }

  status(): EngineStatus {
    return {
      paused: this.lane.paused,
      pausedFolders: [...this.pausedFolders].sort((a, b) => a - b),
      authError: this.lane.heldBy(),
      active: this.lane.runningCount,
      concurrency: this.lane.concurrency,
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
    this.lane.wake();
  }

  /** Resolves when nothing can run now: no runner busy, no retry pending, no task left to delete. */
  idle(): Promise<void> {
    return this.lane.idle();
  }

  // ---- the lane's job source

  private jobSource(): JobSource<number> {
    return {
      operation: 'upload',
      ready: () => this.api !== null,
      due: (now) =>
        this.candidates()
          .filter((b) => b.nextAttemptAt === null || b.nextAttemptAt <= now)
          .map((b) => b.id),
      nextDueAt: (now) => {
        let next: number | null = null;
        for (const b of this.candidates())
          if (b.nextAttemptAt !== null && b.nextAttemptAt > now)
            next = Math.min(next ?? b.nextAttemptAt, b.nextAttemptAt);
        const janitorAt = this.janitor.notBefore;
        if (janitorAt > now) next = Math.min(next ?? janitorAt, janitorAt);
        return next;
      },
      pending: () =>
        this.janitor.busy ||
        (this.api !== null && this.janitor.discardsHere(this.api).length > 0) ||
        this.candidates().length > 0,
      // A cancel is carried out while everything is paused (its candidate filter says so).
      runsWhilePaused: (id) => this.batches.get(id)?.cancelRequested ?? false,
      claim: (id) => this.claim(id),
      run: (id, job) => this.runnerFor(id, job.signal).run(),
      failed: (id, err) => this.onRunnerError(id, err),
      changed: (id) => {
        this.emitBatch(id);
        this.emitStatus();
      },
      held: (err) => this.onHold(errorInfo(err)),
      tick: (now) => {
        if (this.api !== null)
          this.janitor.maybeRun(this.api, now, (id) => this.lane.isRunning(id));
      },
    };
  }

  /** Batches that may run when their time comes, oldest first. */
  private candidates(): UploadBatch[] {
    const q = this.queueState();
    return this.batches.list({ states: [...CANDIDATE_STATES] }).filter((b) => isCandidate(b, q));
  }

  private queueState(): QueueState {
    return {
      api: this.api,
      pausedAll: this.lane.paused,
      pausedFolders: this.pausedFolders,
      held: this.lane.heldBy() !== null,
    };
  }

  private claim(batchId: number): boolean {
    const api = this.api;
    const b = this.batches.get(batchId);
    if (api === null || !b) return false;
    // Bound before its first request: from now on it runs on this server only.
    if (b.server === '') this.batches.bindServer(b.id, api.server);
    return true;
  }

  private runnerFor(batchId: number, signal: AbortSignal): BatchRunner {
    const api = this.api;
    if (api === null) throw new Error('no server to upload to');
    return new BatchRunner(this.runnerDeps(api), batchId, signal);
  }

  private onRunnerError(batchId: number, err: SyncError): void {
    const info = errorInfo(err);
    const b = this.batches.get(batchId);
    // Nothing to record on a batch that reached an end (the error came after its last step).
    if (!b || isTerminal(b.state)) return;
    this.logger.warn('batch attempt failed', {
      batchId,
      state: b.state,
      code: info.code,
      message: info.message,
    });
    if (err.kind === 'transient') {
      const delay = this.lane.retryDelay(b.attempts + 1, err.retryAfterMs);
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

  private onHold(error: ErrorInfo): void {
    this.janitor.abort();
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

  // ---- plumbing

  private runnerDeps(api: CvatApi): RunnerDeps {
    return {
      ...this.runnerBase,
      api,
      selfId: () => this.selfIds.get(api),
      hooks: {
        progress: (b, bytesDone, filesDone) =>
          this.events.emit('progress', { batchId: b.id, ...batchCounts(b, bytesDone, filesDone) }),
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

  private view(b: UploadBatch): BatchView {
    return {
      ...b,
      active: this.lane.isRunning(b.id),
      pausedBy: isTerminal(b.state) ? null : pausedBy(b, this.queueState()),
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
