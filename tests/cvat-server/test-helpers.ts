// Shared helpers for the test-server suites: authenticated JSON calls, raw node:http requests
// (for exact header control) and small task/media builders.
import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { zipSync } from 'fflate';
import type { CvatTestServer, TestUser } from './index.js';
import { makePng } from './index.js';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json<T = any>(): T; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface CallOptions {
  as?: TestUser | null;
  body?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
}

const keyAuth = new WeakSet<CvatTestServer>();
/** Servers older than 2.48 have no PATs: authenticate helper calls with the login key instead. */
export function useKeyAuth(s: CvatTestServer): CvatTestServer {
  keyAuth.add(s);
  return s;
}

export async function call(
  s: CvatTestServer,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  const user = opts.as === undefined ? s.users.alice : opts.as;
  if (user && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
    headers.Authorization = keyAuth.has(s) ? `Token ${user.key}` : `Bearer ${user.token}`;
  }
  let body: RequestInit['body'];
  if (opts.form) body = opts.form;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const res = await fetch(path.startsWith('http') ? path : s.url + path, { method, headers, body });
  const text = method === 'HEAD' ? '' : await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

export interface RawReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** node:http request with full control over headers (no implicit Content-Length or Accept). */
export function raw(
  url: string,
  opts: { method?: string; headers?: Record<string, string | number>; body?: Buffer | string } = {},
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export const LABELS = [{ name: 'car', type: 'rectangle', attributes: [] }, { name: 'person' }];

export async function createTask(
  s: CvatTestServer,
  body: Record<string, unknown> = {},
  as?: TestUser,
  query = '',
): Promise<number> {
  const r = await call(s, 'POST', `/api/tasks${query}`, {
    as,
    body: { name: 'task', labels: LABELS, ...body },
  });
  if (r.status !== 201) throw new Error(`task create failed ${r.status} ${r.text}`);
  return r.json().id as number;
}

export function images(
  count: number,
  prefix = 'img_',
  ext = 'png',
): Array<{ name: string; data: Buffer }> {
  return Array.from({ length: count }, (_, i) => ({
    name: `${prefix}${String(i).padStart(3, '0')}.${ext}`,
    data: makePng(16 + i, 12, i),
  }));
}

export function form(
  files: Array<{ name: string; data: Buffer }>,
  fields: Record<string, string> = {},
  field = (i: number) => `client_files[${i}]`,
): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  files.forEach((f, i) => fd.append(field(i), new Blob([new Uint8Array(f.data)]), f.name));
  return fd;
}

export function zipOf(entries: Record<string, Buffer>): Buffer {
  return Buffer.from(
    zipSync(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, new Uint8Array(v)]))),
  );
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function waitRequest(s: CvatTestServer, rqId: string, as?: TestUser): Promise<any> {
  for (let i = 0; i < 200; i++) {
    const r = await call(s, 'GET', `/api/requests/${encodeURIComponent(rqId)}`, { as });
    const body = r.json();
    if (body.status === 'finished' || body.status === 'failed') return body;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`request ${rqId} did not finish`);
}

/** Uploads files via Upload-Start + Upload-Multiple + Upload-Finish; returns the finished request. */
export async function attachImages(
  s: CvatTestServer,
  taskId: number,
  files = images(3),
  options: Record<string, unknown> = { image_quality: 70 },
  as?: TestUser,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<any> {
  const data = `/api/tasks/${taskId}/data/`;
  await call(s, 'POST', data, { as, headers: { 'Upload-Start': 'true' }, body: {} });
  const m = await call(s, 'POST', data, {
    as,
    headers: { 'Upload-Multiple': 'true' },
    // Required in every Upload-Multiple before 2.65, as cvat-core and cvat-sdk send it.
    form: form(files, { image_quality: String(options.image_quality ?? 70) }),
  });
  if (m.status !== 200) throw new Error(`upload failed ${m.status} ${m.text}`);
  const f = await call(s, 'POST', data, {
    as,
    headers: { 'Upload-Finish': 'true' },
    body: options,
  });
  if (f.status !== 202) throw new Error(`finish failed ${f.status} ${f.text}`);
  return waitRequest(s, f.json().rq_id, as);
}

export function tusMeta(filename: string, filetype = 'application/octet-stream'): string {
  return `filename ${Buffer.from(filename).toString('base64')},filetype ${Buffer.from(filetype).toString('base64')}`;
}

/**
 * A task with honeypots (validation mode gt_pool): `count` images, jobs of `segment` frames plus
 * `perJob` honeypots each, a validation pool of `pool` frames. Returns the task id.
 */
export async function createHoneypotTask(
  s: CvatTestServer,
  o: { count: number; segment: number; pool: number; perJob: number; name?: string },
  as?: TestUser,
): Promise<number> {
  const id = await createTask(s, { name: o.name ?? 'honeypots', segment_size: o.segment }, as);
  const done = await attachImages(
    s,
    id,
    images(o.count),
    {
      image_quality: 70,
      sorting_method: 'random',
      validation_params: {
        mode: 'gt_pool',
        frame_selection_method: 'random_uniform',
        frame_count: o.pool,
        frames_per_job_count: o.perJob,
      },
    },
    as,
  );
  if (done.status !== 'finished') throw new Error(`honeypot task failed: ${done.message}`);
  return id;
}
