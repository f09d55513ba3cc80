// The one check of a sync-folder rule. The folder editor, the contract's addFolder/updateFolder/
// previewFolder arguments and the planner (before a rule is stored) all parse with this schema,
// so a value the editor lets through is one the service accepts, and the other way round.
// Bounds are CVAT's where CVAT has one (cvat/apps/engine/serializers.py: DataSerializer's
// image_quality 1..100, chunk_size/start_frame/stop_frame >= 0, TaskWriteSerializer's
// segment_size/overlap >= 0, subset <= 64, bug_tracker <= 2000; label and attribute names <= 64).
// Messages are written for the person filling the form; `field` names the form field.
import { z } from 'zod';
import type { FolderRule } from '../model/index.js';
import { templateProblem } from './name-template.js';

export interface RuleProblem {
  /** The top-level field ('path', 'split', …) or 'taskOptions.<name>'. */
  field: string;
  message: string;
}

/** CVAT stores these counts in a Postgres integer. */
const CVAT_INT_MAX = 2_147_483_647;
export const MAX_FILES_PER_TASK = 100_000;
/** One day: a longer settle window means a file is never seen as stable. */
export const MAX_SETTLE_SECONDS = 86_400;
/** One year. */
export const MAX_INTERVAL_MINUTES = 525_600;

const got = (input: unknown): string => String(input);

export function globProblem(pattern: string): string | null {
  if (pattern.trim() === '') return 'is empty';
  if (pattern.startsWith('/') || /^[A-Za-z]:[\\/]/.test(pattern))
    return 'must be relative to the folder (no leading / or drive)';
  if (pattern.includes('\\')) return 'uses a backslash: write paths with /';
  const pairs: Record<string, string> = { ']': '[', '}': '{', ')': '(' };
  const stack: string[] = [];
  for (const ch of pattern) {
    if (ch === '[' || ch === '{' || ch === '(') stack.push(ch);
    else if (ch in pairs) {
      if (stack.pop() !== pairs[ch]) return `has an unmatched '${ch}'`;
    }
  }
  if (stack.length) return `has an unclosed '${stack[stack.length - 1]}'`;
  return null;
}

export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
}

const absolutePath = (what: string) =>
  z
    .string({ error: `Choose the ${what}.` })
    .max(4096, { error: `The ${what} path is longer than 4096 characters.` })
    .refine((p) => p.trim() !== '', { error: `Choose the ${what}.`, abort: true })
    .refine(isAbsolutePath, {
      error: (issue) => `The ${what} path must be absolute, got "${got(issue.input)}".`,
    });

const wholeAtLeast = (min: number, name: string) =>
  z
    .int({
      error: `${name} must be a whole number ${min === 0 ? 'of 0 or more' : 'above 0'}.`,
    })
    .min(min, {
      error: `${name} must be a whole number ${min === 0 ? 'of 0 or more' : 'above 0'}.`,
    })
    .max(CVAT_INT_MAX, { error: `${name} is larger than CVAT accepts (${CVAT_INT_MAX}).` });

const taskOptions = z
  .strictObject({
    imageQuality: z
      .int({ error: 'Image quality must be a whole number from 1 to 100.' })
      .min(1, { error: 'Image quality must be a whole number from 1 to 100.' })
      .max(100, { error: 'Image quality must be a whole number from 1 to 100.' }),
    segmentSize: wholeAtLeast(0, 'segmentSize').nullable().optional(),
    overlap: wholeAtLeast(0, 'overlap').nullable().optional(),
    sortingMethod: z.enum(['lexicographical', 'natural', 'predefined', 'random']).optional(),
    chunkSize: wholeAtLeast(1, 'chunkSize').nullable().optional(),
    subset: z
      .string()
      .max(64, { error: 'The subset name is longer than 64 characters.' })
      .nullable()
      .optional(),
    startFrame: wholeAtLeast(0, 'startFrame').nullable().optional(),
    stopFrame: wholeAtLeast(0, 'stopFrame').nullable().optional(),
    frameStep: wholeAtLeast(1, 'frameStep').nullable().optional(),
    bugTracker: z
      .string()
      .max(2000, { error: 'The issue tracker URL is longer than 2000 characters.' })
      .nullable()
      .optional(),
    useZipChunks: z.boolean().optional(),
    useCache: z.boolean().optional(),
  })
  .refine((o) => o.startFrame == null || o.stopFrame == null || o.startFrame <= o.stopFrame, {
    error: 'The stop frame comes before the start frame.',
    path: ['stopFrame'],
  });

const name64 = (what: string) =>
  z
    .string()
    .refine((s) => s.trim() !== '', { error: `Every ${what} needs a name.` })
    .refine((s) => s.length <= 64, { error: `A ${what} name is longer than 64 characters.` });

const labelAttribute = z.strictObject({
  name: name64('attribute'),
  mutable: z.boolean().optional(),
  input_type: z.enum(['checkbox', 'radio', 'number', 'text', 'select']),
  default_value: z.string().max(128).optional(),
  values: z.array(z.string().max(200)).max(1000),
});

