// A task's validation (ground truth and honeypots) as CVAT makes it at task creation:
// - DataSerializer's validation_params (ValidationParamsSerializer in CVAT's
//   cvat/apps/engine/serializers.py): field checks, then validate()'s mode/method rules; errors
//   come nested under "validation_params".
// - Task creation (cvat/apps/engine/task.py _create_thread): mode "gt" picks validation frames
//   among the task's frames and adds a ground_truth job over them; mode "gt_pool" sorts the
//   images naturally, takes the pool out of them, gives every annotation job
//   frames_per_job_count placeholder frames (honeypots) that show a pool frame, appends the pool
//   at the end and adds a ground_truth job over it. The split is a job file mapping, so the task
//   reports segment_size 0.
import type { Core } from './core.js';
import type { FrameRec, JobRec, TaskRec } from './store.js';
import { HttpError } from './http-kit.js';
import { createRng } from './prng.js';
import type { Rng } from './prng.js';

export interface ValidationParams {
  mode: 'gt' | 'gt_pool';
  frameSelectionMethod: 'random_uniform' | 'random_per_job' | 'manual';
  randomSeed: number | null;
  frames: string[] | null;
  frameCount: number | null;
  frameShare: number | null;
  framesPerJobCount: number | null;
  framesPerJobShare: number | null;
}

const nonField = (message: string) =>
  new HttpError(400, { validation_params: { non_field_errors: [message] } });

/** DataSerializer.validation_params; undefined/null when absent. Throws a 400 field error. */
export function parseValidationParams(raw: unknown): ValidationParams | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new HttpError(400, {
      validation_params: {
        non_field_errors: [`Invalid data. Expected a dictionary, but got ${typeName(raw)}.`],
      },
    });
  const b = raw as Record<string, unknown>;
  const e: Record<string, string[]> = {};
  const choice = (key: string, values: string[]): string | undefined => {
    const v = b[key];
    if (v === undefined) e[key] = ['This field is required.'];
    else if (typeof v !== 'string' || !values.includes(v))
      e[key] = [`"${String(v)}" is not a valid choice.`];
    else return v;
    return undefined;
  };
  const intField = (key: string, min: number): number | null => {
    const v = b[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v)) e[key] = ['A valid integer is required.'];
    else if (v < min) e[key] = [`Ensure this value is greater than or equal to ${min}.`];
    else return v;
    return null;
  };
  const share = (key: string): number | null => {
    const v = b[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number') e[key] = ['A valid number is required.'];
    else if (v < 0 || v > 1) e[key] = ['Value must be in the range [0; 1]'];
    else return v;
    return null;
  };
  const mode = choice('mode', ['gt', 'gt_pool']) as ValidationParams['mode'] | undefined;
  const method = choice('frame_selection_method', [
    'random_uniform',
    'random_per_job',
    'manual',
  ]) as ValidationParams['frameSelectionMethod'] | undefined;
  let frames: string[] | null = null;
  if (b.frames !== undefined) {
    if (!Array.isArray(b.frames) || b.frames.some((f) => typeof f !== 'string' || !f))
      e.frames = ['Expected a list of file names.'];
    else frames = b.frames as string[];
  }
  const p = {
    randomSeed: intField('random_seed', 0),
    frameCount: intField('frame_count', 1),
    frameShare: share('frame_share'),
    framesPerJobCount: intField('frames_per_job_count', 1),
    framesPerJobShare: share('frames_per_job_share'),
  };
  if (Object.keys(e).length || !mode || !method) throw new HttpError(400, { validation_params: e });

  // ValidationParamsSerializer.validate (field_validation.py messages).
  const oneOf = (keys: string[]) => {
    const n = keys.filter((k) => b[k] !== undefined).length;
    const options = keys.map((k) => `"${k}"`).join(', ');
    if (n === 0) throw nonField(`One of the fields ${options} required`);
    if (n > 1) throw nonField(`Only 1 of the fields ${options} can be used`);
  };
  if (mode === 'gt_pool') {
    if (method === 'random_per_job')
      throw nonField('The "frame_selection_method" field must be one of manual, random_uniform');
    oneOf(['frames_per_job_count', 'frames_per_job_share']);
  }
  if (method === 'random_uniform') oneOf(['frame_count', 'frame_share']);
  else if (method === 'random_per_job') oneOf(['frames_per_job_count', 'frames_per_job_share']);
  else if (frames === null) throw nonField('The "frames" field is required');
  if (frames !== null && method !== 'manual')
    throw nonField('"frames" can only be used when "frame_selection_method" is "manual"');
  if (frames && new Set(frames).size !== frames.length) throw nonField('Frames must not repeat');
  return { mode, frameSelectionMethod: method, frames, ...p };
}

