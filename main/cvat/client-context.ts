// What the client's flow modules (paging, requests, uploads, imports, downloads, legacy flows)
// share: the transport, the clock and the server-version questions, plus small call helpers.
import type { Clock } from '../core/clock.js';
import { SyncError, isAbortError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { AbortSignalLike } from '../core/signal.js';
import type { CvatRequest, ServerVersion } from './api.js';
import { cancelledError } from './http-errors.js';
import type { Transport } from './http.js';
import type { z } from 'zod';

export interface ClientContext {
  readonly server: string;
  readonly transport: Transport;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: () => number;
  /** TUS retry delays and the idle timeout of a transfer. */
  readonly tus: { retryDelays: readonly number[]; idleTimeoutMs: number };
  serverVersion(signal?: AbortSignalLike): Promise<ServerVersion>;
  /** Whether the server keeps request records (/api/requests, CVAT 2.16 and later). */
  supportsRequests(signal?: AbortSignalLike): Promise<boolean>;
  getRequest(rqId: string, signal?: AbortSignalLike): Promise<CvatRequest | null>;
}

export interface PollOptions<T> {
  signal?: AbortSignalLike;
  onUpdate?: (value: T) => void;
  minDelayMs?: number;
  maxDelayMs?: number;
}

/** Repeats `step` with a growing, jittered delay until it says done. */
export async function poll<T>(
  context: Pick<ClientContext, 'clock' | 'random'>,
  options: PollOptions<T>,
  step: () => Promise<{ value: T; done: boolean }>,
): Promise<T> {
  const max = options.maxDelayMs ?? 5_000;
  let delay = Math.min(options.minDelayMs ?? 1_000, max);
  for (;;) {
    const { value, done } = await step();
    options.onUpdate?.(value);
    if (done) return value;
    try {
      await context.clock.sleep(Math.round(delay * (1 + 0.25 * context.random())), options.signal);
    } catch (e) {
      if (isAbortError(e)) throw cancelledError('wait');
      throw e;
    }
    delay = Math.min(max, delay * 1.5);
  }
}

/** The signal as an optional CallSpec field. */
export function sig(signal: AbortSignalLike | undefined): { signal?: AbortSignalLike } {
  return signal ? { signal } : {};
}

/** A GET whose JSON answer is validated with `schema`. */
export function getJson<T extends z.ZodType>(
  transport: Transport,
  operation: string,
  path: string,
  schema: T,
  signal?: AbortSignalLike,
): Promise<z.output<T>> {
  return transport.json({ operation, method: 'GET', path, ...sig(signal) }, schema);
}

/** The clock's time as CVAT writes dates. */
export function isoNow(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}

/** The same error with another code, kind, message or hint (SyncError fields are read-only). */
export function rehint(
  e: SyncError,
  over: { code?: string; kind?: SyncError['kind']; hint?: string; message?: string },
): SyncError {
  const details: ConstructorParameters<typeof SyncError>[1] = {
    code: over.code ?? e.code,
    kind: over.kind ?? e.kind,
    cause: e,
  };
  if (e.operation !== undefined) details.operation = e.operation;
  if (e.url !== undefined) details.url = e.url;
  if (e.status !== undefined) details.status = e.status;
  if (e.body !== undefined) details.body = e.body;
  if (e.retryAfterMs !== undefined) details.retryAfterMs = e.retryAfterMs;
  const hint = over.hint ?? e.hint;
  if (hint !== undefined) details.hint = hint;
  return new SyncError(over.message ?? e.message, details);
}
