// Which OS watcher a folder gets. Both are hints only (the scanner is the truth); they differ in
// memory: chokidar's walk stats every entry and keeps its stats, ~3 KB of RSS per file, while
// DirectoryWatcher keeps one fs.watch per directory and nothing per file.
//
// Measured with `npm run bench:watch` (RSS over the pre-scan base after the whole first pass with
// the watcher on, after a GC; Node 20, Linux, 2 busy cores, 100 files per directory):
//   files     chokidar                    DirectoryWatcher
//   20,000    6,416 B/file (128 MB)       2,404 B/file (48 MB; the fixed base dominates)
//   200,000   3,213 B/file (643 MB)         262 B/file (52 MB), 2,021 directories watched
// chokidar also took the first pass from 29 s to 51 s, idle CPU from 0.1 % to 2.1 %, and the
// new-file latency after the settle window from 0.39 s to 0.54 s avg (0.53 / 0.83 s max).
// Its extra ~4 KB per file is ~80 MB at 20,000 files: there it starts to matter next to the
// ~50 MB the rest of the engine needs, hence the threshold.
// On Linux chokidar itself runs one non-recursive fs.watch (inotify) per directory, so
// DirectoryWatcher uses the very same OS mechanism without the per-file bookkeeping: it is used
// for every non-polled folder there (it passes the same watcher and service tests as chokidar:
// tests/integration/watch/watcher.test.ts runs both). On macOS and Windows chokidar handles
// platform quirks (FSEvents coalescing, EPERM on deleted directories, locked handles), so it
// stays the default until a folder holds enough files for its memory to matter. Polling
// (network shares) always goes through chokidar's stat polling.
import { platform as osPlatform } from 'node:os';
import { directoryWatcherFactory } from './directory-watcher.js';
import type { WatcherFactory } from './folder-watcher.js';
import { chokidarWatcherFactory } from './folder-watcher.js';

/** Above this many files chokidar's per-file memory outweighs its platform handling. */
export const DIRECTORY_WATCHER_MIN_FILES = 20_000;

export type WatcherKind = 'chokidar' | 'directory';

export interface WatcherChoiceOptions {
  /** Defaults to this machine's. */
  platform?: NodeJS.Platform;
  /** Defaults to DIRECTORY_WATCHER_MIN_FILES. */
  directoryMinFiles?: number;
}

export function chooseWatcher(
  folder: {
    polling: boolean;
    /** Files the journal knows for the folder (0 before its first scan). */
    knownFiles: number;
  },
  o: WatcherChoiceOptions = {},
): WatcherKind {
  if (folder.polling) return 'chokidar';
  if ((o.platform ?? osPlatform()) === 'linux') return 'directory';
  return folder.knownFiles > (o.directoryMinFiles ?? DIRECTORY_WATCHER_MIN_FILES)
    ? 'directory'
    : 'chokidar';
}

export function watcherFactoryOf(kind: WatcherKind): WatcherFactory {
  return kind === 'directory' ? directoryWatcherFactory : chokidarWatcherFactory;
}
