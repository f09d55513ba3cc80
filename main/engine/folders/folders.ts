// Sync folders as the UI and the CLI see them: saved rules (the journal's folders), the running
// watch/plan machinery (FolderSync) for the signed-in server, and the ad-hoc folders of
// `sync --once` and `watch`. Folders belong to a server: only the current server's folders run.
import { resolve } from 'node:path';
import type { FolderInfo, FolderPreview, FolderRule, IgnoredFile } from '../../model/index.js';
import { isTerminal } from '../../core/batch-state.js';
import type { Clock } from '../../core/clock.js';
import { describeIgnore } from '../../core/ignore-reason.js';
import type { Logger } from '../../core/logger.js';
import type { CvatApi } from '../../cvat/api.js';
import type { BatchRow } from '../../journal/batch-repo.js';
import type { FileRepo } from '../../journal/file-repo.js';
import type { FolderRepo, FolderRow } from '../../journal/folder-repo.js';
import type { FileSystem } from '../../fs/file-system.js';
import type { EngineJournal } from '../engine-journal.js';
import { Adopter } from '../planner/adopter.js';
import type { AdoptDecision } from '../planner/adopter.js';
import { previewFolder } from '../planner/preview.js';
import { assertValidRule } from '../planner/rule-validation.js';
import type { FolderAutoExport } from '../results/auto-exporter.js';
import type { UploadEngine } from '../upload/upload-engine.js';
import type { VerifySource } from '../verify/verify.js';
import { folderErrors } from './folder-errors.js';
import { FolderSync, folderInfoOf } from './folder-sync.js';
import {
  autoExportsOf,
  localFolderLookup,
  verifySourceOfFolder,
  verifySourceOfTask,
} from './folder-lookups.js';
import { summarizeSyncOnce, waitForBatches } from './sync-once.js';
import type { SyncOnceSummary } from './sync-once.js';

export type { SyncOnceSummary, SyncOnceTask } from './sync-once.js';

export interface FoldersOptions {
  /** null: no journal in the data folder yet (a read-only view). */
  journal: EngineJournal | null;
  clock: Clock;
  logger: Logger;
  /** The filesystem the watcher, scanner, gate and planner read. */
  fs?: FileSystem;
  /** null when this process does not run the engine (read-only view). */
  uploads: UploadEngine | null;
  emit: (f: FolderInfo) => void;
  /** The signed-in server, for adopting tasks already there (null when signed out). */
  api?: () => CvatApi | null;
  /** An adopt decision was made for a batch (for the activity log). */
  onAdoptDecision?: (folderId: number, batch: BatchRow, decision: AdoptDecision) => void;
}

const NO_HEALTH = { state: 'paused' as const, message: null, fix: null };

export class Folders {
  private readonly repo: FolderRepo | null;
  private readonly files: FileRepo | null;
  private sync: FolderSync | null = null;
  private server: string | null = null;
  private running = false;
  private switching: Promise<void> = Promise.resolve();

  private readonly adopter: Adopter | null;

  constructor(private readonly options: FoldersOptions) {
    this.repo = options.journal?.folders ?? null;
    this.files = options.journal?.files ?? null;
    this.adopter = options.journal
      ? new Adopter({
          journal: options.journal,
          clock: options.clock,
          logger: options.logger,
          api: options.api ?? (() => null),
          onDecided: (folderId, batch, decision) => {
            if (decision.kind === 'adopt') this.batchFinished(folderId);
            else this.options.uploads?.wake();
            this.options.onAdoptDecision?.(folderId, batch, decision);
            this.push(folderId);
          },
        })
      : null;
  }

  /** Held batches of adopting folders are checked against the server (after planning, sign-in). */
  private adoptPending(folderId?: number): void {
    const adopter = this.adopter;
    if (!adopter || !this.repo) return;
    const ids = folderId !== undefined ? [folderId] : this.repo.list().map((f) => f.id);
    for (const id of ids)
      if (adopter.isEnabled(id) && adopter.pending(id).length) void adopter.run(id);
  }

