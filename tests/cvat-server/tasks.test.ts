// Lists (pagination, sort, search, filters, JSON-Logic), task/project
// validation and representation, delete, jobs with status derivation, labels and previews.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer } from './index.js';
import type { CvatTestServer } from './index.js';
import { attachImages, call, createTask } from './test-helpers.js';
import { mp4Around } from './fixture-media.js';

let s: CvatTestServer;
beforeAll(async () => {
  s = await startCvatServer({ processingDelayMs: 10 });
});
afterAll(async () => s.close());

describe('lists', () => {
  let ids: number[] = [];
  beforeAll(async () => {
    ids = [];
    for (let i = 0; i < 12; i++)
      ids.push(
        await createTask(s, {
          name: `list-${String(i).padStart(2, '0')} ${i % 2 ? 'odd' : 'even'}`,
          subset: i < 3 ? 'train' : '',
        }),
      );
  });

  it('paginates with count/next/previous absolute URLs; default page size 10; newest first', async () => {
    const p1 = await call(s, 'GET', '/api/tasks?search=list-');
    const b = p1.json();
    expect(b.count).toBe(12);
    expect(b.results).toHaveLength(10);
    expect(b.results[0].id).toBe(ids[11]);
    expect(b.previous).toBeNull();
    expect(b.next).toBe(`${s.url}/api/tasks?page=2&search=list-`);
    const p2 = (await call(s, 'GET', b.next)).json();
    expect(p2.results).toHaveLength(2);
    expect(p2.next).toBeNull();
    expect(p2.previous).toBe(`${s.url}/api/tasks?search=list-`);
  });

  it('page_size: positive ints, all, fallback to 10; page past the end is 404', async () => {
    expect(
      (await call(s, 'GET', '/api/tasks?search=list-&page_size=5')).json().results,
    ).toHaveLength(5);
    expect(
      (await call(s, 'GET', '/api/tasks?search=list-&page_size=all')).json().results,
    ).toHaveLength(12);
    expect(
      (await call(s, 'GET', '/api/tasks?search=list-&page_size=-3')).json().results,
    ).toHaveLength(10);
    expect(
      (await call(s, 'GET', '/api/tasks?search=list-&page_size=abc')).json().results,
    ).toHaveLength(10);
    const past = await call(s, 'GET', '/api/tasks?search=list-&page=3');
    expect(past.status).toBe(404);
    expect(past.json()).toEqual({ detail: 'Invalid page.' });
    expect((await call(s, 'GET', '/api/tasks?search=list-&page=0')).status).toBe(404);
  });

  it('sorts by several keys, ignores unknown ones', async () => {
    const asc = (await call(s, 'GET', '/api/tasks?search=list-&sort=name,nonsense&page_size=all'))
      .json()
      .results.map((t: { name: string }) => t.name);
    expect(asc).toEqual([...asc].sort());
    const desc = (await call(s, 'GET', '/api/tasks?search=list-&sort=-id&page_size=all'))
      .json()
      .results.map((t: { id: number }) => t.id);
    expect(desc).toEqual([...ids].reverse());
  });

  it('search matches every word case-insensitively across search fields', async () => {
    expect((await call(s, 'GET', '/api/tasks?search=LIST- ODD')).json().count).toBe(6);
    expect((await call(s, 'GET', '/api/tasks?search=list- train')).json().count).toBe(3);
    expect((await call(s, 'GET', '/api/tasks?search=alice list-')).json().count).toBe(12);
  });

  it('simple equality filters', async () => {
    expect((await call(s, 'GET', '/api/tasks?subset=train')).json().count).toBe(3);
    expect(
      (await call(s, 'GET', `/api/tasks?name=${encodeURIComponent('list-01 odd')}`)).json().count,
    ).toBe(1);
    expect((await call(s, 'GET', '/api/tasks?owner=alice&search=list-')).json().count).toBe(12);
    expect((await call(s, 'GET', '/api/tasks?owner=bob&search=list-')).json().count).toBe(0);
  });

  it('JSON-Logic filter with and/or/!/in/</<=/var', async () => {
    const f = async (rule: unknown) =>
      (
        await call(
          s,
          'GET',
          `/api/tasks?search=list-&page_size=all&filter=${encodeURIComponent(JSON.stringify(rule))}`,
        )
      ).json().count;
    expect(await f({ and: [{ '==': [{ var: 'subset' }, 'train'] }] })).toBe(3);
    expect(await f({ in: [{ var: 'id' }, [ids[0], ids[1], 999]] })).toBe(2);
    expect(await f({ in: ['odd', { var: 'name' }] })).toBe(6);
    expect(await f({ '!': { '==': [{ var: 'subset' }, 'train'] } })).toBe(9);
    expect(await f({ '<=': [ids[2], { var: 'id' }, ids[4]] })).toBe(3);
    expect(
      await f({ or: [{ '<': [{ var: 'id' }, ids[1]] }, { '>': [{ var: 'id' }, ids[10]] }] }),
    ).toBe(2);
    expect(await f({ '==': [{ var: 'owner' }, 'alice'] })).toBe(12);
  });

  it('bad filters are 400 with a list body', async () => {
    for (const bad of ['{}', 'not json', '{"xor":[1,2]}', '{"==":[{"var":"secret"},1]}']) {
      const r = await call(s, 'GET', `/api/tasks?filter=${encodeURIComponent(bad)}`);
      expect(r.status, bad).toBe(400);
      expect(Array.isArray(r.json()), bad).toBe(true);
    }
  });
});

