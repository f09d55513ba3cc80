// The one class that implements the UI contract on top of the engine. Every method answers a
// Result and never throws; engine and connection changes become contract events.
import { join } from 'node:path';
import type {
  ActivityEntry,
  AnnotationCounts,
  PushAnnotationsRequest,
  ActivityQuery,
  BackupRequest,
  ConnectionInfo,
  DoctorFinding,
  EventName,
  ExportRequest,
  FolderInfo,
  FolderPreview,
  FolderRule,
  FormatList,
  IgnoredFile,
  ImportAnnotationsRequest,
  Organization,
  ProjectSummary,
  RestoreRequest,
  Result,
  Settings,
  SettingsPatch,
  SignInRequest,
  StatusSnapshot,
  SyncEvents,
  TaskEdit,
  TaskFrames,
  TaskLabel,
  TaskPage,
  TaskQuery,
  TaskSummary,
  UserSummary,
  ValidationLayoutInfo,
  VerifyReport,
  Transfer,
  TransferQuery,
  TransferTotals,
} from '../../preload/contract.js';
import type { Clock } from '../core/clock.js';
import { SyncError, toSyncError } from '../core/errors.js';
import { EventBus } from '../core/event-bus.js';
import type { Logger } from '../core/logger.js';
import type { TokenBucket } from '../core/token-bucket.js';
import type { CvatApi, Formats } from '../cvat/api.js';
import { runDoctor } from '../cvat/doctor.js';
import type { ActivityLevel, ActivityRepo, ActivityRow } from '../journal/activity-repo.js';
import type { SettingsRepo } from '../journal/settings-repo.js';
import type { Connection } from './connection.js';
import { toContractError } from './contract-schemas.js';
import { writeDebugArchive } from './debug-archive.js';
import type { EngineLock } from './engine-lock.js';
import type { Folders } from '../engine/folders/folders.js';
import type { EventListener, SyncService } from './host.js';
import { ProgressThrottle } from './progress-throttle.js';
import { StatusThrottle } from './status-throttle.js';
import { loadSettings, saveSettings } from './settings.js';
import type { Network } from './network.js';
import { netOptions } from './network.js';
import type { SecretStore } from './host.js';
import type { NetStack } from '../cvat/net-stack.js';
import type { PinnedCertificate } from '../cvat/tls-trust.js';
import { closeMatches } from './suggest.js';
import { toListQuery, toTaskSummary, webUrlOf } from './task-view.js';
import { editTask, listTaskLabels, searchUsers, taskApiOf } from './task-edit.js';
import { verifyFolder } from '../engine/verify/verify.js';
import { pullAnnotations, pushAnnotations } from './annotations.js';
import { changeDeletedFrames, frameDataUrl, taskFrames } from './task-frames.js';
import { updateValidationLayout, validationLayout } from './validation.js';
import type { AdoptDecision } from '../engine/planner/adopter.js';
import type { BatchRow } from '../journal/batch-repo.js';
import type { TransferService } from './transfer-service.js';

export interface ServiceParts {
  dataDir: string;
  host: 'desktop' | 'daemon';
  clock: Clock;
  logger: Logger;
  connection: Connection;
  network: Network;
  secrets: SecretStore;
  proxyPasswordSet: boolean;
  /** null when the service was opened read-only on a data folder that has no journal yet. */
  settingsRepo: SettingsRepo | null;
  activityRepo: ActivityRepo | null;
  /** null = read-only: another engine holds the data folder. */
  lock: EngineLock | null;
  throttle: TokenBucket;
  folders: Folders;
  transfers: TransferService;
  chooseFolder?: (() => Promise<string | null>) | undefined;
  openExternal?: ((url: string) => void) | undefined;
  /** Closes the journal after the engines stopped. */
  closeJournal: () => void;
}

const RECENT_ERRORS = 5;

const NETWORK_KEYS = [
  'proxyMode',
  'proxyHost',
  'proxyPort',
  'proxyUser',
  'proxyPassword',
  'noProxy',
  'caFile',
] as const;

function withoutPassword(patch: SettingsPatch): Omit<SettingsPatch, 'proxyPassword'> {
  const { proxyPassword: _p, ...rest } = patch;
  return rest;
}

/** SyncEvents as a type alias: EventBus needs an index-compatible record. */
type ContractEvents = { [K in keyof SyncEvents]: SyncEvents[K] };

