import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/core/clock.js';
import { previewFolder } from '../../../main/engine/planner/preview.js';
import type { Harness } from './harness.js';
import { makeHarness, rule } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('previewFolder', () => {
  it('shows the tasks and ignored files a rule would produce, without touching the journal', async () => {
    h = makeHarness();
    h.write('day1/a.jpg', 'aa');
    h.write('day1/x/b.jpg', 'bbb');
    h.write('day2/c.png', 'c');
    h.write('clip.mp4', 'vvvv');
    h.write('readme.txt', 't');
    h.write('.DS_Store', 'x');
    const preview = await previewFolder(rule({ path: h.root }), { clock: new FakeClock() });
    expect(preview).toEqual({
      tasks: [
        { name: 'media/clip.mp4', files: 1, bytes: 4, media: 'video' },
        { name: 'media/day1', files: 2, bytes: 5, media: 'images' },
        { name: 'media/day2', files: 1, bytes: 1, media: 'images' },
      ],
      ignored: [
        { path: '.DS_Store', reason: 'partial download or temporary file: .DS_Store' },
        { path: 'readme.txt', reason: 'unsupported type: .txt' },
      ],
      truncated: false,
    });
    expect(h.files.counts(h.folderId).files).toBe(0);
    const capped = await previewFolder(rule({ path: h.root, split: { kind: 'count', count: 1 } }), {
      clock: new FakeClock(),
      cap: 3,
    });
    expect(capped.truncated).toBe(true);
    await expect(
      previewFolder(rule({ path: `${h.root}/nope` }), { clock: new FakeClock() }),
    ).rejects.toMatchObject({ code: 'folder-missing' });
  });
});
