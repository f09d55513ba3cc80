// The shared server context every module receives: store, options, clock, ids, version switches.
import type { Store, UserRec, TaskRec, ProjectRec, JobRec, OrgRec } from './store.js';
import type { Rng } from './prng.js';
import { notFound } from './http-kit.js';

export interface CoreOptions {
  version: string;
  processingDelayMs: number;
  rangeSupport: boolean;
  tusMaxSize: number;
}

export class Core {
  private readonly versionParts: number[];

  constructor(
    readonly store: Store,
    readonly opts: CoreOptions,
    readonly rng: Rng,
  ) {
    this.versionParts = opts.version.split('.').map((p) => parseInt(p, 10) || 0);
  }

  /** True when the emulated server is at least `v` (e.g. '2.48'). */
  atLeast(v: string): boolean {
    const want = v.split('.').map((p) => parseInt(p, 10) || 0);
    for (let i = 0; i < 3; i++) {
      const a = this.versionParts[i] ?? 0;
      const b = want[i] ?? 0;
      if (a !== b) return a > b;
    }
    return true;
  }

  // ---- Behaviour that changed between CVAT releases; each names its source.

  /**
   * Before 2.65 DataSerializer declared `image_quality = IntegerField(min_value=0, max_value=100)`
   * (required), and UploadMixin._get_request_client_files validates every Upload-Multiple
   * request with a full DataSerializer (cvat/apps/engine/mixins.py, serializers.py).
   */
  get imageQualityRequired(): boolean {
    return !this.atLeast('2.65');
  }

  /**
   * 2.39-2.54: append_tus_chunk calls `meta_file.init_from_file()` (which asserts the meta file
   * exists) before `tus_file.validate()`, so HEAD/PATCH on a finished or unknown upload is an
   * AssertionError: a bare 500 (cvat/apps/engine/mixins.py of those releases).
   */
  get tusGoneIs500(): boolean {
    return this.atLeast('2.39') && !this.atLeast('2.55');
  }

  /**
   * Before 2.55 TusChunk read `request.body`, which Django caps at DATA_UPLOAD_MAX_MEMORY_SIZE
   * (100 MiB in cvat/settings/base.py): a bigger PATCH raises RequestDataTooBig, a 400.
   */
  get patchBodyLimit(): number | null {
    return this.atLeast('2.55') ? null : 100 * 1024 * 1024;
  }

  get state() {
    return this.store.state;
  }

  now(): number {
    return this.store.now();
  }

  user(id: number | null | undefined): UserRec | undefined {
    return id === null || id === undefined ? undefined : this.state.users.find((u) => u.id === id);
  }

  task(id: number): TaskRec {
    const t = this.state.tasks.find((x) => x.id === id);
    if (!t) throw notFound('Task');
    return t;
  }

  project(id: number): ProjectRec {
    const p = this.state.projects.find((x) => x.id === id);
    if (!p) throw notFound('Project');
    return p;
  }

  job(id: number): JobRec {
    const j = this.state.jobs.find((x) => x.id === id);
    if (!j) throw notFound('Job');
    return j;
  }

  org(id: number | null): OrgRec | undefined {
    return id === null ? undefined : this.state.orgs.find((o) => o.id === id);
  }

  jobsOf(taskId: number): JobRec[] {
    return this.state.jobs.filter((j) => j.taskId === taskId);
  }

  /** Labels in effect for a task: its own, or its project's. */
  labelsOf(task: TaskRec): TaskRec['labels'] {
    if (task.projectId !== null)
      return this.state.projects.find((p) => p.id === task.projectId)?.labels ?? [];
    return task.labels;
  }
}

export function parseId(raw: string | undefined): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw notFound('object');
  return n;
}
