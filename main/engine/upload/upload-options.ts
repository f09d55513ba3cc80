// The upload engine's options and the runner settings and chunk sizing they make.
import type { Clock } from '../../core/clock.js';
import { ChunkSizer, DEFAULT_CHUNK_SIZER } from '../../core/chunk-sizer.js';
import type { ChunkSizerOptions } from '../../core/chunk-sizer.js';
import type { Logger } from '../../core/logger.js';
import type { BackoffPolicy } from '../../core/retry.js';
import type { CvatApi, Throttle } from '../../cvat/api.js';
import type { EngineJournal } from '../engine-journal.js';
import type { JobQueue } from '../job-queue.js';
import type { RunnerSettings } from './batch-runner.js';
import type { FileSystem } from '../../fs/file-system.js';
import { DEFAULT_RESTART_POLICY } from './restart-policy.js';
import type { RestartPolicy } from './restart-policy.js';

const MiB = 1024 * 1024;

export interface UploadEngineOptions {
  journal: EngineJournal;
  /** null until the user has signed in. */
  api: CvatApi | null;
  clock: Clock;
  /** In [0,1): backoff jitter. */
  random: () => number;
  logger?: Logger;
  /** Where planned files are re-checked (default: the real disk). */
  fs?: FileSystem;
  /**
   * The scheduler to run in, shared with the results engine so that a rejected credential holds
   * both. Absent: the engine has a queue of its own.
   */
  queue?: JobQueue;
  /** Batches uploading at the same time (default 2). */
  concurrency?: number;
  /**
   * The bandwidth limit of every request body. The service passes the one it shares with the
   * results engine, so that uploads and downloads together stay within the user's setting.
   * Absent: uploads are not limited.
   */
  throttle?: Throttle;
  /**
   * Largest TUS chunk (default 64 MiB). Chunks start at 8 MiB (or this, when smaller) and grow
   * toward it while the link is healthy (core/chunk-sizer.ts): a kill costs at most the chunk in
   * flight, since CVAT keeps nothing of a cut PATCH. See tests/bench/upload.ts.
   */
  chunkSize?: number;
  /** Chunk sizing; false: always `chunkSize`. */
  adaptiveChunks?: Partial<ChunkSizerOptions> | false;
  /** Files above this size go by TUS (default 100 MiB, as cvat-core). */
  bulkThreshold?: number;
  /** Bound of one Upload-Multiple request in bytes (default 100 MiB, as cvat-core) ... */
  bulkBatchBytes?: number;
  /** ... and in files (default 1000). */
  bulkBatchFiles?: number;
  verifyHash?: boolean;
  backoff?: BackoffPolicy;
  /**
   * Fresh starts of one batch (each a new task) before it is marked failed, and their spacing
   * (default: 5, from 2 s doubling to at most 10 min; restart-policy.ts).
   */
  restartPolicy?: Partial<RestartPolicy>;
  /** How often to look for newly planned batches when nobody calls wake() (default 2 s). */
  pollMs?: number;
  /** Initial pause state (the service persists it). */
  paused?: boolean;
  pausedFolders?: number[];
}

export function runnerSettings(opts: UploadEngineOptions): RunnerSettings {
  return {
    chunkSize: opts.chunkSize ?? 64 * MiB,
    bulkThreshold: opts.bulkThreshold ?? 100 * MiB,
    bulkBatchBytes: opts.bulkBatchBytes ?? 100 * MiB,
    bulkBatchFiles: opts.bulkBatchFiles ?? 1000,
    verifyHash: opts.verifyHash ?? true,
    recheckDelayMs: 5_000,
    restart: { ...DEFAULT_RESTART_POLICY, ...opts.restartPolicy },
  };
}

/** One sizer for all uploads of the engine: they share one link. */
export function chunkSizerFor(opts: UploadEngineOptions): ChunkSizer {
  const maxChunk = opts.chunkSize ?? 64 * MiB;
  return new ChunkSizer(
    opts.adaptiveChunks === false
      ? { minBytes: maxChunk, maxBytes: maxChunk, targetMs: 1 }
      : { ...DEFAULT_CHUNK_SIZER, maxBytes: maxChunk, ...opts.adaptiveChunks },
  );
}
