// HTTP answers and network failures -> SyncError (core/errors.ts), with a short body excerpt
// from whatever shape CVAT or a proxy in front of it answered, and a hint the user can act on.
import { SyncError, codeOfStatus, kindOfStatus } from '../core/errors.js';
import type { ErrorKind } from '../core/errors.js';
import { parseRetryAfter } from '../core/retry.js';
import { scrubSecrets } from '../core/scrub.js';

const EXCERPT_MAX = 300;

/** A short, single-line summary of a response body (object, list, string or text). */
export function bodyExcerpt(text: string, contentType?: string | null): string {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  const type = (contentType ?? '').toLowerCase();
  if (type.includes('json') || /^[[{"]/.test(trimmed)) {
    try {
      return clip(describeJson(JSON.parse(trimmed) as unknown));
    } catch {
      // not JSON after all: fall through to text
    }
  }
  if (/<[a-z!][^>]*>/i.test(trimmed)) return clip(htmlText(trimmed));
  return clip(trimmed.replace(/\s+/g, ' '));
}

function describeJson(value: unknown, path = ''): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return path ? `${path}: ${value}` : value;
  if (typeof value === 'number' || typeof value === 'boolean')
    return path ? `${path}: ${String(value)}` : String(value);
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string' || typeof v === 'number')) {
      const joined = value.map(String).join(' ');
      return path ? `${path}: ${joined}` : joined;
    }
    return value
      .map((v, i) => describeJson(v, `${path}[${i}]`))
      .filter((s) => s !== '')
      .join('; ');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  // DRF shapes: {"detail": "..."} and {"non_field_errors": [...]} read best without their key.
  return entries
    .map(([k, v]) => {
      const bare = path === '' && (k === 'detail' || k === 'non_field_errors' || k === 'message');
      return describeJson(v, bare ? '' : path ? `${path}.${k}` : k);
    })
    .filter((s) => s !== '')
    .join('; ');
}

function htmlText(html: string): string {
  const title =
    /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1] ??
    /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(html)?.[1];
  const source = title ?? html.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ');
  return decodeEntities(source.replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

function decodeEntities(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#0*39;|&apos;/g, "'")
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&');
}

/** Scrubbed before it is cut: a server that echoes our Authorization header gets no token quoted. */
function clip(text: string): string {
  const s = scrubSecrets(text);
  return s.length <= EXCERPT_MAX ? s : `${s.slice(0, EXCERPT_MAX - 1)}…`;
}

/** The URL as it may appear in errors and logs: no user info. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}

export function hintForStatus(status: number): string | undefined {
  switch (status) {
    case 401:
      return 'Sign in again: the token was revoked or expired, or the password changed.';
    case 403:
      return 'Your account may not do this here: check the organization, your role, and that the token is not read-only.';
    case 407:
      return 'The HTTP proxy wants a user name and password: set them (cvat-sync settings set proxy-user NAME and proxy-password, or Settings → Proxy).';
    case 406:
      return 'The server or a proxy refused our Accept header (application/vnd.cvat+json): is the URL really the CVAT server?';
    case 413:
      return 'The server or a proxy in front of it limits request size (client_max_body_size in nginx, limits in Traefik or CVAT): raise the limit or use a smaller chunk or batch size.';
    case 429:
      return 'The server is busy; the request will be retried later.';
    default:
      return status >= 500 ? 'The server failed; the request will be retried later.' : undefined;
  }
}

export interface HttpErrorInput {
  operation: string;
  url: string;
  status: number;
  statusText?: string;
  body?: string;
  contentType?: string | null;
  retryAfter?: string | null;
  now: number;
  /** Overrides of the status mapping, e.g. a code specific to the call. */
  code?: string;
  kind?: ErrorKind;
  hint?: string;
}

export function httpError(input: HttpErrorInput): SyncError {
  const excerpt = bodyExcerpt(input.body ?? '', input.contentType);
  const statusText = input.statusText ? ` ${input.statusText}` : '';
  const message = `${input.operation} failed: HTTP ${input.status}${statusText}${excerpt ? ` — ${excerpt}` : ''}`;
  const retryAfterMs = parseRetryAfter(input.retryAfter, input.now);
  const details: ConstructorParameters<typeof SyncError>[1] = {
    code: input.code ?? codeOfStatus(input.status),
    kind: input.kind ?? kindOfStatus(input.status),
    operation: input.operation,
    url: safeUrl(input.url),
    status: input.status,
  };
  if (excerpt) details.body = excerpt;
  if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
  const hint = input.hint ?? hintForStatus(input.status);
  if (hint) details.hint = hint;
  return new SyncError(message, details);
}

const TLS_CODES =
  /^(CERT_|ERR_TLS_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET|VERIFY)_)/;

/** The errno-style code of a network failure (fetch wraps it in TypeError.cause). */
export function networkCode(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && typeof cur === 'object' && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A failure below HTTP: refused, unresolved, reset, TLS. */
export function networkError(operation: string, url: string, cause: unknown): SyncError {
  const code = networkCode(cause);
  const reason = code ?? (cause instanceof Error ? cause.message : String(cause));
  if (code && TLS_CODES.test(code)) {
    return new SyncError(`${operation} failed: TLS error ${code}`, {
      code: 'tls',
      kind: 'fatal',
      operation,
      url: safeUrl(url),
      hint: "The server's TLS certificate is not trusted by this computer: install the CA certificate or fix the server's certificate.",
      cause,
    });
  }
  if ((code === 'ECONNRESET' || code === 'EPIPE') && url.startsWith('https:')) {
    return new SyncError(
      `${operation} failed: the secure connection was reset in the middle (${code})`,
      {
        code: 'network',
        kind: 'transient',
        operation,
        url: safeUrl(url),
        status: 0,
        hint: 'A proxy, VPN or firewall cut the TLS connection; the transfer resumes where it stopped once the network is back.',
        cause,
      },
    );
  }
  return new SyncError(`${operation} failed: network error (${reason})`, {
    code: 'network',
    kind: 'transient',
    operation,
    url: safeUrl(url),
    status: 0,
    hint: 'Is the server URL right and reachable?',
    cause,
  });
}

export function timeoutError(operation: string, url: string, ms: number): SyncError {
  return new SyncError(`${operation} failed: no answer within ${Math.round(ms / 1000)} s`, {
    code: 'timeout',
    kind: 'transient',
    operation,
    url: safeUrl(url),
    hint: 'The server or the network is slow or stalled; it will be retried.',
  });
}

export function cancelledError(operation: string): SyncError {
  return new SyncError('Cancelled', { code: 'cancelled', kind: 'item', operation });
}

/** A response that does not match what we expect of CVAT. */
export function badResponse(
  operation: string,
  url: string,
  what: string,
  status?: number,
): SyncError {
  const details: ConstructorParameters<typeof SyncError>[1] = {
    code: 'bad-response',
    kind: 'item',
    operation,
    url: safeUrl(url),
    hint: 'The server answered in an unexpected shape: is it a CVAT server, and is a proxy rewriting answers?',
  };
  if (status !== undefined) details.status = status;
  return new SyncError(`${operation}: unexpected response from the server: ${what}`, details);
}
