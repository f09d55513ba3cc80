// Sync folders: the list (kept current by 'folder' events) and the actions on it.
import type {
  ContractError,
  FolderInfo,
  FolderPreview,
  FolderRule,
  IgnoredFile,
  Result,
  VerifyReport,
  SyncBridge,
} from '../../../preload/contract.js';

export function defaultRule(path = ''): FolderRule {
  return {
    path,
    target: { kind: 'labels', labels: [] },
    org: null,
    split: { kind: 'subfolder' },
    nameTemplate: null,
    include: [],
    exclude: [],
    settleSeconds: 5,
    maxFileSizeBytes: null,
    polling: false,
    taskOptions: {
      imageQuality: 70,
      sortingMethod: 'lexicographical',
      useZipChunks: true,
      useCache: true,
    },
    autoExport: null,
  };
}

export class FoldersState {
  items = $state<FolderInfo[]>([]);
  loaded = $state(false);
  error = $state<ContractError | null>(null);
  ignored = $state<Record<number, IgnoredFile[] | undefined>>({});

  constructor(private readonly bridge: SyncBridge) {}

  verify(id: number): Promise<Result<VerifyReport>> {
    return this.bridge.verifyFolder({ id });
  }

  async load(): Promise<void> {
    const r = await this.bridge.listFolders();
    this.loaded = true;
    if (r.ok) {
      this.items = r.value;
      this.error = null;
    } else this.error = r.error;
  }

  upsert(folder: FolderInfo): void {
    const i = this.items.findIndex((f) => f.id === folder.id);
    if (i === -1) this.items = [...this.items, folder];
    else this.items[i] = folder;
  }

  drop(id: number): void {
    this.items = this.items.filter((f) => f.id !== id);
  }

  byId(id: number | null | undefined): FolderInfo | undefined {
    return id === null || id === undefined ? undefined : this.items.find((f) => f.id === id);
  }

  async #apply(r: Result<FolderInfo>): Promise<Result<FolderInfo>> {
    if (r.ok) this.upsert(r.value);
    return r;
  }

  add(rule: FolderRule): Promise<Result<FolderInfo>> {
    return this.bridge.addFolder(rule).then((r) => this.#apply(r));
  }

  update(id: number, rule: FolderRule): Promise<Result<FolderInfo>> {
    return this.bridge.updateFolder({ id, rule }).then((r) => this.#apply(r));
  }

  async remove(id: number): Promise<Result<{ id: number }>> {
    const r = await this.bridge.removeFolder({ id });
    if (r.ok) this.drop(id);
    return r;
  }

  setPaused(id: number, paused: boolean): Promise<Result<FolderInfo>> {
    return (paused ? this.bridge.pauseFolder({ id }) : this.bridge.resumeFolder({ id })).then((r) =>
      this.#apply(r),
    );
  }

  preview(rule: FolderRule): Promise<Result<FolderPreview>> {
    return this.bridge.previewFolder(rule);
  }

  async loadIgnored(id: number): Promise<Result<IgnoredFile[]>> {
    const r = await this.bridge.listIgnored({ id, limit: 200 });
    if (r.ok) this.ignored[id] = r.value;
    return r;
  }

  chooseFolder(): Promise<Result<string | null>> {
    return this.bridge.chooseFolder();
  }
}
