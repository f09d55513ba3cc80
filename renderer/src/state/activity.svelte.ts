// The activity log: filtered server-side, paged backwards by id, live entries prepended.
import type {
  ActivityEntry,
  ActivityLevel,
  ContractError,
  SyncBridge,
} from '../../../preload/contract.js';

export const ACTIVITY_PAGE = 100;

export class ActivityState {
  entries = $state<ActivityEntry[]>([]);
  levels = $state<ActivityLevel[]>(['info', 'warn', 'error']);
  kind = $state('');
  search = $state('');
  loaded = $state(false);
  loadingMore = $state(false);
  /** False once a page came back shorter than asked: nothing older exists. */
  hasMore = $state(true);
  error = $state<ContractError | null>(null);
  #generation = 0;

  constructor(private readonly bridge: SyncBridge) {}

  readonly kinds = $derived(
    this.entries
      .map((e) => e.kind)
      .filter((k, i, all) => all.indexOf(k) === i)
      .sort(),
  );

  #query(beforeId: number | null) {
    return {
      levels: [...this.levels],
      kind: this.kind || null,
      search: this.search.trim() || null,
      beforeId,
      limit: ACTIVITY_PAGE,
    };
  }

  async load(): Promise<void> {
    const generation = ++this.#generation;
    this.loaded = false;
    this.error = null;
    const r = await this.bridge.listActivity(this.#query(null));
    if (generation !== this.#generation) return;
    this.loaded = true;
    if (!r.ok) {
      this.error = r.error;
      return;
    }
    this.entries = r.value;
    this.hasMore = r.value.length >= ACTIVITY_PAGE;
  }

  async loadMore(): Promise<void> {
    const last = this.entries.at(-1);
    if (!last || this.loadingMore) return;
    const generation = this.#generation;
    this.loadingMore = true;
    const r = await this.bridge.listActivity(this.#query(last.id));
    this.loadingMore = false;
    if (generation !== this.#generation) return;
    if (!r.ok) {
      this.error = r.error;
      return;
    }
    this.entries = [...this.entries, ...r.value];
    this.hasMore = r.value.length >= ACTIVITY_PAGE;
  }

  matches(entry: ActivityEntry): boolean {
    if (!this.levels.includes(entry.level)) return false;
    if (this.kind && entry.kind !== this.kind) return false;
    const q = this.search.trim().toLowerCase();
    return (
      !q || entry.message.toLowerCase().includes(q) || (entry.hint ?? '').toLowerCase().includes(q)
    );
  }

  push(entry: ActivityEntry): void {
    if (!this.loaded || !this.matches(entry) || this.entries.some((e) => e.id === entry.id)) return;
    this.entries = [entry, ...this.entries];
  }
}
