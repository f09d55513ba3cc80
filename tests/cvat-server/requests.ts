// Background requests: queued -> started -> finished/failed, TTLs on the server clock,
// the caller's own list, cancel rules and the deprecated task status endpoint.
import type { Core } from './core.js';
import type { Ctx } from './http-kit.js';
import { listError, textError } from './http-kit.js';
import type { Router } from './router.js';
import type { RequestRec } from './store.js';
import { requestRead } from './views.js';
import { sendList } from './lists.js';
import { rm } from 'node:fs/promises';

const HOUR = 3_600_000;
const SORTABLE = ['created_date', 'status', 'action'];
const DAY = 24 * HOUR;

export interface JobContext {
  signal: AbortSignal;
  progress(value: number, message: string): Promise<void>;
}

/** A runner does the real work; throwing fails the request with the error's message. */
export type Runner = (rec: RequestRec, job: JobContext) => Promise<void>;

function ttl(rec: RequestRec, ok: boolean): number {
  if (rec.kind === 'create:task') return ok ? 500_000 : 7 * DAY;
  if (rec.kind.startsWith('export:')) return DAY;
  return ok ? HOUR : 30 * DAY;
}

export function isActive(rec: RequestRec | undefined): boolean {
  return !!rec && (rec.status === 'queued' || rec.status === 'started');
}

