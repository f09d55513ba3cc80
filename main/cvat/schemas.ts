// zod schemas for every CVAT answer we read: validate, don't trust. Unknown fields are tolerated
// (dropped); a missing or mistyped field we rely on is a 'bad-response' naming that field.
import { z } from 'zod';
import type { SyncError } from '../core/errors.js';
import { badResponse } from './http-errors.js';

const optionalNullable = <T extends z.ZodType>(t: T) => t.nullable().optional();
/** Absent or null on some servers or in some states; read as `fallback`. */
const nullishOr = <T extends z.ZodType, F>(t: T, fallback: F) =>
  t
    .nullable()
    .optional()
    .transform((v) => v ?? fallback);
/** Absent on some servers or some states; we read it as null. */
export const nullish = <T extends z.ZodType>(t: T) => nullishOr(t, null);

export const aboutSchema = z.object({
  name: z.string(),
  version: z.string(),
  description: z.string().optional(),
});

export const userSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  email: z.string().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
});

export const organizationSchema = z.object({
  id: z.number().int(),
  slug: z.string(),
  name: z.string(),
});

export const accessTokenSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  read_only: z.boolean(),
  expiry_date: nullish(z.string()),
  last_used_date: optionalNullable(z.string()),
});

const userRef = z.object({ id: z.number().int(), username: z.string() }).nullable();
/** A user reference some servers leave out: read as null. */
const optionalUserRef = userRef.optional().transform((v) => v ?? null);

export const taskSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  url: z.string(),
  project_id: nullish(z.number().int()),
  project_name: optionalNullable(z.string()),
  owner: optionalUserRef,
  assignee: optionalUserRef,
  status: z.enum(['annotation', 'validation', 'completed']),
  // CVAT omits `size` (and image_quality, the chunk fields, data_cloud_storage_id) while the task
  // has no data record: a fresh task, or one whose media never came. No data is no frames.
  size: nullishOr(z.number().int(), 0),
  media_type: z.string().default(''),
  mode: z.string(),
  subset: z.string().default(''),
  bug_tracker: z.string().default(''),
  segment_size: z.number().int(),
  overlap: nullish(z.number().int()),
  image_quality: z.number().int().optional(),
  data: nullish(z.number().int()),
  created_date: z.string(),
  updated_date: z.string(),
  organization_id: optionalNullable(z.number().int()),
  jobs: z.object({
    count: z.number().int(),
    completed: z.number().int(),
    validation: z.number().int(),
  }),
});

export const projectSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  status: z.string().optional(),
  organization_id: optionalNullable(z.number().int()),
  updated_date: z.string().optional(),
});

export const jobSchema = z.object({
  id: z.number().int(),
  task_id: z.number().int(),
  stage: z.enum(['annotation', 'validation', 'acceptance']),
  state: z.enum(['new', 'in progress', 'completed', 'rejected']),
  status: z.enum(['annotation', 'validation', 'completed']),
  start_frame: z.number().int(),
  stop_frame: z.number().int(),
  frame_count: z.number().int().optional(),
  type: z.string().optional(),
  updated_date: z.string().optional(),
});

const attributeSpec = z.object({
  id: z.number().int(),
  name: z.string(),
  mutable: z.boolean(),
  input_type: z.string(),
  default_value: z.string(),
  values: z.array(z.string()),
});

/** A skeleton's point: a label without its own sublabels, owner ids or parent. */
const sublabelSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  color: z.string().optional(),
  type: z.string().optional(),
  attributes: z.array(attributeSpec).default([]),
  has_parent: z.boolean().optional(),
});

/** GET /api/labels: `task_id` or `project_id` is present (never both), `svg` only on skeletons. */
export const labelSchema = sublabelSchema.extend({
  sublabels: z.array(sublabelSchema).default([]),
  svg: z.string().optional(),
  task_id: nullish(z.number().int()),
  project_id: nullish(z.number().int()),
  parent_id: nullish(z.number().int()),
});

export const membershipSchema = z.object({
  id: z.number().int(),
  user: userRef,
  organization: z.number().int(),
  is_active: z.boolean(),
  joined_date: nullish(z.string()),
  role: z.enum(['worker', 'supervisor', 'maintainer', 'owner']),
  /** The key of the invitation the membership came from; null for the organization's owner. */
  invitation: nullish(z.string()),
});

