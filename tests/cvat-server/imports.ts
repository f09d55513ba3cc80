// Imports: task backups → new task, annotation files → a task's/job's annotations, over the
// same Upload-Start / TUS / Upload-Finish mechanism (filename = upload id) or one multipart POST.
import { noteTaskCreated, noteTaskDeleted } from './ledger.js';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Core } from './core.js';
import type { Ctx } from './http-kit.js';
import { detail, listError, parseBool } from './http-kit.js';
import type { Router } from './router.js';
import type { Requests } from './requests.js';
import { isActive } from './requests.js';
import type { Tus, TusCollection } from './tus.js';
import { UPLOAD_ID, mediaPath, nameAllowed } from './tus.js';
import type { Annotations, LabelRec, RequestRec, Shape, TaskRec, UploadRec } from './store.js';
import { importer } from './formats.js';
import { hasBody, mediaType, readJson, readMultipart, unsupported } from './body.js';
import { legacyAnnotationsRqId, legacyImportPoll } from './legacy-imports.js';
import { emptyAnnotations, jobAccess, taskAccess } from './tasks.js';
import { resolveOrg, scopeOrgId } from './orgs.js';
import { defaultStorage, parseLabels } from './validate.js';
import { annotationsRead } from './views.js';
import { processTask } from './processing.js';
import type { CreateParams } from './processing.js';
import { kindOf } from './media.js';
import { walkZip, readZipText } from './zip.js';
import { SORTING } from './data-upload.js';
import type { Exports } from './exports.js';

/** Saves a single-request multipart upload (`field`) as a finished upload record. */
async function multipartUpload(
  core: Core,
  ctx: Ctx,
  col: TusCollection,
  field: string,
): Promise<UploadRec | null> {
  if (mediaType(ctx) !== 'multipart/form-data') {
    if (hasBody(ctx)) unsupported(ctx);
    return null;
  }
  let rec: UploadRec | null = null;
  await readMultipart(ctx, async (name: string, filename: string, stream: Readable) => {
    if (name !== field || rec) {
      stream.resume();
      return;
    }
    const id = `${ctx.userId}_${core.rng.uuid4()}`;
    await pipeline(stream, createWriteStream(core.store.uploadFile(id)));
    rec = {
      id,
      userId: Number(ctx.userId),
      kind: col.kind,
      target: col.target,
      targetId: col.targetId,
      filename: id,
      originalName: filename,
      filetype: '',
      length: 0,
      offset: 0,
      createdDate: core.now(),
      complete: true,
    };
  });
  if (rec) core.state.uploads.push(rec);
  return rec;
}

// ---- annotation parsing (CVAT 1.1 XML, COCO 1.0 JSON, Datumaro 1.0 JSON) ----
interface ParsedShape {
  frameName?: string;
  frame?: number;
  label: string;
  type: string;
  points: number[];
  occluded: boolean;
}

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w:-]+)="([^"]*)"/g))
    out[m[1] ?? ''] = (m[2] ?? '')
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  return out;
}

function pointsOf(a: Record<string, string>): number[] {
  if (a.xtl !== undefined) return [Number(a.xtl), Number(a.ytl), Number(a.xbr), Number(a.ybr)];
  return (a.points ?? '')
    .split(';')
    .filter(Boolean)
    .flatMap((p) => p.split(',').map(Number));
}

const TYPES: Record<string, string> = {
  box: 'rectangle',
  polygon: 'polygon',
  polyline: 'polyline',
  points: 'points',
};

