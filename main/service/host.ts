// What the two entry points (Electron main in main/app, the CLI daemon in main/cli) hand to the
// service, and what they get back. The service implements the UI contract on the engine.
import type { EventName, SyncApi, SyncEvents } from '../../preload/contract.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { CvatAuth } from '../cvat/api.js';
import type { PinnedCertificate } from '../cvat/tls-trust.js';
import type { ProxyResolver } from '../cvat/net-stack.js';

export interface StoredCredentials {
  server: string;
  org: string | null;
  auth: CvatAuth;
  username: string | null;
  /** Certificates the user trusted on first use for this server (by SHA-256 fingerprint). */
  trusted?: PinnedCertificate[];
}

/** Secrets that are not a sign-in (the proxy password), kept like the token; they outlive sign-out. */
export interface SecretStore {
  load(name: 'proxy-password'): Promise<string | null>;
  save(name: 'proxy-password', value: string | null): Promise<void>;
}

/** Where credentials live: the OS keychain (Electron safeStorage), an owner-only file, or memory. */
export interface CredentialStore {
  readonly kind: 'keychain' | 'file' | 'memory';
  load(): Promise<StoredCredentials | null>;
  save(credentials: StoredCredentials): Promise<void>;
  clear(): Promise<void>;
  /** Other secrets in the same kind of place; absent: kept in memory for this run. */
  readonly secrets?: SecretStore;
}

export interface ServiceOptions {
  dataDir: string;
  host: 'desktop' | 'daemon';
  credentials: CredentialStore;
  clock?: Clock;
  logger?: Logger;
  /** Files larger than this go by TUS, the rest in Upload-Multiple batches (default 100 MiB). */
  bulkThreshold?: number;
  /** Where the proxy password is kept; default: the credential store's. */
  secrets?: SecretStore;
  /** CA files given on the command line (--ca-file), on top of the setting. */
  caFiles?: readonly string[];
  /** Desktop only: the OS proxy for a URL (Electron's session.resolveProxy). */
  resolveProxy?: ProxyResolver;
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
