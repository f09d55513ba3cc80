// A hand-written SyncBridge for component tests: in-memory state that answers every contract
// method with a Result, emits events like the service, and lets a test hold or fail a method.
import type {
  ActivityEntry,
  ActivityQuery,
  BackupRequest,
  ConnectionInfo,
  ContractError,
  DoctorFinding,
  EventName,
  ExportRequest,
  FolderInfo,
  FolderPreview,
  FolderRule,
  FormatList,
  IgnoredFile,
  ImportAnnotationsRequest,
  MethodName,
  Organization,
  ProjectSummary,
  RestoreRequest,
  Result,
  Settings,
  SettingsPatch,
  SignInRequest,
  StatusSnapshot,
  SyncBridge,
  SyncEvents,
  PushAnnotationsRequest,
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
} from '../../preload/contract.js';

export const SIGNED_OUT: ConnectionInfo = {
  state: 'signed-out',
  server: null,
  username: null,
  org: null,
  serverVersion: null,
  authMethod: null,
  credentialStore: null,
  error: null,
};

export function connected(overrides: Partial<ConnectionInfo> = {}): ConnectionInfo {
  return {
    state: 'connected',
    server: 'http://127.0.0.1:9999',
    username: 'alice',
    org: null,
    serverVersion: '2.50.0',
    authMethod: 'token',
    credentialStore: 'file',
    error: null,
    ...overrides,
  };
}

export function makeTask(id: number, overrides: Partial<TaskSummary> = {}): TaskSummary {
  return {
    id,
    name: `task ${id}`,
    projectId: null,
    projectName: null,
    status: 'annotation',
    size: 10,
    mediaType: 'image',
    subset: '',
    owner: 'alice',
    assignee: null,
    createdDate: '2026-11-01T10:00:00Z',
    updatedDate: '2026-11-02T10:00:00Z',
    jobs: { count: 2, completed: 1, validation: 0 },
    localFolder: null,
    webUrl: `http://127.0.0.1:9999/tasks/${id}`,
    ...overrides,
  };
}

export function makeTransfer(id: string, overrides: Partial<Transfer> = {}): Transfer {
  return {
    id,
    kind: 'upload',
    title: `upload ${id}`,
    state: 'active',
    stage: 'sending',
    folderId: 1,
    taskId: null,
    bytesDone: 512,
    bytesTotal: 1024,
    filesDone: 1,
    filesTotal: 2,
    speedBps: 2048,
    etaSeconds: 4,
    error: null,
    attempts: 1,
    nextAttemptAt: null,
    destination: null,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    ...overrides,
  };
}

export function makeFolder(
  id: number,
  rule: Partial<FolderRule> = {},
  overrides: Partial<FolderInfo> = {},
): FolderInfo {
  return {
    id,
    rule: {
      path: `/data/folder-${id}`,
      target: { kind: 'labels', labels: [{ name: 'cat' }] },
      org: null,
      split: { kind: 'subfolder' },
      nameTemplate: null,
      include: [],
      exclude: [],
      settleSeconds: 5,
      maxFileSizeBytes: null,
      polling: false,
      taskOptions: { imageQuality: 70 },
      autoExport: null,
      ...rule,
    },
    paused: false,
    health: { state: 'watching', message: null, fix: null },
    counts: { files: 10, uploaded: 4, pending: 6, ignored: 0, failed: 0 },
    lastScanAt: null,
    ...overrides,
  };
}

const SETTINGS: Settings = {
  concurrency: 3,
  bandwidthLimitBps: null,
  chunkSizeMiB: 8,
  notifications: true,
  startAtLogin: false,
  downloadsDir: '/home/alice/Downloads',
  theme: 'system',
  proxyMode: 'system',
  proxyHost: '',
  proxyPort: null,
  proxyUser: '',
  proxyPasswordSet: false,
  noProxy: '',
  caFile: null,
  dataDir: '/home/alice/.local/share/cvat-sync',
  logsDir: '/home/alice/.local/share/cvat-sync/logs',
  agentId: 'a1b2c3d4',
};

