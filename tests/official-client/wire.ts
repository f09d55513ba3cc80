// Reading the server's request recording: the /data/ requests of one task, by kind, and the
// Upload-Finish options as CVAT's DataSerializer sees them.
import type { RecordedRequest } from '../cvat-server/index.js';

export interface DataWire {
  starts: RecordedRequest[];
  multiple: Array<{
    fields: Record<string, string[]>;
    files: Array<{ field: string; filename: string }>;
  }>;
  finishes: Array<Record<string, unknown>>;
  tusCreates: RecordedRequest[];
  patches: RecordedRequest[];
}

/** CVAT dispatches /data/ on the presence of these headers (UploadMixin), whatever their value. */
export function dataRequests(log: RecordedRequest[]): DataWire {
  const has = (r: RecordedRequest, h: string) => r.headers[h] !== undefined;
  const posts = log.filter((r) => r.method === 'POST' && r.status < 400);
  return {
    starts: posts.filter((r) => has(r, 'upload-start') && !has(r, 'upload-finish')),
    multiple: posts
      .filter((r) => has(r, 'upload-multiple'))
      .map((r) => ({ fields: r.form?.fields ?? {}, files: r.form?.files ?? [] })),
    finishes: posts
      .filter((r) => has(r, 'upload-finish'))
      .map((r) => (r.json ?? {}) as Record<string, unknown>),
    tusCreates: posts.filter((r) => has(r, 'upload-length')),
    patches: log.filter((r) => r.method === 'PATCH' && r.status === 204),
  };
}

/**
 * Defaults DataSerializer applies to an omitted field (cvat/apps/engine/serializers.py:
 * use_zip_chunks, use_cache and copy_data are BooleanField(default=False); sorting_method and
 * start_frame fall back to the Data model's defaults). cvat-cli spells some of these out, our
 * client leaves them to the server: the same choice either way.
 */
const DATA_DEFAULTS: Record<string, unknown> = {
  use_zip_chunks: false,
  use_cache: false,
  copy_data: false,
  sorting_method: 'lexicographical',
  start_frame: 0,
};

export function effectiveFinish(body: Record<string, unknown>): Record<string, unknown> {
  return { ...DATA_DEFAULTS, ...body };
}

export interface FileUploadWire {
  start: RecordedRequest | undefined;
  tusCreate: RecordedRequest | undefined;
  patchBytes: number;
  finish: RecordedRequest | undefined;
}

/** One TUS file upload to an import endpoint (annotations, backups): UploadMixin's 3 steps. */
export function fileUpload(log: RecordedRequest[], path: string, since = 0): FileUploadWire {
  const mine = log.filter((r) => r.seq > since && r.path.startsWith(path) && r.status < 400);
  const posts = mine.filter((r) => r.method === 'POST');
  const start = posts.find((r) => r.headers['upload-start'] !== undefined);
  const after = (r: RecordedRequest | undefined) => (x: RecordedRequest) => !r || x.seq > r.seq;
  const tusCreate = posts.find((r) => r.headers['upload-length'] !== undefined && after(start)(r));
  const finish = posts.find((r) => r.headers['upload-finish'] !== undefined && after(start)(r));
  const patchBytes = mine
    .filter((r) => r.method === 'PATCH' && after(tusCreate)(r) && (!finish || r.seq < finish.seq))
    .reduce((n, r) => n + r.bytesIn, 0);
  return { start, tusCreate, patchBytes, finish };
}

export function tusMetadata(header: string | undefined): Record<string, string> {
  return Object.fromEntries(
    (header ?? '')
      .split(',')
      .filter(Boolean)
      .map((pair) => {
        const [k = '', v = ''] = pair.trim().split(' ');
        return [k, Buffer.from(v, 'base64').toString('utf8')];
      }),
  );
}

/**
 * A recorded Upload-Finish query as the view reads it: single values, omitted keys at their
 * defaults, and without `filename`, which names the upload by the server-given id.
 */
export function effectiveQuery(
  r: RecordedRequest | undefined,
  defaults: Record<string, string>,
): Record<string, string> {
  const given = Object.fromEntries(
    Object.entries(r?.query ?? {})
      .filter(([k]) => k !== 'filename')
      .map(([k, v]) => [k, v.join(',')]),
  );
  return { ...defaults, ...given };
}
