// The request calls of servers before 2.16 (no /api/requests): an export is started by a GET and
// followed by repeating it, an import by repeating its finishing request. legacy.ts turns each
// repeat's answer into a request record under a synthetic id.
import type { AbortSignalLike } from '../core/signal.js';
import type { CvatRequest, TusTarget } from './api.js';
import { isoNow, sig } from './client-context.js';
import type { ClientContext } from './client-context.js';
import { badResponse, safeUrl } from './http-errors.js';
import type { CallSpec, Query } from './http.js';
import {
  LEGACY_PREFIX,
  legacyExportRequest,
  legacyImportId,
  legacyImportRequest,
} from './legacy.js';
import type { LegacyImport } from './legacy.js';

export async function startLegacyExport(
  context: ClientContext,
  url: string,
  signal?: AbortSignalLike,
): Promise<string> {
  // The first GET starts the export and surfaces a bad format at once.
  await context.transport.call({
    operation: 'start export',
    method: 'GET',
    path: url,
    ...sig(signal),
  });
  return LEGACY_PREFIX + url;
}

export async function getLegacyExport(
  context: ClientContext,
  rqId: string,
  signal?: AbortSignalLike,
): Promise<CvatRequest | null> {
  const url = rqId.slice(LEGACY_PREFIX.length);
  if (!context.transport.sameOrigin(url))
    throw badResponse('get request', safeUrl(url), 'legacy export id of another server');
  // 500 with text is how these servers report a failed export.
  const reply = await context.transport.call({
    operation: 'get export status',
    method: 'GET',
    path: url,
    expect: [404, 500],
    ...sig(signal),
  });
  if (reply.status === 404) return null;
  return legacyExportRequest(rqId, url, reply, isoNow(context.clock));
}

/** One repeat of the import's polling request. */
export async function getLegacyImport(
  context: ClientContext,
  id: string,
  spec: LegacyImport,
  signal?: AbortSignalLike,
): Promise<CvatRequest | null> {
  const reply = await context.transport.call(
    spec.kind === 'backup'
      ? {
          operation: 'get import status',
          method: 'POST',
          path: spec.path,
          org: true,
          json: { rq_id: spec.rqId },
          expect: [400, 500],
          ...sig(signal),
        }
      : {
          operation: 'get import status',
          method: 'PUT',
          path: spec.path,
          query: { format: spec.query.format ?? '' },
          expect: [400, 500],
          ...sig(signal),
        },
  );
  return legacyImportRequest(id, spec, reply, isoNow(context.clock));
}

/** Upload-Finish of an import; the synthetic id names the request to repeat. */
export async function finishLegacyImport(
  context: ClientContext,
  finish: CallSpec,
  target: TusTarget,
  query: Query,
): Promise<string> {
  const reply = await context.transport.call(finish);
  let rqId: string | null = null;
  try {
    const body = JSON.parse(reply.text) as { rq_id?: unknown };
    rqId = typeof body.rq_id === 'string' ? body.rq_id : null;
  } catch {
    rqId = null;
  }
  const kind = target.kind === 'task-backup' ? 'backup' : 'annotations';
  if (kind === 'backup' && rqId === null)
    throw badResponse(finish.operation, reply.url, 'no rq_id in the answer', reply.status);
  const plain: Record<string, string> = {};
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null) plain[k] = String(v);
  return legacyImportId({ kind, path: finish.path, query: plain, rqId });
}
