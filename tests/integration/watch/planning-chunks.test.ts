// Planning reads candidates page by page and plans them in chunks (bounded memory on big
// folders): tiny pages and chunks here must give exactly what one big chunk gives.
import { afterEach, describe, expect, it } from 'vitest';
import type { FolderRule } from '../../../preload/contract.js';
import type { Harness } from './harness.js';
import { makeHarness } from './harness.js';

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

function tree(h: Harness): void {
  for (const top of ['a', 'b', 'c'])
    for (let i = 0; i < 4; i++) h.write(`${top}/${i}.jpg`, `${top}${i}`);
  h.write('b/deep/x.jpg', 'bx');
  h.write('b/clip.mp4', 'video');
  h.write('r1.jpg', 'r1');
  h.write('r2.jpg', 'r2');
  // Same content as a/0.jpg, read pages later: one copy only.
  h.write('c/copy.jpg', 'a0');
  h.write('zz.jpg', 'b1');
}

async function plan(over: Partial<FolderRule>, chunked: boolean) {
  const h = makeHarness(over, chunked ? { planner: { pageSize: 2, chunkFiles: 3 } } : {});
  open.push(h);
  tree(h);
  const r = await h.syncOnce();
  const ignored = h.files
    .ignored(h.folderId, 100)
    .map((f) => [f.relPath, f.reason, f.detail])
    .sort();
  const batches = h.planned().map((b): [string, string[]] => [b.name, b.files]);
  return { batches, ignored, counts: r.counts };
}

describe('chunked planning', () => {
  it('subfolder: never cuts a subfolder, wherever pages and chunks end', async () => {
    const small = await plan({ split: { kind: 'subfolder' } }, true);
    expect(small.batches).toEqual([
      ['media/a', ['a/0.jpg', 'a/1.jpg', 'a/2.jpg', 'a/3.jpg']],
      ['media/clip.mp4', ['b/clip.mp4']],
      ['media/b', ['b/0.jpg', 'b/1.jpg', 'b/2.jpg', 'b/3.jpg', 'b/deep/x.jpg']],
      ['media/c', ['c/0.jpg', 'c/1.jpg', 'c/2.jpg', 'c/3.jpg']],
      ['media', ['r1.jpg', 'r2.jpg']],
    ]);
    expect(small.ignored).toEqual([
      ['c/copy.jpg', 'duplicate', 'same content as a/0.jpg'],
      ['zz.jpg', 'duplicate', 'same content as b/1.jpg'],
    ]);
    expect(small).toEqual(await plan({ split: { kind: 'subfolder' } }, false));
  });

  it('count:N and file: the same batches as one big chunk', async () => {
    for (const split of [{ kind: 'count', count: 2 }, { kind: 'file' }] as const) {
      const small = await plan({ split }, true);
      const big = await plan({ split }, false);
      // The same batches with the same files; only where videos fall in the order may differ.
      const byName = (r: typeof small) => ({ ...r, batches: [...r.batches].sort() });
      expect(byName(small)).toEqual(byName(big));
      if (split.kind === 'count')
        expect(
          small.batches.filter(([n]) => n !== 'media/clip.mp4').map(([, f]) => f.length),
        ).toEqual([2, 2, 2, 2, 2, 2, 2, 1]);
      const files = small.batches.flatMap(([, f]) => f);
      expect(new Set(files).size).toBe(files.length);
      expect(files.length + small.ignored.length).toBe(18);
    }
  });
});
