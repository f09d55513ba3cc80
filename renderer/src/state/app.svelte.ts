// The whole renderer state: one instance per window, built over a SyncBridge and fed by its
// pushed events. Views get it as a prop and stay thin.
import type { StatusSnapshot, SyncBridge } from '../../../preload/contract.js';
import { onLink, type LinkState } from '../lib/api.js';
import { ActivityState } from './activity.svelte.js';
import { ConnectionState } from './connection.svelte.js';
import { FoldersState } from './folders.svelte.js';
import { SettingsState } from './settings.svelte.js';
import { TasksState } from './tasks.svelte.js';
import { TransfersState } from './transfers.svelte.js';

/** At most one status refetch per this many ms while transfers change. */
const STATUS_REFRESH_MS = 1000;

export class AppState {
  readonly connection: ConnectionState;
  readonly tasks: TasksState;
  readonly folders: FoldersState;
  readonly transfers: TransfersState;
  readonly activity: ActivityState;
  readonly settings: SettingsState;
  host = $state<StatusSnapshot['host'] | null>(null);
  link = $state<LinkState>('up');
  /** Settles when the first load after start() is done. */
  loaded: Promise<void> = Promise.resolve();
  #statusTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly bridge: SyncBridge) {
    this.tasks = new TasksState(bridge);
    // Signing in, or switching server, user or organization, changes what CVAT shows us.
    this.connection = new ConnectionState(bridge, () => {
      this.tasks.reload();
      void this.tasks.loadLookups();
    });
    this.folders = new FoldersState(bridge);
    this.transfers = new TransfersState(bridge);
    this.activity = new ActivityState(bridge);
    this.settings = new SettingsState(bridge);
  }

  applyStatus(s: StatusSnapshot): void {
    this.host = s.host;
    this.connection.apply(s.connection);
    this.transfers.totals = s.totals;
    this.transfers.paused = s.paused;
  }

  /** Subscribe to pushed events and load everything; returns the unsubscribe. */
  start(): () => void {
    const b = this.bridge;
    const offs = [
      b.on('status', (s) => this.applyStatus(s)),
      b.on('connection', (c) => this.connection.apply(c)),
      b.on('transfer', (t) => {
        this.transfers.upsert(t);
        this.#refreshStatusSoon();
      }),
      b.on('transfer-removed', ({ id }) => {
        this.transfers.drop(id);
        this.#refreshStatusSoon();
      }),
      b.on('folder', (f) => this.folders.upsert(f)),
      b.on('folder-removed', ({ id }) => this.folders.drop(id)),
      b.on('activity', (e) => this.activity.push(e)),
      b.on('tasks-changed', () => this.tasks.invalidate()),
      onLink(b, (state, reconnected) => {
        this.link = state;
        // Events were missed while the channel was down: read everything again.
        if (reconnected) {
          void this.refresh();
          this.tasks.invalidate();
        }
      }),
    ];
    this.loaded = this.refresh();
    return () => {
      for (const off of offs) off();
      this.tasks.dispose();
      if (this.#statusTimer) clearTimeout(this.#statusTimer);
    };
  }

  /** The totals come with 'status'; a transfer that changed state may not bring one, so ask. */
  #refreshStatusSoon(): void {
    if (this.#statusTimer) return;
    this.#statusTimer = setTimeout(() => {
      this.#statusTimer = null;
      void this.bridge.getStatus().then((r) => r.ok && this.applyStatus(r.value));
    }, STATUS_REFRESH_MS);
  }

  async refresh(): Promise<void> {
    const status = this.bridge.getStatus().then((r) => {
      if (r.ok) this.applyStatus(r.value);
      else this.connection.error = r.error;
    });
    await Promise.all([
      status,
      this.folders.load(),
      this.transfers.load(),
      this.settings.load(),
      this.activity.load(),
    ]);
  }
}
