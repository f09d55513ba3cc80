// Ties the pieces together for every sync folder: watcher (hint) -> scanner (truth) ->
// stability gate (settle + hash) -> planner (batches). One runner per folder (folder-runner.ts),
// one pass at a time; all waiting goes through the injected Clock so tests drive the settle
// logic with a FakeClock.
import type { FolderHealth, FolderInfo } from '../../model/index.js';
import type { Clock } from '../../core/clock.js';
import { SyncError } from '../../core/errors.js';
import { EventBus } from '../../core/event-bus.js';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import type { FileCounts, FileRepo } from '../../journal/file-repo.js';
import type { FolderRepo, FolderRow } from '../../journal/folder-repo.js';
import type { WatcherFactory } from '../../watch/folder-watcher.js';
import type { FileSystem } from '../../fs/file-system.js';
import { nodeFileSystem } from '../../fs/node-file-system.js';
import type { ScanOutcome } from '../../watch/scanner.js';
import { Scanner } from '../../watch/scanner.js';
import { StabilityGate } from '../../watch/stability-gate.js';
import type { WatcherChoiceOptions } from '../../watch/watcher-choice.js';
import type { EngineJournal } from '../engine-journal.js';
import { FolderRunner } from './folder-runner.js';
import type { PlannedBatch } from '../planner/planner.js';
import { Planner } from '../planner/planner.js';

export interface FolderSyncEvents extends Record<string, unknown> {
  health: { folderId: number; health: FolderHealth };
  counts: { folderId: number; counts: FileCounts };
  planned: { folderId: number; batches: PlannedBatch[] };
  scanned: { folderId: number; at: number; outcome: ScanOutcome };
  /** Parked batches that got their new file list (or were cancelled for lack of files). */
  replanned: { folderId: number; batchIds: number[] };
}

export interface FolderSyncOptions {
  journal: EngineJournal;
  clock: Clock;
  logger?: Logger;
  fs?: FileSystem;
  /**
   * null = no OS watcher at all (scans only); omitted = chosen per folder by size and platform
   * (watch/watcher-choice.ts).
   */
  watcherFactory?: WatcherFactory | null;
  /** Tunes that per-folder choice (platform, file-count threshold). */
  watcherChoice?: WatcherChoiceOptions;
  /** Each new batch, inside its planning transaction (the adopter holds batches there). */
  onPlanned?: (batchId: number, folderId: number) => void;
  /** Run only the folders bound to this server ('' = unbound ones). All folders when omitted. */
  server?: string;
  /** Full reconcile while the watcher works (default 5 min). */
  fullScanIntervalMs?: number;
  /** Full reconcile when the watcher is unavailable (watch limit) (default 1 min). */
  fallbackScanIntervalMs?: number;
  /** How often a missing folder is looked for (default 5 s). */
  missingPollMs?: number;
  /** Polling interval handed to chokidar for polled folders (default 2 s). */
  pollIntervalMs?: number;
  /** Planning page and chunk sizes (see PlannerOptions). */
  planner?: { pageSize?: number; chunkFiles?: number };
}

export interface SyncOnceReport {
  folderId: number;
  planned: PlannedBatch[];
  counts: FileCounts;
}

export class FolderSync {
  readonly events = new EventBus<FolderSyncEvents>();
  private readonly runners = new Map<number, FolderRunner>();
  readonly folders: FolderRepo;
  readonly files: FileRepo;
  readonly planner: Planner;
  readonly scanner: Scanner;
  readonly gate: StabilityGate;
  readonly fs: FileSystem;
  private started = false;
  /** Folders started one by one (watchFolder), saved or not, besides start()'s saved ones. */
  private readonly watched = new Set<number>();

  constructor(readonly options: FolderSyncOptions) {
    this.fs = options.fs ?? nodeFileSystem;
    this.folders = options.journal.folders;
    this.files = options.journal.files;
    this.scanner = new Scanner(this.files, this.fs, options.clock);
    this.gate = new StabilityGate(this.files, this.fs, options.clock);
    this.planner = new Planner({
      journal: options.journal,
      clock: options.clock,
      fs: this.fs,
      ...(options.onPlanned ? { onPlanned: options.onPlanned } : {}),
      ...options.planner,
    });
  }

  get logger(): Logger {
    return this.options.logger ?? silentLogger;
  }

  /** Starts a runner for each saved folder (paused ones report 'paused' and wait). */
  async start(): Promise<void> {
    this.started = true;
    const rows = this.folders.list({
      savedOnly: true,
      ...(this.options.server === undefined ? {} : { server: this.options.server }),
    });
    for (const row of rows) await this.reload(row.id);
  }

  /**
   * Runs one folder (saved or not) as start() runs the saved ones: OS watcher as the hint,
   * reconcile scans, settle, plan (`cvat-sync watch DIR`). stop() ends it too.
   */
  async watchFolder(folderId: number): Promise<void> {
    if (!this.folders.get(folderId)) throw notFound(folderId);
    this.watched.add(folderId);
    await this.reload(folderId);
  }

