import type { Clock } from './clock.js';
import type { SyncError } from './errors.js';
import { toSyncError } from './errors.js';
import type { AbortSignalLike } from './signal.js';

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** 0..1: how much of each delay is randomised (full jitter at 1). */
  jitter: number;
  maxAttempts: number;
}

/** CVAT's web client retries after 2, 4, 8 … 64 s; we follow the same curve with jitter. */
export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 2_000,
  maxMs: 64_000,
  jitter: 0.5,
  maxAttempts: 8,
};

/** Delay before attempt number `attempt` (1 = first retry). `random` in [0,1). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const spread = exp * policy.jitter;
  return Math.round(exp - spread + random() * spread * 2);
}

/** Honours Retry-After when the server sent one, never waiting less than it asked. */
export function retryDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number,
  retryAfterMs?: number,
): number {
  const backoff = backoffDelay(attempt, policy, random);
  return retryAfterMs === undefined
    ? backoff
    : Math.max(retryAfterMs, Math.min(backoff, policy.maxMs));
}

/** Parses a Retry-After header (seconds or HTTP date) into ms from `now`. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface RetryOptions {
  clock: Clock;
  random: () => number;
  policy?: BackoffPolicy;
  signal?: AbortSignalLike;
  onRetry?: (error: SyncError, attempt: number, delayMs: number) => void;
}

/** Runs `op`, retrying transient SyncErrors with backoff; item and fatal errors pass straight through. */
export async function withRetry<T>(
  op: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const policy = options.policy ?? DEFAULT_BACKOFF;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (e) {
      const err = toSyncError(e);
      if (err.code === 'cancelled' || options.signal?.aborted) throw err;
      if (err.kind !== 'transient' || attempt >= policy.maxAttempts) throw err;
      const delay = retryDelay(attempt, policy, options.random, err.retryAfterMs);
      options.onRetry?.(err, attempt, delay);
      await options.clock.sleep(delay, options.signal);
    }
  }
}
