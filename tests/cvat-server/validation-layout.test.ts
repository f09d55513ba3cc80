// Tasks created with validation_params and their …/validation_layout, against what CVAT's
// task.py and TaskValidationLayout*Serializer do; shapes held against schema.yml and fixtures.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer } from './index.js';
import type { CvatTestServer } from './index.js';
import { attachImages, call, createHoneypotTask, createTask, images } from './test-helpers.js';
import type { Json, JsonObject } from '../ground-truth/fixtures.js';
import { fixtureById, fixtureObjects } from '../ground-truth/fixtures.js';
import { shapeDiff } from '../ground-truth/shape.js';

let s: CvatTestServer;
beforeAll(async () => {
  s = await startCvatServer({ version: '2.73.0', processingDelayMs: 0, seed: 3 });
});
afterAll(async () => s.close());

/** Fixture task 33 and job 58 live in an organization and a project (with a bug tracker). */
const NULLABLE = [
  'assignee',
  'assignee_updated_date',
  'organization',
  'organization_id',
  'project_id',
  'project_name',
  'bug_tracker',
];

/**
 * An instance of schema.yml's TaskValidationLayoutRead with every property present, typed as
 * the schema types it (read from the block's 8-space property keys and their `type:` lines).
 */
function schemaLayout(): JsonObject {
  const yml = readFileSync(new URL('../../../shared/cvat/schema.yml', import.meta.url), 'utf8');
  const block = /\n {4}TaskValidationLayoutRead:\n([\s\S]*?)\n {4}\S/.exec(yml)?.[1] ?? '';
  const out: JsonObject = {};
  let key: string | null = null;
  for (const line of block.split('\n')) {
    const prop = /^ {8}(\w+):$/.exec(line);
    if (prop) {
      key = prop[1] as string;
      out[key] = 'gt_pool'; // mode: an enum or null
    }
    const type = /^ {10}type: (\w+)$/.exec(line)?.[1];
    if (key && type) out[key] = type === 'array' ? [0] : type === 'integer' ? 0 : 'gt_pool';
  }
  expect(Object.keys(out)).toContain('honeypot_real_frames');
  return out;
}

interface Layout {
  mode: string | null;
  frames_per_job_count: number | null;
  validation_frames: number[];
  disabled_frames: number[];
  honeypot_count: number;
  honeypot_frames: number[];
  honeypot_real_frames: number[];
}

const layoutOf = async (id: number) =>
  (await call(s, 'GET', `/api/tasks/${id}/validation_layout`)).json<Layout>();

async function frameNames(id: number): Promise<string[]> {
  const meta = (await call(s, 'GET', `/api/tasks/${id}/data/meta`)).json();
  return meta.frames.map((f: { name: string }) => f.name);
}

