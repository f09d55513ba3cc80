// User settings: defaults, persisted in the journal's settings table, with the two read-only
// locations filled in by the host. Shared by the desktop app and the daemon (one data folder).
import { readAgentId } from '../journal/claim-repo.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Settings, SettingsPatch } from '../../preload/contract.js';
import type { SettingsRepo } from '../journal/settings-repo.js';

const KEY = 'app.settings';
/** "Pause all" outlives a restart; kept apart from Settings, which the user edits as a form. */
const QUEUE_PAUSED_KEY = 'queue.paused';

export function loadQueuePaused(repo: SettingsRepo | null): boolean {
  return repo?.get<boolean>(QUEUE_PAUSED_KEY) === true;
}

export function saveQueuePaused(repo: SettingsRepo, paused: boolean): void {
  repo.set(QUEUE_PAUSED_KEY, paused);
}

export function logsDirOf(dataDir: string): string {
  return join(dataDir, 'logs');
}

export function defaultSettings(dataDir: string): Settings {
  return {
    concurrency: 3,
    bandwidthLimitBps: null,
    chunkSizeMiB: 10,
    notifications: true,
    startAtLogin: false,
    downloadsDir: join(homedir(), 'Downloads'),
    theme: 'system',
    proxyMode: 'system',
    proxyHost: '',
    proxyPort: null,
    proxyUser: '',
    proxyPasswordSet: false,
    noProxy: '',
    caFile: null,
    dataDir,
    logsDir: logsDirOf(dataDir),
    agentId: null,
  };
}

/** Saved values over the defaults; fields the saved JSON lacks or mistypes keep their default. */
export function loadSettings(repo: SettingsRepo | null, dataDir: string): Settings {
  const base = defaultSettings(dataDir);
  const saved = repo?.get<Partial<Settings>>(KEY) ?? {};
  const out: Settings = { ...base, agentId: repo ? readAgentId(repo) : null };
  for (const k of Object.keys(base) as Array<keyof Settings>) {
    if (k === 'dataDir' || k === 'logsDir' || k === 'proxyPasswordSet' || k === 'agentId') continue;
    const v = saved[k];
    if (v === undefined) continue;
    const nullable = k === 'bandwidthLimitBps' || k === 'proxyPort' || k === 'caFile';
    if (
      nullable
        ? v === null || typeof v === (k === 'caFile' ? 'string' : 'number')
        : typeof v === typeof base[k]
    ) {
      (out as unknown as Record<string, unknown>)[k] = v;
    }
  }
  return out;
}

export function saveSettings(
  repo: SettingsRepo,
  current: Settings,
  patch: SettingsPatch,
): Settings {
  const next: Settings = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    // The password is kept with the credentials, never in the settings (service/network.ts).
    if (k === 'proxyPassword') continue;
    if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
  }
  const { dataDir: _d, logsDir: _l, proxyPasswordSet: _p, agentId: _a, ...persisted } = next;
  repo.set(KEY, persisted);
  return next;
}
