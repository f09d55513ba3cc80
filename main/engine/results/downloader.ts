// Streams one result URL into `<name>.part`, continuing with Range from what is already on disk
// when the server honours it (206) and starting over cleanly when it does not (200). The file
// gets its final name only after its length matches what the server announced and fsync.
import type { Clock } from '../../core/clock.js';
import { SyncError, isAbortError } from '../../core/errors.js';
import { safeFilename } from '../../core/safe-filename.js';
import type { AbortSignalLike } from '../../core/signal.js';
import type { CvatApi, Throttle } from '../../cvat/api.js';
import type { FileHandle, FileSystem } from '../../fs/file-system.js';
import { fsError } from './fs-errors.js';
import type { TransferProgress } from './meter.js';
import { Meter } from './meter.js';
import { emptyPart, partSize, publishPart, reservePart } from './part-file.js';

/** Bytes gathered before one write: fewer syscalls, and memory stays flat. */
const WRITE_BUFFER = 1 << 20;

export interface DownloadParams {
  api: CvatApi;
  url: string;
  clock: Clock;
  /** The disk the .part and the file are written to. */
  fs: FileSystem;
  /** The folder the file goes to. */
  dir: string;
  /** The .part of an earlier attempt, or null: then the name comes from Content-Disposition. */
  partPath: string | null;
  /** Name used when the server proposes none (or nothing usable). */
  fallbackName: string;
  /** .part paths other transfers hold. */
  partsInUse: () => ReadonlySet<string>;
  signal?: AbortSignalLike;
  throttle?: Throttle;
  /** Called with a newly reserved .part before any byte is written, so the journal knows it. */
  onPart?: (partPath: string) => void;
  onProgress?: (p: TransferProgress) => void;
}

export interface DownloadOutcome {
  finalPath: string;
  bytes: number;
  /** Bytes already on disk that the server let us skip (206). */
  resumedFrom: number;
}

export async function downloadToFile(p: DownloadParams): Promise<DownloadOutcome> {
  const fs = p.fs;
  let part = p.partPath;
  let onDisk = part === null ? 0 : await partSize(fs, part);
  const request = (resumeFrom: number) =>
    p.api.download(p.url, {
      resumeFrom,
      ...(p.signal ? { signal: p.signal } : {}),
      ...(p.throttle ? { throttle: p.throttle } : {}),
    });
  let response;
  try {
    response = await request(onDisk);
  } catch (e) {
    // 416: what we hold does not fit the server's file (a crash after the last byte, or a new
    // result): start over rather than guess.
    if (!(e instanceof SyncError && e.status === 416 && part !== null)) throw e;
    await emptyPart(fs, part);
    onDisk = 0;
    response = await request(0);
  }
  if (part === null) {
    part = await reservePart(
      fs,
      p.dir,
      safeFilename(response.filename, p.fallbackName),
      p.partsInUse(),
    );
    p.onPart?.(part);
  }
  const resumedFrom = response.resumed ? onDisk : 0;
  const total = response.totalBytes;
  if (total !== null && resumedFrom > total) {
    throw new SyncError(
      `The server's file is smaller (${total} bytes) than what was already downloaded (${resumedFrom})`,
      {
        code: 'size-mismatch',
        kind: 'transient',
        operation: 'download',
        url: p.url,
      },
    );
  }

  let writer: FileHandle;
  try {
    writer = await fs.open(part, response.resumed ? 'append' : 'truncate');
  } catch (e) {
    throw fsError(e, 'download', part);
  }
  const meter = new Meter(p.clock, resumedFrom, total, p.onProgress);
  let bytes = resumedFrom;
  const buffer = new Uint8Array(WRITE_BUFFER);
  let filled = 0;
  const flush = async (): Promise<void> => {
    if (filled === 0) return;
    try {
      await writer.write(buffer.subarray(0, filled));
    } catch (e) {
      throw fsError(e, 'download', part);
    }
    filled = 0;
  };
  try {
    try {
      for await (const chunk of response.body) {
        if (p.signal?.aborted) throw abort();
        bytes += chunk.byteLength;
        if (total !== null && bytes > total) {
          throw new SyncError(`The server sent more than the ${total} bytes it announced`, {
            code: 'size-mismatch',
            kind: 'transient',
            operation: 'download',
            url: p.url,
          });
        }
        let off = 0;
        while (off < chunk.byteLength) {
          const n = Math.min(chunk.byteLength - off, WRITE_BUFFER - filled);
          buffer.set(chunk.subarray(off, off + n), filled);
          filled += n;
          off += n;
          if (filled === WRITE_BUFFER) await flush();
        }
        meter.update(bytes);
      }
    } catch (e) {
      // Keep what arrived: the next attempt continues after it.
      await flush().catch(() => undefined);
      throw asTransferError(e, p.url);
    }
    await flush();
    if (total !== null && bytes !== total) {
      throw new SyncError(`The download ended after ${bytes} of ${total} bytes`, {
        code: 'short-read',
        kind: 'transient',
        operation: 'download',
        url: p.url,
      });
    }
    try {
      await writer.sync();
    } catch (e) {
      throw fsError(e, 'download', part);
    }
  } finally {
    await writer.close().catch(() => undefined);
  }
  meter.update(bytes, true);
  const finalPath = await publishPart(fs, part);
  return { finalPath, bytes, resumedFrom };
}

/** A connection that breaks mid-body is worth another (Range) attempt; disk errors are not. */
function asTransferError(e: unknown, url: string): unknown {
  if (e instanceof SyncError || isAbortError(e)) return e;
  return new SyncError(`The download was interrupted: ${(e as Error)?.message ?? String(e)}`, {
    code: 'network',
    kind: 'transient',
    operation: 'download',
    url,
    cause: e,
  });
}

function abort(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}
