// A file is stable when its size and mtime did not change for the settle window AND it can be
// opened for reading; then its SHA-256 is recorded. The file is stat-ed again after hashing: a
// file that changed or vanished meanwhile starts over (never planned half-written).
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { AbortSignalLike } from '../core/signal.js';
import type { FileFields, FileRow, FileWrite } from '../core/file-record.js';
import type { FileStore } from './file-store.js';
import type { FileSystem } from '../fs/file-system.js';
import { errorCode } from '../fs/file-system.js';
import { sha256File } from './hasher.js';
import { mediaSniffer } from '../core/media-sniff.js';
import { fieldsOf } from './reconcile.js';

export interface GateTarget {
  folderId: number;
  root: string;
  settleMs: number;
}

export interface GateReport {
  stable: number;
  changed: number;
  missing: number;
  ignored: number;
  /** When the next file's settle window ends, or null when nothing is settling. */
  nextDueAt: number | null;
}

const ROUND = 256;
const STAT_FIRST_BYTES = 1024 * 1024;

export class StabilityGate {
  constructor(
    private readonly files: FileStore,
    private readonly fs: FileSystem,
    private readonly clock: Clock,
    private readonly concurrency = 8,
  ) {}

  async process(target: GateTarget, signal?: AbortSignalLike): Promise<GateReport> {
    const report: GateReport = { stable: 0, changed: 0, missing: 0, ignored: 0, nextDueAt: null };
    const before = this.clock.now() - target.settleMs;
    let cursor: { changedAt: number; id: number } | undefined;
    for (;;) {
      const due = this.files.dueForSettle(target.folderId, before, ROUND, cursor);
      const last = due[due.length - 1];
      if (!last) break;
      cursor = { changedAt: last.changedAt, id: last.id };
      const writes: FileWrite[] = [];
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < due.length) {
          const row = due[next++] as FileRow;
          const fields = await this.check(target, row, signal);
          if (!fields) continue;
          if (fields.missingSince !== null) report.missing += 1;
          else if (fields.state === 'stable') report.stable += 1;
          else if (fields.state === 'ignored' || fields.state === 'failed') report.ignored += 1;
          else report.changed += 1;
          writes.push({ kind: 'update', id: row.id, fields });
        }
      };
      await Promise.all(Array.from({ length: this.concurrency }, worker));
      this.files.write(target.folderId, writes);
    }
    const oldest = this.files.oldestSettling(target.folderId);
    report.nextDueAt = oldest === null ? null : oldest + target.settleMs;
    return report;
  }

  /** The row's new fields, or null to leave it as it is. */
  private async check(
    target: GateTarget,
    row: FileRow,
    signal?: AbortSignalLike,
  ): Promise<FileFields | null> {
    const path = absPath(target.root, row.relPath);
    const base = fieldsOf(row);
    const now = (): number => this.clock.now();
    // A big file is stat-ed first so that one still being written is not read in vain; a small
    // one is cheaper to read than to stat twice (the stat after hashing catches a change).
    if (row.size >= STAT_FIRST_BYTES) {
      const before = await this.statOf(path);
      if (before === 'gone') return { ...base, missingSince: now(), lastSeenAt: now() };
      if (before === 'denied')
        return {
          ...base,
          state: 'ignored',
          reason: 'permission-denied',
          detail: 'cannot read its size',
          lastSeenAt: now(),
        };
      if (before.size !== row.size || before.mtimeMs !== row.mtimeMs) {
        return {
          ...base,
          size: before.size,
          mtimeMs: before.mtimeMs,
          changedAt: now(),
          lastSeenAt: now(),
        };
      }
    }
    let sha: string;
    const sniffer = mediaSniffer(row.relPath, row.size);
    try {
      // Opening the file to hash it is the readability probe (EACCES; EBUSY for Windows locks).
      sha = await sha256File(this.fs, path, row.size, signal, (c) => sniffer.push(c));
    } catch (e) {
      const code = errorCode(e);
      if (code === 'ENOENT') return { ...base, missingSince: now(), lastSeenAt: now() };
      if (code === 'EACCES' || code === 'EPERM') {
        return {
          ...base,
          state: 'ignored',
          reason: 'permission-denied',
          detail: 'cannot open it for reading',
          lastSeenAt: now(),
        };
      }
      // Locked (EBUSY on Windows) or a transient I/O error: count it as still changing.
      if (code === 'EBUSY' || code === 'EAGAIN' || code === 'EIO')
        return { ...base, changedAt: now(), lastSeenAt: now() };
      if (code === 'AbortError' || (e as Error).name === 'AbortError') throw e;
      return {
        ...base,
        state: 'failed',
        reason: 'read-error',
        detail: (e as Error).message,
        lastSeenAt: now(),
      };
    }
    const after = await this.statOf(path);
    if (after === 'gone') return { ...base, missingSince: now(), lastSeenAt: now() };
    if (after === 'denied' || after.size !== row.size || after.mtimeMs !== row.mtimeMs) {
      const changed = after === 'denied' ? {} : { size: after.size, mtimeMs: after.mtimeMs };
      return { ...base, ...changed, changedAt: now(), lastSeenAt: now() };
    }
    // A file CVAT cannot open would fail its whole task: keep it out, with the reason (content
    // of another type, no known signature at all, or a broken or truncated structure).
    const bad = sniffer.finish();
    if (bad)
      return {
        ...base,
        state: 'ignored',
        sha256: null,
        reason: bad.reason,
        detail: bad.detail,
        batchId: null,
        lastSeenAt: now(),
      };
    return { ...base, state: 'stable', sha256: sha, reason: null, detail: null, lastSeenAt: now() };
  }

  private async statOf(
    path: string,
  ): Promise<{ size: number; mtimeMs: number } | 'gone' | 'denied'> {
    try {
      const st = await this.fs.stat(path);
      return st.isFile() ? { size: st.size, mtimeMs: st.mtimeMs } : 'gone';
    } catch (e) {
      const code = errorCode(e);
      if (code === 'EACCES' || code === 'EPERM') return 'denied';
      if (code === 'ENOENT' || code === 'ENOTDIR') return 'gone';
      throw e;
    }
  }
}

export function absPath(root: string, relPath: string): string {
  return join(root, ...relPath.split('/'));
}
