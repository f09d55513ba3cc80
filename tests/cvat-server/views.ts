// Read models exactly as CVAT serializes them (field sets of CVAT's OpenAPI schema and of
// cvat/apps/engine/serializers.py).
import type { Core } from './core.js';
import type { Ctx } from './http-kit.js';
import { isoDate } from './http-kit.js';
import type {
  Annotations,
  JobRec,
  LabelRec,
  ProjectRec,
  RequestRec,
  TaskRec,
  UserRec,
  Stage,
  JobState,
} from './store.js';

export function basicUser(ctx: Ctx, u: UserRec | undefined): Record<string, unknown> | null {
  if (!u) return null;
  return {
    url: ctx.absolute(`/api/users/${u.id}`),
    id: u.id,
    username: u.username,
    first_name: u.firstName,
    last_name: u.lastName,
  };
}

export function fullUser(core: Core, ctx: Ctx, u: UserRec): Record<string, unknown> {
  return {
    url: ctx.absolute(`/api/users/${u.id}`),
    id: u.id,
    username: u.username,
    first_name: u.firstName,
    last_name: u.lastName,
    email: u.email,
    groups: ['user'],
    is_staff: false,
    is_superuser: false,
    is_active: true,
    last_login: isoDate(u.lastLogin),
    date_joined: isoDate(u.dateJoined),
    has_analytics_access: false,
    // 2.80 (cvat-sdk 2.80 model user.py): onboarding answers, blank for an account that gave
    // none; email_verified and created_via are nullable there (no verification record, made by
    // an administrator).
    ...(atLeast280(core)
      ? {
          cvat_usage_reason: '',
          primary_role: '',
          planned_activities: [],
          data_types: [],
          discovery_source: '',
          email_verified: null,
          created_via: null,
        }
      : {}),
  };
}

/** 2.80 changed read models (cvat-sdk 2.80 generated models against the 2.73 schema). */
function atLeast280(core: Core): boolean {
  return core.atLeast('2.80');
}

/** Task status from its jobs: annotation stage → annotation; acceptance+completed → completed;
 * else validation. */
export function jobStatus(
  stage: Stage,
  state: JobState,
): 'annotation' | 'validation' | 'completed' {
  if (stage === 'annotation') return 'annotation';
  if (stage === 'acceptance' && state === 'completed') return 'completed';
  return 'validation';
}

export function taskStatus(core: Core, taskId: number): 'annotation' | 'validation' | 'completed' {
  const statuses = core.jobsOf(taskId).map((j) => jobStatus(j.stage, j.state));
  if (statuses.length === 0 || statuses.includes('annotation')) return 'annotation';
  if (statuses.includes('validation')) return 'validation';
  return 'completed';
}

export function projectStatus(
  core: Core,
  projectId: number,
): 'annotation' | 'validation' | 'completed' {
  const tasks = core.state.tasks
    .filter((t) => t.projectId === projectId)
    .map((t) => taskStatus(core, t.id));
  if (tasks.length === 0 || tasks.includes('annotation')) return 'annotation';
  if (tasks.includes('validation')) return 'validation';
  return 'completed';
}

