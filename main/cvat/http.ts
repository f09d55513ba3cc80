// One request function over Node's global fetch: URL and org rules, CVAT headers, credentials only
// for the server's own origin, timeouts, error mapping and retries of idempotent reads.
import type { Clock } from '../core/clock.js';
import { SyncError, isSyncError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { withRetry } from '../core/retry.js';
import type { BackoffPolicy } from '../core/retry.js';
import type { AbortSignalLike } from '../core/signal.js';
import type { z } from 'zod';
import type { FileSystem } from '../fs/file-system.js';
import { nodeFileSystem } from '../fs/node-file-system.js';
import type { CvatAuth } from './api.js';
import {
  badResponse,
  cancelledError,
  httpError,
  networkError,
  safeUrl,
  timeoutError,
} from './http-errors.js';
import { defaultNetStack } from './net-stack.js';
import type { NetStack } from './net-stack.js';
import { sendBuffered, sendStreamed } from './node-request.js';
import { parseWith } from './schemas.js';
import { CallGuard } from './signals.js';

export const CVAT_ACCEPT = 'application/vnd.cvat+json';

export type QueryValue = string | number | boolean | null | undefined;
export type Query = Record<string, QueryValue>;
export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface CallSpec {
  /** What we are doing, for errors and logs: 'create task', 'get request'. */
  operation: string;
  method: Method;
  /** A path under the server ('/api/tasks') or an absolute URL (result_url). */
  path: string;
  query?: Query;
  /** Lists and creates carry the organization choice (`org=`); object endpoints do not. */
  org?: boolean;
  headers?: Record<string, string>;
  json?: unknown;
  /**
   * A streamed body of known length (multipart uploads). `stream` is called once per attempt
   * with `touch`, which the body calls as bytes flow to keep the idle timeout alive.
   */
  body?: {
    stream: (touch: () => void) => AsyncIterable<Uint8Array>;
    length: number;
    contentType: string;
    /** Called once the whole body was handed to the network (not when it was cut short). */
    onSent?: () => void;
  };
  signal?: AbortSignalLike;
  /** Statuses handed back to the caller instead of thrown. */
  expect?: readonly number[];
  /** No Authorization: /api/server/about must answer even when the token was revoked. */
  anonymous?: boolean;
  /** Retry transient failures (default: GET and HEAD only; never bodies that cannot be replayed). */
  retry?: boolean;
}

export interface TransportOptions {
  server: string;
  auth: CvatAuth | null;
  org: string | null | undefined;
  clock: Clock;
  random: () => number;
  timeoutMs: number;
  logger: Logger;
  userAgent: string;
  retry: BackoffPolicy;
  /** Proxy and certificate trust of every request (default: the environment's). */
  net?: NetStack;
  /** Where uploaded files are read (default: the real disk). */
  fs?: FileSystem;
  /** Turns a 401 into a more precise error when the server can tell why (PATs on old servers). */
  explainUnauthorized?: (error: SyncError, signal?: AbortSignalLike) => Promise<SyncError>;
}

/** The answer of a buffered call: the body is already read (it is small). */
export interface Reply {
  status: number;
  headers: Headers;
  url: string;
  text: string;
}

/** An answer whose body is still to be read; `guard.touch()` keeps its idle timeout alive. */
export interface OpenReply {
  response: Response;
  url: string;
  guard: CallGuard;
}

export function normaliseServer(server: string): string {
  const u = new URL(server.trim());
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new Error(`not an http(s) URL: ${server}`);
  u.username = '';
  u.password = '';
  u.search = '';
  u.hash = '';
  return u.toString().replace(/\/+$/, '');
}

/**
 * Absolute URL of `path` with `query`. With `org`, the organization choice rides as `org=`
 * (empty = personal workspace) unless the query already chooses one: never two ways at once.
 */
export function buildUrl(
  server: string,
  path: string,
  query: Query = {},
  org?: string | null,
): string {
  const url = /^https?:\/\//i.test(path)
    ? new URL(path)
    : new URL(server + (path.startsWith('/') ? path : `/${path}`));
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    url.searchParams.set(k, String(v));
  }
  if (org !== undefined && !url.searchParams.has('org') && !url.searchParams.has('org_id')) {
    url.searchParams.set('org', org ?? '');
  }
  return url.toString();
}

