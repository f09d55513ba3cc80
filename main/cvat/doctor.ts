// Server doctor: checks the whole path from this machine to CVAT, including the reverse proxy in
// front of it, and names the fix for each problem (ANCHORS.md (d) 4). Uploads fail behind
// proxies in three classic ways: HEAD rewritten to GET (no resume), a TUS Location built with
// http behind an https proxy, and a request-size limit below our chunk size. The probes touch no
// real data: they use a throwaway backup-import upload that is never finished (CVAT deletes such
// left-overs after a few days), and the size probe declares a large body but sends none.
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { DoctorFinding } from '../model/index.js';
import type { CvatAuth } from './api.js';
import { CVAT_ACCEPT, authorizationHeader, normaliseServer } from './http.js';
import { isSyncError } from '../core/errors.js';
import {
  bodyLimitFix,
  connectFailure,
  httpsRedirect,
  routeFinding,
  strippedAuthorization,
  tlsOk,
} from './doctor-network.js';
import { defaultNetStack } from './net-stack.js';
import type { NetStack } from './net-stack.js';
import { parseVersion, tusChunkLimit, versionAtLeast } from './version.js';

export type { DoctorFinding };

export interface DoctorOptions {
  server: string;
  auth: CvatAuth | null;
  org?: string | null;
  /** Per request. */
  timeoutMs?: number;
  /** The largest request body we will send (bulk batch or TUS chunk); default 100 MiB. */
  probeBodyBytes?: number;
  /** The configured TUS chunk size, checked against the server's own chunk limit. */
  chunkBytes?: number;
  /** How long the size probe waits for a proxy's early answer. */
  sizeProbeWaitMs?: number;
  userAgent?: string;
  /** Proxy and certificate trust, as the client uses them. */
  net?: NetStack;
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

const MIB = 1024 * 1024;

export async function runDoctor(options: DoctorOptions): Promise<DoctorFinding[]> {
  const findings: DoctorFinding[] = [];
  let server: string;
  try {
    server = normaliseServer(options.server);
  } catch {
    return [
      {
        id: 'reachable',
        title: 'Server address',
        status: 'fail',
        detail: `"${options.server}" is not an http:// or https:// URL.`,
        fix: 'Use the address you open CVAT with in a browser, e.g. https://cvat.example.com.',
      },
    ];
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const probe = new Prober(server, options, timeoutMs);
  // The desktop app's OS proxy is resolved per origin before the first request.
  await probe.net.prepare(server).catch(() => undefined);

  // 1. Reachability and version (no credentials needed).
  let about: Answer;
  try {
    about = await probe.send('GET', '/api/server/about', { anonymous: true });
  } catch (e) {
    const way = connectFailure(e);
    if (way) findings.push(way);
    findings.push({
      id: 'reachable',
      title: 'Server reachable',
      status: 'fail',
      detail: `No answer from ${server}: ${(e as Error).message}.`,
      fix:
        way?.fix ??
        'Check the address, that the server is running, and any VPN, firewall or HTTPS proxy (HTTPS_PROXY) in between.',
    });
    return [...findings, ...skipRest('The server is not reachable.')];
  }
  const route = routeFinding(probe.net, server);
  if (route) findings.push(route);
  const redirect = httpsRedirect(server, about.headers.location);
  if (redirect) return [...findings, redirect, ...skipRest('The server URL redirects.')];
  const tls = tlsOk(server);
  if (tls) findings.push(tls);
  if (about.status >= 300 && about.status < 400) {
    findings.push({
      id: 'reachable',
      title: 'Server reachable',
      status: 'fail',
      detail: `${server}/api/server/about redirects (${about.status}) to ${about.headers.location ?? '?'}.`,
      fix: 'Use the address the server redirects to (often https:// instead of http://) as the server URL.',
    });
    return [...findings, ...skipRest('The server URL redirects.')];
  }
  const version = about.status === 200 ? readVersion(about.body) : null;
  if (version === null) {
    findings.push({
      id: 'reachable',
      title: 'Server reachable',
      status: 'fail',
      detail: `${server}/api/server/about answered ${about.status} without a CVAT version: this does not look like a CVAT server.`,
      fix: 'Use the address of the CVAT web UI (without /api), and check that a proxy is not answering in its place.',
    });
    return [...findings, ...skipRest('The server is not a CVAT server.')];
  }
  findings.push({
    id: 'reachable',
    title: 'Server reachable',
    status: 'ok',
    detail: `${server} answers as CVAT.`,
  });
  const parsed = parseVersion(version);
  const old = parsed !== null && !versionAtLeast(parsed, '2.16.0');
  findings.push({
    id: 'version',
    title: 'Server version',
    status: old ? 'warn' : 'ok',
    detail: old
      ? `CVAT ${version}: older than 2.16, so exports and task creation use the legacy endpoints.`
      : `CVAT ${version}.`,
    ...(old
      ? { fix: 'Upgrade CVAT to a current release for request tracking and reliable exports.' }
      : {}),
  });

  const chunkLimit = parsed ? tusChunkLimit(parsed) : null;
  if (chunkLimit !== null) {
    const chunk = options.chunkBytes;
    const capped = chunk !== undefined && chunk > chunkLimit;
    findings.push({
      id: 'chunk-limit',
      title: 'Upload chunk size',
      status: 'ok',
      detail: capped
        ? `CVAT ${version} reads each upload chunk into memory and refuses one over ${formatMiB(chunkLimit)} (400): chunks are capped at ${formatMiB(chunkLimit)} instead of the configured ${formatMiB(chunk)}.`
        : `CVAT ${version} refuses upload chunks over ${formatMiB(chunkLimit)} (fixed in 2.55); chunks are capped there${chunk !== undefined ? ` (configured: ${formatMiB(chunk)})` : ''}.`,
    });
  }

  // 2. Credentials and organization.
  if (!options.auth) {
    findings.push({
      id: 'auth',
      title: 'Signed in',
      status: 'skipped',
      detail: 'No credentials given.',
      fix: 'Sign in (cvat-sync login) or pass a personal access token (CVAT_ACCESS_TOKEN).',
    });
    return [
      ...findings,
      ...skipRest('Not signed in.', [
        'result-host',
        'org',
        'tus-options',
        'tus-head',
        'tus-location',
        'body-limit',
      ]),
    ];
  }
  const self = await probe.send('GET', '/api/users/self').catch((e: Error) => e);
  if (self instanceof Error || self.status !== 200) {
    const status = self instanceof Error ? self.message : `HTTP ${self.status}`;
    const stripped =
      self instanceof Error
        ? null
        : strippedAuthorization(probe.net, server, self.status, self.body);
    if (stripped) findings.push(stripped);
    findings.push({
      id: 'auth',
      title: 'Signed in',
      status: 'fail',
      detail: `The server refused the credentials (${status}).`,
      fix:
        options.auth.kind === 'token'
          ? 'The personal access token is wrong, expired or revoked: create a new one in CVAT (user menu > Access tokens) and sign in again.'
          : 'The password or login key is wrong or was revoked (a logout elsewhere revokes a shared key): sign in again.',
    });
    return [
      ...findings,
      ...skipRest('Not authenticated.', [
        'result-host',
        'org',
        'tus-options',
        'tus-head',
        'tus-location',
        'body-limit',
      ]),
    ];
  }
  const username = readField(self.body, 'username') ?? '?';
  let readOnly = false;
  if (options.auth.kind === 'token') {
    const info = await probe.send('GET', '/api/auth/access_tokens/self').catch(() => null);
    readOnly = info?.status === 200 && readField(info.body, 'read_only') === true;
  }
  findings.push({
    id: 'auth',
    title: 'Signed in',
    status: readOnly ? 'fail' : 'ok',
    detail: readOnly
      ? `Signed in as ${username} with a read-only token: it cannot create tasks or upload.`
      : `Signed in as ${username}.`,
    ...(readOnly
      ? { fix: 'Create a personal access token without "read only" and sign in with it.' }
      : {}),
  });
  findings.push(resultHostFinding(server, readField(self.body, 'url')));

  const org = options.org ?? null;
  if (org) {
    const list = await probe
      .send('GET', '/api/tasks', { query: { page_size: '1', org } })
      .catch((e: Error) => e);
    const okOrg = !(list instanceof Error) && list.status === 200;
    findings.push({
      id: 'org',
      title: 'Organization',
      status: okOrg ? 'ok' : 'fail',
      detail: okOrg
        ? `Organization "${org}" is available.`
        : `Organization "${org}" is not available (${list instanceof Error ? list.message : `HTTP ${list.status}`}).`,
      ...(okOrg
        ? {}
        : {
            fix: 'Check the slug (shown in CVAT under Organization) and that this user is a member, or use the personal workspace.',
          }),
    });
  } else {
    findings.push({
      id: 'org',
      title: 'Organization',
      status: 'ok',
      detail: 'Personal workspace.',
    });
  }

  // 3. The upload path through proxies.
  const collection = '/api/tasks/backup/';
  const options_ = await probe.send('OPTIONS', collection, { tus: true }).catch((e: Error) => e);
  const tusOk =
    !(options_ instanceof Error) &&
    options_.status < 300 &&
    options_.headers['tus-resumable'] !== undefined;
  findings.push({
    id: 'tus-options',
    title: 'Resumable uploads (TUS) offered',
    status: tusOk ? 'ok' : 'warn',
    detail: tusOk
      ? 'The server advertises TUS 1.0.0.'
      : `OPTIONS ${collection} answered ${options_ instanceof Error ? options_.message : `${options_.status} without Tus-Resumable`}.`,
    ...(tusOk
      ? {}
      : {
          fix: 'Let the proxy pass OPTIONS requests and the Tus-* response headers through to CVAT unchanged.',
        }),
  });

  if (readOnly)
    return [
      ...findings,
      ...skipRest('A read-only token cannot upload.', ['tus-head', 'tus-location', 'body-limit']),
    ];

  const probeBytes = Math.max(1, options.probeBodyBytes ?? 100 * MIB);
  const created = await createThrowawayUpload(probe, collection, org, probeBytes).catch(
    (e: Error) => e,
  );
  if (created instanceof Error) {
    return [
      ...findings,
      ...skipRest(`Could not start a test upload: ${created.message}.`, [
        'tus-head',
        'tus-location',
        'body-limit',
      ]),
    ];
  }

  const serverOrigin = new URL(server).origin;
  const location = new URL(created, server);
  const sameOrigin = location.origin === serverOrigin;
  findings.push({
    id: 'tus-location',
    title: 'Upload address matches the server',
    status: sameOrigin ? 'ok' : 'fail',
    detail: sameOrigin
      ? `Uploads continue at ${location.origin}.`
      : `CVAT tells clients to continue uploads at ${location.origin}, but the server is ${serverOrigin}: uploads break (mixed content, lost credentials).`,
    ...(sameOrigin
      ? {}
      : {
          fix:
            location.protocol !== new URL(server).protocol
              ? 'The proxy terminates HTTPS but CVAT builds http:// links: make the proxy send X-Forwarded-Proto: https (and X-Forwarded-Host), or set CVAT_HOST to the public host name.'
              : 'Set CVAT_HOST to the public host name, and make the proxy pass the Host header (or X-Forwarded-Host) through.',
        }),
  });
  // Keep probing through the configured server even when the Location is wrong.
  const uploadPath = location.pathname + location.search;

  const head = await probe.send('HEAD', uploadPath, { tus: true }).catch((e: Error) => e);
  const offset = head instanceof Error ? undefined : head.headers['upload-offset'];
  const headOk = !(head instanceof Error) && head.status === 200 && offset !== undefined;
  findings.push({
    id: 'tus-head',
    title: 'HEAD requests reach CVAT (upload resume)',
    status: headOk ? 'ok' : 'fail',
    detail: headOk
      ? `HEAD on the upload answered 200 with Upload-Offset ${String(offset)}.`
      : `HEAD on the upload answered ${head instanceof Error ? head.message : `${head.status}${offset === undefined ? ' without Upload-Offset' : ''}`}: a proxy probably turns HEAD into GET, so interrupted uploads cannot resume.`,
    ...(headOk
      ? {}
      : {
          fix: 'Configure the proxy to forward HEAD as HEAD (nginx: do not use proxy_cache for /api/; Traefik/others: disable HEAD-to-GET rewriting) and to pass Upload-Offset through.',
        }),
  });

  const limit = await probeBodyLimit(
    probe,
    uploadPath,
    probeBytes,
    options.sizeProbeWaitMs ?? 3_000,
  ).catch((e: Error) => e);
  const tooLarge = !(limit instanceof Error) && limit === 413;
  findings.push({
    id: 'body-limit',
    title: 'Request size limit',
    status: limit instanceof Error ? 'warn' : tooLarge ? 'fail' : 'ok',
    detail:
      limit instanceof Error
        ? `The size probe failed: ${limit.message}.`
        : tooLarge
          ? `A request declaring ${formatMiB(probeBytes)} was refused with 413 before any byte was sent.`
          : `A request declaring ${formatMiB(probeBytes)} is accepted.`,
    ...(tooLarge
      ? {
          fix:
            bodyLimitFix(probe.net, server, formatMiB(probeBytes)) ??
            `Raise the proxy's body limit above ${formatMiB(probeBytes)} (nginx: client_max_body_size 1G; Traefik: buffering maxRequestBodyBytes), or lower the chunk size in Settings.`,
        }
      : {}),
  });
  return findings;
}

const ALL_IDS: Array<[string, string]> = [
  ['reachable', 'Server reachable'],
  ['version', 'Server version'],
  ['auth', 'Signed in'],
  ['result-host', 'Download links point to the server'],
  ['org', 'Organization'],
  ['tus-options', 'Resumable uploads (TUS) offered'],
  ['tus-location', 'Upload address matches the server'],
  ['tus-head', 'HEAD requests reach CVAT (upload resume)'],
  ['body-limit', 'Request size limit'],
];

function skipRest(reason: string, ids?: string[]): DoctorFinding[] {
  const skipped = ids ?? [
    'version',
    'auth',
    'result-host',
    'org',
    'tus-options',
    'tus-location',
    'tus-head',
    'body-limit',
  ];
  return ALL_IDS.filter(([id]) => skipped.includes(id)).map(([id, title]) => ({
    id,
    title,
    status: 'skipped' as const,
    detail: reason,
  }));
}

/**
 * CVAT builds every absolute link (an object's `url`, an export's result_url) from the Host or
 * X-Forwarded-Host it was asked with, so /api/users/self tells where result_url would point.
 */
function resultHostFinding(server: string, selfUrl: unknown): DoctorFinding {
  const title = 'Download links point to the server';
  const serverOrigin = new URL(server).origin;
  let origin: string | null = null;
  try {
    origin = typeof selfUrl === 'string' ? new URL(selfUrl).origin : null;
  } catch {
    origin = null;
  }
  if (origin === null)
    return {
      id: 'result-host',
      title,
      status: 'skipped',
      detail: 'The server did not name its own address.',
    };
  if (origin === serverOrigin)
    return { id: 'result-host', title, status: 'ok', detail: `Links point to ${origin}.` };
  return {
    id: 'result-host',
    title,
    status: 'warn',
    detail: `CVAT builds its links (export and backup results) with ${origin}, but the server is ${serverOrigin}. Downloads are fetched from ${serverOrigin} with the same path and query (host rewrite); credentials are never sent to ${origin}.`,
    fix: 'Make the proxy pass the original Host header (or set X-Forwarded-Host to the public host name) so that CVAT names the address clients use.',
  };
}

function formatMiB(bytes: number): string {
  return `${Math.round((bytes / MIB) * 10) / 10} MiB`;
}

function readVersion(body: string): string | null {
  const v = readField(body, 'version');
  return typeof v === 'string' && v !== '' ? v : null;
}

function readField(body: string, field: string): unknown {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    return parsed && typeof parsed === 'object' ? parsed[field] : undefined;
  } catch {
    return undefined;
  }
}

/** Upload-Start + TUS creation on the backup-import collection; returns the Location. */
async function createThrowawayUpload(
  probe: Prober,
  collection: string,
  org: string | null,
  length: number,
): Promise<string> {
  const query = { org: org ?? '' };
  const start = await probe.send('POST', collection, {
    query,
    headers: { 'Upload-Start': 'true' },
    json: {},
  });
  if (start.status !== 202) throw new Error(`Upload-Start answered ${start.status}`);
  const name = Buffer.from('cvat-sync-doctor-probe.zip').toString('base64');
  const created = await probe.send('POST', collection, {
    query,
    tus: true,
    headers: {
      'Upload-Length': String(length),
      'Upload-Metadata': `filename ${name}`,
      'Content-Length': '0',
    },
  });
  const location = created.headers.location;
  if (created.status !== 201 || !location)
    throw new Error(`TUS creation answered ${created.status}`);
  return location;
}

/**
 * Sends the headers of a PATCH declaring `bytes` of body and no body at all. A proxy with a
 * smaller limit (nginx client_max_body_size) answers 413 from the headers alone; otherwise the
 * request waits for a body that never comes and we hang up. Returns the status, or 0 when
 * nothing answered within `waitMs` (= accepted).
 */
function probeBodyLimit(
  probe: Prober,
  path: string,
  bytes: number,
  waitMs: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = probe.raw('PATCH', path, {
      'Tus-Resumable': '1.0.0',
      'Content-Type': 'application/offset+octet-stream',
      'Upload-Offset': '0',
      'Content-Length': String(bytes),
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve(0);
    }, waitMs);
    req.on('response', (res: IncomingMessage) => {
      clearTimeout(timer);
      res.resume();
      req.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (e: Error) => {
      clearTimeout(timer);
      // A proxy may answer 413 and close before we read it; treat a reset after the headers as "no answer".
      if (
        (e as NodeJS.ErrnoException).code === 'ECONNRESET' ||
        (e as NodeJS.ErrnoException).code === 'EPIPE'
      )
        resolve(0);
      else reject(e);
    });
    req.flushHeaders();
  });
}

