// The UI <-> main contract, defined once: CONTRACT below names every method with the schema of
// its argument, the type of its result and whether it changes anything; EVENTS names every pushed
// event. Everything else is derived from these two objects: the SyncApi type the service
// implements, the Electron IPC handlers and the preload bridge (main/app/ipc.ts, index.ts), the
// daemon's HTTP RPC and its clients (main/cli/daemon-rpc.ts, main/cli/contract-client.ts,
// renderer/src/lib/api.ts). The domain types are main/model, re-exported here.
//
// Conventions: every method takes one argument object (or none) and answers a Result; it never
// throws across the boundary. Times are Unix milliseconds. Sizes are bytes.
//
// The sandboxed preload cannot carry zod: scripts/build-preload.mjs evaluates this module at
// build time and bundles only its plain-data exports (names and channel strings).
import { z } from 'zod';
import { folderRuleSchema } from '../main/core/folder-rule.js';
import type {
  ActivityEntry,
  AnnotationCounts,
  ConnectionInfo,
  DoctorFinding,
  FolderInfo,
  FolderPreview,
  FormatList,
  IgnoredFile,
  Organization,
  ProjectSummary,
  Result,
  Settings,
  StatusSnapshot,
  TaskFrames,
  TaskLabel,
  TaskPage,
  TaskSummary,
  Transfer,
  UserSummary,
  ValidationLayoutInfo,
  VerifyReport,
} from '../main/model/index.js';
import * as arg from './contract-args.js';

export type * from '../main/model/index.js';
export { TRANSFER_KINDS, TRANSFER_STATES } from './contract-args.js';
export { DEFAULT_TEMPLATES } from '../main/core/name-template.js';
export { transferTotals } from '../main/core/transfer-totals.js';
export {
  folderRuleProblems,
  folderRuleSchema,
  MAX_FILES_PER_TASK,
  MAX_INTERVAL_MINUTES,
  MAX_SETTLE_SECONDS,
} from '../main/core/folder-rule.js';
export type { RuleProblem } from '../main/core/folder-rule.js';

/**
 * The result's type. Results come from our own service and are not parsed again on the way
 * back: the type checker holds the service to them, so this schema accepts anything.
 */
const returns = <T>(): z.ZodType<T> => z.custom<T>();

interface MethodSpec<A extends z.ZodType = z.ZodType, R = unknown> {
  /** Parses the argument at the transport; `undefined` must pass for no-argument methods. */
  args: A;
  result: z.ZodType<R>;
  /** True when a call changes something: the journal, settings, credentials, files or CVAT. */
  writes: boolean;
}

const method = <A extends z.ZodType, R>(spec: MethodSpec<A, R>): MethodSpec<A, R> => spec;
const taskId = z.strictObject({ taskId: arg.id });

