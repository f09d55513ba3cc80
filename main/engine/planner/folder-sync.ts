// Ties the pieces together for every sync folder: watcher (hint) -> scanner (truth) ->
// stability gate (settle + hash) -> planner (batches). One runner per folder, one pass at a time;
// all waiting goes through the injected Clock so tests drive the settle logic with a FakeClock.
import type { FolderHealth, FolderInfo } from '../../../preload/contract.js';
import type { Clock } from '../../core/clock.js';
import { SyncError } from '../../core/errors.js';
import { EventBus } from '../../core/event-bus.js';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import type { Db } from '../../journal/database.js';
import type { FileCounts } from '../../journal/file-repo.js';
import { FileRepo } from '../../journal/file-repo.js';
import type { FolderRow } from '../../journal/folder-repo.js';
import { FolderRepo } from '../../journal/folder-repo.js';
import { compileFilter } from '../../watch/filter.js';
import type { Watcher, WatcherFactory } from '../../watch/folder-watcher.js';
import { isWatchLimitError } from '../../watch/folder-watcher.js';
import type { FileSystem } from '../../fs/file-system.js';
import { nodeFileSystem } from '../../fs/node-file-system.js';
import {
  missingHealth,
  networkFsHint,
  unreadableDirsMessage,
  watchLimitHealth,
} from '../../watch/health.js';
import { detectFsType, isNetworkFs } from '../../watch/mounts.js';
import type { ScanOutcome, ScanTarget } from '../../watch/scanner.js';
import { Scanner } from '../../watch/scanner.js';
import { StabilityGate } from '../../watch/stability-gate.js';
import type { WatcherChoiceOptions, WatcherKind } from '../../watch/watcher-choice.js';
import { chooseWatcher, watcherFactoryOf } from '../../watch/watcher-choice.js';
import type { BatchSink } from './batch-sink.js';
import type { PlannedBatch } from './planner.js';
import { Planner } from './planner.js';

export interface FolderSyncEvents extends Record<string, unknown> {
  health: { folderId: number; health: FolderHealth };
  counts: { folderId: number; counts: FileCounts };
  planned: { folderId: number; batches: PlannedBatch[] };
  scanned: { folderId: number; at: number; outcome: ScanOutcome };
}

