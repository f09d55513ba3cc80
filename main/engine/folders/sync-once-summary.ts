// What `cvat-sync sync DIR --once` reports: the tasks of this run, how many files went up, were
// adopted, already uploaded, failed or left out, and why each left-out file was left out.
import type { IgnoredFile } from '../../../preload/contract.js';
import { isTerminal } from '../../core/batch-state.js';
import { describeIgnore } from '../../core/ignore-reason.js';
import type { BatchFileRow, BatchRow } from '../../journal/batch-repo.js';
import type { FileCounts, FileRow } from '../../journal/file-repo.js';

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
