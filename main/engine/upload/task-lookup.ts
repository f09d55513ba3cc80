// Finding on the server what the journal cannot tell: the creation request of a task; and
// deleting discarded tasks. A lost task creation is found by its claim name (task-claim.ts).
import { abortError } from '../../core/clock.js';
import { errorInfo, toSyncError } from '../../core/errors.js';
import type { CvatApi } from '../../cvat/api.js';
import type { DiscardRepo, DiscardRow } from '../../journal/discard-repo.js';
import { isCancelled } from './outcomes.js';
import type { UploadBatch } from './types.js';

/** The operation type of a task's creation request. */
export const CREATE_OPERATION = 'create:task';

export function requireTask(b: UploadBatch): number {
  if (b.taskId === null) throw new Error(`Batch ${b.id} is ${b.state} without a task id`);
  return b.taskId;
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

/**
 * Deletes tasks queued for deletion; a task already gone counts as deleted. Only ids this
 * journal recorded are ever queued (this agent's tasks). `onDeleted` records each one.
 */
export async function deleteDiscards(
  api: CvatApi,
  discards: DiscardRepo,
  rows: DiscardRow[],
  signal: AbortSignal,
  onDeleted?: (row: DiscardRow) => void,
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
    // Recorded first: a crash in between deletes again (404) and records it again.
    onDeleted?.(row);
    discards.deleted(row.taskId, row.server);
  }
}