function parseCvatXml(xml: string): ParsedShape[] {
  if (!/<annotations[\s>]/.test(xml))
    throw new Error('CvatImportError: The file is not a CVAT XML annotation file');
  const out: ParsedShape[] = [];
  for (const img of xml.matchAll(/<image\b([^>]*)>([\s\S]*?)<\/image>/g)) {
    const ia = attrs(img[1] ?? '');
    for (const s of (img[2] ?? '').matchAll(/<(box|polygon|polyline|points|tag)\b([^>]*?)\/?>/g)) {
      const a = attrs(s[2] ?? '');
      const type = s[1] === 'tag' ? 'tag' : (TYPES[s[1] ?? ''] ?? 'rectangle');
      out.push({
        frameName: ia.name,
        frame: Number(ia.id),
        label: a.label ?? '',
        type,
        points: type === 'tag' ? [] : pointsOf(a),
        occluded: a.occluded === '1',
      });
    }
  }
  for (const tr of xml.matchAll(/<track\b([^>]*)>([\s\S]*?)<\/track>/g)) {
    const ta = attrs(tr[1] ?? '');
    for (const s of (tr[2] ?? '').matchAll(/<(box|polygon|polyline|points)\b([^>]*?)\/?>/g)) {
      const a = attrs(s[2] ?? '');
      if (a.outside === '1') continue;
      out.push({
        frame: Number(a.frame),
        label: ta.label ?? '',
        type: TYPES[s[1] ?? ''] ?? 'rectangle',
        points: pointsOf(a),
        occluded: a.occluded === '1',
      });
    }
  }
  return out;
}

function parseCoco(text: string): ParsedShape[] {
  const doc = JSON.parse(text) as {
    images?: Array<{ id: number; file_name: string }>;
    categories?: Array<{ id: number; name: string }>;
    annotations?: Array<{
      image_id: number;
      category_id: number;
      bbox?: number[];
      segmentation?: unknown;
      attributes?: { occluded?: boolean };
    }>;
  };
  if (!Array.isArray(doc.images) || !Array.isArray(doc.annotations))
    throw new Error(
      "CvatImportError: The file is not a COCO annotation file: 'images' or 'annotations' is missing",
    );
  const images = new Map(doc.images.map((i) => [i.id, i.file_name]));
  const cats = new Map((doc.categories ?? []).map((c) => [c.id, c.name]));
  return doc.annotations.map((a) => {
    const seg =
      Array.isArray(a.segmentation) && Array.isArray(a.segmentation[0])
        ? (a.segmentation[0] as number[])
        : null;
    const [x = 0, y = 0, w = 0, h = 0] = a.bbox ?? [];
    return {
      frameName: images.get(a.image_id),
      label: cats.get(a.category_id) ?? String(a.category_id),
      type: seg ? 'polygon' : 'rectangle',
      points: seg ?? [x, y, x + w, y + h],
      occluded: !!a.attributes?.occluded,
    };
  });
}

function parseDatumaro(text: string): ParsedShape[] {
  const doc = JSON.parse(text) as {
    categories?: { label?: { labels?: Array<{ name: string }> } };
    items?: Array<{
      id: string;
      image?: { path?: string };
      attr?: { frame?: number };
      annotations?: Array<{ type: string; label_id: number; bbox?: number[]; points?: number[] }>;
    }>;
  };
  if (!Array.isArray(doc.items))
    throw new Error(
      "CvatImportError: The file is not a Datumaro annotation file: 'items' is missing",
    );
  const labels = doc.categories?.label?.labels ?? [];
  return doc.items.flatMap((item) =>
    (item.annotations ?? []).map((a) => {
      const [x = 0, y = 0, w = 0, h = 0] = a.bbox ?? [];
      return {
        frameName: item.image?.path,
        frame: item.attr?.frame,
        label: labels[a.label_id]?.name ?? String(a.label_id),
        type: a.type === 'bbox' ? 'rectangle' : a.type,
        points: a.type === 'bbox' ? [x, y, x + w, y + h] : (a.points ?? []),
        occluded: false,
      };
    }),
  );
}

async function parseAnnotationFile(path: string, format: string): Promise<ParsedShape[]> {
  const head = (await readFile(path)).subarray(0, 4);
  const isZip = head[0] === 0x50 && head[1] === 0x4b;
  const pick = async (match: (name: string) => boolean): Promise<string> => {
    if (!isZip) return (await readFile(path)).toString('utf8');
    let found: string | null = null;
    await walkZip(path, async (e) => {
      if (!found && match(e.fileName)) found = e.fileName;
    });
    if (!found)
      throw new Error('CvatImportError: Could not find the annotation file in the archive');
    return (await readZipText(path, found)) ?? '';
  };
  try {
    switch (format) {
      case 'CVAT 1.1':
        return parseCvatXml(await pick((n) => n.toLowerCase().endsWith('.xml')));
      case 'COCO 1.0':
      case 'COCO Keypoints 1.0':
        return parseCoco(
          await pick(
            (n) => /^annotations\/.*\.json$/i.test(n) || (!n.includes('/') && n.endsWith('.json')),
          ),
        );
      case 'Datumaro 1.0':
        return parseDatumaro(await pick((n) => /^annotations\/.*\.json$/i.test(n)));
      default:
        throw new Error(
          `NotImplementedError: the test server cannot import the '${format}' format`,
        );
    }
  } catch (err) {
    if (err instanceof SyntaxError)
      throw new Error(`CvatImportError: Failed to parse the annotation file: ${err.message}`);
    throw err;
  }
}