interface SendOptions {
  anonymous?: boolean;
  tus?: boolean;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  json?: unknown;
}

/** Minimal HTTP on node:http: the probes need exact control of methods and headers (no redirects). */
class Prober {
  readonly net: NetStack;
  constructor(
    private readonly server: string,
    private readonly options: DoctorOptions,
    private readonly timeoutMs: number,
  ) {
    this.net = options.net ?? defaultNetStack();
  }

  private url(path: string, query?: Record<string, string>): URL {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    return url;
  }

  raw(
    method: string,
    path: string,
    headers: OutgoingHttpHeaders,
    query?: Record<string, string>,
    anonymous = false,
  ): ClientRequest {
    const url = this.url(path, query);
    const all: OutgoingHttpHeaders = {
      Accept: CVAT_ACCEPT,
      'User-Agent': this.options.userAgent ?? 'cvat-sync-doctor',
      Origin: new URL(this.server).origin,
      ...headers,
    };
    if (!anonymous && this.options.auth) all.Authorization = authorizationHeader(this.options.auth);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return send(url, { method, headers: all, agent: this.net.agentFor(url) });
  }

  send(method: string, path: string, opts: SendOptions = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers: OutgoingHttpHeaders = {
        ...(opts.tus ? { 'Tus-Resumable': '1.0.0' } : {}),
        ...opts.headers,
      };
      let body: Buffer | undefined;
      if (opts.json !== undefined) {
        body = Buffer.from(JSON.stringify(opts.json));
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = String(body.length);
      }
      const req = this.raw(method, path, headers, opts.query, opts.anonymous);
      const timer = setTimeout(
        () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= 64 * 1024) chunks.push(c);
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // The agent's proxy and certificate errors carry their own message, fix and certificate.
        if (isSyncError(e)) return reject(e);
        reject(
          new Error(
            e.code ? `${e.code}${e.message.includes(e.code) ? '' : ` ${e.message}`}` : e.message,
          ),
        );
      });
      req.end(body);
    });
  }
}
