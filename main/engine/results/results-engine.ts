// Results out and imports, as a journaled queue: exports and backups downloaded to disk, backup
// restores and annotation imports. Each transfer is a row in `transfers`; a job continues from
// the row's fields after a crash, pause or stop. Errors follow the taxonomy: item errors fail
// the transfer with the server's message, transient ones retry with backoff, fatal ones hold
// the queue until new credentials arrive (setApi) or resumeQueue(). The scheduling itself
// (wake loop, cap, hold, retry delay) is a lane of the engine's JobQueue (engine/job-queue.ts).
import type { Transfer } from '../../model/index.js';
import type { ErrorInfo } from '../../core/errors.js';
import { SyncError, errorInfo } from '../../core/errors.js';
import { EventBus } from '../../core/event-bus.js';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import type { CvatApi } from '../../cvat/api.js';
import type { ActivityLevel } from '../../journal/activity-repo.js';
import type { ActivityRepo } from '../../journal/activity-repo.js';
import type {
  ResultsState,
  TransferFilter,
  TransferPatch,
  TransferRow,
} from '../../journal/download-repo.js';
import { FINAL_STATES, RUNNING_STATES } from '../../journal/download-repo.js';
import type { TransferRepo } from '../../journal/download-repo.js';
import { JobQueue } from '../job-queue.js';
import type { InterruptReason, JobSource, Lane, RunningJob } from '../job-queue.js';
import { AutoExporter } from './auto-exporter.js';
import { runDownloadJob } from './download-job.js';
import { runImportJob } from './import-job.js';
import type { FileSystem } from '../../fs/file-system.js';
import { nodeFileSystem } from '../../fs/node-file-system.js';
import { removePart } from './part-file.js';
import { doneMessage, firstState, jobContext } from './transfer-job.js';
import type { LiveTransfer } from './transfer-job.js';
import { exportTransfer, importTransfer, restoreTransfer } from './transfer-requests.js';
import type {
  BackupRequest,
  ExportDatasetRequest,
  ExportOrigin,
  ExportRequest,
  ImportAnnotationsRequest,
  RestoreRequest,
  TransferFields,
} from './transfer-requests.js';
import { titleOf, toContractTransfer } from './transfer-view.js';
import { RESULTS_BACKOFF } from './results-options.js';
import type { ResultsEngineOptions, ResultsEvents } from './results-options.js';

export type { ResultsEngineOptions, ResultsEvents } from './results-options.js';

export type {
  BackupRequest,
  ExportDatasetRequest,
  ExportOrigin,
  ImportAnnotationsRequest,
  RestoreRequest,
} from './transfer-requests.js';

/** Why a single transfer is interrupted: its state is then set by pause() or cancel(). */
type TransferStop = 'pause' | 'cancel';

const IDLE_WAKE_MS = 60_000;
const LIVE_STATES: readonly ResultsState[] = ['queued', ...RUNNING_STATES];

export class ResultsEngine {
  readonly events = new EventBus<ResultsEvents>();
  readonly autoExport: AutoExporter;
  private readonly repo: TransferRepo;
  private readonly activity: ActivityRepo;
  private readonly logger: Logger;
  private readonly fs: FileSystem;
  private api: CvatApi | null;
  private readonly lane: Lane<string>;
  /** Running transfers' speed and progress bookkeeping, by id. */
  private readonly live = new Map<string, LiveTransfer>();
  private idSeq = 0;

  constructor(private readonly options: ResultsEngineOptions) {
    this.repo = options.journal.transfers;
    this.activity = options.journal.activity;
    this.logger = options.logger ?? silentLogger;
    this.fs = options.fs ?? nodeFileSystem;
    this.api = options.api;
    const queue = options.queue ?? new JobQueue(options.clock);
    this.lane = queue.lane(this.jobSource(), {
      concurrency: options.concurrency ?? 2,
      pollMs: IDLE_WAKE_MS,
      backoff: options.backoff ?? RESULTS_BACKOFF,
      random: options.random,
    });
    this.autoExport = new AutoExporter({
      db: options.journal.db,
      repo: options.journal.autoExports,
      clock: options.clock,
      logger: this.logger,
      api: () => this.api,
      enqueue: (req, origin) => this.enqueueExport(req, origin),
      folders: options.folderAutoExports ?? (() => []),
      intervalMs: options.autoExportIntervalMs ?? 60_000,
    });
  }

  // -- commands ---------------------------------------------------------------------------

  /** Queues a dataset (or annotations-only) export of a task, project or job. */
  exportDataset(req: ExportDatasetRequest): TransferRow {
    return this.enqueueExport(req, { origin: 'user' });
  }

  /** Queues a backup of a task or project. */
  backup(req: BackupRequest): TransferRow {
    return this.enqueueExport({ ...req, format: null }, { origin: 'user' });
  }

  /** Queues a restore: the backup file becomes a new task (its id is the row's resultId). */
  restore(req: RestoreRequest): TransferRow {
    return this.insert(restoreTransfer(req));
  }

