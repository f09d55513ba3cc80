// Exports on servers older than 2.16 (PROTOCOL.md §12): no /api/requests, so an export is a GET
// repeated until 201, then the same URL with action=download. The client hands out a synthetic
// request id carrying that URL and answers getRequest/waitForRequest for it with a CvatRequest.
import type { CvatRequest } from './api.js';
import { bodyExcerpt } from './http-errors.js';
import type { Reply } from './http.js';

export const LEGACY_PREFIX = 'legacy:';

export function isLegacyRequestId(id: string): boolean {
  return id.startsWith(LEGACY_PREFIX);
}

export type LegacyExportKind = 'dataset' | 'annotations' | 'backup';

export function legacyExportUrl(
  server: string,
  target: { kind: string; id: number },
  what: LegacyExportKind,
  format: string | null,
): string {
  const url = new URL(`${server}/api/${target.kind}s/${target.id}/${what}`);
  if (format !== null) url.searchParams.set('format', format);
  return url.toString();
}

/** The answer to one repeat of the export GET, as a request record. */
export function legacyExportRequest(
  id: string,
  url: string,
  reply: Reply,
  now: string,
): CvatRequest {
  const u = new URL(url);
  const m = /\/api\/(task|project|job)s\/(\d+)\/(dataset|annotations|backup)\/?$/.exec(u.pathname);
  const target = m?.[1] ?? 'task';
  const targetId = m ? Number(m[2]) : null;
  const what = m?.[3] ?? 'dataset';
  const finished = reply.status === 200 || reply.status === 201;
  const failed = reply.status >= 400;
  const download = new URL(url);
  download.searchParams.set('action', 'download');
  return {
    id,
    status: failed ? 'failed' : finished ? 'finished' : 'started',
    message: failed ? bodyExcerpt(reply.text, reply.headers.get('content-type')) : '',
    progress: null,
    operation: {
      type: `export:${what}`,
      target,
      task_id: target === 'task' ? targetId : null,
      project_id: target === 'project' ? targetId : null,
      job_id: target === 'job' ? targetId : null,
      format: u.searchParams.get('format'),
    },
    created_date: now,
    started_date: null,
    finished_date: finished || failed ? now : null,
    expiry_date: null,
    result_url: finished ? download.toString() : null,
    result_id: null,
  };
}
