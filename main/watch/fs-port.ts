// The filesystem calls the scanner, the stability gate and the hasher make, behind one port so
// that tests can inject the failures real disks produce (EACCES as root, a file vanishing
// mid-read) without depending on the machine.
import type { Dirent, Stats } from 'node:fs';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';

export interface WatchFs {
  readdir(path: string): Promise<Dirent[]>;
  lstat(path: string): Promise<Stats>;
  stat(path: string): Promise<Stats>;
  realpath(path: string): Promise<string>;
  /** `sizeHint` bounds the read buffer (1 MiB at most). */
  readStream(path: string, sizeHint?: number): AsyncIterable<Uint8Array>;
  readText(path: string): Promise<string>;
}

export const nodeWatchFs: WatchFs = {
  readdir: (path) => readdir(path, { withFileTypes: true }),
  lstat: (path) => lstat(path),
  stat: (path) => stat(path),
  realpath: (path) => realpath(path),
  readStream: (path, sizeHint) =>
    createReadStream(path, {
      highWaterMark: Math.min(1 << 20, Math.max(16 * 1024, (sizeHint ?? 1 << 20) + 1)),
    }),
  readText: (path) => readFile(path, 'utf8'),
};

export function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e
    ? String((e as { code: unknown }).code)
    : undefined;
}
