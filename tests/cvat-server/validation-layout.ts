// GET/PATCH /api/tasks/{id}/validation_layout, as CVAT's TaskViewSet.validation_layout
// (cvat/apps/engine/views.py) and its serializers (serializers.py): GET answers
// TaskValidationLayoutReadSerializer; without validation {"mode": null}. PATCH on a task without
// validation *returns* a ValidationError instead of raising it, which DRF cannot render: a plain
// 500. Otherwise TaskValidationLayoutWriteSerializer: disabled_frames replaces the disabled set;
// frame_selection_method re-draws the honeypots of every annotation job (random_uniform:
// least-used active pool frames first; manual: honeypot_real_frames), clears annotations on
// changed honeypots and restores them if they were deleted. A refusal in update() rolls the
// whole request back (transaction.atomic) and is a bare JSON list. How validation is set up at
// task creation: validation-create.ts.
import type { Core } from './core.js';
import type { Router } from './router.js';
import type { FrameRec, TaskRec, ValidationLayoutRec } from './store.js';
import { taskAccess } from './tasks.js';
import { HttpError, listError, textError } from './http-kit.js';
import { readJson } from './body.js';
import { HoneypotSelector, typeName } from './validation-create.js';

/** TaskValidationLayoutReadSerializer. */
export function layoutRead(task: TaskRec): Record<string, unknown> {
  const layout = task.data?.validationLayout;
  if (!layout) return { mode: null };
  const out: Record<string, unknown> = {
    mode: layout.mode,
    frames_per_job_count: layout.framesPerJobCount,
    validation_frames: layout.frames,
    disabled_frames: layout.disabledFrames,
  };
  if (layout.mode === 'gt_pool') {
    const honeypots = (task.data?.frames ?? []).flatMap((f, i) =>
      f.realFrame === undefined ? [] : [[i, f.realFrame] as const],
    );
    out.honeypot_count = honeypots.length;
    out.honeypot_frames = honeypots.map(([i]) => i);
    out.honeypot_real_frames = honeypots.map(([, r]) => r);
  }
  return out;
}

function intList(body: Record<string, unknown>, key: string, e: Record<string, unknown>) {
  const v = body[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) {
    e[key] = [`Expected a list of items but got type "${typeName(v)}".`];
    return undefined;
  }
  const bad: Record<string, string[]> = {};
  v.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isInteger(x)) bad[i] = ['A valid integer is required.'];
    else if (x < 0) bad[i] = ['Ensure this value is greater than or equal to 0.'];
  });
  if (Object.keys(bad).length) e[key] = bad;
  return v as number[];
}

const formatList = (items: number[]) => [...items].sort((a, b) => a - b).join(', ');

/** TaskValidationLayoutWriteSerializer: validate, then update() on a copy, then commit. */
function patchLayout(core: Core, task: TaskRec, body: Record<string, unknown>): void {
  const e: Record<string, unknown> = {};
  const disabled = intList(body, 'disabled_frames', e);
  const method = body.frame_selection_method;
  if (method !== undefined && method !== 'random_uniform' && method !== 'manual')
    e.frame_selection_method = [`"${String(method)}" is not a valid choice.`];
  const manualFrames = intList(body, 'honeypot_real_frames', e);
  if (Object.keys(e).length) throw new HttpError(400, e);
  if (method === 'manual' && manualFrames === undefined)
    throw new HttpError(400, {
      non_field_errors: ['The "honeypot_real_frames" field is required'],
    });
  if (manualFrames !== undefined && method !== 'manual')
    throw new HttpError(400, {
      non_field_errors: [
        '"honeypot_real_frames" can only be used when "frame_selection_method" is "manual"',
      ],
    });

  const data = task.data as NonNullable<TaskRec['data']>;
  const layout = structuredClone(data.validationLayout as ValidationLayoutRec);
  if (disabled !== undefined) {
    const unknown = disabled.filter((f) => !layout.frames.includes(f));
    if (unknown.length)
      throw listError(
        `Unknown frames requested for exclusion from the validation set: ${formatList(unknown)}`,
      );
    layout.disabledFrames = [...new Set(disabled)].sort((a, b) => a - b);
  }
  if (method !== undefined && layout.mode !== 'gt_pool')
    throw listError("Honeypots can only be modified if the task validation mode is 'gt_pool'");
  if (method === undefined) {
    data.validationLayout = layout;
    return;
  }
  const frames = data.frames.map((f) => ({ ...f }));
  const honeypots = frames.flatMap((f, i) => (f.realFrame === undefined ? [] : [i]));
  const active = layout.frames.filter((f) => !layout.disabledFrames.includes(f));
  if (method === 'manual' && (manualFrames as number[]).length !== honeypots.length)
    throw listError(`Invalid size of 'honeypot_real_frames' array, expected ${honeypots.length}`);
  const selector =
    method === 'random_uniform'
      ? new HoneypotSelector(new Map(active.map((f) => [f, 0])), core.rng)
      : null;
  const updated = new Set<number>();
  const jobs = core
    .jobsOf(task.id)
    .filter((j) => j.type === undefined)
    .sort((a, b) => a.startFrame - b.startFrame);
  for (const job of jobs) {
    const own = honeypots.filter((h) => h >= job.startFrame && h <= job.stopFrame);
    let wanted: number[];
    if (selector) {
      if (active.length < own.length)
        throw listError(
          `Can't select validation frames: the remaining number of validation frames (${active.length}) is less than the number of honeypots in a job (${own.length}). Try to restore some validation frames`,
        );
      wanted = selector.next(own.length);
    } else {
      wanted = honeypots.flatMap((h, i) =>
        own.includes(h) ? [(manualFrames as number[])[i] as number] : [],
      );
      const normal = wanted.filter((f) => !layout.frames.includes(f));
      if (normal.length)
        throw listError(
          `Could not update honeypot frames: frames ${formatList(normal)} are not from the validation pool`,
        );
      const inactive = wanted.filter((f) => !active.includes(f));
      if (inactive.length)
        throw listError(
          `Could not update honeypot frames: frames ${formatList(inactive)} are disabled. Restore them in the validation pool first`,
        );
    }
    own.forEach((h, i) => {
      const target = wanted[i] as number;
      const frame = frames[h] as FrameRec;
      if (frame.realFrame === target) return;
      const real = frames[target] as FrameRec;
      frames[h] = { name: real.name, width: real.width, height: real.height, realFrame: target };
      updated.add(h);
    });
    if (updated.size || selector) job.updatedDate = core.now();
  }
  data.frames = frames;
  data.validationLayout = layout;
  if (data.deletedFrames?.some((f) => updated.has(f)))
    data.deletedFrames = data.deletedFrames.filter((f) => !updated.has(f));
  // clear_annotations_on_frames_in_honeypot_task: what was drawn on a changed honeypot goes.
  const a = task.annotations;
  a.shapes = a.shapes.filter((s) => !updated.has(s.frame));
  a.tags = a.tags.filter((t) => !updated.has(t.frame));
  task.updatedDate = core.now();
}

export function registerValidationLayoutRoutes(core: Core, router: Router): void {
  router.add(['GET', 'PATCH'], /^\/api\/tasks\/(?<id>\d+)\/validation_layout\/?$/, async (ctx) => {
    const task = taskAccess(core, ctx, Number(ctx.params.id));
    if (ctx.method === 'PATCH') {
      if (!task.data?.validationLayout) {
        await ctx.drain();
        throw textError(500, '<h1>Server Error (500)</h1>');
      }
      patchLayout(core, task, await readJson(ctx));
      await core.store.save();
    }
    await ctx.sendJson(200, layoutRead(task));
  });
}
