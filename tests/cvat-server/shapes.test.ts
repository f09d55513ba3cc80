// Each kind of answer of the test server has the shape of CVAT's own recorded answer of the same
// kind and state (fixtures of a real 2.73.0 server): the same keys present and absent, the same
// JSON type per key, nested objects included. At 2.80 the fixture is adjusted by the differences
// the cvat-sdk 2.80 models show (tests/ground-truth/cvat-2.80.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mp4Around, startCvatServer } from './index.js';
import type { CvatTestServer } from './index.js';
import { attachImages, call, createTask, images, waitRequest } from './test-helpers.js';
import type { Json, JsonObject } from '../ground-truth/fixtures.js';
import { fixtureById, fixtureObjects } from '../ground-truth/fixtures.js';
import type { ShapeOptions } from '../ground-truth/shape.js';
import { shapeDiff } from '../ground-truth/shape.js';
import type { Kind } from '../ground-truth/cvat-2.80.js';
import { as280 } from '../ground-truth/cvat-2.80.js';

const ATTR_LABELS = [
  {
    name: 'car',
    attributes: [
      {
        name: 'model',
        mutable: false,
        input_type: 'select',
        default_value: 'mazda',
        values: ['mazda', 'volvo', 'bmw'],
      },
    ],
  },
];

/** Nullable per schema.yml (TaskRead/JobRead/ProjectRead/User) and cvat-sdk 2.80 models. */
const NULLABLE = [
  'assignee',
  'assignee_updated_date',
  'validation_mode',
  'email_verified',
  'created_via',
];

function fixtureJob(pick: (j: JsonObject) => boolean): JsonObject {
  const found = fixtureObjects('jobs.json').find((o) => pick(o.value));
  if (!found) throw new Error('no such job in jobs.json');
  return found.value;
}

function fixtureMembership(id: number): JsonObject {
  return fixtureById('memberships.json', id);
}

async function videoTask(s: CvatTestServer, body: Record<string, unknown> = {}): Promise<number> {
  const id = await createTask(s, { name: 'video', ...body });
  const data = `/api/tasks/${id}/data/`;
  await call(s, 'POST', data, { headers: { 'Upload-Start': 'true' }, body: {} });
  const fd = new FormData();
  fd.append('client_files[0]', new Blob([mp4Around(Buffer.alloc(300_000))]), 'clip.mp4');
  const m = await call(s, 'POST', data, { headers: { 'Upload-Multiple': 'true' }, form: fd });
  expect(m.status).toBe(200);
  const f = await call(s, 'POST', data, {
    headers: { 'Upload-Finish': 'true' },
    body: { image_quality: 70 },
  });
  expect((await waitRequest(s, f.json().rq_id)).status).toBe('finished');
  return id;
}