export class SyncServiceImpl implements SyncService {
  readonly bus = new EventBus<ContractEvents>();
  private settings: Settings;
  private formatsCache: { api: CvatApi; formats: Promise<Formats> } | null = null;
  private readonly progress: ProgressThrottle;
  private readonly status: StatusThrottle;
  private closed = false;

  constructor(private readonly parts: ServiceParts) {
    this.settings = {
      ...loadSettings(parts.settingsRepo, parts.dataDir),
      proxyPasswordSet: parts.proxyPasswordSet,
    };
    parts.throttle.setRate(this.settings.bandwidthLimitBps);
    this.progress = new ProgressThrottle(parts.clock, (t) => this.bus.emit('transfer', t));
    this.status = new StatusThrottle(parts.clock, () => this.emitStatusNow());
    parts.connection.onChange((info) => {
      this.bus.emit('connection', info);
      this.emitStatus();
    });
  }

  get readOnly(): boolean {
    return this.parts.lock === null;
  }

  get connection(): Connection {
    return this.parts.connection;
  }

  get folderService(): Folders {
    return this.parts.folders;
  }

  get transferService(): TransferService {
    return this.parts.transfers;
  }

  /** The network stack (proxy, CA files) with these certificates trusted: the doctor's. */
  networkFor(trusted: readonly PinnedCertificate[]): NetStack {
    return this.parts.network.stackFor(trusted);
  }

  get currentSettings(): Settings {
    return this.settings;
  }

  // -- plumbing used by the engine adapters --------------------------------------------------

  /** Transfer updates go through here: progress is coalesced to ~4 events per second each. */
  pushTransfer(t: Transfer): void {
    this.progress.push(t);
    this.emitStatus();
  }

  removeTransfer(id: string): void {
    this.progress.forget(id);
    this.bus.emit('transfer-removed', { id });
    this.emitStatus();
  }

  pushFolder(f: FolderInfo): void {
    this.bus.emit('folder', f);
    this.emitStatus();
  }

  pushActivity(row: ActivityRow): void {
    this.bus.emit('activity', row);
    if (row.level === 'error') this.emitStatus();
  }

  /** Rebuild: an existing task was recorded for a batch, or a near match is shown to the user. */
  adoptDecided(folderId: number, batch: BatchRow, d: AdoptDecision): void {
    if (d.kind === 'adopt') {
      this.record(
        'info',
        'adopt',
        `“${batch.name}” is already task #${d.task.id} on the server (same name, ${d.meta.frames.length} matching frames): recorded as done, nothing uploaded.`,
        { folderId, taskId: d.task.id },
      );
      this.tasksChanged([d.task.id]);
    } else if (d.kind === 'partial') {
      this.record('warn', 'adopt', d.message, {
        folderId,
        hint: 'Retry the transfer to upload it as a new task, or fix the task in CVAT and add the folder again.',
      });
    }
  }

  tasksChanged(taskIds: number[]): void {
    this.bus.emit('tasks-changed', { taskIds });
  }

  record(
    level: ActivityLevel,
    kind: string,
    message: string,
    extra: Partial<Omit<ActivityEntry, 'id' | 'at' | 'level' | 'kind' | 'message'>> = {},
  ): void {
    const repo = this.parts.activityRepo;
    if (!repo || this.readOnly) return;
    this.pushActivity(repo.add({ at: this.parts.clock.now(), level, kind, message, ...extra }));
  }

  /** Totals, connection, pause or folder health may have changed: a status event soon (≤ 2/s). */
  emitStatus(): void {
    if (!this.closed) this.status.request();
  }

  private emitStatusNow(): void {
    if (this.closed) return;
    const snapshot = this.snapshot();
    if (snapshot) this.bus.emit('status', snapshot);
  }

  // -- the contract ---------------------------------------------------------------------------

  subscribe(listener: EventListener): () => void {
    return this.bus.onAny((name, payload) =>
      listener(name as EventName, payload as SyncEvents[EventName]),
    );
  }

  getStatus(): Promise<Result<StatusSnapshot>> {
    return this.run('get status', () => this.snapshot() ?? this.emptySnapshot());
  }

  getConnection(): Promise<Result<ConnectionInfo>> {
    return this.run('get connection', () => this.parts.connection.current);
  }

  /** Resolves once the folders of the new server run, so that folder calls right after work. */
  signIn(arg: SignInRequest): Promise<Result<ConnectionInfo>> {
    return this.run('sign in', async () => {
      const info = await this.parts.connection.signIn(arg);
      await this.parts.folders.settled();
      return info;
    });
  }