export function typeName(v: unknown): string {
  if (typeof v === 'string') return 'str';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'boolean') return 'bool';
  return 'list';
}

const natural = (a: string, b: string) =>
  a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' });

/**
 * HoneypotFrameSelector (cvat/apps/engine/quality_control.py, _BaggedCounter): items grouped by
 * use count and shuffled once; each pick takes the least-used items in bag order, without
 * repetition, and moves each to the end of the next bag.
 */
export class HoneypotSelector {
  private readonly bags = new Map<number, number[]>();

  constructor(counts: Map<number, number>, rng: Rng) {
    const items = [...counts.keys()];
    for (let i = items.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [items[i], items[j]] = [items[j] as number, items[i] as number];
    }
    for (const item of items) this.bag(counts.get(item) ?? 0).push(item);
  }

  private bag(count: number): number[] {
    let b = this.bags.get(count);
    if (!b) this.bags.set(count, (b = []));
    return b;
  }

  next(count: number): number[] {
    const ordered = [...this.bags.keys()]
      .sort((a, b) => a - b)
      .flatMap((c) => (this.bags.get(c) ?? []).map((item) => [c, item] as const));
    const pick = ordered.slice(0, count);
    for (const [c, item] of pick) {
      const from = this.bag(c);
      from.splice(from.indexOf(item), 1);
      if (!from.length) this.bags.delete(c);
      this.bag(c + 1).push(item);
    }
    return pick.map(([, item]) => item);
  }
}

export interface PoolPlan {
  frames: FrameRec[];
  jobs: Array<[number, number]>;
  /** Task frame numbers of the pool (the end of the frame list). */
  pool: number[];
  framesPerJob: number;
}

/** gt_pool at task creation: the new frame list (honeypots placed, pool last) and job ranges. */
export function planHoneypots(
  task: TaskRec,
  images: FrameRec[],
  v: ValidationParams,
  sortingMethod: string,
  hasJobFileMapping: boolean,
  isImages: boolean,
): PoolPlan {
  // _validate_validation_params, then the GT_POOL branch of _create_thread.
  if (sortingMethod !== 'random')
    throw new Error(
      'ValidationError: validation mode "gt_pool" can only be used with "random" sorting',
    );
  if (hasJobFileMapping)
    throw new Error(
      'ValidationError: validation mode "gt_pool" cannot be used with "job_file_mapping"',
    );
  if (task.overlap)
    throw new Error('ValidationError: validation mode "gt_pool" cannot be used with "overlap"');
  if (!isImages)
    throw new Error(
      "ValidationError: validation mode 'gt_pool' can only be used with 'annotation' mode tasks",
    );
  const rng = createRng(v.randomSeed ?? task.id);
  const sorted = [...images].sort((a, b) => natural(a.name, b.name));
  let pool: number[] = [];
  if (v.frameSelectionMethod === 'random_uniform') {
    let count = v.frameCount;
    if (count !== null && sorted.length <= count)
      throw new Error(
        `ValidationError: The number of validation frames requested (${count}) must be less than the number of task frames (${sorted.length})`,
      );
    count ??= Math.max(1, Math.floor(sorted.length * (v.frameShare ?? 0)));
    pool = shuffled(
      sorted.map((_, i) => i),
      rng,
    ).slice(0, count);
  } else {
    const byName = new Map(sorted.map((f, i) => [f.name, i]));
    const unknown = (v.frames ?? []).filter((n) => !byName.has(n)).sort();
    if (unknown.length)
      throw new Error(
        `ValidationError: Unknown validation frames requested: ${unknown.join(', ')}`,
      );
    pool = (v.frames ?? []).map((n) => byName.get(n) as number);
  }
  if (sorted.length - pool.length < 1)
    throw new Error(
      'ValidationError: Cannot create task: too few non-honeypot frames left after selecting validation frames',
    );
  pool.sort((a, b) => natural((sorted[a] as FrameRec).name, (sorted[b] as FrameRec).name));
  let perJob = v.framesPerJobCount;
  if (perJob !== null && pool.length < perJob && v.frameCount !== null)
    throw new Error(
      `ValidationError: The requested number of validation frames per job (${perJob}) is greater than the validation pool size (${pool.length})`,
    );
  perJob ??= Math.max(1, Math.floor((v.framesPerJobShare ?? 0) * task.segmentSize));
  perJob = Math.min(pool.length, perJob);

  const inPool = new Set(pool);
  const rest = shuffled(
    sorted.map((_, i) => i).filter((i) => !inPool.has(i)),
    rng,
  );
  const selector = new HoneypotSelector(new Map(pool.map((f) => [f, 0])), rng);
  const orderRng = createRng((v.randomSeed ?? task.id) + 1);
  const segment = task.segmentSize || sorted.length;
  const out: FrameRec[] = [];
  const placeholders: Array<{ at: number; original: number }> = [];
  const jobs: Array<[number, number]> = [];
  for (let start = 0; start < rest.length; start += segment) {
    const honeypots = selector.next(perJob);
    const jobFrames = shuffled([...rest.slice(start, start + segment), ...honeypots], orderRng);
    const first = out.length;
    const used = new Set<number>();
    for (const f of jobFrames) {
      const isHoneypot = honeypots.includes(f) && !used.has(f);
      if (isHoneypot) {
        used.add(f);
        placeholders.push({ at: out.length, original: f });
      }
      out.push({ ...(sorted[f] as FrameRec) });
    }
    jobs.push([first, out.length - 1]);
  }
  const poolIndex = new Map<number, number>();
  for (const f of pool) {
    poolIndex.set(f, out.length);
    out.push({ ...(sorted[f] as FrameRec) });
  }
  for (const { at, original } of placeholders)
    (out[at] as FrameRec).realFrame = poolIndex.get(original) as number;
  return { frames: out, jobs, pool: [...poolIndex.values()], framesPerJob: perJob };
}

