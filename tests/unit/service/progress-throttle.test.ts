import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Transfer } from '../../../preload/contract.js';
import { FakeClock } from '../../../main/core/clock.js';
import { ProgressThrottle } from '../../../main/service/progress-throttle.js';

const base: Transfer = {
  id: 'upload:1',
  kind: 'upload',
  title: 't',
  state: 'active',
  stage: 'sending',
  folderId: 1,
  taskId: 3,
  bytesDone: 0,
  bytesTotal: 100,
  filesDone: 0,
  filesTotal: 1,
  speedBps: 0,
  etaSeconds: null,
  error: null,
  attempts: 0,
  nextAttemptAt: null,
  destination: null,
  createdAt: 0,
  updatedAt: 0,
};

afterEach(() => vi.useRealTimers());

describe('ProgressThrottle', () => {
  it('coalesces byte progress to one event per interval, passes state changes at once, and delivers the last value', () => {
    vi.useFakeTimers();
    const clock = new FakeClock(0);
    const sent: Transfer[] = [];
    const t = new ProgressThrottle(clock, (x) => sent.push(x), 250);
    t.push(base);
    for (let i = 1; i <= 10; i++) t.push({ ...base, bytesDone: i * 5 });
    expect(sent.map((x) => x.bytesDone)).toEqual([0]);
    t.push({ ...base, bytesDone: 60, state: 'processing', stage: 'finishing' });
    expect(sent.map((x) => x.state)).toEqual(['active', 'processing']);
    t.push({ ...base, state: 'processing', stage: 'finishing', bytesDone: 70 });
    t.push({ ...base, state: 'processing', stage: 'finishing', bytesDone: 80 });
    vi.advanceTimersByTime(250);
    expect(sent.at(-1)?.bytesDone).toBe(80);
    expect(sent).toHaveLength(3);
    t.close();
  });
});
