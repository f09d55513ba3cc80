// Byte streams for transfers: file reading through the FileSystem port that notices a changed
// file (multipart bodies, TUS slices), and throttling through the shared bucket (async iterables
// for multipart bodies, a Transform for the TUS stack).
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import type { UploadOptions } from 'tus-js-client';
import { SyncError } from '../core/errors.js';
import type { AbortSignalLike } from '../core/signal.js';
import type { FileSystem } from '../fs/file-system.js';
import type { Throttle } from './api.js';

const READ_CHUNK = 256 * 1024;

/** Exactly `size` bytes of the file; fails with 'file-changed' if it is shorter now. */
export async function* fileChunks(
  fs: FileSystem,
  path: string,
  size: number,
  operation: string,
): AsyncGenerator<Uint8Array> {
  if (size === 0) return;
  let read = 0;
  const stream = fs.readStream(path, { start: 0, end: size, chunkBytes: READ_CHUNK });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      read += chunk.length;
      yield chunk;
    }
  } catch (e) {
    throw new SyncError(`${operation}: cannot read ${path}: ${(e as Error).message}`, {
      code: 'file-unreadable',
      kind: 'item',
      operation,
      cause: e,
    });
  } finally {
    stream.destroy();
  }
  if (read !== size) throw fileChanged(operation, path, size, read);
}

export function fileChanged(
  operation: string,
  path: string,
  expected: number,
  actual: number,
): SyncError {
  return new SyncError(
    `${operation}: ${path} changed while being sent (expected ${expected} bytes, found ${actual})`,
    {
      code: 'file-changed',
      kind: 'item',
      operation,
      hint: 'The file was modified after it was found stable; it will be looked at again.',
    },
  );
}

/** Passes chunks on once the throttle allows them; reports each chunk as it goes. */
export async function* throttled(
  source: AsyncIterable<Uint8Array>,
  options: {
    throttle?: Throttle | undefined;
    signal?: AbortSignalLike | undefined;
    onChunk?: (bytes: number) => void;
  },
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    if (options.throttle) await options.throttle.take(chunk.length, options.signal);
    yield chunk;
    options.onChunk?.(chunk.length);
  }
}

/** Node-stream form of `throttled`, for the TUS HTTP stack. */
export class ThrottleTransform extends Transform {
  constructor(
    private readonly throttle: Throttle,
    private readonly signal: AbortSignalLike | undefined,
    private readonly onChunk?: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.throttle.take(chunk.length, this.signal).then(
      () => {
        this.onChunk?.();
        callback(null, chunk);
      },
      (e: unknown) => callback(e instanceof Error ? e : new Error(String(e))),
    );
  }
}

/**
 * tus-js-client's file source over the FileSystem port: each slice is a stream of its byte
 * range, opened when tus sends it (a retry re-reads from disk, nothing is buffered here).
 */
export function tusFileReader(
  fs: FileSystem,
  path: string,
  size: number,
): NonNullable<UploadOptions['fileReader']> {
  const source = {
    size,
    slice(start: number, end: number) {
      const stop = Math.min(end, size);
      const value = Object.assign(fs.readStream(path, { start, end: stop }), {
        size: stop - start,
      });
      return Promise.resolve({ value, done: stop >= size });
    },
    close: () => undefined,
  };
  return { openFile: () => Promise.resolve(source) };
}
