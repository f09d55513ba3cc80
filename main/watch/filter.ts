// Which paths under a sync folder are candidates, and why the others are not. Built-in rules
// ignore hidden files and partial downloads; the rule's include/exclude globs (picomatch) come
// on top. Patterns without a slash match the basename anywhere ('*.png'); case is ignored.
import picomatch from 'picomatch';
import type { IgnoreVerdict } from '../core/ignore-reason.js';
import { nameProblem } from '../core/file-name.js';
import { extensionOf, mediaKindOf } from '../core/media.js';

export const PARTIAL_PATTERNS = [
  '*.part',
  '*.crdownload',
  '*.tmp',
  '*.partial',
  '*.download',
  '~$*',
  '.DS_Store',
  'Thumbs.db',
];

export interface FilterRule {
  include: readonly string[];
  exclude: readonly string[];
  maxFileSizeBytes?: number | null;
}

export interface PathFilter {
  /** Verdict for a directory (null = walk into it). */
  dir(relPath: string): IgnoreVerdict | null;
  /** Verdict from the path alone (null = look at its stat next). */
  path(relPath: string): IgnoreVerdict | null;
  /** Verdict once the size is known. */
  size(size: number): IgnoreVerdict | null;
}

const OPTIONS = { dot: true, nocase: true } as const;

/** picomatch's own `basename` option breaks patterns with a slash, so the two kinds are split. */
function globMatcher(patterns: readonly string[]): ((relPath: string) => boolean) | null {
  if (patterns.length === 0) return null;
  const bare = patterns.filter((p) => !p.includes('/'));
  const pathed = patterns.filter((p) => p.includes('/'));
  const onBase = bare.length ? picomatch(bare, OPTIONS) : null;
  const onPath = pathed.length ? picomatch(pathed, OPTIONS) : null;
  return (relPath) =>
    (onBase?.(relPath.slice(relPath.lastIndexOf('/') + 1)) ?? false) ||
    (onPath?.(relPath) ?? false);
}

export function compileFilter(rule: FilterRule): PathFilter {
  const partial = globMatcher(PARTIAL_PATTERNS) as (relPath: string) => boolean;
  const excluded = globMatcher(rule.exclude);
  const included = globMatcher(rule.include);
  const max = rule.maxFileSizeBytes ?? null;

  const common = (relPath: string): IgnoreVerdict | null => {
    const base = relPath.slice(relPath.lastIndexOf('/') + 1);
    const bad = nameProblem(base);
    if (bad) return { reason: 'bad-name', detail: bad };
    if (partial(relPath)) return { reason: 'partial-download', detail: base };
    if (base.startsWith('.')) return { reason: 'hidden', detail: base };
    if (excluded?.(relPath))
      return { reason: 'excluded', detail: matchedPattern(rule.exclude, relPath) };
    return null;
  };

  return {
    dir: common,
    path(relPath) {
      const v = common(relPath);
      if (v) return v;
      if (included && !included(relPath))
        return { reason: 'not-included', detail: rule.include.join(', ') };
      const kind = mediaKindOf(relPath);
      if (kind === 'unknown' || kind === 'manifest' || kind === 'pointcloud') {
        const ext = extensionOf(relPath);
        const why = kind === 'pointcloud' ? ' (3D point clouds must be zipped)' : '';
        return { reason: 'unsupported-type', detail: `${ext ? `.${ext}` : 'no extension'}${why}` };
      }
      return null;
    },
    size(size) {
      if (size === 0) return { reason: 'empty', detail: '0 bytes' };
      if (max !== null && size > max)
        return { reason: 'too-large', detail: `${size} bytes, the limit is ${max}` };
      return null;
    },
  };
}

function matchedPattern(patterns: readonly string[], relPath: string): string {
  return patterns.find((p) => globMatcher([p])?.(relPath)) ?? patterns.join(', ');
}
