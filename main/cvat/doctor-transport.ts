// The doctor's requests. They go out on the client's network stack (proxy, certificate trust)
// with the client's Accept and Authorization headers, but on plain node:http rather than the
// client's Transport: a probe must see each answer as it is (no redirects followed, no retries,
// no error mapping) and the size probe sends the headers of a body it never sends.
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isSyncError } from '../core/errors.js';
import type { CvatAuth } from './api.js';
import { CVAT_ACCEPT, authorizationHeader } from './http.js';
import { defaultNetStack } from './net-stack.js';
import type { NetStack } from './net-stack.js';

export interface ProbeAnswer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface ProbeOptions {
  anonymous?: boolean;
  tus?: boolean;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  json?: unknown;
}

export interface ProbeSettings {
  auth: CvatAuth | null;
  userAgent?: string;
  net?: NetStack;
  /** Per request. */
  timeoutMs: number;
}

const BODY_KEPT = 64 * 1024;

export class ProbeTransport {
  readonly net: NetStack;

  constructor(
    private readonly server: string,
    private readonly settings: ProbeSettings,
  ) {
    this.net = settings.net ?? defaultNetStack();
  }

  /** A request whose headers are sent and whose body the caller writes (or never writes). */
  raw(
    method: string,
    path: string,
    headers: OutgoingHttpHeaders,
    query?: Record<string, string>,
    anonymous = false,
  ): ClientRequest {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(query ?? {})) url.searchParams.set(key, value);
    const all: OutgoingHttpHeaders = {
      Accept: CVAT_ACCEPT,
      'User-Agent': this.settings.userAgent ?? 'cvat-sync-doctor',
      Origin: new URL(this.server).origin,
      ...headers,
    };
    if (!anonymous && this.settings.auth)
      all.Authorization = authorizationHeader(this.settings.auth);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return send(url, { method, headers: all, agent: this.net.agentFor(url) });
  }

  /** One request and its answer (the first 64 KiB of the body). */
  send(method: string, path: string, opts: ProbeOptions = {}): Promise<ProbeAnswer> {
    const { timeoutMs } = this.settings;
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
        () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= BODY_KEPT) chunks.push(chunk);
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

  /** Upload-Start + TUS creation on the backup-import collection; returns the Location. */
  async createThrowawayUpload(
    collection: string,
    org: string | null,
    length: number,
  ): Promise<string> {
    const query = { org: org ?? '' };
    const start = await this.send('POST', collection, {
      query,
      headers: { 'Upload-Start': 'true' },
      json: {},
    });
    if (start.status !== 202) throw new Error(`Upload-Start answered ${start.status}`);
    const name = Buffer.from('cvat-sync-doctor-probe.zip').toString('base64');
    const created = await this.send('POST', collection, {
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
  probeBodyLimit(path: string, bytes: number, waitMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = this.raw('PATCH', path, {
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
      req.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // A proxy may answer 413 and close before we read it; a reset after the headers is "no answer".
        if (e.code === 'ECONNRESET' || e.code === 'EPIPE') resolve(0);
        else reject(e);
      });
      req.flushHeaders();
    });
  }
}