  signOut(): Promise<Result<ConnectionInfo>> {
    return this.run('sign out', async () => {
      const info = await this.parts.connection.signOut();
      await this.parts.folders.settled();
      return info;
    });
  }

  listOrganizations(): Promise<Result<Organization[]>> {
    return this.run('list organizations', async () => {
      const out: Organization[] = [];
      for await (const o of this.api().organizations())
        out.push({ id: o.id, slug: o.slug, name: o.name });
      return out;
    });
  }

  setOrganization(arg: { org: string | null }): Promise<Result<ConnectionInfo>> {
    return this.run('set organization', async () => {
      const info = await this.parts.connection.setOrganization(arg.org);
      await this.parts.folders.settled();
      return info;
    });
  }

  runDoctor(): Promise<Result<DoctorFinding[]>> {
    return this.run('run doctor', async () => {
      const c = this.parts.connection.credentials;
      if (!c) throw this.parts.connection.require();
      return runDoctor({
        server: c.server,
        auth: c.auth,
        org: c.org,
        net: this.parts.network.stackFor(c.trusted ?? []),
        probeBodyBytes: Math.max(this.settings.chunkSizeMiB, 100) * 1024 * 1024,
        chunkBytes: this.settings.chunkSizeMiB * 1024 * 1024,
      });
    });
  }

  listTasks(arg: TaskQuery): Promise<Result<TaskPage>> {
    return this.run('list tasks', async () => {
      const api = this.api();
      const page = await api.listTasks(toListQuery(arg));
      const local = this.parts.folders.localFolderLookup();
      return {
        count: page.count,
        results: page.results.map((t) => toTaskSummary(t, api.server, local)),
      };
    });
  }

  listProjects(): Promise<Result<ProjectSummary[]>> {
    return this.run('list projects', async () => {
      const page = await this.api().listProjects({ page_size: 'all', sort: 'name' });
      return page.results.map((p) => ({ id: p.id, name: p.name }));
    });
  }

  getTaskPreview(arg: { taskId: number }): Promise<Result<string | null>> {
    return this.run('get task preview', async () => {
      const img = await this.api().preview(arg.taskId);
      return img
        ? `data:${img.contentType};base64,${Buffer.from(img.bytes).toString('base64')}`
        : null;
    });
  }

  deleteTasks(arg: { ids: number[] }): Promise<Result<{ deleted: number[] }>> {
    return this.run('delete tasks', async () => {
      const api = this.api();
      const deleted: number[] = [];
      for (const id of arg.ids) {
        if ((await api.findTask(id)) === null) throw notFoundTask(id);
        await api.deleteTask(id);
        deleted.push(id);
      }
      this.record(
        'info',
        'tasks',
        `Deleted ${deleted.length === 1 ? 'task' : 'tasks'} ${deleted.join(', ')} on the server.`,
      );
      this.tasksChanged(deleted);
      return { deleted };
    });
  }

  openInCvat(arg: { taskId: number }): Promise<Result<string>> {
    return this.run('open in CVAT', () => {
      const server = this.parts.connection.credentials?.server;
      if (!server) throw this.parts.connection.require();
      const url = webUrlOf(server, arg.taskId);
      this.parts.openExternal?.(url);
      return url;
    });
  }

  listFormats(): Promise<Result<FormatList>> {
    return this.run('list formats', async () => {
      const f = await this.formats();
      const view = (e: Formats['exporters'][number]) => ({
        name: e.name,
        ext: e.ext,
        dimension: e.dimension,
        enabled: e.enabled,
      });
      return { importers: f.importers.map(view), exporters: f.exporters.map(view) };
    });
  }

  exportDataset(arg: ExportRequest): Promise<Result<Transfer>> {
    return this.run('export dataset', async () => {
      this.writable();
      await this.checkTarget(arg.target);
      await this.checkFormat('exporters', arg.format);
      return this.parts.transfers.exportDataset({
        ...arg,
        destination: arg.destination ?? this.settings.downloadsDir,
      });
    });
  }

  backup(arg: BackupRequest): Promise<Result<Transfer>> {
    return this.run('backup', async () => {
      this.writable();
      await this.checkTarget(arg.target);
      return this.parts.transfers.backup({
        ...arg,
        destination: arg.destination ?? this.settings.downloadsDir,
      });
    });
  }

