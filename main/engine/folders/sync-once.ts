// `cvat-sync sync DIR --once`: waiting for the run's batches, then what it reports: the tasks of this run, how many files went up, were
// adopted, already uploaded, failed or left out, and why each left-out file was left out.
import type { IgnoredFile } from '../../../preload/contract.js';
import { isTerminal } from '../../core/batch-state.js';
import type { Clock } from '../../core/clock.js';
import { SyncError } from '../../core/errors.js';
import type { AbortSignalLike } from '../../core/signal.js';
import { describeIgnore } from '../../core/ignore-reason.js';
import type { BatchFileRow, BatchRow } from '../../journal/batch-repo.js';
import type { FileCounts, FileRow } from '../../journal/file-repo.js';
import type { UploadEngine } from '../upload/upload-engine.js';

export interface SyncOnceTask {
  batchId: number;
  taskId: number | null;
  name: string;
  files: number;
  state: string;
  error: string | null;
}

export interface SyncOnceSummary {
  folderId: number;
  tasks: SyncOnceTask[];
  uploadedFiles: number;
  /** Files of tasks already on the server, recorded as done without uploading (--adopt-existing). */
  adoptedFiles: number;
  alreadyUploaded: number;
  failedFiles: number;
  pendingFiles: number;
  ignored: number;
  /** Every file not in CVAT after the run (ignored or failed), with its reason. */
  leftOut: IgnoredFile[];
  /** How many of them were left out for a problem, not by the user's own choice. */
  leftOutProblems: number;
}

/**
 * Left out on purpose: the rule, hidden or partial files, content already uploaded, files that
 * are not media at all (a README beside the images), uploads the user cancelled.
 */
const BY_CHOICE = new Set([
  'excluded',
  'not-included',
  'hidden',
  'partial-download',
  'duplicate',
  'unsupported-type',
  'cancelled',
]);

export interface SyncOnceInput {
  folderId: number;
  /** The batches of this run (those done before it are left out). */
  batches: BatchRow[];
  counts: FileCounts | null;
  /** The folder's ignored and failed files. */
  ignored: FileRow[];
  /** Batches recorded as done with a task already on the server. */
  adopted: ReadonlySet<number>;
  filesOf: (batchId: number) => BatchFileRow[];
}

export function summarizeSyncOnce(input: SyncOnceInput): SyncOnceSummary {
  const { batches, adopted, folderId } = input;
  const counts = input.counts ?? { files: 0, uploaded: 0, pending: 0, ignored: 0, failed: 0 };
  const rows = input.ignored;
  // A failed batch's files are left out too, with the batch's error as their reason.
  const failedBatchRows = batches
    .filter((b) => b.state === 'failed')
    .flatMap((b) =>
      input.filesOf(b.id).map((f) => ({
        path: f.relPath,
        reason: `its task failed: ${b.lastError?.message ?? 'unknown error'}`,
      })),
    );
  const listed = new Set(rows.map((r) => r.relPath));
  const leftOut = [
    ...rows.map((f) => ({
      path: f.relPath,
      reason: describeIgnore(f.reason ?? 'unknown', f.detail),
    })),
    ...failedBatchRows.filter((f) => !listed.has(f.path)),
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const uploadedFiles = batches
    .filter((b) => b.state === 'done' && !adopted.has(b.id))
    .reduce((s, b) => s + b.filesTotal, 0);
  const adoptedFiles = batches
    .filter((b) => b.state === 'done' && adopted.has(b.id))
    .reduce((s, b) => s + b.filesTotal, 0);
  const failedBatchFiles = batches
    .filter((b) => b.state === 'failed')
    .reduce((s, b) => s + b.filesTotal, 0);
  const openFiles = batches
    .filter((b) => !isTerminal(b.state))
    .reduce((s, b) => s + b.filesTotal, 0);
  return {
    folderId,
    tasks: batches.map((b) => ({
      batchId: b.id,
      taskId: b.taskId,
      name: b.name,
      files: b.filesTotal,
      state: b.state,
      error: b.lastError?.message ?? null,
    })),
    uploadedFiles,
    adoptedFiles,
    alreadyUploaded: Math.max(0, counts.uploaded - uploadedFiles - adoptedFiles),
    failedFiles: Math.max(counts.failed, failedBatchFiles),
    pendingFiles: Math.max(counts.pending, openFiles),
    ignored: counts.ignored,
    leftOut,
    leftOutProblems:
      rows.filter((r) => !BY_CHOICE.has(r.reason ?? '')).length +
      failedBatchRows.filter((f) => !listed.has(f.path)).length,
  };
}

export interface SyncOnceRun {
  uploads: UploadEngine;
  /** The folder's batches not yet done, failed or cancelled. */
  open: () => BatchRow[];
  /** A targeted pass over the folder's parked batches (files changed after planning). */
  replanParked: () => Promise<unknown>;
  clock: Clock;
  signal?: AbortSignalLike;
}

/** Waits until every batch of the run is terminal; a pause or a rejected sign-in ends it early. */
export async function waitForBatches(run: SyncOnceRun): Promise<void> {
  const { uploads, signal } = run;
  for (;;) {
    if (signal?.aborted) return;
    const open = run.open();
    if (open.length === 0) return;
    if (uploads.status().paused) {
      throw new SyncError('Uploads are paused (Pause all); nothing is sent until they resume.', {
        code: 'paused',
        kind: 'fatal',
        hint: 'Run `cvat-sync resume` (or Resume in the app or the daemon’s web page), then run the command again.',
      });
    }
    const auth = uploads.status().authError;
    if (auth) {
      throw new SyncError(auth.message, {
        code: auth.code,
        kind: 'fatal',
        ...(auth.hint ? { hint: auth.hint } : {}),
        ...(auth.status !== undefined ? { status: auth.status } : {}),
      });
    }
    if (open.every((b) => b.replanReason !== null)) {
      // Files changed after planning: re-plan those batches from their files, then continue.
      await run.replanParked();
    }
    const idle = uploads.idle();
    const aborted = new Promise<void>((resolve) =>
      signal?.addEventListener('abort', () => resolve(), { once: true }),
    );
    await Promise.race([idle, aborted]);
    // idle() also resolves while a retry waits for its time: look again after a short pause.
    await run.clock.sleep(500).catch(() => undefined);
  }
}
