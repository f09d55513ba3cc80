// HTTP plumbing shared by every route: the request context, CVAT-shaped errors, body streams that
// count bytes (so injected resets keep exactly what arrived) and responses that honour faults.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

export const CVAT_JSON = 'application/vnd.cvat+json';
export const DJANGO_TEXT = 'text/html; charset=utf-8';

export type Headers = Record<string, string | number>;

/** Thrown by handlers; rendered exactly as CVAT renders the matching situation. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly type: 'json' | 'text' | 'quoted-text' | 'empty' = 'json',
    readonly headers: Headers = {},
  ) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
  }
}

export const detail = (status: number, message: string, headers?: Headers): HttpError =>
  new HttpError(status, { detail: message }, 'json', headers);
/** DRF ValidationError raised outside a serializer field: a JSON list of strings. */
export const listError = (message: string): HttpError => new HttpError(400, [message]);
export const fieldErrors = (errors: Record<string, string[]>): HttpError =>
  new HttpError(400, errors);
/** Django HttpResponse*(text): plain text labelled text/html. */
export const textError = (status: number, text: string): HttpError =>
  new HttpError(status, text, 'text');
export const notFound = (model: string): HttpError =>
  detail(404, `No ${model} matches the given query.`);

/** What the body parsers report to the recorder (see recorder.ts). */
export interface RecordedBody {
  json?: unknown;
  form?: { fields: Record<string, string[]>; files: Array<{ field: string; filename: string }> };
}

export interface SessionInfo {
  kind: 'token' | 'pat' | 'session' | 'basic';
  patId?: number;
  readOnly?: boolean;
}

/** A shared link's delays below this are carried over to the next chunk instead of slept. */
const LINK_MIN_PAUSE_MS = 4;

/** Hooks the fault layer installs on a request before it is dispatched. */
export interface WireHooks {
  requestResetAfter?: number; // destroy the socket once this many body bytes arrived
  responseResetAfter?: number; // destroy the socket once this many body bytes were sent
  bandwidth?: number; // bytes per second, both directions
  /** ms to hold `bytes` on a link shared with other requests (FaultSettings.linkBytesPerSec). */
  linkDelay?(dir: 'in' | 'out', bytes: number): number;
  onBytesIn?(n: number): void;
  onBytesOut?(n: number): void;
}

