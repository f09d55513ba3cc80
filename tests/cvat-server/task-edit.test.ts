// The exact answers of PATCH /api/tasks/{id} moves (TaskWriteSerializer.validate/update) and
// PATCH /api/tasks/{id}/data/meta (DataMetaWriteSerializer), as CVAT renders them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer } from './index.js';
import type { CvatTestServer } from './index.js';
import { attachImages, call, createTask } from './test-helpers.js';

let s: CvatTestServer;
beforeAll(async () => {
  s = await startCvatServer({ processingDelayMs: 10 });
});
afterAll(async () => s.close());

describe('PATCH /api/tasks/{id} with project_id', () => {
  it('validate() refusals are serializer errors, update() refusals a bare list', async () => {
    const p = (
      await call(s, 'POST', '/api/projects', { body: { name: 'p', labels: [{ name: 'car' }] } })
    ).json().id;
    const id = await createTask(s);
    const unmapped = await call(s, 'PATCH', `/api/tasks/${id}`, { body: { project_id: p } });
    expect(unmapped.status).toBe(400);
    expect(unmapped.json()).toEqual({
      non_field_errors: ['All task or project label names must be mapped to the target project'],
    });
    const missing = await call(s, 'PATCH', `/api/tasks/${id}`, { body: { project_id: 4242 } });
    expect(missing.json()).toEqual({ non_field_errors: ['Cannot find project with ID 4242'] });
    const q = (
      await call(s, 'POST', '/api/projects', {
        body: {
          name: 'q',
          labels: [
            {
              name: 'car',
              attributes: [{ name: 'a', mutable: true, input_type: 'text', values: [''] }],
            },
            { name: 'person' },
          ],
        },
      })
    ).json().id;
    const own = await createTask(s, {
      labels: [
        {
          name: 'car',
          attributes: [{ name: 'a', mutable: true, input_type: 'number', values: ['0', '9', '1'] }],
        },
        { name: 'person' },
      ],
    });
    const attr = await call(s, 'PATCH', `/api/tasks/${own}`, {
      body: { project_id: q, name: 'not applied' },
    });
    expect(attr.status).toBe(400);
    expect(attr.json()).toEqual(['Target project does not have "car" label with "a" attribute']);
    expect((await call(s, 'GET', `/api/tasks/${own}`)).json().name).toBe('task');
  });

  it('a rename by id in the same body makes the labels map', async () => {
    const p = (
      await call(s, 'POST', '/api/projects', {
        body: { name: 'r', labels: [{ name: 'vehicle' }, { name: 'person' }] },
      })
    ).json().id;
    const id = await createTask(s);
    const labels = (await call(s, 'GET', `/api/labels?task_id=${id}`)).json().results;
    const car = labels.find((l: { name: string }) => l.name === 'car').id;
    const r = await call(s, 'PATCH', `/api/tasks/${id}`, {
      body: { project_id: p, labels: [{ id: car, name: 'vehicle' }] },
    });
    expect(r.status).toBe(200);
    expect(r.json().project_id).toBe(p);
  });

  it('project_id: null is a 500 after the field checks, and the task stays in its project', async () => {
    const p = (
      await call(s, 'POST', '/api/projects', { body: { name: 'stay', labels: [{ name: 'car' }] } })
    ).json().id;
    const id = await createTask(s, { labels: undefined, project_id: p });
    const fieldFirst = await call(s, 'PATCH', `/api/tasks/${id}`, {
      body: { project_id: null, name: '' },
    });
    expect(fieldFirst.status).toBe(400);
    expect(fieldFirst.json()).toEqual({ name: ['This field may not be blank.'] });
    const out = await call(s, 'PATCH', `/api/tasks/${id}`, {
      body: { project_id: null, name: 'not applied' },
    });
    expect(out.status).toBe(500);
    expect(out.text).toContain('Server Error (500)');
    const t = (await call(s, 'GET', `/api/tasks/${id}`)).json();
    expect(t).toMatchObject({ project_id: p, name: 'task' });
  });
});

describe('PATCH /api/tasks/{id}/data/meta', () => {
  it('stores deleted_frames and answers DataMetaRead; bad bodies get field errors', async () => {
    const id = await createTask(s);
    await attachImages(s, id);
    const r = await call(s, 'PATCH', `/api/tasks/${id}/data/meta`, {
      body: { deleted_frames: [2, 0] },
    });
    expect(r.status).toBe(200);
    expect(r.json().deleted_frames).toEqual([2, 0]);
    expect(r.json().frames).toHaveLength(3);
    expect((await call(s, 'GET', `/api/tasks/${id}/data/meta`)).json().deleted_frames).toEqual([
      2, 0,
    ]);
    const none = await call(s, 'PATCH', `/api/tasks/${id}/data/meta`, { body: {} });
    expect(none.json()).toEqual({ deleted_frames: ['This field is required.'] });
    const neg = await call(s, 'PATCH', `/api/tasks/${id}/data/meta`, {
      body: { deleted_frames: [1, -1] },
    });
    expect(neg.status).toBe(400);
    expect(neg.json()).toEqual({
      deleted_frames: { 1: ['Ensure this value is greater than or equal to 0.'] },
    });
    const restored = await call(s, 'PATCH', `/api/tasks/${id}/data/meta`, {
      body: { deleted_frames: [] },
    });
    expect(restored.json().deleted_frames).toEqual([]);
  });
});
