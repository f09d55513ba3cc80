// The status snapshot (header totals, connection, pause, folder health, recent errors) and the
// pushes that change it: transfer progress coalesced per transfer, folder and activity events,
// the activity log, and status events at most twice a second (status-throttle.ts).
import { transferTotals } from '../core/transfer-totals.js';
import type {
  ActivityEntry,
  FolderInfo,
  StatusSnapshot,
  SyncEvents,
  Transfer,
} from '../../preload/contract.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/event-bus.js';
import type { Logger } from '../core/logger.js';
import type { AdoptDecision } from '../engine/planner/adopter.js';
import type { ActivityLevel, ActivityRepo, ActivityRow } from '../journal/activity-repo.js';
import type { BatchRow } from '../journal/batch-repo.js';
import type { Connection } from './connection.js';
import type { Folders } from '../engine/folders/folders.js';
import { ProgressThrottle } from './progress-throttle.js';
import { StatusThrottle } from './status-throttle.js';
import type { TransferService } from './transfer-service.js';

const RECENT_ERRORS = 5;

/** SyncEvents as a type alias: EventBus needs an index-compatible record. */
export type ContractEvents = { [K in keyof SyncEvents]: SyncEvents[K] };

export type ActivityExtra = Partial<
  Omit<ActivityEntry, 'id' | 'at' | 'level' | 'kind' | 'message'>
>;

export interface StatusSources {
  host: 'desktop' | 'daemon';
  clock: Clock;
  logger: Logger;
  connection: Connection;
  activityRepo: ActivityRepo | null;
  folders: Folders;
  transfers: TransferService;
  /** Read-only services record no activity: the journal belongs to another engine. */
  readOnly: () => boolean;
}

export class StatusReporter {
  private readonly progress: ProgressThrottle;
  private readonly status: StatusThrottle;
  private closed = false;

  constructor(
    private readonly bus: EventBus<ContractEvents>,
    private readonly sources: StatusSources,
  ) {
    this.progress = new ProgressThrottle(sources.clock, (t) => this.bus.emit('transfer', t));
    this.status = new StatusThrottle(sources.clock, () => this.emitStatusNow());
  }

  /** Transfer updates go through here: progress is coalesced to ~4 events per second each. */
  pushTransfer(transfer: Transfer): void {
    this.progress.push(transfer);
    this.emitStatus();
  }

  removeTransfer(id: string): void {
    this.progress.forget(id);
    this.bus.emit('transfer-removed', { id });
    this.emitStatus();
  }

  pushFolder(folder: FolderInfo): void {
    this.bus.emit('folder', folder);
    this.emitStatus();
  }

  removeFolder(id: number): void {
    this.bus.emit('folder-removed', { id });
    this.emitStatus();
  }

  pushActivity(row: ActivityRow): void {
    this.bus.emit('activity', row);
    if (row.level === 'error') this.emitStatus();
  }

  record(level: ActivityLevel, kind: string, message: string, extra: ActivityExtra = {}): void {
    const repo = this.sources.activityRepo;
    if (!repo || this.sources.readOnly()) return;
    this.pushActivity(repo.add({ at: this.sources.clock.now(), level, kind, message, ...extra }));
  }

  /** Rebuild: an existing task was recorded for a batch, or a near match is shown to the user. */
  adoptDecided(folderId: number, batch: BatchRow, decision: AdoptDecision): void {
    if (decision.kind === 'adopt') {
      const { task, meta } = decision;
      this.record(
        'info',
        'adopt',
        `“${batch.name}” is already task #${task.id} on the server (same name, ${meta.frames.length} matching frames): recorded as done, nothing uploaded.`,
        { folderId, taskId: task.id },
      );
      this.tasksChanged([task.id]);
    } else if (decision.kind === 'partial') {
      this.record('warn', 'adopt', decision.message, {
        folderId,
        hint: 'Retry the transfer to upload it as a new task, or fix the task in CVAT and add the folder again.',
      });
    }
  }

  tasksChanged(taskIds: number[]): void {
    this.bus.emit('tasks-changed', { taskIds });
  }

  /** Totals, connection, pause or folder health may have changed: a status event soon (≤ 2/s). */
  emitStatus(): void {
    if (!this.closed) this.status.request();
  }

  /** The snapshot now; an empty one when the journal cannot be read. */
  current(): StatusSnapshot {
    return this.snapshot() ?? this.emptySnapshot();
  }

  close(): void {
    this.closed = true;
    this.progress.close();
    this.status.close();
  }

  private emitStatusNow(): void {
    if (this.closed) return;
    const snapshot = this.snapshot();
    if (snapshot) this.bus.emit('status', snapshot);
  }

  private snapshot(): StatusSnapshot | null {
    const { sources } = this;
    try {
      return {
        host: sources.host,
        connection: sources.connection.current,
        paused: sources.transfers.paused(),
        totals: transferTotals(sources.transfers.list({ limit: 10_000 })),
        folders: sources.folders.statusList(),
        recentErrors: sources.activityRepo?.list({ levels: ['error'], limit: RECENT_ERRORS }) ?? [],
      };
    } catch (e) {
      sources.logger.warn('status snapshot failed', { error: (e as Error).message });
      return null;
    }
  }

  private emptySnapshot(): StatusSnapshot {
    return {
      host: this.sources.host,
      connection: this.sources.connection.current,
      paused: false,
      totals: transferTotals([]),
      folders: [],
      recentErrors: [],
    };
  }
}