export class Requests {
  private runners = new Map<RequestRec['kind'], Runner>();
  private controllers = new Map<string, AbortController>();
  private timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly core: Core) {}

  register(kind: RequestRec['kind'], runner: Runner): void {
    this.runners.set(kind, runner);
  }

  /** Finds a visible record: expired ones disappear (and their result files with them). */
  get(id: string): RequestRec | undefined {
    this.expire();
    return this.core.state.requests.find((r) => r.id === id);
  }

  expire(): void {
    const now = this.core.now();
    const state = this.core.state;
    const gone = state.requests.filter((r) => r.expiryDate !== null && r.expiryDate <= now);
    if (!gone.length) return;
    state.requests = state.requests.filter((r) => !gone.includes(r));
    for (const r of gone)
      if (r.resultFile) void rm(this.core.store.resultPath(r.resultFile), { force: true });
    void this.core.store.save();
  }

  /** Replaces a finished/failed record with the same id (CVAT re-enqueues under the same id). */
  async enqueue(rec: RequestRec): Promise<void> {
    const state = this.core.state;
    const old = state.requests.find((r) => r.id === rec.id);
    if (old?.resultFile && old.resultFile !== rec.resultFile)
      await rm(this.core.store.resultPath(old.resultFile), { force: true });
    state.requests = state.requests.filter((r) => r.id !== rec.id);
    state.requests.push(rec);
    await this.core.store.save();
    this.schedule(rec);
  }

  /** Restarts work that was queued or running when the server stopped. */
  resume(): void {
    for (const rec of this.core.state.requests) {
      if (isActive(rec)) {
        rec.status = 'queued';
        rec.progress = null;
        rec.message = '';
        this.schedule(rec);
      }
    }
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(t);
  }

  private schedule(rec: RequestRec): void {
    const half = Math.max(1, Math.floor(this.core.opts.processingDelayMs / 2));
    const controller = new AbortController();
    this.controllers.set(rec.id, controller);
    this.later(half, () => void this.run(rec, controller, half));
  }

  private isCurrent(rec: RequestRec): boolean {
    return this.core.state.requests.includes(rec);
  }

  private async run(rec: RequestRec, controller: AbortController, minRunMs: number): Promise<void> {
    if (!this.isCurrent(rec) || controller.signal.aborted) return;
    const runner = this.runners.get(rec.kind);
    rec.status = 'started';
    rec.startedDate = this.core.now();
    rec.progress = 0;
    rec.message = '';
    await this.core.store.save();
    const started = Date.now();
    let error: unknown = null;
    try {
      if (!runner) throw new Error(`NotImplementedError: no worker for ${rec.kind}`);
      await runner(rec, {
        signal: controller.signal,
        progress: async (value, message) => {
          rec.progress = value;
          rec.message = message;
        },
      });
    } catch (err) {
      error = err;
    }
    const wait = minRunMs - (Date.now() - started);
    if (wait > 0) await new Promise<void>((r) => this.later(wait, r));
    this.controllers.delete(rec.id);
    if (!this.isCurrent(rec) || controller.signal.aborted || this.closed) return;
    rec.finishedDate = this.core.now();
    if (error) {
      rec.status = 'failed';
      rec.progress = null;
      rec.message = error instanceof Error ? error.message : String(error);
    } else {
      rec.status = 'finished';
      rec.progress = 1;
      rec.message = '';
    }
    rec.expiryDate = rec.finishedDate + ttl(rec, !error);
    await this.core.store.save();
  }

  /** Cancel: queued → removed; a running export → removed; anything else 400. */
  async cancel(rec: RequestRec): Promise<void> {
    const cancellable =
      rec.status === 'queued' || (rec.status === 'started' && rec.kind.startsWith('export:'));
    if (!cancellable)
      throw listError(
        `Only requests that have not yet been started or running exports can be cancelled. The request status is "${rec.status}".`,
      );
    this.controllers.get(rec.id)?.abort();
    this.controllers.delete(rec.id);
    const state = this.core.state;
    state.requests = state.requests.filter((r) => r !== rec);
    if (rec.resultFile) await rm(this.core.store.resultPath(rec.resultFile), { force: true });
    await this.core.store.save();
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.controllers.values()) c.abort();
  }

  registerRoutes(router: Router): void {
    const core = this.core;
    if (!core.atLeast('2.16')) return;
    const spec = {
      fields: {
        id: (r: RequestRec) => r.id,
        status: (r: RequestRec) => r.status,
        project_id: (r: RequestRec) => r.projectId,
        task_id: (r: RequestRec) => r.taskId,
        job_id: (r: RequestRec) => r.jobId,
        action: (r: RequestRec) => r.kind.split(':')[0] ?? null,
        target: (r: RequestRec) => r.target,
        subresource: (r: RequestRec) =>
          r.kind === 'create:task' ? null : (r.kind.split(':')[1] ?? null),
        format: (r: RequestRec) => r.format,
        org: (r: RequestRec) => core.org(r.orgId)?.slug ?? null,
        org_id: (r: RequestRec) => r.orgId,
        created_date: (r: RequestRec) => r.createdDate,
      },
      search: [],
      simple: [
        'status',
        'project_id',
        'task_id',
        'job_id',
        'action',
        'target',
        'subresource',
        'format',
        'org',
        'org_id',
      ],
      defaultSort: '-created_date',
    };
    router.add('GET', /^\/api\/requests$/, async (ctx) => {
      this.expire();
      const mine = core.state.requests.filter((r) => r.ownerId === ctx.userId);
      // Only created_date, status and action are sortable; other sort names are ignored.
      const sort = ctx.query.get('sort');
      if (sort)
        ctx.query.set(
          'sort',
          sort
            .split(',')
            .filter((s) => SORTABLE.includes(s.replace(/^-/, '')))
            .join(','),
        );
      await sendList(ctx, mine, spec, (r) => requestRead(core, ctx, r));
    });

    const findOwn = (ctx: Ctx): RequestRec => {
      const rec = this.get(decodeURIComponent(ctx.params.id ?? ''));
      if (!rec || rec.ownerId !== ctx.userId) throw textError(404, 'Request not found');
      return rec;
    };
    router.add('GET', /^\/api\/requests\/(?<id>.+?)(?<!\/cancel)$/, async (ctx) => {
      await ctx.sendJson(200, requestRead(core, ctx, findOwn(ctx)));
    });
    router.add('POST', /^\/api\/requests\/(?<id>.+)\/cancel$/, async (ctx) => {
      await this.cancel(findOwn(ctx));
      await ctx.sendEmpty(200);
    });
  }

  /** Deprecated GET /api/tasks/{id}/status — also the only status source for servers < 2.16. */
  async taskStatus(ctx: Ctx, rqId: string): Promise<void> {
    const rec = this.get(rqId);
    const headers = { Deprecation: 'true' };
    if (!rec) {
      await ctx.sendJson(200, { state: 'Finished', message: '', progress: 0 }, headers);
      return;
    }
    const state = { queued: 'Queued', started: 'Started', finished: 'Finished', failed: 'Failed' }[
      rec.status
    ];
    await ctx.sendJson(
      200,
      { state, message: rec.message, progress: Math.round((rec.progress ?? 0) * 100) },
      headers,
    );
  }

  newRecord(
    partial: Pick<RequestRec, 'id' | 'kind' | 'target' | 'ownerId'> & Partial<RequestRec>,
  ): RequestRec {
    return {
      status: 'queued',
      message: '',
      progress: null,
      projectId: null,
      taskId: null,
      jobId: null,
      orgId: null,
      format: null,
      lightweight: null,
      createdDate: this.core.now(),
      startedDate: null,
      finishedDate: null,
      expiryDate: null,
      resultId: null,
      resultPath: null,
      resultFile: null,
      resultFilename: null,
      resultSize: null,
      syntheticSize: null,
      params: {},
      ...partial,
    };
  }
}
