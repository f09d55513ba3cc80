// One bad file does not sink its batch. CVAT fails a whole task when one of its files cannot be
// opened: PIL's UnidentifiedImageError for an image, PyAV's InvalidDataError for a video (CVAT's
// cvat/apps/engine/task.py reads every uploaded file from the task's raw upload folder, and the
// message names that path). When the message names a file of the batch, the batch starts over
// without it: its failed task (ours, and it holds nothing usable) is queued for deletion, the
// file is marked for the planner to set aside as 'unreadable' with CVAT's message, and the
// other files are planned again into a new task. Each round is a fresh start, counted against
// the batch's restart bound and spaced by its growing delay (restart-policy.ts), as any other
// new task for a batch; a message that names no file of the batch fails the batch as before.
import type { BatchFileRow } from '../../journal/batch-repo.js';
import type { UploadBatch, UploadBatchRepo } from './types.js';

/** batch_files.skip_reason of a file CVAT could not open; CVAT's message follows. */
export const UNREADABLE_SKIP = 'unreadable: ';

/** The quoted paths CVAT's "cannot open" messages end with (PIL, then PyAV/FFmpeg). */
const NAMED_FILE = [
  /cannot identify image file '([^']+)'/,
  /Invalid data found when processing input: '([^']+)'/,
];

/** The file of `files` that CVAT's failure `message` says it could not open, or null. */
export function fileNamedBy(message: string, files: BatchFileRow[]): BatchFileRow | null {
  for (const pattern of NAMED_FILE) {
    const path = pattern.exec(message)?.[1];
    if (path === undefined) continue;
    // The path is the task's raw upload folder followed by the name the file was sent under.
    const raw = /\/raw\/(.+)$/.exec(path)?.[1] ?? path;
    return (
      files.find((f) => f.uploadName === raw && f.state !== 'skipped') ??
      files.find((f) => raw.endsWith(`/${f.uploadName}`) && f.state !== 'skipped') ??
      null
    );
  }
  return null;
}

/**
 * Starts `batch` (in 'processing', its task failed) over without `bad`; false when the batch
 * moved meanwhile or no planner can re-plan it. The task goes to the discard queue with the
 * restart.
 */
export function restartWithout(
  batches: UploadBatchRepo,
  batch: UploadBatch,
  bad: BatchFileRow,
  message: string,
  notBefore: number,
): boolean {
  // Only the folder planner re-plans a batch: one with no folder (or a file it did not plan)
  // would wait for it for ever, so it fails as before.
  if (batch.folderId === null || bad.fileId === null) return false;
  // One transaction: a crash in between can never leave the batch to be re-planned with the
  // file CVAT could not open still in it.
  return batches.restart(batch.id, 'processing', {
    reason: `CVAT could not open ${bad.relPath}`,
    countRestart: true,
    notBefore,
    replanReason: `${bad.relPath}: CVAT cannot open it`,
    skip: { fileRowId: bad.id, reason: `${UNREADABLE_SKIP}${message}` },
  });
}

/** Files of a parked batch that CVAT could not open: their files-table ids and CVAT's message. */
export function unreadableOf(
  batchFiles: BatchFileRow[],
): Array<{ fileId: number; relPath: string; message: string }> {
  return batchFiles
    .filter((f) => f.state === 'skipped' && f.skipReason?.startsWith(UNREADABLE_SKIP))
    .flatMap((f) =>
      f.fileId === null
        ? []
        : [
            {
              fileId: f.fileId,
              relPath: f.relPath,
              message: (f.skipReason ?? '').slice(UNREADABLE_SKIP.length),
            },
          ],
    );
}
