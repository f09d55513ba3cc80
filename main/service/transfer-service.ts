// Transfers as the UI sees them: upload batches (UploadEngine) and results transfers (downloads,
// restores, imports: ResultsEngine) behind one id space. Upload ids are `upload:<batch id>`;
// results ids are the engine's own. In a read-only service there are no engines, only the
// journal's rows.
import type { Transfer, TransferQuery, TransferState } from '../../preload/contract.js';
import type { Clock } from '../core/clock.js';
import { SyncError } from '../core/errors.js';
import type { BatchView, UploadEngine, UploadProgress } from '../engine/upload/upload-engine.js';
import { batchCounts, batchTransferId } from '../engine/upload/upload-engine.js';
import type { ResultsEngine } from '../engine/results/results-engine.js';
import { TransferSpeed, etaSeconds } from '../engine/transfer-speed.js';
import { toContractTransfer } from '../engine/results/transfer-view.js';
import type { BatchRepo, BatchRow } from '../journal/batch-repo.js';
import type { TransferRepo, TransferRow } from '../journal/download-repo.js';
import { FINAL_STATES } from '../journal/download-repo.js';
import type { SettingsRepo } from '../journal/settings-repo.js';
import { loadQueuePaused, saveQueuePaused } from './settings.js';

const UPLOAD_PREFIX = 'upload:';

export interface TransferSources {
  clock: Clock;
  uploads: UploadEngine | null;
  results: ResultsEngine | null;
  /** Read-only access when there are no engines. */
  batchRepo: BatchRepo | null;
  transferRepo: TransferRepo | null;
  /** Where "pause all" is kept across restarts. */
  settingsRepo?: SettingsRepo | null;
}

export class TransferService {
  private readonly speeds = new Map<number, TransferSpeed>();

  constructor(private readonly sources: TransferSources) {}

  /** Bytes per second of a running batch, from its progress events (engine/transfer-speed.ts). */
  trackProgress(p: UploadProgress): void {
    const speed = this.speeds.get(p.batchId);
    if (speed) speed.sample(p.bytesDone);
    else this.speeds.set(p.batchId, new TransferSpeed(() => this.sources.clock.now(), p.bytesDone));
  }

  uploadView(b: BatchView | BatchRow, progress?: UploadProgress): Transfer {
    const active = 'active' in b ? b.active : false;
    const pausedBy = 'pausedBy' in b ? b.pausedBy : b.paused ? 'batch' : null;
    const now = this.sources.clock.now();
    const bytesDone = progress?.bytesDone ?? b.bytesDone;
    const filesDone = progress?.filesDone ?? b.filesDone;
    let state: TransferState;
    switch (b.state) {
      case 'done':
      case 'failed':
      case 'cancelled':
        state = b.state;
        break;
      default:
        if (pausedBy === 'batch' || pausedBy === 'folder' || pausedBy === 'all') state = 'paused';
        else if (active)
          state = b.state === 'finishing' || b.state === 'processing' ? 'processing' : 'active';
        else if (b.nextAttemptAt !== null && b.nextAttemptAt > now) state = 'waiting-retry';
        else if (b.state === 'processing') state = 'processing';
        else state = 'queued';
    }
    if (state !== 'active') this.speeds.delete(b.id);
    const speed = state === 'active' ? (this.speeds.get(b.id)?.bps ?? 0) : 0;
    return {
      id: batchTransferId(b.id),
      kind: 'upload',
      title: b.name,
      state,
      stage: b.replanReason ? 'waiting-replan' : pausedBy === 'server' ? 'waiting-server' : b.state,
      ...batchCounts(b, bytesDone, filesDone),
      speedBps: speed,
      etaSeconds: etaSeconds(b.bytesTotal, bytesDone, speed),
      error: b.lastError,
      attempts: b.attempts,
      nextAttemptAt: b.nextAttemptAt,
      recovery: {
        resends: b.resends,
        resentBytes: b.resentBytes,
        ambiguousEvents: b.ambiguousEvents,
        discardedTasks: b.discardedTasks,
        restarts: b.restarts,
      },
      destination: null,
      createdAt: b.createdAt,
      updatedAt: b.updatedAt,
    };
  }

  resultsView(row: TransferRow): Transfer {
    return this.sources.results
      ? this.sources.results.view(row)
      : toContractTransfer(row, this.sources.clock.now());
  }

