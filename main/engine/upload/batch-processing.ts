// finishing -> processing: Upload-Finish, then waiting for the server's creation job (or, before
// CVAT 2.16, the task's creation status) until the task holds its media.
import { toSyncError } from '../../core/errors.js';
import type { ErrorInfo } from '../../core/errors.js';
import type { DataRequest } from '../../cvat/api.js';
import type { RunnerActions, Step } from './runner-types.js';
import { CREATE_OPERATION, findCreateRequest, requireTask } from './task-lookup.js';
import type { UploadBatch } from './types.js';
import { fileNamedBy, restartWithout } from './replan-without.js';
import { gaveUpMessage, restartDelay } from './restart-policy.js';

export async function finishUpload(runner: RunnerActions, b: UploadBatch): Promise<Step> {
  const taskId = requireTask(b);
  let rqId: string | null;
  try {
    rqId = await runner.deps.api.uploadFinish(taskId, dataRequest(runner, b), runner.signal);
  } catch (e) {
    const err = toSyncError(e, 'Upload-Finish');
    // 409: a creation job already runs (an earlier Upload-Finish landed); 400: media attached.
    if (err.status !== 409 && err.status !== 400) throw e;
    const found = await findCreateRequest(runner.deps.api, taskId, runner.signal);
    if (found === null) {
      const task = await runner.deps.api.findTask(taskId, runner.signal);
      if (task && task.size > 0) return runner.done(b, 'finishing', task);
      throw e;
    }
    rqId = found;
  }
  if (rqId !== null)
    runner.deps.requests.record({ rqId, batchId: b.id, taskId, operation: CREATE_OPERATION });
  return runner.cas(b, 'processing', { rqId });
}

export async function awaitProcessing(runner: RunnerActions, b: UploadBatch): Promise<Step> {
  const taskId = requireTask(b);
  if (b.rqId === null) return processLegacy(runner, b, taskId);
  const rqId = b.rqId;
  const request = await runner.deps.api.waitForRequest(rqId, {
    signal: runner.signal,
    onUpdate: (u) => runner.deps.requests.update(rqId, u.status, u.message || null, u.progress),
  });
  if (request === null) {
    runner.deps.requests.update(rqId, 'gone', null, null);
    return afterRequestGone(runner, b, taskId);
  }
  runner.deps.requests.update(rqId, request.status, request.message || null, request.progress);
  if (request.status === 'finished')
    return runner.done(b, 'processing', await runner.deps.api.getTask(taskId, runner.signal));
  return processingFailed(runner, b, request.message);
}

/** Servers older than 2.16 (Upload-Finish gave no rq_id): the task's creation status tells. */
async function processLegacy(runner: RunnerActions, b: UploadBatch, taskId: number): Promise<Step> {
  if (runner.deps.api.waitForTaskCreation) {
    const s = await runner.deps.api.waitForTaskCreation(taskId, { signal: runner.signal });
    if (s.state === 'Failed') return processingFailed(runner, b, s.message);
  }
  for (let look = 0; look < 2; look++) {
    const task = await runner.deps.api.findTask(taskId, runner.signal);
    if (task === null) return runner.restart(b, `task ${taskId} disappeared from the server`);
    if (task.size > 0) return runner.done(b, 'processing', task);
    if (!runner.deps.api.waitForTaskCreation) {
      // Nothing to poll but the task itself.
      await runner.deps.clock.sleep(runner.deps.settings.recheckDelayMs, runner.signal);
      return 'continue';
    }
    // "Finished" without media: the server no longer knows the job (e.g. it restarted).
    if (look === 0)
      await runner.deps.clock.sleep(runner.deps.settings.recheckDelayMs, runner.signal);
  }
  return runner.restart(b, `task ${taskId} has no media and its creation job is gone`);
}

function processingFailed(runner: RunnerActions, b: UploadBatch, message: string): Step {
  const bad = fileNamedBy(message, runner.deps.batches.files(b.id));
  // Each round is a fresh start (a new task): bounded and spaced by the restart policy.
  const policy = runner.deps.settings.restart;
  const bounded = bad !== null && b.restarts >= policy.maxRestarts;
  const delay = restartDelay(b.restarts + 1, policy);
  if (
    bad &&
    !bounded &&
    restartWithout(runner.deps.batches, b, bad, message, runner.deps.clock.now() + delay)
  ) {
    runner.deps.hooks.activity(
      b,
      'warn',
      'batch-replan',
      `CVAT could not open ${bad.relPath} (${message}): task ${b.taskId ?? '?'} is deleted and the other files of "${b.name}" go into a new task without it in ${Math.ceil(delay / 1000)} s (fresh start ${b.restarts + 1} of at most ${policy.maxRestarts})`,
    );
    runner.deps.hooks.replanNeeded(b, bad, 'CVAT cannot open it');
    return 'stop';
  }
  const error: ErrorInfo = {
    code: 'processing-failed',
    kind: 'item',
    message: bounded
      ? gaveUpMessage(b.name, b.restarts, `CVAT could not process its media: ${message}`)
      : message
        ? `CVAT could not process the media of "${b.name}": ${message}`
        : `CVAT could not process the media of "${b.name}"`,
    retryable: false,
  };
  runner.deps.batches.transition(b.id, 'processing', 'failed', {
    lastError: error,
    attempts: b.attempts + 1,
    finishedAt: runner.deps.clock.now(),
  });
  runner.deps.hooks.activity(b, 'error', 'batch-failed', error.message);
  return 'stop';
}

/** The request is unknown (expired after finishing, or lost): the task itself must tell. */
async function afterRequestGone(
  runner: RunnerActions,
  b: UploadBatch,
  taskId: number,
): Promise<Step> {
  for (let look = 0; look < 2; look++) {
    const task = await runner.deps.api.findTask(taskId, runner.signal);
    if (task === null) return runner.restart(b, `task ${taskId} disappeared from the server`);
    if (task.size > 0) return runner.done(b, 'processing', task);
    const again = await findCreateRequest(runner.deps.api, taskId, runner.signal);
    if (again !== null && again !== b.rqId) {
      runner.deps.requests.record({
        rqId: again,
        batchId: b.id,
        taskId,
        operation: CREATE_OPERATION,
      });
      runner.deps.batches.update(b.id, 'processing', { rqId: again });
      return 'continue';
    }
    if (look === 0)
      await runner.deps.clock.sleep(runner.deps.settings.recheckDelayMs, runner.signal);
  }
  return runner.restart(b, `task ${taskId} has no media and its creation request is gone`);
}

function dataRequest(runner: RunnerActions, b: UploadBatch): DataRequest {
  const data: DataRequest = { ...b.data, image_quality: b.data.image_quality ?? 70 };
  if (data.sorting_method === 'predefined') {
    // The order names what was actually sent, under the names it has in the task.
    data.upload_file_order = runner.deps.batches
      .files(b.id)
      .filter((f) => f.state === 'sent')
      .map((f) => f.uploadName);
  }
  return data;
}
