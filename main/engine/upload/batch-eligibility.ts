// Which batches may run now, and what holds back the others (as shown on each batch).
import { isTerminal } from '../../core/batch-state.js';
import type { CvatApi } from '../../cvat/api.js';
import type { UploadBatch } from './types.js';
import type { PausedBy } from './upload-events.js';

/** Batch states a runner may still move (failed: only to delete its task on cancel). */
export const CANDIDATE_STATES = [
  'planned',
  'creating',
  'created',
  'started',
  'sending',
  'finishing',
  'processing',
  'failed',
] as const;

export interface QueueState {
  api: CvatApi | null;
  pausedAll: boolean;
  pausedFolders: ReadonlySet<number>;
  /** The queue is held by a fatal error. */
  held: boolean;
}

/** Whether `b` may run on `api`: its server, and its organization when it names one. */
export function belongsTo(b: UploadBatch, api: CvatApi): boolean {
  if (b.server === '') return true;
  return b.server === api.server && (b.org === null || b.org === (api.org ?? ''));
}

export function pausedBy(b: UploadBatch, q: QueueState): PausedBy {
  if (b.paused) return 'batch';
  if (b.folderId !== null && q.pausedFolders.has(b.folderId)) return 'folder';
  if (q.pausedAll) return 'all';
  if (q.held) return 'auth';
  if (q.api === null) return 'no-api';
  if (!belongsTo(b, q.api)) return 'server';
  return null;
}

/** A batch that may run when its time comes (a requested cancel runs whatever pauses it). */
export function isCandidate(b: UploadBatch, q: QueueState): boolean {
  // A cancel needs the server only to find a creation whose outcome is unknown.
  if (b.cancelRequested) return b.state !== 'creating' || (q.api !== null && belongsTo(b, q.api));
  if (isTerminal(b.state) || b.replanReason !== null) return false;
  return pausedBy(b, q) === null;
}
