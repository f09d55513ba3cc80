// TUS 1.0.0 core as CVAT's UploadMixin (cvat/apps/engine/mixins.py) implements it: no
// extensions, `<user>_<uuid4>` ids, absolute Location joined onto the request URL, bytes streamed
// to disk at the offset.
import { open, rename, mkdir, rm, access } from 'node:fs/promises';
import { dirname, join, resolve, relative, isAbsolute, extname } from 'node:path';
import type { Core } from './core.js';
import type { Ctx } from './http-kit.js';
import { HttpError } from './http-kit.js';
import type { TaskRec, UploadKind, UploadRec } from './store.js';
import { noteBytes } from './ledger.js';
import { djangoHeaderValue } from './django-header.js';

export interface TusCollection {
  kind: UploadKind;
  target: UploadRec['target'];
  targetId: number | null;
  /** Set for media uploads: the task whose upload folder receives the file. */
  task?: TaskRec;
}

export const UPLOAD_ID =
  '(?<fileId>\\d+_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})';

export function parseMetadata(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of (header ?? '').split(',')) {
    const parts = kv.split(' ');
    if (parts.length === 2)
      out[parts[0] ?? ''] = Buffer.from(parts[1] ?? '', 'base64').toString('utf8');
    else if (parts[0]) out[parts[0]] = '';
  }
  return out;
}

/** CVAT's name check: the resolved path must stay inside the upload folder. */
export function nameAllowed(name: string): boolean {
  if (!name || isAbsolute(name) || name.includes('\0')) return false;
  const root = '/upload-root';
  const rel = relative(root, resolve(root, name));
  return !!rel && !rel.startsWith('..') && !isAbsolute(rel);
}