  async stop(): Promise<void> {
    this.started = false;
    this.watched.clear();
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    this.runners.clear();
  }

  /** After a folder was added or its rule changed: (re)start its runner. */
  async reload(folderId: number): Promise<void> {
    await this.runners.get(folderId)?.stop();
    this.runners.delete(folderId);
    const row = this.folders.get(folderId);
    if (!row) return;
    const runner = new FolderRunner(this, row);
    this.runners.set(folderId, runner);
    if (this.started || this.watched.has(folderId)) runner.start();
  }

  /** Before a folder is removed: stop watching it. */
  async remove(folderId: number): Promise<void> {
    this.watched.delete(folderId);
    await this.runners.get(folderId)?.stop();
    this.runners.delete(folderId);
  }

  async pause(folderId: number): Promise<void> {
    this.folders.setPaused(folderId, true);
    await this.reload(folderId);
  }

  async resume(folderId: number): Promise<void> {
    this.folders.setPaused(folderId, false);
    await this.reload(folderId);
  }

  /**
   * The upload engine parked a batch of this folder because a file changed after planning: a
   * targeted pass re-plans it. Only the parked batches' files are looked at (stat), changed ones
   * go through the stability gate again; nothing is scanned.
   */
  replanParked(folderId: number): Promise<PlannedBatch[]> {
    return this.runnerFor(folderId).pass({ scan: false });
  }

  /** A batch of this folder finished or was cancelled: the new counts go out. */
  countsChanged(folderId: number): void {
    this.runners.get(folderId)?.emitCounts();
    if (!this.runners.has(folderId))
      this.events.emit('counts', { folderId, counts: this.files.counts(folderId) });
  }

  /** A full reconcile now (after system resume, or asked by the user). */
  rescan(folderId?: number): void {
    for (const [id, r] of this.runners)
      if (folderId === undefined || id === folderId) r.requestFullScan();
  }

  /** One scan + settle + plan pass for a folder at the current time (tests and the CLI drive this). */
  async step(
    folderId: number,
    options: { full?: boolean; flush?: boolean } = {},
  ): Promise<PlannedBatch[]> {
    return this.runnerFor(folderId).pass(options);
  }

  /**
   * For `cvat-sync sync DIR --once`: scan, wait until what exists has settled (by the Clock),
   * and plan everything stable, partial batches included. Throws when the folder is missing.
   */
  async syncOnce(folderId: number, signal?: AbortSignal): Promise<SyncOnceReport> {
    const runner = this.runnerFor(folderId);
    const planned = await runner.pass({ full: true });
    if (runner.health.state === 'missing') {
      throw new SyncError(runner.health.message ?? 'The folder is missing', {
        code: 'folder-missing',
        kind: 'item',
        operation: 'sync folder',
        hint: runner.health.fix ?? undefined,
      });
    }
    for (;;) {
      const oldest = this.files.oldestSettling(folderId);
      if (oldest === null) break;
      const wait = oldest + runner.row.rule.settleSeconds * 1000 - this.options.clock.now();
      if (wait > 0) await this.options.clock.sleep(wait, signal);
      planned.push(...(await runner.pass({ dirsOnly: true })));
    }
    planned.push(...(await runner.pass({ dirsOnly: true, flush: true })));
    return { folderId, planned, counts: this.files.counts(folderId) };
  }

  health(folderId: number): FolderHealth {
    return this.runners.get(folderId)?.health ?? { state: 'paused', message: null, fix: null };
  }

  info(folderId: number): FolderInfo | undefined {
    const row = this.folders.get(folderId);
    if (!row) return undefined;
    return folderInfoOf(row, this.files.counts(folderId), this.health(folderId));
  }

  private runnerFor(folderId: number): FolderRunner {
    let runner = this.runners.get(folderId);
    if (!runner) {
      const row = this.folders.get(folderId);
      if (!row) throw notFound(folderId);
      runner = new FolderRunner(this, row);
      this.runners.set(folderId, runner);
    }
    return runner;
  }
}

function notFound(folderId: number): SyncError {
  return new SyncError(`No sync folder with id ${folderId}`, {
    code: 'not-found',
    kind: 'item',
    operation: 'sync folder',
  });
}

const PAUSED: FolderHealth = { state: 'paused', message: null, fix: null };

/** The contract's view of a folder; a paused folder reads as paused whatever its watcher says. */
export function folderInfoOf(row: FolderRow, counts: FileCounts, health: FolderHealth): FolderInfo {
  return {
    id: row.id,
    rule: row.rule,
    paused: row.paused,
    health: row.paused ? PAUSED : health,
    counts: { ...counts },
    lastScanAt: row.lastScanAt,
  };
}
