// Flow A: a task's media (Upload-Start, TUS or Upload-Multiple, Upload-Finish, then the task
// status) and Flow D: imports of backups and annotations, which upload the same way and finish
// with the upload id as the file name (CVAT's cvat/apps/engine/mixins.py UploadMixin).
import { SyncError } from '../core/errors.js';
import type { AbortSignalLike } from '../core/signal.js';
import type {
  BulkCallbacks,
  CvatApi,
  DataRequest,
  ImportOptions,
  TaskCreationStatus,
  TusTarget,
  TusUploadOptions,
  TusUploadResult,
  UploadFile,
} from './api.js';
import { poll, sig } from './client-context.js';
import type { ClientContext, PollOptions } from './client-context.js';
import type { CallSpec, Query } from './http.js';
import { parseJson } from './http.js';
import { finishLegacyImport } from './legacy-flows.js';
import { multipartBody } from './multipart.js';
import { startRequest } from './requests.js';
import { parseWith, rqIdSchema, taskStatusSchema } from './schemas.js';
import { throttled } from './streams.js';
import { tusUpload } from './tus.js';

/** cvat-core's and cvat-sdk's default JPEG quality. */
export const DEFAULT_IMAGE_QUALITY = 70;

export async function uploadStart(
  context: ClientContext,
  taskId: number,
  signal?: AbortSignalLike,
): Promise<void> {
  await context.transport.call({
    operation: 'start upload',
    method: 'POST',
    path: `/api/tasks/${taskId}/data/`,
    headers: { 'Upload-Start': 'true' },
    json: {},
    ...sig(signal),
  });
}

export async function uploadByTus(
  context: ClientContext,
  options: TusUploadOptions,
): Promise<TusUploadResult> {
  return tusUpload(
    {
      transport: context.transport,
      logger: context.logger,
      retryDelays: context.tus.retryDelays,
      idleTimeoutMs: context.tus.idleTimeoutMs,
      serverVersion: await context.serverVersion(options.signal),
    },
    context.transport.url(tusPath(options.target)),
    options,
    `upload ${options.file.name}`,
  );
}

/** One request; never retried here: CVAT appends Upload-Multiple bodies, a repeat duplicates bytes. */
export async function uploadMultiple(
  context: ClientContext,
  taskId: number,
  files: UploadFile[],
  options: BulkCallbacks & { imageQuality?: number },
): Promise<{ sha256: string[] }> {
  const operation = `upload ${files.length} files`;
  // Before 2.65 every Upload-Multiple is validated as a full DataRequest: image_quality is
  // required there (400 without it). cvat-core and cvat-sdk always send it.
  const body = multipartBody(
    files,
    (i) => `client_files[${i}]`,
    undefined,
    {
      image_quality: String(options.imageQuality ?? DEFAULT_IMAGE_QUALITY),
    },
    context.transport.fs,
  );
  let done = 0;
  await context.transport.call({
    operation,
    method: 'POST',
    path: `/api/tasks/${taskId}/data/`,
    headers: { 'Upload-Multiple': 'true' },
    body: {
      contentType: body.contentType,
      length: body.length,
      stream: (touch) =>
        throttled(
          body.chunks(operation, (n) => options.onProgress?.((done += n), body.fileBytes)),
          { throttle: options.throttle, signal: options.signal, onChunk: touch },
        ),
      ...(options.onBodySent ? { onSent: options.onBodySent } : {}),
    },
    retry: false,
    ...sig(options.signal),
  });
  options.onProgress?.(body.fileBytes, body.fileBytes);
  return { sha256: [...body.sha256] };
}

export async function uploadFinish(
  context: ClientContext,
  taskId: number,
  data: DataRequest,
  signal?: AbortSignalLike,
): Promise<string | null> {
  const legacy = !(await context.supportsRequests(signal));
  const spec: CallSpec = {
    operation: 'finish upload',
    method: 'POST',
    path: `/api/tasks/${taskId}/data/`,
    headers: { 'Upload-Finish': 'true' },
    // CVAT's web UI creates tasks with use_cache on (cvat-ui create-task-content defaults).
    json: { ...data, use_cache: data.use_cache ?? true },
    expect: [409],
    ...sig(signal),
  };
  const reply = await context.transport.call(spec);
  // Before 2.16 the answer echoes the options: progress is read from the task status.
  if (legacy && reply.status !== 409) return null;
  return parseWith(rqIdSchema, parseJson(reply, spec.operation), spec.operation, reply.url).rq_id;
}