  /** Waits until the held batches of `folderId` were checked (sync --once). */
  async adoptionSettled(folderId: number): Promise<void> {
    if (this.adopter?.isEnabled(folderId)) await this.adopter.run(folderId);
  }

  /** The signed-in server changed (or signed out): run that server's folders only. */
  setServer(server: string | null): Promise<void> {
    // Serialised: connection events can arrive while the previous switch is still stopping.
    this.switching = this.switching.catch(() => undefined).then(() => this.switchServer(server));
    return this.switching;
  }

  /** Resolves once the last server switch is through (folder operations then see the new server). */
  settled(): Promise<void> {
    return this.switching.catch(() => undefined);
  }

  private async switchServer(server: string | null): Promise<void> {
    if (server === this.server && (this.sync || server === null)) return;
    await this.sync?.stop();
    this.sync = null;
    this.server = server;
    if (!this.options.journal || server === null) return;
    const adopter = this.adopter;
    const sync = new FolderSync({
      journal: this.options.journal,
      clock: this.options.clock,
      logger: this.options.logger,
      server,
      ...(this.options.fs ? { fs: this.options.fs } : {}),
      ...(adopter ? { onPlanned: (batchId, folderId) => adopter.hold(batchId, folderId) } : {}),
    });
    sync.events.on('health', ({ folderId }) => this.push(folderId));
    sync.events.on('counts', ({ folderId }) => this.push(folderId));
    // A plan (or a re-plan) wakes the upload queue directly.
    sync.events.on('replanned', () => this.options.uploads?.wake());
    sync.events.on('planned', ({ folderId }) => {
      this.options.uploads?.wake();
      this.adoptPending(folderId);
    });
    this.sync = sync;
    if (this.running) await sync.start();
  }

  /** Starts every saved folder of the current server (the daemon and the desktop app). */
  async start(): Promise<void> {
    this.running = true;
    await this.sync?.start();
    this.adoptPending();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.sync?.stop();
  }

  /**
   * A file of a planned batch changed after planning and the upload engine parked the batch: a
   * targeted pass re-plans the folder's parked batches from their own files (no scan).
   */
  replanParked(folderId: number | null): void {
    if (folderId === null || !this.sync) return;
    this.sync.replanParked(folderId).catch((e: unknown) =>
      this.options.logger.warn('re-planning a parked batch failed', {
        folderId,
        error: String(e),
      }),
    );
  }

  /** A batch of the folder finished or was cancelled (its files already follow): new counts out. */
  batchFinished(folderId: number | null): void {
    if (folderId !== null) this.sync?.countsChanged(folderId);
  }

  /** Id, path, health and pause of each saved folder: the status snapshot's cheap view (no counts). */
  statusList(): Array<{ id: number; path: string; health: FolderInfo['health']; paused: boolean }> {
    if (!this.repo) return [];
    return this.repo.list({ savedOnly: true }).map((row) => ({
      id: row.id,
      path: row.rule.path,
      paused: row.paused,
      health: row.paused ? NO_HEALTH : this.healthOf(row),
    }));
  }

  list(): FolderInfo[] {
    if (!this.repo) return [];
    return this.repo.list({ savedOnly: true }).map((row) => this.infoOf(row));
  }

  async add(rule: FolderRule): Promise<FolderInfo> {
    assertValidRule(rule);
    await this.settled();
    const { repo, server } = this.writable();
    const existing = repo.findByPath(server, rule.path);
    let row: FolderRow;
    if (existing?.saved) {
      throw folderErrors.exists(rule.path, existing.id);
    } else if (existing) {
      // An ad-hoc folder of `sync --once` becomes a saved one, keeping what it uploaded.
      repo.update(existing.id, rule);
      repo.setSaved(existing.id, true);
      row = repo.require(existing.id);
    } else {
      row = repo.insert(rule, { server, saved: true });
    }
    this.adopter?.setEnabled(row.id, rule.adoptExisting === true);
    await this.sync?.reload(row.id);
    return this.push(row.id);
  }

