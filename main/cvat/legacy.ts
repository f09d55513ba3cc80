// Exports and imports on servers older than 2.16: no /api/requests, so an export is a GET
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
  const download = new URL(url);
  download.searchParams.set('action', 'download');
  return requestRecord(id, reply, now, finished, {
    operation: {
      type: `export:${what}`,
      target,
      task_id: target === 'task' ? targetId : null,
      project_id: target === 'project' ? targetId : null,
      job_id: target === 'job' ? targetId : null,
      format: u.searchParams.get('format'),
    },
    result_url: finished ? download.toString() : null,
    result_id: null,
  });
}

/** A repeat's answer as a request record: failed from 400 on, finished when `finished`. */
function requestRecord(
  id: string,
  reply: Reply,
  now: string,
  finished: boolean,
  outcome: Pick<CvatRequest, 'operation' | 'result_url' | 'result_id'>,
): CvatRequest {
  const failed = reply.status >= 400;
  return {
    id,
    status: failed ? 'failed' : finished ? 'finished' : 'started',
    message: failed ? bodyExcerpt(reply.text, reply.headers.get('content-type')) : '',
    progress: null,
    created_date: now,
    started_date: null,
    finished_date: finished || failed ? now : null,
    expiry_date: null,
    ...outcome,
  };
}

// Imports on servers older than 2.16: the client repeats a request until the job ends (task
// backups: POST {"rq_id"}, annotations: PUT ?format=…); 202 while it runs, 201 once done, after
// which the server forgets the job. The synthetic id carries that request.
export const LEGACY_IMPORT_PREFIX = 'legacy-import:';

export interface LegacyImport {
  kind: 'backup' | 'annotations';
  /** Path of the import endpoint ('/api/tasks/backup/', '/api/tasks/12/annotations/'). */
  path: string;
  query: Record<string, string>;
  /** The server's job id (backups). */
  rqId: string | null;
}

export function legacyImportId(spec: LegacyImport): string {
  return LEGACY_IMPORT_PREFIX + JSON.stringify(spec);
}

export function parseLegacyImportId(id: string): LegacyImport | null {
  if (!id.startsWith(LEGACY_IMPORT_PREFIX)) return null;
  try {
    return JSON.parse(id.slice(LEGACY_IMPORT_PREFIX.length)) as LegacyImport;
  } catch {
    return null;
  }
}

/** One repeat's answer as a request record; null when the server no longer knows the job. */
export function legacyImportRequest(
  id: string,
  spec: LegacyImport,
  reply: Reply,
  now: string,
): CvatRequest | null {
  const fileField = spec.kind === 'backup' ? 'task_file' : 'annotation_file';
  // A job it forgot is taken as a new upload without its file.
  if (reply.status === 400 && reply.text.includes(`"${fileField}"`)) return null;
  const finished = reply.status === 201;
  let resultId: number | null = null;
  if (finished && spec.kind === 'backup') {
    try {
      const body = JSON.parse(reply.text) as { id?: unknown };
      resultId = typeof body.id === 'number' ? body.id : null;
    } catch {
      resultId = null;
    }
  }
  const taskId = /\/api\/tasks\/(\d+)\//.exec(spec.path)?.[1];
  return requestRecord(id, reply, now, finished, {
    operation: {
      type: `import:${spec.kind}`,
      target: 'task',
      task_id: taskId ? Number(taskId) : null,
      project_id: null,
      job_id: null,
      format: spec.query.format ?? null,
    },
    result_url: null,
    result_id: resultId,
  });
}
