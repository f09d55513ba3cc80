// The service's current settings and what changing them sets in motion: the proxy password in
// the secret store, the network stack and the clients on it, the bandwidth limit both engines
// take from, and the transfer concurrency.
import type { Settings, SettingsPatch } from '../../preload/contract.js';
import { SyncError } from '../core/errors.js';
import type { TokenBucket } from '../core/token-bucket.js';
import type { SettingsRepo } from '../journal/settings-repo.js';
import type { Connection } from './connection.js';
import type { SecretStore } from './host.js';
import type { Network } from './network.js';
import { netOptions } from './network.js';
import { loadSettings, saveSettings } from './settings.js';
import type { TransferService } from './transfer-service.js';

const NETWORK_KEYS = [
  'proxyMode',
  'proxyHost',
  'proxyPort',
  'proxyUser',
  'proxyPassword',
  'noProxy',
  'caFile',
] as const;

export interface SettingsKeeperParts {
  dataDir: string;
  settingsRepo: SettingsRepo | null;
  proxyPasswordSet: boolean;
  secrets: SecretStore;
  network: Network;
  connection: Connection;
  throttle: TokenBucket;
  transfers: TransferService;
}

export class SettingsKeeper {
  private settings: Settings;

  constructor(private readonly parts: SettingsKeeperParts) {
    this.settings = {
      ...loadSettings(parts.settingsRepo, parts.dataDir),
      proxyPasswordSet: parts.proxyPasswordSet,
    };
    parts.throttle.setRate(this.settings.bandwidthLimitBps);
  }

  get current(): Settings {
    return this.settings;
  }

  /** Saves the patch and applies it; the caller has checked that the service may write. */
  async apply(patch: SettingsPatch): Promise<Settings> {
    const { parts } = this;
    const repo = parts.settingsRepo;
    if (!repo)
      throw new SyncError('No journal to save settings in.', { code: 'read-only', kind: 'fatal' });
    const networkChanged = NETWORK_KEYS.some((key) => key in patch);
    // A manual proxy without host or port is refused before anything is saved.
    if (networkChanged)
      netOptions({ ...this.settings, ...withoutPassword(patch) }, null, [], undefined);
    if (patch.proxyPassword !== undefined)
      await parts.secrets.save('proxy-password', patch.proxyPassword);
    this.settings = {
      ...saveSettings(repo, this.settings, patch),
      proxyPasswordSet:
        patch.proxyPassword === undefined
          ? this.settings.proxyPasswordSet
          : patch.proxyPassword !== null,
    };
    if (networkChanged) {
      parts.network.update(this.settings, await parts.secrets.load('proxy-password'));
      // The clients are rebuilt on the new way to the server.
      if (parts.connection.credentials) await parts.connection.refresh();
    }
    if (patch.bandwidthLimitBps !== undefined) {
      // The one limiter both engines take from.
      parts.throttle.setRate(this.settings.bandwidthLimitBps);
    }
    if (patch.concurrency !== undefined) parts.transfers.setConcurrency(this.settings.concurrency);
    return this.settings;
  }
}

function withoutPassword(patch: SettingsPatch): Omit<SettingsPatch, 'proxyPassword'> {
  const { proxyPassword: _password, ...rest } = patch;
  return rest;
}
