// Uploads, downloads, restores and imports: a map kept current by 'transfer' events, plus the
// global totals and pause flag from 'status'.
import { SvelteMap } from 'svelte/reactivity';
import type {
  ContractError,
  ImportAnnotationsRequest,
  RestoreRequest,
  Result,
  SyncBridge,
  Transfer,
  TransferTotals,
} from '../../../preload/contract.js';
import { transferTotals } from '../../../preload/contract.js';

const ORDER: Record<Transfer['state'], number> = {
  active: 0,
  processing: 1,
  'waiting-retry': 2,
  failed: 3,
  queued: 4,
  paused: 5,
  done: 6,
  cancelled: 7,
};

export class TransfersState {
  readonly byId = new SvelteMap<string, Transfer>();
  totals = $state<TransferTotals>(transferTotals([]));
  paused = $state(false);
  loaded = $state(false);
  error = $state<ContractError | null>(null);
  /** Error of the last action (retry, cancel, restore…), shown above the list. */
  actionError = $state<ContractError | null>(null);

  constructor(private readonly bridge: SyncBridge) {}

  /** Running work first, then failures, then the rest; newest first within a group. */
  readonly items = $derived(
    [...this.byId.values()].sort(
      (a, b) => ORDER[a.state] - ORDER[b.state] || b.createdAt - a.createdAt,
    ),
  );

  async load(): Promise<void> {
    const r = await this.bridge.listTransfers({ limit: 500 });
    this.loaded = true;
    if (!r.ok) {
      this.error = r.error;
      return;
    }
    this.error = null;
    this.byId.clear();
    for (const t of r.value) this.byId.set(t.id, t);
  }

  upsert(t: Transfer): void {
    const known = this.byId.get(t.id);
    if (!known || known.updatedAt <= t.updatedAt) this.byId.set(t.id, t);
  }

  drop(id: string): void {
    this.byId.delete(id);
  }

  async #act(p: Promise<Result<Transfer>>): Promise<boolean> {
    const r = await p;
    if (r.ok) {
      this.actionError = null;
      this.upsert(r.value);
      return true;
    }
    this.actionError = r.error;
    return false;
  }

  retry(id: string): Promise<boolean> {
    return this.#act(this.bridge.retryTransfer({ id }));
  }

  cancel(id: string): Promise<boolean> {
    return this.#act(this.bridge.cancelTransfer({ id }));
  }

  pause(id: string): Promise<boolean> {
    return this.#act(this.bridge.pauseTransfer({ id }));
  }

  resume(id: string): Promise<boolean> {
    return this.#act(this.bridge.resumeTransfer({ id }));
  }

  restore(req: RestoreRequest): Promise<boolean> {
    return this.#act(this.bridge.restoreBackup(req));
  }

  importAnnotations(req: ImportAnnotationsRequest): Promise<boolean> {
    return this.#act(this.bridge.importAnnotations(req));
  }

  async setPausedAll(paused: boolean): Promise<void> {
    const r = paused ? await this.bridge.pauseAll() : await this.bridge.resumeAll();
    if (r.ok) {
      this.actionError = null;
      this.paused = r.value.paused;
    } else this.actionError = r.error;
  }
}
