// How TUS answers and failures become the SyncErrors the engine acts on, and the names an
// upload is known by (tus.ts runs the upload).
import type { DetailedError, HttpRequest, HttpResponse } from 'tus-js-client';
import type { SyncError } from '../core/errors.js';
import { isSyncError, toSyncError } from '../core/errors.js';
import type { TusUploadOptions } from './api.js';
import { httpError, networkCode, networkError } from './http-errors.js';
import { decodeHeaderValue } from './mime-header.js';

/** A transient answer to HEAD that tus would otherwise treat as "create a new upload". */
export class RetryHead extends Error {
  constructor(
    readonly status: number,
    readonly retryAfter: string | undefined,
  ) {
    super(`HEAD answered ${status}`);
  }
}

/** Upload-Filename as sent: Django MIME-encodes names outside Latin-1 (=?utf-8?b?...?=). */
export function uploadFilenameOf(res: HttpResponse): string | undefined {
  const raw = res.getHeader('Upload-Filename');
  return raw ? decodeHeaderValue(raw) : undefined;
}

export function defaultUploadFilename(options: TusUploadOptions): string {
  // Media keep their name; imports are named by the upload id, the Location's last segment.
  if (options.target.kind === 'task-data' || !options.resumeUrl) return options.file.name;
  return decodeURIComponent(
    new URL(options.resumeUrl).pathname.replace(/\/+$/, '').split('/').pop() ?? '',
  );
}

export function isNetworkFailure(cause: unknown): boolean {
  // The agent's own errors (proxy, certificate) say themselves whether a retry can help.
  if (isSyncError(cause)) return cause.retryable;
  const code = networkCode(cause);
  return code !== undefined && !/^(CERT_|ERR_TLS_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_)/.test(code);
}

/** A TUS request's refusal as the SyncError of any other call's HTTP status. */
export function answerError(
  req: HttpRequest,
  res: HttpResponse,
  operation: string,
  now: number,
  extra: { code?: string; hint?: string } = {},
): SyncError {
  return httpError({
    operation: `${operation} (${req.getMethod()})`,
    url: req.getURL(),
    status: res.getStatus(),
    body: res.getBody(),
    contentType: res.getHeader('Content-Type') ?? null,
    retryAfter: res.getHeader('Retry-After') ?? null,
    now,
    ...extra,
  });
}

export function mapTusError(err: Error, operation: string, now: number): SyncError {
  if (isSyncError(err)) return err;
  const detailed = err as Partial<DetailedError>;
  const res = detailed.originalResponse;
  const req = detailed.originalRequest;
  if (res && req) return answerError(req, res, operation, now);
  const cause = detailed.causingError;
  if (isSyncError(cause)) return cause;
  // HEAD kept answering a transient status until the retries ran out: that status, still
  // transient (not an internal error that would end the batch for good).
  if (cause instanceof RetryHead && req) {
    return httpError({
      operation: `${operation} (HEAD)`,
      url: req.getURL(),
      status: cause.status,
      body: '',
      contentType: null,
      retryAfter: cause.retryAfter ?? null,
      now,
    });
  }
  if (req && networkCode(cause) !== undefined)
    return networkError(`${operation} (${req.getMethod()})`, req.getURL(), cause);
  return toSyncError(err, operation);
}
