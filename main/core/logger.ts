import { scrubSecrets } from './scrub.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

const SECRET_KEYS = /authorization|token|password|secret|cookie|key$/i;

/**
 * Removes credentials from log fields (no secret is ever logged): by key name at any depth,
 * arrays included, and by shape inside every string (scrub.ts), so a header or URL quoted in an
 * error message is caught too.
 */
export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  return redactValue(fields, 0) as Record<string, unknown>;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (value === null || typeof value !== 'object' || depth > 20) return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  const source = value as Record<string, unknown>;
  // An Error's message is not enumerable: keep it, scrubbed.
  if (value instanceof Error) out.message = scrubSecrets(value.message);
  for (const [k, v] of Object.entries(source)) {
    out[k] = SECRET_KEYS.test(k) ? '[redacted]' : redactValue(v, depth + 1);
  }
  return out;
}
