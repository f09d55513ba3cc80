import { describe, expect, it } from 'vitest';
import { SyncError } from '../../../main/core/errors.js';
import { pageSchema, parseWith, requestSchema, taskSchema } from '../../../main/cvat/schemas.js';

const task = {
  url: 'http://cvat.example/api/tasks/12',
  id: 12,
  name: 'camera-03',
  project_id: null,
  project_name: null,
  owner: { url: 'x', id: 5, username: 'alice', first_name: '', last_name: '' },
  assignee: null,
  bug_tracker: '',
  created_date: '2026-08-20T09:14:55.001Z',
  updated_date: '2026-08-20T09:17:10.500Z',
  overlap: 0,
  segment_size: 200,
  status: 'annotation',
  size: 0,
  data: null,
  dimension: '',
  mode: '',
  media_type: '',
  subset: 'train',
  organization_id: 3,
  jobs: { count: 0, completed: 0, validation: 0, url: 'http://cvat.example/api/jobs?task_id=12' },
  labels: { url: 'x' },
  consensus_enabled: false,
};

describe('response schemas', () => {
  it('accept a CVAT task and drop fields we do not use', () => {
    const t = parseWith(taskSchema, task, 'get task', 'http://cvat.example/api/tasks/12');
    expect(t.id).toBe(12);
    expect(t.owner).toEqual({ id: 5, username: 'alice' });
    expect('labels' in t).toBe(false);
  });

  it('name the offending field of a page item', () => {
    const page = {
      count: 2,
      next: null,
      previous: null,
      results: [task, { ...task, status: 'done' }],
    };
    let error: unknown;
    try {
      parseWith(pageSchema(taskSchema), page, 'list tasks', 'http://cvat.example/api/tasks');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SyncError);
    expect(error).toMatchObject({ code: 'bad-response', kind: 'item', operation: 'list tasks' });
    expect((error as SyncError).message).toContain('field "results[1].status"');
  });

  it('report a missing required field', () => {
    const { id: _id, ...noId } = task;
    expect(() => parseWith(taskSchema, noId, 'get task', 'u')).toThrow(/field "id"/);
  });

  it('read request records with absent optional dates as null', () => {
    const r = parseWith(
      requestSchema,
      {
        id: 'action=create&target=task&target_id=12',
        status: 'started',
        message: 'Preparing chunks 3/7',
        operation: {
          type: 'create:task',
          target: 'task',
          task_id: 12,
          org_id: 3,
          function_id: null,
        },
        progress: 0.42,
        created_date: '2026-08-20T09:15:02.113Z',
        owner: { id: 5, username: 'alice' },
      },
      'get request',
      'u',
    );
    expect(r.started_date).toBeNull();
    expect(r.result_url).toBeNull();
    expect(r.operation.project_id).toBeNull();
    expect(r.operation.format).toBeNull();
  });
});