describe('a task created with honeypots (gt_pool)', () => {
  it('places honeypots in every job, the pool last, and a ground truth job over the pool', async () => {
    const id = await createHoneypotTask(s, { count: 10, segment: 4, pool: 2, perJob: 1 });
    const task = (await call(s, 'GET', `/api/tasks/${id}`)).json<JsonObject>();
    // 8 frames outside the pool in jobs of 4, each with 1 honeypot; the pool of 2 at the end.
    expect(task).toMatchObject({ size: 12, segment_size: 0, validation_mode: 'gt_pool' });
    expect(
      shapeDiff(task, fixtureById('tasks.json', 33), {
        nullable: NULLABLE,
      }),
    ).toEqual([]);
    const jobs = (await call(s, 'GET', `/api/jobs?task_id=${id}&sort=id`)).json().results;
    expect(
      jobs.map((j: JsonObject) => [j.type, j.start_frame, j.stop_frame, j.frame_count]),
    ).toEqual([
      ['annotation', 0, 4, 5],
      ['annotation', 5, 9, 5],
      ['ground_truth', 10, 11, 2],
    ]);
    const gtFixture = fixtureObjects('jobs.json').find((o) => o.value.id === 58)!.value;
    expect(shapeDiff(jobs[2] as Json, gtFixture, { nullable: NULLABLE })).toEqual([]);

    const layout = await layoutOf(id);
    expect(shapeDiff(layout as unknown as Json, schemaLayout())).toEqual([]);
    expect(layout).toMatchObject({
      mode: 'gt_pool',
      frames_per_job_count: 1,
      validation_frames: [10, 11],
      disabled_frames: [],
      honeypot_count: 2,
    });
    // One honeypot per job, each showing a pool frame: the same image name.
    expect(layout.honeypot_frames.filter((f) => f <= 4)).toHaveLength(1);
    expect(layout.honeypot_frames.filter((f) => f >= 5 && f <= 9)).toHaveLength(1);
    const names = await frameNames(id);
    layout.honeypot_frames.forEach((h, i) => {
      const real = layout.honeypot_real_frames[i]!;
      expect([10, 11]).toContain(real);
      expect(names[h]).toBe(names[real]);
    });
    // Every image is in the task once outside the honeypots.
    const honey = new Set(layout.honeypot_frames);
    expect(new Set(names.filter((_, i) => !honey.has(i))).size).toBe(10);
  });

  it('refuses what task.py refuses: non-random sorting, too big a pool; bad params are field errors', async () => {
    const id = await createTask(s, { segment_size: 4 });
    const sorted = await attachImages(s, id, images(6), {
      image_quality: 70,
      validation_params: {
        mode: 'gt_pool',
        frame_selection_method: 'random_uniform',
        frame_count: 2,
        frames_per_job_count: 1,
      },
    });
    expect(sorted.status).toBe('failed');
    expect(sorted.message).toContain(
      'validation mode "gt_pool" can only be used with "random" sorting',
    );

    const big = await createTask(s, { segment_size: 4 });
    const tooBig = await attachImages(s, big, images(3), {
      image_quality: 70,
      sorting_method: 'random',
      validation_params: {
        mode: 'gt_pool',
        frame_selection_method: 'random_uniform',
        frame_count: 3,
        frames_per_job_count: 1,
      },
    });
    expect(tooBig.status).toBe('failed');
    expect(tooBig.message).toContain(
      'The number of validation frames requested (3) must be less than the number of task frames (3)',
    );

    const bad = await createTask(s);
    const data = `/api/tasks/${bad}/data/`;
    await call(s, 'POST', data, { headers: { 'Upload-Start': 'true' }, body: {} });
    const finish = (validation_params: unknown) =>
      call(s, 'POST', data, {
        headers: { 'Upload-Finish': 'true' },
        body: { image_quality: 70, validation_params },
      });
    const noMethod = await finish({ mode: 'gt_pool' });
    expect(noMethod.status).toBe(400);
    expect(noMethod.json()).toEqual({
      validation_params: { frame_selection_method: ['This field is required.'] },
    });
    const noPerJob = await finish({
      mode: 'gt_pool',
      frame_selection_method: 'random_uniform',
      frame_count: 1,
    });
    expect(noPerJob.json()).toEqual({
      validation_params: {
        non_field_errors: [
          'One of the fields "frames_per_job_count", "frames_per_job_share" required',
        ],
      },
    });
  });
});

