// The filesystem calls the scanner, the stability gate and the hasher make, behind one port so
// that tests can inject the failures real disks produce (EACCES as root, a file vanishing
// mid-read) without depending on the machine.
import type { Dirent, Stats } from 'node:fs';
import { lstat, open, readdir, readFile, realpath, stat } from 'node:fs/promises';

export interface WatchFs {
  readdir(path: string): Promise<Dirent[]>;
  lstat(path: string): Promise<Stats>;
  stat(path: string): Promise<Stats>;
  realpath(path: string): Promise<string>;
  /**
   * The file's bytes in chunks; `sizeHint` (the expected size) sizes the read buffer. A chunk is
   * valid only until the next one is asked for: buffers are reused across files.
   */
  readStream(path: string, sizeHint?: number): AsyncIterable<Uint8Array>;
  readText(path: string): Promise<string>;
}

export const nodeWatchFs: WatchFs = {
  readdir: (path) => readdir(path, { withFileTypes: true }),
  lstat: (path) => lstat(path),
  stat: (path) => stat(path),
  realpath: (path) => realpath(path),
  readStream: readChunks,
  readText: (path) => readFile(path, 'utf8'),
};

export function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e
    ? String((e as { code: unknown }).code)
    : undefined;
}

const SMALL = 64 * 1024;
const LARGE = 1024 * 1024;
/** Free read buffers by size: hashing a big tree reuses a handful instead of one per file. */
const pool = new Map<number, Buffer[]>([
  [SMALL, []],
  [LARGE, []],
]);
const POOL_MAX = 8;

async function* readChunks(path: string, sizeHint?: number): AsyncGenerator<Uint8Array> {
  const size = sizeHint !== undefined && sizeHint < SMALL ? SMALL : LARGE;
  const free = pool.get(size) as Buffer[];
  const buf = free.pop() ?? Buffer.allocUnsafe(size);
  const fh = await open(path, 'r').catch((e: unknown) => {
    if (free.length < POOL_MAX) free.push(buf);
    throw e;
  });
  try {
    let total = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, size, null);
      if (bytesRead === 0) return;
      total += bytesRead;
      yield buf.subarray(0, bytesRead);
      // A short read that reached the expected size is the end: no extra read for EOF. (The
      // gate stats the file again after hashing, so growth meanwhile is caught there.)
      if (bytesRead < size && sizeHint !== undefined && total >= sizeHint) return;
    }
  } finally {
    await fh.close();
    if (free.length < POOL_MAX) free.push(buf);
  }
}