  async update(id: number, rule: FolderRule): Promise<FolderInfo> {
    assertValidRule(rule);
    await this.settled();
    const { repo } = this.writable();
    this.requireRow(id);
    repo.update(id, rule);
    this.adopter?.setEnabled(id, rule.adoptExisting === true);
    await this.sync?.reload(id);
    return this.push(id);
  }

  async remove(id: number): Promise<void> {
    await this.settled();
    const { repo } = this.writable();
    this.requireRow(id);
    await this.sync?.remove(id);
    repo.remove(id);
  }

  async setPaused(id: number, paused: boolean): Promise<FolderInfo> {
    await this.settled();
    const { repo } = this.writable();
    this.requireRow(id);
    if (this.sync) {
      if (paused) await this.sync.pause(id);
      else await this.sync.resume(id);
    } else {
      repo.setPaused(id, paused);
    }
    if (paused) this.options.uploads?.pauseFolder(id);
    else this.options.uploads?.resumeFolder(id);
    return this.push(id);
  }

  preview(rule: FolderRule): Promise<FolderPreview> {
    return previewFolder(rule, { clock: this.options.clock });
  }

  ignored(id: number, limit: number): IgnoredFile[] {
    this.requireRow(id);
    return (this.files?.ignored(id, limit) ?? []).map((f) => ({
      path: f.relPath,
      reason: describeIgnore(f.reason ?? 'unknown', f.detail),
    }));
  }

  /** taskId -> the sync folder whose batch created it (for the task list's "local folder"). */
  localFolderLookup(): (taskId: number) => { folderId: number; path: string } | null {
    return localFolderLookup(this.options.journal);
  }

  /** A folder's rule and batches with their files, for verify (by id, or by path). */
  verifySource(which: { id?: number; path?: string }): VerifySource {
    const row =
      which.path !== undefined ? this.rowByPath(which.path) : this.requireRow(which.id ?? 0);
    return verifySourceOfFolder(this.options.journal, row);
  }

  /** The batch that created `taskId`, for verifying one task; null when this app did not. */
  verifySourceOfTask(taskId: number): VerifySource | null {
    return verifySourceOfTask(this.options.journal, taskId);
  }

  /** Auto-export rules of the current server's folders, with the tasks their batches created. */
  autoExports(): FolderAutoExport[] {
    return this.server === null ? [] : autoExportsOf(this.options.journal, this.server);
  }

  /**
   * `cvat-sync sync DIR --once`: plan everything that exists and has settled, upload it, wait
   * until CVAT has processed every task, and report. The folder is kept (unsaved) so that a
   * re-run uploads only what is new.
   */
  async syncOnce(rule: FolderRule, signal?: AbortSignal): Promise<SyncOnceSummary> {
    assertValidRule(rule);
    await this.settled();
    const { sync, uploads } = this.runtime();
    const row = this.adHoc(rule);
    const before = new Set(
      this.batchesOf(row.id)
        .filter((b) => b.state === 'done')
        .map((b) => b.id),
    );
    await sync.syncOnce(row.id, signal);
    await this.adoptionSettled(row.id);
    uploads.start();
    uploads.wake();
    await waitForBatches({
      uploads,
      open: () => this.batchesOf(row.id).filter((b) => !isTerminal(b.state)),
      replanParked: () => sync.replanParked(row.id),
      clock: this.options.clock,
      ...(signal ? { signal } : {}),
    });
    return this.summary(row.id, before);
  }

  /**
   * `cvat-sync watch DIR`: the folder (unsaved) runs as saved folders do in the daemon, with the
   * OS watcher as the hint and periodic reconcile scans as the truth, until stop(); saved
   * folders are not started.
   */
  async watchAdHoc(rule: FolderRule): Promise<FolderInfo> {
    assertValidRule(rule);
    await this.settled();
    const { sync, uploads } = this.runtime();
    const row = this.adHoc(rule);
    await sync.watchFolder(row.id);
    uploads.start();
    return this.push(row.id);
  }

