// Flow B: CVAT's background requests (exports, imports, task creation on 2.16 and later) and
// their synthetic stand-ins on older servers.
import { SyncError } from '../core/errors.js';
import type { AbortSignalLike } from '../core/signal.js';
import type { CvatRequest, ListQuery, Page } from './api.js';
import { poll, sig } from './client-context.js';
import type { ClientContext, PollOptions } from './client-context.js';
import type { CallSpec } from './http.js';
import { parseJson } from './http.js';
import { isLegacyRequestId, parseLegacyImportId } from './legacy.js';
import { getLegacyExport, getLegacyImport } from './legacy-flows.js';
import { listPage } from './paging.js';
import { parseWith, requestSchema, rqIdSchema } from './schemas.js';

export async function getRequest(
  context: ClientContext,
  rqId: string,
  signal?: AbortSignalLike,
): Promise<CvatRequest | null> {
  if (isLegacyRequestId(rqId)) return getLegacyExport(context, rqId, signal);
  const legacyImport = parseLegacyImportId(rqId);
  if (legacyImport) return getLegacyImport(context, rqId, legacyImport, signal);
  const spec: CallSpec = {
    operation: 'get request',
    method: 'GET',
    path: `/api/requests/${encodeURIComponent(rqId)}`,
    expect: [404],
    ...sig(signal),
  };
  const reply = await context.transport.call(spec);
  if (reply.status === 404) return null;
  return parseWith(requestSchema, parseJson(reply, spec.operation), spec.operation, reply.url);
}

export async function listRequests(
  context: ClientContext,
  query: ListQuery,
  signal?: AbortSignalLike,
): Promise<Page<CvatRequest>> {
  // Servers before 2.16 keep no request records.
  if (!(await context.supportsRequests(signal)))
    return { count: 0, next: null, previous: null, results: [] };
  return listPage(
    context.transport,
    { operation: 'list requests', path: '/api/requests', item: requestSchema, org: false },
    query,
    signal,
  );
}

export async function cancelRequest(
  context: ClientContext,
  rqId: string,
  signal?: AbortSignalLike,
): Promise<void> {
  if (isLegacyRequestId(rqId) || parseLegacyImportId(rqId)) {
    throw new SyncError('cancel request: on servers before 2.16 requests cannot be cancelled', {
      code: 'not-cancellable',
      kind: 'item',
      operation: 'cancel request',
    });
  }
  await context.transport.call({
    operation: 'cancel request',
    method: 'POST',
    path: `/api/requests/${encodeURIComponent(rqId)}/cancel`,
    ...sig(signal),
  });
}

/** null when the request is unknown or gone (404): finished long ago or expired. */
export function waitForRequest(
  context: ClientContext,
  rqId: string,
  options: PollOptions<CvatRequest>,
): Promise<CvatRequest | null> {
  const { onUpdate, ...rest } = options;
  const pollOptions: PollOptions<CvatRequest | null> = onUpdate
    ? { ...rest, onUpdate: (r) => r && onUpdate(r) }
    : rest;
  return poll(context, pollOptions, async () => {
    const request = await context.getRequest(rqId, options.signal);
    return {
      value: request,
      done: request === null || request.status === 'finished' || request.status === 'failed',
    };
  });
}

/** A call answered 202 {rq_id}, or 409 {rq_id} naming the request already running. */
export async function startRequest(context: ClientContext, spec: CallSpec): Promise<string> {
  const reply = await context.transport.call(spec);
  return parseWith(rqIdSchema, parseJson(reply, spec.operation), spec.operation, reply.url).rq_id;
}
