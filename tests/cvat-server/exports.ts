// Exports and backups: start (202/409), the worker writing a real zip, downloads with
// Content-Disposition and optional Range, expiry, the `location` default trap, synthetic results
// for huge-download tests and the legacy (< 2.16) GET export flow.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Core } from './core.js';
import type { Ctx } from './http-kit.js';
import {
  contentDisposition,
  detail,
  HttpError,
  listError,
  parseBool,
  textError,
} from './http-kit.js';
import type { Router } from './router.js';
import type { Requests } from './requests.js';
import { isActive } from './requests.js';
import type { RequestRec, TaskRec } from './store.js';
import { exporter, formatToken } from './formats.js';
import { backupMembers, datasetMembers, unitForTask } from './dataset.js';
import { writeZip } from './zip.js';
import { jobAccess, projectAccess, taskAccess } from './tasks.js';

type Target = 'task' | 'project' | 'job';
const PLURAL: Record<Target, string> = { task: 'tasks', project: 'projects', job: 'jobs' };

function stamp(ms: number): string {
  const d = new Date(ms).toISOString();
  return `${d.slice(0, 4)}_${d.slice(5, 7)}_${d.slice(8, 10)}_${d.slice(11, 13)}_${d.slice(14, 16)}_${d.slice(17, 19)}`;
}

// ---- synthetic results: deterministic bytes generated on the fly ----
const BLOCK = 1 << 20;
let pattern: Buffer | null = null;
function syntheticPattern(): Buffer {
  if (!pattern) {
    pattern = Buffer.alloc(BLOCK);
    let x = 0x9e3779b9;
    for (let i = 0; i < BLOCK; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      pattern[i] = x & 0xff;
    }
  }
  return pattern;
}

/** Byte i of a synthetic result = pattern[i mod 1 MiB] XOR (i div 1 MiB) mod 256. */
export function syntheticStream(start: number, end: number): Readable {
  const base = syntheticPattern();
  let pos = start;
  return new Readable({
    highWaterMark: 1 << 20,
    read() {
      if (pos > end) {
        this.push(null);
        return;
      }
      const block = Math.floor(pos / BLOCK);
      const from = pos % BLOCK;
      const len = Math.min(BLOCK - from, end - pos + 1);
      const chunk = Buffer.from(base.subarray(from, from + len));
      const k = block & 0xff;
      if (k) for (let i = 0; i < chunk.length; i++) chunk[i] = (chunk[i] as number) ^ k;
      pos += len;
      this.push(chunk);
    },
  });
}

export async function syntheticSha256(size: number): Promise<string> {
  const h = createHash('sha256');
  if (size > 0) for await (const c of syntheticStream(0, size - 1)) h.update(c as Buffer);
  return h.digest('hex');
}

export class Exports {
  constructor(
    private readonly core: Core,
    private readonly requests: Requests,
  ) {
    const run = async (
      rec: RequestRec,
      job: { signal: AbortSignal; progress(v: number, m: string): Promise<void> },
    ) => {
      const p = rec.params as { save_images?: boolean; cloud?: boolean; filename?: string };
      await job.progress(0.2, 'Exporting');
      const members = this.members(rec);
      if (p.cloud) {
        // Saved to the target cloud storage: nothing to download (the `location` trap).
        rec.resultPath = null;
        return;
      }
      const file = `${core.rng.hex(12)}.zip`;
      rec.resultFile = file;
      rec.resultSize = await writeZip(core.store.resultPath(file), members, job.signal);
      await job.progress(0.9, 'Export is almost done');
    };
    requests.register('export:dataset', run);
    requests.register('export:annotations', run);
    requests.register('export:backup', run);
  }

  private members(rec: RequestRec) {
    const core = this.core;
    const p = rec.params as { save_images?: boolean };
    if (rec.kind === 'export:backup') {
      if (rec.target === 'task') return backupMembers(core, core.task(Number(rec.taskId)));
      const project = core.project(Number(rec.projectId));
      const tasks = core.state.tasks.filter(
        (t) => t.projectId === project.id && t.data && t.data.size > 0,
      );
      return [
        {
          name: 'project.json',
          data: Buffer.from(
            JSON.stringify({
              name: project.name,
              bug_tracker: project.bugTracker,
              labels: project.labels.map(({ id: _id, ...l }) => l),
              version: '1.0',
            }),
          ),
        },
        ...tasks.flatMap((t, i) =>
          backupMembers(core, t).map((m) => ({ ...m, name: `task_${i}/${m.name}` })),
        ),
      ];
    }
    let units;
    if (rec.target === 'job') {
      const j = core.job(Number(rec.jobId));
      units = [unitForTask(core, core.task(j.taskId), { start: j.startFrame, stop: j.stopFrame })];
    } else if (rec.target === 'task') units = [unitForTask(core, core.task(Number(rec.taskId)))];
    else
      units = core.state.tasks
        .filter((t) => t.projectId === rec.projectId && t.data && t.data.size > 0)
        .map((t) => unitForTask(core, t));
    return datasetMembers(core, String(rec.format), units, !!p.save_images);
  }

