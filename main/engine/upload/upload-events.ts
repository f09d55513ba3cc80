// What the upload engine tells the service: batches as shown, progress, activity, status.
import type { ErrorInfo } from '../../core/errors.js';
import type { ActivityRow } from '../../journal/activity-repo.js';
import type { UploadBatch } from './types.js';

/** 'server': the batch belongs to another server or organization than the one signed in. */
export type PausedBy = 'batch' | 'folder' | 'all' | 'auth' | 'no-api' | 'server' | null;

/** A batch as the service shows it. */
export interface BatchView extends UploadBatch {
  active: boolean;
  pausedBy: PausedBy;
}

export interface UploadProgress {
  batchId: number;
  folderId: number | null;
  taskId: number | null;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

/** Where a batch stands, as progress events and the transfers view both show it. */
export function batchCounts(
  b: Pick<UploadBatch, 'folderId' | 'taskId' | 'bytesTotal' | 'filesTotal'>,
  bytesDone: number,
  filesDone: number,
): Omit<UploadProgress, 'batchId'> {
  return {
    folderId: b.folderId,
    taskId: b.taskId,
    bytesDone,
    bytesTotal: b.bytesTotal,
    filesDone,
    filesTotal: b.filesTotal,
  };
}

/** An entry the engine wrote to the activity log, as stored (null batchId: about the queue). */
export interface UploadActivity {
  entry: ActivityRow;
  batchId: number | null;
}

export interface ReplanRequest {
  batchId: number;
  folderId: number | null;
  fileId: number | null;
  relPath: string;
  reason: string;
}

export interface EngineStatus {
  paused: boolean;
  pausedFolders: number[];
  /** Set while the server rejects our credentials: nothing runs until setApi(). */
  authError: ErrorInfo | null;
  active: number;
  concurrency: number;
}

export type UploadEvents = {
  batch: BatchView;
  progress: UploadProgress;
  activity: UploadActivity;
  'replan-needed': ReplanRequest;
  'auth-required': { error: ErrorInfo };
  status: EngineStatus;
};

/** The activity log's transfer id of a batch. */
export function batchTransferId(batchId: number): string {
  return `upload:${batchId}`;
}
