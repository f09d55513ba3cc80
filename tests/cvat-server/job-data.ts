// GET /api/jobs/{id}/data (frames, chunks by job index or task number) and /data/meta, as CVAT's
// views.py serves them (JobViewSet.data → _JobDataGetter, JobViewSet.metadata) with the checks
// of frame_provider.py SegmentFrameProvider / JobFrameProvider.
import type { Core } from './core.js';
import { isoDate, listError } from './http-kit.js';
import type { Router } from './router.js';
import type { JobRec, TaskRec } from './store.js';
import { jobAccess } from './tasks.js';
import type { Quality } from './frames.js';
import { SERVER_ERROR, pyInt, rejected, sendChunk, sendFrame, taskMeta } from './task-data.js';

export function registerJobDataRoutes(core: Core, router: Router): void {
  router.add('GET', /^\/api\/jobs\/(?<id>\d+)\/data\/?$/, async (ctx) => {
    const job = jobAccess(core, ctx, Number(ctx.params.id));
    const t = core.task(job.taskId);
    const type = ctx.query.get('type');
    const rawNumber = ctx.query.get('number');
    const rawIndex = ctx.query.get('index');
    const quality = ctx.query.get('quality') ?? 'compressed';
    // _JobDataGetter.__init__: for chunks the quality is not checked (an elif chain); anything
    // but 'compressed' reads as original.
    if (!type || !['chunk', 'frame', 'preview', 'context_image'].includes(type))
      throw listError('Data type not specified or has wrong value');
    if (type === 'chunk') {
      if (rawNumber === null && rawIndex === null)
        throw listError('Number or Index is not specified');
      if (rawNumber !== null && rawIndex !== null)
        throw listError('Number and Index cannot be used together');
    } else if (type === 'frame' || type === 'preview') {
      if (rawNumber === null && type !== 'preview') throw listError('Number is not specified');
      if (!['compressed', 'original'].includes(quality)) throw listError('Wrong quality value');
    }
    const q: Quality = quality === 'compressed' ? 'compressed' : 'original';
    const number = rawNumber === null ? null : pyInt(rawNumber);
    const index = rawIndex === null ? null : pyInt(rawIndex);
    const d = t.data;
    if (!d || d.chunkSize === null) throw SERVER_ERROR();

    if (type === 'chunk') {
      // The chunk path of _JobDataGetter.__call__ does not catch ValidationError: DRF renders
      // these as a JSON list, unlike the task's JSON strings.
      const cs = d.chunkSize;
      let first: number;
      let last: number;
      if (index !== null) {
        const lastChunk = Math.ceil(job.frameCount / cs) - 1;
        if (index < 0 || index > lastChunk)
          throw listError(
            `Invalid chunk number '${index}'. The chunk number should be in the [0, ${lastChunk}] range`,
          );
        first = job.startFrame + index * cs;
        last = Math.min(first + cs - 1, job.stopFrame);
      } else {
        const n = number as number;
        const [a, b] = [Math.floor(job.startFrame / cs), Math.floor(job.stopFrame / cs)];
        if (n < a || n > b)
          throw listError(
            `Invalid chunk number '${n}'. The chunk number should be in the [${a}, ${b}] range`,
          );
        // The task's chunk n, limited to this job's frames.
        first = Math.max(n * cs, job.startFrame);
        last = Math.min((n + 1) * cs - 1, job.stopFrame);
      }
      return sendChunk(core, ctx, t, [first, last], q, job.createdDate);
    }
    const frame = type === 'preview' ? job.startFrame : number;
    if (frame === null || frame < job.startFrame || frame > job.stopFrame)
      throw rejected(`Incorrect requested frame number: ${frame === null ? 'None' : frame}`);
    await sendFrame(core, ctx, t, type, frame, q);
  });

  router.add('GET', /^\/api\/jobs\/(?<id>\d+)\/data\/meta\/?$/, async (ctx) => {
    const job = jobAccess(core, ctx, Number(ctx.params.id));
    await ctx.sendJson(200, jobMeta(core, core.task(job.taskId), job));
  });
}

/** JobViewSet.metadata: the task's meta narrowed to the job's segment. */
function jobMeta(core: Core, t: TaskRec, job: JobRec): Record<string, unknown> {
  const meta = taskMeta(core, t);
  const d = t.data as NonNullable<TaskRec['data']>;
  const step = Number(/step\s*=\s*(\d+)/.exec(d.frameFilter)?.[1] ?? 1);
  const frames = meta.frames as unknown[];
  const isVideo = d.mediaType === 'video' || d.mediaType === 'audio';
  const deleted = (meta.deleted_frames as number[]).filter(
    (f) => f >= job.startFrame && f <= job.stopFrame,
  );
  return {
    ...meta,
    start_frame: d.startFrame + job.startFrame * step,
    stop_frame: Math.min(d.stopFrame, d.startFrame + job.stopFrame * step),
    size: job.frameCount,
    frames: isVideo ? frames : frames.slice(job.startFrame, job.stopFrame + 1),
    deleted_frames: deleted,
    // A range segment has no explicit frame list (db_segment.frames or None).
    included_frames: null,
    chunks_updated_date: isoDate(job.createdDate),
  };
}
