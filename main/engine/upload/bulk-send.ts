// Small files sent in Upload-Multiple requests, and what a failed request leaves behind.
import { toSyncError } from '../../core/errors.js';
import type { SyncError } from '../../core/errors.js';
import type { BatchFileRow } from '../../journal/batch-repo.js';
import { isCancelled, refusedBeforeProcessing } from './outcomes.js';
import { contentChanged, firstChanged } from './plan-checks.js';
import type { GroupCheck } from './plan-checks.js';
import type { RunnerActions, Step } from './runner-types.js';
import { requireTask } from './task-lookup.js';
import type { UploadBatch } from './types.js';

export async function sendBulk(
  runner: RunnerActions,
  b: UploadBatch,
  group: BatchFileRow[],
  checked: GroupCheck,
): Promise<Step | 'too-large'> {
  const taskId = requireTask(b);
  const changed = await checked.result;
  if (changed !== null) return runner.replan(b, changed.file, changed.reason);
  const bytes = group.reduce((s, f) => s + f.size, 0);
  const partId = runner.deps.uploads.bulkBegin(
    b.id,
    taskId,
    group.map((f) => f.id),
    bytes,
  );
  const before = runner.sent(b.id);
  let sent: { sha256: string[] };
  let sentWhole = false;
  try {
    sent = await runner.deps.api.uploadMultiple(
      taskId,
      group.map((f) => ({ path: f.absPath, name: f.uploadName, size: f.size })),
      {
        signal: runner.signal,
        throttle: runner.deps.throttle,
        imageQuality: b.data.image_quality ?? 70,
        onProgress: (done) => runner.deps.hooks.progress(b, before.bytes + done, before.files),
        onBodySent: () => {
          sentWhole = true;
          runner.deps.uploads.bulkBodySent(partId);
        },
      },
    );
  } catch (e) {
    // Aborted: the part stays open; its body_sent_at tells the next run what CVAT can have.
    if (isCancelled(e)) throw e;
    return bulkFailed(runner, b, partId, sentWhole, toSyncError(e, 'Upload-Multiple'));
  }
  // The bytes are read once, as they stream out, so a file changed in place (same size and
  // mtime) shows only now, with its changed bytes already stored in the task. The part stays
  // open and re-planning discards the task: Upload-Finish is never called on those bytes, and
  // a crash before the re-plan is recorded finds the open part and discards the task as well.
  const altered = runner.deps.settings.verifyHash ? contentChanged(group, sent.sha256) : null;
  if (altered !== null)
    return runner.replan(
      b,
      altered,
      'its content changed after it was planned (seen while sending)',
    );
  const after = await firstChanged(runner.deps.fs, group);
  if (after !== null) return runner.replan(b, after.file, after.reason);
  runner.deps.uploads.bulkDone(partId);
  runner.deps.hooks.progress(b, before.bytes + bytes, before.files + group.length);
  return 'continue';
}

/** What a failed Upload-Multiple request leaves behind, and what to do about it. */
function bulkFailed(
  runner: RunnerActions,
  b: UploadBatch,
  partId: number,
  sentWhole: boolean,
  err: SyncError,
): Step | 'too-large' {
  if (refusedBeforeProcessing(err)) {
    runner.deps.uploads.bulkForget(partId);
    if (err.status === 413) return 'too-large';
    throw err;
  }
  if (err.status !== undefined && err.status >= 400 && err.status < 500) {
    // Refused by validation (DataSerializer) before anything was stored: the same request
    // would be refused again, and so would a new task's. The batch stops and says why.
    runner.deps.uploads.bulkForget(partId);
    return runner.fail(
      b,
      'bulk-refused',
      `CVAT refused the Upload-Multiple request of "${b.name}" (${err.message}); sending it again would fail the same way`,
      err.hint,
    );
  }
  // A file that changed while it was read: the body never went out whole, so nothing is on
  // the server; the next step forgets the part and the plan check sees the change.
  if (err.code === 'file-changed' && !sentWhole) return 'continue';
  // Cut before the body went out whole (nothing on the server), or a lost answer after a whole
  // body (ambiguous): the open part is settled on the next attempt, after a backoff.
  throw err;
}
