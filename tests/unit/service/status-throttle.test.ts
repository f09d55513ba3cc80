import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../../main/core/clock.js';
import { StatusThrottle } from '../../../main/service/status-throttle.js';

afterEach(() => vi.useRealTimers());

/** A FakeClock whose time follows vitest's fake timers. */
function setup() {
  vi.useFakeTimers({ now: 1_000_000 });
  const clock = new FakeClock(1_000_000);
  clock.now = () => Date.now();
  let emitted = 0;
  const t = new StatusThrottle(clock, () => (emitted += 1), 500);
  return { t, count: () => emitted };
}

describe('StatusThrottle', () => {
  it('emits the first request at once and coalesces a burst into one trailing emit', () => {
    const { t, count } = setup();
    t.request();
    expect(count()).toBe(1);
    for (let i = 0; i < 50; i++) {
      vi.advanceTimersByTime(5);
      t.request();
    }
    expect(count()).toBe(1);
    vi.advanceTimersByTime(250);
    expect(count()).toBe(2);
    vi.advanceTimersByTime(5_000);
    expect(count()).toBe(2);
  });

  it('never exceeds two per second under a steady stream, and always delivers the last change', () => {
    const { t, count } = setup();
    for (let i = 0; i < 300; i++) {
      t.request();
      vi.advanceTimersByTime(10);
    }
    // 3 s of requests every 10 ms: at most one emit per 500 ms window, plus the first.
    expect(count()).toBeLessThanOrEqual(7);
    expect(count()).toBeGreaterThanOrEqual(6);
    const before = count();
    t.request();
    vi.advanceTimersByTime(500);
    expect(count()).toBe(before + 1);
  });

  it('emits nothing after close', () => {
    const { t, count } = setup();
    t.request();
    t.request();
    t.close();
    vi.advanceTimersByTime(1_000);
    t.request();
    expect(count()).toBe(1);
  });
});
