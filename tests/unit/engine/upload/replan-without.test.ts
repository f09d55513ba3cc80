import { describe, expect, it } from 'vitest';
import type { BatchFileRow } from '../../../../main/journal/batch-repo.js';
import { fileNamedBy, unreadableOf } from '../../../../main/engine/upload/replan-without.js';

function file(id: number, uploadName: string, over: Partial<BatchFileRow> = {}): BatchFileRow {
  return {
    id,
    batchId: 1,
    position: id,
    fileId: 100 + id,
    absPath: `/media/${uploadName}`,
    relPath: `day1/${uploadName}`,
    plannedName: uploadName,
    uploadName,
    size: 10,
    mtimeMs: 1,
    sha256: null,
    state: 'sent',
    skipReason: null,
    via: 'bulk',
    bulkPartId: null,
    ...over,
  };
}

const files = [file(1, 'a.jpg'), file(2, 'b.jpg'), file(3, 'clip.mp4')];

describe('fileNamedBy', () => {
  it('finds the file PIL could not identify, by the name it was uploaded under', () => {
    const m =
      "PIL.UnidentifiedImageError: cannot identify image file '/home/django/data/data/7/raw/b.jpg'";
    expect(fileNamedBy(m, files)?.id).toBe(2);
  });

  it('finds the video PyAV could not open', () => {
    const m =
      "av.error.InvalidDataError: [Errno 1094995529] Invalid data found when processing input: '/home/django/data/data/7/raw/clip.mp4'";
    expect(fileNamedBy(m, files)?.id).toBe(3);
  });

  it('names no file for a zip member, another error, or a file already left out', () => {
    expect(
      fileNamedBy("PIL.UnidentifiedImageError: cannot identify image file 'f/0.png'", files),
    ).toBeNull();
    expect(fileNamedBy('ValueError: No media data found', files)).toBeNull();
    const skipped = [file(1, 'a.jpg', { state: 'skipped', skipReason: 'unreadable: x' })];
    expect(
      fileNamedBy("cannot identify image file '/home/django/data/data/7/raw/a.jpg'", skipped),
    ).toBeNull();
  });
});

describe('unreadableOf', () => {
  it('returns the files marked unreadable, with CVAT’s message, and ignores other skips', () => {
    const rows = [
      file(1, 'a.jpg', { state: 'skipped', skipReason: 'unreadable: PIL says no' }),
      file(2, 'b.jpg', { state: 'skipped', skipReason: 'zero bytes' }),
      file(3, 'c.jpg'),
    ];
    expect(unreadableOf(rows)).toEqual([
      { fileId: 101, relPath: 'day1/a.jpg', message: 'PIL says no' },
    ]);
  });
});
