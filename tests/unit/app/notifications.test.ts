import { describe, expect, it } from 'vitest';
import type { Transfer } from '../../../preload/contract.js';
import type { DesktopNotice } from '../../../main/app/notifications.js';
import { Notifier, noticeForTransfer } from '../../../main/app/notifications.js';
import { RateLimiter } from '../../../main/app/rate-limiter.js';

function transfer(over: Partial<Transfer>): Transfer {
  return {
    id: 't1',
    kind: 'upload',
    title: 'cats/batch-1',
    state: 'active',
    stage: null,
    folderId: 1,
    taskId: 42,
    bytesDone: 0,
    bytesTotal: 10,
    filesDone: 0,
    filesTotal: 3,
    speedBps: 0,
    etaSeconds: null,
    error: null,
    attempts: 0,
    nextAttemptAt: null,
    destination: null,
    createdAt: 0,
    updatedAt: 0,
    ...over,
  };
}

describe('RateLimiter', () => {
  it('allows `limit` events per sliding window', () => {
    const r = new RateLimiter(2, 1_000);
    expect(r.take(0)).toBe(true);
    expect(r.take(10)).toBe(true);
    expect(r.take(20)).toBe(false);
    expect(r.take(999)).toBe(false);
    expect(r.take(1_000)).toBe(true); // the event at 0 left the window
    expect(r.take(1_005)).toBe(false);
    expect(r.take(1_010)).toBe(true);
  });

  it('refused events do not use up the budget', () => {
    const r = new RateLimiter(1, 100);
    expect(r.take(0)).toBe(true);
    for (let t = 1; t < 100; t += 10) expect(r.take(t)).toBe(false);
    expect(r.take(100)).toBe(true);
  });
});

describe('noticeForTransfer', () => {
  it('announces created tasks, saved exports and failures once, on the transition', () => {
    expect(noticeForTransfer('processing', transfer({ state: 'done' }))).toEqual({
      title: 'Task created',
      body: 'cats/batch-1 (task #42), 3 files',
    });
    expect(
      noticeForTransfer(
        'active',
        transfer({
          kind: 'download',
          state: 'done',
          title: 'Task 42 COCO',
          destination: '/d/x.zip',
        }),
      ),
    ).toEqual({
      title: 'Export saved',
      body: 'Task 42 COCO → /d/x.zip',
    });
    const error = {
      code: 'too-large',
      kind: 'item' as const,
      message: '413 from nginx',
      retryable: false,
    };
    expect(noticeForTransfer('active', transfer({ state: 'failed', error }))).toEqual({
      title: 'Upload failed',
      body: 'cats/batch-1: 413 from nginx',
    });
    expect(noticeForTransfer('done', transfer({ state: 'done' }))).toBeNull();
    expect(noticeForTransfer('queued', transfer({ state: 'active' }))).toBeNull();
  });
});

describe('Notifier', () => {
  function make(over: { enabled?: boolean; focused?: boolean; limit?: number } = {}) {
    const shown: DesktopNotice[] = [];
    let now = 0;
    const n = new Notifier({
      show: (x) => shown.push(x),
      now: () => now,
      enabled: () => over.enabled ?? true,
      windowFocused: () => over.focused ?? false,
      limiter: new RateLimiter(over.limit ?? 2, 60_000),
    });
    return { n, shown, advance: (ms: number) => (now += ms) };
  }

  it('notifies each transition once', () => {
    const { n, shown } = make();
    n.onTransfer(transfer({ state: 'active' }));
    n.onTransfer(transfer({ state: 'done' }));
    n.onTransfer(transfer({ state: 'done' }));
    expect(shown.map((s) => s.title)).toEqual(['Task created']);
  });

  it('rate-limits bursts and counts what it held back into the next notice', () => {
    const { n, shown, advance } = make({ limit: 2 });
    for (let i = 0; i < 10; i++) n.onTransfer(transfer({ id: `t${i}`, state: 'done' }));
    expect(shown).toHaveLength(2);
    advance(60_000);
    n.onTransfer(transfer({ id: 'late', state: 'failed' }));
    expect(shown).toHaveLength(3);
    expect(shown[2]?.body).toContain('(+8 more — see Activity)');
    advance(60_000);
    n.onTransfer(transfer({ id: 'later', state: 'done' }));
    expect(shown[3]?.body).not.toContain('more');
  });

  it('stays quiet when notifications are off or the window has focus', () => {
    for (const opts of [{ enabled: false }, { focused: true }]) {
      const { n, shown } = make(opts);
      n.onTransfer(transfer({ state: 'done' }));
      expect(shown).toEqual([]);
    }
  });

  it('important notices bypass the setting and the rate', () => {
    const { n, shown } = make({ enabled: false, limit: 1 });
    n.notify({ title: 'a', body: '' });
    n.notifyImportant({ title: 'finishing', body: '' });
    n.notifyImportant({ title: 'finishing', body: '' });
    expect(shown.map((s) => s.title)).toEqual(['a', 'finishing', 'finishing']);
  });

  it('forgets removed transfers, so a new one with the same id notifies again', () => {
    const { n, shown } = make({ limit: 10 });
    n.onTransfer(transfer({ state: 'done' }));
    n.onTransferRemoved('t1');
    n.onTransfer(transfer({ state: 'done' }));
    expect(shown).toHaveLength(2);
  });
});
