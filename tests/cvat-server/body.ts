// Request body parsing with DRF's rules: JSON or (on upload endpoints) multipart, anything else 415.
// Multipart files are streamed straight to their destination, never buffered.
import busboy from 'busboy';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Ctx } from './http-kit.js';
import { detail, fieldErrors } from './http-kit.js';

export function mediaType(ctx: Ctx): string {
  return (ctx.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function hasBody(ctx: Ctx): boolean {
  const len = ctx.header('content-length');
  if (len !== undefined) return Number(len) > 0;
  return ctx.header('transfer-encoding') !== undefined;
}

export function unsupported(ctx: Ctx): never {
  throw detail(415, `Unsupported media type "${ctx.header('content-type') ?? ''}" in request.`);
}

/** request.data for a JSON-only endpoint. Empty body = {}. */
export async function readJson(ctx: Ctx): Promise<Record<string, unknown>> {
  if (!hasBody(ctx)) {
    await ctx.drain();
    return {};
  }
  const type = mediaType(ctx);
  if (type !== 'application/json' && !/^application\/[\w.+-]*\+json$/.test(type)) unsupported(ctx);
  const raw = (await ctx.bodyBuffer()).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw detail(400, `JSON parse error - ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw fieldErrors({
      non_field_errors: [
        `Invalid data. Expected a dictionary, but got ${Array.isArray(value) ? 'list' : typeof value === 'string' ? 'str' : typeof value}.`,
      ],
    });
  }
  if (ctx.recorded) ctx.recorded.json = value;
  return value as Record<string, unknown>;
}

export interface MultipartResult {
  fields: Map<string, string[]>;
  truncated: boolean;
}

export type FileSink = (field: string, filename: string, stream: Readable) => Promise<void>;

/** Streams every file part into `sink`; resolves with the plain fields once all files are written. */
export async function readMultipart(ctx: Ctx, sink: FileSink): Promise<MultipartResult> {
  const fields = new Map<string, string[]>();
  const writes: Array<Promise<void>> = [];
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: ctx.req.headers,
      preservePath: true,
      // Django's MultiPartParser decodes part headers as UTF-8 (busboy's default is Latin-1).
      defParamCharset: 'utf8',
      limits: { fieldSize: 16 * 1024 * 1024 },
    });
  } catch {
    throw detail(400, 'Multipart form parse error - Invalid boundary in multipart: None');
  }
  let failure: Error | null = null;
  parser.on('field', (name, value) => fields.set(name, [...(fields.get(name) ?? []), value]));
  const files: Array<{ field: string; filename: string }> = [];
  parser.on('file', (name, stream, info) => {
    files.push({ field: name, filename: info.filename ?? '' });
    const write = sink(name, info.filename ?? '', stream).catch((err: unknown) => {
      failure ??= err as Error;
      stream.resume();
    });
    writes.push(write);
  });
  const finished = new Promise<void>((resolve) => {
    parser.on('close', resolve);
    parser.on('error', () => resolve());
  });
  ctx.body().pipe(parser);
  await finished;
  await Promise.all(writes);
  if (ctx.recorded) ctx.recorded.form = { fields: Object.fromEntries(fields), files };
  if (failure) throw failure;
  return { fields, truncated: ctx.bodyTruncated };
}

/**
 * Writes everything a stream yields to `path` and resolves with the byte count even when the
 * stream errors half-way (the ledger counts the bytes of a cut part; the part itself is dropped). The listener is attached
 * synchronously (busboy discards unread data when it destroys a part); the stream is paused
 * while more than 8 MiB wait for the disk.
 */
export function drainTo(stream: Readable, path: string, flags: 'a' | 'w'): Promise<number> {
  const handle = open(path, flags);
  let queue: Promise<unknown> = handle;
  let pending = 0;
  let written = 0;
  stream.on('data', (chunk: Buffer) => {
    pending += chunk.length;
    if (pending > 8 << 20) stream.pause();
    queue = queue.then(async () => {
      await (await handle).write(chunk);
      written += chunk.length;
      pending -= chunk.length;
      if (pending < 2 << 20 && stream.isPaused()) stream.resume();
    });
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      queue.then(async () => (await handle).close()).then(() => resolve(written), reject);
    };
    stream.on('end', done);
    stream.on('error', done);
    stream.on('close', done);
  });
}