  private adHoc(rule: FolderRule): FolderRow {
    const { repo, server } = this.writable();
    const existing = repo.findByPath(server, rule.path);
    if (!existing) {
      const row = repo.insert(rule, { server, saved: false });
      this.adopter?.setEnabled(row.id, rule.adoptExisting === true);
      return row;
    }
    repo.update(existing.id, rule);
    this.adopter?.setEnabled(existing.id, rule.adoptExisting === true);
    if (existing.paused) {
      repo.setPaused(existing.id, false);
      this.options.uploads?.resumeFolder(existing.id);
    }
    return repo.require(existing.id);
  }

  private batchesOf(folderId: number): BatchRow[] {
    return (
      this.options.uploads?.listBatches({ folderId }) ??
      this.options.journal?.batches.list({ folderId }) ??
      []
    );
  }

  private summary(folderId: number, doneBefore: Set<number>): SyncOnceSummary {
    return summarizeSyncOnce({
      batches: this.batchesOf(folderId).filter((b) => !doneBefore.has(b.id)),
      counts: this.files?.counts(folderId) ?? null,
      ignored: this.files?.ignored(folderId, 10_000) ?? [],
      adopted: new Set(this.adopter?.adopted(folderId) ?? []),
      filesOf: (batchId) => this.options.journal?.batches.files(batchId) ?? [],
      fileRowsOf: (batchId) => this.files?.ofBatch(batchId) ?? [],
      folderId,
    });
  }

  private infoOf(row: FolderRow): FolderInfo {
    const info = this.baseInfoOf(row);
    return this.adopter?.isEnabled(row.id)
      ? { ...info, rule: { ...info.rule, adoptExisting: true } }
      : info;
  }

  private baseInfoOf(row: FolderRow): FolderInfo {
    const live = row.server === this.server ? this.sync?.info(row.id) : undefined;
    if (live) return live;
    const counts = this.files?.counts(row.id) ?? {
      files: 0,
      uploaded: 0,
      pending: 0,
      ignored: 0,
      failed: 0,
    };
    return folderInfoOf(row, counts, this.healthOf(row));
  }

  private healthOf(row: FolderRow): FolderInfo['health'] {
    if (row.server === this.server && this.sync) return this.sync.health(row.id);
    return {
      state: 'paused',
      message:
        row.server && row.server !== this.server
          ? `Belongs to ${row.server}; sign in there to sync it.`
          : 'Not running.',
      fix: null,
    };
  }

  private push(folderId: number): FolderInfo {
    const row = this.requireRow(folderId);
    const info = this.infoOf(row);
    if (row.saved) this.options.emit(info);
    return info;
  }

  /** A saved or `sync --once` folder of the current server at `path`. */
  private rowByPath(path: string): FolderRow {
    const wanted = resolve(path);
    const rows = this.repo?.list() ?? [];
    const row =
      rows.find((r) => r.server === this.server && resolve(r.rule.path) === wanted) ??
      rows.find((r) => resolve(r.rule.path) === wanted);
    if (!row) throw folderErrors.notAtPath(wanted);
    return row;
  }

  private requireRow(id: number): FolderRow {
    const row = this.repo?.get(id);
    if (!row) {
      throw folderErrors.notFound(id);
    }
    return row;
  }

  private writable(): { repo: FolderRepo; server: string } {
    if (!this.repo) throw folderErrors.noJournal();
    if (this.server === null) {
      throw folderErrors.signedOut();
    }
    return { repo: this.repo, server: this.server };
  }

  private runtime(): { sync: FolderSync; uploads: UploadEngine } {
    this.writable();
    if (!this.sync || !this.options.uploads) throw folderErrors.engineNotHere();
    return { sync: this.sync, uploads: this.options.uploads };
  }
}