  restoreBackup(arg: RestoreRequest): Promise<Result<Transfer>> {
    return this.run('restore backup', () => {
      this.writable();
      this.api();
      return this.parts.transfers.restore(arg);
    });
  }

  importAnnotations(arg: ImportAnnotationsRequest): Promise<Result<Transfer>> {
    return this.run('import annotations', async () => {
      this.writable();
      await this.checkTarget({ kind: 'task', id: arg.taskId });
      await this.checkFormat('importers', arg.format);
      return this.parts.transfers.importAnnotations(arg);
    });
  }

  editTask(arg: TaskEdit): Promise<Result<TaskSummary>> {
    return this.run('edit task', async () => {
      const api = this.api();
      const t = await editTask(api, arg);
      this.record('info', 'tasks', `Edited task #${t.id} “${t.name}” on the server.`, {
        taskId: t.id,
      });
      this.tasksChanged([t.id]);
      return toTaskSummary(t, api.server, this.parts.folders.localFolderLookup());
    });
  }

  searchUsers(arg: { search: string }): Promise<Result<UserSummary[]>> {
    return this.run('search users', () => searchUsers(this.api(), arg.search));
  }

  listTaskLabels(arg: { taskId: number }): Promise<Result<TaskLabel[]>> {
    return this.run('list task labels', () => listTaskLabels(this.api(), arg.taskId));
  }

  verifyFolder(arg: { id?: number; path?: string }): Promise<Result<VerifyReport>> {
    return this.run('verify folder', async () => {
      const calls = taskApiOf(this.api());
      return verifyFolder(this.parts.folders.verifySource(arg), calls, this.parts.clock);
    });
  }

  verifyTask(arg: { taskId: number }): Promise<Result<VerifyReport>> {
    return this.run('verify task', async () => {
      const calls = taskApiOf(this.api());
      const source = this.parts.folders.verifySourceOfTask(arg.taskId);
      if (!source)
        throw new SyncError(`Task #${arg.taskId} was not created from a sync folder of this app.`, {
          code: 'not-from-folder',
          kind: 'item',
          hint: 'Verify compares a task with the local files it came from; this task has none here.',
        });
      return verifyFolder(source, calls, this.parts.clock);
    });
  }

  getTaskFrames(arg: { taskId: number }): Promise<Result<TaskFrames>> {
    return this.run('get task frames', () => taskFrames(this.api(), arg.taskId));
  }

  getFrame(arg: {
    taskId: number;
    frame: number;
    quality: 'compressed' | 'original';
  }): Promise<Result<string>> {
    return this.run('get frame', () =>
      frameDataUrl(this.api(), arg.taskId, arg.frame, arg.quality),
    );
  }

  setDeletedFrames(arg: {
    taskId: number;
    delete?: number[];
    restore?: number[];
  }): Promise<Result<TaskFrames>> {
    return this.run('change deleted frames', async () => {
      const r = await changeDeletedFrames(
        this.api(),
        arg.taskId,
        arg.delete ?? [],
        arg.restore ?? [],
      );
      const parts = [
        arg.delete?.length ? `marked frames ${arg.delete.join(', ')} deleted` : '',
        arg.restore?.length ? `restored frames ${arg.restore.join(', ')}` : '',
      ].filter(Boolean);
      this.record('info', 'frames', `Task #${arg.taskId}: ${parts.join('; ')}.`, {
        taskId: arg.taskId,
      });
      this.tasksChanged([arg.taskId]);
      return r;
    });
  }

  getValidationLayout(arg: { taskId: number }): Promise<Result<ValidationLayoutInfo>> {
    return this.run('get validation layout', () => validationLayout(this.api(), arg.taskId));
  }

  updateValidationLayout(arg: {
    taskId: number;
    shuffleHoneypots?: boolean;
    disableFrames?: number[];
  }): Promise<Result<ValidationLayoutInfo>> {
    return this.run('update validation layout', async () => {
      const r = await updateValidationLayout(this.api(), arg);
      this.record('info', 'validation', `Updated the validation layout of task #${arg.taskId}.`, {
        taskId: arg.taskId,
      });
      return r;
    });
  }

