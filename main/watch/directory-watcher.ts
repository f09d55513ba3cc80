// A low-memory OS watcher for big trees: one non-recursive fs.watch per directory and nothing per
// file (chokidar stats and remembers every entry of its walk, ~3 KB of RSS per file). Like the
// chokidar wrapper it is only a hint: it names the directories to re-read, the scanner decides.
// A burst of events is coalesced; each changed directory is listed once per burst to add
// watchers for new subdirectories and close those of removed ones.
import { sep } from 'node:path';
import type { Watcher, WatcherFactory, WatcherOptions } from './folder-watcher.js';
import { chokidarWatcherFactory, isWatchLimitError } from './folder-watcher.js';
import type { FileSystem, WatchHandle } from '../fs/file-system.js';
import { errorCode } from '../fs/file-system.js';
import { nodeFileSystem } from '../fs/node-file-system.js';

const DEBOUNCE_MS = 100;

interface Watched {
  handle: WatchHandle;
  /** Resolved path: symlinked directories are followed only inside the root, loops skipped. */
  real: string;
}

function childRel(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

function parentRel(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

function under(rel: string, dir: string): boolean {
  return dir === '' || rel === dir || rel.startsWith(`${dir}/`);
}

function inside(real: string, realRoot: string): boolean {
  return real === realRoot || real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);
}

export class DirectoryWatcher implements Watcher {
  readonly ready: Promise<void>;
  private readonly dirs = new Map<string, Watched>();
  private readonly reals = new Set<string>();
  /** Directories with events since the last flush. */
  private changed = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private realRoot = '';
  private closed = false;

  constructor(
    private readonly options: WatcherOptions,
    /** Lists the tree and watches each directory (FileSystem.watch: one fs.watch per directory). */
    private readonly fs: FileSystem = options.fs ?? nodeFileSystem,
  ) {
    this.ready = this.begin().catch((e: unknown) => this.fail(e));
  }

  /** Relative POSIX paths of the watched directories ('' = the root), for tests and health. */
  get watchedDirs(): string[] {
    return [...this.dirs.keys()].sort();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.closeUnder('');
    await this.flushing;
  }

  private async begin(): Promise<void> {
    this.realRoot = await this.fs.realpath(this.options.root);
    await this.addTree('', this.realRoot);
  }

  private abs(rel: string): string {
    return rel === '' ? this.options.root : this.options.root + sep + rel.split('/').join(sep);
  }

  /** Watches `rel` and every directory below it that is not watched yet; returns those added. */
  private async addTree(rel: string, real: string): Promise<string[]> {
    const added: string[] = [];
    const stack = [{ rel, real }];
    while (stack.length > 0 && !this.closed) {
      const d = stack.pop() as { rel: string; real: string };
      if (this.dirs.has(d.rel) || this.reals.has(d.real)) continue;
      // Watch before listing: a subdirectory created in between is then either listed or evented.
      if (!this.watchOne(d.rel, d.real)) continue;
      added.push(d.rel);
      const subs = await this.subdirs(d.rel, d.real);
      if (subs) stack.push(...subs);
    }
    return added;
  }

  private watchOne(rel: string, real: string): boolean {
    let handle: WatchHandle;
    try {
      handle = this.fs.watch(this.abs(rel), () => this.onChange(rel));
    } catch (e) {
      if (isWatchLimitError(e)) throw e;
      // Gone or unreadable meanwhile: the scanner reports it; nothing to watch.
      return false;
    }
    handle.on('error', (e) => this.onHandleError(rel, e));
    this.dirs.set(rel, { handle, real });
    this.reals.add(real);
    return true;
  }

  /** The directories to watch inside `rel`, or null when it cannot be listed. */
  private async subdirs(
    rel: string,
    real: string,
  ): Promise<Array<{ rel: string; real: string }> | null> {
    let entries;
    try {
      entries = await this.fs.readdir(this.abs(rel));
    } catch (e) {
      const code = errorCode(e);
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM')
        return null;
      throw e;
    }
    const out: Array<{ rel: string; real: string }> = [];
    for (const entry of entries) {
      const sub = childRel(rel, entry.name);
      if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
      if (this.options.ignoreDir(sub)) continue;
      if (entry.isDirectory()) {
        out.push({ rel: sub, real: real + sep + entry.name });
        continue;
      }
      const target = await this.linkedDir(this.abs(sub), real);
      if (target) out.push({ rel: sub, real: target });
    }
    return out;
  }

  /** A symlink's target when it is a directory inside the root and not its own ancestor. */
  private async linkedDir(abs: string, parentReal: string): Promise<string | null> {
    try {
      const target = await this.fs.realpath(abs);
      if (!inside(target, this.realRoot) || inside(parentReal, target)) return null;
      return (await this.fs.stat(target)).isDirectory() ? target : null;
    } catch (_e) {
      return null;
    }
  }

  private onChange(rel: string): void {
    if (this.closed) return;
    this.changed.add(rel);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        const dirs = this.changed;
        this.changed = new Set();
        this.flushing = this.flushing
          .then(() => this.flush(dirs))
          .catch((e: unknown) => this.fail(e));
      }, DEBOUNCE_MS);
    }
  }

  /** Brings the watched subdirectories of each changed directory up to date, then hints. */
  private async flush(dirs: Set<string>): Promise<void> {
    const hints = new Set<string>();
    for (const dir of dirs) {
      if (this.closed) return;
      const w = this.dirs.get(dir);
      if (!w) continue;
      hints.add(dir);
      const subs = await this.subdirs(dir, w.real);
      if (subs === null) {
        // The directory itself went away: its parent is re-read and the scanner marks it missing.
        this.closeUnder(dir);
        if (dir !== '') hints.add(parentRel(dir));
        continue;
      }
      const present = new Set(subs.map((s) => s.rel));
      for (const rel of [...this.dirs.keys()]) {
        if (rel !== '' && parentRel(rel) === dir && !present.has(rel)) {
          this.closeUnder(rel);
          hints.add(rel);
        }
      }
      for (const s of subs) {
        if (this.dirs.has(s.rel)) continue;
        // New (or moved in): the scanner walks directories new to the journal from `dir`.
        for (const added of await this.addTree(s.rel, s.real)) hints.add(added);
      }
    }
    if (!this.closed && hints.size > 0) this.options.onHint([...hints]);
  }

  private closeUnder(dir: string): void {
    for (const [rel, w] of this.dirs) {
      if (!under(rel, dir)) continue;
      w.handle.close();
      this.dirs.delete(rel);
      this.reals.delete(w.real);
    }
  }

  private onHandleError(rel: string, e: unknown): void {
    if (isWatchLimitError(e) || rel === '') {
      this.fail(e);
      return;
    }
    // A watch that broke (its directory deleted on some platforms): drop it and re-list the
    // parent, which watches it again if it is still there. A broken root is a failed watcher.
    this.closeUnder(rel);
    this.onChange(parentRel(rel));
    this.options.onError(e);
  }

  private fail(e: unknown): void {
    if (this.closed) return;
    void this.close();
    this.options.onError(e);
  }
}

/** DirectoryWatcher for event-driven folders; polled ones (network shares) keep chokidar's polling. */
export const directoryWatcherFactory: WatcherFactory = (o) =>
  o.polling ? chokidarWatcherFactory(o) : new DirectoryWatcher(o);
