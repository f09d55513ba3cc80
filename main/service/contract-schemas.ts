// Runtime schemas for every argument of the UI contract. Both transports (Electron IPC and the
// daemon's HTTP RPC) validate what arrives before the service sees it: a renderer is untrusted
// input, and a malformed payload must be a clear error, never a crash deep in the engine.
import { z } from 'zod';
import type { ContractError, MethodArg, MethodName } from '../../preload/contract.js';
import { METHOD_NAMES } from '../../preload/contract.js';
import { errorInfo } from '../core/errors.js';
import { normalizeServerUrl } from './server-url.js';

const id = z.int().positive();
const text = (max: number) => z.string().max(max);
const path = z.string().min(1).max(4096);
/** No-argument methods: nothing, null or an empty object. */
const none = z.strictObject({}).optional();

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

const orgSlug = text(128).nullable();

const signIn = z.strictObject({
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

const taskQuery = z.strictObject({
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

const exportRequest = z.strictObject({
  target: exportTarget,
  format: z.string().min(1).max(256),
  withImages: z.boolean(),
  destination: path.nullable().optional(),
});

const backupRequest = z.strictObject({
  target: exportTarget,
  destination: path.nullable().optional(),
});

const restoreRequest = z.strictObject({ path, projectId: id.nullable().optional() });

const importAnnotationsRequest = z.strictObject({
  taskId: id,
  path,
  format: z.string().min(1).max(256),
  mode: z.enum(['replace', 'append']),
});

const nonNegative = z.int().min(0);

const taskOptions = z.strictObject({
  imageQuality: z.int().min(1).max(100),
  segmentSize: nonNegative.nullable().optional(),
  overlap: nonNegative.nullable().optional(),
  sortingMethod: z.enum(['lexicographical', 'natural', 'predefined', 'random']).optional(),
  chunkSize: z.int().positive().nullable().optional(),
  subset: text(64).nullable().optional(),
  startFrame: nonNegative.nullable().optional(),
  stopFrame: nonNegative.nullable().optional(),
  frameStep: z.int().positive().nullable().optional(),
  bugTracker: text(2000).nullable().optional(),
  useZipChunks: z.boolean().optional(),
  useCache: z.boolean().optional(),
});

const labelAttribute = z.strictObject({
  name: z.string().min(1).max(64),
  mutable: z.boolean().optional(),
  input_type: z.enum(['checkbox', 'radio', 'number', 'text', 'select']),
  default_value: text(128).optional(),
  values: z.array(text(200)).max(1000),
});

const labelSpec = z.strictObject({
  name: z.string().min(1).max(64),
  color: text(32).optional(),
  type: text(32).optional(),
  attributes: z.array(labelAttribute).max(200).optional(),
});

const folderTarget = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('project'), projectId: id }),
  z.strictObject({ kind: z.literal('labels'), labels: z.array(labelSpec).min(1).max(1000) }),
]);

const splitPolicy = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('subfolder') }),
  z.strictObject({ kind: z.literal('count'), count: z.int().min(1).max(100_000) }),
  z.strictObject({ kind: z.literal('file') }),
]);

const glob = z.string().min(1).max(1024);

const autoExport = z.strictObject({
  formats: z.array(z.string().min(1).max(256)).max(50),
  withImages: z.boolean(),
  backup: z.boolean(),
  destination: path,
  trigger: z.enum(['completed', 'schedule']),
  intervalMinutes: z.int().min(1).max(525_600).nullable().optional(),
  extract: z.boolean().optional(),
});

const folderRule = z.strictObject({
  path,
  target: folderTarget,
  org: orgSlug.optional(),
  split: splitPolicy,
  nameTemplate: text(256).nullable().optional(),
  include: z.array(glob).max(200),
  exclude: z.array(glob).max(200),
  settleSeconds: z.number().min(0).max(86_400),
  maxFileSizeBytes: z.int().positive().nullable().optional(),
  polling: z.boolean(),
  taskOptions,
  autoExport: autoExport.nullable().optional(),
  adoptExisting: z.boolean().optional(),
});

