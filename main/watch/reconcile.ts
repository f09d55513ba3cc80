// What one scan observation does to a file's journal row (pure; the scanner applies the result).
import type { IgnoreVerdict } from '../core/ignore-reason.js';
import { isScanReason } from '../core/ignore-reason.js';
import type { FileFields, FileRow, FileWrite } from '../core/file-record.js';

export interface Observation {
  relPath: string;
  dir: string;
  size: number;
  mtimeMs: number;
  verdict: IgnoreVerdict | null;
}

export function fieldsOf(row: FileRow): FileFields {
  return {
    size: row.size,
    mtimeMs: row.mtimeMs,
    state: row.state,
    reason: row.reason,
    detail: row.detail,
    sha256: row.sha256,
    lastSeenAt: row.lastSeenAt,
    changedAt: row.changedAt,
    missingSince: row.missingSince,
    batchId: row.batchId,
  };
}

export function reconcile(
  row: FileRow | undefined,
  obs: Observation,
  now: number,
): FileWrite | null {
  const v = obs.verdict;
  if (!row) {
    return {
      kind: 'insert',
      relPath: obs.relPath,
      dir: obs.dir,
      fields: {
        size: obs.size,
        mtimeMs: obs.mtimeMs,
        state: v ? 'ignored' : 'seen',
        reason: v?.reason ?? null,
        detail: v?.detail ?? null,
        sha256: null,
        lastSeenAt: now,
        changedAt: now,
        missingSince: null,
        batchId: null,
      },
    };
  }
  const next = fieldsOf(row);
  let dirty = false;
  if (row.missingSince !== null) {
    next.missingSince = null;
    dirty = true;
  }
  // A planned file belongs to its batch: the upload engine re-checks it and asks for a re-plan.
  if (row.state === 'planned')
    return dirty ? { kind: 'update', id: row.id, fields: { ...next, lastSeenAt: now } } : null;

  const changed = row.size !== obs.size || row.mtimeMs !== obs.mtimeMs;
  if (changed) {
    // New content: settle, hash and plan again (the ledger catches it if the bytes are known).
    Object.assign(next, {
      size: obs.size,
      mtimeMs: obs.mtimeMs,
      state: v ? 'ignored' : 'seen',
      reason: v?.reason ?? null,
      detail: v?.detail ?? null,
      sha256: null,
      changedAt: now,
      // A file parked in a batch for re-planning stays with it; an uploaded one is a new version.
      batchId: row.state === 'uploaded' ? null : row.batchId,
    } satisfies Partial<FileFields>);
    dirty = true;
  } else if (row.state !== 'uploaded') {
    if (v) {
      if (row.state !== 'ignored' || row.reason !== v.reason || row.detail !== v.detail) {
        Object.assign(next, {
          state: 'ignored',
          reason: v.reason,
          detail: v.detail,
          batchId: null,
        } satisfies Partial<FileFields>);
        dirty = true;
      }
    } else if ((row.state === 'ignored' && isScanReason(row.reason)) || row.state === 'failed') {
      // The rule or the permissions changed: try again (the settle window already passed).
      Object.assign(next, {
        state: 'seen',
        reason: null,
        detail: null,
      } satisfies Partial<FileFields>);
      dirty = true;
    }
  }
  return dirty ? { kind: 'update', id: row.id, fields: { ...next, lastSeenAt: now } } : null;
}
