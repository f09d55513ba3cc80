// Projects, tasks, jobs, labels, previews and the read-only annotation/meta endpoints.
import { noteTaskCreated, noteTaskDeleted } from './ledger.js';
import { rm } from 'node:fs/promises';
import type { Core } from './core.js';
import type { Ctx } from './http-kit.js';
import { detail, fieldErrors, HttpError, listError, textError } from './http-kit.js';
import type { Router } from './router.js';
import type { Annotations, JobRec, LabelRec, ProjectRec, TaskRec } from './store.js';
import type { Errors } from './validate.js';
import { choice, int, isUrl, parseLabels, storage, str } from './validate.js';
import { canSee, inScope, resolveOrg, scopeOrgId } from './orgs.js';
import { readJson } from './body.js';
import { applyTaskPatch } from './task-edit.js';
import type { ListSpec } from './lists.js';
import { sendList } from './lists.js';
import { jobRead, labelRead, projectRead, projectStatus, taskRead, taskStatus } from './views.js';
import { makePng, previewSize } from './media.js';
import type { Requests } from './requests.js';

const forbidden = () => detail(403, 'You do not have permission to perform this action.');

export function emptyAnnotations(): Annotations {
  return { version: 0, tags: [], shapes: [], tracks: [] };
}

function taskVisible(
  core: Core,
  userId: number,
  t: TaskRec,
  jobAssignees: Array<number | null> = core.jobsOf(t.id).map((j) => j.assigneeId),
): boolean {
  return canSee(core, userId, {
    orgId: t.orgId,
    ownerId: t.ownerId,
    assigneeIds: [t.assigneeId, ...jobAssignees],
  });
}

function projectVisible(core: Core, userId: number, p: ProjectRec): boolean {
  return canSee(core, userId, { orgId: p.orgId, ownerId: p.ownerId, assigneeIds: [p.assigneeId] });
}

/** Object endpoints: 404 when missing, 403 when it exists but is not the caller's to see. */
export function taskAccess(core: Core, ctx: Ctx, id: number): TaskRec {
  const t = core.task(id);
  if (!taskVisible(core, Number(ctx.userId), t)) throw forbidden();
  return t;
}

export function projectAccess(core: Core, ctx: Ctx, id: number): ProjectRec {
  const p = core.project(id);
  if (!projectVisible(core, Number(ctx.userId), p)) throw forbidden();
  return p;
}

export function jobAccess(core: Core, ctx: Ctx, id: number): JobRec {
  const j = core.job(id);
  const t = core.task(j.taskId);
  if (!taskVisible(core, Number(ctx.userId), t)) throw forbidden();
  return j;
}

export async function deleteTask(core: Core, t: TaskRec): Promise<void> {
  const state = core.state;
  state.tasks = state.tasks.filter((x) => x !== t);
  noteTaskDeleted(core, t.id);
  state.jobs = state.jobs.filter((j) => j.taskId !== t.id);
  const uploads = state.uploads.filter((u) => u.target === 'task' && u.targetId === t.id);
  state.uploads = state.uploads.filter((u) => !uploads.includes(u));
  await Promise.all(uploads.map((u) => rm(core.store.uploadFile(u.id), { force: true })));
  // An upload still being received may be moving files in: retry instead of failing the DELETE.
  await rm(core.store.taskDir(t.id), { recursive: true, force: true, maxRetries: 5 });
}

function userField(
  core: Core,
  errors: Errors,
  body: Record<string, unknown>,
  key: string,
): number | null | undefined {
  const id = int(errors, body, key, { nullable: true });
  if (id === undefined || id === null) return id;
  if (!core.user(id)) {
    errors[key] = [`Invalid pk "${id}" - object does not exist.`];
    return undefined;
  }
  return id;
}

