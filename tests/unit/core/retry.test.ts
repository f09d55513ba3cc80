import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/core/clock.js';
import { SyncError } from '../../../main/core/errors.js';
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  parseRetryAfter,
  retryDelay,
  withRetry,
} from '../../../main/core/retry.js';

const transient = (retryAfterMs?: number): SyncError =>
  new SyncError('busy', {
    code: 'server',
    kind: 'transient',
    status: 503,
    ...(retryAfterMs ? { retryAfterMs } : {}),
  });

describe('backoff', () => {
  it('doubles from the base up to the cap, spread by jitter', () => {
    const policy = { baseMs: 1000, maxMs: 8000, jitter: 0.5, maxAttempts: 10 };
    expect(backoffDelay(1, policy, () => 0)).toBe(500);
    expect(backoffDelay(1, policy, () => 0.999999)).toBe(1500);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(4000);
    expect(backoffDelay(9, policy, () => 0.5)).toBe(8000);
  });

  it('never waits less than Retry-After asked', () => {
    expect(retryDelay(1, DEFAULT_BACKOFF, () => 0, 30_000)).toBe(30_000);
    expect(retryDelay(1, DEFAULT_BACKOFF, () => 0)).toBe(1000);
  });

  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('7', 0)).toBe(7000);
    expect(
      parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')),
    ).toBe(10_000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(null, 0)).toBeUndefined();
  });
});

describe('withRetry', () => {
  it('retries transient errors after the backoff delay and then succeeds', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const done = withRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw transient();
        return 'ok';
      },
      { clock, random: () => 0.5 },
    );
    await clock.advance(0);
    expect(calls).toBe(1);
    await clock.advance(2000);
    expect(calls).toBe(2);
    await clock.advance(4000);
    await expect(done).resolves.toBe('ok');
    expect(calls).toBe(3);
  });

  it('honours Retry-After from the error', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const done = withRetry(
      async () => {
        calls += 1;
        if (calls === 1) throw transient(20_000);
        return calls;
      },
      { clock, random: () => 0.5 },
    );
    await clock.advance(19_999);
    expect(calls).toBe(1);
    await clock.advance(1);
    await expect(done).resolves.toBe(2);
  });

  it('does not retry item or fatal errors', async () => {
    const clock = new FakeClock();
    for (const kind of ['item', 'fatal'] as const) {
      let calls = 0;
      await expect(
        withRetry(
          async () => {
            calls += 1;
            throw new SyncError('no', { code: 'x', kind });
          },
          { clock, random: () => 0 },
        ),
      ).rejects.toMatchObject({ kind });
      expect(calls).toBe(1);
    }
  });

  it('gives up after maxAttempts', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const done = withRetry(
      async () => {
        calls += 1;
        throw transient();
      },
      { clock, random: () => 0, policy: { baseMs: 10, maxMs: 10, jitter: 0, maxAttempts: 3 } },
    );
    const settled = done.catch((e: unknown) => e);
    await clock.advance(100);
    expect(await settled).toBeInstanceOf(SyncError);
    expect(calls).toBe(3);
  });

  it('stops waiting when aborted', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const done = withRetry(
      async () => {
        throw transient();
      },
      { clock, random: () => 0, signal: controller.signal },
    );
    const settled = done.catch((e: unknown) => e);
    await clock.advance(0);
    controller.abort();
    expect(await settled).toMatchObject({ name: 'AbortError' });
  });
});
