// One error taxonomy for engine, CLI and UI:
//   fatal     - nothing sensible can continue (bad credentials, broken journal): pause, tell the user
//   item      - this file/task is bad (unsupported media, 413, failed processing): record, carry on
//   transient - retry later with backoff (5xx, network, 408/409/423/429)
export type ErrorKind = 'fatal' | 'item' | 'transient';

import type { CertificateInfo, ContractError } from '../model/index.js';

export type { CertificateInfo };

export interface ErrorDetails {
  /** Stable machine-readable code, e.g. 'auth', 'not-found', 'too-large', 'network'. */
  code: string;
  kind: ErrorKind;
  /** What we were doing, e.g. 'create task', 'PATCH upload'. */
  operation?: string;
  url?: string;
  status?: number;
  /** Short excerpt of the response body (already trimmed). */
  body?: string;
  /** Server asked us to wait this long (Retry-After), in ms. */
  retryAfterMs?: number;
  /** A one-line suggestion the UI and CLI show next to the message. */
  hint?: string;
  /** The certificate an untrusted or changed TLS peer presented. */
  certificate?: CertificateInfo;
  cause?: unknown;
}

export class SyncError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly operation: string | undefined;
  readonly url: string | undefined;
  readonly status: number | undefined;
  readonly body: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly hint: string | undefined;
  readonly certificate: CertificateInfo | undefined;

  constructor(message: string, details: ErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SyncError';
    this.code = details.code;
    this.kind = details.kind;
    this.operation = details.operation;
    this.url = details.url;
    this.status = details.status;
    this.body = details.body;
    this.retryAfterMs = details.retryAfterMs;
    this.hint = details.hint;
    this.certificate = details.certificate;
  }

  get retryable(): boolean {
    return this.kind === 'transient';
  }
}

/** HTTP status -> taxonomy, as CVAT's own web client retries (cvat#7830): 5xx, 0, 408, 409, 423, 429. */
export function kindOfStatus(status: number): ErrorKind {
  if (status === 401 || status === 403 || status === 407) return 'fatal';
  if (status === 0 || status >= 500 || [408, 409, 423, 429].includes(status)) return 'transient';
  return 'item';
}

export function codeOfStatus(status: number): string {
  switch (status) {
    case 0:
      return 'network';
    case 400:
      return 'bad-request';
    case 401:
      return 'auth';
    case 403:
      return 'forbidden';
    case 404:
      return 'not-found';
    case 405:
      return 'not-allowed';
    case 406:
      return 'not-acceptable';
    case 409:
      return 'conflict';
    case 410:
      return 'gone';
    case 407:
      return 'proxy-auth';
    case 413:
      return 'too-large';
    case 415:
      return 'unsupported-media-type';
    case 429:
      return 'throttled';
    default:
      return status >= 500 ? 'server' : `http-${status}`;
  }
}

export function isSyncError(e: unknown): e is SyncError {
  return e instanceof SyncError;
}

/** Anything thrown becomes a SyncError; unknown errors are treated as item errors of `operation`. */
export function toSyncError(e: unknown, operation?: string): SyncError {
  if (e instanceof SyncError) return e;
  if (isAbortError(e)) {
    return new SyncError('Cancelled', { code: 'cancelled', kind: 'item', operation, cause: e });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new SyncError(operation ? `${operation}: ${message}` : message, {
    code: 'internal',
    kind: 'item',
    operation,
    cause: e,
  });
}

export function isAbortError(e: unknown): boolean {
  return (
    typeof e === 'object' &&
    e !== null &&
    'name' in e &&
    ((e as { name: unknown }).name === 'AbortError' ||
      (e as { name: unknown }).name === 'TimeoutError')
  );
}

/** Plain, serialisable shape used on the UI contract and in the journal. */
/** A SyncError as every boundary carries it: the contract's error shape. */
export type ErrorInfo = ContractError;

export function errorInfo(e: unknown, operation?: string): ErrorInfo {
  const err = toSyncError(e, operation);
  const info: ErrorInfo = {
    code: err.code,
    kind: err.kind,
    message: err.message,
    retryable: err.retryable,
  };
  if (err.hint !== undefined) info.hint = err.hint;
  if (err.status !== undefined) info.status = err.status;
  if (err.certificate !== undefined) info.certificate = err.certificate;
  return info;
}
