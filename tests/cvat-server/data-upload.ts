// /api/tasks/{id}/data/: CVAT's header dispatch (Upload-Start, TUS, Upload-Multiple, Upload-Finish,
// single request), DataRequest validation and the task-creation request.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Core } from './core.js';
import type { Ctx } from './http-kit.js';
import { HttpError, fieldErrors, listError, notFound } from './http-kit.js';
import type { Router } from './router.js';
import type { Requests } from './requests.js';
import { isActive } from './requests.js';
import type { Tus } from './tus.js';
import { UPLOAD_ID, exists, mediaPath, nameAllowed } from './tus.js';
import type { TaskRec } from './store.js';
import type { Errors } from './validate.js';
import { bool, choice, int, required, str } from './validate.js';
import { drainTo, hasBody, mediaType, readJson, readMultipart, unsupported } from './body.js';
import type { CreateParams } from './processing.js';
import { processTask } from './processing.js';
import { parseValidationParams } from './validation-create.js';
import { taskAccess } from './tasks.js';
import { noteBytes } from './ledger.js';
import { DATA_DEFAULT_QUALITY } from './views.js';

export const SORTING = ['lexicographical', 'natural', 'predefined', 'random'];

/** Django's MultiPartParser.sanitize_file_name: keep the last path component, printable only. */
export function sanitizeName(raw: string): string {
  const base = raw.split('/').pop()?.split('\\').pop() ?? '';
  return [...base].filter((c) => c >= ' ' && c !== '\x7f').join('');
}

/** Multipart fields → the JSON shape DRF builds from indexed names (`a[0]`, `m[1][2]`). */
export function formToObject(fields: Map<string, string[]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const lists = new Map<string, Map<number, unknown>>();
  for (const [name, values] of fields) {
    const nested = /^(\w+)\[(\d+)\]\[(\d+)\]$/.exec(name);
    const indexed = /^(\w+)\[(\d+)\]$/.exec(name);
    if (nested) {
      const [, key = '', i = '0', j = '0'] = nested;
      const outer = lists.get(key) ?? new Map<number, unknown>();
      const inner =
        (outer.get(Number(i)) as Map<number, unknown> | undefined) ?? new Map<number, unknown>();
      inner.set(Number(j), values[values.length - 1]);
      outer.set(Number(i), inner);
      lists.set(key, outer);
    } else if (indexed) {
      const [, key = '', i = '0'] = indexed;
      const list = lists.get(key) ?? new Map<number, unknown>();
      list.set(Number(i), values[values.length - 1]);
      lists.set(key, list);
    } else {
      out[name] = values.length > 1 ? values : values[0];
    }
  }
  const ordered = (m: Map<number, unknown>): unknown[] =>
    [...m.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, v]) => (v instanceof Map ? ordered(v as Map<number, unknown>) : v));
  for (const [key, m] of lists) out[key] = ordered(m);
  return out;
}

function stringList(
  errors: Errors,
  body: Record<string, unknown>,
  key: string,
  max = 1024,
): string[] | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) {
    errors[key] = [
      `Expected a list of items but got type "${typeof v === 'string' ? 'str' : typeof v}".`,
    ];
    return undefined;
  }
  const bad = v.findIndex((x) => typeof x !== 'string' || !x || x.length > max);
  if (bad >= 0) {
    errors[key] = {
      [bad]: [
        typeof v[bad] === 'string' && v[bad]
          ? `Ensure this field has no more than ${max} characters.`
          : 'This field may not be blank.',
      ],
    };
    return undefined;
  }
  return v as string[];
}

