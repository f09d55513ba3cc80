// One export or backup, from the request to a verified file on disk:
//   request (POST .../export, a 409 joins the running one) -> poll /api/requests/{rq_id}
//   -> stream result_url to <name>.part (Range on resume) -> verify, fsync, rename -> extract?
// An expired result (404 on the request or on the download) is requested again, a few times.
import { SyncError } from '../../core/errors.js';
import type { CvatRequest } from '../../cvat/api.js';
import type { TransferRow } from '../../journal/download-repo.js';
import { downloadToFile } from './downloader.js';
import { extractZip } from './extract-zip.js';
import type { JobContext } from './job-context.js';
import { emptyPart } from './part-file.js';

export async function runDownloadJob(ctx: JobContext, start: TransferRow): Promise<TransferRow> {
  let row = start;
  for (;;) {
    if (row.resultUrl === null) {
      const url = await waitForResult(ctx, row);
      if (url === null) {
        row = await rerequest(
          ctx,
          row,
          'the export request expired before its file was downloaded',
        );
        continue;
      }
      row = ctx.update({ resultUrl: url });
    }
    row = ctx.update({ state: 'downloading' });
    try {
      const outcome = await downloadToFile({
        api: ctx.api,
        url: row.resultUrl as string,
        clock: ctx.clock,
        fs: ctx.fs,
        dir: row.localPath,
        partPath: row.partPath,
        fallbackName: fallbackName(row),
        partsInUse: ctx.partsInUse,
        signal: ctx.signal,
        ...(ctx.throttle ? { throttle: ctx.throttle } : {}),
        onPart: (partPath) => {
          row = ctx.update({ partPath });
        },
        onProgress: (p) => ctx.progress(p.bytesDone, p.bytesTotal, p.speedBps),
      });
      row = ctx.update({
        finalPath: outcome.finalPath,
        bytesDone: outcome.bytes,
        bytesTotal: outcome.bytes,
      });
      break;
    } catch (e) {
      const next = await afterRefusedDownload(ctx, row, e);
      if (next === null) throw e;
      row = next;
    }
  }
  const zip = row.finalPath;
  if (row.extract && zip !== null && zip.toLowerCase().endsWith('.zip')) {
    row = ctx.update({ state: 'processing' });
    const extracted = await extractZip(ctx.fs, zip, row.localPath, ctx.tag());
    row = ctx.update({ extractedPath: extracted });
  }
  return row;
}

/**
 * CVAT answers a result URL whose request expired with 400 "Unknown export request id", and one
 * whose request lives but whose file is gone with 404. Asks the request itself which it is:
 * gone or file lost → request again; not finished (a re-enqueued export) → wait for it again.
 * Returns the row to continue with, or null when the refusal is the answer (cloud storage, ...).
 */
async function afterRefusedDownload(
  ctx: JobContext,
  row: TransferRow,
  e: unknown,
): Promise<TransferRow | null> {
  if (!(e instanceof SyncError && (e.status === 400 || e.status === 404)) || row.rqId === null)
    return null;
  const request = await requestOrNull(ctx, row.rqId);
  if (request === null || (e.status === 404 && request.status === 'finished')) {
    return rerequest(ctx, row, 'the exported file expired on the server');
  }
  if (request.status === 'queued' || request.status === 'started')
    return ctx.update({ resultUrl: null });
  return null;
}

async function requestOrNull(ctx: JobContext, rqId: string): Promise<CvatRequest | null> {
  try {
    return await ctx.api.getRequest(rqId, ctx.signal);
  } catch (err) {
    if (err instanceof SyncError && err.status === 404) return null;
    throw err;
  }
}

