// One running results transfer: the context its job works with (journal updates that fail once
// the job was interrupted, progress persisted now and then) and what its row says at the start
// and at the end.
import type { Clock } from '../../core/clock.js';
import { abortError } from '../../core/clock.js';
import type { CvatApi, Throttle } from '../../cvat/api.js';
import type { ResultsState, TransferPatch, TransferRow } from '../../journal/download-repo.js';
import type { JobContext } from './job-context.js';
import type { FileSystem } from '../../fs/file-system.js';
import { titleOf } from './transfer-view.js';

const PERSIST_EVERY_MS = 1_000;

/** What the engine keeps of a running transfer besides its row. */
export interface LiveTransfer {
  speedBps: number;
  lastPersistAt: number;
  /** Moved forward since it started: a failure then starts a fresh count of attempts. */
  progressed: boolean;
}

export interface TransferJobDeps {
  clock: Clock;
  throttle: Throttle | undefined;
  fs: FileSystem;
  chunkSize: number;
  maxRerequests: number;
  poll: { minDelayMs?: number; maxDelayMs?: number };
  /** Compare-and-set of the running row; null when it is no longer running. */
  change(patch: TransferPatch): TransferRow | null;
  /** Publishes a row without writing it. */
  publish(row: TransferRow): void;
  current(): TransferRow | null;
  partsInUse(): ReadonlySet<string>;
  tag(): string;
}

export function jobContext(
  api: CvatApi,
  signal: AbortSignal,
  live: LiveTransfer,
  deps: TransferJobDeps,
): JobContext {
  return {
    api,
    clock: deps.clock,
    signal,
    throttle: deps.throttle,
    fs: deps.fs,
    chunkSize: deps.chunkSize,
    maxRerequests: deps.maxRerequests,
    poll: deps.poll,
    update: (patch) => {
      if (signal.aborted) throw abortError();
      const row = deps.change(patch);
      if (!row) throw abortError();
      return row;
    },
    progress: (bytesDone, bytesTotal, speedBps) => {
      live.speedBps = speedBps;
      live.progressed = true;
      const now = deps.clock.now();
      const last = bytesTotal !== null && bytesDone >= bytesTotal;
      if (!last && now - live.lastPersistAt < PERSIST_EVERY_MS) {
        const row = deps.current();
        if (row) deps.publish({ ...row, bytesDone, bytesTotal: bytesTotal ?? row.bytesTotal });
        return;
      }
      live.lastPersistAt = now;
      deps.change({ bytesDone, bytesTotal });
    },
    partsInUse: deps.partsInUse,
    tag: deps.tag,
  };
}

/** The state a job starts in, from what the row already holds. */
export function firstState(row: TransferRow): ResultsState {
  if (row.kind === 'download') return row.resultUrl === null ? 'exporting' : 'downloading';
  return row.rqId === null ? 'uploading' : 'processing';
}

export function doneMessage(row: TransferRow): string {
  switch (row.kind) {
    case 'download':
      return `${titleOf(row)}: saved to ${row.extractedPath ?? row.finalPath}`;
    case 'restore':
      return `${titleOf(row)}: task ${row.resultId} created`;
    case 'import':
      return `${titleOf(row)}: done`;
  }
}
