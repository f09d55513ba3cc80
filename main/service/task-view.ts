// CVAT's task representation as the UI contract's TaskSummary.
import type { TaskQuery, TaskSummary } from '../../preload/contract.js';
import type { CvatTask, ListQuery } from '../cvat/api.js';

export type LocalFolderOf = (taskId: number) => { folderId: number; path: string } | null;

export function webUrlOf(server: string, taskId: number): string {
  return `${server.replace(/\/+$/, '')}/tasks/${taskId}`;
}

export function toTaskSummary(
  t: CvatTask,
  server: string,
  localFolder: LocalFolderOf,
): TaskSummary {
  return {
    id: t.id,
    name: t.name,
    projectId: t.project_id,
    projectName: t.project_name ?? null,
    status: t.status,
    size: t.size,
    mediaType: t.media_type,
    subset: t.subset,
    owner: t.owner?.username ?? null,
    assignee: t.assignee?.username ?? null,
    createdDate: t.created_date,
    updatedDate: t.updated_date,
    jobs: { count: t.jobs.count, completed: t.jobs.completed, validation: t.jobs.validation },
    localFolder: localFolder(t.id),
    webUrl: webUrlOf(server, t.id),
  };
}

/** The contract's query as CVAT list parameters (page, page_size, sort, search, filter). */
export function toListQuery(q: TaskQuery): ListQuery {
  const out: ListQuery = { page: q.page, page_size: q.pageSize, sort: q.sort ?? '-id' };
  if (q.search) out.search = q.search;
  if (q.projectId != null) out.project_id = q.projectId;
  if (q.status) out.status = q.status;
  if (q.assignee) out.assignee = q.assignee;
  if (q.subset) out.subset = q.subset;
  return out;
}
