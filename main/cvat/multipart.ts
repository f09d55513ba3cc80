// A multipart/form-data body streamed from disk with an exact Content-Length (CVAT sits behind
// proxies that dislike chunked uploads). Part names are client_files[i], as CVAT's web
// client names them (cvat-core's src/server-proxy.ts); plain fields ride before the files.
import { createHash, randomBytes } from 'node:crypto';
import type { FileSystem } from '../fs/file-system.js';
import { nodeFileSystem } from '../fs/node-file-system.js';
import type { UploadFile } from './api.js';
import { fileChunks } from './streams.js';

export interface MultipartBody {
  contentType: string;
  length: number;
  /** Pure file bytes, excluding the multipart framing (for progress). */
  fileBytes: number;
  /**
   * The body; `onFileBytes` hears of file bytes as the consumer takes them. Each file's bytes are
   * hashed as they pass, so that the caller can compare what left with what it planned to send
   * without reading the file a second time.
   */
  chunks(operation: string, onFileBytes?: (bytes: number) => void): AsyncGenerator<Uint8Array>;
  /** SHA-256 (hex) of each file's bytes as they were yielded; filled as each file ends. */
  readonly sha256: string[];
}

/** Quotes a form-data name or filename as browsers do (WHATWG HTML: ", CR, LF percent-encoded). */
export function quoteFormValue(value: string): string {
  return `"${value.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22')}"`;
}

export function multipartBody(
  files: readonly UploadFile[],
  fieldName: (index: number) => string,
  boundary = newBoundary(),
  fields: Readonly<Record<string, string>> = {},
  /** Where the files are read. */
  fs: FileSystem = nodeFileSystem,
): MultipartBody {
  // Plain fields go first (DataRequest options such as image_quality).
  const preamble = Buffer.from(
    Object.entries(fields)
      .map(
        ([name, value]) =>
          `--${boundary}\r\nContent-Disposition: form-data; name=${quoteFormValue(name)}\r\n\r\n${value}\r\n`,
      )
      .join(''),
    'utf8',
  );
  const heads = files.map((f, i) =>
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name=${quoteFormValue(fieldName(i))}; filename=${quoteFormValue(f.name)}\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
      'utf8',
    ),
  );
  const crlf = Buffer.from('\r\n');
  const tail = Buffer.from(`--${boundary}--\r\n`);
  const fileBytes = files.reduce((n, f) => n + f.size, 0);
  const length =
    preamble.length +
    heads.reduce((n, h) => n + h.length + crlf.length, 0) +
    fileBytes +
    tail.length;
  const sha256: string[] = [];
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length,
    fileBytes,
    sha256,
    async *chunks(operation: string, onFileBytes?: (bytes: number) => void) {
      sha256.length = 0;
      if (preamble.length > 0) yield preamble;
      for (let i = 0; i < files.length; i++) {
        const file = files[i]!;
        yield heads[i]!;
        const hash = createHash('sha256');
        for await (const chunk of fileChunks(fs, file.path, file.size, operation)) {
          hash.update(chunk);
          yield chunk;
          onFileBytes?.(chunk.length);
        }
        sha256.push(hash.digest('hex'));
        yield crlf;
      }
      yield tail;
    },
  };
}

function newBoundary(): string {
  return `----cvat-sync-${randomBytes(12).toString('hex')}`;
}
