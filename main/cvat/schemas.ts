// zod schemas for every CVAT answer we read: validate, don't trust. Unknown fields are tolerated
// (dropped); a missing or mistyped field we rely on is a 'bad-response' naming that field.
import { z } from 'zod';
import type { SyncError } from '../core/errors.js';
import { badResponse } from './http-errors.js';

const optionalNullable = <T extends z.ZodType>(t: T) => t.nullable().optional();
/** Absent on some servers or some states; we read it as null. */
const nullish = <T extends z.ZodType>(t: T) =>
  t
    .nullable()
    .optional()
    .transform((v) => v ?? null);

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

export const taskSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  url: z.string(),
  project_id: nullish(z.number().int()),
  project_name: optionalNullable(z.string()),
  owner: userRef.optional().transform((v) => v ?? null),
  assignee: userRef.optional().transform((v) => v ?? null),
  status: z.enum(['annotation', 'validation', 'completed']),
  size: z.number().int(),
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
  message: z
    .string()
    .nullable()
    .optional()
    .transform((v) => v ?? ''),
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
  message: z
    .string()
    .nullable()
    .optional()
    .transform((v) => v ?? ''),
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