describe('PATCH …/validation_layout on a honeypot task', () => {
  it('random_uniform re-draws every honeypot from the active pool frames', async () => {
    const id = await createHoneypotTask(s, { count: 12, segment: 3, pool: 3, perJob: 1 });
    const before = await layoutOf(id);
    expect(before.validation_frames).toHaveLength(3);
    const disabled = before.validation_frames.slice(0, 2);
    const d = await call(s, 'PATCH', `/api/tasks/${id}/validation_layout`, {
      body: { disabled_frames: disabled },
    });
    expect(d.status).toBe(200);
    expect(d.json().disabled_frames).toEqual(disabled);
    const r = await call(s, 'PATCH', `/api/tasks/${id}/validation_layout`, {
      body: { frame_selection_method: 'random_uniform' },
    });
    expect(r.status).toBe(200);
    const after = r.json<Layout>();
    expect(after.honeypot_frames).toEqual(before.honeypot_frames);
    const only = before.validation_frames[2]!;
    expect(after.honeypot_real_frames).toEqual(before.honeypot_frames.map(() => only));
    const names = await frameNames(id);
    for (const h of after.honeypot_frames) expect(names[h]).toBe(names[only]);
    expect(await layoutOf(id)).toEqual(after);
  });

  it('manual sets the honeypots; refusals are CVAT’s and change nothing', async () => {
    const id = await createHoneypotTask(s, { count: 8, segment: 3, pool: 2, perJob: 1 });
    const before = await layoutOf(id);
    const [a, b] = before.validation_frames as [number, number];
    const want = before.honeypot_frames.map((_, i) => (i % 2 ? a : b));
    const ok = await call(s, 'PATCH', `/api/tasks/${id}/validation_layout`, {
      body: { frame_selection_method: 'manual', honeypot_real_frames: want },
    });
    expect(ok.status).toBe(200);
    expect(ok.json().honeypot_real_frames).toEqual(want);

    const patch = (body: unknown) =>
      call(s, 'PATCH', `/api/tasks/${id}/validation_layout`, { body });
    const size = await patch({ frame_selection_method: 'manual', honeypot_real_frames: [a] });
    expect(size.status).toBe(400);
    expect(size.json()).toEqual([
      `Invalid size of 'honeypot_real_frames' array, expected ${before.honeypot_count}`,
    ]);
    const notPool = await patch({
      frame_selection_method: 'manual',
      honeypot_real_frames: before.honeypot_frames.map(() => 0),
    });
    expect(notPool.json()).toEqual([
      'Could not update honeypot frames: frames 0 are not from the validation pool',
    ]);
    const off = await patch({
      disabled_frames: [a],
      frame_selection_method: 'manual',
      honeypot_real_frames: before.honeypot_frames.map(() => a),
    });
    expect(off.json()).toEqual([
      `Could not update honeypot frames: frames ${a} are disabled. Restore them in the validation pool first`,
    ]);
    const unknown = await patch({ disabled_frames: [0] });
    expect(unknown.json()).toEqual([
      'Unknown frames requested for exclusion from the validation set: 0',
    ]);
    const noFrames = await patch({ frame_selection_method: 'manual' });
    expect(noFrames.json()).toEqual({
      non_field_errors: ['The "honeypot_real_frames" field is required'],
    });
    // The refused disabled_frames of `off` was rolled back with the rest.
    expect(await layoutOf(id)).toMatchObject({ disabled_frames: [], honeypot_real_frames: want });
  });

  it('a changed honeypot loses its annotations and is restored if it was deleted', async () => {
    const id = await createHoneypotTask(s, { count: 8, segment: 3, pool: 2, perJob: 1 });
    const before = await layoutOf(id);
    const h = before.honeypot_frames[0]!;
    const other = before.validation_frames.find((f) => f !== before.honeypot_real_frames[0])!;
    const labels = (await call(s, 'GET', `/api/labels?task_id=${id}`)).json().results;
    await call(s, 'PUT', `/api/tasks/${id}/annotations`, {
      body: {
        version: 0,
        tags: [{ frame: h, label_id: labels[0].id, attributes: [] }],
        shapes: [],
        tracks: [],
      },
    });
    await call(s, 'PATCH', `/api/tasks/${id}/data/meta`, { body: { deleted_frames: [h] } });
    const want = [...before.honeypot_real_frames];
    want[0] = other;
    const r = await call(s, 'PATCH', `/api/tasks/${id}/validation_layout`, {
      body: { frame_selection_method: 'manual', honeypot_real_frames: want },
    });
    expect(r.status).toBe(200);
    const meta = (await call(s, 'GET', `/api/tasks/${id}/data/meta`)).json();
    expect(meta.deleted_frames).toEqual([]);
    const ann = (await call(s, 'GET', `/api/tasks/${id}/annotations`)).json();
    expect(ann.tags).toEqual([]);
  });
});

describe('ground truth (gt) and no validation', () => {
  it('gt: validation frames among the task frames, a ground truth job over the whole range; no honeypots', async () => {
    const id = await createTask(s, { segment_size: 3 });
    const done = await attachImages(s, id, images(6), {
      image_quality: 70,
      validation_params: {
        mode: 'gt',
        frame_selection_method: 'manual',
        frames: ['img_004.png', 'img_001.png'],
      },
    });
    expect(done.status).toBe('finished');
    const layout = await layoutOf(id);
    expect(layout).toEqual({
      mode: 'gt',
      frames_per_job_count: null,
      validation_frames: [1, 4],
      disabled_frames: [],
    });
    const jobs = (await call(s, 'GET', `/api/jobs?task_id=${id}&sort=id`)).json().results;
    expect(jobs.at(-1)).toMatchObject({
      type: 'ground_truth',
      start_frame: 0,
      stop_frame: 5,
      frame_count: 2,
    });
    const shuffle = await call(s, 'PATCH', `/api/tasks/${id}/validation_layout`, {
      body: { frame_selection_method: 'random_uniform' },
    });
    expect(shuffle.status).toBe(400);
    expect(shuffle.json()).toEqual([
      "Honeypots can only be modified if the task validation mode is 'gt_pool'",
    ]);
    const off = await call(s, 'PATCH', `/api/tasks/${id}/validation_layout`, {
      body: { disabled_frames: [4] },
    });
    expect(off.json()).toMatchObject({ disabled_frames: [4] });
  });

  it('no validation: GET {"mode": null}, PATCH a plain 500 (views.py returns the ValidationError)', async () => {
    const id = await createTask(s);
    await attachImages(s, id);
    expect(await layoutOf(id)).toEqual({ mode: null });
    const r = await call(s, 'PATCH', `/api/tasks/${id}/validation_layout`, {
      body: { disabled_frames: [] },
    });
    expect(r.status).toBe(500);
  });
});
