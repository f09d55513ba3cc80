// The journal: one SQLite file, each repository built once over it, and the operations that span
// several tables as single transactions. A record that depends on another (a file's state on its
// batch's, a ledger entry's task on the batch's task) is written in the same transaction as the
// record it depends on, so no event or later pass has to bring the two back in line.
import type { BatchState } from '../core/batch-state.js';
import type { Clock } from '../core/clock.js';
import { uniqueTaskName } from '../core/name-template.js';
import { ActivityRepo } from './activity-repo.js';
import { AutoExportRepo } from './auto-export-repo.js';
import type { NewBatchFile } from './batch-repo.js';
import { BatchRepo } from './batch-repo.js';
import { ContentLedgerRepo } from './content-ledger-repo.js';
import type { Db, OpenOptions } from './database.js';
import { inTransaction, openJournal } from './database.js';
import { DiscardRepo } from './discard-repo.js';
import { TransferRepo } from './download-repo.js';
import { FileRepo } from './file-repo.js';
import { FolderRepo } from './folder-repo.js';
import { PlanRepo } from './plan-repo.js';
import { RequestRepo } from './request-repo.js';
import { SettingsRepo } from './settings-repo.js';
import { UploadRepo } from './upload-repo.js';

/** One group of stable files to become a batch (the planner's decision, not yet numbered). */
export interface BatchPlan<Task, Data> {
  folderId: number;
  /** The group the batch comes from: 'count' batches are numbered by the folder's counter. */
  groupKey: string;
  /** Content ledger target (server, organization, project or labels). */
  targetKey: string;
  /** The task name for the batch's index (the rule's template); made unique in the folder here. */
  nameFor: (index: number) => string;
  task: Task;
  data: Data;
  files: NewBatchFile[];
  plannedAt: number;
}

export interface PlannedBatchRecord {
  batchId: number;
  key: string;
  name: string;
  files: number;
  bytes: number;
}

/** What the server reported for a task that holds all of a batch's media. */
export interface CompletedTask {
  id: number;
  size: number;
  jobCount: number;
}

export class Journal<Task = unknown, Data = unknown> {
  readonly activity: ActivityRepo;
  readonly autoExports: AutoExportRepo;
  readonly batches: BatchRepo<Task, Data>;
  readonly contentLedger: ContentLedgerRepo;
  readonly discards: DiscardRepo;
  readonly files: FileRepo;
  readonly folders: FolderRepo;
  readonly plans: PlanRepo;
  readonly requests: RequestRepo;
  readonly settings: SettingsRepo;
  readonly transfers: TransferRepo;
  readonly uploads: UploadRepo;

  /** Opens (and migrates, unless read-only) the journal file at `path`. */
  static open<Task = unknown, Data = unknown>(
    path: string,
    clock: Clock,
    options: OpenOptions = {},
  ): Journal<Task, Data> {
    return new Journal<Task, Data>(openJournal(path, options), clock);
  }

  constructor(
    readonly db: Db,
    private readonly clock: Clock,
  ) {
    this.activity = new ActivityRepo(db);
    this.autoExports = new AutoExportRepo(db);
    this.batches = new BatchRepo<Task, Data>(db, clock);
    this.contentLedger = new ContentLedgerRepo(db);
    this.discards = new DiscardRepo(db, clock);
    this.files = new FileRepo(db);
    this.folders = new FolderRepo(db, clock);
    this.plans = new PlanRepo(db);
    this.requests = new RequestRepo(db, clock);
    this.settings = new SettingsRepo(db);
    this.transfers = new TransferRepo(db);
    this.uploads = new UploadRepo(db, clock);
  }

  /** Runs `fn` in one transaction (nested calls become savepoints of the outer one). */
  transaction<T>(fn: () => T): T {
    return inTransaction(this.db, fn);
  }

  close(): void {
    this.db.close();
  }

  /**
   * A group becomes a batch: its key and index, a task name unique in the folder, the batch with
   * its files, the files marked planned, their content in the ledger and the plan row, all or
   * nothing. Keys: a group planned before gets `#2`, `#3`, ... (CVAT cannot append to a task).
   */
  planBatch(plan: BatchPlan<Task, Data>): PlannedBatchRecord {
    return this.transaction(() => {
      const { folderId, groupKey } = plan;
      const seq = this.plans.countForGroup(folderId, groupKey) + 1;
      const index = groupKey === 'count' ? this.folders.takeIndex(folderId) : seq;
      let key =
        groupKey === 'count' ? `count:${index}` : seq === 1 ? groupKey : `${groupKey}#${seq}`;
      for (let n = seq + 1; this.plans.keyTaken(folderId, key); n++) key = `${groupKey}#${n}`;
      const name = uniqueTaskName(plan.nameFor(index), (n) => this.plans.nameTaken(folderId, n));
      const batchId = this.batches.insertPlanned({
        folderId,
        key,
        name,
        task: plan.task,
        data: plan.data,
        files: plan.files,
      });
      this.files.markPlanned(
        plan.files.flatMap((f) => (f.fileId === null ? [] : [f.fileId])),
        batchId,
      );
      this.recordContent(plan.targetKey, folderId, batchId, plan.files, plan.plannedAt);
      const bytes = plan.files.reduce((s, f) => s + f.size, 0);
      this.plans.add({
        folderId,
        groupKey,
        key,
        name,
        batchId,
        files: plan.files.length,
        bytes,
        plannedAt: plan.plannedAt,
      });
      return { batchId, key, name, files: plan.files.length, bytes };
    });
  }

  /** The batch's content, on its way to `targetKey` (the first record of a content wins). */
  recordContent(
    targetKey: string,
    folderId: number,
    batchId: number,
    files: ReadonlyArray<Pick<NewBatchFile, 'relPath' | 'sha256'>>,
    at: number,
  ): void {
    for (const f of files) {
      if (f.sha256)
        this.contentLedger.record({
          targetKey,
          sha256: f.sha256,
          folderId,
          relPath: f.relPath,
          batchId,
          recordedAt: at,
        });
    }
  }

  /**
   * The batch's task holds all its media: the batch becomes `done` (from `from`, compare-and-set),
   * its planned files `uploaded`, and its content in the ledger points at the task. False, and
   * nothing written, when the batch was no longer in `from`.
   */
  completeBatch(
    id: number,
    task: CompletedTask,
    from: BatchState = 'processing',
    progress: { filesDone?: number; bytesDone?: number } = {},
  ): boolean {
    return this.transaction(() => {
      const ok = this.batches.transition(id, from, 'done', {
        taskId: task.id,
        taskSize: task.size,
        jobCount: task.jobCount,
        finishedAt: this.clock.now(),
        lastError: null,
        nextAttemptAt: null,
        ...progress,
      });
      if (!ok) return false;
      this.files.markBatchUploaded(id);
      this.contentLedger.setTask(id, task.id);
      return true;
    });
  }

  /**
   * Ends a cancellation (compare-and-set on `from`): the batch's task (and `extraTaskIds`) are
   * queued for deletion, its planned files are set aside as cancelled by the user, and its
   * content leaves the ledger (it never reached the server). False when the batch left `from`.
   */
  cancelBatch(id: number, from: BatchState, extraTaskIds: number[] = []): boolean {
    return this.transaction(() => {
      if (!this.batches.finishCancel(id, from, extraTaskIds)) return false;
      this.files.setAsideBatch(id, `the batch it was planned in (#${id}) was cancelled`);
      this.contentLedger.releaseBatch(id);
      return true;
    });
  }
}