export const CONTRACT = {
  getStatus: method({ args: arg.none, result: returns<StatusSnapshot>(), writes: false }),

  getConnection: method({ args: arg.none, result: returns<ConnectionInfo>(), writes: false }),
  signIn: method({ args: arg.signIn, result: returns<ConnectionInfo>(), writes: true }),
  signOut: method({ args: arg.none, result: returns<ConnectionInfo>(), writes: true }),
  listOrganizations: method({ args: arg.none, result: returns<Organization[]>(), writes: false }),
  setOrganization: method({
    args: z.strictObject({ org: arg.orgSlug }),
    result: returns<ConnectionInfo>(),
    writes: true,
  }),
  runDoctor: method({ args: arg.none, result: returns<DoctorFinding[]>(), writes: false }),

  listTasks: method({ args: arg.taskQuery, result: returns<TaskPage>(), writes: false }),
  listProjects: method({ args: arg.none, result: returns<ProjectSummary[]>(), writes: false }),
  /** A data: URL of the task's preview image, or null when it has none. */
  getTaskPreview: method({ args: taskId, result: returns<string | null>(), writes: false }),
  deleteTasks: method({
    args: z.strictObject({ ids: z.array(arg.id).min(1).max(1000) }),
    result: returns<{ deleted: number[] }>(),
    writes: true,
  }),
  /** The URL of the task in CVAT's web UI; the desktop shell also opens it. */
  openInCvat: method({ args: taskId, result: returns<string>(), writes: false }),
  listFormats: method({ args: arg.none, result: returns<FormatList>(), writes: false }),
  exportDataset: method({ args: arg.exportRequest, result: returns<Transfer>(), writes: true }),
  backup: method({ args: arg.backupRequest, result: returns<Transfer>(), writes: true }),
  restoreBackup: method({ args: arg.restoreRequest, result: returns<Transfer>(), writes: true }),
  importAnnotations: method({
    args: arg.importAnnotationsRequest,
    result: returns<Transfer>(),
    writes: true,
  }),
  /** PATCH the task; CVAT's refusal comes back with CVAT's message and a fix. */
  editTask: method({ args: arg.taskEdit, result: returns<TaskSummary>(), writes: true }),
  /** Users for the assignee picker (GET /api/users?search=). */
  searchUsers: method({
    args: z.strictObject({ search: arg.text(150) }),
    result: returns<UserSummary[]>(),
    writes: false,
  }),
  listTaskLabels: method({ args: taskId, result: returns<TaskLabel[]>(), writes: false }),
  /** Compares a sync folder (journal and disk) with what CVAT holds (data/meta): by id or path. */
  verifyFolder: method({
    args: z
      .strictObject({ id: arg.id.optional(), path: arg.path.optional() })
      .refine((a) => (a.id === undefined) !== (a.path === undefined), 'give either id or path'),
    result: returns<VerifyReport>(),
    writes: false,
  }),
  /** The same for one task this app created. */
  verifyTask: method({ args: taskId, result: returns<VerifyReport>(), writes: false }),
  /** GET …/annotations into a JSON file (default: the downloads folder, task-ID-annotations.json). */
  pullAnnotations: method({
    args: z.strictObject({ taskId: arg.id, path: arg.path.nullable().optional() }),
    result: returns<{ path: string; counts: AnnotationCounts }>(),
    writes: true,
  }),
  /** Checks the JSON against CVAT's schema, then sends it; answers what CVAT applied. */
  pushAnnotations: method({
    args: z
      .strictObject({
        taskId: arg.id,
        mode: z.enum(['replace', 'append', 'update', 'delete']),
        /** A file on this computer … */
        path: arg.path.optional(),
        /** … or its text (the web GUI reads a picked file; bigger files go by path, as the RPC
         * body is capped at 1 MiB); `name` is shown in errors. */
        content: z
          .string()
          .max(1024 * 1024)
          .optional(),
        name: arg.text(256).optional(),
      })
      .refine(
        (a) => (a.path === undefined) !== (a.content === undefined),
        'give either path or content',
      ),
    result: returns<AnnotationCounts>(),
    writes: true,
  }),
  /** A task's frames from data/meta: names, sizes, deleted ones, range and step. */
  getTaskFrames: method({ args: taskId, result: returns<TaskFrames>(), writes: false }),
  /** A data: URL of one frame (GET …/data?type=frame). */
  getFrame: method({
    args: z.strictObject({
      taskId: arg.id,
      frame: z.int().min(0),
      quality: z.enum(['compressed', 'original']),
    }),
    result: returns<string>(),
    writes: false,
  }),
  /** Marks frames deleted or restores them (PATCH …/data/meta deleted_frames). */
  setDeletedFrames: method({
    args: z
      .strictObject({
        taskId: arg.id,
        delete: z.array(z.int().min(0)).max(100_000).optional(),
        restore: z.array(z.int().min(0)).max(100_000).optional(),
      })
      .refine((a) => (a.delete?.length ?? 0) + (a.restore?.length ?? 0) > 0, 'nothing to change'),
    result: returns<TaskFrames>(),
    writes: true,
  }),
  getValidationLayout: method({
    args: taskId,
    result: returns<ValidationLayoutInfo>(),
    writes: false,
  }),
  /** PATCH …/validation_layout: new random honeypots, and/or validation frames to disable. */
  updateValidationLayout: method({
    args: z
      .strictObject({
        taskId: arg.id,
        shuffleHoneypots: z.boolean().optional(),
        disableFrames: z.array(z.int().min(0)).max(100_000).optional(),
      })
      .refine((a) => a.shuffleHoneypots || (a.disableFrames?.length ?? 0) > 0, 'nothing to change'),
    result: returns<ValidationLayoutInfo>(),
    writes: true,
  }),

  listFolders: method({ args: arg.none, result: returns<FolderInfo[]>(), writes: false }),
  addFolder: method({ args: folderRuleSchema, result: returns<FolderInfo>(), writes: true }),
  updateFolder: method({
    args: z.strictObject({ id: arg.id, rule: folderRuleSchema }),
    result: returns<FolderInfo>(),
    writes: true,
  }),
  removeFolder: method({ args: arg.idArg, result: returns<{ id: number }>(), writes: true }),
  pauseFolder: method({ args: arg.idArg, result: returns<FolderInfo>(), writes: true }),
  resumeFolder: method({ args: arg.idArg, result: returns<FolderInfo>(), writes: true }),
  /** What the folder's current files would become under this rule; stores nothing. */
  previewFolder: method({
    args: folderRuleSchema,
    result: returns<FolderPreview>(),
    writes: false,
  }),
  listIgnored: method({
    args: z.strictObject({ id: arg.id, limit: z.int().min(1).max(10_000).optional() }),
    result: returns<IgnoredFile[]>(),
    writes: false,
  }),
  /** Native folder picker (desktop); the web GUI answers null and shows a path field. */
  chooseFolder: method({ args: arg.none, result: returns<string | null>(), writes: false }),

  listTransfers: method({ args: arg.transferQuery, result: returns<Transfer[]>(), writes: false }),
  retryTransfer: method({ args: arg.transferId, result: returns<Transfer>(), writes: true }),
  cancelTransfer: method({ args: arg.transferId, result: returns<Transfer>(), writes: true }),
  pauseTransfer: method({ args: arg.transferId, result: returns<Transfer>(), writes: true }),
  resumeTransfer: method({ args: arg.transferId, result: returns<Transfer>(), writes: true }),
  pauseAll: method({ args: arg.none, result: returns<{ paused: boolean }>(), writes: true }),
  resumeAll: method({ args: arg.none, result: returns<{ paused: boolean }>(), writes: true }),
  setBandwidthLimit: method({
    args: z.strictObject({ bytesPerSecond: arg.bandwidth }),
    result: returns<Settings>(),
    writes: true,
  }),

  listActivity: method({
    args: arg.activityQuery,
    result: returns<ActivityEntry[]>(),
    writes: false,
  }),
  getSettings: method({ args: arg.none, result: returns<Settings>(), writes: false }),
  updateSettings: method({ args: arg.settingsPatch, result: returns<Settings>(), writes: true }),
  /** Zips logs, settings and the journal's non-secret tables; credentials are removed. */
  exportDebugArchive: method({ args: arg.none, result: returns<{ path: string }>(), writes: true }),
};