export class Ctx {
  readonly method: string;
  readonly url: URL;
  readonly path: string;
  readonly query: URLSearchParams;
  userId: number | null = null;
  session: SessionInfo | null = null;
  params: Record<string, string> = {};
  hooks: WireHooks = {};
  bytesIn = 0;
  bytesOut = 0;
  /** True when the body ended early: client abort or injected reset. */
  bodyTruncated = false;
  status = 0;
  /** Set by the test-only recorder; body parsers add what they read. */
  recorded?: RecordedBody;
  private bodyStream: Readable | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
  ) {
    this.method = (req.method ?? 'GET').toUpperCase();
    this.url = new URL(req.url ?? '/', 'http://placeholder');
    this.path = this.url.pathname;
    this.query = this.url.searchParams;
  }

  header(name: string): string | undefined {
    const v = this.req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(',') : v;
  }

  hasHeader(name: string): boolean {
    return this.req.headers[name.toLowerCase()] !== undefined;
  }

  /** Scheme and host the client used, as Django's build_absolute_uri sees them behind a proxy. */
  get origin(): string {
    const fwdHost = this.header('x-forwarded-host')?.split(',')[0]?.trim();
    const host = fwdHost || this.header('host') || '127.0.0.1';
    // Django's request.scheme is https on a TLS connection (here the test server terminates TLS,
    // as Traefik does in front of CVAT) or when the proxy says so in X-Forwarded-Proto.
    const tls = (this.req.socket as { encrypted?: boolean }).encrypted === true;
    const proto =
      tls || this.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https' ? 'https' : 'http';
    return `${proto}://${host}`;
  }

  absolute(pathAndQuery: string): string {
    return this.origin + pathAndQuery;
  }

  get socketDead(): boolean {
    return this.req.socket.destroyed || this.res.writableEnded;
  }

  /**
   * The request body as a stream. Counts bytes, applies bandwidth limits and injected resets.
   * A truncated body ends normally with `bodyTruncated` set, so writers keep what arrived.
   */
  body(): Readable {
    if (this.bodyStream) return this.bodyStream;
    const out = new PassThrough({ highWaterMark: 1 << 20 });
    this.bodyStream = out;
    const req = this.req;
    let done = false;
    let holds = 0;
    const hold = (): void => {
      if (holds++ === 0) req.pause();
    };
    const release = (): void => {
      if (--holds === 0 && !done) req.resume();
    };
    const finish = (truncated: boolean): void => {
      if (done) return;
      done = true;
      if (truncated) this.bodyTruncated = true;
      out.end();
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      let data = chunk;
      const limit = this.hooks.requestResetAfter;
      const cut = limit !== undefined && this.bytesIn + data.length >= limit;
      if (cut) data = data.subarray(0, Math.max(0, limit - this.bytesIn));
      this.bytesIn += data.length;
      this.hooks.onBytesIn?.(data.length);
      if (data.length > 0 && !out.write(data)) {
        hold();
        out.once('drain', release);
      }
      if (cut) {
        finish(true);
        req.socket.destroy();
        return;
      }
      const bw = this.hooks.bandwidth;
      if (bw && bw > 0) {
        hold();
        setTimeout(release, (data.length / bw) * 1000);
      }
      if (this.hooks.linkDelay && data.length > 0) {
        // The link's clock keeps the rate; pausing only past a few ms keeps timer overhead on
        // small reads from slowing the link below its rate.
        const wait = this.hooks.linkDelay('in', data.length);
        if (wait > LINK_MIN_PAUSE_MS) {
          hold();
          setTimeout(release, wait);
        }
      }
    });
    req.on('end', () => finish(false));
    req.on('error', () => finish(true));
    req.on('close', () => finish(!req.complete));
    if (this.hooks.requestResetAfter === 0) {
      finish(true);
      req.socket.destroy();
    }
    return out;
  }

  /** Reads a small body fully (JSON/form bodies only; uploads always stream). */
  async bodyBuffer(limit = 64 * 1024 * 1024): Promise<Buffer> {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.body()) {
      size += (chunk as Buffer).length;
      if (size > limit) throw detail(413, 'Request body is too large.');
      parts.push(chunk as Buffer);
    }
    return Buffer.concat(parts);
  }

  /** Waits for the whole body to be consumed or discarded, so a response never races the upload. */
  async drain(): Promise<void> {
    const body = this.body();
    body.resume();
    if (!body.readableEnded) await once(body, 'end').catch(() => undefined);
  }

  sendJson(status: number, value: unknown, headers: Headers = {}): Promise<void> {
    const body = value === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(value));
    return this.send(status, { 'Content-Type': CVAT_JSON, ...headers }, body);
  }

  sendText(status: number, text: string, headers: Headers = {}): Promise<void> {
    return this.send(status, { 'Content-Type': DJANGO_TEXT, ...headers }, Buffer.from(text));
  }

  sendEmpty(status: number, headers: Headers = {}): Promise<void> {
    return this.send(status, headers, null);
  }

  sendError(err: HttpError): Promise<void> {
    switch (err.type) {
      case 'json':
        return this.sendJson(err.status, err.body, err.headers);
      case 'quoted-text':
        return this.send(
          err.status,
          { 'Content-Type': 'text/plain', ...err.headers },
          Buffer.from(JSON.stringify(err.body)),
        );
      case 'text':
        return this.sendText(err.status, String(err.body), err.headers);
      case 'empty':
        return this.sendEmpty(err.status, err.headers);
    }
  }

  /** Writes a response. Bodies given as streams are pumped with back-pressure. */
  async send(status: number, headers: Headers, body: Buffer | Readable | null): Promise<void> {
    // An injected request reset whose byte count was never reached still drops the connection.
    if (this.hooks.requestResetAfter !== undefined) this.req.socket.destroy();
    if (this.res.headersSent || this.socketDead) {
      if (body instanceof Readable) body.destroy();
      return;
    }
    this.status = status;
    this.res.statusCode = status;
    for (const [k, v] of Object.entries(headers)) this.res.setHeader(k, v);
    if (Buffer.isBuffer(body) && !this.res.hasHeader('content-length'))
      this.res.setHeader('Content-Length', body.length);
    if (body === null && status !== 204 && status !== 304 && !this.res.hasHeader('content-length'))
      this.res.setHeader('Content-Length', 0);
    const noBody = this.method === 'HEAD' || status === 204 || status === 304;
    try {
      if (body && !noBody) {
        const source: Iterable<Buffer> | AsyncIterable<Buffer> = Buffer.isBuffer(body)
          ? [body]
          : body;
        for await (const chunk of source) {
          if (!(await this.writeOut(chunk as Buffer))) break;
        }
      }
      if (this.socketDead) return;
      if (
        this.hooks.responseResetAfter !== undefined &&
        this.bytesOut >= this.hooks.responseResetAfter
      ) {
        this.res.socket?.destroy();
        return;
      }
      this.res.end();
    } finally {
      if (body instanceof Readable) body.destroy();
    }
  }

  /** Returns false when the connection is gone (client left or an injected reset fired). */
  private async writeOut(chunk: Buffer): Promise<boolean> {
    const linkDelay = this.hooks.linkDelay;
    if (linkDelay) {
      // Slices of 64 KiB so that parallel responses interleave on the shared link.
      for (let i = 0; i < chunk.length; i += 65536) {
        const part = chunk.subarray(i, i + 65536);
        const wait = linkDelay('out', part.length);
        if (wait > LINK_MIN_PAUSE_MS) await sleep(wait);
        if (!(await this.writeSlice(part))) return false;
      }
      return !this.socketDead;
    }
    const bw = this.hooks.bandwidth;
    if (bw && bw > 0) {
      // Pace in slices of ~50 ms so a throttled client sees bytes trickle in.
      const slice = Math.max(1, Math.floor(bw / 20));
      for (let i = 0; i < chunk.length; i += slice) {
        const part = chunk.subarray(i, i + slice);
        await sleep((part.length / bw) * 1000);
        if (!(await this.writeSlice(part))) return false;
      }
      return !this.socketDead;
    }
    return this.writeSlice(chunk);
  }

  private async writeSlice(chunk: Buffer): Promise<boolean> {
    if (this.socketDead || chunk.length === 0) return !this.socketDead;
    const limit = this.hooks.responseResetAfter;
    let data = chunk;
    let cut = false;
    if (limit !== undefined && this.bytesOut + data.length >= limit) {
      data = data.subarray(0, Math.max(0, limit - this.bytesOut));
      cut = true;
    }
    if (data.length > 0) {
      this.bytesOut += data.length;
      this.hooks.onBytesOut?.(data.length);
      if (cut) {
        // Deliver the bytes before the cut: once written, give the peer a moment to read
        // them (a reset discards what it has not read yet), then drop the socket. Waiting
        // for 'drain' instead would hang whenever the write did not fill the buffer.
        await new Promise<void>((resolve) => {
          this.res.write(data, () => setTimeout(resolve, 50));
          this.res.once('close', resolve);
        });
      } else if (!this.res.write(data)) {
        await new Promise<void>((resolve) => {
          this.res.once('drain', resolve);
          this.res.once('close', resolve);
        });
      }
    }
    if (cut) {
      this.res.socket?.destroy();
      return false;
    }
    return !this.socketDead;
  }
}

