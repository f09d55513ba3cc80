// What every contract method of the service stands on: the parts the service is built from,
// the event bus and status reporter, the settings, and the Result wrapper that turns a throw
// into {ok: false}. The contract methods themselves are in folder-transfer-calls.ts and
// sync-service.ts.
import type {
  FolderInfo,
  Result,
  SyncEvents,
  EventName,
  Transfer,
} from '../../preload/contract.js';
import type { Clock } from '../core/clock.js';
import { SyncError, toSyncError } from '../core/errors.js';
import { EventBus } from '../core/event-bus.js';
import type { Logger } from '../core/logger.js';
import type { TokenBucket } from '../core/token-bucket.js';
import type { AdoptDecision } from '../engine/planner/adopter.js';
import type { ActivityLevel, ActivityRepo, ActivityRow } from '../journal/activity-repo.js';
import type { BatchRow } from '../journal/batch-repo.js';
import type { SettingsRepo } from '../journal/settings-repo.js';
import type { Connection } from './connection.js';
import { toContractError } from './contract-schemas.js';
import type { EngineLock } from './engine-lock.js';
import type { Folders } from '../engine/folders/folders.js';
import type { EventListener, SecretStore } from './host.js';
import type { Network } from './network.js';
import { SettingsKeeper } from './settings-keeper.js';
import { StatusReporter } from './status-snapshot.js';
import type { ActivityExtra, ContractEvents } from './status-snapshot.js';
import type { TransferService } from './transfer-service.js';

export interface ServiceParts {
  dataDir: string;
  host: 'desktop' | 'daemon';
  clock: Clock;
  logger: Logger;
  connection: Connection;
  network: Network;
  secrets: SecretStore;
  proxyPasswordSet: boolean;
  /** null when the service was opened read-only on a data folder that has no journal yet. */
  settingsRepo: SettingsRepo | null;
  activityRepo: ActivityRepo | null;
  /** null = read-only: another engine holds the data folder. */
  lock: EngineLock | null;
  throttle: TokenBucket;
  folders: Folders;
  transfers: TransferService;
  chooseFolder?: (() => Promise<string | null>) | undefined;
  openExternal?: ((url: string) => void) | undefined;
  /** Closes the journal after the engines stopped. */
  closeJournal: () => void;
}

export abstract class ContractBase {
  readonly bus = new EventBus<ContractEvents>();
  protected readonly reporter: StatusReporter;
  protected readonly settings: SettingsKeeper;

  constructor(protected readonly parts: ServiceParts) {
    this.settings = new SettingsKeeper(parts);
    this.reporter = new StatusReporter(this.bus, { ...parts, readOnly: () => this.readOnly });
  }

  get readOnly(): boolean {
    return this.parts.lock === null;
  }

  subscribe(listener: EventListener): () => void {
    return this.bus.onAny((name, payload) =>
      listener(name as EventName, payload as SyncEvents[EventName]),
    );
  }

  // -- plumbing used by the engine adapters --------------------------------------------------

  /** Transfer updates go through here: progress is coalesced to ~4 events per second each. */
  pushTransfer(transfer: Transfer): void {
    this.reporter.pushTransfer(transfer);
  }

  removeTransfer(id: string): void {
    this.reporter.removeTransfer(id);
  }

  pushFolder(folder: FolderInfo): void {
    this.reporter.pushFolder(folder);
  }

  pushActivity(row: ActivityRow): void {
    this.reporter.pushActivity(row);
  }

  /** Rebuild: an existing task was recorded for a batch, or a near match is shown to the user. */
  adoptDecided(folderId: number, batch: BatchRow, decision: AdoptDecision): void {
    this.reporter.adoptDecided(folderId, batch, decision);
  }

  tasksChanged(taskIds: number[]): void {
    this.reporter.tasksChanged(taskIds);
  }

  record(level: ActivityLevel, kind: string, message: string, extra: ActivityExtra = {}): void {
    this.reporter.record(level, kind, message, extra);
  }

  /** Totals, connection, pause or folder health may have changed: a status event soon (≤ 2/s). */
  emitStatus(): void {
    this.reporter.emitStatus();
  }

  // -- running contract methods ----------------------------------------------------------------

  protected writable(): void {
    if (this.readOnly) {
      throw new SyncError(
        `This data folder is in use by another CVAT Sync engine; only read-only commands work here.`,
        {
          code: 'read-only',
          kind: 'fatal',
          operation: 'change',
          hint: 'Run the command in the app or daemon that holds the data folder, or stop it first.',
        },
      );
    }
  }

  /** A contract method that changes something: refused on a read-only service. */
  protected change<T>(operation: string, fn: () => T | Promise<T>): Promise<Result<T>> {
    return this.run(operation, () => {
      this.writable();
      return fn();
    });
  }

  /** Runs one contract method: any throw becomes {ok: false}; a rejected credential marks the connection. */
  protected async run<T>(operation: string, fn: () => T | Promise<T>): Promise<Result<T>> {
    try {
      return { ok: true, value: await fn() };
    } catch (e) {
      const err = toSyncError(e, operation);
      if (err.code === 'auth' && this.parts.connection.current.state === 'connected') {
        void this.parts.connection.refresh();
      }
      if (err.code === 'internal')
        this.parts.logger.error(`${operation} failed`, {
          error: err.message,
          stack: (e as Error).stack,
        });
      return { ok: false, error: toContractError(err) };
    }
  }
}