type Contract = typeof CONTRACT;
export type MethodName = keyof Contract;
/** What a caller passes (the schema's input). */
export type MethodArg<M extends MethodName> = z.input<Contract[M]['args']>;
export type MethodValue<M extends MethodName> = z.output<Contract[M]['result']>;

/** Method syntax keeps implementations' parameters checked bivariantly, as interfaces do. */
type Call<A, V> = undefined extends A
  ? { call(arg?: A): Promise<Result<V>> }['call']
  : { call(arg: A): Promise<Result<V>> }['call'];

export type SyncApi = { [M in MethodName]: Call<MethodArg<M>, MethodValue<M>> };

/** Every method, once, in the contract's order; transports expose exactly these. */
export const METHOD_NAMES: readonly MethodName[] = Object.keys(CONTRACT) as MethodName[];

// ---------------------------------------------------------------------------------------------
// Pushed events

const payload = <T>(): z.ZodType<T> => z.custom<T>();

export const EVENTS = {
  status: payload<StatusSnapshot>(),
  connection: payload<ConnectionInfo>(),
  transfer: payload<Transfer>(),
  'transfer-removed': payload<{ id: string }>(),
  folder: payload<FolderInfo>(),
  'folder-removed': payload<{ id: number }>(),
  activity: payload<ActivityEntry>(),
  /** Tasks on the server changed (created, processed, deleted): lists should refresh. */
  'tasks-changed': payload<{ taskIds: number[] }>(),
};

export type SyncEvents = { [E in keyof typeof EVENTS]: z.output<(typeof EVENTS)[E]> };
export type EventName = keyof SyncEvents;
export const EVENT_NAMES: readonly EventName[] = Object.keys(EVENTS) as EventName[];

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