export function authorizationHeader(auth: CvatAuth): string {
  switch (auth.kind) {
    case 'token':
      return `Bearer ${auth.token}`;
    case 'key':
      return `Token ${auth.key}`;
    case 'basic':
      return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
  }
}

const MAX_REDIRECTS = 5;
const ERROR_BODY_MAX = 64 * 1024;

export class Transport {
  readonly server: string;
  readonly origin: string;
  readonly net: NetStack;
  readonly fs: FileSystem;

  constructor(readonly options: TransportOptions) {
    this.server = normaliseServer(options.server);
    this.origin = new URL(this.server).origin;
    this.net = options.net ?? defaultNetStack();
    this.fs = options.fs ?? nodeFileSystem;
  }

  url(path: string, query?: Query, org?: boolean): string {
    return buildUrl(this.server, path, query, org ? this.options.org : undefined);
  }

  /** Headers for a request to `url`; credentials only when it is the server's own origin. */
  headers(
    url: string,
    extra: Record<string, string> = {},
    anonymous = false,
  ): Record<string, string> {
    const h: Record<string, string> = {
      'User-Agent': this.options.userAgent,
      Accept: CVAT_ACCEPT,
      ...extra,
    };
    if (!anonymous && this.options.auth && this.sameOrigin(url))
      h['Authorization'] = authorizationHeader(this.options.auth);
    return h;
  }

  sameOrigin(url: string): boolean {
    try {
      return new URL(url).origin === this.origin;
    } catch {
      return false;
    }
  }

  /** A buffered call: throws a SyncError unless the status is 2xx or expected. */
  async call(spec: CallSpec): Promise<Reply> {
    return this.retrying(spec, async () => {
      const open = await this.openOnce(spec, 'total');
      try {
        const text = await open.response.text();
        return {
          status: open.response.status,
          headers: open.response.headers,
          url: open.url,
          text,
        };
      } catch (e) {
        throw this.failure(spec.operation, open.url, open.guard, e);
      } finally {
        open.guard.dispose();
      }
    });
  }

  /** A buffered call whose body must match `schema`. */
  async json<T extends z.ZodType>(spec: CallSpec, schema: T): Promise<z.output<T>> {
    const reply = await this.call(spec);
    return parseWith(schema, parseJson(reply, spec.operation), spec.operation, reply.url);
  }

  /** Reads an open answer's whole body as bytes, with its content type, then closes it. */
  async bytes(
    operation: string,
    open: OpenReply,
  ): Promise<{ contentType: string; bytes: Uint8Array }> {
    try {
      const bytes = new Uint8Array(await open.response.arrayBuffer());
      return {
        contentType: open.response.headers.get('content-type') ?? 'application/octet-stream',
        bytes,
      };
    } catch (e) {
      throw this.failure(operation, open.url, open.guard, e);
    } finally {
      open.guard.dispose();
    }
  }

  /**
   * An open answer whose body the caller streams; the timeout becomes an idle timeout the
   * caller keeps alive. Transient failures before the headers are retried for GET.
   */
  async open(spec: CallSpec): Promise<OpenReply> {
    return this.retrying(spec, () => this.openOnce(spec, 'idle'));
  }

  private async retrying<T>(spec: CallSpec, op: () => Promise<T>): Promise<T> {
    const retry = spec.retry ?? ((spec.method === 'GET' || spec.method === 'HEAD') && !spec.body);
    if (!retry) return op();
    return withRetry(op, {
      clock: this.options.clock,
      random: this.options.random,
      policy: this.options.retry,
      ...(spec.signal ? { signal: spec.signal } : {}),
      onRetry: (error, attempt, delayMs) =>
        this.options.logger.warn('retrying', {
          operation: spec.operation,
          code: error.code,
          status: error.status,
          attempt,
          delayMs,
        }),
    });
  }

