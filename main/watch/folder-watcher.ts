// chokidar as a hint only: it watches directories (files are ignored, so memory stays per
// directory, not per file) and its raw events name the directory to re-read. Every event is
// re-filtered by the scanner; lost events are caught by the periodic full scan.
import { watch } from 'chokidar';
import { dirname, join, relative, sep } from 'node:path';
import type { FileSystem } from '../fs/file-system.js';
import { errorCode } from '../fs/file-system.js';

export interface WatcherOptions {
  root: string;
  /** What DirectoryWatcher lists and watches (default: the real disk); chokidar always uses the disk. */
  fs?: FileSystem;
  polling: boolean;
  pollIntervalMs: number;
  /** Relative POSIX directory path -> true when it must not be watched (hidden, excluded). */
  ignoreDir(relDir: string): boolean;
  /** Paths (relative POSIX, '' = root) worth re-reading: directories, or entries that may be directories. */
  onHint(relPaths: string[]): void;
  onError(error: unknown): void;
}

export interface Watcher {
  /** Resolves once the initial directory walk is done and events flow (or on error). */
  ready: Promise<void>;
  close(): Promise<void>;
}

export type WatcherFactory = (options: WatcherOptions) => Watcher;

/** Errors meaning the OS refused more watches: fall back to periodic scans. */
export function isWatchLimitError(e: unknown): string | null {
  const code = errorCode(e);
  return code === 'ENOSPC' || code === 'EMFILE' || code === 'ENFILE' ? code : null;
}

const DEBOUNCE_MS = 100;

export const chokidarWatcherFactory: WatcherFactory = (o) => {
  const toRel = (abs: string): string | null => {
    const rel = relative(o.root, abs);
    if (rel.startsWith('..')) return null;
    return rel.split(sep).join('/');
  };
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  const hint = (abs: string): void => {
    const rel = toRel(abs);
    if (rel === null) return;
    pending.add(rel);
    if (!timer) {
      timer = setTimeout(() => {
        timer = null;
        const batch = [...pending];
        pending.clear();
        o.onHint(batch);
      }, DEBOUNCE_MS);
    }
  };
  const w = watch(o.root, {
    ignoreInitial: true,
    persistent: true,
    followSymlinks: false,
    usePolling: o.polling,
    interval: o.pollIntervalMs,
    binaryInterval: o.pollIntervalMs,
    ignored: (path, stats) => {
      if (stats && !stats.isDirectory()) return true;
      const rel = toRel(path);
      return rel !== null && rel !== '' && o.ignoreDir(rel);
    },
  });
  w.on('raw', (_event, path, details) => {
    const watched = (details as { watchedPath?: string } | undefined)?.watchedPath;
    if (watched && path && !path.startsWith(sep)) {
      // fs.watch on a directory: `path` is the child's name.
      hint(watched);
      hint(join(watched, path));
    } else if (path) {
      // Polling: the directory itself changed.
      hint(path);
    }
  });
  w.on('addDir', (path) => {
    hint(path);
    hint(dirname(path));
  });
  w.on('unlinkDir', (path) => {
    hint(path);
    hint(dirname(path));
  });
  const ready = new Promise<void>((resolve) => {
    w.once('ready', () => resolve());
    w.once('error', () => resolve());
  });
  w.on('error', (e) => o.onError(e));
  return {
    ready,
    async close() {
      if (timer) clearTimeout(timer);
      await w.close();
    },
  };
};
