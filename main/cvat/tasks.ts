// Tasks, projects, jobs, formats and previews: the plain resource calls of the client.
import type { AbortSignalLike } from '../core/signal.js';
import type { Logger } from '../core/logger.js';
import type { CvatJob, CvatTask, Formats, TaskCreateSpec } from './api.js';
import { getJson, sig } from './client-context.js';
import type { CallSpec, Transport } from './http.js';
import { parseJson } from './http.js';
import { pages } from './paging.js';
import type { ListSpec } from './paging.js';
import { formatsSchema, jobSchema, parseWith, projectSchema, taskSchema } from './schemas.js';

export const TASK_LIST: ListSpec<typeof taskSchema> = {
  operation: 'list tasks',
  path: '/api/tasks',
  item: taskSchema,
  org: true,
};

export const PROJECT_LIST: ListSpec<typeof projectSchema> = {
  operation: 'list projects',
  path: '/api/projects',
  item: projectSchema,
  org: true,
};

export function getTask(
  transport: Transport,
  id: number,
  signal?: AbortSignalLike,
): Promise<CvatTask> {
  return getJson(transport, 'get task', `/api/tasks/${id}`, taskSchema, signal);
}

export async function findTask(
  transport: Transport,
  id: number,
  signal?: AbortSignalLike,
): Promise<CvatTask | null> {
  const spec: CallSpec = {
    operation: 'get task',
    method: 'GET',
    path: `/api/tasks/${id}`,
    expect: [404],
    ...sig(signal),
  };
  const reply = await transport.call(spec);
  if (reply.status === 404) return null;
  return parseWith(taskSchema, parseJson(reply, spec.operation), spec.operation, reply.url);
}

export async function findTasksByName(
  transport: Transport,
  name: string,
  signal?: AbortSignalLike,
): Promise<CvatTask[]> {
  const found: CvatTask[] = [];
  const byName = { ...TASK_LIST, operation: 'find tasks by name' };
  // search matches substrings of several fields; the exact name is checked here.
  for await (const task of pages(transport, byName, { search: name }, signal)) {
    if (task.name === name) found.push(task);
  }
  return found;
}

export function createTask(
  transport: Transport,
  spec: TaskCreateSpec,
  signal?: AbortSignalLike,
): Promise<CvatTask> {
  return transport.json(
    {
      operation: 'create task',
      method: 'POST',
      path: '/api/tasks',
      json: spec,
      org: true,
      ...sig(signal),
    },
    taskSchema,
  );
}

/** Resolves also when the task is already gone (404): the goal is reached either way. */
export async function deleteTask(
  transport: Transport,
  logger: Logger,
  id: number,
  signal?: AbortSignalLike,
): Promise<void> {
  const reply = await transport.call({
    operation: 'delete task',
    method: 'DELETE',
    path: `/api/tasks/${id}`,
    expect: [404],
    ...sig(signal),
  });
  if (reply.status === 404) logger.info('task already gone', { taskId: id });
}

export async function listJobs(
  transport: Transport,
  taskId: number,
  signal?: AbortSignalLike,
): Promise<CvatJob[]> {
  const jobs: CvatJob[] = [];
  // The task's id decides its workspace; an org filter here could only hide its jobs.
  const list = { operation: 'list jobs', path: '/api/jobs', item: jobSchema, org: false };
  const query = { task_id: taskId, page_size: 'all' as const };
  for await (const job of pages(transport, list, query, signal)) jobs.push(job);
  return jobs;
}

export function formats(transport: Transport, signal?: AbortSignalLike): Promise<Formats> {
  return getJson(
    transport,
    'list formats',
    '/api/server/annotation/formats',
    formatsSchema,
    signal,
  );
}

/** The task's preview image; null while it has none (204 with handling=empty, or 404). */
export async function preview(
  transport: Transport,
  taskId: number,
  signal?: AbortSignalLike,
): Promise<{ contentType: string; bytes: Uint8Array } | null> {
  const operation = 'get task preview';
  const open = await transport.open({
    operation,
    method: 'GET',
    path: `/api/tasks/${taskId}/preview`,
    headers: { Prefer: 'handling=empty' },
    expect: [204, 404],
    ...sig(signal),
  });
  if (open.response.status === 200) return transport.bytes(operation, open);
  try {
    await open.response.body?.cancel();
    return null;
  } catch (e) {
    throw transport.failure(operation, open.url, open.guard, e);
  } finally {
    open.guard.dispose();
  }
}
