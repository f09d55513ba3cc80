// A backup restore or an annotation import: TUS upload of a local file (its Location kept in the
// journal from the moment it exists, so a restart continues the upload), then the server's
// background request, whose result_id is the restored task.
import { basename } from 'node:path';
import { SyncError } from '../../core/errors.js';
import type { CvatRequest, UploadFile } from '../../cvat/api.js';
import type { FileSystem } from '../../fs/file-system.js';
import { errorCode } from '../../fs/file-system.js';
import type { TransferRow } from '../../journal/download-repo.js';
import type { JobContext } from './job-context.js';
import { Meter } from './meter.js';

export async function runImportJob(ctx: JobContext, start: TransferRow): Promise<TransferRow> {
  let row = start;
  if (row.rqId === null) {
    const file = await localFile(ctx.fs, row.localPath);
    row = ctx.update({ state: 'uploading', bytesTotal: file.size });
    let meter: Meter | null = null;
    const common = {
      chunkSize: ctx.chunkSize,
      signal: ctx.signal,
      resumeUrl: row.tusLocation,
      ...(ctx.throttle ? { throttle: ctx.throttle } : {}),
      onCreated: (location: string) => {
        row = ctx.update({ tusLocation: location });
      },
      onProgress: (done: number, total: number) => {
        // Started at the first report: a resumed upload's speed counts only what moves now.
        meter ??= new Meter(ctx.clock, done, total, (p) =>
          ctx.progress(p.bytesDone, p.bytesTotal, p.speedBps),
        );
        meter.update(done, done >= total);
      },
    };
    const rqId =
      row.kind === 'restore'
        ? await ctx.api.importBackup(file, { ...common, projectId: row.projectId })
        : await ctx.api.importAnnotations(
            row.targetId ?? 0,
            file,
            row.format ?? '',
            row.importMode ?? 'replace',
            common,
          );
    row = ctx.update({ rqId, bytesDone: file.size });
  }
  row = ctx.update({ state: 'processing' });
  let request: CvatRequest | null;
  try {
    request = await ctx.api.waitForRequest(row.rqId as string, { signal: ctx.signal, ...ctx.poll });
  } catch (e) {
    if (!(e instanceof SyncError && e.status === 404)) throw e;
    request = null;
  }
  const what =
    row.kind === 'restore'
      ? `restore ${basename(row.localPath)}`
      : `import annotations into task ${row.targetId}`;
  if (request === null) {
    // Sending the file again could restore a second copy: say so instead of guessing.
    throw new SyncError(
      `The server no longer knows the request to ${what}; its outcome is unknown`,
      {
        code: 'unknown-outcome',
        kind: 'item',
        operation: what,
        hint:
          row.kind === 'restore'
            ? 'Look for the restored task in CVAT before retrying.'
            : "Check the task's annotations in CVAT before retrying.",
      },
    );
  }
  if (request.status === 'failed') {
    throw new SyncError(`CVAT could not ${what}: ${request.message || 'no reason given'}`, {
      code: row.kind === 'restore' ? 'restore-failed' : 'import-failed',
      kind: 'item',
      operation: what,
    });
  }
  if (request.status !== 'finished') {
    throw new SyncError(`The request to ${what} ended in state ${request.status}`, {
      code: 'import-failed',
      kind: 'transient',
      operation: what,
    });
  }
  if (row.kind === 'restore') {
    if (request.result_id === null) {
      throw new SyncError(
        `CVAT finished the restore of ${basename(row.localPath)} without naming the new task`,
        {
          code: 'restore-failed',
          kind: 'item',
          operation: what,
        },
      );
    }
    row = ctx.update({ resultId: request.result_id });
  }
  return row;
}

async function localFile(fs: FileSystem, path: string): Promise<UploadFile> {
  try {
    const s = await fs.stat(path);
    if (!s.isFile()) throw new Error('not a regular file');
    return { path, name: basename(path), size: s.size };
  } catch (e) {
    throw new SyncError(`Cannot read ${path}: ${errorCode(e) ?? (e as Error).message}`, {
      code: errorCode(e) === 'ENOENT' ? 'not-found' : 'io',
      kind: 'item',
      operation: 'read import file',
      hint: 'Choose an existing file you can read.',
      cause: e,
    });
  }
}
