// The engine: sync folders (watch, settle, plan), the upload queue and the results queue over one
// journal. Coordination between them happens here and nowhere else: a plan wakes the upload
// queue, a batch parked for a changed file is re-planned from its own files, a finished batch's
// files were already settled by the journal in the same transaction (Journal.completeBatch), so
// all that is left is telling the folder its counts changed. The service only adapts this object
// to the UI contract.
import type { FolderInfo } from '../model/index.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { CvatApi, Throttle } from '../cvat/api.js';
import type { BatchRow } from '../journal/batch-repo.js';
import type { FileSystem } from '../fs/file-system.js';
import type { EngineJournal } from './engine-journal.js';
import { Folders } from './folders/folders.js';
import type { AdoptDecision } from './planner/adopter.js';
import { ResultsEngine } from './results/results-engine.js';
import { UploadEngine } from './upload/upload-engine.js';
import { JobQueue } from './job-queue.js';

export interface EngineOptions {
  clock: Clock;
  /** In [0,1): backoff jitter and temporary names. */
  random: () => number;
  /** The filesystem the folders are read through (Node's when omitted). */
  fs?: FileSystem;
  /** null: the data folder has no journal yet (nothing to show, nothing to run). */
  journal: EngineJournal | null;
  logger: Logger;
  /** The signed-in server's API, or null when signed out. */
  cvat: () => CvatApi | null;
  /**
   * false: another process runs the engine on this journal; this one only reads it (no upload
   * or results queue, no folder runs).
   */
  run: boolean;
  /** Shared by uploads and results: the user's limit bounds their sum. */
  throttle: Throttle;
  uploads: {
    concurrency: number;
    chunkSize: number;
    bulkThreshold?: number;
    /** "Pause all" as saved in the settings. */
    paused: boolean;
  };
  results: { downloadsDir: string; chunkSize: number };
  /** A folder's info changed (health, counts, rule, pause). */
  onFolder: (info: FolderInfo) => void;
  /** An adopt decision was made for a batch (for the activity log). */
  onAdoptDecision?: (folderId: number, batch: BatchRow, decision: AdoptDecision) => void;
}

export interface Engine {
  readonly journal: EngineJournal | null;
  readonly folders: Folders;
  /** null when this process does not run the engine. */
  readonly uploads: UploadEngine | null;
  readonly results: ResultsEngine | null;
  /** Signed in (or out, with null): the queues get the API, the folders of that server run. */
  setApi(api: CvatApi | null): Promise<void>;
  /** Starts the queues and the saved folders of the current server. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createEngine(options: EngineOptions): Engine {
  const { clock, random, logger, journal } = options;
  const running = options.run && journal !== null;
  // One scheduler for both: a 401 holds uploads and results alike, one wake loop, one clock.
  const queue = new JobQueue(clock);
  const uploads =
    running && journal
      ? new UploadEngine({
          journal,
          api: null,
          clock,
          random,
          logger,
          queue,
          concurrency: options.uploads.concurrency,
          throttle: options.throttle,
          chunkSize: options.uploads.chunkSize,
          ...(options.uploads.bulkThreshold
            ? { bulkThreshold: options.uploads.bulkThreshold }
            : {}),
          paused: options.uploads.paused,
          // A folder's pause outlives a restart in its row.
          pausedFolders: journal.folders
            .list()
            .filter((f) => f.paused)
            .map((f) => f.id),
        })
      : null;
  const folders = new Folders({
    journal,
    clock,
    logger,
    ...(options.fs ? { fs: options.fs } : {}),
    uploads,
    emit: options.onFolder,
    api: options.cvat,
    ...(options.onAdoptDecision ? { onAdoptDecision: options.onAdoptDecision } : {}),
  });
  const results =
    running && journal
      ? new ResultsEngine({
          journal,
          api: null,
          clock,
          random,
          logger,
          queue,
          throttle: options.throttle,
          downloadsDir: options.results.downloadsDir,
          chunkSize: options.results.chunkSize,
          folderAutoExports: () => folders.autoExports(),
        })
      : null;
  if (uploads) {
    uploads.events.on('batch', (b) => {
      if (b.state === 'done' || b.state === 'cancelled') folders.batchFinished(b.folderId);
    });
    uploads.events.on('replan-needed', (r) => folders.replanParked(r.folderId));
  }
  return {
    journal,
    folders,
    uploads,
    results,
    async setApi(api) {
      uploads?.setApi(api);
      await results?.setApi(api);
      await folders.setServer(api ? api.server : null);
    },
    async start() {
      uploads?.start();
      results?.start();
      await folders.start();
    },
    async stop() {
      await folders.stop();
      await Promise.all([uploads?.stop(), results?.stop()]);
    },
  };
}
