// An Upload-Multiple request found without an answer (after a crash, an abort or a lost
// connection). CVAT acts on a request only once its whole body arrived (Django reads the body
// before the view runs), so the journal's body_sent_at splits two cases:
//
// - the body never went out whole: CVAT kept nothing; the files are sent again into the same task.
// - the body went out whole and the answer was lost: ambiguous. CVAT registers every name of
//   an Upload-Multiple request in one transaction before writing (TaskViewSet.append_files,
//   @transaction.atomic + bulk_create of ClientFile rows, unique per task), so the request
//   landed whole or not at all. Sending the same request again settles it: 200 means the first
//   never landed and this one did; 500 (the IntegrityError of a name already registered) means
//   the first landed, and the second stored nothing. Before processing no read of the task shows
//   which names it holds, so this answer is the only evidence there is. A crash during the
//   re-send leaves the same question, and the same re-send answers it again.
import { toSyncError } from '../../core/errors.js';
import type { BulkPartRow } from '../../journal/upload-repo.js';
import type { RunnerDeps } from './batch-runner.js';
import { isCancelled } from './outcomes.js';
import type { UploadBatch } from './types.js';

const MiB = 1024 * 1024;

function size(bytes: number): string {
  return bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${bytes} bytes`;
}

/**
 * Brings an open part to an end: forgotten (its files pending again) or done. Throws when the
 * re-send of an ambiguous part itself fails; the part stays open for the next attempt.
 */
export async function settleOpenPart(
  d: RunnerDeps,
  b: UploadBatch,
  part: BulkPartRow,
  signal: AbortSignal,
): Promise<void> {
  if (part.bodySentAt === null) {
    d.uploads.bulkForget(part.id);
    d.batches.countRecovery(b.id, { resends: 1, resentBytes: part.bytes });
    d.hooks.activity(
      b,
      'info',
      'bulk-resend',
      `${part.files} files (${size(part.bytes)}) are sent again into task ${part.taskId}: their ` +
        'Upload-Multiple request was cut before its body went out whole, so CVAT kept nothing of it',
    );
    return;
  }
  if (part.state === 'sending') {
    // First time this lost answer is looked at (live or after a crash): count it once.
    d.batches.countRecovery(b.id, { ambiguous: 1 });
    d.uploads.bulkUnknown(part.id, {
      code: 'answer-lost',
      kind: 'transient',
      message: 'the whole body went out and no answer came back',
      retryable: true,
    });
  }
  const ids = new Set(d.uploads.bulkPartFiles(part.id));
  const files = d.batches.files(b.id).filter((f) => ids.has(f.id));
  d.batches.countRecovery(b.id, { resends: 1, resentBytes: part.bytes });
  let landedBefore: boolean;
  try {
    await d.api.uploadMultiple(
      part.taskId,
      files.map((f) => ({ path: f.absPath, name: f.uploadName, size: f.size })),
      { signal, throttle: d.throttle },
    );
    landedBefore = false;
  } catch (e) {
    if (isCancelled(e)) throw e;
    if (toSyncError(e, 'Upload-Multiple').status !== 500) throw e;
    landedBefore = true;
  }
  d.uploads.bulkDone(part.id);
  d.hooks.activity(
    b,
    'info',
    'bulk-answer-settled',
    landedBefore
      ? `The answer to an Upload-Multiple request of ${part.files} files was lost; sending it ` +
          `again answered 500, as CVAT does for names already in task ${part.taskId}: the first ` +
          'request had landed, and the task is kept'
      : `The answer to an Upload-Multiple request of ${part.files} files was lost; sending it ` +
          `again was accepted, so the first had not landed: the files are now in task ${part.taskId} once`,
  );
}
