// Editing a task (PATCH /api/tasks/{id}) for the UI and the CLI. CVAT's refusal is passed on
// with CVAT's own message; the hint names what to change, computed from both label sets.
import type { TaskEdit, TaskLabel, UserSummary } from '../../preload/contract.js';
import { SyncError, isSyncError } from '../core/errors.js';
import type { CvatApi } from '../cvat/api.js';
import type { CvatLabel, CvatTaskApi, TaskPatch } from '../cvat/task-calls.js';

export function taskApiOf(api: CvatApi): CvatTaskApi {
  const calls = api.taskApi?.();
  if (!calls)
    throw new SyncError('This connection cannot edit or read task data.', {
      code: 'unsupported',
      kind: 'fatal',
    });
  return calls;
}

export function toTaskPatch(edit: TaskEdit): TaskPatch {
  const patch: TaskPatch = {};
  if (edit.name !== undefined) patch.name = edit.name.trim();
  if (edit.assigneeId !== undefined) patch.assignee_id = edit.assigneeId;
  if (edit.subset !== undefined) patch.subset = edit.subset.trim();
  if (edit.projectId !== undefined) patch.project_id = edit.projectId;
  if (edit.bugTracker !== undefined) patch.bug_tracker = edit.bugTracker.trim();
  if (edit.labels !== undefined) patch.labels = edit.labels.map((l) => ({ ...l }));
  return patch;
}

export function isEmptyEdit(edit: TaskEdit): boolean {
  return Object.keys(toTaskPatch(edit)).length === 0;
}

export async function editTask(api: CvatApi, edit: TaskEdit) {
  if (isEmptyEdit(edit))
    throw new SyncError('Nothing to change: give at least one field.', {
      code: 'usage',
      kind: 'item',
    });
  const calls = taskApiOf(api);
  const before = await api.getTask(edit.taskId);
  if (edit.labels !== undefined && before.project_id !== null && edit.projectId === undefined)
    throw new SyncError(
      `Task #${edit.taskId} is in project #${before.project_id}: its labels are the project's.`,
      {
        code: 'labels-of-project',
        kind: 'item',
        hint: 'Change the labels in the project in CVAT, or edit labels only of tasks that have no project.',
      },
    );
  try {
    return await calls.updateTask(edit.taskId, toTaskPatch(edit));
  } catch (e) {
    if (isSyncError(e) && e.status === 400 && edit.projectId !== undefined)
      throw await explainMove(calls, e, edit.taskId, edit.projectId, before.project_id);
    throw e;
  }
}

/** Keeps CVAT's message; the hint says which labels or attributes the project lacks. */
async function explainMove(
  calls: CvatTaskApi,
  e: SyncError,
  taskId: number,
  projectId: number,
  currentProject: number | null,
): Promise<SyncError> {
  const text = `${e.message} ${e.body ?? ''}`;
  let hint: string | undefined;
  if (/must be mapped to the target project/.test(text)) {
    const [own, target] = await Promise.all([
      calls.labels(currentProject === null ? { taskId } : { projectId: currentProject }),
      calls.labels({ projectId }),
    ]).catch(() => [null, null] as const);
    const missing = own && target ? missingNames(own, target) : [];
    hint = missing.length
      ? `Project #${projectId} has no label ${missing.map((n) => `"${n}"`).join(', ')}: add ${missing.length === 1 ? 'it' : 'them'} to the project in CVAT (or rename the task's labels to project labels), then move the task again.`
      : `Give project #${projectId} every label name of the task, then move it again.`;
  } else if (/Cannot find project with ID/.test(text)) {
    hint = 'Pick a project from `cvat-sync tasks ls` / the project list: this id does not exist.';
  } else if (/does not have ".*" label with ".*" attribute/.test(text)) {
    hint = `Give that label in project #${projectId} the same attribute (same name, type and values), or remove the attribute from the task's label, then move again.`;
  } else if (/Dimension .* must be the same/.test(text)) {
    hint =
      'A project holds tasks of one dimension (2D or 3D): pick a project with tasks like this one.';
  }
  if (!hint) return e;
  const details: ConstructorParameters<typeof SyncError>[1] = {
    code: 'move-refused',
    kind: 'item',
    hint,
    cause: e,
  };
  if (e.status !== undefined) details.status = e.status;
  if (e.body !== undefined) details.body = e.body;
  return new SyncError(e.message, details);
}

function missingNames(own: CvatLabel[], target: CvatLabel[]): string[] {
  const have = new Set(target.filter((l) => l.parent_id === null).map((l) => l.name));
  return own.filter((l) => l.parent_id === null && !have.has(l.name)).map((l) => l.name);
}

export async function searchUsers(api: CvatApi, search: string): Promise<UserSummary[]> {
  const users = await taskApiOf(api).searchUsers(search.trim(), 20);
  return users.map((u) => ({
    id: u.id,
    username: u.username,
    fullName: [u.first_name, u.last_name].filter(Boolean).join(' '),
  }));
}

export async function listTaskLabels(api: CvatApi, taskId: number): Promise<TaskLabel[]> {
  const task = await api.getTask(taskId);
  const labels = await taskApiOf(api).labels(
    task.project_id === null ? { taskId } : { projectId: task.project_id },
  );
  return labels
    .filter((l) => l.parent_id === null)
    .map((l) => ({
      id: l.id,
      name: l.name,
      color: l.color,
      type: l.type,
      attributes: l.attributes.length,
    }));
}