function toShapes(
  core: Core,
  task: TaskRec,
  parsed: ParsedShape[],
  range: { start: number; stop: number },
): { shapes: Shape[]; tags: Annotations['tags'] } {
  const labels = core.labelsOf(task);
  const frames = task.data?.frames ?? [];
  const shapes: Shape[] = [];
  const tags: Annotations['tags'] = [];
  for (const p of parsed) {
    const label = labels.find((l) => l.name === p.label);
    if (!label)
      throw new Error(`CvatImportError: Label '${p.label}' is not registered for this task`);
    let frame =
      p.frameName !== undefined
        ? frames.findIndex(
            (f) =>
              f.name === p.frameName ||
              f.name.replace(/\.[^.]+$/, '') === p.frameName?.replace(/\.[^.]+$/, ''),
          )
        : -1;
    if (frame < 0 && p.frame !== undefined && Number.isInteger(p.frame) && p.frame < frames.length)
      frame = p.frame;
    if (frame < 0)
      throw new Error(
        `CvatImportError: Could not match item id: '${p.frameName ?? p.frame}' with any task frame`,
      );
    if (frame < range.start || frame > range.stop) continue;
    if (p.type === 'tag')
      tags.push({ id: core.store.nextId('shape'), frame, label_id: label.id, attributes: [] });
    else
      shapes.push({
        id: core.store.nextId('shape'),
        type: p.type,
        frame,
        label_id: label.id,
        group: 0,
        source: 'file',
        occluded: p.occluded,
        outside: false,
        z_order: 0,
        rotation: 0,
        points: p.points,
        attributes: [],
      });
  }
  return { shapes, tags };
}

export class Imports {
  constructor(
    private readonly core: Core,
    private readonly tus: Tus,
    private readonly requests: Requests,
    private readonly exports: Exports,
  ) {
    requests.register('import:annotations', async (rec, job) => {
      const upload = core.state.uploads.find((u) => u.id === rec.params.uploadId);
      try {
        const task = core.task(Number(rec.taskId));
        const range = rec.jobId
          ? core.job(rec.jobId)
          : { startFrame: 0, stopFrame: (task.data?.size ?? 1) - 1 };
        await job.progress(0.3, 'Importing annotations');
        const parsed = await parseAnnotationFile(
          core.store.uploadFile(String(rec.params.uploadId)),
          String(rec.format),
        );
        const { shapes, tags } = toShapes(core, task, parsed, {
          start: range.startFrame,
          stop: range.stopFrame,
        });
        const inRange = (f: number) => f >= range.startFrame && f <= range.stopFrame;
        const a = task.annotations;
        if (rec.params.importMode === 'replace') {
          a.shapes = a.shapes.filter((s) => !inRange(s.frame));
          a.tags = a.tags.filter((t) => !inRange(t.frame));
        }
        a.shapes.push(...shapes);
        a.tags.push(...tags);
        a.version++;
        task.updatedDate = core.now();
      } finally {
        if (upload) await this.tus.discard(upload);
      }
    });
    requests.register('import:backup', async (rec, job) => {
      const upload = core.state.uploads.find((u) => u.id === rec.params.uploadId);
      try {
        rec.resultId = await this.restore(rec, job);
      } finally {
        if (upload) await this.tus.discard(upload);
      }
    });
  }