const FORMATS: FormatList = {
  importers: [{ name: 'CVAT 1.1', ext: 'XML, ZIP', dimension: '2d', enabled: true }],
  exporters: [
    { name: 'COCO 1.0', ext: 'ZIP', dimension: '2d', enabled: true },
    { name: 'CVAT for images 1.1', ext: 'ZIP', dimension: '2d', enabled: true },
    { name: 'Disabled 1.0', ext: 'ZIP', dimension: '2d', enabled: false },
  ],
};

export function failure(
  code: string,
  message: string,
  hint?: string,
  kind: ContractError['kind'] = 'item',
): ContractError {
  return { code, kind, message, retryable: kind === 'transient', ...(hint ? { hint } : {}) };
}

export class FakeBridge implements SyncBridge {
  connection: ConnectionInfo = SIGNED_OUT;
  tasks: TaskSummary[] = [];
  projects: ProjectSummary[] = [{ id: 1, name: 'Animals' }];
  orgs: Organization[] = [{ id: 7, slug: 'lab', name: 'The Lab' }];
  findings: DoctorFinding[] = [];
  folders: FolderInfo[] = [];
  ignored: Record<number, IgnoredFile[]> = {};
  transfers: Transfer[] = [];
  activity: ActivityEntry[] = [];
  settings: Settings = { ...SETTINGS };
  formats: FormatList = FORMATS;
  paused = false;
  preview: FolderPreview = { tasks: [], ignored: [], truncated: false };
  /** Every call, in order: [method, argument]. */
  readonly calls: Array<[MethodName, unknown]> = [];
  readonly #failures = new Map<MethodName, ContractError>();
  readonly #holds = new Map<MethodName, { promise: Promise<void>; release: () => void }>();
  readonly #listeners = new Map<EventName, Set<(payload: never) => void>>();
  #nextId = 1000;

  /** Every later call of `method` answers this error (until `clearFailure`). */
  fail(method: MethodName, error: ContractError): void {
    this.#failures.set(method, error);
  }

  clearFailure(method: MethodName): void {
    this.#failures.delete(method);
  }

  /** Calls of `method` wait until the returned function is called. */
  hold(method: MethodName): () => void {
    let release!: () => void;
    const promise = new Promise<void>((r) => (release = r));
    this.#holds.set(method, { promise, release });
    return () => {
      this.#holds.delete(method);
      release();
    };
  }

  callsOf(method: MethodName): unknown[] {
    return this.calls.filter(([m]) => m === method).map(([, a]) => a);
  }

  emit<E extends EventName>(event: E, payload: SyncEvents[E]): void {
    for (const l of this.#listeners.get(event) ?? []) (l as (p: SyncEvents[E]) => void)(payload);
  }

  /** Like the service, whose events reach the renderer after the answer that caused them. */
  #emitLater<E extends EventName>(event: E, payload: SyncEvents[E]): void {
    setTimeout(() => this.emit(event, payload), 0);
  }

  on<E extends EventName>(event: E, listener: (payload: SyncEvents[E]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  async #answer<T>(
    method: MethodName,
    arg: unknown,
    value: () => T | ContractError,
  ): Promise<Result<T>> {
    this.calls.push([method, arg]);
    await this.#holds.get(method)?.promise;
    const failure = this.#failures.get(method);
    if (failure) return { ok: false, error: failure };
    const v = value();
    if (typeof v === 'object' && v !== null && 'kind' in v && 'code' in v && 'retryable' in v)
      return { ok: false, error: v as ContractError };
    return { ok: true, value: v as T };
  }

  #needsConnection(): ContractError | null {
    return this.connection.state === 'connected'
      ? null
      : failure('signed-out', 'Not signed in to CVAT.', 'Sign in on the Connect page.', 'fatal');
  }