export interface FolderSyncOptions {
  db: Db;
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
  batches?: BatchSink;
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
    this.folders = new FolderRepo(options.db, options.clock);
    this.files = new FileRepo(options.db);
    this.scanner = new Scanner(this.files, this.fs, options.clock);
    this.gate = new StabilityGate(this.files, this.fs, options.clock);
    this.planner = new Planner({
      db: options.db,
      clock: options.clock,
      fs: this.fs,
      ...(options.batches ? { batches: options.batches } : {}),
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
   * The upload engine finished or cancelled a batch of this folder: its files follow now (done
   * -> uploaded), in turn with the folder's passes, and changed counts go out as a 'counts' event.
   */
  async followBatches(folderId: number): Promise<void> {
    const runner = this.runners.get(folderId);
    if (runner) {
      await runner.follow();
      return;
    }
    this.planner.followBatches(folderId);
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

class FolderRunner {
  health: FolderHealth = { state: 'scanning', message: null, fix: null };
  private watcher: Watcher | null = null;
  /** Which watcher was chosen automatically (null when the options name one). */
  private watcherKind: WatcherKind | null = null;
  private watchLimit: string | null = null;
  private missing = false;
  private needFull = true;
  private lastFullAt = -Infinity;
  private dirty = new Set<string>();
  private running: Promise<void> | null = null;
  private stopController: AbortController | null = null;
  private wakeController: AbortController | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private networkHint: { message: string; fix: string } | null = null;
  private lastCounts = '';

  constructor(
    private readonly sync: FolderSync,
    public row: FolderRow,
  ) {}

  private get clock(): Clock {
    return this.sync.options.clock;
  }

  start(): void {
    if (this.row.paused) {
      this.setHealth({ state: 'paused', message: null, fix: null });
      return;
    }
    this.stopController = new AbortController();
    const signal = this.stopController.signal;
    this.running = this.loop(signal).catch((e: unknown) => {
      if (!signal.aborted)
        this.sync.logger.error('folder sync stopped', { folderId: this.row.id, error: String(e) });
    });
  }

  async stop(): Promise<void> {
    this.stopController?.abort();
    this.wakeController?.abort();
    await this.running;
    await this.closeWatcher();
  }

  requestFullScan(): void {
    this.needFull = true;
    this.wake();
  }

  private wake(): void {
    this.wakeController?.abort();
  }

  private async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.pass({});
      } catch (e) {
        if (signal.aborted) break;
        this.setHealth({
          state: 'error',
          message: `Scanning failed: ${(e as Error).message}`,
          fix: 'Check the folder and the disk; the scan is retried automatically.',
        });
        this.sync.logger.warn('folder pass failed', { folderId: this.row.id, error: String(e) });
      }
      // Stopped during the pass: the abort already happened, so no listener below would see it.
      if (signal.aborted) break;
      const wait = this.nextWakeIn();
      this.wakeController = new AbortController();
      const onStop = (): void => this.wakeController?.abort();
      signal.addEventListener('abort', onStop, { once: true });
      await this.clock.sleep(wait, this.wakeController.signal).catch(() => undefined);
      signal.removeEventListener('abort', onStop);
    }
  }

  private nextWakeIn(): number {
    const now = this.clock.now();
    const o = this.sync.options;
    if (this.missing) return o.missingPollMs ?? 5_000;
    const interval =
      this.watchLimit || !this.watcher
        ? (o.fallbackScanIntervalMs ?? 60_000)
        : (o.fullScanIntervalMs ?? 300_000);
    let next = this.lastFullAt + interval;
    const oldest = this.sync.files.oldestSettling(this.row.id);
    const settleMs = this.row.rule.settleSeconds * 1000;
    if (oldest !== null) next = Math.min(next, oldest + settleMs);
    // Stable files waiting for their group to go quiet: look again after one settle window.
    if (this.sync.files.hasCandidates(this.row.id))
      next = Math.min(next, now + Math.max(settleMs, 1000));
    return Math.max(0, next - now);
  }

  /** One serialised pass: scan (full or the dirty directories), settle, plan. */
  pass(o: { full?: boolean; flush?: boolean; dirsOnly?: boolean }): Promise<PlannedBatch[]> {
    const run = this.chain.then(() => this.passNow(o));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Done/cancelled batches -> file states, serialised with the passes (they write the same rows). */
  follow(): Promise<void> {
    const run = this.chain.then(() => {
      this.sync.planner.followBatches(this.row.id);
      this.emitCounts();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async passNow(o: {
    full?: boolean;
    flush?: boolean;
    dirsOnly?: boolean;
  }): Promise<PlannedBatch[]> {
    const rule = this.row.rule;
    const target: ScanTarget = {
      folderId: this.row.id,
      root: rule.path,
      filter: compileFilter(rule),
    };
    const now = this.clock.now();
    const interval =
      this.watchLimit || !this.watcher
        ? (this.sync.options.fallbackScanIntervalMs ?? 60_000)
        : (this.sync.options.fullScanIntervalMs ?? 300_000);
    const full =
      o.full ||
      (!o.dirsOnly && (this.needFull || this.missing || now - this.lastFullAt >= interval));
    // Watch first, then scan: a change during the scan is then either scanned or hinted.
    if (
      this.running &&
      !this.missing &&
      !this.watcher &&
      !this.watchLimit &&
      this.sync.options.watcherFactory !== null
    )
      await this.openWatcher();
    let outcome: ScanOutcome | null = null;
    if (full) {
      this.dirty.clear();
      outcome = await this.sync.scanner.scanFull(target);
    } else if (this.dirty.size > 0) {
      const dirs = [...this.dirty];
      this.dirty.clear();
      outcome = await this.sync.scanner.scanDirs(target, dirs);
    }
    if (outcome) this.sync.events.emit('scanned', { folderId: this.row.id, at: now, outcome });
    if (outcome?.status === 'missing') {
      this.missing = true;
      this.watchLimit = null;
      this.needFull = true;
      await this.closeWatcher();
      this.setHealth(missingHealth(rule.path, outcome.why));
      return [];
    }
    if (outcome && full) {
      this.lastFullAt = now;
      this.needFull = false;
      this.sync.folders.setLastScan(this.row.id, now);
      await this.switchWatcherIfOutgrown();
    }
    if (this.missing) {
      // Back: nothing was marked deleted while it was gone, so nothing is planned again.
      this.missing = false;
      this.sync.logger.info('folder is back', { folderId: this.row.id });
    }
    await this.sync.gate.process({
      folderId: this.row.id,
      root: rule.path,
      settleMs: rule.settleSeconds * 1000,
    });
    this.sync.planner.followBatches(this.row.id);
    await this.sync.planner.replanParked(this.row);
    const planned = this.sync.planner.plan(this.row, { flush: o.flush ?? false });
    if (planned.length)
      this.sync.events.emit('planned', { folderId: this.row.id, batches: planned });
    this.refreshHealth(outcome);
    this.emitCounts();
    return planned;
  }

  private refreshHealth(outcome: ScanOutcome | null): void {
    const o = this.sync.options;
    if (this.watchLimit) {
      this.setHealth(
        watchLimitHealth(
          this.watchLimit,
          Math.round((o.fallbackScanIntervalMs ?? 60_000) / 60_000),
        ),
      );
      return;
    }
    const unreadable =
      outcome?.status === 'ok' && outcome.unreadable.length
        ? unreadableDirsMessage(outcome.unreadable)
        : null;
    const state = this.row.rule.polling ? 'polling' : 'watching';
    if (unreadable)
      this.setHealth({
        state,
        message: unreadable,
        fix: 'Give this user read access to those folders; they are scanned again automatically.',
      });
    else if (this.networkHint && !this.row.rule.polling)
      this.setHealth({ state, ...this.networkHint });
    else if (
      outcome ||
      this.health.state === 'scanning' ||
      this.health.state === 'missing' ||
      this.health.state === 'error'
    ) {
      this.setHealth({ state, message: null, fix: null });
    }
  }

  private async openWatcher(): Promise<void> {
    const rule = this.row.rule;
    const fsType = await detectFsType(this.sync.fs, rule.path);
    this.networkHint = fsType && isNetworkFs(fsType) ? networkFsHint(fsType) : null;
    const filter = compileFilter(rule);
    let factory = this.sync.options.watcherFactory;
    this.watcherKind = null;
    if (!factory) {
      this.watcherKind = this.autoWatcherKind();
      factory = watcherFactoryOf(this.watcherKind);
      this.sync.logger.info('watching folder', {
        folderId: this.row.id,
        watcher: this.watcherKind,
      });
    }
    try {
      this.watcher = factory({
        root: rule.path,
        fs: this.sync.fs,
        polling: rule.polling,
        pollIntervalMs: this.sync.options.pollIntervalMs ?? 2_000,
        ignoreDir: (rel) => filter.dir(rel) !== null,
        onHint: (rels) => {
          for (const rel of rels) this.dirty.add(rel);
          this.wake();
        },
        onError: (e) => void this.onWatchError(e),
      });
      await this.watcher.ready;
    } catch (e) {
      await this.onWatchError(e);
    }
  }

  private autoWatcherKind(): WatcherKind {
    return chooseWatcher(
      { polling: this.row.rule.polling, knownFiles: this.sync.files.counts(this.row.id).files },
      this.sync.options.watcherChoice,
    );
  }

  /**
   * A folder first watched small that a full scan found big gets the low-memory watcher (never
   * back: no flapping around the threshold). The new watcher is ready before the old one
   * closes, so no change falls between the two.
   */
  private async switchWatcherIfOutgrown(): Promise<void> {
    const old = this.watcher;
    if (!old || this.watcherKind !== 'chokidar' || this.autoWatcherKind() !== 'directory') return;
    this.watcher = null;
    await this.openWatcher();
    await old.close().catch(() => undefined);
  }

  private async onWatchError(e: unknown): Promise<void> {
    const limit = isWatchLimitError(e);
    if (!limit) {
      this.sync.logger.warn('watcher error', { folderId: this.row.id, error: String(e) });
      return;
    }
    this.watchLimit = limit;
    this.sync.logger.warn('watch limit reached; falling back to periodic scans', {
      folderId: this.row.id,
      code: limit,
    });
    await this.closeWatcher();
    this.setHealth(
      watchLimitHealth(
        limit,
        Math.round((this.sync.options.fallbackScanIntervalMs ?? 60_000) / 60_000),
      ),
    );
    this.needFull = true;
    this.wake();
  }

  private async closeWatcher(): Promise<void> {
    const w = this.watcher;
    this.watcher = null;
    await w?.close().catch(() => undefined);
  }

  private setHealth(h: FolderHealth): void {
    if (
      h.state === this.health.state &&
      h.message === this.health.message &&
      h.fix === this.health.fix
    )
      return;
    this.health = h;
    this.sync.events.emit('health', { folderId: this.row.id, health: h });
  }

  private emitCounts(): void {
    const counts = this.sync.files.counts(this.row.id);
    const key = JSON.stringify(counts);
    if (key === this.lastCounts) return;
    this.lastCounts = key;
    this.sync.events.emit('counts', { folderId: this.row.id, counts });
  }
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
