// The activity log, the settings and the status snapshot.
import type { ConnectionInfo } from './connection.js';
import type { FolderHealth } from './folders.js';
import type { TransferTotals } from './transfers.js';

export type ActivityLevel = 'info' | 'warn' | 'error';

export interface ActivityEntry {
  id: number;
  at: number;
  level: ActivityLevel;
  kind: string;
  message: string;
  hint: string | null;
  folderId: number | null;
  taskId: number | null;
  transferId: string | null;
}

export interface ActivityQuery {
  levels?: ActivityLevel[];
  kind?: string | null;
  search?: string | null;
  folderId?: number | null;
  /** Entries older than this id. */
  beforeId?: number | null;
  limit?: number;
}

export interface Settings {
  concurrency: number;
  /** Bytes per second for uploads and downloads together; null = unlimited. */
  bandwidthLimitBps: number | null;
  chunkSizeMiB: number;
  notifications: boolean;
  startAtLogin: boolean;
  downloadsDir: string;
  theme: 'system' | 'light' | 'dark';
  /** system: the OS's proxy (desktop) or HTTPS_PROXY/http_proxy/NO_PROXY; manual: the fields below. */
  proxyMode: 'system' | 'manual' | 'none';
  proxyHost: string;
  proxyPort: number | null;
  proxyUser: string;
  /** Read-only: a proxy password is saved (it is kept with the credentials, never here). */
  proxyPasswordSet: boolean;
  /** Hosts that bypass the manual proxy (NO_PROXY syntax). */
  noProxy: string;
  /** A PEM file of extra CA certificates to trust (an internal CA). */
  caFile: string | null;
  /** Read-only: where the journal and profile live. */
  dataDir: string;
  /** Read-only. */
  logsDir: string;
  /**
   * Read-only: this data folder's agent id, carried by the claim names its tasks are created
   * under (README.md § Several agents, one CVAT); null until the engine first ran on it.
   */
  agentId: string | null;
}

export type SettingsPatch = Partial<
  Omit<Settings, 'dataDir' | 'logsDir' | 'proxyPasswordSet' | 'agentId'>
> & {
  /** Write-only: saved like the token; null forgets it. */
  proxyPassword?: string | null;
};

export interface StatusSnapshot {
  host: 'desktop' | 'daemon';
  connection: ConnectionInfo;
  paused: boolean;
  totals: TransferTotals;
  folders: Array<{ id: number; path: string; health: FolderHealth; paused: boolean }>;
  recentErrors: ActivityEntry[];
}