  list(q: TransferQuery): Transfer[] {
    const limit = q.limit ?? 500;
    const kinds = q.kinds;
    const out: Transfer[] = [];
    if (!kinds || kinds.includes('upload')) {
      const batches = this.sources.uploads?.listBatches() ?? this.sources.batchRepo?.list() ?? [];
      for (const b of batches) out.push(this.uploadView(b));
    }
    const resultKinds = (kinds ?? ['download', 'restore', 'import']).filter(
      (k) => k !== 'upload',
    ) as TransferRow['kind'][];
    if (resultKinds.length) {
      const rows =
        this.sources.results?.list({ kinds: resultKinds, limit: 10_000 }) ??
        this.sources.transferRepo?.list({ kinds: resultKinds, limit: 10_000 }) ??
        [];
      for (const r of rows) out.push(this.resultsView(r));
    }
    const filtered = q.states ? out.filter((t) => q.states?.includes(t.state)) : out;
    // Newest first, as the Transfers view lists them.
    return filtered
      .sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id))
      .slice(0, limit);
  }

  get(id: string): Transfer {
    const batchId = this.batchId(id);
    if (batchId !== null) {
      const b = this.sources.uploads?.getBatch(batchId) ?? this.sources.batchRepo?.get(batchId);
      if (b) return this.uploadView(b);
    } else {
      const row = this.sources.results?.get(id) ?? this.sources.transferRepo?.get(id) ?? null;
      if (row) return this.resultsView(row);
    }
    throw notFound(id);
  }

  exportDataset(req: {
    target: { kind: 'task' | 'project'; id: number };
    format: string;
    withImages: boolean;
    destination: string;
  }): Transfer {
    return this.resultsView(this.results().exportDataset(req));
  }

  backup(req: { target: { kind: 'task' | 'project'; id: number }; destination: string }): Transfer {
    return this.resultsView(this.results().backup(req));
  }

  restore(req: { path: string; projectId?: number | null }): Transfer {
    return this.resultsView(this.results().restore(req));
  }

  importAnnotations(req: {
    taskId: number;
    path: string;
    format: string;
    mode: 'replace' | 'append';
  }): Transfer {
    return this.resultsView(this.results().importAnnotations(req));
  }

  async retry(id: string): Promise<Transfer> {
    const batchId = this.batchId(id);
    if (batchId === null) return this.resultsView(this.results().retry(id));
    this.uploads().retryBatch(batchId);
    return this.get(id);
  }

  async cancel(id: string): Promise<Transfer> {
    const batchId = this.batchId(id);
    if (batchId === null) return this.resultsView(await this.results().cancel(id));
    if (!this.uploads().cancelBatch(batchId)) {
      const current = this.get(id);
      throw new SyncError(`"${current.title}" can no longer be cancelled (${current.state}).`, {
        code: 'invalid-state',
        kind: 'item',
        operation: 'cancel transfer',
      });
    }
    return this.get(id);
  }

  async pause(id: string): Promise<Transfer> {
    const batchId = this.batchId(id);
    if (batchId === null) return this.resultsView(await this.results().pause(id));
    this.uploads().pauseBatch(batchId);
    return this.get(id);
  }

  async resume(id: string): Promise<Transfer> {
    const batchId = this.batchId(id);
    if (batchId === null) return this.resultsView(this.results().resume(id));
    this.uploads().resumeBatch(batchId);
    return this.get(id);
  }

  /** Pauses or resumes both queues; the choice is kept for the next start. */
  async setPaused(paused: boolean): Promise<void> {
    if (this.sources.settingsRepo) saveQueuePaused(this.sources.settingsRepo, paused);
    if (paused) this.uploads().pauseAll();
    else this.uploads().resumeAll();
    await this.results().setPaused(paused);
  }

  /** Read-only (no engine here): the saved "pause all", which the next engine starts with. */
  paused(): boolean {
    return (
      this.sources.uploads?.status().paused ?? loadQueuePaused(this.sources.settingsRepo ?? null)
    );
  }

  setConcurrency(n: number): void {
    this.sources.uploads?.setConcurrency(n);
  }

  start(): void {
    this.sources.uploads?.start();
    this.sources.results?.start();
  }

  /** Only the results queue: one-shot exports and imports must not start pending uploads. */
  startResults(): void {
    this.results().start();
  }

  startUploads(): void {
    this.uploads().start();
  }

  /** Resolves when the upload queue has nothing it can run now. */
  uploadsIdle(): Promise<void> {
    return this.uploads().idle();
  }

  /** Resolves when a results transfer is done, failed, cancelled or paused. */
  async waitForResult(id: string): Promise<Transfer> {
    return this.resultsView(await this.results().waitFor(id));
  }

  isFinal(t: Transfer): boolean {
    return (FINAL_STATES as readonly string[]).includes(t.state);
  }

  async stop(): Promise<void> {
    await Promise.all([this.sources.uploads?.stop(), this.sources.results?.stop()]);
  }

  private batchId(id: string): number | null {
    if (!id.startsWith(UPLOAD_PREFIX)) return null;
    const n = Number(id.slice(UPLOAD_PREFIX.length));
    if (!Number.isInteger(n) || n <= 0) throw notFound(id);
    return n;
  }

  private uploads(): UploadEngine {
    if (!this.sources.uploads) throw readOnly();
    return this.sources.uploads;
  }

  private results(): ResultsEngine {
    if (!this.sources.results) throw readOnly();
    return this.sources.results;
  }
}

function notFound(id: string): SyncError {
  return new SyncError(`No transfer ${id}.`, {
    code: 'not-found',
    kind: 'item',
    operation: 'find transfer',
  });
}

function readOnly(): SyncError {
  return new SyncError('Transfers cannot be changed from a read-only view of the data folder.', {
    code: 'read-only',
    kind: 'fatal',
    operation: 'change transfer',
  });
}
