// The planner's only door into the upload engine's batches (journal/batch-repo.ts).
import type { DataRequest } from '../../cvat/api.js';
import type {
  BatchFileRow,
  BatchRepo,
  NewBatch as GenericNewBatch,
} from '../../journal/batch-repo.js';
import type { BatchTaskSpec } from './task-spec.js';

export type NewBatch = GenericNewBatch<BatchTaskSpec, DataRequest>;

export interface BatchSink {
  /** Idempotent on (folderId, key); returns the batch id. */
  insertPlanned(b: NewBatch): number;
  /** Planned batches of the folder that the engine parked for re-planning. */
  parked(folderId: number): number[];
  /** New files and spec for a parked batch; false when it left 'planned' meanwhile. */
  replan(id: number, b: Omit<NewBatch, 'folderId' | 'key'>): boolean;
  /** A parked batch left with no file: cancel it. */
  cancelPlanned(id: number): boolean;
  /** The batch's files as the engine last recorded them (skip marks included). */
  files(id: number): BatchFileRow[];
}

export function batchRepoSink(repo: BatchRepo<BatchTaskSpec, DataRequest>): BatchSink {
  return {
    insertPlanned: (b) => repo.insertPlanned(b),
    parked: (folderId) =>
      repo
        .list({ folderId, states: ['planned'] })
        .filter((b) => b.replanReason !== null)
        .map((b) => b.id),
    replan: (id, b) => repo.replan(id, b),
    cancelPlanned: (id) => repo.finishCancel(id, 'planned'),
    files: (id) => repo.files(id),
  };
}
