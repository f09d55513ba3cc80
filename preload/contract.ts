// The UI <-> main contract. One place names every method, its argument and result, and every
// pushed event. The Electron preload, the daemon's HTTP + SSE transport, the service that
// implements it and the renderer all use these types. It imports nothing.
//
// Conventions: every method takes one argument object (or none) and answers a Result; it never
// throws across the boundary. Times are Unix milliseconds. Sizes are bytes.

export interface ContractError {
  code: string;
  kind: 'fatal' | 'item' | 'transient';
  message: string;
  retryable: boolean;
  /** One-line suggested fix, shown next to the message. */
  hint?: string;
  status?: number;
  /** The server certificate an untrusted or changed TLS peer presented (the trust dialog). */
  certificate?: CertificateInfo;
}

/** A server certificate as the trust dialog shows it. */
export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** ISO 8601. */
  validFrom: string;
  validTo: string;
  /** `SHA256:AB:CD:…`. */
  fingerprint: string;
  altNames: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ContractError };

// ---------------------------------------------------------------------------------------------
// Connection

export type AuthMethod = 'token' | 'password';

export interface ConnectionInfo {
  state: 'signed-out' | 'connecting' | 'connected' | 'offline' | 'auth-failed';
  server: string | null;
  username: string | null;
  /** Organization slug; null or '' = personal workspace. */
  org: string | null;
  serverVersion: string | null;
  authMethod: AuthMethod | null;
  /** Where the credentials are kept: the OS keychain, an owner-only file, or memory only. */
  credentialStore: 'keychain' | 'file' | 'memory' | null;
  error: ContractError | null;
}

export interface SignInRequest {
  server: string;
  method: AuthMethod;
  token?: string;
  username?: string;
  password?: string;
  org?: string | null;
  /** Trust this certificate (SHA256:…) for this server, as the user confirmed in the dialog. */
  trustFingerprint?: string;
}

export interface Organization {
  id: number;
  slug: string;
  name: string;
}

export interface DoctorFinding {
  id: string;
  title: string;
  status: 'ok' | 'warn' | 'fail' | 'skipped';
  detail: string;
  /** What to change when the status is not ok. */
  fix?: string;
}

// ---------------------------------------------------------------------------------------------
// Tasks, projects, formats

export type TaskStatus = 'annotation' | 'validation' | 'completed';

export interface TaskQuery {
  page: number;
  pageSize: number;
  search?: string;
  projectId?: number | null;
  status?: TaskStatus | null;
  assignee?: string | null;
  subset?: string | null;
  /** CVAT sort expression, e.g. '-id', 'name', '-updated_date'. */
  sort?: string;
}

export interface TaskSummary {
  id: number;
  name: string;
  projectId: number | null;
  projectName: string | null;
  status: TaskStatus;
  size: number;
  mediaType: string;
  subset: string;
  owner: string | null;
  assignee: string | null;
  createdDate: string;
  updatedDate: string;
  jobs: { count: number; completed: number; validation: number };
  /** The local sync folder this task came from, when it was created by this app. */
  localFolder: { folderId: number; path: string } | null;
  /** The task's page in CVAT's web UI. */
  webUrl: string;
}

export interface TaskPage {
  count: number;
  results: TaskSummary[];
}

export interface ProjectSummary {
  id: number;
  name: string;
}

export interface FormatInfo {
  name: string;
  ext: string;
  dimension: string;
  enabled: boolean;
}

export interface FormatList {
  importers: FormatInfo[];
  exporters: FormatInfo[];
}

export type ExportTarget = { kind: 'task' | 'project'; id: number };

export interface ExportRequest {
  target: ExportTarget;
  format: string;
  withImages: boolean;
  /** Folder to save into; defaults to the downloads folder setting. */
  destination?: string | null;
}

