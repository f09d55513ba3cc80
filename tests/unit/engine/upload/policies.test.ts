import { describe, expect, it } from 'vitest';
import { SyncError } from '../../../../main/core/errors.js';
import { nextBulkGroup } from '../../../../main/engine/upload/bulk-groups.js';
import { changedSincePlan } from '../../../../main/engine/upload/file-probe.js';
import {
  isTusResumeLost,
  refusedBeforeProcessing,
} from '../../../../main/engine/upload/outcomes.js';
import { httpStatus, networkReset } from '../fake-cvat.js';

const sized = (...sizes: number[]) => sizes.map((size, i) => ({ i, size }));

describe('bulk grouping', () => {
  it('fills a request greedily up to the byte and file bounds, in order', () => {
    expect(nextBulkGroup(sized(40, 40, 30, 10), 100, 10).map((f) => f.i)).toEqual([0, 1]);
    expect(nextBulkGroup(sized(10, 10, 10, 10), 100, 3).map((f) => f.i)).toEqual([0, 1, 2]);
    expect(nextBulkGroup(sized(150, 10), 100, 10).map((f) => f.i)).toEqual([0]);
    expect(nextBulkGroup([], 100, 10)).toEqual([]);
  });
});

describe('reading failed requests', () => {
  it('treats only answers given before the view ran as "nothing was written"', () => {
    for (const status of [401, 403, 413, 429, 503])
      expect(refusedBeforeProcessing(httpStatus(status))).toBe(true);
    for (const status of [400, 404, 500, 502, 504])
      expect(refusedBeforeProcessing(httpStatus(status))).toBe(false);
    expect(refusedBeforeProcessing(networkReset())).toBe(false);
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(refusedBeforeProcessing(abort)).toBe(false);
  });

  it('knows when a recorded TUS upload cannot be resumed', () => {
    expect(
      isTusResumeLost(new SyncError('x', { code: 'tus-resume-lost', kind: 'item', status: 404 })),
    ).toBe(true);
    expect(
      isTusResumeLost(new SyncError('x', { code: 'tus-head-rejected', kind: 'item', status: 200 })),
    ).toBe(true);
    expect(isTusResumeLost(httpStatus(405))).toBe(true);
    expect(isTusResumeLost(httpStatus(503))).toBe(false);
    expect(isTusResumeLost(networkReset())).toBe(false);
  });
});

describe('plan check', () => {
  it('reports a file gone, resized or modified; tolerates sub-millisecond mtime digits', () => {
    const planned = { size: 10, mtimeMs: 1_700_000_000_123.75 };
    expect(changedSincePlan(planned, { size: 10, mtimeMs: 1_700_000_000_123 })).toBeNull();
    expect(changedSincePlan(planned, null)).toMatch(/gone/);
    expect(changedSincePlan(planned, { size: 11, mtimeMs: planned.mtimeMs })).toMatch(
      /size changed/,
    );
    expect(changedSincePlan(planned, { size: 10, mtimeMs: planned.mtimeMs + 5 })).toMatch(
      /modified/,
    );
  });
});
