import { describe, expect, it } from 'vitest';
import { ChunkSizer } from '../../../main/core/chunk-sizer.js';

const MiB = 1024 * 1024;

describe('ChunkSizer', () => {
  const opts = { minBytes: 8 * MiB, maxBytes: 64 * MiB, targetMs: 2_000 };

  it('starts small and doubles toward the maximum on a fast link', () => {
    const s = new ChunkSizer(opts);
    expect(s.current).toBe(8 * MiB);
    const seen = [8, 16, 32, 64, 64].map(() => {
      const size = s.current;
      s.acknowledged(size, 50); // far faster than the target
      return size / MiB;
    });
    expect(seen).toEqual([8, 16, 32, 64, 64]);
  });

  it('stays near the target time on a slow link', () => {
    const s = new ChunkSizer(opts);
    // 10 MiB/s: 2 s of transfer is 20 MiB.
    for (let i = 0; i < 6; i++) s.acknowledged(s.current, (s.current / (10 * MiB)) * 1000);
    expect(s.current).toBe(20 * MiB);
  });

  it('halves on trouble, never below the minimum, and never above the maximum', () => {
    const s = new ChunkSizer(opts);
    for (let i = 0; i < 4; i++) s.acknowledged(s.current, 1);
    expect(s.current).toBe(64 * MiB);
    expect(s.trouble()).toBe(32 * MiB);
    for (let i = 0; i < 5; i++) s.trouble();
    expect(s.current).toBe(8 * MiB);
    const capped = new ChunkSizer({ ...opts, minBytes: 8 * MiB, maxBytes: 2 * MiB });
    expect(capped.current).toBe(2 * MiB);
    expect(capped.acknowledged(2 * MiB, 1)).toBe(2 * MiB);
  });
});