  /** Resolves the object behind /api/{tasks|projects|jobs}/{id} and its storage/task context. */
  private resolve(
    ctx: Ctx,
    target: Target,
    id: number,
  ): {
    task?: TaskRec;
    orgId: number | null;
    projectId: number | null;
    taskId: number | null;
    jobId: number | null;
    location: string;
    dimension: string;
    hasMedia: boolean;
  } {
    const core = this.core;
    if (target === 'task') {
      const t = taskAccess(core, ctx, id);
      return {
        task: t,
        orgId: t.orgId,
        projectId: t.projectId,
        taskId: t.id,
        jobId: null,
        location: t.targetStorage?.location ?? 'local',
        dimension: t.dimension,
        hasMedia: !!t.data && t.data.size > 0,
      };
    }
    if (target === 'job') {
      const j = jobAccess(core, ctx, id);
      const t = core.task(j.taskId);
      return {
        task: t,
        orgId: t.orgId,
        projectId: t.projectId,
        taskId: t.id,
        jobId: j.id,
        location: t.targetStorage?.location ?? 'local',
        dimension: t.dimension,
        hasMedia: true,
      };
    }
    const p = projectAccess(core, ctx, id);
    const dims = core.state.tasks
      .filter((t) => t.projectId === p.id && t.dimension)
      .map((t) => t.dimension);
    return {
      orgId: p.orgId,
      projectId: p.id,
      taskId: null,
      jobId: null,
      location: p.targetStorage?.location ?? 'local',
      dimension: dims[0] ?? '',
      hasMedia: true,
    };
  }

  private async start(
    ctx: Ctx,
    target: Target,
    backup: boolean,
    legacyId?: string,
  ): Promise<RequestRec | string> {
    const core = this.core;
    const id = Number(ctx.params.id);
    const obj = this.resolve(ctx, target, id);
    const q = ctx.query;
    const location = q.get('location') ?? obj.location;
    if (location !== 'local' && location !== 'cloud_storage')
      throw listError(`Unexpected location ${location} specified for the request`);
    let format: string | null = null;
    const saveImages = parseBool(q.get('save_images'), false);
    if (!backup) {
      format = q.get('format');
      if (!format) throw fieldErrors('format');
      const info = exporter(format);
      if (!info) throw listError('Unknown format specified for the request');
      if (!info.enabled || (obj.dimension && info.dimension !== obj.dimension))
        throw detail(405, 'Format is not available');
      if (target === 'task' && !obj.hasMedia)
        throw listError('Exporting without data is not allowed');
    } else if (target === 'task' && !obj.hasMedia) {
      throw listError('Backup of a task without data is not allowed');
    }
    const subresource = backup ? 'backup' : saveImages ? 'dataset' : 'annotations';
    const rqId =
      legacyId ??
      `action=export&target=${target}&target_id=${id}&user_id=${ctx.userId}` +
        (format ? `&format=${formatToken(format)}` : '') +
        `&subresource=${subresource}`;
    const existing = this.requests.get(rqId);
    if (isActive(existing)) return rqId;
    const plural = PLURAL[target];
    const what = backup ? 'backup' : 'dataset';
    const resultPath = !core.atLeast('2.32')
      ? `/api/${plural}/${id}/${backup ? 'backup' : saveImages ? 'dataset' : 'annotations'}?${new URLSearchParams({ ...(format ? { format } : {}), action: 'download' }).toString()}`
      : `/api/${plural}/${id}/${what}/download?rq_id=${encodeURIComponent(rqId)}`;
    const now = core.now();
    const obj2 = target === 'project' ? core.project(id) : core.task(Number(obj.taskId));
    const defaultName = backup
      ? `${target}_${obj2.name}_backup_${stamp(now)}.zip`.toLowerCase()
      : `${target}_${id}_${subresource}_${stamp(now)}_${(format ?? '').toLowerCase()}.zip`;
    const rec = this.requests.newRecord({
      id: rqId,
      kind: backup ? 'export:backup' : saveImages ? 'export:dataset' : 'export:annotations',
      target,
      ownerId: Number(ctx.userId),
      projectId: obj.projectId,
      taskId: obj.taskId,
      jobId: obj.jobId,
      orgId: obj.orgId,
      format,
      // BackupExporter.init_request_args: off by default, and only kept for cloud-backed media,
      // which this server does not have.
      lightweight: backup ? false : null,
      resultPath: location === 'local' ? resultPath : null,
      resultFilename: q.get('filename') || defaultName,
      params: { save_images: saveImages, cloud: location !== 'local' },
    });
    await this.requests.enqueue(rec);
    return rec;
  }