export interface BackupRequest {
  target: ExportTarget;
  destination?: string | null;
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

/** PATCH /api/tasks/{id}: the fields the app edits; absent = unchanged. */
export interface TaskEdit {
  taskId: number;
  name?: string;
  /** null = nobody. */
  assigneeId?: number | null;
  subset?: string;
  /** Move the task into this project (its labels must map by name; CVAT refuses otherwise). */
  projectId?: number;
  bugTracker?: string;
  /** Only for a task without a project: id = existing label (rename or delete), no id = new. */
  labels?: TaskLabelEdit[];
}

export interface TaskLabelEdit {
  id?: number;
  name?: string;
  color?: string;
  deleted?: boolean;
}

export interface UserSummary {
  id: number;
  username: string;
  fullName: string;
}

export interface TaskLabel {
  id: number;
  name: string;
  color: string;
  type: string;
  attributes: number;
}

/** One file of a verify report: on disk / in the journal, compared with the task's data/meta. */
export interface VerifyEntry {
  /** Path relative to the folder; for 'foreign' frames, the frame name in CVAT. */
  path: string;
  state: 'in-cvat' | 'missing' | 'not-uploaded' | 'foreign';
  taskId: number | null;
  frame: number | null;
  /** Why it is not in CVAT ('deleted frame 3 on the server', 'not on the server', …). */
  detail: string | null;
  /** Image size CVAT reports, when it reports one. */
  width: number | null;
  height: number | null;
}

export interface VerifyTaskResult {
  taskId: number;
  name: string;
  /** false when the task is gone or unreadable; `error` says why. */
  reachable: boolean;
  error: ContractError | null;
  frames: number;
  inCvat: number;
  missing: number;
  foreign: number;
}

export interface VerifyReport {
  folderId: number | null;
  path: string | null;
  checkedAt: number;
  tasks: VerifyTaskResult[];
  entries: VerifyEntry[];
  totals: { inCvat: number; missing: number; notUploaded: number; foreign: number };
}

export interface AnnotationCounts {
  tags: number;
  shapes: number;
  tracks: number;
}

/** CVAT annotation JSON (LabeledData) into a task: replace (PUT) or PATCH create/update/delete. */
export interface PushAnnotationsRequest {
  taskId: number;
  mode: 'replace' | 'append' | 'update' | 'delete';
  /** A file on this computer … */
  path?: string;
  /** … or its text (the web GUI reads a picked file); `name` is shown in errors. */
  content?: string;
  name?: string;
}

export interface FrameInfo {
  /** Task frame number (what annotators see, 0-based). */
  index: number;
  /** The frame's number in the source media (start frame and step applied). */
  sourceFrame: number;
  name: string;
  width: number | null;
  height: number | null;
  deleted: boolean;
}

export interface TaskFrames {
  taskId: number;
  size: number;
  chunkSize: number | null;
  startFrame: number;
  stopFrame: number;
  frameStep: number;
  deleted: number[];
  frames: FrameInfo[];
}

/** GET …/validation_layout: ground-truth (validation) frames and honeypots of a task. */
export interface ValidationLayoutInfo {
  taskId: number;
  /** null = no validation; 'gt' = a ground-truth job; 'gt_pool' = honeypots. */
  mode: string | null;
  framesPerJob: number | null;
  validationFrames: number[];
  disabledFrames: number[];
  honeypotCount: number;
  honeypotFrames: number[];
  honeypotRealFrames: number[];
}

// ---------------------------------------------------------------------------------------------
// Sync folders

export type SplitPolicy =
  { kind: 'subfolder' } | { kind: 'count'; count: number } | { kind: 'file' };

export type SortingMethod = 'lexicographical' | 'natural' | 'predefined' | 'random';

/** Every field of CVAT's create-task form that a folder rule can preset. */
export interface TaskOptions {
  imageQuality: number;
  segmentSize?: number | null;
  overlap?: number | null;
  sortingMethod?: SortingMethod;
  chunkSize?: number | null;
  subset?: string | null;
  startFrame?: number | null;
  stopFrame?: number | null;
  frameStep?: number | null;
  bugTracker?: string | null;
  useZipChunks?: boolean;
  useCache?: boolean;
}

export interface LabelAttributeSpec {
  name: string;
  mutable?: boolean;
  input_type: 'checkbox' | 'radio' | 'number' | 'text' | 'select';
  default_value?: string;
  values: string[];
}

export interface LabelSpec {
  name: string;
  color?: string;
  type?: string;
  attributes?: LabelAttributeSpec[];
}

export type FolderTarget =
  { kind: 'project'; projectId: number } | { kind: 'labels'; labels: LabelSpec[] };

export interface AutoExportRule {
  formats: string[];
  withImages: boolean;
  backup: boolean;
  /** Local folder the results go to. */
  destination: string;
  /** 'completed': when a task becomes completed; 'schedule': every intervalMinutes. */
  trigger: 'completed' | 'schedule';
  intervalMinutes?: number | null;
  extract?: boolean;
}

export interface FolderRule {
  path: string;
  target: FolderTarget;
  org?: string | null;
  split: SplitPolicy;
  /** null = the defaults ({folder}/{subfolder}, {folder}, {folder}/{file}, {folder} #{index}). */
  nameTemplate?: string | null;
  include: string[];
  exclude: string[];
  settleSeconds: number;
  maxFileSizeBytes?: number | null;
  /** Poll instead of OS events (network shares). */
  polling: boolean;
  taskOptions: TaskOptions;
  autoExport?: AutoExportRule | null;
  /**
   * When added (again) after the data folder was lost: tasks already on the server whose name,
   * frame names and count match the plan are recorded as done instead of uploaded again.
   */
  adoptExisting?: boolean;
}

export type FolderHealthState =
  'scanning' | 'watching' | 'polling' | 'watch-limit' | 'missing' | 'paused' | 'error';

export interface FolderHealth {
  state: FolderHealthState;
  message: string | null;
  fix: string | null;
}

export interface FolderCounts {
  files: number;
  uploaded: number;
  pending: number;
  ignored: number;
  failed: number;
}

export interface FolderInfo {
  id: number;
  rule: FolderRule;
  paused: boolean;
  health: FolderHealth;
  counts: FolderCounts;
  lastScanAt: number | null;
}

export interface IgnoredFile {
  path: string;
  reason: string;
}

export interface PlannedTaskPreview {
  name: string;
  files: number;
  bytes: number;
  media: 'images' | 'video' | 'audio' | 'archive' | 'pdf';
}

export interface FolderPreview {
  tasks: PlannedTaskPreview[];
  ignored: IgnoredFile[];
  /** True when the folder held more files than the preview looked at. */
  truncated: boolean;
}

// ---------------------------------------------------------------------------------------------
// Transfers

export type TransferKind = 'upload' | 'download' | 'restore' | 'import';

export type TransferState =
  'queued' | 'active' | 'processing' | 'paused' | 'waiting-retry' | 'done' | 'failed' | 'cancelled';

export interface Transfer {
  id: string;
  kind: TransferKind;
  title: string;
  state: TransferState;
  /** Finer step, e.g. 'creating', 'sending', 'processing' for uploads; 'exporting' for downloads. */
  stage: string | null;
  folderId: number | null;
  taskId: number | null;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  speedBps: number;
  etaSeconds: number | null;
  error: ContractError | null;
  attempts: number;
  nextAttemptAt: number | null;
  /** Uploads: what recovering from interruptions cost (absent for other kinds). */
  recovery?: TransferRecovery;
  /** Local file written by a download. */
  destination: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface TransferRecovery {
  /** Requests sent again into the same task (they had been cut before CVAT could act). */
  resends: number;
  resentBytes: number;
  /** Answers lost after a whole request went out (each settled by sending it again). */
  ambiguousEvents: number;
  /** Tasks deleted because their state could not be known, and fresh starts made. */
  discardedTasks: number;
  restarts: number;
}

export interface TransferQuery {
  kinds?: TransferKind[];
  states?: TransferState[];
  limit?: number;
}

export interface TransferTotals {
  active: number;
  queued: number;
  failed: number;
  bytesDone: number;
  bytesTotal: number;
  speedBps: number;
}

// ---------------------------------------------------------------------------------------------
// Activity, settings, status

export type ActivityLevel = 'info' | 'warn' | 'error';

export interface ActivityEntry {
  id: number;
  at: number;
  level: ActivityLevel;
  kind: string;
  message: string;
  hint: string | null;
  folderId: number | null;
  taskId: number | null;
  transferId: string | null;
}

export interface ActivityQuery {
  levels?: ActivityLevel[];
  kind?: string | null;
  search?: string | null;
  folderId?: number | null;
  /** Entries older than this id. */
  beforeId?: number | null;
  limit?: number;
}

export interface Settings {
  concurrency: number;
  /** Bytes per second for uploads and downloads together; null = unlimited. */
  bandwidthLimitBps: number | null;
  chunkSizeMiB: number;
  notifications: boolean;
  startAtLogin: boolean;
  downloadsDir: string;
  theme: 'system' | 'light' | 'dark';
  /** system: the OS's proxy (desktop) or HTTPS_PROXY/http_proxy/NO_PROXY; manual: the fields below. */
  proxyMode: 'system' | 'manual' | 'none';
  proxyHost: string;
  proxyPort: number | null;
  proxyUser: string;
  /** Read-only: a proxy password is saved (it is kept with the credentials, never here). */
  proxyPasswordSet: boolean;
  /** Hosts that bypass the manual proxy (NO_PROXY syntax). */
  noProxy: string;
  /** A PEM file of extra CA certificates to trust (an internal CA). */
  caFile: string | null;
  /** Read-only: where the journal and profile live. */
  dataDir: string;
  /** Read-only. */
  logsDir: string;
}

export type SettingsPatch = Partial<Omit<Settings, 'dataDir' | 'logsDir' | 'proxyPasswordSet'>> & {
  /** Write-only: saved like the token; null forgets it. */
  proxyPassword?: string | null;
};

export interface StatusSnapshot {
  host: 'desktop' | 'daemon';
  connection: ConnectionInfo;
  paused: boolean;
  totals: TransferTotals;
  folders: Array<{ id: number; path: string; health: FolderHealth; paused: boolean }>;
  recentErrors: ActivityEntry[];
}

// ---------------------------------------------------------------------------------------------
// The API

type None = Record<string, never>;

export interface SyncApi {
  getStatus(arg?: None): Promise<Result<StatusSnapshot>>;

