// finishing -> processing: Upload-Finish, then waiting for the server's creation job (or, before
// CVAT 2.16, the task's creation status) until the task holds its media.
import { toSyncError } from '../../core/errors.js';
import type { ErrorInfo } from '../../core/errors.js';
import type { DataRequest } from '../../cvat/api.js';
import type { RunnerActions, Step } from './runner-types.js';
import { CREATE_OPERATION, findCreateRequest, requireTask } from './task-lookup.js';
import type { UploadBatch } from './types.js';

export async function finishUpload(r: RunnerActions, b: UploadBatch): Promise<Step> {
  const taskId = requireTask(b);
  let rqId: string | null;
  try {
    rqId = await r.d.api.uploadFinish(taskId, dataRequest(r, b), r.signal);
  } catch (e) {
    const err = toSyncError(e, 'Upload-Finish');
    // 409: a creation job already runs (an earlier Upload-Finish landed); 400: media attached.
    if (err.status !== 409 && err.status !== 400) throw e;
    const found = await findCreateRequest(r.d.api, taskId, r.signal);
    if (found === null) {
      const task = await r.d.api.findTask(taskId, r.signal);
      if (task && task.size > 0) return r.done(b, 'finishing', task);
      throw e;
    }
    rqId = found;
  }
  if (rqId !== null)
    r.d.requests.record({ rqId, batchId: b.id, taskId, operation: CREATE_OPERATION });
  return r.cas(b, 'processing', { rqId });
}

export async function awaitProcessing(r: RunnerActions, b: UploadBatch): Promise<Step> {
  const taskId = requireTask(b);
  if (b.rqId === null) return processLegacy(r, b, taskId);
  const rqId = b.rqId;
  const request = await r.d.api.waitForRequest(rqId, {
    signal: r.signal,
    onUpdate: (u) => r.d.requests.update(rqId, u.status, u.message || null, u.progress),
  });
  if (request === null) {
    r.d.requests.update(rqId, 'gone', null, null);
    return afterRequestGone(r, b, taskId);
  }
  r.d.requests.update(rqId, request.status, request.message || null, request.progress);
  if (request.status === 'finished')
    return r.done(b, 'processing', await r.d.api.getTask(taskId, r.signal));
  return processingFailed(r, b, request.message);
}

/** Servers older than 2.16 (Upload-Finish gave no rq_id): the task's creation status tells. */
async function processLegacy(r: RunnerActions, b: UploadBatch, taskId: number): Promise<Step> {
  if (r.d.api.waitForTaskCreation) {
    const s = await r.d.api.waitForTaskCreation(taskId, { signal: r.signal });
    if (s.state === 'Failed') return processingFailed(r, b, s.message);
  }
  for (let look = 0; look < 2; look++) {
    const task = await r.d.api.findTask(taskId, r.signal);
    if (task === null) return r.restart(b, `task ${taskId} disappeared from the server`);
    if (task.size > 0) return r.done(b, 'processing', task);
    if (!r.d.api.waitForTaskCreation) {
      // Nothing to poll but the task itself.
      await r.d.clock.sleep(r.d.settings.recheckDelayMs, r.signal);
      return 'continue';
    }
    // "Finished" without media: the server no longer knows the job (e.g. it restarted).
    if (look === 0) await r.d.clock.sleep(r.d.settings.recheckDelayMs, r.signal);
  }
  return r.restart(b, `task ${taskId} has no media and its creation job is gone`);
}

function processingFailed(r: RunnerActions, b: UploadBatch, message: string): Step {
  const error: ErrorInfo = {
    code: 'processing-failed',
    kind: 'item',
    message: message
      ? `CVAT could not process the media of "${b.name}": ${message}`
      : `CVAT could not process the media of "${b.name}"`,
    retryable: false,
  };
  r.d.batches.transition(b.id, 'processing', 'failed', {
    lastError: error,
    attempts: b.attempts + 1,
    finishedAt: r.d.clock.now(),
  });
  r.d.hooks.activity(b, 'error', 'batch-failed', error.message);
  return 'stop';
}

/** The request is unknown (expired after finishing, or lost): the task itself must tell. */
async function afterRequestGone(r: RunnerActions, b: UploadBatch, taskId: number): Promise<Step> {
  for (let look = 0; look < 2; look++) {
    const task = await r.d.api.findTask(taskId, r.signal);
    if (task === null) return r.restart(b, `task ${taskId} disappeared from the server`);
    if (task.size > 0) return r.done(b, 'processing', task);
    const again = await findCreateRequest(r.d.api, taskId, r.signal);
    if (again !== null && again !== b.rqId) {
      r.d.requests.record({ rqId: again, batchId: b.id, taskId, operation: CREATE_OPERATION });
      r.d.batches.update(b.id, 'processing', { rqId: again });
      return 'continue';
    }
    if (look === 0) await r.d.clock.sleep(r.d.settings.recheckDelayMs, r.signal);
  }
  return r.restart(b, `task ${taskId} has no media and its creation request is gone`);
}

function dataRequest(r: RunnerActions, b: UploadBatch): DataRequest {
  const data: DataRequest = { ...b.data, image_quality: b.data.image_quality ?? 70 };
  if (data.sorting_method === 'predefined') {
    // The order names what was actually sent, under the names it has in the task.
    data.upload_file_order = r.d.batches
      .files(b.id)
      .filter((f) => f.state === 'sent')
      .map((f) => f.uploadName);
  }
  return data;
}