  pullAnnotations(arg: {
    taskId: number;
    path?: string | null;
  }): Promise<Result<{ path: string; counts: AnnotationCounts }>> {
    return this.run('pull annotations', async () => {
      const target =
        arg.path ?? join(this.settings.downloadsDir, `task-${arg.taskId}-annotations.json`);
      const r = await pullAnnotations(this.api(), arg.taskId, target);
      this.record(
        'info',
        'annotations',
        `Saved the annotations of task #${arg.taskId} to ${r.path}.`,
        {
          taskId: arg.taskId,
        },
      );
      return r;
    });
  }

  pushAnnotations(arg: PushAnnotationsRequest): Promise<Result<AnnotationCounts>> {
    return this.run('push annotations', async () => {
      const counts = await pushAnnotations(this.api(), arg);
      this.record(
        'info',
        'annotations',
        `Sent annotations to task #${arg.taskId} (${arg.mode}): ${counts.shapes} shapes, ${counts.tags} tags, ${counts.tracks} tracks.`,
        { taskId: arg.taskId },
      );
      this.tasksChanged([arg.taskId]);
      return counts;
    });
  }

  listFolders(): Promise<Result<FolderInfo[]>> {
    return this.run('list folders', () => this.parts.folders.list());
  }

  addFolder(arg: FolderRule): Promise<Result<FolderInfo>> {
    return this.run('add folder', () => {
      this.writable();
      return this.parts.folders.add(arg);
    });
  }

  updateFolder(arg: { id: number; rule: FolderRule }): Promise<Result<FolderInfo>> {
    return this.run('update folder', () => {
      this.writable();
      return this.parts.folders.update(arg.id, arg.rule);
    });
  }

  removeFolder(arg: { id: number }): Promise<Result<{ id: number }>> {
    return this.run('remove folder', async () => {
      this.writable();
      await this.parts.folders.remove(arg.id);
      this.bus.emit('folder-removed', { id: arg.id });
      this.emitStatus();
      return { id: arg.id };
    });
  }

  pauseFolder(arg: { id: number }): Promise<Result<FolderInfo>> {
    return this.run('pause folder', () => {
      this.writable();
      return this.parts.folders.setPaused(arg.id, true);
    });
  }

  resumeFolder(arg: { id: number }): Promise<Result<FolderInfo>> {
    return this.run('resume folder', () => {
      this.writable();
      return this.parts.folders.setPaused(arg.id, false);
    });
  }

  previewFolder(arg: FolderRule): Promise<Result<FolderPreview>> {
    return this.run('preview folder', () => this.parts.folders.preview(arg));
  }

  listIgnored(arg: { id: number; limit?: number }): Promise<Result<IgnoredFile[]>> {
    return this.run('list ignored files', () =>
      this.parts.folders.ignored(arg.id, arg.limit ?? 500),
    );
  }

  chooseFolder(): Promise<Result<string | null>> {
    return this.run('choose folder', async () =>
      this.parts.chooseFolder ? this.parts.chooseFolder() : null,
    );
  }

  listTransfers(arg?: TransferQuery): Promise<Result<Transfer[]>> {
    return this.run('list transfers', () => this.parts.transfers.list(arg ?? {}));
  }

  retryTransfer(arg: { id: string }): Promise<Result<Transfer>> {
    return this.run('retry transfer', () => {
      this.writable();
      return this.parts.transfers.retry(arg.id);
    });
  }

  cancelTransfer(arg: { id: string }): Promise<Result<Transfer>> {
    return this.run('cancel transfer', () => {
      this.writable();
      return this.parts.transfers.cancel(arg.id);
    });
  }

  pauseTransfer(arg: { id: string }): Promise<Result<Transfer>> {
    return this.run('pause transfer', () => {
      this.writable();
      return this.parts.transfers.pause(arg.id);
    });
  }

  resumeTransfer(arg: { id: string }): Promise<Result<Transfer>> {
    return this.run('resume transfer', () => {
      this.writable();
      return this.parts.transfers.resume(arg.id);
    });
  }

  pauseAll(): Promise<Result<{ paused: boolean }>> {
    return this.run('pause all', async () => {
      this.writable();
      await this.parts.transfers.setPaused(true);
      this.record('info', 'queue', 'All transfers paused.');
      this.emitStatus();
      return { paused: true };
    });
  }

  resumeAll(): Promise<Result<{ paused: boolean }>> {
    return this.run('resume all', async () => {
      this.writable();
      await this.parts.transfers.setPaused(false);
      this.record('info', 'queue', 'Transfers resumed.');
      this.emitStatus();
      return { paused: false };
    });
  }