  getConnection(arg?: None): Promise<Result<ConnectionInfo>>;
  signIn(arg: SignInRequest): Promise<Result<ConnectionInfo>>;
  signOut(arg?: None): Promise<Result<ConnectionInfo>>;
  listOrganizations(arg?: None): Promise<Result<Organization[]>>;
  setOrganization(arg: { org: string | null }): Promise<Result<ConnectionInfo>>;
  runDoctor(arg?: None): Promise<Result<DoctorFinding[]>>;

  listTasks(arg: TaskQuery): Promise<Result<TaskPage>>;
  listProjects(arg?: None): Promise<Result<ProjectSummary[]>>;
  /** A data: URL of the task's preview image, or null when it has none. */
  getTaskPreview(arg: { taskId: number }): Promise<Result<string | null>>;
  deleteTasks(arg: { ids: number[] }): Promise<Result<{ deleted: number[] }>>;
  /** The URL of the task in CVAT's web UI; the desktop shell also opens it. */
  openInCvat(arg: { taskId: number }): Promise<Result<string>>;
  listFormats(arg?: None): Promise<Result<FormatList>>;
  exportDataset(arg: ExportRequest): Promise<Result<Transfer>>;
  backup(arg: BackupRequest): Promise<Result<Transfer>>;
  restoreBackup(arg: RestoreRequest): Promise<Result<Transfer>>;
  importAnnotations(arg: ImportAnnotationsRequest): Promise<Result<Transfer>>;
  /** PATCH the task; CVAT's refusal comes back with CVAT's message and a fix. */
  editTask(arg: TaskEdit): Promise<Result<TaskSummary>>;
  /** Users for the assignee picker (GET /api/users?search=). */
  searchUsers(arg: { search: string }): Promise<Result<UserSummary[]>>;
  listTaskLabels(arg: { taskId: number }): Promise<Result<TaskLabel[]>>;
  /** Compares a sync folder (journal and disk) with what CVAT holds (data/meta): by id or path. */
  verifyFolder(arg: { id?: number; path?: string }): Promise<Result<VerifyReport>>;
  /** The same for one task this app created. */
  verifyTask(arg: { taskId: number }): Promise<Result<VerifyReport>>;
  /** GET …/annotations into a JSON file (default: the downloads folder, task-ID-annotations.json). */
  pullAnnotations(arg: {
    taskId: number;
    path?: string | null;
  }): Promise<Result<{ path: string; counts: AnnotationCounts }>>;
  /** A task's frames from data/meta: names, sizes, deleted ones, range and step. */
  getTaskFrames(arg: { taskId: number }): Promise<Result<TaskFrames>>;
  /** A data: URL of one frame (GET …/data?type=frame). */
  getFrame(arg: {
    taskId: number;
    frame: number;
    quality: 'compressed' | 'original';
  }): Promise<Result<string>>;
  /** Marks frames deleted or restores them (PATCH …/data/meta deleted_frames). */
  setDeletedFrames(arg: {
    taskId: number;
    delete?: number[];
    restore?: number[];
  }): Promise<Result<TaskFrames>>;
  getValidationLayout(arg: { taskId: number }): Promise<Result<ValidationLayoutInfo>>;
  /** PATCH …/validation_layout: new random honeypots, and/or validation frames to disable. */
  updateValidationLayout(arg: {
    taskId: number;
    shuffleHoneypots?: boolean;
    disableFrames?: number[];
  }): Promise<Result<ValidationLayoutInfo>>;
  /** Checks the JSON against CVAT's schema, then sends it; answers what CVAT applied. */
  pushAnnotations(arg: PushAnnotationsRequest): Promise<Result<AnnotationCounts>>;

