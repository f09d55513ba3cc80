// PATCH /api/tasks/{id} through the client and the service helpers against the test server:
// fields, labels of a task without a project, moves between projects and CVAT's refusals
// (TaskWriteSerializer.validate/update) passed on with CVAT's message and a fix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSyncError } from '../../../main/core/errors.js';
import type { SyncError } from '../../../main/core/errors.js';
import { editTask, listTaskLabels, searchUsers } from '../../../main/service/task-edit.js';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { attachImages, call, createTask } from '../../cvat-server/test-helpers.js';
import type { CvatClient } from '../../../main/cvat/client.js';
import { makeClient } from './helpers.js';

let s: CvatTestServer;
let client: CvatClient;

async function project(name: string, labels: unknown[]): Promise<number> {
  const r = await call(s, 'POST', '/api/projects', { body: { name, labels } });
  expect(r.status).toBe(201);
  return r.json().id as number;
}

async function refusal(p: Promise<unknown>): Promise<SyncError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (!isSyncError(e)) throw new Error(`expected a SyncError, got ${String(e)}`);
  return e;
}

beforeAll(async () => {
  s = await startCvatServer({ processingDelayMs: 10 });
  client = makeClient(s.url, { kind: 'token', token: s.users.alice.token });
});
afterAll(async () => s.close());

describe('editing a task', () => {
  it('changes name, subset, bug tracker and assignee; the server keeps them', async () => {
    const id = await createTask(s, { name: 'before' });
    const bob = (await searchUsers(client, 'bo')).find((u) => u.username === 'bob');
    expect(bob).toBeDefined();
    const t = await editTask(client, {
      taskId: id,
      name: 'after',
      subset: 'train',
      bugTracker: 'https://tracker.example/1',
      assigneeId: bob?.id ?? null,
    });
    expect(t).toMatchObject({
      name: 'after',
      subset: 'train',
      bug_tracker: 'https://tracker.example/1',
    });
    expect(t.assignee?.username).toBe('bob');
    const again = (await call(s, 'GET', `/api/tasks/${id}`)).json();
    expect(again).toMatchObject({ name: 'after', subset: 'train' });
    expect(again.assignee.username).toBe('bob');
    const cleared = await editTask(client, { taskId: id, assigneeId: null });
    expect(cleared.assignee).toBeNull();
  });

  it('searches users by name for the assignee picker', async () => {
    const all = await searchUsers(client, '');
    expect(all.map((u) => u.username)).toEqual(expect.arrayContaining(['alice', 'bob']));
    expect((await searchUsers(client, 'ali')).map((u) => u.username)).toEqual(['alice']);
  });

  it('renames, adds and deletes labels of a task without a project', async () => {
    const id = await createTask(s, { name: 'labels' });
    const labels = await listTaskLabels(client, id);
    const car = labels.find((l) => l.name === 'car');
    const person = labels.find((l) => l.name === 'person');
    await editTask(client, {
      taskId: id,
      labels: [
        { id: car?.id as number, name: 'vehicle' },
        { id: person?.id as number, deleted: true },
        { name: 'dog' },
      ],
    });
    expect((await listTaskLabels(client, id)).map((l) => l.name).sort()).toEqual([
      'dog',
      'vehicle',
    ]);
  });

  it("moves a task into a project whose labels match: it then has the project's labels", async () => {
    const target = await project('move-ok', [{ name: 'car' }, { name: 'person' }, { name: 'x' }]);
    const id = await createTask(s, { name: 'movable' });
    await attachImages(s, id);
    const moved = await editTask(client, { taskId: id, projectId: target });
    expect(moved.project_id).toBe(target);
    expect((await call(s, 'GET', `/api/tasks/${id}`)).json().project_id).toBe(target);
    expect((await listTaskLabels(client, id)).map((l) => l.name).sort()).toEqual([
      'car',
      'person',
      'x',
    ]);
  });

  it("refuses a move to a project without the task's labels, as CVAT does, changing nothing", async () => {
    const target = await project('move-bad', [{ name: 'car' }]);
    const id = await createTask(s, { name: 'stays' });
    const e = await refusal(editTask(client, { taskId: id, name: 'renamed', projectId: target }));
    expect(e.status).toBe(400);
    expect(e.message).toContain(
      'All task or project label names must be mapped to the target project',
    );
    expect(e.code).toBe('move-refused');
    expect(e.hint).toContain(`Project #${target} has no label "person"`);
    const t = (await call(s, 'GET', `/api/tasks/${id}`)).json();
    expect(t).toMatchObject({ name: 'stays', project_id: null });
  });

  it('refuses a move when an attribute differs, and a project that does not exist', async () => {
    const target = await project('attr', [
      {
        name: 'car',
        attributes: [{ name: 'color', mutable: false, input_type: 'select', values: ['red'] }],
      },
      { name: 'person' },
    ]);
    const id = await createTask(s, {
      name: 'attr-task',
      labels: [
        {
          name: 'car',
          attributes: [{ name: 'color', mutable: false, input_type: 'select', values: ['blue'] }],
        },
        { name: 'person' },
      ],
    });
    const e = await refusal(editTask(client, { taskId: id, projectId: target }));
    expect(e.status).toBe(400);
    expect(e.message).toContain('Target project does not have "car" label with "color" attribute');
    expect(e.hint).toContain('same attribute');
    const none = await refusal(editTask(client, { taskId: id, projectId: 999_999 }));
    expect(none.message).toContain('Cannot find project with ID 999999');
    expect((await call(s, 'GET', `/api/tasks/${id}`)).json().project_id).toBeNull();
  });

  it('refuses label edits of a task in a project before sending, and an empty edit', async () => {
    const target = await project('in-project', [{ name: 'car' }]);
    const id = await createTask(s, { name: 'p', labels: undefined, project_id: target });
    const e = await refusal(editTask(client, { taskId: id, labels: [{ name: 'new' }] }));
    expect(e.code).toBe('labels-of-project');
    const empty = await refusal(editTask(client, { taskId: id }));
    expect(empty.code).toBe('usage');
  });
});
