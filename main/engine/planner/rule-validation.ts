// Checks a FolderRule before it is stored, with messages a user can act on.
import type { FolderRule } from '../../../preload/contract.js';
import { SyncError } from '../../core/errors.js';
import { templateProblem } from '../../core/name-template.js';

export interface RuleProblem {
  field: string;
  message: string;
}

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

function isAbsolute(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
}

export function validateFolderRule(rule: FolderRule): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const add = (field: string, message: string): void => void problems.push({ field, message });
  if (typeof rule.path !== 'string' || rule.path.trim() === '')
    add('path', 'Choose the folder to sync.');
  else if (!isAbsolute(rule.path))
    add('path', `The folder path must be absolute, got "${rule.path}".`);
  if (rule.target?.kind === 'project') {
    if (!Number.isInteger(rule.target.projectId) || rule.target.projectId <= 0)
      add('target', 'Pick a CVAT project (its id must be a positive number).');
  } else if (rule.target?.kind === 'labels') {
    const labels = Array.isArray(rule.target.labels) ? rule.target.labels : [];
    if (labels.length === 0)
      add('target', 'Add at least one label, or pick a project whose labels the tasks should use.');
    const names = new Set<string>();
    for (const l of labels) {
      if (!l || typeof l.name !== 'string' || l.name.trim() === '')
        add('target', 'Every label needs a name.');
      else if (names.has(l.name)) add('target', `The label "${l.name}" is listed twice.`);
      else names.add(l.name);
    }
  } else add('target', 'Choose a target: a CVAT project or a set of labels.');
  if (rule.split?.kind === 'count') {
    if (!Number.isInteger(rule.split.count) || rule.split.count <= 0)
      add(
        'split',
        `Files per task must be a whole number above 0, got ${String(rule.split.count)}.`,
      );
  } else if (rule.split?.kind !== 'subfolder' && rule.split?.kind !== 'file')
    add(
      'split',
      'Choose how to split the folder: by subfolder, every N files, or one task per file.',
    );
  if (rule.nameTemplate != null) {
    const p = templateProblem(rule.nameTemplate);
    if (p) add('nameTemplate', `${p[0]?.toUpperCase() ?? ''}${p.slice(1)}.`);
  }
  for (const [field, list] of [
    ['include', rule.include],
    ['exclude', rule.exclude],
  ] as const) {
    if (!Array.isArray(list)) {
      add(field, `${field} must be a list of patterns.`);
      continue;
    }
    for (const g of list) {
      const p = typeof g === 'string' ? globProblem(g) : 'is not text';
      if (p) add(field, `The ${field} pattern "${String(g)}" ${p}.`);
    }
  }
  if (
    typeof rule.settleSeconds !== 'number' ||
    !Number.isFinite(rule.settleSeconds) ||
    rule.settleSeconds < 0
  ) {
    add(
      'settleSeconds',
      `The settle time must be 0 seconds or more, got ${String(rule.settleSeconds)}.`,
    );
  }
  if (
    rule.maxFileSizeBytes != null &&
    (!Number.isInteger(rule.maxFileSizeBytes) || rule.maxFileSizeBytes <= 0)
  ) {
    add(
      'maxFileSizeBytes',
      'The maximum file size must be a positive number of bytes (or empty for no limit).',
    );
  }
  const o = rule.taskOptions;
  if (!o || !Number.isInteger(o.imageQuality) || o.imageQuality < 1 || o.imageQuality > 100) {
    add('taskOptions.imageQuality', 'Image quality must be a whole number from 1 to 100.');
  } else {
    for (const k of ['segmentSize', 'overlap', 'startFrame', 'stopFrame'] as const) {
      const v = o[k];
      if (v != null && (!Number.isInteger(v) || v < 0))
        add(`taskOptions.${k}`, `${k} must be a whole number of 0 or more.`);
    }
    for (const k of ['chunkSize', 'frameStep'] as const) {
      const v = o[k];
      if (v != null && (!Number.isInteger(v) || v < 1))
        add(`taskOptions.${k}`, `${k} must be a whole number above 0.`);
    }
    if (o.startFrame != null && o.stopFrame != null && o.startFrame > o.stopFrame)
      add('taskOptions.stopFrame', 'The stop frame comes before the start frame.');
    if (o.subset != null && o.subset.length > 64)
      add('taskOptions.subset', 'The subset name is longer than 64 characters.');
  }
  return problems;
}

/** Throws an item SyncError listing every problem. */
export function assertValidRule(rule: FolderRule): void {
  const problems = validateFolderRule(rule);
  if (problems.length === 0) return;
  throw new SyncError(problems.map((p) => p.message).join(' '), {
    code: 'invalid-rule',
    kind: 'item',
    operation: 'save folder rule',
    hint: problems[0]?.message,
  });
}