describe('tasks and projects', () => {
  it('a fresh task has the creation representation', async () => {
    const r = await call(s, 'POST', '/api/tasks', {
      body: { name: 'fresh', labels: [{ name: 'car' }], subset: 'train', segment_size: 5 },
    });
    expect(r.status).toBe(201);
    const t = r.json();
    // CVAT's answer for a task without data (fixture tasks.json, task 12) has no size key.
    expect(t).toMatchObject({
      overlap: null,
      status: 'annotation',
      media_type: '',
      mode: '',
      dimension: '',
      data: null,
      subset: 'train',
      segment_size: 5,
    });
    expect(t.jobs).toEqual({
      count: 0,
      completed: 0,
      validation: 0,
      url: `${s.url}/api/jobs?task_id=${t.id}`,
    });
    for (const absent of [
      'size',
      'image_quality',
      'data_chunk_size',
      'data_original_chunk_type',
      'data_compressed_chunk_type',
      'data_cloud_storage_id',
    ])
      expect(t).not.toHaveProperty(absent);
    expect(t.source_storage).toBeNull();
    expect(t.target_storage).toBeNull();
    expect(t.created_date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/);
  });

  it('the first POST /data/ creates the data record: data is an id, size is 0', async () => {
    const id = (
      await call(s, 'POST', '/api/tasks', { body: { name: 'started', labels: [{ name: 'a' }] } })
    ).json().id as number;
    const before = (await call(s, 'GET', `/api/tasks/${id}`)).json();
    expect(before.data).toBeNull();
    expect(before).not.toHaveProperty('size');
    const start = await call(s, 'POST', `/api/tasks/${id}/data/`, {
      headers: { 'Upload-Start': 'true' },
      body: {},
    });
    expect(start.status).toBe(202);
    const after = (await call(s, 'GET', `/api/tasks/${id}`)).json();
    expect(after.data).toEqual(expect.any(Number));
    // CVAT's Data model defaults until processing fills the record in.
    expect(after).toMatchObject({
      size: 0,
      image_quality: 50,
      data_chunk_size: null,
      data_compressed_chunk_type: 'imageset',
      data_original_chunk_type: 'imageset',
      data_cloud_storage_id: null,
      media_type: '',
    });
    const listed = (await call(s, 'GET', `/api/tasks?search=started`)).json().results;
    expect(listed.find((t: { id: number }) => t.id === id)).toMatchObject({ size: 0 });
  });

  it('validation errors have CVAT body shapes', async () => {
    const post = (body: unknown) => call(s, 'POST', '/api/tasks', { body });
    expect((await post({ labels: [{ name: 'a' }] })).json()).toEqual({
      name: ['This field is required.'],
    });
    expect((await post({ name: 'x'.repeat(257), labels: [{ name: 'a' }] })).json().name[0]).toMatch(
      /256/,
    );
    expect(
      (await post({ name: 'x', labels: [{ name: 'a' }], subset: 'y'.repeat(65) })).json().subset[0],
    ).toMatch(/64/);
    expect(
      (await post({ name: 'x', labels: [{ name: 'a' }], segment_size: -1 })).json().segment_size[0],
    ).toMatch(/greater than or equal to 0/);
    expect(
      (await post({ name: 'x', labels: [{ name: 'a' }], bug_tracker: 'not a url' })).json(),
    ).toEqual({ bug_tracker: ['Enter a valid URL.'] });
    const badType = await post({ name: 'x', labels: [{ name: 'a', type: 'blob' }, { name: 'b' }] });
    expect(badType.json()).toEqual({ labels: [{ type: ['"blob" is not a valid choice.'] }, {}] });
    const list = async (body: unknown) => {
      const r = await post(body);
      expect(r.status).toBe(400);
      expect(Array.isArray(r.json())).toBe(true);
      return r.json()[0] as string;
    };
    expect(await list({ name: 'x' })).toMatch(/Label set or project_id must be present/);
    expect(await list({ name: 'x', labels: [{ name: 'a' }, { name: 'a' }] })).toMatch(/unique/);
    const project = s.admin.createProject('alice', { name: 'p', labels: [{ name: 'a' }] });
    expect(await list({ name: 'x', labels: [{ name: 'a' }], project_id: project.id })).toMatch(
      /only one of Label set or project_id/,
    );
    expect(await list({ name: 'x', project_id: 9999 })).toMatch(/does not exist/);
    const orgProject = s.admin.createProject('alice', {
      name: 'po',
      labels: [{ name: 'a' }],
      org: 'acme',
    });
    expect(await list({ name: 'x', project_id: orgProject.id })).toMatch(/same organization/);
    const ok = await call(s, 'POST', '/api/tasks?org=acme', {
      body: { name: 'in project', project_id: orgProject.id },
    });
    expect(ok.status).toBe(201);
    expect(ok.json().project_id).toBe(orgProject.id);
  });

  it('patches name/subset/bug_tracker/labels and deletes with 204 (media removed)', async () => {
    const id = await createTask(s, { name: 'to patch' });
    const p = await call(s, 'PATCH', `/api/tasks/${id}`, {
      body: {
        name: 'patched',
        subset: 'val',
        bug_tracker: 'https://jira.example/X-1',
        labels: [{ name: 'bike' }],
      },
    });
    expect(p.status).toBe(200);
    expect(p.json()).toMatchObject({
      name: 'patched',
      subset: 'val',
      bug_tracker: 'https://jira.example/X-1',
    });
    const labels = (await call(s, 'GET', `/api/labels?task_id=${id}`)).json();
    expect(labels.results.map((l: { name: string }) => l.name)).toEqual(['car', 'person', 'bike']);
    await attachImages(s, id);
    expect(s.admin.taskFiles(id)).toHaveLength(3);
    expect((await call(s, 'DELETE', `/api/tasks/${id}`)).status).toBe(204);
    expect((await call(s, 'GET', `/api/tasks/${id}`)).status).toBe(404);
    expect(() => s.admin.taskFiles(id)).toThrow();
  });

  it('projects: create, list, get, labels, delete', async () => {
    const r = await call(s, 'POST', '/api/projects', {
      body: { name: 'proj', labels: [{ name: 'x' }] },
    });
    expect(r.status).toBe(201);
    const p = r.json();
    expect(p).toMatchObject({ name: 'proj', status: 'annotation', tasks: { count: 0 } });
    expect((await call(s, 'GET', `/api/labels?project_id=${p.id}`)).json().count).toBe(1);
    expect((await call(s, 'GET', '/api/projects?search=proj')).json().count).toBeGreaterThan(0);
    expect((await call(s, 'DELETE', `/api/projects/${p.id}`)).status).toBe(204);
  });
});

