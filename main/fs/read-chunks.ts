// Reads built on the port's open/read: whole files in reused buffers, for hashing many files (a
// big tree reuses a handful of buffers instead of allocating one per file), and byte ranges of an
// already open file as a stream.
import { Readable } from 'node:stream';
import type { FileHandle, FileSystem } from './file-system.js';

const SMALL = 64 * 1024;
const LARGE = 1024 * 1024;
/** Free read buffers by size. */
const pool = new Map<number, Uint8Array[]>([
  [SMALL, []],
  [LARGE, []],
]);
const POOL_MAX = 8;

/**
 * The file's bytes in chunks, through one open of the file; `sizeHint` (the expected size) sizes
 * the read buffer, so tiny files do not each take a megabyte. A chunk is valid only until the
 * next one is asked for: buffers are reused across files.
 */
export async function* readChunks(
  fs: FileSystem,
  path: string,
  sizeHint?: number,
): AsyncGenerator<Uint8Array> {
  const size = sizeHint !== undefined && sizeHint < SMALL ? SMALL : LARGE;
  const free = pool.get(size) as Uint8Array[];
  const buf = free.pop() ?? new Uint8Array(size);
  const fh = await fs.open(path, 'read').catch((e: unknown) => {
    if (free.length < POOL_MAX) free.push(buf);
    throw e;
  });
  try {
    let total = 0;
    for (;;) {
      const bytesRead = await fh.read(buf, 0, size, null);
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

/** Bytes [start, end) of an open file as a stream of positional reads (the handle stays open). */
export function handleRangeStream(
  file: FileHandle,
  start: number,
  end: number,
  chunkBytes = 64 * 1024,
): Readable {
  return Readable.from(
    (async function* () {
      let position = start;
      while (position < end) {
        const buf = Buffer.allocUnsafe(Math.min(chunkBytes, end - position));
        const n = await file.read(buf, 0, buf.length, position);
        if (n === 0) return;
        position += n;
        yield buf.subarray(0, n);
      }
    })(),
    { objectMode: false },
  );
}