export const invitationSchema = z.object({
  key: z.string(),
  created_date: z.string(),
  role: z.string(),
  user: userRef,
  owner: optionalUserRef,
  organization: z.number().int(),
  organization_info: z.object({ id: z.number().int(), slug: z.string() }).optional(),
  expired: z.boolean().optional(),
  accepted: z.boolean().optional(),
});

export const cloudStorageSchema = z.object({
  id: z.number().int(),
  provider_type: z.string(),
  resource: z.string(),
  display_name: z.string(),
  credentials_type: z.string(),
  owner: optionalUserRef,
  organization: nullish(z.number().int()),
  specific_attributes: z.string().default(''),
  description: z.string().default(''),
  manifests: z.array(z.string()).default([]),
  created_date: z.string(),
  updated_date: z.string(),
});

const attributeValue = z.object({ spec_id: z.number().int(), value: z.string() });
const annotationBase = {
  id: nullish(z.number().int()),
  frame: z.number().int(),
  label_id: z.number().int(),
  group: nullish(z.number().int()),
  source: z.string().default('manual'),
  attributes: z.array(attributeValue).default([]),
};
const shapeGeometry = {
  type: z.string(),
  occluded: z.boolean().default(false),
  outside: z.boolean().default(false),
  z_order: z.number().int().default(0),
  rotation: z.number().default(0),
  points: z.array(z.number()).default([]),
};
const shapeAnnotation = z.object({
  ...annotationBase,
  ...shapeGeometry,
  score: z.number().optional(),
  elements: z.array(z.object({ ...annotationBase, ...shapeGeometry })).default([]),
});
const trackedShape = z.object({
  id: nullish(z.number().int()),
  frame: z.number().int(),
  attributes: z.array(attributeValue).default([]),
  ...shapeGeometry,
});
const trackAnnotation = z.object({
  ...annotationBase,
  shapes: z.array(trackedShape),
  elements: z.array(z.object({ ...annotationBase, shapes: z.array(trackedShape) })).default([]),
});

/** GET /api/{tasks,jobs}/{id}/annotations. `intervals` (audio) is absent on older servers. */
export const annotationsSchema = z.object({
  version: z.number().int(),
  tags: z.array(z.object(annotationBase)),
  shapes: z.array(shapeAnnotation),
  tracks: z.array(trackAnnotation),
  intervals: z
    .array(
      z.object({
        id: nullish(z.number().int()),
        label_id: z.number().int(),
        group: nullish(z.number().int()),
        source: z.string().default('manual'),
        start: z.number(),
        stop: z.number(),
        attributes: z.array(attributeValue).default([]),
      }),
    )
    .default([]),
});

const formatEntry = z.object({
  name: z.string(),
  ext: z.string(),
  version: z.string(),
  enabled: z.boolean().default(true),
  dimension: z.string().default('2d'),
});

export const formatsSchema = z.object({
  importers: z.array(formatEntry),
  exporters: z.array(formatEntry),
});

export const requestSchema = z.object({
  id: z.string(),
  status: z.enum(['queued', 'started', 'finished', 'failed']),
  message: nullishOr(z.string(), ''),
  progress: nullish(z.number()),
  operation: z.object({
    type: z.string(),
    target: z.string(),
    task_id: nullish(z.number().int()),
    project_id: nullish(z.number().int()),
    job_id: nullish(z.number().int()),
    format: nullish(z.string()),
  }),
  created_date: z.string(),
  started_date: nullish(z.string()),
  finished_date: nullish(z.string()),
  expiry_date: nullish(z.string()),
  result_url: nullish(z.string()),
  result_id: nullish(z.number().int()),
});

export const rqIdSchema = z.object({ rq_id: z.string().min(1) });

export const loginSchema = z.object({ key: z.string().min(1) });

export const taskStatusSchema = z.object({
  state: z.enum(['Queued', 'Started', 'Finished', 'Failed']),
  message: nullishOr(z.string(), ''),
  progress: nullish(z.number()),
});

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    count: z.number().int(),
    next: nullish(z.string()),
    previous: nullish(z.string()),
    results: z.array(item),
  });
}

/** Validates `value`; a mismatch names the first offending field, e.g. `results[3].status`. */
export function parseWith<T extends z.ZodType>(
  schema: T,
  value: unknown,
  operation: string,
  url: string,
): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw schemaError(r.error, operation, url);
}

function schemaError(error: z.ZodError, operation: string, url: string): SyncError {
  const issue = error.issues[0];
  if (!issue) return badResponse(operation, url, 'invalid body');
  const field = issue.path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    '',
  );
  return badResponse(operation, url, field ? `field "${field}": ${issue.message}` : issue.message);
}