/** Django/DRF datetime rendering: ISO 8601, microseconds unless zero, 'Z' for UTC. */
export function isoDate(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  const d = new Date(ms);
  const base = d.toISOString().slice(0, 19);
  const micro = d.getUTCMilliseconds() * 1000;
  return micro ? `${base}.${String(micro).padStart(6, '0')}Z` : `${base}Z`;
}

/** Python's urllib.parse.quote_plus, used by Django when it rebuilds query strings. */
export function quotePlus(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+');
}

/** Python's urllib.parse.quote (safe='/'), used in Content-Disposition filename*. */
export function quote(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%2F/g, '/');
}

/** Django's replace_query_param: the query is re-encoded with sorted keys. */
export function replaceQueryParam(url: URL, key: string, value: string | null): string {
  const entries = new Map<string, string[]>();
  for (const [k, v] of url.searchParams) entries.set(k, [...(entries.get(k) ?? []), v]);
  if (value === null) entries.delete(key);
  else entries.set(key, [value]);
  const query = [...entries.keys()]
    .sort()
    .flatMap((k) => (entries.get(k) ?? []).map((v) => `${quotePlus(k)}=${quotePlus(v)}`))
    .join('&');
  return url.origin + url.pathname + (query ? `?${query}` : '');
}

/** django-sendfile2's header: an ASCII fallback plus filename* when the name is not ASCII. */
export function contentDisposition(filename: string): string {
  const ascii = filename.normalize('NFKD').replace(/[^\x20-\x7e]/g, '');
  let header = `attachment; filename="${ascii.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  if (ascii !== filename) header += `; filename*=UTF-8''${quote(filename)}`;
  return header;
}

export function parseBool(value: string | null | undefined, fallback: boolean): boolean {
  if (value === null || value === undefined) return fallback;
  const v = value.toLowerCase();
  if (['true', '1', 'yes', 'on', 't', 'y'].includes(v)) return true;
  if (['false', '0', 'no', 'off', 'f', 'n', ''].includes(v)) return false;
  return fallback;
}