export function taskRead(core: Core, ctx: Ctx, t: TaskRec): Record<string, unknown> {
  const jobs = core.jobsOf(t.id);
  const project =
    t.projectId === null ? undefined : core.state.projects.find((p) => p.id === t.projectId);
  const d = t.data;
  const out: Record<string, unknown> = {
    url: ctx.absolute(`/api/tasks/${t.id}`),
    id: t.id,
    name: t.name,
    project_id: t.projectId,
    project_name: project?.name ?? null,
    mode: t.mode,
    owner: basicUser(ctx, core.user(t.ownerId)),
    assignee: basicUser(ctx, core.user(t.assigneeId)),
    bug_tracker: t.bugTracker,
    created_date: isoDate(t.createdDate),
    updated_date: isoDate(t.updatedDate),
    overlap: t.overlap,
    segment_size: t.segmentSize,
    status: taskStatus(core, t.id),
  };
  // Until the first POST /data/ creates the data record, CVAT's TaskReadSerializer drops every
  // field read through `data.` (fixture tasks.json, task 12: no size, image_quality, chunk
  // fields or data_cloud_storage_id). From then on they hold the record's values.
  if (d) {
    out.data_chunk_size = d.chunkSize;
    out.data_compressed_chunk_type = d.compressedChunkType;
    out.data_original_chunk_type = d.originalChunkType;
    out.data_cloud_storage_id = null;
  }
  out.guide_id = null;
  if (d) out.size = d.size;
  // Fixture task 36 (audio) has no image_quality.
  if (d && d.mediaType !== 'audio') out.image_quality = d.imageQuality ?? DATA_DEFAULT_QUALITY;
  Object.assign(out, {
    data: d?.id ?? null,
    dimension: t.dimension,
    media_type: d ? (d.mediaType === 'video' ? 'image' : d.mediaType) : '',
    subset: t.subset,
    organization: t.orgId,
    organization_id: t.orgId,
    target_storage: t.targetStorage,
    source_storage: t.sourceStorage,
    jobs: {
      count: jobs.length,
      completed: jobs.filter((j) => jobStatus(j.stage, j.state) === 'completed').length,
      validation: jobs.filter((j) => j.stage === 'validation').length,
      url: ctx.absolute(`/api/jobs?task_id=${t.id}`),
    },
    labels: { url: ctx.absolute(`/api/labels?task_id=${t.id}`) },
    assignee_updated_date: isoDate(t.assigneeUpdatedDate),
    validation_mode: t.data?.validationLayout?.mode ?? null,
  });
  // 2.80 (task_read.py): consensus_enabled is gone, initial_replicas holds the replica count.
  if (atLeast280(core)) out.initial_replicas = t.consensusReplicas;
  else out.consensus_enabled = t.consensusReplicas > 0;
  return out;
}

/** CVAT's Data model default (engine/models.py `image_quality` default=50) before Upload-Finish. */
export const DATA_DEFAULT_QUALITY = 50;

export function jobRead(core: Core, ctx: Ctx, j: JobRec): Record<string, unknown> {
  const t = core.task(j.taskId);
  const project =
    t.projectId === null ? undefined : core.state.projects.find((p) => p.id === t.projectId);
  return {
    url: ctx.absolute(`/api/jobs/${j.id}`),
    id: j.id,
    task_id: t.id,
    task_name: t.name,
    project_id: t.projectId,
    project_name: project?.name ?? null,
    assignee: basicUser(ctx, core.user(j.assigneeId)),
    guide_id: null,
    dimension: t.dimension,
    mode: t.mode,
    media_type: t.data?.mediaType === 'video' ? 'image' : (t.data?.mediaType ?? ''),
    bug_tracker: t.bugTracker || null,
    status: jobStatus(j.stage, j.state),
    stage: j.stage,
    state: j.state,
    frame_count: j.frameCount,
    start_frame: j.startFrame,
    stop_frame: j.stopFrame,
    data_chunk_size: t.data?.chunkSize ?? null,
    data_compressed_chunk_type: t.data?.compressedChunkType ?? '',
    data_original_chunk_type: t.data?.originalChunkType ?? '',
    created_date: isoDate(j.createdDate),
    updated_date: isoDate(j.updatedDate),
    issues: { count: 0, url: ctx.absolute(`/api/issues?job_id=${j.id}`) },
    labels: { url: ctx.absolute(`/api/labels?job_id=${j.id}`) },
    type: j.type ?? 'annotation',
    organization: t.orgId,
    target_storage: t.targetStorage,
    source_storage: t.sourceStorage,
    assignee_updated_date: isoDate(j.assigneeUpdatedDate),
    parent_job_id: null,
    // 2.80 (job_read.py) dropped consensus_replicas; replicas_count stays.
    ...(atLeast280(core) ? {} : { consensus_replicas: 0 }),
    replicas_count: 0,
  };
}

export function projectRead(core: Core, ctx: Ctx, p: ProjectRec): Record<string, unknown> {
  const tasks = core.state.tasks.filter((t) => t.projectId === p.id);
  return {
    url: ctx.absolute(`/api/projects/${p.id}`),
    id: p.id,
    name: p.name,
    owner: basicUser(ctx, core.user(p.ownerId)),
    assignee: basicUser(ctx, core.user(p.assigneeId)),
    guide_id: null,
    bug_tracker: p.bugTracker,
    task_subsets: [...new Set(tasks.map((t) => t.subset).filter(Boolean))],
    created_date: isoDate(p.createdDate),
    updated_date: isoDate(p.updatedDate),
    status: projectStatus(core, p.id),
    dimension: tasks.find((t) => t.dimension)?.dimension ?? null,
    organization: p.orgId,
    organization_id: p.orgId,
    target_storage: p.targetStorage,
    source_storage: p.sourceStorage,
    tasks: { count: tasks.length, url: ctx.absolute(`/api/tasks?project_id=${p.id}`) },
    labels: { url: ctx.absolute(`/api/labels?project_id=${p.id}`) },
    assignee_updated_date: null,
  };
}