export function waitForTaskCreation(
  context: ClientContext,
  taskId: number,
  options: PollOptions<TaskCreationStatus>,
): Promise<TaskCreationStatus> {
  return poll(context, options, async () => {
    const status = await context.transport.json(
      {
        operation: 'get task status',
        method: 'GET',
        path: `/api/tasks/${taskId}/status`,
        ...sig(options.signal),
      },
      taskStatusSchema,
    );
    return { value: status, done: status.state === 'Finished' || status.state === 'Failed' };
  });
}

export async function importBackup(
  context: ClientContext,
  file: UploadFile,
  options: ImportOptions & { projectId?: number | null },
): Promise<string> {
  if (options.projectId !== undefined && options.projectId !== null) {
    // CVAT restores a task backup as a standalone task (schema: no project parameter).
    throw new SyncError('restore backup: CVAT cannot restore a task backup into a project', {
      code: 'unsupported',
      kind: 'item',
      operation: 'restore backup',
      hint: 'Restore it as a standalone task, then move the task into the project in CVAT.',
    });
  }
  return importVia(
    context,
    { path: '/api/tasks/backup/', target: { kind: 'task-backup' }, query: {}, org: true },
    'restore backup',
    file,
    options,
  );
}

export async function importAnnotations(
  context: ClientContext,
  ...[taskId, file, format, mode, options]: Parameters<CvatApi['importAnnotations']>
): Promise<string> {
  return importVia(
    context,
    {
      path: `/api/tasks/${taskId}/annotations/`,
      target: { kind: 'task-annotations', taskId },
      // location=local: otherwise the task's source_storage decides where `filename` is read
      // from, a cloud bucket for some tasks, as for exports.
      query: { format, import_mode: mode, location: 'local' },
      org: false,
    },
    `import annotations into task ${taskId}`,
    file,
    options,
  );
}

/** Where an import goes: its endpoint, the TUS target, its query and the organization choice. */
interface ImportEndpoint {
  path: string;
  target: TusTarget;
  query: Query;
  org: boolean;
}

/** Upload-Start, TUS, Upload-Finish with the upload id as filename. */
async function importVia(
  context: ClientContext,
  endpoint: ImportEndpoint,
  operation: string,
  file: UploadFile,
  options: ImportOptions,
): Promise<string> {
  const { path, query, org } = endpoint;
  if (!options.resumeUrl) {
    await context.transport.call({
      operation: `${operation}: start upload`,
      method: 'POST',
      path,
      query,
      org,
      headers: { 'Upload-Start': 'true' },
      json: {},
      ...sig(options.signal),
    });
  }
  const tus: TusUploadOptions = {
    target: endpoint.target,
    file,
    chunkSize: options.chunkSize,
    resumeUrl: options.resumeUrl ?? null,
  };
  if (options.signal) tus.signal = options.signal;
  if (options.throttle) tus.throttle = options.throttle;
  if (options.onProgress) tus.onProgress = options.onProgress;
  if (options.onCreated) tus.onCreated = options.onCreated;
  const uploaded = await uploadByTus(context, tus);
  const finish: CallSpec = {
    operation: `${operation}: finish upload`,
    method: 'POST',
    path,
    query: { ...query, filename: uploaded.uploadFilename },
    org,
    headers: { 'Upload-Finish': 'true' },
    json: {},
    expect: [409],
    ...sig(options.signal),
  };
  if (await context.supportsRequests(options.signal)) return startRequest(context, finish);
  // Before 2.16 there is no /api/requests: the import is followed by repeating a request.
  return finishLegacyImport(context, finish, endpoint.target, query);
}

function tusPath(target: TusTarget): string {
  switch (target.kind) {
    case 'task-data':
      return `/api/tasks/${target.taskId}/data/`;
    case 'task-backup':
      return '/api/tasks/backup/';
    case 'task-annotations':
      return `/api/tasks/${target.taskId}/annotations/`;
  }
}
