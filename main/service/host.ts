// What the two entry points (Electron main in main/app, the CLI daemon in main/cli) hand to the
// service, and what they get back. The service implements the UI contract on the engine.
import type { EventName, SyncApi, SyncEvents } from '../../preload/contract.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { CvatAuth } from '../cvat/api.js';

export interface StoredCredentials {
  server: string;
  org: string | null;
  auth: CvatAuth;
  username: string | null;
}

/** Where credentials live: the OS keychain (Electron safeStorage), an owner-only file, or memory. */
export interface CredentialStore {
  readonly kind: 'keychain' | 'file' | 'memory';
  load(): Promise<StoredCredentials | null>;
  save(credentials: StoredCredentials): Promise<void>;
  clear(): Promise<void>;
}

export interface ServiceOptions {
  dataDir: string;
  host: 'desktop' | 'daemon';
  credentials: CredentialStore;
  clock?: Clock;
  logger?: Logger;
  /** Desktop only: the native folder picker. */
  chooseFolder?: () => Promise<string | null>;
  /** Desktop only: open a URL in the user's browser (already checked against the allowlist). */
  openExternal?: (url: string) => void;
  /** What this process is (e.g. "cvat-sync watch ~/data"), recorded in the data folder's lock. */
  command?: string;
  /**
   * 'engine' (default): takes the data folder's lock (one engine per folder) and runs the engines.
   * 'read-only': never writes the journal and runs no engine, so that queries (tasks ls, status)
   * work beside the engine that holds the folder.
   */
  mode?: 'engine' | 'read-only';
  /**
   * Start the upload queue, the results queue and the saved folders at once (default true).
   * One-shot CLI commands start only what they use.
   */
  autostart?: boolean;
  /** [0,1) for backoff jitter and ids; tests make it deterministic. */
  random?: () => number;
  /**
   * What the entry point noticed before the service existed (e.g. the desktop app found no
   * keyring): written to the activity log at start and pushed as `activity` events.
   */
  startupNotices?: StartupNotice[];
}

export interface StartupNotice {
  level: 'info' | 'warn' | 'error';
  kind: string;
  message: string;
  hint?: string;
}

export type EventListener = <E extends EventName>(event: E, payload: SyncEvents[E]) => void;

export interface SyncService extends SyncApi {
  /** Every pushed event of the contract, in order. */
  subscribe(listener: EventListener): () => void;
  /** Stops taking work, waits until the journal is consistent, closes it. */
  close(): Promise<void>;
}