export function labelRead(
  l: LabelRec,
  owner: { taskId?: number; projectId?: number },
): Record<string, unknown> {
  return {
    id: l.id,
    name: l.name,
    color: l.color,
    attributes: l.attributes,
    type: l.type,
    sublabels: [],
    // Fixture labels.json: a label has task_id or project_id, never both, never null.
    ...(owner.projectId !== undefined
      ? { project_id: owner.projectId }
      : { task_id: owner.taskId }),
    parent_id: null,
    has_parent: false,
  };
}

export function requestRead(core: Core, ctx: Ctx, r: RequestRec): Record<string, unknown> {
  const owner = core.user(r.ownerId);
  return {
    status: r.status,
    message: r.message,
    id: r.id,
    operation: {
      type: r.kind,
      target: r.target,
      project_id: r.projectId,
      task_id: r.taskId,
      job_id: r.jobId,
      org_id: r.orgId,
      format: r.format,
      function_id: null,
      lightweight: r.lightweight,
    },
    progress: r.progress,
    created_date: isoDate(r.createdDate),
    started_date: isoDate(r.startedDate),
    finished_date: isoDate(r.finishedDate),
    expiry_date: isoDate(r.expiryDate),
    owner: { id: owner?.id ?? r.ownerId, username: owner?.username ?? '' },
    result_url: r.resultPath ? ctx.absolute(r.resultPath) : null,
    result_id: r.resultId,
  };
}

/** A stored track as PUT/PATCH or an import left it; keys as in fixture annotations.json. */
interface TrackIn {
  id?: number;
  frame: number;
  label_id: number;
  group?: number;
  source?: string;
  attributes?: unknown[];
  shapes?: Array<{
    id?: number;
    type: string;
    frame: number;
    occluded?: boolean;
    outside?: boolean;
    z_order?: number;
    rotation?: number;
    points: number[];
    attributes?: unknown[];
  }>;
}

/**
 * GET .../annotations with every key CVAT sends (fixture annotations.json): shapes carry group,
 * source, occluded, outside, z_order, rotation, score and elements; tags an id, group and
 * source; tracks keep their
 * shapes; `intervals` (audio annotations) is always present, empty here.
 */
export function annotationsRead(
  a: Annotations,
  inRange: (frame: number) => boolean,
): Record<string, unknown> {
  return {
    version: a.version,
    tags: a.tags
      .filter((t) => inRange(t.frame))
      .map((t) => ({
        id: t.id ?? null,
        frame: t.frame,
        label_id: t.label_id,
        group: 0,
        source: 'file', // tags come only from imported files here
        attributes: t.attributes ?? [],
      })),
    shapes: a.shapes
      .filter((x) => inRange(x.frame))
      .map((x) => ({
        id: x.id ?? null,
        type: x.type,
        frame: x.frame,
        label_id: x.label_id,
        group: x.group ?? 0,
        source: x.source ?? 'manual',
        occluded: x.occluded ?? false,
        outside: x.outside ?? false,
        z_order: x.z_order ?? 0,
        rotation: x.rotation ?? 0,
        points: x.points,
        attributes: x.attributes ?? [],
        elements: [],
        score: 1,
      })),
    tracks: a.tracks
      .map((t) => t as TrackIn)
      .filter((t) => inRange(t.frame))
      .map((t) => ({
        id: t.id ?? null,
        frame: t.frame,
        label_id: t.label_id,
        group: t.group ?? 0,
        source: t.source ?? 'manual',
        shapes: (t.shapes ?? []).map((x) => ({
          id: x.id ?? null,
          type: x.type,
          frame: x.frame,
          occluded: x.occluded ?? false,
          outside: x.outside ?? false,
          z_order: x.z_order ?? 0,
          rotation: x.rotation ?? 0,
          points: x.points,
          attributes: x.attributes ?? [],
        })),
        attributes: t.attributes ?? [],
        elements: [],
      })),
    intervals: [],
  };
}
