// Upload and download speeds are computed one way: over a window of the last few seconds.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/core/clock.js';
import { Meter } from '../../../main/engine/results/meter.js';
import type { TransferProgress } from '../../../main/engine/results/meter.js';
import { TransferSpeed, etaSeconds } from '../../../main/engine/transfer-speed.js';

const MB = 1_000_000;

describe('TransferSpeed', () => {
  it('measures over the window, keeps the last speed through short gaps, follows a change', async () => {
    const clock = new FakeClock();
    const speed = new TransferSpeed(() => clock.now(), 10 * MB);
    await clock.advance(500);
    expect(speed.sample(11 * MB)).toBe(0); // half a second says too little
    await clock.advance(500);
    expect(speed.sample(12 * MB)).toBe(2 * MB);
    await clock.advance(2_000);
    expect(speed.sample(16 * MB)).toBe(2 * MB); // 6 MB in 3 s; a new window starts
    await clock.advance(1_000);
    expect(speed.sample(16.5 * MB)).toBe(MB / 2); // slower link: seen within a second
    expect(speed.bps).toBe(MB / 2);
  });

  it('starts over when the bytes go back (the transfer restarted)', async () => {
    const clock = new FakeClock();
    const speed = new TransferSpeed(() => clock.now(), 0);
    await clock.advance(1_000);
    expect(speed.sample(4 * MB)).toBe(4 * MB);
    await clock.advance(100);
    expect(speed.sample(MB)).toBe(0);
    await clock.advance(1_000);
    expect(speed.sample(2 * MB)).toBe(MB);
  });

  it('gives the time left in whole seconds, or null without a speed or bytes left', () => {
    expect(etaSeconds(100 * MB, 25 * MB, 5 * MB)).toBe(15);
    expect(etaSeconds(100 * MB, 99.5 * MB, 5 * MB)).toBe(1);
    expect(etaSeconds(100 * MB, 25 * MB, 0)).toBeNull();
    expect(etaSeconds(100 * MB, 100 * MB, 5 * MB)).toBeNull();
  });
});

describe('Meter (download and import progress)', () => {
  it('reports at most every half second with the window speed, and 0 at the end', async () => {
    const clock = new FakeClock();
    const seen: TransferProgress[] = [];
    const meter = new Meter(clock, 0, 10 * MB, (p) => seen.push(p));
    meter.update(0);
    await clock.advance(200);
    meter.update(MB); // within half a second of the last report: not reported
    await clock.advance(800);
    meter.update(3 * MB);
    await clock.advance(1_000);
    meter.update(10 * MB, true);
    expect(seen).toEqual([
      { bytesDone: 0, bytesTotal: 10 * MB, speedBps: 0 },
      { bytesDone: 3 * MB, bytesTotal: 10 * MB, speedBps: 3 * MB },
      { bytesDone: 10 * MB, bytesTotal: 10 * MB, speedBps: 0 },
    ]);
  });
});
