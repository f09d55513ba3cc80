// The types a batch runner's steps share, so that the steps can live in modules of their own.
import type { BatchState } from '../../core/batch-state.js';
import type { Clock } from '../../core/clock.js';
import type { ChunkSizer } from '../../core/chunk-sizer.js';
import type { CvatApi, CvatTask, Throttle } from '../../cvat/api.js';
import type { ActivityRepo } from '../../journal/activity-repo.js';
import type { BatchFileRow } from '../../journal/batch-repo.js';
import type { DiscardRepo } from '../../journal/discard-repo.js';
import type { RequestRepo } from '../../journal/request-repo.js';
import type { UploadRepo } from '../../journal/upload-repo.js';
import type { FileSystem } from '../../fs/file-system.js';
import type { RestartPolicy } from './restart-policy.js';
import type { UploadBatch, UploadBatchRepo } from './types.js';
import type { EngineJournal } from '../engine-journal.js';
import type { TaskClaimRepo } from '../../journal/claim-repo.js';

export interface RunnerSettings {
  chunkSize: number;
  /** Files larger than this go by TUS, the rest in Upload-Multiple requests. */
  bulkThreshold: number;
  bulkBatchBytes: number;
  bulkBatchFiles: number;
  /**
   * Compare each small file's bytes, hashed as they stream into the request, with the hash the
   * plan recorded (when it recorded one).
   */
  verifyHash: boolean;
  /** Pause between two looks at a task whose creation request vanished. */
  recheckDelayMs: number;
  /** Bound and spacing of fresh starts (a new task each). */
  restart: RestartPolicy;
}

export interface RunnerHooks {
  progress(batch: UploadBatch, bytesDone: number, filesDone: number): void;
  changed(batchId: number): void;
  activity(
    batch: UploadBatch,
    level: 'info' | 'warn' | 'error',
    kind: string,
    message: string,
    hint?: string,
  ): void;
  replanNeeded(batch: UploadBatch, file: BatchFileRow, reason: string): void;
}

export interface RunnerDeps {
  api: CvatApi;
  /** Whole-operation transactions: a batch done or cancelled together with its files. */
  journal: Pick<EngineJournal, 'completeBatch' | 'cancelBatch'>;
  batches: UploadBatchRepo;
  uploads: UploadRepo;
  requests: RequestRepo;
  discards: DiscardRepo;
  /** The claim name each batch's task is created under (task-claim.ts). */
  claims: TaskClaimRepo;
  /** This journal's agent id, carried by the claim names of its tasks. */
  agentId: string;
  activity: ActivityRepo;
  clock: Clock;
  /** Where the batch's files are re-checked before and after sending. */
  fs: FileSystem;
  /** Absent: not limited. */
  throttle: Throttle | undefined;
  settings: RunnerSettings;
  hooks: RunnerHooks;
  /** Our user id on the server (cached per API), or null when unknown. */
  selfId(): Promise<number | null>;
  /** The TUS chunk size in force, shared by all uploads of the engine (one link). */
  chunkSizer: ChunkSizer;
}

/** continue: go on (next file / next step); stop: leave the batch as it is; restarted: it went back to planned. */
export type Step = 'continue' | 'stop' | 'restarted';

/** The runner's shared steps, as the step modules (TUS, bulk, processing) call them. */
export interface RunnerActions {
  readonly deps: RunnerDeps;
  readonly signal: AbortSignal;
  /** Discards the task and plans the batch again (only where the task's state is unknowable). */
  restart(b: UploadBatch, reason: string): Step;
  /** `f` changed since it was planned: the batch waits to be planned again. */
  replan(b: UploadBatch, f: BatchFileRow, reason: string): Step;
  fail(b: UploadBatch, code: string, message: string, hint?: string): Step;
  verify(b: UploadBatch, f: BatchFileRow): Promise<Step>;
  done(b: UploadBatch, from: BatchState, task: CvatTask): Promise<Step>;
  cas(b: UploadBatch, to: BatchState, patch?: { rqId?: string | null }): Step;
  sent(batchId: number): { files: number; bytes: number };
}
