// The folder, transfer, queue, settings and activity methods of the contract: thin adapters of
// the folder service, the transfer service and the settings keeper.
import type {
  ActivityEntry,
  ActivityQuery,
  FolderInfo,
  FolderPreview,
  FolderRule,
  IgnoredFile,
  Result,
  Settings,
  SettingsPatch,
  Transfer,
  TransferQuery,
} from '../../preload/contract.js';
import { ContractBase } from './contract-base.js';
import { writeServiceDebugArchive } from './debug-report.js';

export abstract class FolderAndTransferCalls extends ContractBase {
  listFolders(): Promise<Result<FolderInfo[]>> {
    return this.run('list folders', () => this.parts.folders.list());
  }

  addFolder(rule: FolderRule): Promise<Result<FolderInfo>> {
    return this.change('add folder', () => this.parts.folders.add(rule));
  }

  updateFolder(request: { id: number; rule: FolderRule }): Promise<Result<FolderInfo>> {
    return this.change('update folder', () => this.parts.folders.update(request.id, request.rule));
  }

  removeFolder(request: { id: number }): Promise<Result<{ id: number }>> {
    return this.change('remove folder', async () => {
      await this.parts.folders.remove(request.id);
      this.reporter.removeFolder(request.id);
      return { id: request.id };
    });
  }

  pauseFolder(request: { id: number }): Promise<Result<FolderInfo>> {
    return this.change('pause folder', () => this.parts.folders.setPaused(request.id, true));
  }

  resumeFolder(request: { id: number }): Promise<Result<FolderInfo>> {
    return this.change('resume folder', () => this.parts.folders.setPaused(request.id, false));
  }

  previewFolder(rule: FolderRule): Promise<Result<FolderPreview>> {
    return this.run('preview folder', () => this.parts.folders.preview(rule));
  }

  listIgnored(request: { id: number; limit?: number }): Promise<Result<IgnoredFile[]>> {
    return this.run('list ignored files', () =>
      this.parts.folders.ignored(request.id, request.limit ?? 500),
    );
  }

  chooseFolder(): Promise<Result<string | null>> {
    return this.run('choose folder', async () =>
      this.parts.chooseFolder ? this.parts.chooseFolder() : null,
    );
  }

  listTransfers(query?: TransferQuery): Promise<Result<Transfer[]>> {
    return this.run('list transfers', () => this.parts.transfers.list(query ?? {}));
  }

  retryTransfer(request: { id: string }): Promise<Result<Transfer>> {
    return this.change('retry transfer', () => this.parts.transfers.retry(request.id));
  }

  cancelTransfer(request: { id: string }): Promise<Result<Transfer>> {
    return this.change('cancel transfer', () => this.parts.transfers.cancel(request.id));
  }

  pauseTransfer(request: { id: string }): Promise<Result<Transfer>> {
    return this.change('pause transfer', () => this.parts.transfers.pause(request.id));
  }

  resumeTransfer(request: { id: string }): Promise<Result<Transfer>> {
    return this.change('resume transfer', () => this.parts.transfers.resume(request.id));
  }

  pauseAll(): Promise<Result<{ paused: boolean }>> {
    return this.change('pause all', () => this.setQueuePaused(true, 'All transfers paused.'));
  }

  resumeAll(): Promise<Result<{ paused: boolean }>> {
    return this.change('resume all', () => this.setQueuePaused(false, 'Transfers resumed.'));
  }

  setBandwidthLimit(request: { bytesPerSecond: number | null }): Promise<Result<Settings>> {
    return this.change('set bandwidth limit', () =>
      this.applySettings({ bandwidthLimitBps: request.bytesPerSecond }),
    );
  }

  listActivity(query?: ActivityQuery): Promise<Result<ActivityEntry[]>> {
    return this.run('list activity', () => this.parts.activityRepo?.list(query ?? {}) ?? []);
  }

  getSettings(): Promise<Result<Settings>> {
    return this.run('get settings', () => this.settings.current);
  }

  updateSettings(patch: SettingsPatch): Promise<Result<Settings>> {
    return this.change('update settings', () => this.applySettings(patch));
  }

  exportDebugArchive(): Promise<Result<{ path: string }>> {
    return this.run('export debug archive', () => {
      const path = writeServiceDebugArchive(this.parts, this.settings.current);
      this.record('info', 'debug', `Debug archive written to ${path}.`);
      return { path };
    });
  }

  private async applySettings(patch: SettingsPatch): Promise<Settings> {
    const settings = await this.settings.apply(patch);
    this.emitStatus();
    return settings;
  }

  private async setQueuePaused(paused: boolean, message: string): Promise<{ paused: boolean }> {
    await this.parts.transfers.setPaused(paused);
    this.record('info', 'queue', message);
    this.emitStatus();
    return { paused };
  }
}