  /** Rebuilds a task from task.json, annotations.json and data/ of a backup archive. */
  private async restore(
    rec: RequestRec,
    job: Parameters<Parameters<Requests['register']>[1]>[1],
  ): Promise<number> {
    const core = this.core;
    const path = core.store.uploadFile(String(rec.params.uploadId));
    const taskText = await readZipText(path, 'task.json');
    if (taskText === null)
      throw new Error('ValueError: Invalid backup: task.json was not found in the archive');
    const meta = JSON.parse(taskText) as {
      name: string;
      bug_tracker?: string;
      subset?: string;
      labels: unknown[];
      segment_size?: number;
      overlap?: number | null;
      data?: {
        chunk_size?: number | null;
        image_quality?: number;
        start_frame?: number;
        stop_frame?: number;
        frame_filter?: string;
        sorting_method?: string;
        order?: string[];
      };
    };
    const parsedLabels = parseLabels(core, meta.labels ?? []);
    if (parsedLabels.error) throw new Error('ValueError: Invalid backup: bad label specification');
    const now = core.now();
    const task: TaskRec = {
      id: core.store.nextId('task'),
      name: meta.name,
      ownerId: rec.ownerId,
      assigneeId: null,
      assigneeUpdatedDate: null,
      orgId: rec.orgId,
      projectId: null,
      bugTracker: meta.bug_tracker ?? '',
      subset: meta.subset ?? '',
      overlap: meta.overlap ?? null,
      segmentSize: meta.segment_size ?? 0,
      consensusReplicas: 0,
      labels: parsedLabels.labels ?? [],
      createdDate: now,
      updatedDate: now,
      sourceStorage: defaultStorage(core),
      targetStorage: defaultStorage(core),
      data: {
        id: core.store.nextId('data'),
        clientFiles: [],
        size: 0,
        imageQuality: null,
        chunkSize: null,
        startFrame: 0,
        stopFrame: 0,
        frameFilter: '',
        sortingMethod: 'lexicographical',
        mediaType: '',
        originalChunkType: '',
        compressedChunkType: '',
        frames: [],
      },
      mode: '',
      dimension: '',
      annotations: emptyAnnotations(),
    };
    const data = task.data as NonNullable<TaskRec['data']>;
    await job.progress(0.2, 'Unpacking the backup');
    await walkZip(path, async (entry, open) => {
      const name = entry.fileName.startsWith('data/') ? entry.fileName.slice(5) : null;
      if (!name || name.endsWith('/') || !nameAllowed(name)) return;
      const target = mediaPath(core, task.id, name);
      await mkdir(dirname(target), { recursive: true });
      await pipeline(await open(), createWriteStream(target));
      data.clientFiles.push(name);
    });
    const d = meta.data ?? {};
    const onlyImages =
      data.clientFiles.length > 0 && data.clientFiles.every((n) => kindOf(n) === 'image');
    const sorting = SORTING.includes(String(d.sorting_method))
      ? (d.sorting_method as CreateParams['sortingMethod'])
      : 'lexicographical';
    const params: CreateParams = {
      imageQuality: d.image_quality ?? 70,
      chunkSize: d.chunk_size ?? null,
      startFrame: d.start_frame ?? 0,
      stopFrame: d.stop_frame ?? null,
      frameFilter: d.frame_filter ?? '',
      sortingMethod: onlyImages && d.order?.length ? 'predefined' : sorting,
      uploadFileOrder: onlyImages && d.order?.length ? d.order : null,
      jobFileMapping: null,
      useZipChunks: true,
      serverFiles: [],
      remoteFiles: [],
    };
    core.state.tasks.push(task);
    noteTaskCreated(core, task);
    try {
      await processTask(core, task, params, job);
      const annText = await readZipText(path, 'annotations.json');
      const perJob = annText
        ? (JSON.parse(annText) as Array<{
            shapes?: Array<Shape & { label: string }>;
            tags?: Array<{ frame: number; label: string }>;
          }>)
        : [];
      const byName = (n: string): LabelRec | undefined => task.labels.find((l) => l.name === n);
      for (const a of perJob) {
        for (const s of a.shapes ?? []) {
          const label = byName(s.label);
          if (!label) continue;
          const { label: _l, ...rest } = s;
          task.annotations.shapes.push({
            ...rest,
            id: core.store.nextId('shape'),
            label_id: label.id,
          });
        }
        for (const t of a.tags ?? []) {
          const label = byName(t.label);
          if (label)
            task.annotations.tags.push({
              id: core.store.nextId('shape'),
              frame: t.frame,
              label_id: label.id,
              attributes: [],
            });
        }
      }
    } catch (err) {
      core.state.tasks = core.state.tasks.filter((t) => t !== task);
      noteTaskDeleted(core, task.id);
      core.state.jobs = core.state.jobs.filter((j) => j.taskId !== task.id);
      await rm(core.store.taskDir(task.id), { recursive: true, force: true });
      throw err;
    }
    return task.id;
  }