  listFolders(arg?: None): Promise<Result<FolderInfo[]>>;
  addFolder(arg: FolderRule): Promise<Result<FolderInfo>>;
  updateFolder(arg: { id: number; rule: FolderRule }): Promise<Result<FolderInfo>>;
  removeFolder(arg: { id: number }): Promise<Result<{ id: number }>>;
  pauseFolder(arg: { id: number }): Promise<Result<FolderInfo>>;
  resumeFolder(arg: { id: number }): Promise<Result<FolderInfo>>;
  previewFolder(arg: FolderRule): Promise<Result<FolderPreview>>;
  listIgnored(arg: { id: number; limit?: number }): Promise<Result<IgnoredFile[]>>;
  /** Native folder picker (desktop); the web GUI answers null and shows a path field. */
  chooseFolder(arg?: None): Promise<Result<string | null>>;

  listTransfers(arg?: TransferQuery): Promise<Result<Transfer[]>>;
  retryTransfer(arg: { id: string }): Promise<Result<Transfer>>;
  cancelTransfer(arg: { id: string }): Promise<Result<Transfer>>;
  pauseTransfer(arg: { id: string }): Promise<Result<Transfer>>;
  resumeTransfer(arg: { id: string }): Promise<Result<Transfer>>;
  pauseAll(arg?: None): Promise<Result<{ paused: boolean }>>;
  resumeAll(arg?: None): Promise<Result<{ paused: boolean }>>;
  setBandwidthLimit(arg: { bytesPerSecond: number | null }): Promise<Result<Settings>>;

