import type { ErrorInfo } from './errors.js';

/** What crosses the UI contract: never a thrown error. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}