describe('jobs and status derivation', () => {
  it('splits jobs by segment_size/overlap and derives job/task status and summary', async () => {
    const id = await createTask(s, { name: 'jobs', segment_size: 2 });
    const done = await attachImages(s, id, undefined, { image_quality: 70 });
    expect(done.status).toBe('finished');
    const jobs = (await call(s, 'GET', `/api/jobs?task_id=${id}&page_size=all&sort=id`)).json()
      .results;
    expect(
      jobs.map((j: { start_frame: number; stop_frame: number }) => [j.start_frame, j.stop_frame]),
    ).toEqual([
      [0, 1],
      [2, 2],
    ]);
    const [a, b] = jobs;
    expect(a).toMatchObject({
      task_id: id,
      stage: 'annotation',
      state: 'new',
      status: 'annotation',
      type: 'annotation',
      frame_count: 2,
    });
    const patched = await call(s, 'PATCH', `/api/jobs/${a.id}`, { body: { stage: 'validation' } });
    expect(patched.json()).toMatchObject({
      stage: 'validation',
      state: 'new',
      status: 'validation',
    });
    expect((await call(s, 'GET', `/api/tasks/${id}`)).json().status).toBe('annotation');
    await call(s, 'PATCH', `/api/jobs/${b.id}`, {
      body: { stage: 'acceptance', state: 'completed' },
    });
    let t = (await call(s, 'GET', `/api/tasks/${id}`)).json();
    expect(t.status).toBe('validation');
    expect(t.jobs).toMatchObject({ count: 2, completed: 1, validation: 1 });
    expect(
      (await call(s, 'PATCH', `/api/jobs/${a.id}`, { body: { state: 'done' } })).json(),
    ).toEqual({ state: ['"done" is not a valid choice.'] });
    const before = t.updated_date;
    await new Promise((r) => setTimeout(r, 5));
    s.admin.completeTask(id);
    t = (await call(s, 'GET', `/api/tasks/${id}`)).json();
    expect(t.status).toBe('completed');
    expect(t.jobs.completed).toBe(2);
    expect(t.updated_date > before).toBe(true);
    const filtered = await call(
      s,
      'GET',
      `/api/jobs?filter=${encodeURIComponent(JSON.stringify({ and: [{ '==': [{ var: 'task_id' }, id] }] }))}`,
    );
    expect(filtered.json().count).toBe(2);
    expect((await call(s, 'GET', `/api/tasks?status=completed&search=jobs`)).json().count).toBe(1);
  });
});

