// Sync folders as the UI and the CLI see them: saved rules (FolderRepo), the running watch/plan
// machinery (FolderSync) for the signed-in server, and the ad-hoc folders of `sync --once` and
// `watch`. Folders belong to a server: only the current server's folders run.
import type { FolderInfo, FolderPreview, FolderRule, IgnoredFile } from '../../preload/contract.js';
import { isTerminal } from '../core/batch-state.js';
import type { Clock } from '../core/clock.js';
import { SyncError } from '../core/errors.js';
import { describeIgnore } from '../core/ignore-reason.js';
import type { Logger } from '../core/logger.js';
import { FolderSync, folderInfoOf } from '../engine/planner/folder-sync.js';
import type { FolderAutoExport } from '../engine/results/auto-exporter.js';
import { previewFolder } from '../engine/planner/preview.js';
import { assertValidRule } from '../engine/planner/rule-validation.js';
import type { UploadEngine } from '../engine/upload/upload-engine.js';
import type { BatchRepo, BatchRow } from '../journal/batch-repo.js';
import type { Db } from '../journal/database.js';
import { FileRepo } from '../journal/file-repo.js';
import type { FileRow } from '../journal/file-repo.js';
import type { FolderRow } from '../journal/folder-repo.js';
import { FolderRepo } from '../journal/folder-repo.js';
import { resolve } from 'node:path';
import type { AbortSignalLike } from '../core/signal.js';
import type { VerifySource } from '../engine/verify/verify.js';
import { Adopter } from '../engine/planner/adopter.js';
import type { AdoptDecision } from '../engine/planner/adopter.js';
import { batchRepoSink } from '../engine/planner/batch-sink.js';
import type { BatchTaskSpec } from '../engine/planner/task-spec.js';
import type { CvatApi, DataRequest } from '../cvat/api.js';
import { SettingsRepo } from '../journal/settings-repo.js';

export interface SyncOnceTask {
  batchId: number;
  taskId: number | null;
  name: string;
  files: number;
  state: string;
  error: string | null;
}

export interface SyncOnceSummary {
  folderId: number;
  tasks: SyncOnceTask[];
  uploadedFiles: number;
  /** Files of tasks already on the server, recorded as done without uploading (--adopt-existing). */
  adoptedFiles: number;
  alreadyUploaded: number;
  failedFiles: number;
  pendingFiles: number;
  ignored: number;
  /** Every file not in CVAT after the run (ignored or failed), with its reason. */
  leftOut: IgnoredFile[];
  /** How many of them were left out for a problem, not by the user's own choice. */
  leftOutProblems: number;
}

/** A present file not yet uploaded, ignored or failed (the files table's "pending"). */
function isPendingRow(r: FileRow): boolean {
  return (
    r.missingSince === null &&
    r.state !== 'uploaded' &&
    r.state !== 'ignored' &&
    r.state !== 'failed'
  );
}

/**
 * Left out on purpose: the rule, hidden or partial files, content already uploaded, files that
 * are not media at all (a README beside the images), uploads the user cancelled.
 */
const BY_CHOICE = new Set([
  'excluded',
  'not-included',
  'hidden',
  'partial-download',
  'duplicate',
  'unsupported-type',
  'cancelled',
]);

export interface FolderServiceOptions {
  db: Db | null;
  clock: Clock;
  logger: Logger;
  uploads: UploadEngine | null;
  batchRepo: BatchRepo | null;
  emit: (f: FolderInfo) => void;
  /** The signed-in server, for adopting tasks already there (null when signed out). */
  api?: () => CvatApi | null;
  /** An adopt decision was made for a batch (for the activity log). */
  onAdoptDecision?: (folderId: number, batch: BatchRow, decision: AdoptDecision) => void;
}

const NO_HEALTH = { state: 'paused' as const, message: null, fix: null };

