// The argument schemas of the contract's methods (the method table is contract.ts). A renderer
// is untrusted input: both transports parse what arrives with these before the service sees it,
// so a malformed payload is a clear error, never a crash deep in the engine. The folder rule's
// schema is core/folder-rule.ts, shared with the folder editor and the planner.
import { z } from 'zod';
import type {
  ActivityQuery,
  BackupRequest,
  ExportRequest,
  ImportAnnotationsRequest,
  RestoreRequest,
  SettingsPatch,
  SignInRequest,
  TaskEdit,
  TaskQuery,
  TransferKind,
  TransferQuery,
  TransferState,
} from '../main/model/index.js';
import { normalizeServerUrl } from '../main/service/server-url.js';

export const id = z.int().positive();
export const text = (max: number) => z.string().max(max);
export const path = z.string().min(1).max(4096);
/** No-argument methods: nothing, null or an empty object. */
export const none = z.strictObject({}).optional();

const serverUrl = z
  .string()
  .max(2048)
  .superRefine((s, ctx) => {
    const check = normalizeServerUrl(s);
    if (check.ok) return;
    ctx.addIssue({
      code: 'custom',
      message: check.reason === 'scheme' ? 'must be an http:// or https:// URL' : check.message,
    });
  });

export const orgSlug = text(128).nullable();

export const signIn = z.strictObject({
  server: serverUrl,
  method: z.enum(['token', 'password']),
  token: text(1024).optional(),
  username: text(256).optional(),
  password: text(1024).optional(),
  org: orgSlug.optional(),
  trustFingerprint: z
    .string()
    .max(120)
    .regex(
      /^(sha-?256:?)?([0-9a-f]{2}:?){31}[0-9a-f]{2}$/i,
      'a SHA-256 fingerprint (SHA256:AB:CD:…)',
    )
    .optional(),
});

const taskStatus = z.enum(['annotation', 'validation', 'completed']);

export const taskQuery = z.strictObject({
  page: id,
  pageSize: z.int().min(1).max(1000),
  search: text(256).optional(),
  projectId: id.nullable().optional(),
  status: taskStatus.nullable().optional(),
  assignee: text(256).nullable().optional(),
  subset: text(64).nullable().optional(),
  sort: z
    .string()
    .max(128)
    .regex(
      /^-?[a-z_]+(,-?[a-z_]+)*$/,
      'must be a CVAT sort expression such as -id or name,-updated_date',
    )
    .optional(),
});

const exportTarget = z.strictObject({ kind: z.enum(['task', 'project']), id });

export const exportRequest = z.strictObject({
  target: exportTarget,
  format: z.string().min(1).max(256),
  withImages: z.boolean(),
  destination: path.nullable().optional(),
});

export const backupRequest = z.strictObject({
  target: exportTarget,
  destination: path.nullable().optional(),
});

export const restoreRequest = z.strictObject({ path, projectId: id.nullable().optional() });

export const importAnnotationsRequest = z.strictObject({
  taskId: id,
  path,
  format: z.string().min(1).max(256),
  mode: z.enum(['replace', 'append']),
});

export const taskEdit = z.strictObject({
  taskId: id,
  name: z.string().min(1).max(256).optional(),
  assigneeId: id.nullable().optional(),
  subset: text(64).optional(),
  projectId: id.optional(),
  bugTracker: text(2000).optional(),
  labels: z
    .array(
      z.strictObject({
        id: id.optional(),
        name: z.string().min(1).max(64).optional(),
        color: text(16).optional(),
        deleted: z.boolean().optional(),
      }),
    )
    .max(1000)
    .optional(),
});

// `satisfies Record<…, true>` makes each list exactly the model's union: none missing, none extra.
const transferKinds = {
  upload: true,
  download: true,
  restore: true,
  import: true,
} satisfies Record<TransferKind, true>;
const transferStates = {
  queued: true,
  active: true,
  processing: true,
  paused: true,
  'waiting-retry': true,
  done: true,
  failed: true,
  cancelled: true,
} satisfies Record<TransferState, true>;
export const TRANSFER_KINDS = Object.keys(transferKinds) as [TransferKind, ...TransferKind[]];
export const TRANSFER_STATES = Object.keys(transferStates) as [TransferState, ...TransferState[]];
const transferKind = z.enum(TRANSFER_KINDS);
const transferState = z.enum(TRANSFER_STATES);
export const transferId = z.strictObject({ id: z.string().min(1).max(200) });

export const transferQuery = z
  .strictObject({
    kinds: z.array(transferKind).max(10).optional(),
    states: z.array(transferState).max(10).optional(),
    limit: z.int().min(1).max(10_000).optional(),
  })
  .optional();

export const activityQuery = z
  .strictObject({
    levels: z
      .array(z.enum(['info', 'warn', 'error']))
      .max(3)
      .optional(),
    kind: text(64).nullable().optional(),
    search: text(256).nullable().optional(),
    folderId: id.nullable().optional(),
    beforeId: id.nullable().optional(),
    limit: z.int().min(1).max(1000).optional(),
  })
  .optional();

export const bandwidth = z.int().positive().nullable();

export const settingsPatch = z.strictObject({
  concurrency: z.int().min(1).max(32).optional(),
  bandwidthLimitBps: bandwidth.optional(),
  chunkSizeMiB: z.int().min(1).max(1024).optional(),
  notifications: z.boolean().optional(),
  startAtLogin: z.boolean().optional(),
  downloadsDir: path.optional(),
  theme: z.enum(['system', 'light', 'dark']).optional(),
  proxyMode: z.enum(['system', 'manual', 'none']).optional(),
  proxyHost: z
    .string()
    .max(253)
    .regex(/^[^\s/@:]*$|^\[[0-9a-fA-F:]+\]$/, 'a host name or IP address, without scheme or port')
    .optional(),
  proxyPort: z.int().min(1).max(65535).nullable().optional(),
  proxyUser: z.string().max(256).optional(),
  proxyPassword: z.string().max(1024).nullable().optional(),
  noProxy: z.string().max(4096).optional(),
  caFile: path.nullable().optional(),
});

export const idArg = z.strictObject({ id });

// What each schema produces is the model's type for it (checked at compile time only).
const _producesModelTypes: {
  signIn: z.ZodType<SignInRequest>;
  taskQuery: z.ZodType<TaskQuery>;
  exportRequest: z.ZodType<ExportRequest>;
  backupRequest: z.ZodType<BackupRequest>;
  restoreRequest: z.ZodType<RestoreRequest>;
  importAnnotationsRequest: z.ZodType<ImportAnnotationsRequest>;
  taskEdit: z.ZodType<TaskEdit>;
  transferQuery: z.ZodType<TransferQuery | undefined>;
  activityQuery: z.ZodType<ActivityQuery | undefined>;
  settingsPatch: z.ZodType<SettingsPatch>;
} = {
  signIn,
  taskQuery,
  exportRequest,
  backupRequest,
  restoreRequest,
  importAnnotationsRequest,
  taskEdit,
  transferQuery,
  activityQuery,
  settingsPatch,
};
void _producesModelTypes;