const taskEdit = z.strictObject({
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

const transferKind = z.enum(['upload', 'download', 'restore', 'import']);
const transferState = z.enum([
  'queued',
  'active',
  'processing',
  'paused',
  'waiting-retry',
  'done',
  'failed',
  'cancelled',
]);
const transferId = z.strictObject({ id: z.string().min(1).max(200) });

const transferQuery = z
  .strictObject({
    kinds: z.array(transferKind).max(10).optional(),
    states: z.array(transferState).max(10).optional(),
    limit: z.int().min(1).max(10_000).optional(),
  })
  .optional();

const activityQuery = z
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

const bandwidth = z.int().positive().nullable();

const settingsPatch = z.strictObject({
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

const idArg = z.strictObject({ id });

/** One schema per method; `satisfies` ties each to the contract's argument type at compile time. */
export const METHOD_SCHEMAS = {
  getStatus: none,
  getConnection: none,
  signIn,
  signOut: none,
  listOrganizations: none,
  setOrganization: z.strictObject({ org: orgSlug }),
  runDoctor: none,
  listTasks: taskQuery,
  listProjects: none,
  getTaskPreview: z.strictObject({ taskId: id }),
  deleteTasks: z.strictObject({ ids: z.array(id).min(1).max(1000) }),
  openInCvat: z.strictObject({ taskId: id }),
  listFormats: none,
  exportDataset: exportRequest,
  backup: backupRequest,
  restoreBackup: restoreRequest,
  importAnnotations: importAnnotationsRequest,
  editTask: taskEdit,
  searchUsers: z.strictObject({ search: text(150) }),
  listTaskLabels: z.strictObject({ taskId: id }),
  verifyFolder: z
    .strictObject({ id: id.optional(), path: path.optional() })
    .refine((a) => (a.id === undefined) !== (a.path === undefined), 'give either id or path'),
  verifyTask: z.strictObject({ taskId: id }),
  getTaskFrames: z.strictObject({ taskId: id }),
  getFrame: z.strictObject({
    taskId: id,
    frame: z.int().min(0),
    quality: z.enum(['compressed', 'original']),
  }),
  setDeletedFrames: z
    .strictObject({
      taskId: id,
      delete: z.array(z.int().min(0)).max(100_000).optional(),
      restore: z.array(z.int().min(0)).max(100_000).optional(),
    })
    .refine((a) => (a.delete?.length ?? 0) + (a.restore?.length ?? 0) > 0, 'nothing to change'),
  getValidationLayout: z.strictObject({ taskId: id }),
  updateValidationLayout: z
    .strictObject({
      taskId: id,
      shuffleHoneypots: z.boolean().optional(),
      disableFrames: z.array(z.int().min(0)).max(100_000).optional(),
    })
    .refine((a) => a.shuffleHoneypots || (a.disableFrames?.length ?? 0) > 0, 'nothing to change'),
  pullAnnotations: z.strictObject({ taskId: id, path: path.nullable().optional() }),
  pushAnnotations: z
    .strictObject({
      taskId: id,
      mode: z.enum(['replace', 'append', 'update', 'delete']),
      path: path.optional(),
      // The RPC body is capped at 1 MiB; bigger files go by path.
      content: z
        .string()
        .max(1024 * 1024)
        .optional(),
      name: text(256).optional(),
    })
    .refine(
      (a) => (a.path === undefined) !== (a.content === undefined),
      'give either path or content',
    ),
  listFolders: none,
  addFolder: folderRule,
  updateFolder: z.strictObject({ id, rule: folderRule }),
  removeFolder: idArg,
  pauseFolder: idArg,
  resumeFolder: idArg,
  previewFolder: folderRule,
  listIgnored: z.strictObject({ id, limit: z.int().min(1).max(10_000).optional() }),
  chooseFolder: none,
  listTransfers: transferQuery,
  retryTransfer: transferId,
  cancelTransfer: transferId,
  pauseTransfer: transferId,
  resumeTransfer: transferId,
  pauseAll: none,
  resumeAll: none,
  setBandwidthLimit: z.strictObject({ bytesPerSecond: bandwidth }),
  listActivity: activityQuery,
  getSettings: none,
  updateSettings: settingsPatch,
  exportDebugArchive: none,
} satisfies { [M in MethodName]: z.ZodType<MethodArg<M>> };

const METHODS = new Set<string>(METHOD_NAMES);

export function isMethodName(name: string): name is MethodName {
  return METHODS.has(name);
}

export type ParsedCall =
  { ok: true; method: MethodName; arg: unknown } | { ok: false; error: ContractError };

/** Validates a call arriving over a transport; `arg` is the parsed value (defaults applied). */
export function parseMethodArg(method: string, arg: unknown): ParsedCall {
  if (!isMethodName(method)) {
    return {
      ok: false,
      error: invalid('unknown-method', `Unknown method "${method.slice(0, 64)}".`),
    };
  }
  // JSON has no undefined: a transport may carry "no argument" as null.
  const parsed = METHOD_SCHEMAS[method].safeParse(arg === null ? undefined : arg);
  if (parsed.success) return { ok: true, method, arg: parsed.data };
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : 'argument'}: ${i.message}`);
  return {
    ok: false,
    error: invalid('invalid-argument', `Invalid argument for ${method}: ${issues.join('; ')}`),
  };
}

function invalid(code: string, message: string): ContractError {
  return { code, kind: 'item', message, retryable: false };
}

/** Anything thrown, as the contract's error shape (core/errors.ts taxonomy). */
export function toContractError(e: unknown, operation?: string): ContractError {
  return errorInfo(e, operation);
}