  register(router: Router): void {
    const core = this.core;
    const backupCol: TusCollection = { kind: 'backup', target: 'task', targetId: null };

    // ---- task backup import ----
    router.add(['POST', 'OPTIONS'], /^\/api\/tasks\/backup\/?$/, async (ctx) => {
      const scope = resolveOrg(core, ctx);
      if (ctx.hasHeader('upload-finish')) {
        const filename = ctx.query.get('filename');
        await ctx.drain();
        if (!filename) throw listError('The filename was not specified');
        const upload = this.tus.finished(Number(ctx.userId), backupCol, filename);
        if (!upload) throw listError(`No such file were uploaded: ${filename}`);
        return this.enqueueBackup(ctx, upload, scopeOrgId(scope));
      }
      if (ctx.hasHeader('upload-start')) {
        await ctx.drain();
        return ctx.sendEmpty(202);
      }
      if (ctx.hasHeader('upload-length') || ctx.method === 'OPTIONS') {
        return ctx.method === 'OPTIONS' ? this.tus.options(ctx) : this.tus.create(ctx, backupCol);
      }
      // Before 2.16 the client asks again with {"rq_id"} until the import ends.
      if (!core.atLeast('2.16') && mediaType(ctx) === 'application/json') {
        const rqId = (await readJson(ctx)).rq_id;
        return legacyImportPoll(core, ctx, typeof rqId === 'string' ? rqId : '', 'backup');
      }
      const upload = await multipartUpload(core, ctx, backupCol, 'task_file');
      if (!upload) throw listError('A backup archive is expected in the task_file field');
      await this.enqueueBackup(ctx, upload, scopeOrgId(scope));
    });
    router.add(['HEAD', 'PATCH'], new RegExp(`^/api/tasks/backup/${UPLOAD_ID}$`), async (ctx) =>
      this.tus.chunk(ctx, backupCol, ctx.params.fileId ?? ''),
    );

    // ---- annotations of tasks and jobs ----
    for (const target of ['task', 'job'] as const) {
      const plural = target === 'task' ? 'tasks' : 'jobs';
      const resolve = (ctx: Ctx) => {
        if (target === 'task') {
          const t = taskAccess(core, ctx, Number(ctx.params.id));
          return {
            task: t,
            jobId: null,
            col: { kind: 'annotations', target, targetId: t.id } as TusCollection,
          };
        }
        const j = jobAccess(core, ctx, Number(ctx.params.id));
        return {
          task: core.task(j.taskId),
          jobId: j.id,
          col: { kind: 'annotations', target, targetId: j.id } as TusCollection,
        };
      };
      router.add(
        ['GET', 'POST', 'PUT', 'OPTIONS', 'DELETE'],
        new RegExp(`^/api/${plural}/(?<id>\\d+)/annotations/?$`),
        async (ctx) => {
          const { task, jobId, col } = resolve(ctx);
          if (ctx.method === 'PUT') {
            // Before 2.16: PUT ?format= repeats until the import of this task ends.
            if (core.atLeast('2.16') || !ctx.query.get('format'))
              throw detail(405, 'Method "PUT" not allowed.');
            await ctx.drain();
            const rqId = legacyAnnotationsRqId(target, jobId ?? task.id);
            return legacyImportPoll(core, ctx, rqId, 'annotations');
          }
          if (ctx.method === 'GET') {
            if (ctx.query.get('format') !== null)
              return this.exports.legacyAnnotations.get(target)?.(ctx);
            const range = jobId
              ? core.job(jobId)
              : { startFrame: 0, stopFrame: Number.MAX_SAFE_INTEGER };
            const a = task.annotations;
            const inRange = (f: number) => f >= range.startFrame && f <= range.stopFrame;
            return ctx.sendJson(200, annotationsRead(a, inRange));
          }
          if (ctx.method === 'DELETE') {
            task.annotations = emptyAnnotations();
            task.updatedDate = core.now();
            await core.store.save();
            return ctx.sendEmpty(204);
          }
          if (ctx.hasHeader('upload-finish')) {
            const filename = ctx.query.get('filename');
            await ctx.drain();
            this.checkImport(ctx, task);
            if (!filename) throw listError('The filename was not specified');
            const upload = this.tus.finished(Number(ctx.userId), col, filename);
            if (!upload) throw listError(`No such file were uploaded: ${filename}`);
            return this.enqueueAnnotations(ctx, task, jobId, upload);
          }
          if (ctx.hasHeader('upload-start')) {
            await ctx.drain();
            return ctx.sendEmpty(202);
          }
          if (ctx.hasHeader('upload-length') || ctx.method === 'OPTIONS') {
            return ctx.method === 'OPTIONS' ? this.tus.options(ctx) : this.tus.create(ctx, col);
          }
          this.checkImport(ctx, task);
          const upload = await multipartUpload(core, ctx, col, 'annotation_file');
          if (!upload)
            throw listError('An annotation file is expected in the annotation_file field');
          await this.enqueueAnnotations(ctx, task, jobId, upload);
        },
      );
      router.add(
        ['HEAD', 'PATCH'],
        new RegExp(`^/api/${plural}/(?<id>\\d+)/annotations/${UPLOAD_ID}$`),
        async (ctx) => {
          await this.tus.chunk(ctx, resolve(ctx).col, ctx.params.fileId ?? '');
        },
      );
    }
  }