/** Where a task's media file lives; names may contain sub-folders that stay inside. */
export function mediaPath(core: Core, taskId: number, name: string): string {
  return join(core.store.taskUploadDir(taskId), name);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export class Tus {
  private inFlight = new Set<string>();

  constructor(private readonly core: Core) {}

  headers(): Record<string, string> {
    return {
      'Tus-Resumable': '1.0.0',
      'Tus-Version': '1.0.0',
      'Tus-Extension': '',
      'Tus-Max-Size': String(this.core.opts.tusMaxSize),
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'PATCH,HEAD,GET,POST,OPTIONS',
      'Access-Control-Expose-Headers':
        'Tus-Resumable,upload-length,upload-metadata,Location,Upload-Offset',
      'Access-Control-Allow-Headers':
        'Tus-Resumable,upload-length,upload-metadata,Location,Upload-Offset,content-type',
      'Cache-Control': 'no-store',
    };
  }

  private fail(status: number, body?: string): HttpError {
    return new HttpError(
      status,
      body ?? null,
      body === undefined ? 'empty' : 'json',
      this.headers(),
    );
  }

  async options(ctx: Ctx): Promise<void> {
    await ctx.sendEmpty(204, this.headers());
  }

  /** POST with Upload-Length on a collection. */
  async create(ctx: Ctx, col: TusCollection): Promise<void> {
    const core = this.core;
    const lengthRaw = ctx.header('upload-length') ?? '0';
    if (!/^\s*\d+\s*$/.test(lengthRaw))
      throw new HttpError(500, '<h1>Server Error (500)</h1>', 'text');
    const length = parseInt(lengthRaw, 10);
    if (length > core.opts.tusMaxSize)
      throw this.fail(413, `File size exceeds max limit of ${core.opts.tusMaxSize} bytes`);
    const meta = parseMetadata(ctx.header('upload-metadata'));
    const filename = meta.filename ?? '';
    const task = col.task;
    if (col.kind === 'media' && task) {
      if (!filename) throw this.fail(400, "Metadata is expected to contain 'filename' key");
      if (!nameAllowed(filename))
        throw new HttpError(400, `File name ${filename} is not allowed`, 'quoted-text');
      const data = task.data;
      if (
        data?.clientFiles.includes(filename) ||
        (await exists(mediaPath(core, task.id, filename)))
      ) {
        throw this.fail(409, 'File with same name already exists');
      }
    }
    // CVAT pre-allocates the file by seeking to length-1: a zero length crashes the view.
    if (length === 0) throw new HttpError(500, '<h1>Server Error (500)</h1>', 'text');
    const userId = Number(ctx.userId);
    const id = `${userId}_${core.rng.uuid4()}`;
    const rec: UploadRec = {
      id,
      userId,
      kind: col.kind,
      target: col.target,
      targetId: col.targetId,
      filename: col.kind === 'media' ? filename : id,
      originalName: filename,
      filetype: meta.filetype ?? '',
      length,
      offset: 0,
      createdDate: core.now(),
      complete: false,
    };
    const fh = await open(core.store.uploadFile(id), 'w');
    await fh.close();
    core.state.uploads.push(rec);
    if (col.kind === 'media' && task?.data) task.data.clientFiles.push(filename);
    await core.store.save();
    await ctx.drain();
    const requestUrl = ctx.absolute(ctx.url.pathname);
    const location = requestUrl.slice(0, requestUrl.lastIndexOf('/') + 1) + id;
    await ctx.sendEmpty(201, {
      ...this.headers(),
      Location: location,
      // Django MIME-encodes values outside Latin-1 (=?utf-8?b?...?=).
      'Upload-Filename': djangoHeaderValue(rec.filename),
    });
  }

  private find(ctx: Ctx, col: TusCollection, fileId: string): UploadRec {
    const rec = this.core.state.uploads.find(
      (u) =>
        u.id === fileId &&
        !u.complete &&
        u.kind === col.kind &&
        u.targetId === col.targetId &&
        u.target === col.target,
    );
    // 2.39-2.54 load the meta file (an assert) before checking owner and existence.
    if (!rec && this.core.tusGoneIs500)
      throw new HttpError(500, '<h1>Server Error (500)</h1>', 'text');
    const owner = Number(fileId.split('_')[0]);
    if (owner !== ctx.userId) throw this.fail(403);
    if (!rec) throw this.fail(404);
    return rec;
  }

  /** HEAD or PATCH on `<collection>/<fileId>`. */
  async chunk(ctx: Ctx, col: TusCollection, fileId: string): Promise<void> {
    let rec: UploadRec;
    try {
      rec = this.find(ctx, col, fileId);
    } catch (err) {
      // uvicorn hands Django the whole body before the view runs: the answer comes after it.
      if (err instanceof HttpError && err.status === 500) await ctx.drain();
      throw err;
    }
    if (ctx.method === 'HEAD') {
      await ctx.sendEmpty(200, {
        ...this.headers(),
        'Upload-Offset': rec.offset,
        'Upload-Length': rec.length,
      });
      return;
    }
    const lengthHeader = ctx.header('content-length');
    if (lengthHeader === undefined && this.core.atLeast('2.53')) throw this.fail(400);
    // Before 2.55 the body is read into memory: Django's RequestDataTooBig, its plain 400 page.
    const limit = this.core.patchBodyLimit;
    if (limit !== null && Number(lengthHeader ?? 0) > limit) {
      await ctx.drain();
      throw new HttpError(400, '<h1>Bad Request (400)</h1>', 'text');
    }
    const type = (ctx.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/offset+octet-stream') throw this.fail(415);
    const offset = Number(ctx.header('upload-offset') ?? '0');
    if (offset !== rec.offset || this.inFlight.has(rec.id)) throw this.fail(409);
    const declared = lengthHeader === undefined ? 0 : Number(lengthHeader);
    if (offset + declared > rec.length) throw this.fail(413);
    this.inFlight.add(rec.id);
    try {
      const written = await this.write(ctx, rec, rec.length - offset);
      if (col.task)
        noteBytes(this.core, col.task.id, rec.originalName, written, !ctx.bodyTruncated);
      // A body that did not arrive whole has no effect. CVAT's TusChunk reads `request.body`
      // (cvat/apps/engine/mixins.py) and Django reads the whole body before the view runs, so a
      // cut PATCH never reaches write_chunk: the offset stays. The bytes this server already
      // wrote lie past the offset and the next PATCH from that offset overwrites them.
      if (ctx.bodyTruncated) return;
      // The task (and its uploads) deleted while the body arrived: as CVAT, the object is gone.
      if (!this.live(rec, col)) {
        await rm(this.core.store.uploadFile(rec.id), { force: true });
        throw this.fail(404);
      }
      rec.offset += written;
      if (rec.offset === rec.length) await this.complete(rec, col);
      await this.core.store.save();
    } finally {
      this.inFlight.delete(rec.id);
    }
    const extra: Record<string, string | number> = { 'Upload-Offset': rec.offset };
    if (!this.core.atLeast('2.39')) extra['Upload-Filename'] = djangoHeaderValue(rec.filename);
    await ctx.sendEmpty(204, { ...this.headers(), ...extra });
  }

  private live(rec: UploadRec, col: TusCollection): boolean {
    return (
      this.core.state.uploads.includes(rec) &&
      (!col.task || this.core.state.tasks.includes(col.task))
    );
  }

  /** Streams the body into the upload file at its offset (never more than `room` bytes); one fsync per PATCH. */
  private async write(ctx: Ctx, rec: UploadRec, room: number): Promise<number> {
    let fh;
    try {
      fh = await open(this.core.store.uploadFile(rec.id), 'r+');
    } catch (err) {
      // Its task was deleted between the lookup and now.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        await ctx.drain();
        throw this.fail(404);
      }
      throw err;
    }
    let written = 0;
    try {
      // Chunks are written 1 MiB at a time (writev) while the socket goes on reading; awaiting
      // each 64 KiB write in turn made the disk and the network take turns.
      let batch: Buffer[] = [];
      let batchBytes = 0;
      let position = rec.offset;
      let pending: Promise<unknown> = Promise.resolve();
      const flush = (): void => {
        const bufs = batch;
        const at = position;
        position += batchBytes;
        batch = [];
        batchBytes = 0;
        pending = pending.then(() => fh.writev(bufs, at));
        pending.catch(() => undefined); // awaited below; never an unhandled rejection
      };
      for await (const chunk of ctx.body()) {
        let buf = chunk as Buffer;
        if (written + buf.length > room) buf = buf.subarray(0, room - written);
        if (buf.length === 0) continue;
        written += buf.length;
        batch.push(buf);
        batchBytes += buf.length;
        if (batchBytes >= 1 << 20) {
          await pending;
          flush();
        }
      }
      flush();
      await pending;
      await fh.sync();
    } finally {
      await fh.close();
    }
    return written;
  }

  /** Last byte arrived: media takes its final name in the task folder (CVAT renames on clash). */
  private async complete(rec: UploadRec, col: TusCollection): Promise<void> {
    rec.complete = true;
    if (rec.kind !== 'media' || !col.task) return;
    let name = rec.filename;
    let target = mediaPath(this.core, col.task.id, name);
    const ext = extname(name);
    const stem = name.slice(0, name.length - ext.length);
    for (let n = 1; await exists(target); n++) {
      name = `${stem}_${n}${ext}`;
      target = mediaPath(this.core, col.task.id, name);
    }
    await mkdir(dirname(target), { recursive: true });
    await rename(this.core.store.uploadFile(rec.id), target);
    if (name !== rec.filename && col.task.data) col.task.data.clientFiles.push(name);
    rec.filename = name;
    this.core.state.uploads = this.core.state.uploads.filter((u) => u !== rec);
  }

  /** Finds a finished non-media upload for Upload-Finish's `filename` (upload id; original name < 2.39). */
  finished(userId: number, col: TusCollection, filename: string): UploadRec | undefined {
    return this.core.state.uploads.find(
      (u) =>
        u.complete &&
        u.userId === userId &&
        u.kind === col.kind &&
        u.target === col.target &&
        u.targetId === col.targetId &&
        (u.id === filename || (!this.core.atLeast('2.39') && u.originalName === filename)),
    );
  }

  async discard(rec: UploadRec): Promise<void> {
    this.core.state.uploads = this.core.state.uploads.filter((u) => u !== rec);
    await rm(this.core.store.uploadFile(rec.id), { force: true });
  }
}