  register(router: Router): void {
    const core = this.core;
    for (const target of ['task', 'project', 'job'] as Target[]) {
      const base = `^/api/${PLURAL[target]}/(?<id>\\d+)`;
      if (core.atLeast('2.16')) {
        router.add(
          'POST',
          new RegExp(`${base}/dataset/export$`),
          async (ctx) => {
            const r = await this.start(ctx, target, false);
            await ctx.sendJson(typeof r === 'string' ? 409 : 202, {
              rq_id: typeof r === 'string' ? r : r.id,
            });
          },
          { readOnlyOk: true },
        );
        if (target !== 'job') {
          router.add(
            'POST',
            new RegExp(`${base}/backup/export$`),
            async (ctx) => {
              const r = await this.start(ctx, target, true);
              await ctx.sendJson(typeof r === 'string' ? 409 : 202, {
                rq_id: typeof r === 'string' ? r : r.id,
              });
            },
            { readOnlyOk: true },
          );
        }
        router.add('GET', new RegExp(`${base}/dataset/download$`), async (ctx) =>
          this.download(ctx, target, false),
        );
        if (target !== 'job')
          router.add('GET', new RegExp(`${base}/backup/download$`), async (ctx) =>
            this.download(ctx, target, true),
          );
      }
      // Old GET export URLs: the only way before 2.16, both ways until 2.31, 410 afterwards.
      const legacy = async (ctx: Ctx, kind: 'dataset' | 'annotations' | 'backup') => {
        if (core.atLeast('2.32'))
          throw textError(410, 'This endpoint is no longer handles exporting process');
        await this.legacyGet(ctx, target, kind);
      };
      router.add('GET', new RegExp(`${base}/dataset/?$`), async (ctx) => legacy(ctx, 'dataset'));
      if (target !== 'job')
        router.add('GET', new RegExp(`${base}/backup/?$`), async (ctx) => legacy(ctx, 'backup'));
      this.legacyAnnotations.set(target, (ctx) => legacy(ctx, 'annotations'));
    }
  }

  /** GET .../annotations?format=... is shared with the annotations endpoint (see imports.ts). */
  readonly legacyAnnotations = new Map<Target, (ctx: Ctx) => Promise<void>>();

  private async legacyGet(
    ctx: Ctx,
    target: Target,
    kind: 'dataset' | 'annotations' | 'backup',
  ): Promise<void> {
    const q = ctx.query;
    const format = q.get('format') ?? '';
    if (kind !== 'backup') q.set('save_images', kind === 'dataset' ? 'true' : 'false');
    const rqId = `export:${target}-${ctx.params.id}-${kind}${kind === 'backup' ? '' : `-in-${formatToken(format)}-format`}-by-${ctx.userId}`;
    const rec = this.requests.get(rqId);
    if (q.get('action') === 'download') {
      // 2.16–2.31 hand out this URL as result_url for POST-started exports too.
      const modern =
        `action=export&target=${target}&target_id=${ctx.params.id}&user_id=${ctx.userId}` +
        (kind === 'backup' ? '' : `&format=${formatToken(format)}`) +
        `&subresource=${kind}`;
      const done = [rec, this.requests.get(modern)].find(
        (r) => r?.status === 'finished' && r.resultPath,
      );
      if (done) return this.serve(ctx, done);
      if (!rec || rec.status !== 'finished')
        throw textError(400, 'Exporting is not finished or was not started');
      return this.serve(ctx, rec);
    }
    if (rec?.status === 'finished') return ctx.sendEmpty(201);
    if (rec?.status === 'failed') {
      this.core.state.requests = this.core.state.requests.filter((r) => r !== rec);
      throw textError(500, rec.message);
    }
    if (!rec) {
      q.set('location', 'local');
      await this.start(ctx, target, kind === 'backup', rqId);
    }
    await ctx.sendEmpty(202);
  }

