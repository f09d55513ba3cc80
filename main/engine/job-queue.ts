// The one scheduler of the engine's journaled work: upload batches and results transfers each
// are a lane of a JobQueue. The queue owns what both need and must agree on:
//   - one wake loop: it sleeps until the next job is due (or a lane's poll interval) and wake()
//     cuts the sleep short (new work, a finished job, a changed setting);
//   - a concurrency cap per lane;
//   - the fatal hold: a fatal error (the server rejects our credentials) stops every lane until
//     release() (new credentials), since every request would be refused the same way;
//   - the retry delay of transient failures (backoff with jitter, Retry-After honoured);
//   - pause of a whole lane, and interruption of running jobs with a reason.
// What a job is, where it is recorded and when it is due stay with the lane's JobSource: the
// queue keeps nothing across restarts; the journal does.
import type { Clock } from '../core/clock.js';
import { errorInfo, toSyncError } from '../core/errors.js';
import type { ErrorInfo, SyncError } from '../core/errors.js';
import { retryDelay } from '../core/retry.js';
import type { BackoffPolicy } from '../core/retry.js';

/**
 * Why a running job was interrupted. The queue's own: 'stop' (its lane stopped), 'hold' (a fatal
 * error), 'pause-all' (its lane was paused); a source may use its own (e.g. 'cancel').
 */
export type InterruptReason = string;

export interface RunningJob {
  readonly signal: AbortSignal;
  /** Why it was interrupted; null while nobody interrupted it. */
  readonly reason: InterruptReason | null;
}

/** Where a lane's jobs come from and what happens to them; keys identify jobs (row ids). */
export interface JobSource<K> {
  /** Names a job's failure when the error does not say what it was doing (none: its message alone). */
  readonly operation?: string;
  /** False while no job can run at all (e.g. signed out). */
  ready(): boolean;
  /** Jobs that may start at `now`, in order (at most `limit`; running ones are skipped). */
  due(now: number, limit: number): K[];
  /** When a job not due at `now` becomes due (a retry, a spaced restart), or null. */
  nextDueAt(now: number): number | null;
  /** Whether work remains that idle() must wait for (due or not). */
  pending(): boolean;
  /** A job that runs even while the lane is paused (e.g. a cancellation). */
  runsWhilePaused?(key: K): boolean;
  /** Takes the job for this process (compare-and-set in the journal); false: leave it. */
  claim?(key: K): boolean;
  run(key: K, job: RunningJob): Promise<void>;
  /** The job threw a transient or item error, not because it was interrupted. */
  failed(key: K, error: SyncError, job: RunningJob): void;
  /** The job ended after being interrupted (whatever it threw then is no failure). */
  interrupted?(key: K, reason: InterruptReason): void;
  /** A job started or settled: its running flag changed. */
  changed?(key: K): void;
  /** The queue went on hold; `key` is this lane's job that caused it, else null. */
  held?(error: SyncError, key: K | null): void;
  /** Called on every round of the loop while the lane may run (side chores). */
  tick?(now: number): void;
}

export interface LaneOptions {
  /** Jobs running at once (at least 1). */
  concurrency: number;
  /** Longest sleep between two looks at the source when nobody calls wake(). */
  pollMs: number;
  backoff: BackoffPolicy;
  /** In [0,1): backoff jitter. */
  random: () => number;
  paused?: boolean;
}

interface ActiveJob extends RunningJob {
  controller: AbortController;
  reason: InterruptReason | null;
  done: Promise<void>;
}

export class JobQueue {
  private readonly lanes: Lane<unknown>[] = [];
  private heldError: SyncError | null = null;
  private loopDone: Promise<void> | null = null;
  private wakeController: AbortController | null = null;

  constructor(readonly clock: Clock) {}

  /** Adds a lane; it takes work once started. */
  lane<K>(source: JobSource<K>, options: LaneOptions): Lane<K> {
    const lane = new Lane<K>(this, source, options);
    this.lanes.push(lane as Lane<unknown>);
    return lane;
  }

  /** Look for work now. */
  wake(): void {
    this.wakeController?.abort();
  }

  /** The error holding every lane, as shown to the user; null when not held. */
  heldBy(): ErrorInfo | null {
    return this.heldError === null ? null : errorInfo(this.heldError);
  }

  /**
   * Holds every lane: running jobs are interrupted ('hold') and nothing starts until release().
   * `cause` is the job whose error it was (already settled). A second hold keeps the first error.
   */
  hold(error: SyncError, cause: { lane: Lane<unknown>; key: unknown } | null = null): void {
    if (this.heldError !== null) return;
    this.heldError = error;
    for (const lane of this.lanes) lane.interruptAllExcept(cause?.lane === lane ? cause.key : null);
    for (const lane of this.lanes) lane.notifyHeld(error, cause?.lane === lane ? cause.key : null);
  }

  /** Lifts the hold (new credentials, or the user says so). True when it was held. */
  release(): boolean {
    const was = this.heldError !== null;
    this.heldError = null;
    this.wake();
    return was;
  }

  get held(): boolean {
    return this.heldError !== null;
  }

  /** @internal A lane started: make sure the loop runs. */
  ensureLoop(): void {
    if (this.loopDone === null) this.loopDone = this.loop();
    else this.wake();
  }

  /** @internal Resolves once the loop ended, when no lane is started any more. */
  async loopStopped(): Promise<void> {
    if (this.lanes.some((l) => l.started)) return;
    this.wake();
    await this.loopDone;
    this.loopDone = null;
  }