  /** Queues an annotation import into a task. */
  importAnnotations(req: ImportAnnotationsRequest): TransferRow {
    return this.insert(importTransfer(req));
  }

  /** Retries a failed or cancelled transfer now, or a waiting one without waiting. */
  retry(id: string): TransferRow {
    const row = this.require(id);
    if (!['failed', 'cancelled', 'queued'].includes(row.state)) return row;
    const patch: TransferPatch = {
      state: 'queued',
      error: null,
      attempts: 0,
      rerequests: 0,
      nextAttemptAt: null,
    };
    if (row.kind === 'download') {
      // A failed request is failed for good; a result URL may still serve (404 → re-request).
      if (row.resultUrl === null) patch.rqId = null;
      if (row.state === 'cancelled') patch.partPath = null;
    } else if (row.rqId !== null) {
      // The upload finished but the server's processing failed: send the file again.
      patch.rqId = null;
      patch.tusLocation = null;
    }
    const updated = this.change(id, patch, ['failed', 'cancelled', 'queued']) ?? row;
    this.lane.wake();
    return updated;
  }

  /** Stops a transfer for good; its .part file (ours, incomplete) is removed. */
  async cancel(id: string): Promise<TransferRow> {
    await this.lane.interrupt(id, 'cancel' satisfies TransferStop);
    const row = this.change(id, { state: 'cancelled', nextAttemptAt: null }, [
      ...LIVE_STATES,
      'paused',
    ]);
    if (!row) return this.require(id);
    if (row.partPath !== null && row.finalPath === null)
      await removePart(this.fs, row.partPath).catch(() => undefined);
    return row;
  }

  /** Holds a transfer where it is; resume() continues it (Range, TUS offset, request id). */
  async pause(id: string): Promise<TransferRow> {
    await this.lane.interrupt(id, 'pause' satisfies TransferStop);
    return this.change(id, { state: 'paused' }, LIVE_STATES) ?? this.require(id);
  }

  resume(id: string): TransferRow {
    const row =
      this.change(id, { state: 'queued', nextAttemptAt: null }, ['paused']) ?? this.require(id);
    this.lane.wake();
    return row;
  }

  /** Holds or releases the whole queue (running transfers go back to queued and continue later). */
  async setPaused(paused: boolean): Promise<void> {
    if (paused) await this.lane.pause();
    else this.lane.resume();
  }

  /** New credentials or server (null when signed out): running jobs restart with it. */
  async setApi(api: CvatApi | null): Promise<void> {
    await this.lane.interruptWhere(() => true, 'stop');
    this.api = api;
    this.lane.release();
  }

  /** Releases a queue held by a fatal error without changing the credentials. */
  resumeQueue(): void {
    this.lane.release();
  }

  // -- queries ------------------------------------------------------------------------------

  get(id: string): TransferRow | null {
    return this.repo.get(id);
  }

  list(filter: TransferFilter = {}): TransferRow[] {
    return this.repo.list(filter);
  }

  /** The row as the UI contract's Transfer, with the live speed of a running job. */
  view(row: TransferRow): Transfer {
    return toContractTransfer(row, this.options.clock.now(), this.live.get(row.id)?.speedBps ?? 0);
  }

  /** The error holding the queue, if any. */
  blockedBy(): ErrorInfo | null {
    return this.lane.heldBy();
  }

  /** Resolves once the transfer is done, failed, cancelled or paused. */
  waitFor(id: string): Promise<TransferRow> {
    return new Promise((resolve) => {
      const settled = (r: TransferRow): boolean =>
        FINAL_STATES.includes(r.state) || r.state === 'paused';
      const off = this.events.on('transfer', (r) => {
        if (r.id === id && settled(r)) {
          off();
          resolve(r);
        }
      });
      const now = this.require(id);
      if (settled(now)) {
        off();
        resolve(now);
      }
    });
  }

  // -- lifecycle ----------------------------------------------------------------------------

  /** Starts the queue and the auto-export checks. Transfers cut short by a crash continue. */
  start(): void {
    if (this.lane.started) return;
    for (const row of this.repo.list({ states: [...RUNNING_STATES], limit: 10_000 })) {
      if (!this.lane.isRunning(row.id)) this.change(row.id, { state: 'queued' }, RUNNING_STATES);
    }
    this.lane.start();
    this.autoExport.start();
  }

  /** Stops taking work; running transfers are interrupted and stay queued in the journal. */
  async stop(): Promise<void> {
    await this.autoExport.stop();
    await this.lane.stop();
  }

  // -- internals ----------------------------------------------------------------------------

  /** Used by the auto-exporter too (inside its transaction). */
  private enqueueExport(req: ExportRequest, origin: ExportOrigin): TransferRow {
    return this.insert(exportTransfer(req, origin, this.options.downloadsDir));
  }

  private insert(t: TransferFields): TransferRow {
    const row = this.repo.insert({ ...t, id: this.newId(), createdAt: this.options.clock.now() });
    this.events.emit('transfer', row);
    this.lane.wake();
    return row;
  }