describe('preview', () => {
  it('404 plain text without media, PNG image fitting 256x256 with media', async () => {
    const id = await createTask(s, { name: 'preview' });
    const none = await call(s, 'GET', `/api/tasks/${id}/preview`);
    expect(none.status).toBe(404);
    expect(none.headers.get('content-type')).toMatch(/text\/html/);
    await attachImages(s, id);
    const res = await fetch(`${s.url}/api/tasks/${id}/preview`, {
      headers: { Authorization: `Bearer ${s.users.alice.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('vary')).toBe('Prefer');
    const png = Buffer.from(await res.arrayBuffer());
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBeLessThanOrEqual(256);
    const job = (await call(s, 'GET', `/api/jobs?task_id=${id}`)).json().results[0];
    expect((await call(s, 'GET', `/api/jobs/${job.id}/preview`)).status).toBe(200);
  });

  it('204 + Preference-Applied for media without a decodable frame when Prefer: handling=empty', async () => {
    const id = await createTask(s, { name: 'video preview' });
    await attachImages(s, id, [{ name: 'clip.mp4', data: mp4Around(Buffer.alloc(70_000, 1)) }]);
    const r = await call(s, 'GET', `/api/tasks/${id}/preview`, {
      headers: { Prefer: 'handling=empty' },
    });
    expect(r.status).toBe(204);
    expect(r.headers.get('preference-applied')).toBe('handling=empty');
    expect((await call(s, 'GET', `/api/tasks/${id}/preview`)).status).toBe(200);
  });
});
