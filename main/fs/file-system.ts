// The one filesystem port: every read and write of local files by the watcher, the planner, the
// upload and results engines and the CVAT transfers goes through it. Two adapters implement it:
// node-file-system.ts (the real disk) and memory-file-system.ts (an in-memory tree for tests,
// failing with the same error codes as Node). tests/unit/fs runs one contract against both.
// Paths are absolute; errors carry Node's `code` (ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY…).
import type { Readable } from 'node:stream';

export interface FileStats {
  size: number;
  mtimeMs: number;
  /** Device and inode: together they tell whether a path still names the same file. */
  dev: number;
  ino: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

export interface DirEntry {
  name: string;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/**
 * 'read': an existing file; 'append': writes go to the end, created if missing; 'truncate':
 * emptied or created; 'create-new': created, EEXIST when the name is taken (O_EXCL).
 */
export type OpenMode = 'read' | 'append' | 'truncate' | 'create-new';

export interface FileHandle {
  /** Reads into `buffer`; `position` null reads on from the handle's offset. 0 is the end. */
  read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number | null,
  ): Promise<number>;
  /** Writes all of `data` (at the end in 'append' mode, else at the handle's offset). */
  write(data: Uint8Array): Promise<void>;
  /** fsync: the bytes are on disk once it resolves. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Bytes [start, end) of a file (default: all of it), read `chunkBytes` at a time. */
export interface ReadStreamOptions {
  start?: number;
  end?: number;
  chunkBytes?: number;
}

/** One non-recursive watch of a directory. */
export interface WatchHandle {
  on(event: 'error', listener: (error: unknown) => void): unknown;
  close(): void;
}

export interface FileSystem {
  /** Follows symbolic links. */
  stat(path: string): Promise<FileStats>;
  /** Describes a symbolic link itself. */
  lstat(path: string): Promise<FileStats>;
  readdir(path: string): Promise<DirEntry[]>;
  realpath(path: string): Promise<string>;
  /** A small text file (e.g. /proc/self/mountinfo), decoded as UTF-8. */
  readText(path: string): Promise<string>;
  open(path: string, mode: OpenMode): Promise<FileHandle>;
  /** A stream of a byte range, read as it is consumed (never the whole file in memory). */
  readStream(path: string, options?: ReadStreamOptions): Readable;
  mkdir(path: string, options?: { recursive?: boolean }): Promise<void>;
  /** Replaces an existing file at `to`; a directory only onto an empty one. */
  rename(from: string, to: string): Promise<void>;
  /** A second name for a file; EEXIST when `to` is taken (never overwrites). */
  link(existing: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  truncate(path: string, length: number): Promise<void>;
  /** Removes a file or a whole tree; nothing to remove is fine (rm -rf). */
  removeTree(path: string): Promise<void>;
  /** Makes a directory's entries durable; best effort, where directories cannot be synced. */
  syncDir(path: string): Promise<void>;
  /** Bytes free to this user on the disk holding `path`, or null when it cannot be told. */
  freeBytes(path: string): Promise<number | null>;
  /** Calls `onChange` when an entry of the directory changes; throws (ENOENT, ENOSPC…) when it cannot. */
  watch(path: string, onChange: () => void): WatchHandle;
}

/** The `code` of a filesystem error (ENOENT, EACCES…), or undefined for any other error. */
export function errorCode(e: unknown): string | undefined {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