  private newId(): string {
    for (;;) {
      let tail = '';
      for (let i = 0; i < 6; i++) tail += Math.floor(this.options.random() * 36).toString(36);
      this.idSeq += 1;
      const id = `r-${this.options.clock.now().toString(36)}-${this.idSeq.toString(36)}${tail}`;
      if (this.repo.get(id) === null) return id;
    }
  }

  private require(id: string): TransferRow {
    const row = this.repo.get(id);
    if (!row)
      throw new SyncError(`No transfer ${id}`, {
        code: 'not-found',
        kind: 'item',
        operation: 'find transfer',
      });
    return row;
  }

  private change(
    id: string,
    patch: TransferPatch,
    expected?: readonly ResultsState[],
  ): TransferRow | null {
    const row = this.repo.update(id, patch, this.options.clock.now(), expected);
    if (row) this.events.emit('transfer', row);
    return row;
  }

  private jobSource(): JobSource<string> {
    return {
      ready: () => this.api !== null,
      due: (now, limit) => this.repo.due(now, limit).map((r) => r.id),
      nextDueAt: () => this.repo.nextDueAt(),
      pending: () => this.repo.nextDueAt() !== null,
      // Claim the row (compare-and-set from queued) so that no other engine on this journal
      // runs it too; the job continues from its fields whatever state it names.
      claim: (id) => {
        const queued = this.repo.get(id);
        return (
          queued !== null && this.change(id, { state: firstState(queued) }, ['queued']) !== null
        );
      },
      run: (id, job) => this.runJob(id, job),
      failed: (id, err) => this.failed(id, err),
      interrupted: (id, reason) => this.interrupted(id, reason),
      held: (err, id) => {
        if (id === null) return;
        this.live.delete(id);
        const row = this.change(id, { state: 'queued', error: errorInfo(err) }, LIVE_STATES);
        if (row) this.log('error', `Transfers are on hold: ${err.message}`, row, err.hint);
      },
    };
  }

  private async runJob(id: string, job: RunningJob): Promise<void> {
    const api = this.api;
    const row = this.repo.get(id);
    if (api === null || row === null) return;
    const live: LiveTransfer = { speedBps: 0, lastPersistAt: 0, progressed: false };
    this.live.set(id, live);
    const ctx = jobContext(api, job.signal, live, {
      clock: this.options.clock,
      throttle: this.options.throttle,
      fs: this.fs,
      chunkSize: this.options.chunkSize ?? 16 * 1024 * 1024,
      maxRerequests: this.options.maxRerequests ?? 3,
      poll: this.options.poll ?? {},
      change: (patch) => this.change(id, patch, LIVE_STATES),
      publish: (r) => this.events.emit('transfer', r),
      current: () => this.repo.get(id),
      partsInUse: () => this.repo.partPathsInUse(),
      tag: () => this.newId(),
    });
    const final =
      row.kind === 'download' ? await runDownloadJob(ctx, row) : await runImportJob(ctx, row);
    // On a throw the bookkeeping stays until failed() or interrupted() has read it.
    this.live.delete(id);
    const done = this.change(id, { state: 'done', error: null, nextAttemptAt: null }, LIVE_STATES);
    if (done) this.log('info', doneMessage(final), final);
  }

  /** pause() and cancel() set the state themselves; any other interruption queues it again. */
  private interrupted(id: string, reason: InterruptReason): void {
    this.live.delete(id);
    if (reason === 'pause' || reason === 'cancel') return;
    this.change(id, { state: 'queued' }, RUNNING_STATES);
  }

  private failed(id: string, err: SyncError): void {
    const progressed = this.live.get(id)?.progressed ?? false;
    this.live.delete(id);
    const row = this.repo.get(id);
    if (!row) return;
    const info = errorInfo(err);
    // A download that moved forward before breaking starts a fresh count of attempts.
    const attempts = (progressed ? 0 : row.attempts) + 1;
    if (err.kind === 'transient' && attempts < this.lane.backoff.maxAttempts) {
      const delay = this.lane.retryDelay(attempts, err.retryAfterMs);
      this.change(
        id,
        { state: 'queued', error: info, attempts, nextAttemptAt: this.options.clock.now() + delay },
        LIVE_STATES,
      );
      this.logger.warn('results transfer will retry', { id, error: err.message, delayMs: delay });
      return;
    }
    const failed = this.change(
      id,
      { state: 'failed', error: info, attempts, nextAttemptAt: null },
      LIVE_STATES,
    );
    if (failed) this.log('error', `${titleOf(failed)} failed: ${err.message}`, failed, err.hint);
  }

  private log(level: ActivityLevel, message: string, row: TransferRow, hint?: string): void {
    const entry = this.activity.add({
      at: this.options.clock.now(),
      level,
      kind: row.kind === 'download' ? 'export' : row.kind,
      message,
      hint: hint ?? null,
      folderId: row.folderId,
      taskId:
        row.kind === 'restore' ? row.resultId : row.targetKind === 'task' ? row.targetId : null,
      transferId: row.id,
    });
    this.events.emit('activity', entry);
  }
}
