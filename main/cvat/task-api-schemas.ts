// zod schemas of the task sub-resources: labels, users for the assignee picker, data meta,
// annotations (CVAT's LabeledData, schema.yml) and the validation layout.
import { z } from 'zod';
import { nullish, userSchema } from './schemas.js';

export const usersPageSchema = z.object({
  count: z.number().int(),
  results: z.array(userSchema),
});

/** A label attribute (AttributeRequest, schema.yml); written without `id` (api.ts LabelAttributeSpec). */
export const labelAttributeSchema = z.object({
  id: z.number().int().optional(),
  name: z.string(),
  mutable: z.boolean().optional(),
  input_type: z.string(),
  default_value: z.string().optional(),
  values: z.array(z.string()).default([]),
});

/** GET /api/labels?task_id=|project_id= items (fixtures/labels.json). */
export const labelSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  color: z.string().default(''),
  type: z.string().default('any'),
  attributes: z.array(labelAttributeSchema).default([]),
  parent_id: nullish(z.number().int()),
});

export const labelsPageSchema = z.object({
  count: z.number().int(),
  next: nullish(z.string()),
  results: z.array(labelSchema),
});

/** DataMetaRead (schema.yml): frames, deleted frames and the range of a task's media. */
export const dataMetaSchema = z.object({
  chunk_size: nullish(z.number().int()),
  size: z.number().int(),
  image_quality: z.number().int().optional(),
  start_frame: z.number().int(),
  stop_frame: z.number().int(),
  frame_filter: z.string().default(''),
  frames: z
    .array(
      z.object({
        name: z.string(),
        width: z.number().int().optional(),
        height: z.number().int().optional(),
        related_files: z.number().int().optional(),
      }),
    )
    .nullable()
    .transform((v) => v ?? []),
  deleted_frames: z.array(z.number().int().min(0)),
  included_frames: nullish(z.array(z.number().int().min(0))),
});

// ---- annotations: LabeledDataRequest (schema.yml), checked before anything is sent ----

const attributeVal = z.strictObject({ spec_id: z.number().int(), value: z.string().max(4096) });
const shapeType = z.enum([
  'rectangle',
  'polygon',
  'polyline',
  'points',
  'ellipse',
  'cuboid',
  'mask',
  'skeleton',
]);
const common = {
  id: z.number().int().nullable().optional(),
  label_id: z.number().int().min(0),
  group: z.number().int().min(0).nullable().optional(),
  source: z.string().min(1).optional(),
  attributes: z.array(attributeVal).optional(),
};
const geometry = {
  type: shapeType,
  occluded: z.boolean().optional(),
  outside: z.boolean().optional(),
  z_order: z.number().int().optional(),
  rotation: z.number().min(0).max(360).optional(),
  points: z.array(z.number()).optional(),
};
const score = z.number().min(0).max(1).optional();
const trackedShape = z.strictObject({
  ...geometry,
  id: z.number().int().nullable().optional(),
  frame: z.number().int().min(0),
  attributes: z.array(attributeVal).optional(),
});
const subShape = z.strictObject({
  ...common,
  ...geometry,
  frame: z.number().int().min(0),
  score,
});
const subTrack = z.strictObject({
  ...common,
  frame: z.number().int().min(0),
  shapes: z.array(trackedShape),
});

export const labeledDataSchema = z.strictObject({
  version: z.number().int().optional(),
  tags: z.array(z.strictObject({ ...common, frame: z.number().int().min(0) })).optional(),
  shapes: z
    .array(
      z.strictObject({
        ...common,
        ...geometry,
        frame: z.number().int().min(0),
        score,
        elements: z.array(subShape).optional(),
      }),
    )
    .optional(),
  tracks: z
    .array(
      z.strictObject({
        ...common,
        frame: z.number().int().min(0),
        shapes: z.array(trackedShape),
        elements: z.array(subTrack).optional(),
      }),
    )
    .optional(),
  intervals: z
    .array(
      z.strictObject({
        ...common,
        score,
        start: z.number().int().min(0),
        stop: z.number().int().min(0).nullable(),
      }),
    )
    .optional(),
});

/** The answer of GET …/annotations: read leniently (new keys are kept as they are). */
export const annotationsReadSchema = z.looseObject({
  version: z.number().int().default(0),
  tags: z.array(z.looseObject({ frame: z.number().int(), label_id: z.number().int() })).default([]),
  shapes: z
    .array(z.looseObject({ frame: z.number().int(), label_id: z.number().int(), type: z.string() }))
    .default([]),
  tracks: z
    .array(z.looseObject({ frame: z.number().int(), label_id: z.number().int() }))
    .default([]),
});

/** TaskValidationLayoutRead (schema.yml). */
export const validationLayoutSchema = z.object({
  mode: nullish(z.string()),
  frames_per_job_count: nullish(z.number().int()),
  validation_frames: z.array(z.number().int()).default([]),
  disabled_frames: z.array(z.number().int()).default([]),
  honeypot_count: z.number().int().default(0),
  honeypot_frames: z.array(z.number().int()).default([]),
  honeypot_real_frames: z.array(z.number().int()).default([]),
});