function shuffled<T>(items: T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * After the job split: the validation layout and the ground_truth job (task.py: "gt" picks its
 * frames here among the task's frames; "gt_pool" took its pool in planHoneypots).
 */
export function finishValidation(
  core: Core,
  task: TaskRec,
  v: ValidationParams,
  plan: PoolPlan | null,
): void {
  const data = task.data;
  if (!data) return;
  const frames = plan ? plan.pool : pickGtFrames(core, task, v);
  const perJob = plan ? plan.framesPerJob : null;
  data.validationLayout = { mode: v.mode, framesPerJobCount: perJob, frames, disabledFrames: [] };
  const now = core.now();
  const gt: JobRec = {
    id: core.store.nextId('job'),
    taskId: task.id,
    startFrame: v.mode === 'gt' ? 0 : Math.min(...frames),
    stopFrame: v.mode === 'gt' ? data.size - 1 : Math.max(...frames),
    frameCount: frames.length,
    stage: 'annotation',
    state: 'new',
    assigneeId: null,
    assigneeUpdatedDate: null,
    createdDate: now,
    updatedDate: now,
    type: 'ground_truth',
  };
  core.state.jobs.push(gt);
}

function pickGtFrames(core: Core, task: TaskRec, v: ValidationParams): number[] {
  const data = task.data as NonNullable<TaskRec['data']>;
  const rng = createRng(v.randomSeed ?? task.id);
  const all = data.frames.map((_, i) => i);
  if (v.frameSelectionMethod === 'random_uniform') {
    if (v.frameCount !== null && data.size < v.frameCount)
      throw new Error(
        `ValidationError: The number of validation frames requested (${v.frameCount}) is greater that the number of task frames (${data.size})`,
      );
    const count = v.frameCount ?? Math.max(1, Math.floor((v.frameShare ?? 0) * all.length));
    return shuffled(all, rng)
      .slice(0, count)
      .sort((a, b) => a - b);
  }
  if (v.frameSelectionMethod === 'random_per_job') {
    if (v.framesPerJobCount !== null && task.segmentSize < v.framesPerJobCount)
      throw new Error(
        `ValidationError: The requested number of GT frames per job must be less than task segment size (${task.segmentSize})`,
      );
    const count =
      v.framesPerJobCount ??
      Math.min(Math.max(1, Math.floor((v.framesPerJobShare ?? 0) * task.segmentSize)), data.size);
    const picked: number[] = [];
    for (const j of core.jobsOf(task.id)) {
      const own = all.slice(j.startFrame, j.stopFrame + 1);
      const missing = Math.min(own.length, count) - own.filter((f) => picked.includes(f)).length;
      const free = own
        .slice(j.startFrame ? (task.overlap ?? 0) : 0)
        .filter((f) => !picked.includes(f));
      picked.push(...shuffled(free, rng).slice(0, Math.max(0, missing)));
    }
    return picked.sort((a, b) => a - b);
  }
  if (data.mediaType !== 'image')
    throw new Error(
      'ValidationError: manual validation frame selection method at task creation is only available for image-based tasks. Please create the GT job after the task is created.',
    );
  const byName = new Map(data.frames.map((f, i) => [f.name, i]));
  const unknown = (v.frames ?? []).filter((n) => !byName.has(n)).sort();
  if (unknown.length)
    throw new Error(`ValidationError: Unknown validation frames requested: ${unknown.join(', ')}`);
  return (v.frames ?? []).map((n) => byName.get(n) as number).sort((a, b) => a - b);
}