/** PATCH semantics for labels: id → update or delete, no id → new (names stay unique). */
function patchLabels(core: Core, current: LabelRec[], raw: unknown): LabelRec[] {
  if (!Array.isArray(raw))
    throw fieldErrors({ labels: [`Expected a list of items but got type "${typeof raw}".`] });
  let labels = [...current];
  const fresh: unknown[] = [];
  for (const item of raw as Array<Record<string, unknown>>) {
    if (item && typeof item === 'object' && item.id !== undefined) {
      const existing = labels.find((l) => l.id === item.id);
      if (!existing) throw fieldErrors({ labels: [`Label #${String(item.id)} does not exist`] });
      if (item.deleted === true) labels = labels.filter((l) => l !== existing);
      else {
        if (typeof item.name === 'string' && item.name) existing.name = item.name;
        if (typeof item.color === 'string' && item.color) existing.color = item.color;
      }
    } else fresh.push(item);
  }
  const parsed = parseLabels(core, fresh, labels);
  if (parsed.error) throw new HttpError(400, { labels: parsed.error });
  labels = [...labels, ...(parsed.labels ?? [])];
  const names = labels.map((l) => l.name);
  if (new Set(names).size !== names.length) throw listError('All label names must be unique');
  return labels;
}

export function registerTaskRoutes(core: Core, router: Router, requests: Requests): void {
  const state = core.state;
  const username = (id: number | null) => core.user(id)?.username ?? null;

  const taskSpec: ListSpec<TaskRec> = {
    fields: {
      id: (t) => t.id,
      name: (t) => t.name,
      owner: (t) => username(t.ownerId),
      assignee: (t) => username(t.assigneeId),
      project_id: (t) => t.projectId,
      project_name: (t) => state.projects.find((p) => p.id === t.projectId)?.name ?? null,
      subset: (t) => t.subset,
      tracker_link: (t) => t.bugTracker,
      status: (t) => taskStatus(core, t.id),
      media_type: (t) =>
        t.data && t.data.size > 0
          ? t.data.mediaType === 'video'
            ? 'image'
            : t.data.mediaType
          : null,
      mode: (t) => t.mode || null,
      dimension: (t) => t.dimension || null,
      validation_mode: (t) => t.data?.validationLayout?.mode ?? null,
      updated_date: (t) => t.updatedDate,
    },
    search: ['project_name', 'name', 'owner', 'assignee', 'subset', 'tracker_link'],
    simple: [
      'project_name',
      'name',
      'owner',
      'assignee',
      'subset',
      'tracker_link',
      'project_id',
      'status',
      'media_type',
      'mode',
      'dimension',
      'validation_mode',
    ],
    defaultSort: '-id',
  };

  const projectSpec: ListSpec<ProjectRec> = {
    fields: {
      id: (p) => p.id,
      name: (p) => p.name,
      owner: (p) => username(p.ownerId),
      assignee: (p) => username(p.assigneeId),
      status: (p) => projectStatus(core, p.id),
      updated_date: (p) => p.updatedDate,
    },
    search: ['name', 'owner', 'assignee'],
    simple: ['name', 'owner', 'assignee', 'status'],
    defaultSort: '-id',
  };

  const jobSpec: ListSpec<JobRec> = {
    fields: {
      id: (j) => j.id,
      task_id: (j) => j.taskId,
      task_name: (j) => state.tasks.find((t) => t.id === j.taskId)?.name ?? null,
      project_id: (j) => state.tasks.find((t) => t.id === j.taskId)?.projectId ?? null,
      project_name: (j) => {
        const t = state.tasks.find((x) => x.id === j.taskId);
        return state.projects.find((p) => p.id === t?.projectId)?.name ?? null;
      },
      assignee: (j) => username(j.assigneeId),
      type: () => 'annotation',
      parent_job_id: () => null,
      dimension: (j) => state.tasks.find((t) => t.id === j.taskId)?.dimension || null,
      media_type: (j) => {
        const d = state.tasks.find((t) => t.id === j.taskId)?.data;
        return d ? (d.mediaType === 'video' ? 'image' : d.mediaType) : null;
      },
      mode: (j) => state.tasks.find((t) => t.id === j.taskId)?.mode || null,
      state: (j) => j.state,
      stage: (j) => j.stage,
      updated_date: (j) => j.updatedDate,
    },
    search: ['task_name', 'project_name', 'assignee'],
    simple: [
      'task_name',
      'project_name',
      'assignee',
      'task_id',
      'project_id',
      'type',
      'parent_job_id',
      'dimension',
      'media_type',
      'mode',
      'state',
      'stage',
    ],
    defaultSort: '-id',
  };

  // ---- projects ----
  router.add('GET', /^\/api\/projects$/, async (ctx) => {
    const scope = resolveOrg(core, ctx);
    const rows = state.projects.filter(
      (p) => inScope(scope, p.orgId) && projectVisible(core, Number(ctx.userId), p),
    );
    await sendList(ctx, rows, projectSpec, (p) => projectRead(core, ctx, p));
  });

  router.add('POST', /^\/api\/projects$/, async (ctx) => {
    const scope = resolveOrg(core, ctx);
    const body = await readJson(ctx);
    const e: Errors = {};
    const name = str(e, body, 'name', { required: true, max: 256, blank: false });
    const bugTracker = str(e, body, 'bug_tracker', { max: 2000 }) ?? '';
    if (bugTracker && !isUrl(bugTracker)) e.bug_tracker = ['Enter a valid URL.'];
    const assigneeId = userField(core, e, body, 'assignee_id');
    const src = storage(core, e, body, 'source_storage');
    const dst = storage(core, e, body, 'target_storage');
    const parsed = body.labels === undefined ? { labels: [] } : parseLabels(core, body.labels);
    if (parsed.error) e.labels = parsed.error;
    if (Object.keys(e).length) throw new HttpError(400, e);
    const names = (parsed.labels ?? []).map((l) => l.name);
    if (new Set(names).size !== names.length) throw listError('All label names must be unique');
    const now = core.now();
    const p: ProjectRec = {
      id: core.store.nextId('project'),
      name: name as string,
      ownerId: Number(ctx.userId),
      assigneeId: assigneeId ?? null,
      orgId: scopeOrgId(scope),
      bugTracker,
      labels: parsed.labels ?? [],
      createdDate: now,
      updatedDate: now,
      sourceStorage: src ?? null, // CVAT creates Storage rows only when given
      targetStorage: dst ?? null,
    };
    state.projects.push(p);
    await core.store.save();
    await ctx.sendJson(201, projectRead(core, ctx, p));
  });

  router.add(['GET', 'PATCH', 'DELETE'], /^\/api\/projects\/(?<id>\d+)$/, async (ctx) => {
    const p = projectAccess(core, ctx, Number(ctx.params.id));
    if (ctx.method === 'DELETE') {
      for (const t of state.tasks.filter((x) => x.projectId === p.id)) await deleteTask(core, t);
      state.projects = state.projects.filter((x) => x !== p);
      await core.store.save();
      return ctx.sendEmpty(204);
    }
    if (ctx.method === 'PATCH') {
      const body = await readJson(ctx);
      const e: Errors = {};
      const name = str(e, body, 'name', { max: 256, blank: false });
      const bugTracker = str(e, body, 'bug_tracker', { max: 2000 });
      if (bugTracker && !isUrl(bugTracker)) e.bug_tracker = ['Enter a valid URL.'];
      const assigneeId = userField(core, e, body, 'assignee_id');
      if (Object.keys(e).length) throw new HttpError(400, e);
      if (name !== undefined) p.name = name;
      if (bugTracker !== undefined) p.bugTracker = bugTracker;
      if (assigneeId !== undefined) p.assigneeId = assigneeId;
      if (body.labels !== undefined) p.labels = patchLabels(core, p.labels, body.labels);
      p.updatedDate = core.now();
      await core.store.save();
    }
    await ctx.sendJson(200, projectRead(core, ctx, p));
  });

  // ---- tasks ----
  router.add('GET', /^\/api\/tasks$/, async (ctx) => {
    const scope = resolveOrg(core, ctx);
    // CVAT filters visibility in one SQL query (cvat/apps/engine/permissions.py,
    // TaskPermission.filter: owner, assignee or a job's assignee); job assignees are gathered
    // once here so that a list over many tasks is not quadratic in the number of jobs.
    const assignees = new Map<number, Array<number | null>>();
    for (const j of state.jobs) {
      const list = assignees.get(j.taskId);
      if (list) list.push(j.assigneeId);
      else assignees.set(j.taskId, [j.assigneeId]);
    }
    const rows = state.tasks.filter(
      (t) =>
        inScope(scope, t.orgId) &&
        taskVisible(core, Number(ctx.userId), t, assignees.get(t.id) ?? []),
    );
    await sendList(ctx, rows, taskSpec, (t) => taskRead(core, ctx, t));
  });

  router.add('POST', /^\/api\/tasks$/, async (ctx) => {
    const scope = resolveOrg(core, ctx);
    const body = await readJson(ctx);
    const e: Errors = {};
    const name = str(e, body, 'name', { required: true, max: 256, blank: false });
    const projectId = int(e, body, 'project_id', { nullable: true });
    const ownerId = userField(core, e, body, 'owner_id');
    const assigneeId = userField(core, e, body, 'assignee_id');
    const bugTracker = str(e, body, 'bug_tracker', { max: 2000 }) ?? '';
    if (bugTracker && !isUrl(bugTracker)) e.bug_tracker = ['Enter a valid URL.'];
    const overlap = int(e, body, 'overlap', { min: 0, max: 2147483647, nullable: true });
    const segmentSize = int(e, body, 'segment_size', { min: 0, max: 2147483647 });
    const subset = str(e, body, 'subset', { max: 64 }) ?? '';
    const src = storage(core, e, body, 'source_storage');
    const dst = storage(core, e, body, 'target_storage');
    // 2.80 (task_write_request.py): initial_replicas, consensus_replicas kept as its old name.
    const replicaKey =
      core.atLeast('2.80') && body.initial_replicas !== undefined
        ? 'initial_replicas'
        : 'consensus_replicas';
    const replicas = int(e, body, replicaKey, { min: 0 });
    if (replicas !== undefined && replicas !== null && (replicas === 1 || replicas > 11)) {
      e[replicaKey] = [
        `Consensus replicas must be 0 or a positive number more than 1 and less than 12, got ${replicas}`,
      ];
    }
    const parsed =
      body.labels === undefined ? { labels: undefined } : parseLabels(core, body.labels);
    if (parsed.error) e.labels = parsed.error;
    if (Object.keys(e).length) throw new HttpError(400, e);
    const labels = parsed.labels ?? [];
    const names = labels.map((l) => l.name);
    if (new Set(names).size !== names.length) throw listError('All label names must be unique');
    if (!labels.length && !projectId) throw listError('Label set or project_id must be present');
    if (labels.length && projectId)
      throw listError('Project must have only one of Label set or project_id');
    const orgId = scopeOrgId(scope);
    if (projectId) {
      const project = state.projects.find((p) => p.id === projectId);
      if (!project) throw listError(`The specified project #${projectId} does not exist.`);
      if (!projectVisible(core, Number(ctx.userId), project)) throw forbidden();
      if (project.orgId !== orgId)
        throw listError('The task and its project should be in the same organization.');
    }
    const now = core.now();
    const t: TaskRec = {
      id: core.store.nextId('task'),
      name: name as string,
      ownerId: ownerId ?? Number(ctx.userId),
      assigneeId: assigneeId ?? null,
      assigneeUpdatedDate: assigneeId ? now : null,
      orgId,
      projectId: projectId ?? null,
      bugTracker,
      subset,
      overlap: overlap ?? null,
      segmentSize: segmentSize ?? 0,
      consensusReplicas: replicas ?? 0,
      labels,
      createdDate: now,
      updatedDate: now,
      sourceStorage: src ?? null, // CVAT creates Storage rows only when given
      targetStorage: dst ?? null,
      data: null,
      mode: '',
      dimension: '',
      annotations: emptyAnnotations(),
    };
    state.tasks.push(t);
    noteTaskCreated(core, t);
    if (projectId) {
      const project = state.projects.find((p) => p.id === projectId);
      if (project) project.updatedDate = now;
    }
    await core.store.save();
    await ctx.sendJson(201, taskRead(core, ctx, t));
  });

  router.add(['GET', 'PATCH', 'DELETE'], /^\/api\/tasks\/(?<id>\d+)$/, async (ctx) => {
    const t = taskAccess(core, ctx, Number(ctx.params.id));
    if (ctx.method === 'DELETE') {
      await deleteTask(core, t);
      await core.store.save();
      return ctx.sendEmpty(204);
    }
    if (ctx.method === 'PATCH') {
      // TaskWriteSerializer.validate/update (cvat/apps/engine/serializers.py): see task-edit.ts.
      applyTaskPatch(core, t, await readJson(ctx), {
        patchLabels: (current, raw) => patchLabels(core, current, raw),
        userField: (errors, body, key) => userField(core, errors, body, key),
      });
      await core.store.save();
    }
    await ctx.sendJson(200, taskRead(core, ctx, t));
  });

  router.add('GET', /^\/api\/tasks\/(?<id>\d+)\/status$/, async (ctx) => {
    const t = taskAccess(core, ctx, Number(ctx.params.id));
    const id = core.atLeast('2.16')
      ? `action=create&target=task&target_id=${t.id}`
      : `create:task-${t.id}`;
    await requests.taskStatus(ctx, id);
  });

  // ---- jobs ----
  router.add('GET', /^\/api\/jobs$/, async (ctx) => {
    const scope = resolveOrg(core, ctx);
    const rows = state.jobs.filter((j) => {
      const t = state.tasks.find((x) => x.id === j.taskId);
      return !!t && inScope(scope, t.orgId) && taskVisible(core, Number(ctx.userId), t);
    });
    await sendList(ctx, rows, jobSpec, (j) => jobRead(core, ctx, j));
  });

  router.add(['GET', 'PATCH'], /^\/api\/jobs\/(?<id>\d+)$/, async (ctx) => {
    const j = jobAccess(core, ctx, Number(ctx.params.id));
    if (ctx.method === 'PATCH') {
      const body = await readJson(ctx);
      const e: Errors = {};
      if (
        body.stage !== undefined &&
        !['annotation', 'validation', 'acceptance'].includes(String(body.stage))
      )
        e.stage = [choice(body.stage)];
      if (
        body.state !== undefined &&
        !['new', 'in progress', 'completed', 'rejected'].includes(String(body.state))
      )
        e.state = [choice(body.state)];
      const assigneeId = userField(core, e, body, 'assignee');
      if (Object.keys(e).length) throw new HttpError(400, e);
      const now = core.now();
      if (body.stage !== undefined) {
        // CVAT resets the state when the stage changes and no state is given.
        if (body.stage !== j.stage && body.state === undefined) j.state = 'new';
        j.stage = body.stage as JobRec['stage'];
      }
      if (body.state !== undefined) j.state = body.state as JobRec['state'];
      if (assigneeId !== undefined && assigneeId !== j.assigneeId) {
        j.assigneeId = assigneeId;
        j.assigneeUpdatedDate = now;
      }
      j.updatedDate = now;
      core.task(j.taskId).updatedDate = now;
      await core.store.save();
    }
    await ctx.sendJson(200, jobRead(core, ctx, j));
  });

  // ---- labels ----
  router.add('GET', /^\/api\/labels$/, async (ctx) => {
    let rows: Array<{ l: LabelRec; taskId?: number; projectId?: number }> = [];
    const taskId = ctx.query.get('task_id');
    const projectId = ctx.query.get('project_id');
    const jobId = ctx.query.get('job_id');
    const fromTask = (t: TaskRec) =>
      t.projectId === null
        ? t.labels.map((l) => ({ l, taskId: t.id }))
        : core.labelsOf(t).map((l) => ({ l, projectId: t.projectId ?? undefined }));
    if (jobId) rows = fromTask(taskAccess(core, ctx, core.job(Number(jobId)).taskId));
    else if (taskId) rows = fromTask(taskAccess(core, ctx, Number(taskId)));
    else if (projectId)
      rows = projectAccess(core, ctx, Number(projectId)).labels.map((l) => ({
        l,
        projectId: Number(projectId),
      }));
    else {
      const uid = Number(ctx.userId);
      rows = [
        ...state.projects
          .filter((p) => projectVisible(core, uid, p))
          .flatMap((p) => p.labels.map((l) => ({ l, projectId: p.id }))),
        ...state.tasks
          .filter((t) => t.projectId === null && taskVisible(core, uid, t))
          .flatMap((t) => t.labels.map((l) => ({ l, taskId: t.id }))),
      ];
    }
    await sendList(
      ctx,
      rows,
      {
        fields: {
          id: (r) => r.l.id,
          name: (r) => r.l.name,
          type: (r) => r.l.type,
          color: (r) => r.l.color,
        },
        search: ['name'],
        simple: ['name', 'type', 'color'],
        defaultSort: 'id',
      },
      (r) => labelRead(r.l, r),
    );
  });

  router.add('GET', /^\/api\/labels\/(?<id>\d+)$/, async (ctx) => {
    const id = Number(ctx.params.id);
    const uid = Number(ctx.userId);
    for (const p of state.projects) {
      const l = p.labels.find((x) => x.id === id);
      if (l) {
        if (!projectVisible(core, uid, p)) throw forbidden();
        return ctx.sendJson(200, labelRead(l, { projectId: p.id }));
      }
    }
    for (const t of state.tasks) {
      const l = t.labels.find((x) => x.id === id);
      if (l) {
        if (!taskVisible(core, uid, t)) throw forbidden();
        return ctx.sendJson(200, labelRead(l, { taskId: t.id }));
      }
    }
    throw detail(404, 'No Label matches the given query.');
  });

  // ---- previews ----
  const sendPreview = async (ctx: Ctx, t: TaskRec | undefined) => {
    const d = t?.data;
    if (!t || !d || d.size === 0)
      throw textError(404, 'Preview is not available: the object has no media');
    const first = d.frames[0];
    const decodable = d.mediaType === 'image' || d.mediaType === 'point_cloud';
    if (!decodable && /handling\s*=\s*empty/i.test(ctx.header('prefer') ?? '')) {
      return ctx.sendEmpty(204, { 'Preference-Applied': 'handling=empty', Vary: 'Prefer' });
    }
    const { width, height } = previewSize(first?.width ?? 256, first?.height ?? 256);
    await ctx.send(
      200,
      { 'Content-Type': 'image/png', Vary: 'Prefer' },
      makePng(width, height, t.id),
    );
  };
  router.add('GET', /^\/api\/tasks\/(?<id>\d+)\/preview$/, async (ctx) =>
    sendPreview(ctx, taskAccess(core, ctx, Number(ctx.params.id))),
  );
  router.add('GET', /^\/api\/jobs\/(?<id>\d+)\/preview$/, async (ctx) =>
    sendPreview(ctx, core.task(jobAccess(core, ctx, Number(ctx.params.id)).taskId)),
  );
  router.add('GET', /^\/api\/projects\/(?<id>\d+)\/preview$/, async (ctx) => {
    const p = projectAccess(core, ctx, Number(ctx.params.id));
    await sendPreview(
      ctx,
      state.tasks
        .filter((t) => t.projectId === p.id && t.data && t.data.size > 0)
        .sort((a, b) => a.id - b.id)[0],
    );
  });
}
