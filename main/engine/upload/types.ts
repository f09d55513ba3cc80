// The journal stores batch specs as JSON; the engine knows their shape.
import type { DataRequest, TaskCreateSpec } from '../../cvat/api.js';
import type { BatchRepo, BatchRow, NewBatch } from '../../journal/batch-repo.js';

/** POST /api/tasks without the name (the batch's name is the task name). */
export type BatchTaskSpec = Omit<TaskCreateSpec, 'name'>;
export type UploadBatch = BatchRow<BatchTaskSpec, DataRequest>;
export type NewUploadBatch = NewBatch<BatchTaskSpec, DataRequest>;
export type UploadBatchRepo = BatchRepo<BatchTaskSpec, DataRequest>;