/** DataSerializer validation. Returns the worker's parameters or throws a 400 field-error body. */
export function validateDataRequest(core: Core, body: Record<string, unknown>): CreateParams {
  const e: Errors = {};
  if (core.imageQualityRequired && body.image_quality === undefined) e.image_quality = [required];
  const imageQuality = int(e, body, 'image_quality', {
    min: core.atLeast('2.65') ? 1 : 0,
    max: 100,
  });
  const chunkSize = int(e, body, 'chunk_size', { min: 0, max: 2147483647, nullable: true });
  // DataSerializer.validate_chunk_size: the schema allows 0, the field validator does not.
  if (chunkSize === 0) e.chunk_size = ['Chunk size must be a positive integer'];
  const startFrame = int(e, body, 'start_frame', { min: 0, max: 2147483647 });
  const stopFrame = int(e, body, 'stop_frame', { min: 0, max: 2147483647 });
  const frameFilter = str(e, body, 'frame_filter', { max: 256 });
  // DataSerializer.validate_frame_filter runs on any value sent, the empty string included.
  if (frameFilter !== undefined && !/step\s*=\s*([1-9]\d*)/.test(frameFilter))
    e.frame_filter = ['Invalid frame filter expression'];
  const sorting = body.sorting_method ?? 'lexicographical';
  if (!SORTING.includes(String(sorting))) e.sorting_method = [choice(sorting)];
  if (
    body.storage_method !== undefined &&
    !['cache', 'file_system'].includes(String(body.storage_method))
  )
    e.storage_method = [choice(body.storage_method)];
  if (
    body.storage !== undefined &&
    !['cloud_storage', 'local', 'share'].includes(String(body.storage))
  )
    e.storage = [choice(body.storage)];
  const useZip = bool(e, body, 'use_zip_chunks');
  bool(e, body, 'use_cache');
  bool(e, body, 'copy_data');
  const serverFiles = stringList(e, body, 'server_files');
  const remoteFiles = stringList(e, body, 'remote_files');
  stringList(e, body, 'server_files_exclude');
  const order = stringList(e, body, 'upload_file_order');
  let mapping: string[][] | undefined;
  if (body.job_file_mapping !== undefined) {
    const v = body.job_file_mapping;
    if (
      !Array.isArray(v) ||
      v.some((x) => !Array.isArray(x) || x.some((n) => typeof n !== 'string' || !n))
    ) {
      e.job_file_mapping = ['Expected a list of lists of file names.'];
    } else {
      mapping = v as string[][];
      const seen = new Set<string>();
      for (const name of mapping.flat()) {
        if (seen.has(name)) {
          e.job_file_mapping = [
            `The same file '${name}' cannot be used multiple times in the job file mapping`,
          ];
          break;
        }
        seen.add(name);
      }
    }
  }
  if (remoteFiles?.some((u) => !/^https?:\/\//i.test(u))) e.remote_files = ['Enter a valid URL.'];
  if (Object.keys(e).length) throw fieldErrors(e as Record<string, string[]>);
  const validation = parseValidationParams(body.validation_params);
  if (startFrame !== undefined && stopFrame !== undefined && startFrame! > stopFrame!) {
    throw fieldErrors({ non_field_errors: ['Stop frame must be more or equal start frame'] });
  }
  return {
    imageQuality: imageQuality ?? null,
    chunkSize: chunkSize ?? null,
    startFrame: startFrame ?? 0,
    stopFrame: stopFrame ?? null,
    frameFilter: frameFilter ?? '',
    sortingMethod: String(sorting) as CreateParams['sortingMethod'],
    uploadFileOrder: order ?? null,
    jobFileMapping: mapping ?? null,
    useZipChunks: useZip ?? false,
    serverFiles: serverFiles ?? [],
    remoteFiles: remoteFiles ?? [],
    validation,
  };
}

export class DataUpload {
  constructor(
    private readonly core: Core,
    private readonly tus: Tus,
    private readonly requests: Requests,
  ) {
    requests.register('create:task', async (rec, job) => {
      const task = core.state.tasks.find((t) => t.id === rec.taskId);
      if (!task?.data) throw new Error('ValueError: The task was deleted');
      await processTask(core, task, rec.params as unknown as CreateParams, job);
    });
  }

  register(router: Router): void {
    const col = (task: TaskRec) => ({
      kind: 'media' as const,
      target: 'task' as const,
      targetId: task.id,
      task,
    });
    router.add(['POST', 'OPTIONS'], /^\/api\/tasks\/(?<id>\d+)\/data\/?$/, async (ctx) => {
      const task = taskAccess(this.core, ctx, Number(ctx.params.id));
      if (!task.data) {
        // CVAT's TaskViewSet.data: the first POST creates `Data.objects.create()`, i.e. the
        // model defaults of engine/models.py Data (size 0, image_quality 50, chunk_size null,
        // both chunk types imageset); the task shows them until processing fills them in.
        task.data = {
          id: this.core.store.nextId('data'),
          clientFiles: [],
          size: 0,
          imageQuality: DATA_DEFAULT_QUALITY,
          chunkSize: null,
          startFrame: 0,
          stopFrame: 0,
          frameFilter: '',
          sortingMethod: 'lexicographical',
          mediaType: '',
          originalChunkType: 'imageset',
          compressedChunkType: 'imageset',
          frames: [],
        };
        await mkdir(this.core.store.taskUploadDir(task.id), { recursive: true });
        await this.core.store.save();
      } else if (task.data.size !== 0) {
        throw new HttpError(400, 'Adding more data is not supported');
      }
      const start = ctx.hasHeader('upload-start');
      const finish = ctx.hasHeader('upload-finish');
      if (finish) return this.finish(ctx, task);
      if (start) {
        await ctx.drain();
        return ctx.sendEmpty(202);
      }
      if (ctx.hasHeader('upload-length') || ctx.method === 'OPTIONS') {
        return ctx.method === 'OPTIONS' ? this.tus.options(ctx) : this.tus.create(ctx, col(task));
      }
      if (ctx.hasHeader('upload-multiple')) {
        await this.appendFiles(ctx, task);
        if (!ctx.bodyTruncated) await ctx.sendEmpty(200);
        return;
      }
      return this.finish(ctx, task);
    });

    router.add(
      ['HEAD', 'PATCH'],
      new RegExp(`^/api/tasks/(?<id>\\d+)/data/${UPLOAD_ID}$`),
      async (ctx) => {
        const task = taskAccess(this.core, ctx, Number(ctx.params.id));
        await this.tus.chunk(ctx, col(task), ctx.params.fileId ?? '');
      },
    );
  }

  /**
   * Streams `client_files[N]` parts into the task folder with CVAT's append ('ab+') semantics.
   * Parts go to temp files first: CVAT validates the whole request before touching the folder.
   * A request cut short appends nothing: DRF parses the whole multipart body (`request.data` in
   * UploadMixin._get_request_client_files, cvat/apps/engine/mixins.py) before append_files
   * writes a byte, and a body that ends early fails that parse.
   */
  private async appendFiles(ctx: Ctx, task: TaskRec): Promise<Record<string, unknown>> {
    const type = mediaType(ctx);
    if (type === 'application/json' || !hasBody(ctx)) {
      const body = await readJson(ctx);
      validateDataRequest(this.core, body);
      return body;
    }
    if (type !== 'multipart/form-data') unsupported(ctx);
    const parts: Array<{ name: string; tmp: string; bytes: number }> = [];
    let badName: string | null = null;
    const sink = async (field: string, filename: string, stream: Readable) => {
      if (!/^client_files\[\d+\]$/.test(field)) {
        stream.resume();
        return;
      }
      const name = sanitizeName(filename);
      if (!name || name === '.' || name === '..' || !nameAllowed(name)) {
        badName ??= filename;
        stream.resume();
        return;
      }
      const tmp = this.core.store.tmpPath(`${this.core.rng.hex(8)}.part`);
      const part = { name, tmp, bytes: 0 };
      parts.push(part);
      part.bytes = await drainTo(stream, tmp, 'w');
    };
    const { fields, truncated } = await readMultipart(ctx, sink);
    for (const p of parts) noteBytes(this.core, task.id, p.name, p.bytes, !truncated);
    const body = formToObject(fields);
    try {
      if (truncated) return body;
      validateDataRequest(this.core, body);
      if (badName !== null)
        throw new HttpError(400, `File name ${badName} is not allowed`, 'quoted-text');
      // TaskViewSet.append_files registers every name before writing; ClientFile is unique per
      // (data, file), so a name already registered (earlier batch, TUS creation) or repeated in
      // this request is an IntegrityError: a bare 500 and nothing appended.
      const registered = new Set(task.data?.clientFiles ?? []);
      const seen = new Set<string>();
      for (const { name } of parts) {
        if (registered.has(name) || seen.has(name))
          throw new HttpError(500, '<h1>Server Error (500)</h1>', 'text');
        seen.add(name);
      }
      const data = task.data;
      if (!data) return body;
      // Deleted while the body arrived: CVAT's view would not find it any more.
      if (!this.core.state.tasks.includes(task)) throw notFound('Task');
      const dirs = new Set<string>();
      const known = new Set(data.clientFiles);
      for (const part of parts) {
        const target = mediaPath(this.core, task.id, part.name);
        const folder = dirname(target);
        if (!dirs.has(folder)) {
          await mkdir(folder, { recursive: true });
          dirs.add(folder);
        }
        // Appending to nothing is a move: no second copy of the bytes.
        if (await exists(target)) {
          await pipeline(createReadStream(part.tmp), createWriteStream(target, { flags: 'a' }));
        } else {
          await rename(part.tmp, target);
        }
        if (!known.has(part.name)) {
          known.add(part.name);
          data.clientFiles.push(part.name);
        }
      }
      if (!this.core.state.tasks.includes(task)) {
        // Deleted while the files were moved in: nothing of it may stay behind.
        await rm(this.core.store.taskDir(task.id), { recursive: true, force: true, maxRetries: 5 });
        throw notFound('Task');
      }
      await this.core.store.save();
      return body;
    } finally {
      await Promise.all(parts.map((p) => rm(p.tmp, { force: true })));
    }
  }

  private async finish(ctx: Ctx, task: TaskRec): Promise<void> {
    const body = await this.appendFiles(ctx, task);
    if (ctx.bodyTruncated) return;
    const params = validateDataRequest(this.core, body);
    const data = task.data;
    if (!data) return;
    if (params.sortingMethod === 'predefined' && params.uploadFileOrder?.length) {
      const uploaded = new Set(data.clientFiles);
      const wanted = new Set(params.uploadFileOrder);
      const mismatch = [...new Set([...uploaded, ...wanted])].filter(
        (n) => uploaded.has(n) !== wanted.has(n),
      );
      if (mismatch.length && data.clientFiles.length) {
        const shown = mismatch
          .slice(0, 5)
          .map((n) => n + (uploaded.has(n) ? ' (extra)' : ' (missing)'));
        const more = mismatch.length - 5;
        throw listError(
          "Uploaded files do not match the 'upload_file_order' field contents. Please check the uploaded data and the list of uploaded files. " +
            `Mismatching files: ${shown.join(', ')}${more > 0 ? ` (and ${more} more). ` : ''}`,
        );
      }
    }
    const legacy = !this.core.atLeast('2.16');
    const rqId = legacy
      ? `create:task-${task.id}`
      : `action=create&target=task&target_id=${task.id}`;
    const running = this.requests.get(rqId);
    if (isActive(running)) {
      await ctx.sendJson(409, { rq_id: rqId });
      return;
    }
    data.imageQuality = params.imageQuality ?? data.imageQuality; // absent: the record keeps its own
    data.sortingMethod = params.sortingMethod;
    data.frameFilter = params.frameFilter;
    data.startFrame = params.startFrame;
    const rec = this.requests.newRecord({
      id: rqId,
      kind: 'create:task',
      target: 'task',
      ownerId: Number(ctx.userId),
      taskId: task.id,
      projectId: task.projectId,
      orgId: task.orgId,
      params: params as unknown as Record<string, unknown>,
    });
    await this.requests.enqueue(rec);
    if (legacy) {
      await ctx.sendJson(202, {
        chunk_size: params.chunkSize,
        image_quality: params.imageQuality,
        start_frame: params.startFrame,
        stop_frame: params.stopFrame ?? 0,
        frame_filter: params.frameFilter,
        client_files: data.clientFiles.map((file) => ({ file })),
        server_files: params.serverFiles.map((file) => ({ file })),
        remote_files: params.remoteFiles.map((file) => ({ file })),
        use_zip_chunks: params.useZipChunks,
        use_cache: body.use_cache === true || body.use_cache === 'true',
        copy_data: false,
        storage_method: 'cache',
        storage: 'local',
        sorting_method: params.sortingMethod,
        filename_pattern: null,
      });
      return;
    }
    await ctx.sendJson(202, { rq_id: rqId });
  }
}