/** Starts the export when the row has no request yet, then waits: result_url, or null if the request is gone. */
async function waitForResult(ctx: JobContext, start: TransferRow): Promise<string | null> {
  let row = start;
  if (row.rqId === null) {
    const updated = await sourceUpdatedDate(ctx, row);
    const target = { kind: row.targetKind ?? 'task', id: row.targetId ?? 0 } as const;
    const rqId =
      row.subject === 'backup'
        ? await ctx.api.exportBackup(
            { kind: target.kind === 'project' ? 'project' : 'task', id: target.id },
            ctx.signal,
          )
        : await ctx.api.exportDataset(target, row.format ?? '', row.withImages, ctx.signal);
    row = ctx.update({ state: 'exporting', rqId, sourceUpdatedDate: updated });
  } else {
    row = ctx.update({ state: 'exporting' });
  }
  let request: CvatRequest | null;
  try {
    request = await ctx.api.waitForRequest(row.rqId as string, { signal: ctx.signal, ...ctx.poll });
  } catch (e) {
    // A request id from an earlier run that the server no longer knows: it expired.
    if (e instanceof SyncError && e.status === 404) return null;
    throw e;
  }
  if (request === null) return null;
  if (request.status === 'failed') {
    throw new SyncError(
      `CVAT could not export ${describeTarget(row)}: ${request.message || 'no reason given'}`,
      {
        code: 'export-failed',
        kind: 'item',
        operation: 'export',
        hint: 'Check the task in CVAT (media, annotations, format); then retry.',
      },
    );
  }
  if (request.status !== 'finished') {
    throw new SyncError(`The export request ended in state ${request.status}`, {
      code: 'export-failed',
      kind: 'transient',
      operation: 'export',
    });
  }
  if (!request.result_url) {
    throw new SyncError(
      `CVAT finished the export of ${describeTarget(row)} but gave no file to download`,
      {
        code: 'no-result',
        kind: 'item',
        operation: 'export',
        hint: 'The result probably went to a cloud storage: set the task\'s target storage to "local", or fetch it from that storage.',
      },
    );
  }
  return request.result_url;
}

/** The task's updated_date before exporting: the state the file will hold (auto-export compares it). */
async function sourceUpdatedDate(ctx: JobContext, row: TransferRow): Promise<string | null> {
  if (row.targetKind !== 'task' || row.targetId === null) return null;
  const task = await ctx.api.findTask(row.targetId, ctx.signal);
  if (task === null) {
    throw new SyncError(`Task ${row.targetId} no longer exists on the server`, {
      code: 'not-found',
      kind: 'item',
      operation: 'export',
      status: 404,
    });
  }
  return task.updated_date;
}

async function rerequest(ctx: JobContext, row: TransferRow, why: string): Promise<TransferRow> {
  if (row.rerequests >= ctx.maxRerequests) {
    throw new SyncError(`Gave up on ${describeTarget(row)}: ${why} ${row.rerequests + 1} times`, {
      code: 'expired',
      kind: 'item',
      operation: 'export',
      hint: 'The server keeps exported files for a limited time (24 h by default); retry when the connection is steadier.',
    });
  }
  // The .part holds bytes of the old result; the new one differs (it is made again).
  if (row.partPath !== null) await emptyPart(ctx.fs, row.partPath);
  return ctx.update({
    rqId: null,
    resultUrl: null,
    rerequests: row.rerequests + 1,
    bytesDone: 0,
    bytesTotal: null,
  });
}

export function describeTarget(
  row: Pick<TransferRow, 'subject' | 'targetKind' | 'targetId' | 'format' | 'withImages'>,
): string {
  const target = `${row.targetKind ?? 'task'} ${row.targetId ?? '?'}`;
  if (row.subject === 'backup') return `the backup of ${target}`;
  return `${target} as ${row.format ?? '?'}${row.withImages ? ' with images' : ''}`;
}

function fallbackName(row: TransferRow): string {
  const target = `${row.targetKind ?? 'task'}_${row.targetId ?? 0}`;
  if (row.subject === 'backup') return `${target}_backup.zip`;
  const format = (row.format ?? 'export').toLowerCase().replace(/[^a-z0-9]+/g, '_');
  return `${target}_${row.withImages ? 'dataset' : 'annotations'}_${format}.zip`;
}
