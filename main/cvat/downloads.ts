// Flow C: starting dataset and backup exports and downloading their results, resumable with
// Range. Servers before 2.16 export through the legacy GET flow (legacy-flows.ts).
import { SyncError, isSyncError } from '../core/errors.js';
import type { AbortSignalLike } from '../core/signal.js';
import type { DownloadOptions, DownloadResponse, ExportTargetRef } from './api.js';
import { rehint, sig } from './client-context.js';
import type { ClientContext } from './client-context.js';
import { dispositionFilename } from './content-disposition.js';
import { badResponse, safeUrl } from './http-errors.js';
import { legacyExportUrl } from './legacy.js';
import { startLegacyExport } from './legacy-flows.js';
import { startRequest } from './requests.js';

export async function exportDataset(
  context: ClientContext,
  target: ExportTargetRef,
  format: string,
  saveImages: boolean,
  signal?: AbortSignalLike,
): Promise<string> {
  if (!(await context.supportsRequests(signal))) {
    return startLegacyExport(
      context,
      legacyExportUrl(context.server, target, saveImages ? 'dataset' : 'annotations', format),
      signal,
    );
  }
  const operation = `export ${target.kind} ${target.id}`;
  try {
    return await startRequest(context, {
      operation,
      method: 'POST',
      path: `/api/${target.kind}s/${target.id}/dataset/export`,
      query: { format, save_images: saveImages, location: 'local' },
      expect: [409],
      ...sig(signal),
    });
  } catch (e) {
    if (isSyncError(e) && e.status === 400)
      throw rehint(e, {
        code: 'unknown-format',
        hint: `Pick an exporter name the server lists (Formats: GET /api/server/annotation/formats); "${format}" was refused.`,
      });
    if (isSyncError(e) && e.status === 405)
      throw rehint(e, {
        code: 'format-disabled',
        hint: `The server has the "${format}" exporter disabled; pick another format.`,
      });
    throw e;
  }
}

export async function exportBackup(
  context: ClientContext,
  target: { kind: 'task' | 'project'; id: number },
  signal?: AbortSignalLike,
): Promise<string> {
  if (!(await context.supportsRequests(signal)))
    return startLegacyExport(
      context,
      legacyExportUrl(context.server, target, 'backup', null),
      signal,
    );
  return startRequest(context, {
    operation: `back up ${target.kind} ${target.id}`,
    method: 'POST',
    path: `/api/${target.kind}s/${target.id}/backup/export`,
    query: { location: 'local' },
    expect: [409],
    ...sig(signal),
  });
}

export async function download(
  context: ClientContext,
  url: string,
  options: DownloadOptions,
): Promise<DownloadResponse> {
  const operation = 'download';
  const { transport } = context;
  const resumeFrom = Math.max(0, options.resumeFrom ?? 0);
  // identity: byte offsets must be those of the file, not of a compressed transfer.
  const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
  if (resumeFrom > 0) headers['Range'] = `bytes=${resumeFrom}-`;
  const target = onServerOrigin(context, url);
  const open = await transport
    .open({
      operation,
      method: 'GET',
      path: target,
      headers,
      expect: [416],
      ...sig(options.signal),
    })
    .catch(async (e: unknown) => {
      throw await expiredResult(context, e, target, options.signal);
    });
  const { response, guard } = open;
  const filename = dispositionFilename(response.headers.get('content-disposition'));
  const range = parseContentRange(response.headers.get('content-range'));
  const length = numberHeader(response.headers.get('content-length'));
  const fail = async (what: string): Promise<never> => {
    guard.dispose();
    await response.body?.cancel().catch(() => undefined);
    throw badResponse(operation, open.url, what, response.status);
  };
  if (response.status === 416) {
    // Nothing after resumeFrom: complete when the resource is exactly that long.
    if (range?.total === resumeFrom) {
      guard.dispose();
      await response.body?.cancel().catch(() => undefined);
      return { status: 416, totalBytes: resumeFrom, resumed: true, filename, body: emptyBody() };
    }
    return fail(`range ${resumeFrom}- not satisfiable (size ${range?.total ?? 'unknown'})`);
  }
  let resumed = false;
  let totalBytes: number | null = length;
  if (response.status === 206) {
    if (!range || range.start !== resumeFrom)
      return fail(
        `Content-Range ${response.headers.get('content-range') ?? '(missing)'} does not start at ${resumeFrom}`,
      );
    resumed = true;
    totalBytes = range.total ?? (length !== null ? resumeFrom + length : null);
  }
  const start = resumed ? resumeFrom : 0;
  async function* body(): AsyncGenerator<Uint8Array> {
    let done = start;
    try {
      if (!response.body) return;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        guard.touch();
        if (options.throttle) await options.throttle.take(chunk.length, options.signal);
        done += chunk.length;
        options.onProgress?.(done, totalBytes ?? done);
        yield chunk;
      }
    } catch (e) {
      throw transport.failure(operation, open.url, guard, e);
    } finally {
      guard.dispose();
    }
  }
  return { status: response.status, totalBytes, resumed, filename, body: body() };
}

/**
 * CVAT builds result_url from the Host (or X-Forwarded-Host) it was asked with; behind a proxy
 * that rewrites it, the URL names another origin. Credentials never go there: the same path
 * and query are fetched from the configured server.
 */
function onServerOrigin(context: ClientContext, url: string): string {
  const { transport } = context;
  if (!/^https?:\/\//i.test(url) || transport.sameOrigin(url)) return url;
  const foreign = new URL(url);
  const rewritten = new URL(foreign.pathname + foreign.search, transport.origin).toString();
  context.logger.warn('result_url names another origin: fetched from the configured server', {
    from: foreign.origin,
    to: transport.origin,
  });
  return rewritten;
}

/**
 * CVAT reports an expired export two ways: 404 while its request lives on without the file,
 * 400 ("Unknown export request id") once the request itself left the queue, which is the
 * usual case since both share one TTL. The second is rewritten as the first when
 * /api/requests confirms the id is gone, so callers have a single "export again" signal.
 */
async function expiredResult(
  context: ClientContext,
  e: unknown,
  url: string,
  signal?: AbortSignalLike,
): Promise<unknown> {
  if (!isSyncError(e) || e.status !== 400) return e;
  const rqId = new URL(url, context.server).searchParams.get('rq_id');
  if (rqId === null) return e;
  const request = await context.getRequest(rqId, signal).catch(() => undefined);
  if (request !== null) return e;
  return new SyncError('download: the export result expired on the server (its request is gone)', {
    code: 'result-expired',
    kind: 'item',
    operation: 'download',
    url: safeUrl(url),
    status: 404,
    ...(e.body !== undefined ? { body: e.body } : {}),
    hint: 'Export it again; CVAT keeps results for a limited time (24 h by default).',
    cause: e,
  });
}

export function parseContentRange(
  header: string | null,
): { start: number; end: number | null; total: number | null } | null {
  if (!header) return null;
  const m = /^\s*bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)\s*$/i.exec(header);
  if (!m) return null;
  const total = m[3] === '*' ? null : Number(m[3]);
  if (m[1] === undefined) return { start: -1, end: null, total };
  return { start: Number(m[1]), end: Number(m[2]), total };
}

function numberHeader(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Number(value);
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {
  // a completed download has nothing more to send
}
