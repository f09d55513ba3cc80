import { createHash } from 'node:crypto';
import type { AbortSignalLike } from '../core/signal.js';
import { abortError } from '../core/clock.js';
import type { FileSystem } from '../fs/file-system.js';
import { readChunks } from '../fs/read-chunks.js';

/** SHA-256 of a file, streamed (never the whole file in memory). Rejects with the fs error if it vanishes. */
/** `size` (expected) sizes the read buffer: tiny files must not each allocate a megabyte. */
export async function sha256File(
  fs: FileSystem,
  path: string,
  size: number,
  signal?: AbortSignalLike,
  /** Sees every chunk too (the media sniffer rides on the same read). */
  onChunk?: (chunk: Uint8Array) => void,
): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of readChunks(fs, path, size)) {
    if (signal?.aborted) throw abortError();
    hash.update(chunk);
    onChunk?.(chunk);
  }
  return hash.digest('hex');
}
