// The server's task list as a sparse, paged cache for the virtual list: only the pages under the
// viewport are fetched (100 rows each), previews only for visible rows, a few at a time.
import { SvelteMap } from 'svelte/reactivity';
import type {
  AnnotationCounts,
  BackupRequest,
  ContractError,
  ExportRequest,
  FormatList,
  ProjectSummary,
  PushAnnotationsRequest,
  Result,
  SyncBridge,
  TaskEdit,
  TaskFrames,
  TaskLabel,
  TaskQuery,
  TaskStatus,
  TaskSummary,
  Transfer,
  UserSummary,
  ValidationLayoutInfo,
  VerifyReport,
} from '../../../preload/contract.js';

export const PAGE_SIZE = 100;
const PREVIEW_CONCURRENCY = 4;
/** 'tasks-changed' can arrive many times a second while uploads run; refetch at most this often. */
const INVALIDATE_DELAY_MS = 750;

export interface TaskFilters {
  search: string;
  projectId: number | null;
  status: TaskStatus | null;
  assignee: string;
  subset: string;
  sort: string;
}

interface Page {
  rows: TaskSummary[];
  generation: number;
}

export class TasksState {
  filters = $state<TaskFilters>({
    search: '',
    projectId: null,
    status: null,
    assignee: '',
    subset: '',
    sort: '-id',
  });
  /** Total on the server for the current filters; null until the first page answers. */
  count = $state<number | null>(null);
  error = $state<ContractError | null>(null);
  selectedId = $state<number | null>(null);
  projects = $state<ProjectSummary[]>([]);
  formats = $state<FormatList | null>(null);
  readonly previews = new SvelteMap<number, string | null>();
  readonly #pages = new SvelteMap<number, Page>();
  #generation = 0;
  // Bookkeeping only, never rendered: plain sets on purpose.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #inflight = new Set<string>();
  #range = { start: 0, end: 0 };
  #previewWanted: number[] = [];
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #previewBusy = new Set<number>();
  #invalidateTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly bridge: SyncBridge) {}

  get loading(): boolean {
    return this.count === null && this.error === null;
  }

  readonly selected = $derived.by(() => {
    const id = this.selectedId;
    if (id === null) return undefined;
    for (const page of this.#pages.values()) {
      const hit = page.rows.find((t) => t.id === id);
      if (hit) return hit;
    }
    return undefined;
  });

  rowAt(index: number): TaskSummary | undefined {
    return this.#pages.get(Math.floor(index / PAGE_SIZE))?.rows[index % PAGE_SIZE];
  }

  query(page: number): TaskQuery {
    const f = this.filters;
    const q: TaskQuery = { page: page + 1, pageSize: PAGE_SIZE, sort: f.sort };
    if (f.search.trim()) q.search = f.search.trim();
    if (f.projectId !== null) q.projectId = f.projectId;
    if (f.status) q.status = f.status;
    if (f.assignee.trim()) q.assignee = f.assignee.trim();
    if (f.subset.trim()) q.subset = f.subset.trim();
    return q;
  }

