// Results out and imports, as a journaled queue: exports and backups downloaded to disk, backup
// restores and annotation imports. Each transfer is a row in `transfers`; a job continues from
// the row's fields after a crash, pause or stop. Errors follow the taxonomy: item errors fail
// the transfer with the server's message, transient ones retry with backoff, fatal ones hold
// the queue until new credentials arrive (setApi) or resumeQueue().
import { isAbsolute } from 'node:path';
import type { Transfer } from '../../../preload/contract.js';
import type { Clock } from '../../core/clock.js';
import type { ErrorInfo } from '../../core/errors.js';
import { SyncError, errorInfo, toSyncError } from '../../core/errors.js';
import { EventBus } from '../../core/event-bus.js';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import type { BackoffPolicy } from '../../core/retry.js';
import { retryDelay } from '../../core/retry.js';
import type { CvatApi, Throttle } from '../../cvat/api.js';
import type { ActivityLevel, ActivityRow } from '../../journal/activity-repo.js';
import { ActivityRepo } from '../../journal/activity-repo.js';
import { AutoExportRepo } from '../../journal/auto-export-repo.js';
import type { Db } from '../../journal/database.js';
import type {
  NewTransfer,
  ResultsState,
  TransferFilter,
  TransferPatch,
  TransferRow,
} from '../../journal/download-repo.js';
import { FINAL_STATES, RUNNING_STATES, TransferRepo } from '../../journal/download-repo.js';
import type { FolderAutoExport } from './auto-exporter.js';
import { AutoExporter } from './auto-exporter.js';
import { runDownloadJob } from './download-job.js';
import { runImportJob } from './import-job.js';
import type { JobContext } from './job-context.js';
import type { FileSystem } from '../../fs/file-system.js';
import { nodeFileSystem } from '../../fs/node-file-system.js';
import { removePart } from './part-file.js';
import { titleOf, toContractTransfer } from './transfer-view.js';

export type ResultsEvents = {
  /** A transfer row changed (state, progress, error). */
  transfer: TransferRow;
  /** An entry was added to the activity log. */
  activity: ActivityRow;
};

export interface ResultsEngineOptions {
  db: Db;
  api: CvatApi | null;
  clock: Clock;
  /** [0,1): backoff jitter and temp names. */
  random: () => number;
  logger?: Logger;
  /** Shared bandwidth limit (the upload engine's token bucket). */
  throttle?: Throttle;
  /** Where exports go when the request names no destination. */
  downloadsDir: string;
  /** Transfers running at once (default 2). */
  concurrency?: number;
  /** TUS chunk size for restores and imports (default 16 MiB). */
  chunkSize?: number;
  /** Retries of transient failures (network, 5xx, interrupted downloads). */
  backoff?: BackoffPolicy;
  /** Re-requests of an expired export before giving up (default 3). */
  maxRerequests?: number;
  /** Passed to CvatApi.waitForRequest. */
  poll?: { minDelayMs?: number; maxDelayMs?: number };
  /** The disk results are written to and imports read from (default: the real one). */
  fs?: FileSystem;
  /** Sync folders with an auto-export rule, from the folders table and their batches' task ids. */
  folderAutoExports?: () => FolderAutoExport[];
  /** How often auto-export rules are checked (default 60 s). */
  autoExportIntervalMs?: number;
}

export interface ExportDatasetRequest {
  target: { kind: 'task' | 'project' | 'job'; id: number };
  format: string;
  withImages: boolean;
  /** Folder to save into; the downloads folder when null. */
  destination?: string | null;
  /** Also unpack the archive into a folder next to it. */
  extract?: boolean;
}

export interface BackupRequest {
  target: { kind: 'task' | 'project'; id: number };
  destination?: string | null;
  extract?: boolean;
}

export interface RestoreRequest {
  path: string;
  projectId?: number | null;
}

export interface ImportAnnotationsRequest {
  taskId: number;
  path: string;
  format: string;
  mode: 'replace' | 'append';
}

/** Who asked for an export: the user, or an auto-export scope (with its sync folder). */
export interface ExportOrigin {
  origin: string;
  folderId?: number | null;
}