  #newTransfer(kind: Transfer['kind'], title: string, taskId: number | null): Transfer {
    const t = makeTransfer(`t${this.#nextId++}`, {
      kind,
      title,
      taskId,
      state: 'queued',
      stage: null,
      bytesDone: 0,
      bytesTotal: 0,
      filesDone: 0,
      filesTotal: 0,
      speedBps: 0,
      etaSeconds: null,
    });
    this.transfers = [...this.transfers, t];
    this.emit('transfer', t);
    return t;
  }

  status(): StatusSnapshot {
    const count = (s: Transfer['state']) => this.transfers.filter((t) => t.state === s).length;
    return {
      host: 'daemon',
      connection: this.connection,
      paused: this.paused,
      totals: {
        active: count('active'),
        queued: count('queued'),
        failed: count('failed'),
        bytesDone: this.transfers.reduce((n, t) => n + t.bytesDone, 0),
        bytesTotal: this.transfers.reduce((n, t) => n + t.bytesTotal, 0),
        speedBps: this.transfers.reduce((n, t) => n + t.speedBps, 0),
      },
      folders: this.folders.map((f) => ({
        id: f.id,
        path: f.rule.path,
        health: f.health,
        paused: f.paused,
      })),
      recentErrors: this.activity.filter((e) => e.level === 'error').slice(0, 5),
    };
  }

  getStatus(arg?: Record<string, never>) {
    return this.#answer('getStatus', arg, () => this.status());
  }

  getConnection(arg?: Record<string, never>) {
    return this.#answer('getConnection', arg, () => this.connection);
  }

  signIn(arg: SignInRequest) {
    return this.#answer('signIn', arg, () => {
      const good = arg.method === 'token' ? arg.token === 'good-token' : arg.password === 'secret';
      if (!good)
        return failure(
          'auth',
          'The server rejected these credentials (HTTP 401).',
          'Check the token, or create a new one in CVAT.',
          'fatal',
        );
      this.connection = connected({
        server: arg.server,
        authMethod: arg.method,
        username: arg.username ?? 'alice',
      });
      this.#emitLater('connection', this.connection);
      return this.connection;
    });
  }

  signOut(arg?: Record<string, never>) {
    return this.#answer('signOut', arg, () => {
      this.connection = SIGNED_OUT;
      this.#emitLater('connection', this.connection);
      return this.connection;
    });
  }

  listOrganizations(arg?: Record<string, never>) {
    return this.#answer('listOrganizations', arg, () => this.#needsConnection() ?? this.orgs);
  }

  setOrganization(arg: { org: string | null }) {
    return this.#answer('setOrganization', arg, () => {
      this.connection = { ...this.connection, org: arg.org };
      return this.connection;
    });
  }

  runDoctor(arg?: Record<string, never>) {
    return this.#answer('runDoctor', arg, () => this.findings);
  }

  listTasks(arg: TaskQuery) {
    return this.#answer('listTasks', arg, (): TaskPage | ContractError => {
      const missing = this.#needsConnection();
      if (missing) return missing;
      let rows = this.tasks;
      if (arg.search) rows = rows.filter((t) => t.name.includes(arg.search as string));
      if (arg.status) rows = rows.filter((t) => t.status === arg.status);
      if (arg.projectId != null) rows = rows.filter((t) => t.projectId === arg.projectId);
      const from = (arg.page - 1) * arg.pageSize;
      return { count: rows.length, results: rows.slice(from, from + arg.pageSize) };
    });
  }

  listProjects(arg?: Record<string, never>) {
    return this.#answer('listProjects', arg, () => this.#needsConnection() ?? this.projects);
  }

  getTaskPreview(arg: { taskId: number }) {
    return this.#answer(
      'getTaskPreview',
      arg,
      () => `data:image/png;base64,iVBORw0KGgo=#${arg.taskId}`,
    );
  }

  deleteTasks(arg: { ids: number[] }) {
    return this.#answer('deleteTasks', arg, () => {
      const deleted = this.tasks.filter((t) => arg.ids.includes(t.id)).map((t) => t.id);
      this.tasks = this.tasks.filter((t) => !deleted.includes(t.id));
      return { deleted };
    });
  }

  openInCvat(arg: { taskId: number }) {
    return this.#answer('openInCvat', arg, () => `${this.connection.server}/tasks/${arg.taskId}`);
  }

  listFormats(arg?: Record<string, never>) {
    return this.#answer('listFormats', arg, () => this.formats);
  }

  exportDataset(arg: ExportRequest) {
    return this.#answer('exportDataset', arg, () =>
      this.#newTransfer('download', `Export ${arg.format} of task ${arg.target.id}`, arg.target.id),
    );
  }

  backup(arg: BackupRequest) {
    return this.#answer('backup', arg, () =>
      this.#newTransfer('download', `Backup of task ${arg.target.id}`, arg.target.id),
    );
  }

  restoreBackup(arg: RestoreRequest) {
    return this.#answer('restoreBackup', arg, () =>
      this.#newTransfer('restore', `Restore ${arg.path}`, null),
    );
  }

  importAnnotations(arg: ImportAnnotationsRequest) {
    return this.#answer('importAnnotations', arg, () =>
      this.#newTransfer('import', `Import ${arg.path}`, arg.taskId),
    );
  }

  users: UserSummary[] = [
    { id: 1, username: 'alice', fullName: 'Alice A' },
    { id: 2, username: 'bob', fullName: '' },
  ];
  labels: Record<number, TaskLabel[]> = {};
  verifyReports: Record<string, VerifyReport> = {};

  editTask(arg: TaskEdit) {
    return this.#answer('editTask', arg, (): TaskSummary | ContractError => {
      const t = this.tasks.find((x) => x.id === arg.taskId);
      if (!t) return failure('not-found', `No task #${arg.taskId}.`);
      const next: TaskSummary = {
        ...t,
        ...(arg.name !== undefined ? { name: arg.name } : {}),
        ...(arg.subset !== undefined ? { subset: arg.subset } : {}),
        ...(arg.projectId !== undefined
          ? {
              projectId: arg.projectId,
              projectName: this.projects.find((p) => p.id === arg.projectId)?.name ?? null,
            }
          : {}),
        ...(arg.assigneeId !== undefined
          ? { assignee: this.users.find((u) => u.id === arg.assigneeId)?.username ?? null }
          : {}),
      };
      this.tasks = this.tasks.map((x) => (x.id === t.id ? next : x));
      return next;
    });
  }

  searchUsers(arg: { search: string }) {
    return this.#answer('searchUsers', arg, () =>
      this.users.filter((u) => u.username.includes(arg.search)),
    );
  }

  listTaskLabels(arg: { taskId: number }) {
    return this.#answer('listTaskLabels', arg, () => this.labels[arg.taskId] ?? []);
  }

  verifyFolder(arg: { id?: number; path?: string }) {
    return this.#answer(
      'verifyFolder',
      arg,
      () =>
        this.verifyReports[`folder:${arg.id ?? arg.path}`] ??
        failure('not-found', `No report for folder ${arg.id}.`),
    );
  }

  verifyTask(arg: { taskId: number }) {
    return this.#answer(
      'verifyTask',
      arg,
      () =>
        this.verifyReports[`task:${arg.taskId}`] ??
        failure('not-found', `No report for task ${arg.taskId}.`),
    );
  }

  frameSets: Record<number, TaskFrames> = {};

  getTaskFrames(arg: { taskId: number }) {
    return this.#answer(
      'getTaskFrames',
      arg,
      () => this.frameSets[arg.taskId] ?? failure('not-found', `No frames for ${arg.taskId}.`),
    );
  }

  getFrame(arg: { taskId: number; frame: number; quality: 'compressed' | 'original' }) {
    return this.#answer('getFrame', arg, () => `data:image/png;base64,iVBORw0KGgo=#${arg.frame}`);
  }

  setDeletedFrames(arg: { taskId: number; delete?: number[]; restore?: number[] }) {
    return this.#answer('setDeletedFrames', arg, (): TaskFrames | ContractError => {
      const set = this.frameSets[arg.taskId];
      if (!set) return failure('not-found', `No frames for ${arg.taskId}.`);
      const deleted = new Set(set.deleted);
      for (const f of arg.delete ?? []) deleted.add(f);
      for (const f of arg.restore ?? []) deleted.delete(f);
      const next: TaskFrames = {
        ...set,
        deleted: [...deleted].sort((a, b) => a - b),
        frames: set.frames.map((f) => ({ ...f, deleted: deleted.has(f.index) })),
      };
      this.frameSets[arg.taskId] = next;
      return next;
    });
  }

  layouts: Record<number, ValidationLayoutInfo> = {};

  getValidationLayout(arg: { taskId: number }) {
    return this.#answer(
      'getValidationLayout',
      arg,
      (): ValidationLayoutInfo =>
        this.layouts[arg.taskId] ?? {
          taskId: arg.taskId,
          mode: null,
          framesPerJob: null,
          validationFrames: [],
          disabledFrames: [],
          honeypotCount: 0,
          honeypotFrames: [],
          honeypotRealFrames: [],
        },
    );
  }

  updateValidationLayout(arg: {
    taskId: number;
    shuffleHoneypots?: boolean;
    disableFrames?: number[];
  }) {
    return this.#answer('updateValidationLayout', arg, () => {
      const l = this.layouts[arg.taskId];
      if (!l) return failure('no-validation', `Task #${arg.taskId} has no validation set up.`);
      const next = { ...l, disabledFrames: [...l.disabledFrames, ...(arg.disableFrames ?? [])] };
      this.layouts[arg.taskId] = next;
      return next;
    });
  }

  pullAnnotations(arg: { taskId: number; path?: string | null }) {
    return this.#answer('pullAnnotations', arg, () => ({
      path: arg.path ?? `/downloads/task-${arg.taskId}-annotations.json`,
      counts: { tags: 1, shapes: 2, tracks: 0 },
    }));
  }

  pushAnnotations(arg: PushAnnotationsRequest) {
    return this.#answer('pushAnnotations', arg, () => ({ tags: 0, shapes: 3, tracks: 0 }));
  }

  listFolders(arg?: Record<string, never>) {
    return this.#answer('listFolders', arg, () => this.folders);
  }

  addFolder(arg: FolderRule) {
    return this.#answer('addFolder', arg, () => {
      const f = makeFolder(this.#nextId++, arg, {
        counts: { files: 0, uploaded: 0, pending: 0, ignored: 0, failed: 0 },
        health: { state: 'scanning', message: null, fix: null },
      });
      this.folders = [...this.folders, f];
      return f;
    });
  }

  updateFolder(arg: { id: number; rule: FolderRule }) {
    return this.#answer('updateFolder', arg, () => this.#patchFolder(arg.id, { rule: arg.rule }));
  }

  removeFolder(arg: { id: number }) {
    return this.#answer('removeFolder', arg, () => {
      this.folders = this.folders.filter((f) => f.id !== arg.id);
      return { id: arg.id };
    });
  }

  pauseFolder(arg: { id: number }) {
    return this.#answer('pauseFolder', arg, () => this.#patchFolder(arg.id, { paused: true }));
  }

  resumeFolder(arg: { id: number }) {
    return this.#answer('resumeFolder', arg, () => this.#patchFolder(arg.id, { paused: false }));
  }

  #patchFolder(id: number, patch: Partial<FolderInfo>): FolderInfo | ContractError {
    const f = this.folders.find((x) => x.id === id);
    if (!f) return failure('not-found', `No sync folder ${id}.`);
    const next = { ...f, ...patch };
    this.folders = this.folders.map((x) => (x.id === id ? next : x));
    return next;
  }

  previewFolder(arg: FolderRule) {
    return this.#answer('previewFolder', arg, () => this.preview);
  }

  listIgnored(arg: { id: number; limit?: number }) {
    return this.#answer('listIgnored', arg, () => this.ignored[arg.id] ?? []);
  }

  chooseFolder(arg?: Record<string, never>) {
    return this.#answer('chooseFolder', arg, () => null);
  }

  listTransfers(arg?: TransferQuery) {
    return this.#answer('listTransfers', arg, () => this.transfers);
  }

  #patchTransfer(id: string, patch: Partial<Transfer>): Transfer | ContractError {
    const t = this.transfers.find((x) => x.id === id);
    if (!t) return failure('not-found', `No transfer ${id}.`);
    const next = { ...t, ...patch, updatedAt: t.updatedAt + 1 };
    this.transfers = this.transfers.map((x) => (x.id === id ? next : x));
    return next;
  }

  retryTransfer(arg: { id: string }) {
    return this.#answer('retryTransfer', arg, () =>
      this.#patchTransfer(arg.id, { state: 'queued', error: null }),
    );
  }

  cancelTransfer(arg: { id: string }) {
    return this.#answer('cancelTransfer', arg, () =>
      this.#patchTransfer(arg.id, { state: 'cancelled' }),
    );
  }

  pauseTransfer(arg: { id: string }) {
    return this.#answer('pauseTransfer', arg, () =>
      this.#patchTransfer(arg.id, { state: 'paused' }),
    );
  }

  resumeTransfer(arg: { id: string }) {
    return this.#answer('resumeTransfer', arg, () =>
      this.#patchTransfer(arg.id, { state: 'queued' }),
    );
  }

  pauseAll(arg?: Record<string, never>) {
    return this.#answer('pauseAll', arg, () => ({ paused: (this.paused = true) }));
  }

  resumeAll(arg?: Record<string, never>) {
    return this.#answer('resumeAll', arg, () => ({ paused: (this.paused = false) }));
  }

  setBandwidthLimit(arg: { bytesPerSecond: number | null }) {
    return this.#answer(
      'setBandwidthLimit',
      arg,
      () => (this.settings = { ...this.settings, bandwidthLimitBps: arg.bytesPerSecond }),
    );
  }

  listActivity(arg?: ActivityQuery) {
    return this.#answer('listActivity', arg, () => {
      let rows = this.activity;
      if (arg?.levels) rows = rows.filter((e) => arg.levels?.includes(e.level));
      if (arg?.kind) rows = rows.filter((e) => e.kind === arg.kind);
      if (arg?.search) rows = rows.filter((e) => e.message.includes(arg.search as string));
      if (arg?.beforeId != null) rows = rows.filter((e) => e.id < (arg.beforeId as number));
      return rows.slice(0, arg?.limit ?? 100);
    });
  }

  getSettings(arg?: Record<string, never>) {
    return this.#answer('getSettings', arg, () => this.settings);
  }

  updateSettings(arg: SettingsPatch) {
    return this.#answer('updateSettings', arg, () => {
      // As the service: the password is kept apart; the settings only say one is saved.
      const { proxyPassword, ...rest } = arg;
      this.settings = {
        ...this.settings,
        ...rest,
        ...(proxyPassword !== undefined ? { proxyPasswordSet: proxyPassword !== null } : {}),
      };
      return this.settings;
    });
  }

  exportDebugArchive(arg?: Record<string, never>) {
    return this.#answer('exportDebugArchive', arg, () => ({
      path: `${this.settings.dataDir}/debug-archive.zip`,
    }));
  }
}
