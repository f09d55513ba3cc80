// Test-only control surface: the AdminApi object for in-process tests and the same operations over
// HTTP under /_test/ for child processes and scripts (never subject to fault injection).
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Core } from './core.js';
import type { Ctx } from './http-kit.js';
import { HttpError } from './http-kit.js';
import type { JobRec, RequestRec, TaskRec, UploadRec, UserRec } from './store.js';
import type { Faults, ScriptedFault } from './faults.js';
import type { Auth } from './auth.js';
import type { Exports } from './exports.js';
import type { Recorder, RecordedRequest } from './recorder.js';
import { mediaPath } from './tus.js';
import { ledgerOf } from './ledger.js';
import type { Ledger } from './ledger.js';
import { taskStatus } from './views.js';
import { parseLabels } from './validate.js';
import { emptyAnnotations } from './tasks.js';

export interface TestUser {
  id: number;
  username: string;
  password: string;
  email: string;
  token: string; // a read/write PAT
  key: string; // legacy login key
}

export interface StoredFile {
  name: string;
  size: number;
  sha256: string;
}

export type TaskRecord = TaskRec & {
  owner: string;
  org: string | null;
  status: 'annotation' | 'validation' | 'completed';
  size: number;
  jobs: JobRec[];
};

export interface AdminApi {
  tasks(): TaskRecord[];
  taskFiles(taskId: number): StoredFile[];
  setJob(jobId: number, patch: { stage?: JobRec['stage']; state?: JobRec['state'] }): void;
  completeTask(taskId: number): void;
  revokeToken(token: string): void;
  createUser(username: string, opts?: { password?: string; orgs?: string[] }): TestUser;
  createProject(
    owner: 'alice' | 'bob' | string,
    body: { name: string; labels: unknown[]; org?: string },
  ): { id: number };
  advanceTime(ms: number): void;
  /**
   * Adds `count` finished image tasks at once (one frame, one job each; previews are served as
   * for any task with media). The frames' files are not stored: frame and export endpoints of
   * these tasks fail. For list and preview load, where uploading each would take minutes.
   */
  seedTasks(opts: { count: number; owner?: string; namePrefix?: string }): { ids: number[] };
  addSyntheticResult(taskId: number, sizeBytes: number): { rqId: string; resultUrl: string };
  requests(): unknown[];
  /** What clients sent since the start or the last clearRecorded() (see recorder.ts). */
  recorded(): RecordedRequest[];
  clearRecorded(): void;
  /** Tasks created and deleted, and file bytes received per task and file (re-sent ones too). */
  ledger(): Ledger;
  uploads(): Array<{
    id: string;
    filename: string;
    length: number;
    offset: number;
    kind: string;
    taskId?: number;
  }>;
}

const TOKEN_NAME = 'test-server';