export class FolderService {
  private readonly repo: FolderRepo | null;
  private readonly files: FileRepo | null;
  private sync: FolderSync | null = null;
  private server: string | null = null;
  private running = false;
  private switching: Promise<void> = Promise.resolve();

  private readonly adopter: Adopter | null;

  constructor(private readonly o: FolderServiceOptions) {
    this.repo = o.db ? new FolderRepo(o.db, o.clock) : null;
    this.files = o.db ? new FileRepo(o.db) : null;
    this.adopter =
      o.db && o.batchRepo
        ? new Adopter({
            batches: o.batchRepo,
            settings: new SettingsRepo(o.db),
            clock: o.clock,
            logger: o.logger,
            api: o.api ?? (() => null),
            onDecided: (folderId, batch, decision) => {
              if (decision.kind === 'adopt') this.batchSettled(folderId);
              else this.o.uploads?.wake();
              this.o.onAdoptDecision?.(folderId, batch, decision);
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
    if (!this.o.db || server === null) return;
    const sync = new FolderSync({
      db: this.o.db,
      clock: this.o.clock,
      logger: this.o.logger,
      server,
      ...(this.adopter && this.o.batchRepo
        ? {
            batches: this.adopter.wrap(
              batchRepoSink(this.o.batchRepo as BatchRepo<BatchTaskSpec, DataRequest>),
            ),
          }
        : {}),
    });
    sync.events.on('health', ({ folderId }) => this.push(folderId));
    sync.events.on('counts', ({ folderId }) => this.push(folderId));
    sync.events.on('planned', ({ folderId }) => {
      this.o.uploads?.wake();
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

  /** A batch needs re-planning (a file changed after planning): the folder's next pass does it. */
  replanNeeded(folderId: number | null): void {
    if (folderId !== null) this.sync?.rescan(folderId);
  }

  /** The upload engine finished or cancelled a batch: its files follow now (and counts go out). */
  batchSettled(folderId: number | null): void {
    if (folderId === null || !this.sync) return;
    this.sync
      .followBatches(folderId)
      .catch((e: unknown) =>
        this.o.logger.warn('following a finished batch failed', { folderId, error: String(e) }),
      );
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
      throw new SyncError(`${rule.path} is already sync folder #${existing.id}.`, {
        code: 'folder-exists',
        kind: 'item',
        operation: 'add folder',
        hint: 'Change its rule instead, or remove it first.',
      });
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
    if (paused) this.o.uploads?.pauseFolder(id);
    else this.o.uploads?.resumeFolder(id);
    return this.push(id);
  }

  preview(rule: FolderRule): Promise<FolderPreview> {
    return previewFolder(rule, { clock: this.o.clock });
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
    if (!this.o.batchRepo || !this.repo) return () => null;
    const paths = new Map(this.repo.list().map((f) => [f.id, f.rule.path]));
    const byTask = new Map<number, { folderId: number; path: string }>();
    for (const b of this.o.batchRepo.list()) {
      if (b.taskId === null || b.folderId === null) continue;
      const path = paths.get(b.folderId);
      if (path !== undefined) byTask.set(b.taskId, { folderId: b.folderId, path });
    }
    return (taskId) => byTask.get(taskId) ?? null;
  }

  /** A folder's rule and batches with their files, for verify (by id, or by path). */
  verifySource(which: { id?: number; path?: string }): VerifySource {
    const row =
      which.path !== undefined ? this.rowByPath(which.path) : this.requireRow(which.id ?? 0);
    const id = row.id;
    const batches = this.o.batchRepo?.list({ folderId: id }) ?? [];
    return {
      folderId: id,
      rule: row.rule,
      batches: batches.map((batch) => ({ batch, files: this.o.batchRepo?.files(batch.id) ?? [] })),
    };
  }

  /** The batch that created `taskId`, for verifying one task; null when this app did not. */
  verifySourceOfTask(taskId: number): VerifySource | null {
    const batch = this.o.batchRepo?.list().find((b) => b.taskId === taskId && b.state === 'done');
    if (!batch || !this.o.batchRepo) return null;
    return {
      folderId: batch.folderId,
      rule: null,
      batches: [{ batch, files: this.o.batchRepo.files(batch.id) }],
    };
  }

  /** Auto-export rules of the current server's folders, with the tasks their batches created. */
  autoExports(): FolderAutoExport[] {
    if (!this.repo || !this.o.batchRepo || this.server === null) return [];
    const out: FolderAutoExport[] = [];
    for (const f of this.repo.list({ server: this.server, savedOnly: true })) {
      if (!f.rule.autoExport) continue;
      const taskIds = this.o.batchRepo
        .list({ folderId: f.id, states: ['done'] })
        .map((b) => b.taskId)
        .filter((t): t is number => t !== null);
      out.push({ folderId: f.id, rule: f.rule.autoExport, taskIds });
    }
    return out;
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
    await this.waitForBatches(row.id, signal);
    // The upload engine's outcome flows back into the file rows on the next pass.
    await sync.step(row.id);
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
      this.o.uploads?.resumeFolder(existing.id);
    }
    return repo.require(existing.id);
  }

  private batchesOf(folderId: number): BatchRow[] {
    return this.o.uploads?.listBatches({ folderId }) ?? this.o.batchRepo?.list({ folderId }) ?? [];
  }

  private async waitForBatches(folderId: number, signal?: AbortSignalLike): Promise<void> {
    const uploads = this.o.uploads;
    if (!uploads) return;
    for (;;) {
      if (signal?.aborted) return;
      const open = this.batchesOf(folderId).filter((b) => !isTerminal(b.state));
      if (open.length === 0) return;
      if (uploads.status().paused) {
        throw new SyncError('Uploads are paused (Pause all); nothing is sent until they resume.', {
          code: 'paused',
          kind: 'fatal',
          hint: 'Run `cvat-sync resume` (or Resume in the app or the daemon’s web page), then run the command again.',
        });
      }
      const auth = uploads.status().authError;
      if (auth) {
        throw new SyncError(auth.message, {
          code: auth.code,
          kind: 'fatal',
          ...(auth.hint ? { hint: auth.hint } : {}),
          ...(auth.status !== undefined ? { status: auth.status } : {}),
        });
      }
      if (open.every((b) => b.replanReason !== null)) {
        // Files changed after planning: let the folder re-plan them, then continue.
        await this.sync?.step(folderId);
      }
      const idle = uploads.idle();
      const aborted = new Promise<void>((resolve) =>
        signal?.addEventListener('abort', () => resolve(), { once: true }),
      );
      await Promise.race([idle, aborted]);
      // idle() also resolves while a retry waits for its time: look again after a short pause.
      await this.o.clock.sleep(500).catch(() => undefined);
    }
  }

  private summary(folderId: number, doneBefore: Set<number>): SyncOnceSummary {
    const batches = this.batchesOf(folderId).filter((b) => !doneBefore.has(b.id));
    const counts = this.files?.counts(folderId) ?? {
      files: 0,
      uploaded: 0,
      pending: 0,
      ignored: 0,
      failed: 0,
    };
    const adopted = new Set(this.adopter?.adopted(folderId) ?? []);
    const rows = this.files?.ignored(folderId, 10_000) ?? [];
    // A failed batch's files are left out too, with the batch's error as their reason.
    const failedBatchRows = batches
      .filter((b) => b.state === 'failed')
      .flatMap((b) =>
        (this.o.batchRepo?.files(b.id) ?? []).map((f) => ({
          path: f.relPath,
          reason: `its task failed: ${b.lastError?.message ?? 'unknown error'}`,
        })),
      );
    const listed = new Set(rows.map((r) => r.relPath));
    const leftOut = [
      ...rows.map((f) => ({
        path: f.relPath,
        reason: describeIgnore(f.reason ?? 'unknown', f.detail),
      })),
      ...failedBatchRows.filter((f) => !listed.has(f.path)),
    ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const uploadedFiles = batches
      .filter((b) => b.state === 'done' && !adopted.has(b.id))
      .reduce((s, b) => s + b.filesTotal, 0);
    const adoptedFiles = batches
      .filter((b) => b.state === 'done' && adopted.has(b.id))
      .reduce((s, b) => s + b.filesTotal, 0);
    const failedBatchFiles = batches
      .filter((b) => b.state === 'failed')
      .reduce((s, b) => s + b.filesTotal, 0);
    // A failed batch's files stay 'planned' in the files table: counted as failed, not pending too.
    const failedStillPending = batches
      .filter((b) => b.state === 'failed')
      .reduce((s, b) => s + (this.files?.ofBatch(b.id) ?? []).filter(isPendingRow).length, 0);
    const openFiles = batches
      .filter((b) => !isTerminal(b.state))
      .reduce((s, b) => s + b.filesTotal, 0);
    return {
      folderId,
      tasks: batches.map((b) => ({
        batchId: b.id,
        taskId: b.taskId,
        name: b.name,
        files: b.filesTotal,
        state: b.state,
        error: b.lastError?.message ?? null,
      })),
      uploadedFiles,
      adoptedFiles,
      alreadyUploaded: Math.max(0, counts.uploaded - uploadedFiles - adoptedFiles),
      failedFiles: Math.max(counts.failed, failedBatchFiles),
      pendingFiles: Math.max(counts.pending - failedStillPending, openFiles),
      ignored: counts.ignored,
      leftOut,
      leftOutProblems:
        rows.filter((r) => !BY_CHOICE.has(r.reason ?? '')).length +
        failedBatchRows.filter((f) => !listed.has(f.path)).length,
    };
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
    if (row.saved) this.o.emit(info);
    return info;
  }

  /** A saved or `sync --once` folder of the current server at `path`. */
  private rowByPath(path: string): FolderRow {
    const wanted = resolve(path);
    const rows = this.repo?.list() ?? [];
    const row =
      rows.find((r) => r.server === this.server && resolve(r.rule.path) === wanted) ??
      rows.find((r) => resolve(r.rule.path) === wanted);
    if (!row)
      throw new SyncError(`${wanted} is not a sync folder of this app.`, {
        code: 'not-found',
        kind: 'item',
        operation: 'find folder',
        hint: 'Verify checks folders this app synced (`cvat-sync folders ls`, or a folder of `cvat-sync sync --once`).',
      });
    return row;
  }

  private requireRow(id: number): FolderRow {
    const row = this.repo?.get(id);
    if (!row) {
      throw new SyncError(`No sync folder #${id}.`, {
        code: 'not-found',
        kind: 'item',
        operation: 'find folder',
        hint: 'List them with `cvat-sync folders ls`.',
      });
    }
    return row;
  }

  private writable(): { repo: FolderRepo; server: string } {
    if (!this.repo)
      throw new SyncError('No journal: this view of the data folder is read-only.', {
        code: 'read-only',
        kind: 'fatal',
      });
    if (this.server === null) {
      throw new SyncError('Sign in first: a sync folder belongs to a CVAT server.', {
        code: 'signed-out',
        kind: 'fatal',
        operation: 'add folder',
        hint: 'Run `cvat-sync login` (or pass --server with CVAT_ACCESS_TOKEN).',
      });
    }
    return { repo: this.repo, server: this.server };
  }

  private runtime(): { sync: FolderSync; uploads: UploadEngine } {
    this.writable();
    if (!this.sync || !this.o.uploads)
      throw new SyncError('The engine is not running in this process.', {
        code: 'read-only',
        kind: 'fatal',
      });
    return { sync: this.sync, uploads: this.o.uploads };
  }
}
