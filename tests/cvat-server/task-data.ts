// GET /api/tasks/{id}/data (frames, chunks, context images) and /data/meta, as CVAT's
// cvat/apps/engine/views.py serves them (TaskViewSet.data → _TaskDataGetter, TaskViewSet.metadata)
// with TaskFrameProvider's checks (cvat/apps/engine/frame_provider.py).
import type { Core } from './core.js';
import type { Ctx } from './http-kit.js';
import { HttpError, isoDate, listError, textError } from './http-kit.js';
import type { Router } from './router.js';
import type { TaskRec } from './store.js';
import { readJson } from './body.js';
import { taskAccess } from './tasks.js';
import type { Quality } from './frames.js';
import { chunkBytes, chunkChecksum, frameBytes } from './frames.js';
import { kindOf } from './media.js';

export const SERVER_ERROR = () => textError(500, '<h1>Server Error (500)</h1>');

/** Task.get_chunks_updated_date: set when the chunks were made (the jobs' creation). */
export function chunksUpdatedDate(core: Core, t: TaskRec): number {
  const jobs = core.jobsOf(t.id);
  return jobs.length ? Math.min(...jobs.map((j) => j.createdDate)) : t.updatedDate;
}

/** Python int(): optional sign and surrounding blanks; anything else raises ValueError (→ 500). */
export function pyInt(raw: string): number {
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw SERVER_ERROR();
  return parseInt(raw, 10);
}

/** ValidationError caught in _DataGetter.__call__: Response(data=msg) → a JSON string body. */
export const rejected = (message: string) => new HttpError(400, message);

export function registerTaskDataRoutes(core: Core, router: Router): void {
  router.add('GET', /^\/api\/tasks\/(?<id>\d+)\/data\/?$/, async (ctx) => {
    const t = taskAccess(core, ctx, Number(ctx.params.id));
    // _DataGetter.__init__ (outside the try): DRF renders these as a JSON list.
    const type = ctx.query.get('type');
    const rawNumber = ctx.query.get('number');
    const quality = ctx.query.get('quality') ?? 'compressed';
    if (!type || !['chunk', 'frame', 'preview', 'context_image'].includes(type))
      throw listError('Data type not specified or has wrong value');
    if (type === 'chunk' || type === 'frame' || type === 'preview') {
      if (rawNumber === null && type !== 'preview') throw listError('Number is not specified');
      if (!['compressed', 'original'].includes(quality)) throw listError('Wrong quality value');
    }
    const number = rawNumber === null ? null : pyInt(rawNumber);
    await sendData(core, ctx, t, type, number, quality as Quality);
  });

  router.add(['GET', 'PATCH'], /^\/api\/tasks\/(?<id>\d+)\/data\/meta\/?$/, async (ctx) => {
    const t = taskAccess(core, ctx, Number(ctx.params.id));
    if (ctx.method === 'PATCH') {
      // TaskViewSet.metadata reads db_task.data unguarded: a task without data answers 500.
      if (!t.data) throw SERVER_ERROR();
      // DataMetaWriteSerializer (cvat/apps/engine/serializers.py): deleted_frames is a required
      // ListField of IntegerField(min_value=0), saved as given; there is no range check.
      t.data.deletedFrames = deletedFramesOf(await readJson(ctx));
      t.updatedDate = core.now();
      await core.store.save();
    }
    await ctx.sendJson(200, taskMeta(core, t));
  });
}

function deletedFramesOf(body: Record<string, unknown>): number[] {
  const raw = body.deleted_frames;
  if (raw === undefined) throw new HttpError(400, { deleted_frames: ['This field is required.'] });
  if (!Array.isArray(raw))
    throw new HttpError(400, {
      deleted_frames: [
        `Expected a list of items but got type "${raw === null ? 'null' : typeof raw}".`,
      ],
    });
  const errors: Record<string, string[]> = {};
  raw.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) errors[i] = ['A valid integer is required.'];
    else if (v < 0) errors[i] = ['Ensure this value is greater than or equal to 0.'];
  });
  if (Object.keys(errors).length) throw new HttpError(400, { deleted_frames: errors });
  return raw as number[];
}