const labelSpec = z.strictObject({
  name: name64('label'),
  color: z.string().max(32).optional(),
  type: z.string().max(32).optional(),
  attributes: z.array(labelAttribute).max(200).optional(),
});

const labels = z
  .array(labelSpec)
  .min(1, {
    error: 'Add at least one label, or pick a project whose labels the tasks should use.',
  })
  .max(1000, { error: 'A task takes at most 1000 labels.' })
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    for (const label of list) {
      if (seen.has(label.name))
        ctx.addIssue({ code: 'custom', message: `The label "${label.name}" is listed twice.` });
      seen.add(label.name);
    }
  });

const target = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('project'),
      projectId: z
        .int({ error: 'Pick a CVAT project (its id must be a positive number).' })
        .positive({ error: 'Pick a CVAT project (its id must be a positive number).' }),
    }),
    z.strictObject({ kind: z.literal('labels'), labels }),
  ],
  { error: 'Choose a target: a CVAT project or a set of labels.' },
);

const split = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('subfolder') }),
    z.strictObject({
      kind: z.literal('count'),
      count: z
        .int({
          error: (issue) =>
            `Files per task must be a whole number above 0, got ${got(issue.input)}.`,
        })
        .min(1, {
          error: (issue) =>
            `Files per task must be a whole number above 0, got ${got(issue.input)}.`,
        })
        .max(MAX_FILES_PER_TASK, {
          error: `Files per task can be at most ${MAX_FILES_PER_TASK}.`,
        }),
    }),
    z.strictObject({ kind: z.literal('file') }),
  ],
  {
    error: 'Choose how to split the folder: by subfolder, every N files, or one task per file.',
  },
);

const patterns = (field: 'include' | 'exclude') =>
  z
    .array(
      z.string({ error: `The ${field} pattern is not text.` }).superRefine((g, ctx) => {
        const problem = g.length > 1024 ? 'is longer than 1024 characters' : globProblem(g);
        if (problem)
          ctx.addIssue({ code: 'custom', message: `The ${field} pattern "${g}" ${problem}.` });
      }),
      { error: `${field} must be a list of patterns.` },
    )
    .max(200, { error: `At most 200 ${field} patterns.` });

const nameTemplate = z
  .string()
  .max(256, { error: 'The name template is longer than 256 characters.' })
  .superRefine((t, ctx) => {
    const problem = templateProblem(t);
    if (problem)
      ctx.addIssue({
        code: 'custom',
        message: `${problem[0]?.toUpperCase() ?? ''}${problem.slice(1)}.`,
      });
  });

/** An auto-export rule, of a sync folder or of a project (the results engine checks the same). */
export const autoExportRuleSchema = z
  .strictObject({
    formats: z.array(z.string().min(1).max(256)).max(50),
    withImages: z.boolean(),
    backup: z.boolean(),
    destination: absolutePath('destination folder'),
    trigger: z.enum(['completed', 'schedule']),
    intervalMinutes: z
      .int({ error: 'The schedule interval must be a whole number of minutes.' })
      .min(1, { error: 'The schedule interval must be at least 1 minute.' })
      .max(MAX_INTERVAL_MINUTES, { error: 'The schedule interval can be at most a year.' })
      .nullable()
      .optional(),
    extract: z.boolean().optional(),
  })
  .refine((a) => a.formats.length > 0 || a.backup, {
    error: 'Auto-export needs a format or the backup.',
    path: ['formats'],
  });

const settleError = (issue: { input?: unknown }): string =>
  `The settle time must be 0 seconds or more, got ${got(issue.input)}.`;

export const folderRuleSchema = z.strictObject({
  path: absolutePath('folder'),
  target,
  org: z.string().max(128).nullable().optional(),
  split,
  nameTemplate: nameTemplate.nullable().optional(),
  include: patterns('include'),
  exclude: patterns('exclude'),
  settleSeconds: z
    .number({ error: settleError })
    .min(0, { error: settleError })
    .max(MAX_SETTLE_SECONDS, { error: `The settle time can be at most ${MAX_SETTLE_SECONDS} s.` }),
  maxFileSizeBytes: z
    .int({
      error: 'The maximum file size must be a positive number of bytes (or empty for no limit).',
    })
    .positive({
      error: 'The maximum file size must be a positive number of bytes (or empty for no limit).',
    })
    .nullable()
    .optional(),
  polling: z.boolean(),
  taskOptions,
  autoExport: autoExportRuleSchema.nullable().optional(),
  adoptExisting: z.boolean().optional(),
}) satisfies z.ZodType<FolderRule>;

/** The form field a problem belongs to: top-level, except task options by name. */
function fieldOf(path: readonly PropertyKey[]): string {
  const [first, second] = path.map(String);
  if (first === undefined) return 'rule';
  return first === 'taskOptions' && second !== undefined ? `taskOptions.${second}` : first;
}

/** Every problem of a candidate rule, in form order; [] when it can be saved. */
export function folderRuleProblems(rule: unknown): RuleProblem[] {
  const parsed = folderRuleSchema.safeParse(rule);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => ({
    field: fieldOf(issue.path),
    message: issue.message,
  }));
}