  setBandwidthLimit(arg: { bytesPerSecond: number | null }): Promise<Result<Settings>> {
    return this.run('set bandwidth limit', () =>
      this.applySettings({ bandwidthLimitBps: arg.bytesPerSecond }),
    );
  }

  listActivity(arg?: ActivityQuery): Promise<Result<ActivityEntry[]>> {
    return this.run('list activity', () => this.parts.activityRepo?.list(arg ?? {}) ?? []);
  }

  getSettings(): Promise<Result<Settings>> {
    return this.run('get settings', () => this.settings);
  }

  updateSettings(arg: SettingsPatch): Promise<Result<Settings>> {
    return this.run('update settings', () => this.applySettings(arg));
  }

  exportDebugArchive(): Promise<Result<{ path: string }>> {
    return this.run('export debug archive', async () => {
      const c = this.parts.connection.credentials;
      const secrets: string[] = [];
      if (c?.auth.kind === 'token') secrets.push(c.auth.token);
      if (c?.auth.kind === 'key') secrets.push(c.auth.key);
      if (c?.auth.kind === 'basic') secrets.push(c.auth.password);
      const path = writeDebugArchive({
        outDir: this.settings.downloadsDir,
        now: this.parts.clock.now(),
        secrets,
        logsDir: this.settings.logsDir,
        documents: {
          'about.json': {
            app: 'CVAT Sync',
            host: this.parts.host,
            platform: process.platform,
            arch: process.arch,
            node: process.versions.node,
            at: new Date(this.parts.clock.now()).toISOString(),
          },
          'connection.json': this.parts.connection.current,
          'settings.json': this.settings,
          'activity.json': this.parts.activityRepo?.list({ limit: 1000 }) ?? [],
          'folders.json': this.parts.folders.list(),
          'transfers.json': this.parts.transfers.list({ limit: 10_000 }),
        },
      });
      this.record('info', 'debug', `Debug archive written to ${path}.`);
      return { path };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.progress.close();
    this.status.close();
    await this.parts.folders.stop();
    await this.parts.transfers.stop();
    this.parts.closeJournal();
    this.parts.lock?.release();
    this.parts.network.close();
  }

  // -- helpers ---------------------------------------------------------------------------------

  api(): CvatApi {
    return this.parts.connection.require();
  }

  private writable(): void {
    if (this.readOnly) {
      throw new SyncError(
        `This data folder is in use by another CVAT Sync engine; only read-only commands work here.`,
        {
          code: 'read-only',
          kind: 'fatal',
          operation: 'change',
          hint: 'Run the command in the app or daemon that holds the data folder, or stop it first.',
        },
      );
    }
  }

  private async applySettings(patch: SettingsPatch): Promise<Settings> {
    this.writable();
    const repo = this.parts.settingsRepo;
    if (!repo)
      throw new SyncError('No journal to save settings in.', { code: 'read-only', kind: 'fatal' });
    const next = { ...this.settings, ...withoutPassword(patch) };
    // A manual proxy without host or port is refused before anything is saved.
    if (NETWORK_KEYS.some((k) => k in patch)) netOptions(next, null, [], undefined);
    if (patch.proxyPassword !== undefined)
      await this.parts.secrets.save('proxy-password', patch.proxyPassword);
    this.settings = {
      ...saveSettings(repo, this.settings, patch),
      proxyPasswordSet:
        patch.proxyPassword === undefined
          ? this.settings.proxyPasswordSet
          : patch.proxyPassword !== null,
    };
    if (NETWORK_KEYS.some((k) => k in patch)) {
      this.parts.network.update(this.settings, await this.parts.secrets.load('proxy-password'));
      // The clients are rebuilt on the new way to the server.
      if (this.parts.connection.credentials) await this.parts.connection.refresh();
    }
    if (patch.bandwidthLimitBps !== undefined) {
      // The one limiter both engines take from.
      this.parts.throttle.setRate(this.settings.bandwidthLimitBps);
    }
    if (patch.concurrency !== undefined)
      this.parts.transfers.setConcurrency(this.settings.concurrency);
    this.emitStatus();
    return this.settings;
  }

  private formats(): Promise<Formats> {
    const api = this.api();
    if (this.formatsCache?.api !== api) {
      const formats = api.formats();
      this.formatsCache = { api, formats };
      formats.catch(() => {
        if (this.formatsCache?.formats === formats) this.formatsCache = null;
      });
    }
    return this.formatsCache.formats;
  }

  /** Unknown format names fail here with the closest names the server knows. */
  private async checkFormat(side: 'importers' | 'exporters', name: string): Promise<void> {
    const list = (await this.formats())[side];
    const found = list.find((f) => f.name === name);
    if (found && found.enabled) return;
    if (found) {
      throw new SyncError(`The format "${name}" is disabled on this server.`, {
        code: 'format-disabled',
        kind: 'item',
        operation: side === 'exporters' ? 'export' : 'import',
      });
    }
    const near = closeMatches(
      name,
      list.filter((f) => f.enabled).map((f) => f.name),
    );
    throw new SyncError(`Unknown ${side === 'exporters' ? 'export' : 'import'} format "${name}".`, {
      code: 'unknown-format',
      kind: 'item',
      operation: side === 'exporters' ? 'export' : 'import',
      hint: near.length
        ? `Did you mean ${near.map((n) => `"${n}"`).join(', ')}? \`cvat-sync formats\` lists them all.`
        : '`cvat-sync formats` lists the formats this server knows.',
    });
  }

  private async checkTarget(target: { kind: 'task' | 'project'; id: number }): Promise<void> {
    const api = this.api();
    if (target.kind === 'task') {
      if ((await api.findTask(target.id)) === null) throw notFoundTask(target.id);
      return;
    }
    const page = await api.listProjects({
      filter: { '==': [{ var: 'id' }, target.id] },
      page_size: 1,
    });
    if (page.count === 0) {
      throw new SyncError(`Project ${target.id} does not exist, or this account cannot see it.`, {
        code: 'not-found',
        kind: 'item',
        operation: 'find project',
        status: 404,
        hint: 'Check the id in CVAT (Projects page) and the organization (--org).',
      });
    }
  }

  private totals(): TransferTotals {
    const all = this.parts.transfers.list({ limit: 10_000 });
    const t: TransferTotals = {
      active: 0,
      queued: 0,
      failed: 0,
      bytesDone: 0,
      bytesTotal: 0,
      speedBps: 0,
    };
    for (const x of all) {
      if (x.state === 'active' || x.state === 'processing') t.active += 1;
      else if (x.state === 'queued' || x.state === 'waiting-retry') t.queued += 1;
      else if (x.state === 'failed') t.failed += 1;
      if (x.state !== 'done' && x.state !== 'cancelled' && x.state !== 'failed') {
        t.bytesDone += x.bytesDone;
        t.bytesTotal += x.bytesTotal;
        t.speedBps += x.speedBps;
      }
    }
    return t;
  }

  private snapshot(): StatusSnapshot | null {
    try {
      return {
        host: this.parts.host,
        connection: this.parts.connection.current,
        paused: this.parts.transfers.paused(),
        totals: this.totals(),
        folders: this.parts.folders.statusList(),
        recentErrors:
          this.parts.activityRepo?.list({ levels: ['error'], limit: RECENT_ERRORS }) ?? [],
      };
    } catch (e) {
      this.parts.logger.warn('status snapshot failed', { error: (e as Error).message });
      return null;
    }
  }

  private emptySnapshot(): StatusSnapshot {
    return {
      host: this.parts.host,
      connection: this.parts.connection.current,
      paused: false,
      totals: { active: 0, queued: 0, failed: 0, bytesDone: 0, bytesTotal: 0, speedBps: 0 },
      folders: [],
      recentErrors: [],
    };
  }

  /** Runs one contract method: any throw becomes {ok: false}; a rejected credential marks the connection. */
  private async run<T>(operation: string, fn: () => T | Promise<T>): Promise<Result<T>> {
    try {
      return { ok: true, value: await fn() };
    } catch (e) {
      const err = toSyncError(e, operation);
      if (err.code === 'auth' && this.parts.connection.current.state === 'connected') {
        void this.parts.connection.refresh();
      }
      if (err.code === 'internal')
        this.parts.logger.error(`${operation} failed`, {
          error: err.message,
          stack: (e as Error).stack,
        });
      return { ok: false, error: toContractError(err) };
    }
  }
}

function notFoundTask(id: number): SyncError {
  return new SyncError(`Task ${id} does not exist, or this account cannot see it.`, {
    code: 'not-found',
    kind: 'item',
    operation: 'find task',
    status: 404,
    hint: 'Check the id with `cvat-sync tasks ls` (and the organization, --org).',
  });
}