/** TaskViewSet.metadata: DataMetaReadSerializer over the task's data. */
export function taskMeta(core: Core, t: TaskRec): Record<string, unknown> {
  const d = t.data;
  // TaskViewSet.metadata reads db_task.data.images unguarded: a task without data answers 500.
  if (!d) throw SERVER_ERROR();
  const container = [...new Set(d.clientFiles)].find((n) => ['video', 'audio'].includes(kindOf(n)));
  // A video task lists its one Video row (name = the file), not one entry per frame.
  const media =
    d.size > 0 && container
      ? [{ width: d.frames[0]?.width ?? 0, height: d.frames[0]?.height ?? 0, name: container }]
      : d.frames;
  return {
    chapters: null,
    chunks_updated_date: isoDate(chunksUpdatedDate(core, t)),
    chunk_size: d.chunkSize,
    size: d.size,
    // models.Data.image_quality defaults to 50 until the upload sets it.
    image_quality: d.imageQuality ?? 50,
    start_frame: d.startFrame,
    stop_frame: d.stopFrame,
    frame_filter: d.frameFilter,
    frames: media.map((f) => ({
      width: f.width,
      height: f.height,
      name: f.name,
      related_files: 0,
      has_related_context: false,
    })),
    deleted_frames: d.deletedFrames ?? [],
    included_frames: null,
    storage: 'local',
    cloud_storage_id: null,
  };
}

/** Frame, preview and context_image answers (shared with job data). */
export async function sendFrame(
  core: Core,
  ctx: Ctx,
  t: TaskRec,
  type: string,
  frame: number,
  quality: Quality,
): Promise<void> {
  // No task here has related images: get_frame_context_images_chunk → HttpResponseNotFound().
  if (type === 'context_image') return ctx.send(404, { 'Content-Type': 'text/html' }, null);
  const bytes = await frameBytes(core, t, frame, type === 'preview' ? 'compressed' : quality);
  await ctx.send(200, { 'Content-Type': bytes.mime }, bytes.body);
}

/** A chunk with CVAT's X-Checksum and X-Updated-Date headers. */
export async function sendChunk(
  core: Core,
  ctx: Ctx,
  t: TaskRec,
  frames: [number, number],
  quality: Quality,
  updated: number,
): Promise<void> {
  const chunk = await chunkBytes(core, t, frames[0], frames[1], quality);
  await ctx.send(
    200,
    {
      'Content-Type': chunk.mime,
      'X-Checksum': chunkChecksum(chunk.body),
      'X-Updated-Date': isoDate(updated) ?? '',
    },
    chunk.body,
  );
}

async function sendData(
  core: Core,
  ctx: Ctx,
  t: TaskRec,
  type: string,
  number: number | null,
  quality: Quality,
): Promise<void> {
  const d = t.data;
  // TaskFrameProvider reads task.data.size / chunk_size unguarded: no data (or no chunk size
  // yet) raises AttributeError/TypeError, which Django answers with a plain 500.
  if (!d) throw SERVER_ERROR();
  if (type === 'chunk') {
    if (d.chunkSize === null) throw SERVER_ERROR();
    const lastChunk = Math.ceil(d.size / d.chunkSize) - 1;
    const n = number as number;
    if (n < 0 || n > lastChunk)
      throw rejected(
        `Invalid chunk number '${n}'. The chunk number should be in the [0, ${lastChunk}] range`,
      );
    const first = n * d.chunkSize;
    const last = Math.min(first + d.chunkSize, d.size) - 1;
    return sendChunk(core, ctx, t, [first, last], quality, chunksUpdatedDate(core, t));
  }
  // frame, preview and context_image all validate a frame number first. CVAT's preview is the
  // first segment's cached thumbnail; here it is frame 0 in compressed quality.
  const frame = type === 'preview' ? 0 : number;
  if (frame === null || frame < 0 || frame >= d.size)
    throw rejected(
      `Invalid frame '${frame === null ? 'None' : frame}'. The frame number should be in the [0, ${d.size}] range`,
    );
  await sendFrame(core, ctx, t, type, frame, quality);
}
