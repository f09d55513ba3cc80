import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/core/clock.js';
import { TokenBucket } from '../../../main/core/token-bucket.js';

describe('TokenBucket', () => {
  it('lets a one-second burst through, then paces at the rate', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(clock, 1000);
    let done = false;
    await bucket.take(1000);
    const second = bucket.take(500).then(() => {
      done = true;
    });
    await clock.advance(499);
    expect(done).toBe(false);
    await clock.advance(1);
    await second;
    expect(done).toBe(true);
  });

  it('is unlimited with a null rate and applies a new rate while waiting', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(clock, null);
    await bucket.take(10_000_000);
    bucket.setRate(100);
    let done = false;
    const waiting = bucket.take(100).then(() => {
      done = true;
    });
    bucket.setRate(null);
    await clock.advance(1000);
    await waiting;
    expect(done).toBe(true);
  });
});