  private async download(ctx: Ctx, target: Target, backup: boolean): Promise<void> {
    const rqId = ctx.query.get('rq_id');
    if (!rqId) throw listError('Missing request id in the query parameters');
    const id = Number(ctx.params.id);
    const expected = backup ? 'subresource=backup' : null;
    if (
      !rqId.startsWith(`action=export&target=${target}&target_id=${id}&`) ||
      (expected && !rqId.endsWith(expected)) ||
      (!backup && rqId.endsWith('subresource=backup'))
    ) {
      throw listError('Invalid request id for this object');
    }
    this.resolve(ctx, target, id);
    const rec = this.requests.get(rqId);
    // Downloader.download_file: a request id the queue no longer knows (expired with its result,
    // or never started) is a plain-text 400; 404 only when the job is alive but its file is gone.
    if (!rec) throw textError(400, 'Unknown export request id');
    if (rec.ownerId !== ctx.userId) throw listError('The request was initiated by another user');
    if (rec.status !== 'finished') throw listError('The export process is not finished');
    if (!rec.resultPath)
      throw listError('The export result was saved to a cloud storage and cannot be downloaded');
    await this.serve(ctx, rec);
  }

  /** Streams a result: 200 full, or 206/416 for Range when enabled (nginx sendfile behaviour). */
  private async serve(ctx: Ctx, rec: RequestRec): Promise<void> {
    const size =
      rec.syntheticSize ??
      rec.resultSize ??
      (rec.resultFile ? (await stat(this.core.store.resultPath(rec.resultFile))).size : 0);
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/zip',
      'Content-Disposition': contentDisposition(rec.resultFilename ?? 'export.zip'),
      'Last-Modified': new Date(rec.finishedDate ?? this.core.now()).toUTCString(),
    };
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = ctx.header('range');
    if (this.core.opts.rangeSupport) {
      headers['Accept-Ranges'] = 'bytes';
      const m = range ? /^bytes=(\d*)-(\d*)$/.exec(range.trim()) : null;
      if (range && m && (m[1] || m[2])) {
        if (m[1]) {
          start = Number(m[1]);
          end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
        } else {
          start = Math.max(0, size - Number(m[2]));
        }
        if (start >= size || start > end) {
          throw new HttpError(
            416,
            '<html><head><title>416 Requested Range Not Satisfiable</title></head></html>',
            'text',
            { 'Content-Range': `bytes */${size}` },
          );
        }
        status = 206;
        headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
      }
    }
    headers['Content-Length'] = end - start + 1;
    if (ctx.method === 'HEAD' || size === 0) return ctx.send(status, headers, null);
    const body =
      rec.syntheticSize !== null
        ? syntheticStream(start, end)
        : createReadStream(this.core.store.resultPath(String(rec.resultFile)), {
            start,
            end,
            highWaterMark: 1 << 20,
          });
    await ctx.send(status, headers, body);
  }

  /** Admin: a finished export whose bytes are generated on demand. */
  addSynthetic(taskId: number, size: number, ownerId: number): RequestRec {
    const core = this.core;
    const task = core.task(taskId);
    const id = `action=export&target=task&target_id=${taskId}&user_id=${ownerId}&format=${formatToken('CVAT for images 1.1')}&subresource=dataset`;
    const now = core.now();
    const rec = this.requests.newRecord({
      id,
      kind: 'export:dataset',
      target: 'task',
      ownerId,
      taskId,
      orgId: task.orgId,
      projectId: task.projectId,
      format: 'CVAT for images 1.1',
      status: 'finished',
      progress: 1,
      startedDate: now,
      finishedDate: now,
      expiryDate: now + 86_400_000,
      syntheticSize: size,
      resultSize: size,
      resultPath: `/api/tasks/${taskId}/dataset/download?rq_id=${encodeURIComponent(id)}`,
      resultFilename: `task_${taskId}_dataset_${stamp(now)}_cvat for images 1.1.zip`,
    });
    core.state.requests = core.state.requests.filter((r) => r.id !== id);
    core.state.requests.push(rec);
    void core.store.save();
    return rec;
  }
}

function fieldErrors(field: string): HttpError {
  return new HttpError(400, { [field]: ['This field is required.'] });
}