  /** Query checks shared by both import forms: format, mode, media present. */
  private checkImport(ctx: Ctx, task: TaskRec): void {
    const format = ctx.query.get('format');
    if (!format) throw listError('The format was not specified');
    const info = importer(format);
    if (!info) throw listError(`Unknown input format '${format}'`);
    if (!info.enabled || (task.dimension && info.dimension !== task.dimension))
      throw detail(405, 'Format is not available');
    const mode = ctx.query.get('import_mode') ?? 'replace';
    if (mode !== 'replace' && mode !== 'append')
      throw listError(`Unexpected import mode '${mode}'`);
    if (!task.data || task.data.size === 0)
      throw listError('Importing annotations into a task without data is not allowed');
  }

  private async enqueueAnnotations(
    ctx: Ctx,
    task: TaskRec,
    jobId: number | null,
    upload: UploadRec,
  ): Promise<void> {
    const target = jobId ? 'job' : 'task';
    const rqId = `action=import&target=${target}&target_id=${jobId ?? task.id}&subresource=annotations`;
    if (isActive(this.requests.get(rqId))) return ctx.sendJson(409, { rq_id: rqId });
    const rec = this.requests.newRecord({
      id: rqId,
      kind: 'import:annotations',
      target,
      ownerId: Number(ctx.userId),
      taskId: task.id,
      jobId,
      projectId: task.projectId,
      orgId: task.orgId,
      format: ctx.query.get('format'),
      params: {
        uploadId: upload.id,
        importMode: ctx.query.get('import_mode') ?? 'replace',
        convMaskToPoly: parseBool(ctx.query.get('conv_mask_to_poly'), true),
      },
    });
    await this.requests.enqueue(rec);
    await ctx.sendJson(202, { rq_id: rqId });
  }

  private async enqueueBackup(ctx: Ctx, upload: UploadRec, orgId: number | null): Promise<void> {
    const rqId = `action=import&target=task&id=${this.core.rng.uuid4()}&subresource=backup`;
    const rec = this.requests.newRecord({
      id: rqId,
      kind: 'import:backup',
      target: 'task',
      ownerId: Number(ctx.userId),
      orgId,
      params: { uploadId: upload.id },
    });
    await this.requests.enqueue(rec);
    await ctx.sendJson(202, { rq_id: rqId });
  }
}