  private async loop(): Promise<void> {
    while (this.lanes.some((l) => l.started)) {
      // One reading of the clock for both decisions: a job due at exactly `now` is either
      // launched here or waits for a running job to finish (which wakes), never forgotten.
      const now = this.clock.now();
      let wait = Number.POSITIVE_INFINITY;
      for (const lane of this.lanes) {
        if (!lane.started) continue;
        lane.fill(now);
        wait = Math.min(wait, lane.waitFrom(now));
        lane.resolveIdle();
      }
      const controller = new AbortController();
      this.wakeController = controller;
      try {
        await this.clock.sleep(Math.max(1, wait), controller.signal);
      } catch {
        // woken early
      }
    }
  }
}

/** One kind of job in a JobQueue: its running jobs, its cap and its pause. */
export class Lane<K> {
  started = false;
  private readonly running = new Map<K, ActiveJob>();
  private concurrencyCap: number;
  private pausedAll: boolean;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly queue: JobQueue,
    private readonly source: JobSource<K>,
    private readonly options: LaneOptions,
  ) {
    this.concurrencyCap = Math.max(1, Math.floor(options.concurrency));
    this.pausedAll = options.paused ?? false;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.queue.ensureLoop();
  }

  /** Stops taking work, interrupts running jobs ('stop') and waits until each has let go. */
  async stop(): Promise<void> {
    this.started = false;
    await this.interruptWhere(() => true, 'stop');
    await this.queue.loopStopped();
    this.resolveIdle();
  }

  wake(): void {
    this.queue.wake();
  }

  get concurrency(): number {
    return this.concurrencyCap;
  }

  setConcurrency(n: number): void {
    this.concurrencyCap = Math.max(1, Math.floor(n));
    this.wake();
  }

  get paused(): boolean {
    return this.pausedAll;
  }

  /** Holds the lane: running jobs are interrupted ('pause-all'); resume() lets them continue. */
  pause(): Promise<void> {
    this.pausedAll = true;
    return this.interruptWhere(() => true, 'pause-all');
  }

  resume(): void {
    this.pausedAll = false;
    this.wake();
  }

  /** See JobQueue.hold: for errors met outside a job (e.g. a side chore). */
  hold(error: SyncError): void {
    this.queue.hold(error);
  }

  heldBy(): ErrorInfo | null {
    return this.queue.heldBy();
  }

  release(): boolean {
    return this.queue.release();
  }

  /** The delay before retry number `attempt` (1 = first retry) of a transient failure. */
  retryDelay(attempt: number, retryAfterMs?: number): number {
    return retryDelay(attempt, this.options.backoff, this.options.random, retryAfterMs);
  }

  get backoff(): BackoffPolicy {
    return this.options.backoff;
  }

  isRunning(key: K): boolean {
    return this.running.has(key);
  }

  get runningCount(): number {
    return this.running.size;
  }

  runningKeys(): K[] {
    return [...this.running.keys()];
  }

  /** Interrupts one running job and waits until it has let go (at once when it is not running). */
  async interrupt(key: K, reason: InterruptReason): Promise<void> {
    const job = this.running.get(key);
    if (!job) return;
    if (job.reason === null) job.reason = reason;
    job.controller.abort();
    await job.done;
  }

  async interruptWhere(match: (key: K) => boolean, reason: InterruptReason): Promise<void> {
    await Promise.all(
      this.runningKeys()
        .filter(match)
        .map((k) => this.interrupt(k, reason)),
    );
  }

  /** Resolves when nothing can run now: no job running, none due or waiting for its retry. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---- called by the queue

  /** @internal */
  fill(now: number): void {
    if (!this.started || this.queue.held || !this.source.ready()) return;
    for (const key of this.source.due(now, this.concurrencyCap)) {
      if (this.running.size >= this.concurrencyCap) break;
      if (this.running.has(key)) continue;
      if (this.pausedAll && !(this.source.runsWhilePaused?.(key) ?? false)) continue;
      this.launch(key);
    }
    this.source.tick?.(now);
  }

  /** @internal How long the loop may sleep, from `now`, as far as this lane is concerned. */
  waitFrom(now: number): number {
    const next = this.source.nextDueAt(now);
    return next !== null && next > now
      ? Math.min(next - now, this.options.pollMs)
      : this.options.pollMs;
  }

  /** @internal */
  resolveIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** @internal */
  interruptAllExcept(cause: unknown): void {
    for (const [key, job] of this.running) {
      if (key === cause) continue;
      if (job.reason === null) job.reason = 'hold';
      job.controller.abort();
    }
  }

  /** @internal */
  notifyHeld(error: SyncError, cause: unknown): void {
    this.source.held?.(error, cause === null ? null : (cause as K));
  }

  private isIdle(): boolean {
    if (this.running.size > 0) return false;
    if (!this.started || this.queue.held || !this.source.ready()) return true;
    return !this.source.pending();
  }

  private launch(key: K): void {
    if (this.source.claim && !this.source.claim(key)) return;
    const controller = new AbortController();
    const job: ActiveJob = {
      controller,
      signal: controller.signal,
      reason: null,
      done: Promise.resolve(),
    };
    this.running.set(key, job);
    job.done = this.runJob(key, job);
    this.source.changed?.(key);
  }

  private async runJob(key: K, job: ActiveJob): Promise<void> {
    try {
      await this.source.run(key, job);
    } catch (e) {
      this.settleError(key, e, job);
    } finally {
      this.running.delete(key);
      this.source.changed?.(key);
      this.wake();
    }
  }

  private settleError(key: K, e: unknown, job: ActiveJob): void {
    // Paused, cancelled, stopped or held: whatever the abort made the job throw is no failure.
    if (job.signal.aborted) {
      this.source.interrupted?.(key, job.reason ?? 'stop');
      return;
    }
    const error = toSyncError(e, this.source.operation);
    if (error.kind === 'fatal') {
      this.queue.hold(error, { lane: this as Lane<unknown>, key });
      return;
    }
    this.source.failed(key, error, job);
  }
}
