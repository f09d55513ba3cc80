// The scanner is the truth (the watcher only hints): it walks a folder directory by directory,
// compares each listing with the journal rows of that directory, and writes the differences in
// big transactions. Only one directory's entries are held at a time.
import { sep } from 'node:path';
import type { Clock } from '../core/clock.js';
import { abortError } from '../core/clock.js';
import type { IgnoreVerdict } from '../core/ignore-reason.js';
import type { AbortSignalLike } from '../core/signal.js';
import type { FileWrite } from '../core/file-record.js';
import type { FileStore } from './file-store.js';
import type { PathFilter } from './filter.js';
import type { FileSystem } from '../fs/file-system.js';
import { errorCode } from '../fs/file-system.js';
import type { Observation } from './reconcile.js';
import { fieldsOf, reconcile } from './reconcile.js';

export interface ScanTarget {
  folderId: number;
  /** Absolute path of the folder. */
  root: string;
  filter: PathFilter;
}

export type ScanOutcome =
  | {
      status: 'ok';
      dirs: number;
      files: number;
      writes: number;
      missing: number;
      unreadable: string[];
    }
  | { status: 'missing'; why: 'absent' | 'not-a-directory' | 'empty' | 'unreadable' | 'vanished' };

interface WalkDir {
  rel: string;
  abs: string;
  /** Resolved path, for symlink containment and loop checks. */
  real: string;
}

export interface DirListing {
  dir: string;
  observations: Observation[];
  subdirs: WalkDir[];
}

const STAT_BATCH = 128;
const FLUSH_AT = 5000;

function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

function inside(real: string, realRoot: string): boolean {
  return real === realRoot || real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);
}

/** Walks directories and classifies entries; shared by journal scans and in-memory previews. */
export class DirWalker {
  private readonly visited = new Set<string>();

  constructor(
    private readonly fs: FileSystem,
    private readonly realRoot: string,
    private readonly filter: PathFilter,
  ) {}

  /** null when the directory vanished; 'denied' when it cannot be read. */
  async list(d: WalkDir): Promise<DirListing | null | 'denied'> {
    this.visited.add(d.real);
    let entries;
    try {
      entries = await this.fs.readdir(d.abs);
    } catch (e) {
      const code = errorCode(e);
      if (code === 'EACCES' || code === 'EPERM') return 'denied';
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw e;
    }
    const observations: Observation[] = [];
    const subdirs: WalkDir[] = [];
    const toStat: { rel: string; abs: string; follow: boolean }[] = [];
    const ignore = (rel: string, verdict: IgnoreVerdict): void => {
      observations.push({ relPath: rel, dir: d.rel, size: 0, mtimeMs: 0, verdict });
    };
    for (const entry of entries) {
      const rel = join(d.rel, entry.name);
      const abs = d.abs + sep + entry.name;
      if (entry.isDirectory()) {
        const v = this.filter.dir(rel);
        if (v) ignore(rel, v);
        else subdirs.push({ rel, abs, real: d.real + sep + entry.name });
      } else if (entry.isFile()) {
        const v = this.filter.path(rel);
        if (v) ignore(rel, v);
        else toStat.push({ rel, abs, follow: false });
      } else if (entry.isSymbolicLink()) {
        const v = this.filter.dir(rel);
        if (v) {
          ignore(rel, v);
          continue;
        }
        const link = await this.resolveLink(d, rel, abs);
        if ('verdict' in link) ignore(rel, link.verdict);
        else if (link.dir) subdirs.push({ rel, abs, real: link.real });
        else {
          const pv = this.filter.path(rel);
          if (pv) ignore(rel, pv);
          else toStat.push({ rel, abs, follow: true });
        }
      } else {
        ignore(rel, { reason: 'not-a-file', detail: 'device, socket or pipe' });
      }
    }
    for (let i = 0; i < toStat.length; i += STAT_BATCH) {
      const slice = toStat.slice(i, i + STAT_BATCH);
      const stats = await Promise.allSettled(
        slice.map((f) => (f.follow ? this.fs.stat(f.abs) : this.fs.lstat(f.abs))),
      );
      stats.forEach((s, j) => {
        const f = slice[j];
        if (!f) return;
        if (s.status === 'fulfilled') {
          observations.push({
            relPath: f.rel,
            dir: d.rel,
            size: s.value.size,
            mtimeMs: s.value.mtimeMs,
            verdict: this.filter.size(s.value.size),
          });
          return;
        }
        const code = errorCode(s.reason);
        if (code === 'EACCES' || code === 'EPERM')
          ignore(f.rel, { reason: 'permission-denied', detail: 'cannot read its size' });
        else if (code !== 'ENOENT') throw s.reason;
      });
    }
    return { dir: d.rel, observations, subdirs };
  }

