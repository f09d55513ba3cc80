// Compares the *shape* of two JSON answers: the same keys present (and absent) and the same JSON
// type per key, recursively through nested objects and array items. Values are not compared:
// ids, names and dates differ between servers, but `null` vs `""` or a number vs a string do not.
import type { Json } from './fixtures.js';

export type JsonType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

export function jsonType(v: Json | undefined): JsonType {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v as JsonType;
}

export interface ShapeOptions {
  /**
   * Paths (dot form, `[]` for array items, e.g. `jobs.url`, `attributes[].values`) whose values
   * are free-form JSON: only the type of the value itself is compared. For JSON fields such as
   * an organization's `contact`, whose keys are whatever the user stored.
   */
  opaque?: string[];
  /** Paths where either side may be null while the other holds a value (nullable per CVAT). */
  nullable?: string[];
}

/**
 * Differences between `actual` and `expected` as readable lines; empty when the shapes agree.
 * Arrays: every item of `actual` is compared with the first item of `expected` (CVAT's lists
 * hold one kind of item); an empty array on either side compares only as `array`.
 */
export function shapeDiff(actual: Json, expected: Json, options: ShapeOptions = {}): string[] {
  const out: string[] = [];
  walk(actual, expected, '', options, out);
  return [...new Set(out)]; // items of one array repeat the same finding
}

function walk(a: Json, e: Json, path: string, o: ShapeOptions, out: string[]): void {
  const ta = jsonType(a);
  const te = jsonType(e);
  const at = path || '(root)';
  if (ta !== te) {
    if ((ta === 'null' || te === 'null') && o.nullable?.includes(path)) return;
    out.push(`${at}: ${ta} where CVAT has ${te}`);
    return;
  }
  if (o.opaque?.includes(path)) return;
  if (ta === 'object') {
    const ao = a as Record<string, Json>;
    const eo = e as Record<string, Json>;
    for (const k of Object.keys(eo)) if (!(k in ao)) out.push(`${join(path, k)}: missing`);
    for (const k of Object.keys(ao))
      if (!(k in eo)) out.push(`${join(path, k)}: not in CVAT's answer`);
    for (const k of Object.keys(eo))
      if (k in ao) walk(ao[k] as Json, eo[k] as Json, join(path, k), o, out);
  } else if (ta === 'array') {
    const aa = a as Json[];
    const ea = e as Json[];
    if (aa.length === 0 || ea.length === 0) return;
    for (const item of aa) walk(item, ea[0] as Json, `${path}[]`, o, out);
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
