// Finding on the server what the journal cannot tell: a batch's lost task creation, the
// creation request of a task, and deleting discarded tasks.
import { abortError } from '../../core/clock.js';
import { errorInfo, toSyncError } from '../../core/errors.js';
import type { CvatApi, CvatTask } from '../../cvat/api.js';
import type { DiscardRepo, DiscardRow } from '../../journal/discard-repo.js';
import { isCancelled } from './outcomes.js';
import type { RunnerDeps } from './runner-types.js';
import type { UploadBatch } from './types.js';

/** The operation type of a task's creation request. */
export const CREATE_OPERATION = 'create:task';

export function requireTask(b: UploadBatch): number {
  if (b.taskId === null) throw new Error(`Batch ${b.id} is ${b.state} without a task id`);
  return b.taskId;
}

/** Tasks that can only be this batch's lost creation: its exact name, our user, no media, unclaimed, recent. */
export async function findOurTasks(
  d: RunnerDeps,
  b: UploadBatch,
  signal: AbortSignal,
): Promise<CvatTask[]> {
  const candidates = await d.api.findTasksByName(b.name, signal);
  const self = await d.selfId();
  const since = (b.createStartedAt ?? b.createdAt) - d.settings.clockSkewMs;
  return candidates.filter((t) => {
    if (t.name !== b.name || t.size > 0) return false;
    if (self !== null && t.owner !== null && t.owner.id !== self) return false;
    if (d.batches.claimedBy(t.id, b.server).some((id) => id !== b.id)) return false;
    if (d.discards.has(t.id, b.server)) return false;
    const created = Date.parse(t.created_date);
    return Number.isNaN(created) || created >= since;
  });
}

export async function findCreateRequest(
  api: CvatApi,
  taskId: number,
  signal: AbortSignal,
): Promise<string | null> {
  const page = await api.listRequests({ task_id: taskId, action: 'create', page_size: 10 }, signal);
  const r = page.results.find(
    (x) => x.operation.task_id === taskId && x.operation.type === CREATE_OPERATION,
  );
  return r?.id ?? null;
}

/** Deletes tasks queued for deletion; a task already gone counts as deleted. */
export async function deleteDiscards(
  api: CvatApi,
  discards: DiscardRepo,
  rows: DiscardRow[],
  signal: AbortSignal,
): Promise<void> {
  for (const row of rows) {
    if (signal.aborted) throw abortError();
    try {
      await api.deleteTask(row.taskId, signal);
    } catch (e) {
      const err = toSyncError(e, `delete task ${row.taskId}`);
      if (err.status !== 404 && err.code !== 'not-found') {
        if (!isCancelled(e)) discards.failed(row.taskId, row.server, errorInfo(err));
        throw e;
      }
    }
    discards.deleted(row.taskId, row.server);
  }
}