  private async resolveLink(
    d: WalkDir,
    rel: string,
    abs: string,
  ): Promise<{ verdict: IgnoreVerdict } | { dir: boolean; real: string }> {
    let real: string;
    try {
      real = await this.fs.realpath(abs);
    } catch (e) {
      const code = errorCode(e);
      if (code === 'ELOOP') return { verdict: { reason: 'symlink-loop', detail: rel } };
      if (code === 'ENOENT' || code === 'ENOTDIR')
        return { verdict: { reason: 'broken-symlink', detail: rel } };
      if (code === 'EACCES' || code === 'EPERM')
        return { verdict: { reason: 'permission-denied', detail: 'cannot resolve the link' } };
      throw e;
    }
    if (!inside(real, this.realRoot))
      return { verdict: { reason: 'symlink-outside', detail: `points to ${real}` } };
    let isDir: boolean;
    try {
      isDir = (await this.fs.stat(real)).isDirectory();
    } catch (_e) {
      return { verdict: { reason: 'broken-symlink', detail: rel } };
    }
    if (isDir) {
      if (inside(d.real, real))
        return { verdict: { reason: 'symlink-loop', detail: `points to its own parent ${real}` } };
      if (this.visited.has(real))
        return {
          verdict: {
            reason: 'symlink-loop',
            detail: `points to a folder already scanned (${real})`,
          },
        };
    }
    return { dir: isDir, real };
  }
}

export class Scanner {
  constructor(
    private readonly files: FileStore,
    private readonly fs: FileSystem,
    private readonly clock: Clock,
  ) {}

  /** Full reconcile of the folder. Nothing is marked missing unless the root stayed present throughout. */
  async scanFull(target: ScanTarget, signal?: AbortSignalLike): Promise<ScanOutcome> {
    return this.scan(target, [''], true, signal);
  }

  /** Re-reads the given directories (relative; '' = root) and walks any directory new to the journal. */
  async scanDirs(
    target: ScanTarget,
    dirs: Iterable<string>,
    signal?: AbortSignalLike,
  ): Promise<ScanOutcome> {
    return this.scan(target, [...new Set(dirs)].sort(), false, signal);
  }

  private async scan(
    target: ScanTarget,
    starts: string[],
    full: boolean,
    signal?: AbortSignalLike,
  ): Promise<ScanOutcome> {
    const root = await this.checkRoot(target);
    if ('why' in root) return { status: 'missing', why: root.why };
    const walker = new DirWalker(this.fs, root.real, target.filter);
    const now = this.clock.now();
    const visited = new Set<string>();
    const unreadable: string[] = [];
    const vanished: string[] = [];
    let pending: FileWrite[] = [];
    let writes = 0;
    let files = 0;
    const flush = (): void => {
      this.files.write(target.folderId, pending);
      writes += pending.length;
      pending = [];
    };
    const stack: WalkDir[] = starts.map((rel) => ({
      rel,
      abs: rel === '' ? target.root : target.root + sep + rel.split('/').join(sep),
      real: rel === '' ? root.real : root.real + sep + rel.split('/').join(sep),
    }));
    while (stack.length > 0) {
      if (signal?.aborted) throw abortError();
      const d = stack.pop() as WalkDir;
      if (visited.has(d.rel)) continue;
      visited.add(d.rel);
      const listing = await walker.list(d);
      if (listing === 'denied') {
        unreadable.push(d.rel);
        continue;
      }
      if (listing === null) {
        vanished.push(d.rel);
        continue;
      }
      if (
        d.rel === '' &&
        listing.observations.length === 0 &&
        listing.subdirs.length === 0 &&
        this.files.hasPresent(target.folderId)
      ) {
        // An empty mount point looks exactly like "everything was deleted": it is not.
        return { status: 'missing', why: 'empty' };
      }
      const rows = new Map(this.files.inDir(target.folderId, d.rel).map((r) => [r.relPath, r]));
      for (const obs of listing.observations) {
        files += 1;
        const w = reconcile(rows.get(obs.relPath), obs, now);
        rows.delete(obs.relPath);
        if (w) pending.push(w);
      }
      for (const row of rows.values()) {
        if (row.missingSince === null)
          pending.push({
            kind: 'update',
            id: row.id,
            fields: { ...fieldsOf(row), missingSince: now, lastSeenAt: now },
          });
      }
      for (const sub of listing.subdirs) {
        if (full || !this.files.knowsDir(target.folderId, sub.rel)) stack.push(sub);
      }
      if (pending.length >= FLUSH_AT) flush();
    }
    flush();
    // Sweep only when the root is still the same directory: a drive unmounted mid-scan must
    // not read as "every file deleted".
    const after = await this.checkRoot(target);
    if ('why' in after || after.dev !== root.dev || after.ino !== root.ino)
      return { status: 'missing', why: 'vanished' };
    let missing = 0;
    const shielded = (dir: string): boolean =>
      unreadable.some((u) => u === '' || dir === u || dir.startsWith(`${u}/`));
    for (const dir of vanished) missing += this.files.markMissing(target.folderId, dir, true, now);
    if (full) {
      for (const dir of this.files.presentDirs(target.folderId)) {
        if (!visited.has(dir) && !shielded(dir))
          missing += this.files.markMissing(target.folderId, dir, false, now);
      }
    }
    return { status: 'ok', dirs: visited.size, files, writes, missing, unreadable };
  }

  private async checkRoot(
    target: ScanTarget,
  ): Promise<
    | { real: string; dev: number; ino: number }
    | { why: 'absent' | 'not-a-directory' | 'unreadable' }
  > {
    try {
      const st = await this.fs.stat(target.root);
      if (!st.isDirectory()) return { why: 'not-a-directory' };
      return { real: await this.fs.realpath(target.root), dev: st.dev, ino: st.ino };
    } catch (e) {
      const code = errorCode(e);
      if (code === 'EACCES' || code === 'EPERM') return { why: 'unreadable' };
      return { why: 'absent' };
    }
  }
}
