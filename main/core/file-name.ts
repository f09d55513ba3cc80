// File names as CVAT and the operating systems see them. CVAT keeps only basenames inside a
// task, so files from nested folders must get unique flat names.
import { cvatMark, firstFreeName, lastExtension } from './unique-name.js';
import type { Numbering } from './unique-name.js';
import { utf8Length } from './utf8.js';

// eslint-disable-next-line no-control-regex -- control characters are exactly what we look for
const CONTROL = /[\u0000-\u001f\u007f]/;
const MAX_NAME_BYTES = 255;

/** Why CVAT or the target OS would reject this basename, or null when it is fine. */
export function nameProblem(name: string): string | null {
  if (name === '' || name === '.' || name === '..') return 'empty or relative name';
  // Node decodes invalid UTF-8 bytes to U+FFFD: such a name cannot be reopened or sent.
  if (name.includes('\ufffd')) return 'the name is not valid UTF-8';
  if (CONTROL.test(name)) return 'the name contains control characters';
  if (name.includes('\\')) return 'the name contains a backslash';
  if (utf8Length(name) > MAX_NAME_BYTES) return `the name is longer than ${MAX_NAME_BYTES} bytes`;
  return null;
}

/** How colliding file names inside a task are numbered: "x_2.jpg", CVAT's own rule (unique-name.ts). */
export const CVAT_FILE_NAMES: Numbering = { mark: cvatMark, split: lastExtension };

export function baseName(relPath: string): string {
  return relPath.slice(relPath.lastIndexOf('/') + 1);
}

/**
 * Unique basenames for the files of one task, given their paths relative to the task's folder
 * (in the task's order). A basename used once is kept; basenames that collide (ignoring case,
 * for users on Windows and macOS) are replaced by the relative path joined with '_'
 * ('a/x.jpg' -> 'a_x.jpg'); anything still colliding gets '_2', '_3' before the extension.
 */
export function uniqueTaskNames(relPaths: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const p of relPaths) {
    const key = baseName(p).toLowerCase();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const taken = new Set<string>();
  return relPaths.map((p) => {
    const base = baseName(p);
    const flat = (counts.get(base.toLowerCase()) ?? 0) > 1 ? p.split('/').join('_') : base;
    const name = firstFreeName(flat, (c) => taken.has(c.toLowerCase()), CVAT_FILE_NAMES);
    taken.add(name.toLowerCase());
    return name;
  });
}
