// One sync folder's loop: OS watcher (a hint) -> scan (the truth) -> stability gate -> planner,
// one pass at a time. It sleeps on the injected Clock until the next thing is due: a settle
// window ending, a periodic full scan, a hint from the watcher, or a wake from outside.
import type { FolderHealth } from '../../model/index.js';
import type { Clock } from '../../core/clock.js';
import type { EventBus } from '../../core/event-bus.js';
import type { Logger } from '../../core/logger.js';
import type { FileRepo } from '../../journal/file-repo.js';
import type { FolderRepo, FolderRow } from '../../journal/folder-repo.js';
import { compileFilter } from '../../watch/filter.js';
import type { Watcher } from '../../watch/folder-watcher.js';
import { isWatchLimitError } from '../../watch/folder-watcher.js';
import type { FileSystem } from '../../fs/file-system.js';
import {
  missingHealth,
  networkFsHint,
  unreadableDirsMessage,
  watchLimitHealth,
} from '../../watch/health.js';
import { detectFsType, isNetworkFs } from '../../watch/mounts.js';
import type { ScanOutcome, ScanTarget, Scanner } from '../../watch/scanner.js';
import type { StabilityGate } from '../../watch/stability-gate.js';
import type { WatcherKind } from '../../watch/watcher-choice.js';
import { chooseWatcher, watcherFactoryOf } from '../../watch/watcher-choice.js';
import type { PlannedBatch, Planner } from '../planner/planner.js';
import type { FolderSyncEvents, FolderSyncOptions } from './folder-sync.js';

export interface PassOptions {
  full?: boolean;
  flush?: boolean;
  dirsOnly?: boolean;
  /** false: no scan at all (settle, re-plan parked batches, plan). */
  scan?: boolean;
}

/** What a runner uses of the FolderSync that owns it. */
export interface RunnerHost {
  readonly options: FolderSyncOptions;
  readonly logger: Logger;
  readonly events: EventBus<FolderSyncEvents>;
  readonly folders: FolderRepo;
  readonly files: FileRepo;
  readonly planner: Planner;
  readonly scanner: Scanner;
  readonly gate: StabilityGate;
  readonly fs: FileSystem;
}

export class FolderRunner {
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
    private readonly sync: RunnerHost,
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

  /**
   * One serialised pass: scan (full or the dirty directories), settle, plan. `scan: false` skips
   * the scan (a re-plan after a changed file looks at that batch's files only).
   */
  pass(o: PassOptions): Promise<PlannedBatch[]> {
    const run = this.chain.then(() => this.passNow(o));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async passNow(o: PassOptions): Promise<PlannedBatch[]> {
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
    const scan = o.scan !== false;
    const full =
      scan &&
      (o.full ||
        (!o.dirsOnly && (this.needFull || this.missing || now - this.lastFullAt >= interval)));
    // Watch first, then scan: a change during the scan is then either scanned or hinted.
    if (
      scan &&
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
    } else if (scan && this.dirty.size > 0) {
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
    if (this.missing && !scan) return [];
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
    const replanned = await this.sync.planner.replanParked(this.row);
    if (replanned.length)
      this.sync.events.emit('replanned', { folderId: this.row.id, batchIds: replanned });
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

  emitCounts(): void {
    const counts = this.sync.files.counts(this.row.id);
    const key = JSON.stringify(counts);
    if (key === this.lastCounts) return;
    this.lastCounts = key;
    this.sync.events.emit('counts', { folderId: this.row.id, counts });
  }
}
