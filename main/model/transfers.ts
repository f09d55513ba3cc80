// Transfers: uploads, downloads, restores and imports, as queued and shown.
import type { ContractError } from './errors.js';

export type TransferKind = 'upload' | 'download' | 'restore' | 'import';

export type TransferState =
  'queued' | 'active' | 'processing' | 'paused' | 'waiting-retry' | 'done' | 'failed' | 'cancelled';

/** How far a transfer has got, in bytes and files. */
export interface TransferCounts {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

export interface Transfer extends TransferCounts {
  id: string;
  kind: TransferKind;
  title: string;
  state: TransferState;
  /** Finer step, e.g. 'creating', 'sending', 'processing' for uploads; 'exporting' for downloads. */
  stage: string | null;
  folderId: number | null;
  taskId: number | null;
  speedBps: number;
  etaSeconds: number | null;
  error: ContractError | null;
  attempts: number;
  nextAttemptAt: number | null;
  /** Uploads: what recovering from interruptions cost (absent for other kinds). */
  recovery?: TransferRecovery;
  /** Local file written by a download. */
  destination: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface TransferRecovery {
  /** Requests sent again into the same task (they had been cut before CVAT could act). */
  resends: number;
  resentBytes: number;
  /** Answers lost after a whole request went out (each settled by sending it again). */
  ambiguousEvents: number;
  /** Tasks deleted because their state could not be known, and fresh starts made. */
  discardedTasks: number;
  restarts: number;
}

export interface TransferQuery {
  kinds?: TransferKind[];
  states?: TransferState[];
  limit?: number;
}

export interface TransferTotals {
  active: number;
  queued: number;
  failed: number;
  bytesDone: number;
  bytesTotal: number;
  speedBps: number;
}
