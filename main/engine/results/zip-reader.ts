// yauzl reading an archive through the FileSystem port: one open file, positional reads for the
// central directory and a range stream per entry, never the whole archive in memory.
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import type { ZipFile } from 'yauzl';
import type { FileHandle, FileSystem } from '../../fs/file-system.js';
import { handleRangeStream } from '../../fs/read-chunks.js';

/** yauzl's view of the archive: positional reads of one open file of the port. */
class ZipReader extends yauzl.RandomAccessReader {
  private closing: Promise<void> | null = null;

  constructor(private readonly file: FileHandle) {
    super();
  }

  /** Closes the file once, however often yauzl and the caller ask. */
  shut(): Promise<void> {
    this.closing ??= this.file.close();
    return this.closing;
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return handleRangeStream(this.file, start, end);
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null, bytesRead?: number) => void,
  ): void {
    const fill = async (): Promise<number> => {
      let done = 0;
      while (done < length) {
        const n = await this.file.read(buffer, offset + done, length - done, position + done);
        if (n === 0) break;
        done += n;
      }
      return done;
    };
    fill().then(
      (n) => callback(null, n),
      (e: unknown) => callback(e as Error),
    );
  }

  override close(callback: (err: Error | null) => void): void {
    this.shut().then(
      () => callback(null),
      (e: unknown) => callback(e as Error),
    );
  }
}

/** Opens an archive with yauzl's checks on (lazy entries, sizes, strict names); rejects with yauzl's or the port's error. */
export async function openZipFile(fs: FileSystem, zipPath: string): Promise<ZipFile> {
  const size = (await fs.stat(zipPath)).size;
  const file = await fs.open(zipPath, 'read');
  const reader = new ZipReader(file);
  return new Promise<ZipFile>((res, rej) =>
    yauzl.fromRandomAccessReader(
      reader,
      size,
      {
        lazyEntries: true,
        autoClose: true,
        decodeStrings: true,
        validateEntrySizes: true,
        strictFileNames: true,
      },
      (err, z) => {
        if (err || !z) {
          void reader.shut().catch(() => undefined);
          rej(err ?? new Error('unreadable archive'));
        } else res(z);
      },
    ),
  );
}
