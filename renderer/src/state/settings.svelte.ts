// Application settings, and the theme they imply for the document.
import type {
  ContractError,
  Result,
  Settings,
  SettingsPatch,
  SyncBridge,
} from '../../../preload/contract.js';

export class SettingsState {
  value = $state<Settings | null>(null);
  error = $state<ContractError | null>(null);
  saving = $state(false);
  archivePath = $state<string | null>(null);
  archiving = $state(false);

  constructor(private readonly bridge: SyncBridge) {}

  get loading(): boolean {
    return this.value === null && this.error === null;
  }

  async load(): Promise<void> {
    const r = await this.bridge.getSettings();
    if (r.ok) {
      this.value = r.value;
      this.error = null;
    } else this.error = r.error;
  }

  apply(settings: Settings): void {
    this.value = settings;
  }

  async update(patch: SettingsPatch): Promise<boolean> {
    this.saving = true;
    const r = await this.bridge.updateSettings(patch);
    this.saving = false;
    return this.take(r);
  }

  async setBandwidthLimit(bytesPerSecond: number | null): Promise<boolean> {
    return this.take(await this.bridge.setBandwidthLimit({ bytesPerSecond }));
  }

  /** The settings the service answered with, or its error; true when they were saved. */
  private take(r: Result<Settings>): boolean {
    if (!r.ok) {
      this.error = r.error;
      return false;
    }
    this.error = null;
    this.value = r.value;
    return true;
  }

  async exportDebugArchive(): Promise<void> {
    this.archiving = true;
    this.archivePath = null;
    const r = await this.bridge.exportDebugArchive();
    this.archiving = false;
    if (r.ok) this.archivePath = r.value.path;
    else this.error = r.error;
  }
}

/** 'system' follows prefers-color-scheme (pure CSS); 'light'/'dark' pin it via data-theme. */
export function applyTheme(
  theme: Settings['theme'] | undefined,
  root: HTMLElement = document.documentElement,
): void {
  if (theme === 'light' || theme === 'dark') root.dataset.theme = theme;
  else delete root.dataset.theme;
}