function sha256File(path: string): string {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(1 << 20);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

export class Admin implements AdminApi {
  constructor(
    private readonly core: Core,
    private readonly auth: Auth,
    private readonly exportsApi: Exports,
    private readonly faults: Faults,
    private readonly recorder: Recorder,
    private readonly baseUrl: () => string,
  ) {}

  private save(): void {
    void this.core.store.save();
  }

  testUser(u: UserRec): TestUser {
    const pat = this.core.state.pats.find((p) => p.userId === u.id && p.name === TOKEN_NAME);
    return {
      id: u.id,
      username: u.username,
      password: u.password,
      email: u.email,
      token: pat?.value ?? '',
      key: u.key ?? '',
    };
  }

  user(username: string): UserRec {
    const u = this.core.state.users.find((x) => x.username === username);
    if (!u) throw new Error(`unknown user ${username}`);
    return u;
  }

  tasks(): TaskRecord[] {
    const core = this.core;
    return core.state.tasks.map((t) =>
      structuredClone({
        ...t,
        owner: core.user(t.ownerId)?.username ?? '',
        org: core.org(t.orgId)?.slug ?? null,
        status: taskStatus(core, t.id),
        size: t.data?.size ?? 0,
        jobs: core.jobsOf(t.id),
      }),
    );
  }

  taskFiles(taskId: number): StoredFile[] {
    const task = this.core.task(taskId);
    return (task.data?.clientFiles ?? [])
      .map((name) => ({ name, path: mediaPath(this.core, taskId, name) }))
      .filter((f) => existsSync(f.path))
      .map((f) => ({ name: f.name, size: statSync(f.path).size, sha256: sha256File(f.path) }));
  }

  setJob(jobId: number, patch: { stage?: JobRec['stage']; state?: JobRec['state'] }): void {
    const j = this.core.job(jobId);
    if (patch.stage) j.stage = patch.stage;
    if (patch.state) j.state = patch.state;
    j.updatedDate = this.core.now();
    this.core.task(j.taskId).updatedDate = j.updatedDate;
    this.save();
  }

  completeTask(taskId: number): void {
    const now = this.core.now();
    for (const j of this.core.jobsOf(taskId)) {
      j.stage = 'acceptance';
      j.state = 'completed';
      j.updatedDate = now;
    }
    this.core.task(taskId).updatedDate = now;
    this.save();
  }

  revokeToken(token: string): void {
    const state = this.core.state;
    state.pats = state.pats.filter((p) => p.value !== token);
    for (const u of state.users) if (u.key === token) u.key = null;
    this.save();
  }

  createUser(username: string, opts: { password?: string; orgs?: string[] } = {}): TestUser {
    const core = this.core;
    const now = core.now();
    const user: UserRec = {
      id: core.store.nextId('user'),
      username,
      password: opts.password ?? `${username}-pass`,
      email: `${username}@example.com`,
      firstName: username.charAt(0).toUpperCase() + username.slice(1),
      lastName: 'Tester',
      key: this.auth.newKey(),
      dateJoined: now,
      lastLogin: null,
    };
    core.state.users.push(user);
    this.auth.createPat(user.id, TOKEN_NAME, false, null);
    for (const slug of opts.orgs ?? []) {
      let org = core.state.orgs.find((o) => o.slug === slug);
      if (!org) {
        org = {
          id: core.store.nextId('org'),
          slug,
          name: slug.toUpperCase(),
          ownerId: user.id,
          createdDate: now,
          updatedDate: now,
        };
        core.state.orgs.push(org);
      }
      core.state.memberships.push({
        id: core.store.nextId('membership'),
        userId: user.id,
        orgId: org.id,
        role: org.ownerId === user.id ? 'owner' : 'maintainer',
        joinedDate: now,
      });
    }
    this.save();
    return this.testUser(user);
  }

  createProject(
    owner: string,
    body: { name: string; labels: unknown[]; org?: string },
  ): { id: number } {
    const core = this.core;
    const user = this.user(owner);
    const org = body.org ? core.state.orgs.find((o) => o.slug === body.org) : undefined;
    if (body.org && !org) throw new Error(`unknown org ${body.org}`);
    const parsed = parseLabels(core, body.labels);
    if (parsed.error) throw new Error(`bad labels: ${JSON.stringify(parsed.error)}`);
    const now = core.now();
    const id = core.store.nextId('project');
    core.state.projects.push({
      id,
      name: body.name,
      ownerId: user.id,
      assigneeId: null,
      orgId: org?.id ?? null,
      bugTracker: '',
      labels: parsed.labels ?? [],
      createdDate: now,
      updatedDate: now,
      // As POST /api/projects without storages: none (serializers.py _configure_related_storages).
      sourceStorage: null,
      targetStorage: null,
    });
    this.save();
    return { id };
  }

  seedTasks(opts: { count: number; owner?: string; namePrefix?: string }): { ids: number[] } {
    const core = this.core;
    const user = this.user(opts.owner ?? 'alice');
    const parsed = parseLabels(core, [{ name: 'car' }]);
    const ids: number[] = [];
    for (let i = 0; i < opts.count; i++) {
      const now = core.now();
      const id = core.store.nextId('task');
      const name = `${opts.namePrefix ?? 'seeded task'} ${id}`;
      // A task as CVAT leaves it after creating it from one image (cvat/apps/engine/task.py):
      // data with one frame, mode annotation, one job over frame 0.
      core.state.tasks.push({
        id,
        name,
        ownerId: user.id,
        assigneeId: null,
        assigneeUpdatedDate: null,
        orgId: null,
        projectId: null,
        bugTracker: '',
        subset: i % 2 ? 'train' : 'val',
        overlap: 0,
        segmentSize: 1,
        consensusReplicas: 0,
        labels: structuredClone(parsed.labels ?? []),
        createdDate: now,
        updatedDate: now,
        // As POST /api/tasks without storages: none (serializers.py _configure_related_storages).
        sourceStorage: null,
        targetStorage: null,
        data: {
          id: core.store.nextId('data'),
          clientFiles: ['frame_0.png'],
          size: 1,
          imageQuality: 70,
          chunkSize: 72,
          startFrame: 0,
          stopFrame: 0,
          frameFilter: '',
          sortingMethod: 'lexicographical',
          mediaType: 'image',
          originalChunkType: 'imageset',
          compressedChunkType: 'imageset',
          frames: [{ name: 'frame_0.png', width: 640 + (id % 7) * 16, height: 480 }],
        },
        mode: 'annotation',
        dimension: '2d',
        annotations: emptyAnnotations(),
      });
      core.state.jobs.push({
        id: core.store.nextId('job'),
        taskId: id,
        startFrame: 0,
        stopFrame: 0,
        frameCount: 1,
        stage: 'annotation',
        state: 'new',
        assigneeId: null,
        assigneeUpdatedDate: null,
        createdDate: now,
        updatedDate: now,
      });
      ids.push(id);
    }
    this.save();
    return { ids };
  }

  advanceTime(ms: number): void {
    this.core.state.clockSkewMs += ms;
    this.save();
  }

  addSyntheticResult(taskId: number, sizeBytes: number): { rqId: string; resultUrl: string } {
    const task = this.core.task(taskId);
    const rec = this.exportsApi.addSynthetic(task.id, sizeBytes, task.ownerId);
    return { rqId: rec.id, resultUrl: this.baseUrl() + String(rec.resultPath) };
  }

  requests(): RequestRec[] {
    return structuredClone(this.core.state.requests);
  }

  recorded(): RecordedRequest[] {
    return this.recorder.list();
  }

  clearRecorded(): void {
    this.recorder.clear();
  }

  ledger(): Ledger {
    return structuredClone(ledgerOf(this.core));
  }

  uploads(): Array<{
    id: string;
    filename: string;
    length: number;
    offset: number;
    kind: string;
    taskId?: number;
  }> {
    return this.core.state.uploads.map((u: UploadRec) => ({
      id: u.id,
      filename: u.filename,
      length: u.length,
      offset: u.offset,
      kind: u.kind,
      ...(u.target === 'task' && u.targetId !== null ? { taskId: u.targetId } : {}),
    }));
  }

  /** /_test/ routes. Bodies and answers are plain JSON. */
  async handle(ctx: Ctx): Promise<void> {
    const raw = ctx.method === 'GET' ? Buffer.alloc(0) : await ctx.bodyBuffer();
    const body = (raw.length ? JSON.parse(raw.toString('utf8')) : {}) as Record<string, unknown>;
    const p = ctx.path.replace(/^\/_test/, '');
    const send = (value: unknown) =>
      ctx.send(
        200,
        { 'Content-Type': 'application/json' },
        Buffer.from(JSON.stringify(value ?? null)),
      );
    const num = (m: RegExpExecArray | null) => Number(m?.[1]);
    let m: RegExpExecArray | null;
    if (ctx.method === 'GET' && p === '/users') {
      return send(
        Object.fromEntries(this.core.state.users.map((u) => [u.username, this.testUser(u)])),
      );
    }
    if (ctx.method === 'GET' && p === '/tasks') return send(this.tasks());
    if (ctx.method === 'GET' && (m = /^\/tasks\/(\d+)\/files$/.exec(p)))
      return send(this.taskFiles(num(m)));
    if (ctx.method === 'GET' && p === '/requests') return send(this.requests());
    if (ctx.method === 'GET' && p === '/ledger') return send(this.ledger());
    if (ctx.method === 'GET' && p === '/uploads') return send(this.uploads());
    if (ctx.method === 'GET' && p === '/recorded') return send(this.recorded());
    if (ctx.method === 'GET' && p === '/faults/stats') return send(this.faults.stats());
    if (ctx.method === 'POST') {
      if (p === '/faults') return send(this.faults.set(body));
      if (p === '/faults/clear') return send(this.faults.clear());
      if (p === '/recorded/clear') return send(this.clearRecorded());
      if (p === '/faults/fail-next') {
        const path =
          typeof body.pathRegex === 'string'
            ? new RegExp(body.pathRegex)
            : (body.path as string | undefined);
        return send(this.faults.failNext({ ...(body as unknown as ScriptedFault), path }));
      }
      if ((m = /^\/complete-task\/(\d+)$/.exec(p))) return send(this.completeTask(num(m)));
      if ((m = /^\/jobs\/(\d+)$/.exec(p))) return send(this.setJob(num(m), body));
      if (p === '/revoke') return send(this.revokeToken(String(body.token)));
      if (p === '/users')
        return send(
          this.createUser(String(body.username), body as { password?: string; orgs?: string[] }),
        );
      if (p === '/projects')
        return send(
          this.createProject(
            String(body.owner),
            body as unknown as { name: string; labels: unknown[]; org?: string },
          ),
        );
      if (p === '/advance-time') return send(this.advanceTime(Number(body.ms)));
      if (p === '/seed-tasks')
        return send(
          this.seedTasks({
            count: Number(body.count),
            ...(typeof body.owner === 'string' ? { owner: body.owner } : {}),
            ...(typeof body.namePrefix === 'string' ? { namePrefix: body.namePrefix } : {}),
          }),
        );
      if (p === '/synthetic-result')
        return send(this.addSyntheticResult(Number(body.taskId), Number(body.size)));
    }
    throw new HttpError(404, { detail: `unknown test endpoint ${ctx.method} ${ctx.path}` });
  }
}
