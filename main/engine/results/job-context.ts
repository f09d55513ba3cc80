// What a running results job may use. Jobs are driven by the row's fields alone (rq_id,
// result_url, .part path, TUS Location), never by the state it was left in, so that a job
// interrupted anywhere (crash, pause, stop) continues from the journal.
import type { Clock } from '../../core/clock.js';
import type { CvatApi, Throttle } from '../../cvat/api.js';
import type { TransferPatch, TransferRow } from '../../journal/download-repo.js';
import type { FileSystem } from '../../fs/file-system.js';

export interface JobContext {
  api: CvatApi;
  clock: Clock;
  signal: AbortSignal;
  throttle: Throttle | undefined;
  /** The disk results are written to and imports read from. */
  fs: FileSystem;
  /** TUS chunk size for imports. */
  chunkSize: number;
  /** How often an expired result may be requested again before the transfer fails. */
  maxRerequests: number;
  poll: { minDelayMs?: number; maxDelayMs?: number };
  /** Persists a change of the running row and publishes it; throws when the row was taken away. */
  update(patch: TransferPatch): TransferRow;
  /** Publishes progress; persisted now and then, not on every chunk. */
  progress(bytesDone: number, bytesTotal: number | null, speedBps: number): void;
  partsInUse(): ReadonlySet<string>;
  /** A short random tag for temp names. */
  tag(): string;
}
