// The results engine's options and events.
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { BackoffPolicy } from '../../core/retry.js';
import type { CvatApi, Throttle } from '../../cvat/api.js';
import type { ActivityRow } from '../../journal/activity-repo.js';
import type { Journal } from '../../journal/journal.js';
import type { TransferRow } from '../../journal/download-repo.js';
import type { JobQueue } from '../job-queue.js';
import type { FolderAutoExport } from './auto-exporter.js';
import type { FileSystem } from '../../fs/file-system.js';

export type ResultsEvents = {
  /** A transfer row changed (state, progress, error). */
  transfer: TransferRow;
  /** An entry was added to the activity log. */
  activity: ActivityRow;
};

export interface ResultsEngineOptions {
  journal: Pick<Journal, 'db' | 'transfers' | 'activity' | 'autoExports'>;
  api: CvatApi | null;
  clock: Clock;
  /** [0,1): backoff jitter and temp names. */
  random: () => number;
  logger?: Logger;
  /**
   * The scheduler to run in, shared with the upload engine so that a rejected credential holds
   * both. Absent: the engine has a queue of its own.
   */
  queue?: JobQueue;
  /** Shared bandwidth limit (the upload engine's token bucket). */
  throttle?: Throttle;
  /** Where exports go when the request names no destination. */
  downloadsDir: string;
  /** Transfers running at once (default 2). */
  concurrency?: number;
  /** TUS chunk size for restores and imports (default 16 MiB). */
  chunkSize?: number;
  /** Retries of transient failures (network, 5xx, interrupted downloads). */
  backoff?: BackoffPolicy;
  /** Re-requests of an expired export before giving up (default 3). */
  maxRerequests?: number;
  /** Passed to CvatApi.waitForRequest. */
  poll?: { minDelayMs?: number; maxDelayMs?: number };
  /** The disk results are written to and imports read from (default: the real one). */
  fs?: FileSystem;
  /** Sync folders with an auto-export rule, from the folders table and their batches' task ids. */
  folderAutoExports?: () => FolderAutoExport[];
  /** How often auto-export rules are checked (default 60 s). */
  autoExportIntervalMs?: number;
}

/** Longer than the upload engine's: a results transfer waits out most server trouble. */
export const RESULTS_BACKOFF: BackoffPolicy = {
  baseMs: 2_000,
  maxMs: 120_000,
  jitter: 0.5,
  maxAttempts: 10,
};