for (const version of ['2.73.0', '2.80.0']) {
  describe(`test server ${version}: answers have CVAT's shapes`, () => {
    let s: CvatTestServer;
    const get = async (path: string): Promise<JsonObject> => {
      const r = await call(s, 'GET', path);
      expect(r.status, `${path}: ${r.text}`).toBe(200);
      return r.json<JsonObject>();
    };
    const expectShape = (
      kind: Kind,
      actual: Json,
      fixture: JsonObject,
      options: ShapeOptions = {},
    ) => {
      const expected = version === '2.80.0' ? as280(kind, fixture) : fixture;
      // Nullable in CVAT's schema; the fixture object may hold a value where ours has none.
      const nullable = [...NULLABLE, ...(options.nullable ?? [])];
      expect(shapeDiff(actual, expected, { ...options, nullable })).toEqual([]);
    };

    beforeAll(async () => {
      s = await startCvatServer({ version, processingDelayMs: 0, seed: 7 });
    });
    afterAll(async () => s.close());

    it('a task without media (fixture task 12): fresh, fetched and listed', async () => {
      const created = await call(s, 'POST', '/api/tasks', {
        body: { name: 'fresh', labels: [{ name: 'car' }] },
      });
      expect(created.status).toBe(201);
      const fresh = created.json<JsonObject>();
      const task12 = fixtureById('tasks.json', 12);
      expectShape('task', fresh, task12);
      expectShape('task', await get(`/api/tasks/${String(fresh.id)}`), task12);
      const list = await get(`/api/tasks?search=fresh`);
      expectShape('task', (list.results as Json[])[0]!, task12);
    });

    it('an image task (fixture task 8)', async () => {
      const id = await createTask(s, { name: 'images' });
      expect((await attachImages(s, id, images(3))).status).toBe('finished');
      expectShape('task', await get(`/api/tasks/${id}`), fixtureById('tasks.json', 8));
    });

    it('a video task (fixture task 5)', async () => {
      const id = await videoTask(s, { segment_size: 25, overlap: 5 });
      expectShape('task', await get(`/api/tasks/${id}`), fixtureById('tasks.json', 5));
    });

    it('an audio task (fixture task 36): 1d, no image_quality', async () => {
      const id = await createTask(s, { name: 'audio' }, undefined, '?org=acme');
      const data = `/api/tasks/${id}/data/`;
      await call(s, 'POST', data, { headers: { 'Upload-Start': 'true' }, body: {} });
      const fd = new FormData();
      fd.append('client_files[0]', new Blob([new Uint8Array(200_000)]), 'talk.mp3');
      expect(
        (await call(s, 'POST', data, { headers: { 'Upload-Multiple': 'true' }, form: fd })).status,
      ).toBe(200);
      const f = await call(s, 'POST', data, { headers: { 'Upload-Finish': 'true' }, body: {} });
      expect((await waitRequest(s, f.json().rq_id)).status).toBe('finished');
      const task = await get(`/api/tasks/${id}`);
      expect(task).toMatchObject({ dimension: '1d', media_type: 'audio', mode: 'interpolation' });
      expectShape('task', task, fixtureById('tasks.json', 36));
      const jobs = await get(`/api/jobs?task_id=${id}`);
      expectShape(
        'job',
        (jobs.results as Json[])[0]!,
        fixtureJob((j) => j.id === 65),
      );
    });

    it('a task with storages set at creation (fixture task 19)', async () => {
      const local = { location: 'local' };
      const id = await createTask(s, { source_storage: local, target_storage: local });
      expect((await attachImages(s, id, images(2))).status).toBe('finished');
      expectShape('task', await get(`/api/tasks/${id}`), fixtureById('tasks.json', 19));
    });

    it('a task in a project (fixture task 9) and the project with labels (fixture project 1)', async () => {
      const p = await call(s, 'POST', '/api/projects', {
        body: { name: 'proj', labels: ATTR_LABELS },
      });
      expect(p.status).toBe(201);
      const projectId = p.json<JsonObject>().id as number;
      const id = await createTask(s, {
        name: 'in-project',
        labels: undefined,
        project_id: projectId,
      });
      expect((await attachImages(s, id, images(2))).status).toBe('finished');
      expectShape('task', await get(`/api/tasks/${id}`), fixtureById('tasks.json', 9));
      // Project 1 has an assignee; ours has none (nullable there, as in CVAT's schema).
      const nullable = ['assignee', 'assignee_updated_date'];
      expectShape(
        'project',
        await get(`/api/projects/${projectId}`),
        fixtureById('projects.json', 1),
        {
          nullable,
        },
      );
      // A project without tasks has dimension null (fixture projects 3, 6, 7, 13, 15, 16).
      expectShape('project', p.json(), fixtureById('projects.json', 1), {
        nullable: [...nullable, 'dimension'],
      });
      const labels = await get(`/api/labels?project_id=${projectId}`);
      // Fixture label 5: a project label with a select attribute.
      expectShape('label', (labels.results as Json[])[0]!, fixtureById('labels.json', 5));
      const viaTask = await get(`/api/labels?task_id=${id}`);
      expectShape('label', (viaTask.results as Json[])[0]!, fixtureById('labels.json', 5));
    });

    it('a label of a task, with attributes (fixture label 51)', async () => {
      const id = await createTask(s, { name: 'task-labels', labels: ATTR_LABELS });
      const labels = await get(`/api/labels?task_id=${id}`);
      const label = (labels.results as JsonObject[])[0]!;
      expectShape('label', label, fixtureById('labels.json', 51));
      expectShape(
        'label',
        await get(`/api/labels/${String(label.id)}`),
        fixtureById('labels.json', 51),
      );
    });

    it('a task in an organization (fixture task 7)', async () => {
      const id = await createTask(s, { name: 'org-task' }, undefined, '?org=acme');
      expect((await attachImages(s, id, images(2))).status).toBe('finished');
      expectShape('task', await get(`/api/tasks/${id}`), fixtureById('tasks.json', 7));
    });

    it('a finished task (fixture task 23) and its job (fixture job 31)', async () => {
      const id = await createTask(s, { name: 'finished', segment_size: 1 });
      expect((await attachImages(s, id, images(2))).status).toBe('finished');
      const done = await fetch(`${s.url}/_test/complete-task/${id}`, { method: 'POST' });
      expect(done.status).toBe(200);
      const task = await get(`/api/tasks/${id}`);
      expect(task.status).toBe('completed');
      expectShape('task', task, fixtureById('tasks.json', 23));
      const jobs = await get(`/api/jobs?task_id=${id}`);
      const job31 = fixtureJob((j) => j.id === 31);
      for (const j of jobs.results as Json[]) expectShape('job', j, job31);
      const first = (jobs.results as JsonObject[])[0]!;
      expectShape('job', await get(`/api/jobs/${String(first.id)}`), job31);
    });

    it('consensus replicas: consensus_enabled before 2.80, initial_replicas from 2.80', async () => {
      const key = version === '2.80.0' ? 'initial_replicas' : 'consensus_replicas';
      const id = await createTask(s, { name: 'replicas', [key]: 3 });
      const task = await get(`/api/tasks/${id}`);
      if (version === '2.80.0') {
        expect(task.initial_replicas).toBe(3);
        expect(task).not.toHaveProperty('consensus_enabled');
      } else {
        expect(task.consensus_enabled).toBe(true);
        expect(task).not.toHaveProperty('initial_replicas');
      }
    });

    it('annotations of a task (fixture annotations.json, job 2)', async () => {
      const id = await createTask(s, { name: 'annotated' });
      expect((await attachImages(s, id, images(2))).status).toBe('finished');
      const coco = {
        images: [{ id: 1, file_name: 'img_000.png' }],
        categories: [{ id: 1, name: 'car' }],
        annotations: [{ image_id: 1, category_id: 1, bbox: [1, 1, 2, 2] }],
      };
      const fd = new FormData();
      fd.append('annotation_file', new Blob([JSON.stringify(coco)]), 'c.json');
      const base = `/api/tasks/${id}/annotations`;
      const imp = await call(s, 'POST', `${base}?format=COCO%201.0`, { form: fd });
      expect(imp.status).toBe(202);
      expect((await waitRequest(s, imp.json().rq_id)).status).toBe('finished');
      const ours = await get(base);
      expect((ours.shapes as Json[]).length).toBe(1);
      const cvat = fixtureObjects('annotations.json').find((o) => o.where === 'job.2')!.value;
      expect(shapeDiff(ours, cvat)).toEqual([]);
    });

    it('a track put into a task comes back with its shapes (fixture annotations.json, job 18)', async () => {
      const id = await createTask(s, { name: 'tracked' });
      expect((await attachImages(s, id, images(2))).status).toBe('finished');
      const labelId = (await get(`/api/labels?task_id=${id}`)).results as Json[];
      const label = (labelId[0] as JsonObject).id as number;
      const box = (frame: number) => ({
        type: 'rectangle',
        frame,
        points: [1, 1, 4, 4],
        occluded: false,
        outside: false,
        z_order: 0,
        rotation: 0,
        attributes: [],
      });
      const body = {
        version: 0,
        tags: [],
        shapes: [],
        tracks: [{ frame: 0, label_id: label, group: 0, shapes: [box(0), box(1)], attributes: [] }],
      };
      const put = await call(s, 'PUT', `/api/tasks/${id}/annotations`, { body });
      expect(put.status).toBe(200);
      const ours = await get(`/api/tasks/${id}/annotations`);
      const tracks = ours.tracks as JsonObject[];
      expect(tracks.length).toBe(1);
      expect((tracks[0]!.shapes as Json[]).length).toBe(2);
      const cvat = fixtureObjects('annotations.json').find((o) => o.where === 'job.18')!.value;
      expect(shapeDiff(tracks[0]!, (cvat.tracks as JsonObject[])[0]!)).toEqual([]);
    });

    it('a user (fixture users) and an access token (fixture access_tokens)', async () => {
      const user = fixtureObjects('users.json')[0]!.value;
      expectShape('user', await get('/api/users/self'), user, { nullable: ['last_login'] });
      const token = fixtureObjects('access_tokens.json')[0]!.value;
      const mine = await get('/api/auth/access_tokens');
      expectShape('token', (mine.results as Json[])[0]!, token, {
        nullable: ['last_used_date', 'expiry_date'],
      });
    });

    it('an organization (fixture org 3) and a membership (fixture membership 16)', async () => {
      const orgs = await get('/api/organizations');
      // `contact` is free-form JSON (the org's own fields); only its type is compared.
      expectShape(
        'organization',
        (orgs.results as Json[])[0]!,
        fixtureById('organizations.json', 3),
        {
          opaque: ['contact'],
        },
      );
      const members = await get('/api/memberships?org=acme');
      expectShape('membership', (members.results as Json[])[0]!, fixtureMembership(16));
    });
  });
}