type StopReason = 'pause' | 'cancel' | 'stop';

interface ActiveJob {
  controller: AbortController;
  reason: StopReason | null;
  done: Promise<void>;
  speedBps: number;
  lastPersistAt: number;
  progressed: boolean;
}

const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 2_000,
  maxMs: 120_000,
  jitter: 0.5,
  maxAttempts: 10,
};
const IDLE_WAKE_MS = 60_000;
const PERSIST_EVERY_MS = 1_000;
const LIVE_STATES: readonly ResultsState[] = ['queued', ...RUNNING_STATES];

export class ResultsEngine {
  readonly events = new EventBus<ResultsEvents>();
  readonly autoExport: AutoExporter;
  private readonly repo: TransferRepo;
  private readonly activity: ActivityRepo;
  private readonly logger: Logger;
  private readonly fs: FileSystem;
  private api: CvatApi | null;
  private readonly active = new Map<string, ActiveJob>();
  private started = false;
  private loop: Promise<void> | null = null;
  private wake: AbortController | null = null;
  /** A fatal error holds the queue until setApi() or resumeQueue(). */
  private blocked: SyncError | null = null;
  private paused = false;
  private idSeq = 0;

  constructor(private readonly options: ResultsEngineOptions) {
    this.repo = new TransferRepo(options.db);
    this.activity = new ActivityRepo(options.db);
    this.logger = options.logger ?? silentLogger;
    this.fs = options.fs ?? nodeFileSystem;
    this.api = options.api;
    this.autoExport = new AutoExporter({
      db: options.db,
      repo: new AutoExportRepo(options.db),
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
    requireAbsolute(req.path, 'The backup file');
    if (req.projectId != null) requireId(req.projectId, 'project');
    return this.insert({
      kind: 'restore',
      subject: 'backup',
      localPath: req.path,
      projectId: req.projectId ?? null,
    });
  }

  /** Queues an annotation import into a task. */
  importAnnotations(req: ImportAnnotationsRequest): TransferRow {
    requireAbsolute(req.path, 'The annotation file');
    requireId(req.taskId, 'task');
    requireFormat(req.format);
    if (req.mode !== 'replace' && req.mode !== 'append')
      throw invalid(`Unknown import mode "${String(req.mode)}"`);
    return this.insert({
      kind: 'import',
      subject: 'annotations',
      localPath: req.path,
      targetKind: 'task',
      targetId: req.taskId,
      format: req.format,
      importMode: req.mode,
    });
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
    this.kick();
    return updated;
  }

  /** Stops a transfer for good; its .part file (ours, incomplete) is removed. */
  async cancel(id: string): Promise<TransferRow> {
    await this.interrupt(id, 'cancel');
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
    await this.interrupt(id, 'pause');
    return this.change(id, { state: 'paused' }, LIVE_STATES) ?? this.require(id);
  }

  resume(id: string): TransferRow {
    const row =
      this.change(id, { state: 'queued', nextAttemptAt: null }, ['paused']) ?? this.require(id);
    this.kick();
    return row;
  }

  /** Holds or releases the whole queue (running transfers go back to queued and continue later). */
  async setPaused(paused: boolean): Promise<void> {
    this.paused = paused;
    if (paused) await this.interruptAll();
    this.kick();
  }

  /** New credentials or server (null when signed out): running jobs restart with it. */
  async setApi(api: CvatApi | null): Promise<void> {
    await this.interruptAll();
    this.api = api;
    this.blocked = null;
    this.kick();
  }

  /** Releases a queue held by a fatal error without changing the credentials. */
  resumeQueue(): void {
    this.blocked = null;
    this.kick();
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
    return toContractTransfer(
      row,
      this.options.clock.now(),
      this.active.get(row.id)?.speedBps ?? 0,
    );
  }

  /** The error holding the queue, if any. */
  blockedBy(): ErrorInfo | null {
    return this.blocked ? errorInfo(this.blocked) : null;
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
    if (this.started) return;
    this.started = true;
    for (const row of this.repo.list({ states: [...RUNNING_STATES], limit: 10_000 })) {
      if (!this.active.has(row.id)) this.change(row.id, { state: 'queued' }, RUNNING_STATES);
    }
    this.loop = this.run();
    this.autoExport.start();
  }

  /** Stops taking work; running transfers are interrupted and stay queued in the journal. */
  async stop(): Promise<void> {
    this.started = false;
    await this.autoExport.stop();
    await this.interruptAll();
    this.kick();
    await this.loop;
    this.loop = null;
  }

  // -- internals ----------------------------------------------------------------------------

  /** Used by the auto-exporter too (inside its transaction). */
  private enqueueExport(
    req: Omit<ExportDatasetRequest, 'format' | 'withImages'> & {
      format: string | null;
      withImages?: boolean;
    },
    origin: ExportOrigin,
  ): TransferRow {
    requireId(req.target.id, req.target.kind);
    if (!['task', 'project', 'job'].includes(req.target.kind))
      throw invalid(`Unknown export target "${String(req.target.kind)}"`);
    const destination = req.destination ?? this.options.downloadsDir;
    requireAbsolute(destination, 'The destination folder');
    const backup = req.format === null;
    if (backup && req.target.kind === 'job')
      throw invalid('Jobs have no backups; back up their task');
    if (!backup) requireFormat(req.format as string);
    return this.insert({
      kind: 'download',
      subject: backup ? 'backup' : 'dataset',
      localPath: destination,
      targetKind: req.target.kind,
      targetId: req.target.id,
      format: req.format,
      withImages: !backup && (req.withImages ?? false),
      extract: req.extract ?? false,
      origin: origin.origin,
      folderId: origin.folderId ?? null,
    });
  }

  private insert(t: Omit<NewTransfer, 'id' | 'createdAt'>): TransferRow {
    const row = this.repo.insert({ ...t, id: this.newId(), createdAt: this.options.clock.now() });
    this.events.emit('transfer', row);
    this.kick();
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

  private kick(): void {
    this.wake?.abort();
  }

  private async run(): Promise<void> {
    while (this.started) {
      // One reading of the clock for both decisions: a row due at exactly `now` is either
      // launched here or waits for a running job to finish (which kicks), never forgotten.
      const now = this.options.clock.now();
      if (this.api !== null && this.blocked === null && !this.paused) this.fill(this.api, now);
      const due = this.repo.nextDueAt();
      const wait = due !== null && due > now ? Math.min(due - now, IDLE_WAKE_MS) : IDLE_WAKE_MS;
      this.wake = new AbortController();
      try {
        await this.options.clock.sleep(wait, this.wake.signal);
      } catch {
        // kicked: new work, a finished job, or stop()
      }
    }
  }

  private fill(api: CvatApi, now: number): void {
    const free = (this.options.concurrency ?? 2) - this.active.size;
    if (free <= 0) return;
    const due = this.repo.due(now, free + this.active.size).filter((r) => !this.active.has(r.id));
    for (const row of due.slice(0, free)) this.launch(row, api);
  }

  private launch(queued: TransferRow, api: CvatApi): void {
    // Claim the row (compare-and-set from queued) so that no other engine on this journal
    // runs it too; the job continues from its fields whatever state it names.
    const row = this.change(queued.id, { state: firstState(queued) }, ['queued']);
    if (!row) return;
    const controller = new AbortController();
    const job: ActiveJob = {
      controller,
      reason: null,
      speedBps: 0,
      lastPersistAt: 0,
      progressed: false,
      done: Promise.resolve(),
    };
    this.active.set(row.id, job);
    job.done = (async () => {
      try {
        const ctx = this.context(row.id, job, api);
        const final =
          row.kind === 'download' ? await runDownloadJob(ctx, row) : await runImportJob(ctx, row);
        const done = this.change(
          row.id,
          { state: 'done', error: null, nextAttemptAt: null },
          LIVE_STATES,
        );
        if (done) this.log('info', `${doneMessage(final)}`, final);
      } catch (e) {
        this.failed(row.id, e, job);
      } finally {
        this.active.delete(row.id);
        this.kick();
      }
    })();
  }

  private context(id: string, job: ActiveJob, api: CvatApi): JobContext {
    const { clock } = this.options;
    return {
      api,
      clock,
      signal: job.controller.signal,
      throttle: this.options.throttle,
      fs: this.fs,
      chunkSize: this.options.chunkSize ?? 16 * 1024 * 1024,
      maxRerequests: this.options.maxRerequests ?? 3,
      poll: this.options.poll ?? {},
      update: (patch) => {
        if (job.controller.signal.aborted) throw abortError();
        const row = this.change(id, patch, LIVE_STATES);
        if (!row) throw abortError();
        return row;
      },
      progress: (bytesDone, bytesTotal, speedBps) => {
        job.speedBps = speedBps;
        job.progressed = true;
        const now = clock.now();
        const last = bytesTotal !== null && bytesDone >= bytesTotal;
        if (!last && now - job.lastPersistAt < PERSIST_EVERY_MS) {
          const row = this.repo.get(id);
          if (row)
            this.events.emit('transfer', {
              ...row,
              bytesDone,
              bytesTotal: bytesTotal ?? row.bytesTotal,
            });
          return;
        }
        job.lastPersistAt = now;
        this.change(id, { bytesDone, bytesTotal }, LIVE_STATES);
      },
      partsInUse: () => this.repo.partPathsInUse(),
      tag: () => this.newId(),
    };
  }

  private failed(id: string, e: unknown, job: ActiveJob): void {
    if (job.reason === 'pause' || job.reason === 'cancel') return; // pause()/cancel() set the state
    if (job.reason === 'stop') {
      this.change(id, { state: 'queued' }, RUNNING_STATES);
      return;
    }
    const err = toSyncError(e);
    const row = this.repo.get(id);
    if (!row) return;
    const info = errorInfo(err);
    if (err.kind === 'fatal') {
      this.blocked = err;
      this.change(id, { state: 'queued', error: info }, LIVE_STATES);
      this.log('error', `Transfers are on hold: ${err.message}`, row, err.hint);
      return;
    }
    // A download that moved forward before breaking starts a fresh count of attempts.
    const attempts = (job.progressed ? 0 : row.attempts) + 1;
    const policy = this.options.backoff ?? DEFAULT_BACKOFF;
    if (err.kind === 'transient' && attempts < policy.maxAttempts) {
      const delay = retryDelay(attempts, policy, this.options.random, err.retryAfterMs);
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

  private async interrupt(id: string, reason: StopReason): Promise<void> {
    const job = this.active.get(id);
    if (!job) return;
    job.reason = reason;
    job.controller.abort();
    await job.done;
  }

  private async interruptAll(): Promise<void> {
    await Promise.all([...this.active.keys()].map((id) => this.interrupt(id, 'stop')));
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

/** The state a job starts in, from what the row already holds. */
function firstState(row: TransferRow): ResultsState {
  if (row.kind === 'download') return row.resultUrl === null ? 'exporting' : 'downloading';
  return row.rqId === null ? 'uploading' : 'processing';
}

function doneMessage(row: TransferRow): string {
  switch (row.kind) {
    case 'download':
      return `${titleOf(row)}: saved to ${row.extractedPath ?? row.finalPath}`;
    case 'restore':
      return `${titleOf(row)}: task ${row.resultId} created`;
    case 'import':
      return `${titleOf(row)}: done`;
  }
}

function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}

function invalid(message: string): SyncError {
  return new SyncError(message, {
    code: 'invalid-argument',
    kind: 'item',
    operation: 'queue transfer',
  });
}

function requireId(id: unknown, what: string): void {
  if (!Number.isInteger(id) || (id as number) <= 0)
    throw invalid(`Invalid ${what} id: ${String(id)}`);
}

function requireFormat(format: string): void {
  if (typeof format !== 'string' || format.trim() === '') throw invalid('Choose a format');
}

function requireAbsolute(path: string, what: string): void {
  if (typeof path !== 'string' || !isAbsolute(path))
    throw invalid(`${what} must be an absolute path: ${String(path)}`);
}