  listActivity(arg?: ActivityQuery): Promise<Result<ActivityEntry[]>>;
  getSettings(arg?: None): Promise<Result<Settings>>;
  updateSettings(arg: SettingsPatch): Promise<Result<Settings>>;
  /** Zips logs, settings and the journal's non-secret tables; credentials are removed. */
  exportDebugArchive(arg?: None): Promise<Result<{ path: string }>>;
}

export type MethodName = keyof SyncApi;
export type MethodArg<M extends MethodName> = Parameters<SyncApi[M]>[0];
export type MethodValue<M extends MethodName> =
  Awaited<ReturnType<SyncApi[M]>> extends Result<infer V> ? V : never;

/** Every method, once; transports expose exactly these and nothing else. */
export const METHOD_NAMES = [
  'getStatus',
  'getConnection',
  'signIn',
  'signOut',
  'listOrganizations',
  'setOrganization',
  'runDoctor',
  'listTasks',
  'listProjects',
  'getTaskPreview',
  'deleteTasks',
  'openInCvat',
  'listFormats',
  'exportDataset',
  'backup',
  'restoreBackup',
  'importAnnotations',
  'editTask',
  'searchUsers',
  'listTaskLabels',
  'verifyFolder',
  'verifyTask',
  'pullAnnotations',
  'pushAnnotations',
  'getTaskFrames',
  'getFrame',
  'setDeletedFrames',
  'getValidationLayout',
  'updateValidationLayout',
  'listFolders',
  'addFolder',
  'updateFolder',
  'removeFolder',
  'pauseFolder',
  'resumeFolder',
  'previewFolder',
  'listIgnored',
  'chooseFolder',
  'listTransfers',
  'retryTransfer',
  'cancelTransfer',
  'pauseTransfer',
  'resumeTransfer',
  'pauseAll',
  'resumeAll',
  'setBandwidthLimit',
  'listActivity',
  'getSettings',
  'updateSettings',
  'exportDebugArchive',
] as const satisfies readonly MethodName[];

// Compile-time check that METHOD_NAMES lists every method of SyncApi.
type Missing = Exclude<MethodName, (typeof METHOD_NAMES)[number]>;
const _allMethodsListed: Missing extends never ? true : Missing = true;
void _allMethodsListed;

// ---------------------------------------------------------------------------------------------
// Pushed events

export interface SyncEvents {
  status: StatusSnapshot;
  connection: ConnectionInfo;
  transfer: Transfer;
  'transfer-removed': { id: string };
  folder: FolderInfo;
  'folder-removed': { id: number };
  activity: ActivityEntry;
  /** Tasks on the server changed (created, processed, deleted): lists should refresh. */
  'tasks-changed': { taskIds: number[] };
}

export type EventName = keyof SyncEvents;

export const EVENT_NAMES = [
  'status',
  'connection',
  'transfer',
  'transfer-removed',
  'folder',
  'folder-removed',
  'activity',
  'tasks-changed',
] as const satisfies readonly EventName[];

type MissingEvent = Exclude<EventName, (typeof EVENT_NAMES)[number]>;
const _allEventsListed: MissingEvent extends never ? true : MissingEvent = true;
void _allEventsListed;

/** What window.cvatSync is in the renderer (Electron preload) and what api.ts builds over HTTP. */
export interface SyncBridge extends SyncApi {
  on<E extends EventName>(event: E, listener: (payload: SyncEvents[E]) => void): () => void;
}

/** Channel names used by the Electron IPC transport. */
export const IPC_INVOKE_PREFIX = 'cvat-sync:invoke:';
export const IPC_EVENT_CHANNEL = 'cvat-sync:event';

/** Daemon HTTP transport: POST {RPC_PATH}/{method} with the argument as JSON; SSE at EVENTS_PATH. */
export const RPC_PATH = '/rpc';
export const EVENTS_PATH = '/events';
/**
 * The web GUI is opened with a single-use sign-in code (/?code=…), never with the token: the page
 * POSTs {"code"} here and gets {"token"} back. A code is valid once, for about a minute.
 */
export const SESSION_PATH = '/session';
