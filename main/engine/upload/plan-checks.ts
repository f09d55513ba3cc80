// Whether planned files still match the plan: by size and mtime before they are sent (side by
// side for a bulk group, possibly ahead of sending it) and by content hash after.
import type { BatchFileRow } from '../../journal/batch-repo.js';
import type { FileSystem } from '../../fs/file-system.js';
import { changedSincePlan, probeFile } from './file-probe.js';

/** The plan check of one bulk group (identified by its file ids), possibly started ahead. */
export interface GroupCheck {
  ids: string;
  result: Promise<{ file: BatchFileRow; reason: string } | null>;
}

/** Why `f` no longer matches its planned size and mtime, or null. No side effects: it may run ahead. */
export async function checkFile(fs: FileSystem, f: BatchFileRow): Promise<string | null> {
  return changedSincePlan({ size: f.size, mtimeMs: f.mtimeMs }, await probeFile(fs, f.absPath));
}

/**
 * The first file of `group` (in order) that no longer matches its plan, and why. The stats run
 * side by side: one after the other, a thousand of them cost a noticeable pause per request.
 */
export async function firstChanged(
  fs: FileSystem,
  group: BatchFileRow[],
): Promise<{ file: BatchFileRow; reason: string } | null> {
  const reasons = await Promise.all(group.map((f) => checkFile(fs, f)));
  const i = reasons.findIndex((r) => r !== null);
  const file = group[i];
  return file ? { file, reason: reasons[i] as string } : null;
}

/** Checks a bulk group's files ahead of sending; the first changed file and why. */
export function checkGroup(fs: FileSystem, group: BatchFileRow[]): GroupCheck {
  const ids = group.map((f) => f.id).join(',');
  const result = firstChanged(fs, group);
  // A check run ahead may be dropped (413 regrouping, abort): never an unhandled rejection.
  result.catch(() => undefined);
  return { ids, result };
}

/** The first file whose sent bytes do not hash to its planned SHA-256 (files planned without one pass). */
export function contentChanged(group: BatchFileRow[], sent: string[]): BatchFileRow | null {
  for (let i = 0; i < group.length; i++) {
    const f = group[i]!;
    if (f.sha256 !== null && sent[i] !== f.sha256) return f;
  }
  return null;
}
