// Task names from a folder rule's template. Placeholders: {folder} (the synced folder's own
// name), {subfolder} (the immediate subfolder a task comes from), {file} (the file of a one-file
// task), {index} (count batches: the folder's rolling batch number; otherwise the how-many-th
// task of that group), {date} and {time} (local planning time, YYYY-MM-DD and HH-MM).

import { copyMark, firstFreeName } from './unique-name.js';
import type { Numbering } from './unique-name.js';

export type TaskNameKind = 'subfolder' | 'root' | 'file' | 'count';

export const DEFAULT_TEMPLATES: Readonly<Record<TaskNameKind, string>> = {
  subfolder: '{folder}/{subfolder}',
  root: '{folder}',
  file: '{folder}/{file}',
  count: '{folder} #{index}',
};

export const PLACEHOLDERS = ['folder', 'subfolder', 'file', 'index', 'date', 'time'] as const;

/** CVAT's limit for a task name. */
export const MAX_TASK_NAME = 256;

export interface TemplateVars {
  folder: string;
  subfolder: string;
  file: string;
  index: number;
  /** Unix ms of planning. */
  at: number;
}

/** Why a template cannot be used, or null. */
export function templateProblem(template: string): string | null {
  if (template.trim() === '') return 'the name template is empty';
  const re = /\{([^{}]*)\}/g;
  for (const m of template.matchAll(re)) {
    const key = m[1] ?? '';
    if (!(PLACEHOLDERS as readonly string[]).includes(key)) {
      return `unknown placeholder {${key}} in the name template (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`;
    }
  }
  if (/[{}]/.test(template.replace(re, ''))) return 'unbalanced { or } in the name template';
  return null;
}

export function renderTaskName(
  template: string | null | undefined,
  kind: TaskNameKind,
  vars: TemplateVars,
): string {
  const source = template && template.trim() !== '' ? template : DEFAULT_TEMPLATES[kind];
  const d = new Date(vars.at);
  const values: Record<string, string> = {
    folder: vars.folder,
    subfolder: vars.subfolder,
    file: vars.file,
    index: String(vars.index),
    date: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    time: `${pad(d.getHours())}-${pad(d.getMinutes())}`,
  };
  const rendered = source.replace(/\{([a-z]+)\}/g, (whole, key: string) => values[key] ?? whole);
  // A placeholder with nothing to say ({subfolder} for root files) must not leave "a//b" or "a/".
  const cleaned = rendered
    .replace(/\/{2,}/g, '/')
    .replace(/\s{2,}/g, ' ')
    .replace(/^[\s/_\-#]+|[\s/_\-#]+$/g, '');
  const name = cleaned === '' ? vars.folder || 'task' : cleaned;
  return truncate(name, MAX_TASK_NAME);
}

/** Task names are numbered at the end, never past CVAT's length limit (unique-name.ts). */
const TASK_NAMES: Numbering = { mark: copyMark, maxChars: MAX_TASK_NAME };

/** `name`, or `name (2)`, `name (3)`… — the first that `taken` does not hold. */
export function uniqueTaskName(name: string, taken: (candidate: string) => boolean): string {
  return firstFreeName(name, taken, TASK_NAMES);
}

function truncate(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : chars.slice(0, max).join('');
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