  private async openOnce(spec: CallSpec, timeout: 'total' | 'idle'): Promise<OpenReply> {
    let url = this.url(spec.path, spec.query, spec.org);
    let method: Method = spec.method;
    const guard = new CallGuard(spec.signal, this.options.timeoutMs);
    const started = this.options.clock.now();
    try {
      for (let hop = 0; ; hop++) {
        const headers = this.headers(url, spec.headers, spec.anonymous);
        let response: Response;
        try {
          await this.net.prepare(url);
          const agent = this.net.agentFor(url);
          if (spec.body) {
            headers['Content-Type'] = spec.body.contentType;
            headers['Content-Length'] = String(spec.body.length);
            response = await sendStreamed(url, {
              method,
              headers,
              body: spec.body.stream(() => guard.touch()),
              signal: guard.signal,
              // Direct plain http keeps Node's agent: the engine reads "was the body sent"
              // from its socket timing ('finish'), tested against it (pipeline.test.ts).
              ...(this.net.isPlainDirect(url) ? {} : { agent }),
              ...(spec.body.onSent ? { onBodySent: spec.body.onSent } : {}),
            });
          } else {
            let body: string | undefined;
            if (spec.json !== undefined && method !== 'GET' && method !== 'HEAD') {
              headers['Content-Type'] = 'application/json';
              body = JSON.stringify(spec.json);
            }
            response = await sendBuffered(url, {
              method,
              headers,
              signal: guard.signal,
              agent,
              ...(body !== undefined ? { body } : {}),
            });
          }
        } catch (e) {
          throw this.failure(spec.operation, url, guard, e);
        }
        this.options.logger.debug('http', {
          operation: spec.operation,
          method,
          url: safeUrl(url),
          status: response.status,
          ms: this.options.clock.now() - started,
        });
        const location = response.headers.get('location');
        if (
          response.status >= 300 &&
          response.status < 400 &&
          location &&
          !spec.expect?.includes(response.status)
        ) {
          await response.body?.cancel().catch(() => undefined);
          const next = new URL(location, url).toString();
          // Only reads follow redirects: a body we streamed cannot be sent again.
          if (hop >= MAX_REDIRECTS || (method !== 'GET' && method !== 'HEAD')) {
            throw new SyncError(
              `${spec.operation} failed: the server redirected to ${safeUrl(next)}`,
              {
                code: 'redirect',
                kind: 'fatal',
                operation: spec.operation,
                url: safeUrl(url),
                status: response.status,
                hint: `Use the address the server redirects to (${new URL(next).origin}) as the server URL.`,
              },
            );
          }
          url = next;
          method = response.status === 303 ? 'GET' : method;
          continue;
        }
        if (!response.ok && !spec.expect?.includes(response.status)) {
          throw await this.statusError(spec, url, response, guard);
        }
        if (timeout === 'idle') guard.touch();
        return { response, url, guard };
      }
    } catch (e) {
      guard.dispose();
      throw e;
    }
  }

  private async statusError(
    spec: CallSpec,
    url: string,
    response: Response,
    guard: CallGuard,
  ): Promise<SyncError> {
    let text = '';
    try {
      text = await readBounded(response, ERROR_BODY_MAX);
    } catch (e) {
      if (guard.signal.aborted) throw this.failure(spec.operation, url, guard, e);
    }
    const error = httpError({
      operation: spec.operation,
      url,
      status: response.status,
      statusText: response.statusText,
      body: text,
      contentType: response.headers.get('content-type'),
      retryAfter: response.headers.get('retry-after'),
      now: this.options.clock.now(),
    });
    if (response.status === 401 && this.options.explainUnauthorized)
      return this.options.explainUnauthorized(error, spec.signal);
    return error;
  }

  /** Maps a thrown fetch/stream error: caller abort, our timeout, or the network. */
  failure(operation: string, url: string, guard: CallGuard, e: unknown): SyncError {
    // Our own body stream's errors (a file that changed) arrive wrapped in fetch's TypeError.
    for (let cur: unknown = e, depth = 0; cur && typeof cur === 'object' && depth < 4; depth++) {
      if (isSyncError(cur)) return cur;
      cur = (cur as { cause?: unknown }).cause;
    }
    if (guard.callerAborted) return cancelledError(operation);
    if (guard.timedOut) return timeoutError(operation, url, this.options.timeoutMs);
    return networkError(operation, url, e);
  }
}

export function parseJson(reply: Reply, operation: string): unknown {
  if (reply.text.trim() === '')
    throw badResponse(operation, reply.url, `empty body (HTTP ${reply.status})`, reply.status);
  try {
    return JSON.parse(reply.text) as unknown;
  } catch {
    throw badResponse(
      operation,
      reply.url,
      `body is not JSON (HTTP ${reply.status})`,
      reply.status,
    );
  }
}

async function readBounded(response: Response, max: number): Promise<string> {
  if (!response.body) return '';
  const decoder = new TextDecoder();
  let text = '';
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (text.length >= max) break;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text;
}