  /** Filters changed: start over from the top. */
  reload(): void {
    this.#generation += 1;
    this.#pages.clear();
    this.#inflight.clear();
    this.count = null;
    this.error = null;
    const span = Math.max(1, this.#range.end - this.#range.start);
    this.setRange(0, span);
  }

  /** The server changed: keep showing what we have, refetch what is on screen. */
  invalidate(): void {
    if (this.#invalidateTimer) return;
    this.#invalidateTimer = setTimeout(() => {
      this.#invalidateTimer = null;
      this.#generation += 1;
      this.setRange(this.#range.start, this.#range.end);
    }, INVALIDATE_DELAY_MS);
  }

  dispose(): void {
    if (this.#invalidateTimer) clearTimeout(this.#invalidateTimer);
    this.#invalidateTimer = null;
  }

  /** The virtual list shows rows [start, end). */
  setRange(start: number, end: number): void {
    this.#range = { start, end };
    const first = Math.floor(start / PAGE_SIZE);
    const last = Math.floor(Math.max(start, end - 1) / PAGE_SIZE);
    for (let p = first; p <= last; p++) {
      const page = this.#pages.get(p);
      if (!page || page.generation < this.#generation) void this.#fetch(p);
    }
    this.#wantPreviews();
  }

  async #fetch(page: number): Promise<void> {
    const generation = this.#generation;
    const key = `${generation}:${page}`;
    if (this.#inflight.has(key)) return;
    this.#inflight.add(key);
    const r = await this.bridge.listTasks(this.query(page));
    this.#inflight.delete(key);
    if (generation !== this.#generation) return;
    if (!r.ok) {
      this.error = r.error;
      return;
    }
    this.error = null;
    this.count = r.value.count;
    this.#pages.set(page, { rows: r.value.results, generation });
    this.#wantPreviews();
  }

  #wantPreviews(): void {
    const wanted: number[] = [];
    for (let i = this.#range.start; i < this.#range.end; i++) {
      const row = this.rowAt(i);
      if (row && !this.previews.has(row.id) && !this.#previewBusy.has(row.id)) wanted.push(row.id);
    }
    this.#previewWanted = wanted;
    this.#pumpPreviews();
  }

  #pumpPreviews(): void {
    while (this.#previewBusy.size < PREVIEW_CONCURRENCY && this.#previewWanted.length > 0) {
      const taskId = this.#previewWanted.shift() as number;
      this.#previewBusy.add(taskId);
      void this.bridge.getTaskPreview({ taskId }).then((r) => {
        this.#previewBusy.delete(taskId);
        this.previews.set(taskId, r.ok ? r.value : null);
        this.#pumpPreviews();
      });
    }
  }

  async loadLookups(): Promise<void> {
    const [projects, formats] = await Promise.all([
      this.bridge.listProjects(),
      this.bridge.listFormats(),
    ]);
    if (projects.ok) this.projects = projects.value;
    if (formats.ok) this.formats = formats.value;
  }

  exportDataset(req: ExportRequest): Promise<Result<Transfer>> {
    return this.bridge.exportDataset(req);
  }

  backup(req: BackupRequest): Promise<Result<Transfer>> {
    return this.bridge.backup(req);
  }

  openInCvat(taskId: number): Promise<Result<string>> {
    return this.bridge.openInCvat({ taskId });
  }

  searchUsers(search: string): Promise<Result<UserSummary[]>> {
    return this.bridge.searchUsers({ search });
  }

  listTaskLabels(taskId: number): Promise<Result<TaskLabel[]>> {
    return this.bridge.listTaskLabels({ taskId });
  }

  pullAnnotations(taskId: number): Promise<Result<{ path: string; counts: AnnotationCounts }>> {
    return this.bridge.pullAnnotations({ taskId });
  }

  pushAnnotations(req: PushAnnotationsRequest): Promise<Result<AnnotationCounts>> {
    return this.bridge.pushAnnotations(req);
  }

  taskFrames(taskId: number): Promise<Result<TaskFrames>> {
    return this.bridge.getTaskFrames({ taskId });
  }

  frame(
    taskId: number,
    frame: number,
    quality: 'compressed' | 'original',
  ): Promise<Result<string>> {
    return this.bridge.getFrame({ taskId, frame, quality });
  }

  setDeletedFrames(
    taskId: number,
    change: { delete?: number[]; restore?: number[] },
  ): Promise<Result<TaskFrames>> {
    return this.bridge.setDeletedFrames({ taskId, ...change });
  }

  validationLayout(taskId: number): Promise<Result<ValidationLayoutInfo>> {
    return this.bridge.getValidationLayout({ taskId });
  }

  shuffleHoneypots(taskId: number): Promise<Result<ValidationLayoutInfo>> {
    return this.bridge.updateValidationLayout({ taskId, shuffleHoneypots: true });
  }

  disableValidationFrames(taskId: number, frames: number[]): Promise<Result<ValidationLayoutInfo>> {
    return this.bridge.updateValidationLayout({ taskId, disableFrames: frames });
  }

  verifyTask(taskId: number): Promise<Result<VerifyReport>> {
    return this.bridge.verifyTask({ taskId });
  }

  /** PATCHes the task; the row shows the server's answer at once, the page refetches. */
  async editTask(edit: TaskEdit): Promise<Result<TaskSummary>> {
    const r = await this.bridge.editTask(edit);
    if (r.ok) {
      for (const page of this.#pages.values()) {
        const i = page.rows.findIndex((t) => t.id === r.value.id);
        if (i >= 0) page.rows[i] = r.value;
      }
      this.#generation += 1;
      this.setRange(this.#range.start, this.#range.end);
    }
    return r;
  }

  async deleteTasks(ids: number[]): Promise<Result<{ deleted: number[] }>> {
    const r = await this.bridge.deleteTasks({ ids });
    if (r.ok) {
      if (this.selectedId !== null && r.value.deleted.includes(this.selectedId))
        this.selectedId = null;
      this.#generation += 1;
      this.setRange(this.#range.start, this.#range.end);
    }
    return r;
  }
}
