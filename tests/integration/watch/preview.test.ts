import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/core/clock.js';
import { previewFolder } from '../../../main/engine/planner/preview.js';
import type { Harness } from './harness.js';
import { makeHarness, rule } from './harness.js';
import { mediaFixture } from '../../cvat-server/fixture-media.js';

const bytes = (name: string, tag: string): number => mediaFixture(name, tag)?.length ?? -1;

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
    // CVAT could not open these: the preview reads them as the sync would, and leaves them out.
    h.write('day2/noise.jpg', Buffer.from('not a JPEG at all, just text'));
    h.write('day2/document.png', Buffer.from('%PDF-1.4\n%%EOF\n'));
    const preview = await previewFolder(rule({ path: h.root }), { clock: new FakeClock() });
    expect(preview).toEqual({
      tasks: [
        { name: 'media/clip.mp4', files: 1, bytes: bytes('clip.mp4', 'vvvv'), media: 'video' },
        {
          name: 'media/day1',
          files: 2,
          bytes: bytes('a.jpg', 'aa') + bytes('b.jpg', 'bbb'),
          media: 'images',
        },
        { name: 'media/day2', files: 1, bytes: bytes('c.png', 'c'), media: 'images' },
      ],
      ignored: [
        { path: '.DS_Store', reason: 'partial download or temporary file: .DS_Store' },
        {
          path: 'day2/document.png',
          reason: 'content does not match the name: the content is PDF, not what .png promises',
        },
        {
          path: 'day2/noise.jpg',
          reason:
            'cannot be opened (CVAT would fail its whole task): not a JPEG file (it starts with 6e 6f 74 20)',
        },
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
