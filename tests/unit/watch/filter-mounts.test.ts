import { describe, expect, it } from 'vitest';
import { describeIgnore } from '../../../main/core/ignore-reason.js';
import { nameProblem } from '../../../main/core/file-name.js';
import { compileFilter } from '../../../main/watch/filter.js';
import { isWatchLimitError } from '../../../main/watch/folder-watcher.js';
import { fsTypeOf, isNetworkFs, parseMountinfo } from '../../../main/watch/mounts.js';

describe('path filter', () => {
  const f = compileFilter({
    include: ['**/*.jpg', '**/*.mp4'],
    exclude: ['tmp/**', '*_thumb.jpg'],
    maxFileSizeBytes: 100,
  });

  it('applies the built-in rules, then exclude, include and the media type', () => {
    expect(f.path('a/b.jpg')).toBeNull();
    expect(f.path('a/.b.jpg')?.reason).toBe('hidden');
    expect(f.path('a/b.jpg.crdownload')?.reason).toBe('partial-download');
    expect(f.path('Thumbs.db')?.reason).toBe('partial-download');
    expect(f.path('tmp/x.jpg')).toEqual({ reason: 'excluded', detail: 'tmp/**' });
    expect(f.path('a/x_thumb.jpg')).toEqual({ reason: 'excluded', detail: '*_thumb.jpg' });
    expect(f.path('a/x.png')?.reason).toBe('not-included');
    expect(f.dir('tmp')?.reason).toBe('excluded');
    expect(f.dir('.git')?.reason).toBe('hidden');
    expect(compileFilter({ include: [], exclude: [] }).path('a/notes.txt')).toEqual({
      reason: 'unsupported-type',
      detail: '.txt',
    });
    expect(f.size(0)?.reason).toBe('empty');
    expect(f.size(101)).toEqual({ reason: 'too-large', detail: '101 bytes, the limit is 100' });
    expect(describeIgnore('too-large', '101 bytes, the limit is 100')).toBe(
      'too large: 101 bytes, the limit is 100',
    );
  });

  it('rejects names CVAT or the OS cannot take', () => {
    expect(nameProblem('ok name (1).jpg')).toBeNull();
    expect(nameProblem('a\\b.jpg')).toMatch(/backslash/);
    expect(nameProblem('tab\there.jpg')).toMatch(/control/);
    expect(nameProblem('bad\ufffd.jpg')).toMatch(/UTF-8/);
    expect(nameProblem(`${'é'.repeat(128)}.jpg`)).toMatch(/255 bytes/);
  });
});

describe('mounts and watch limits', () => {
  const text = [
    '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
    '40 22 0:35 / /mnt/nas rw,relatime shared:20 - nfs4 nas:/export rw',
    '41 22 0:36 / /mnt/my\\040share rw - cifs //srv/share rw',
    '42 22 0:37 / /home/u/gdrive rw - fuse.rclone gdrive: rw',
  ].join('\n');

  it('finds the filesystem of a path and knows network ones', () => {
    const m = parseMountinfo(text);
    expect(fsTypeOf('/mnt/nas/photos', m)).toBe('nfs4');
    expect(fsTypeOf('/mnt/my share/x', m)).toBe('cifs');
    expect(fsTypeOf('/mnt/nasty', m)).toBe('ext4');
    expect(fsTypeOf('/home/u/gdrive/a', m)).toBe('fuse.rclone');
    expect(['nfs4', 'cifs', 'fuse.rclone', 'ext4'].map(isNetworkFs)).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it('tells watch-limit errors from others', () => {
    expect(isWatchLimitError(Object.assign(new Error('x'), { code: 'ENOSPC' }))).toBe('ENOSPC');
    expect(isWatchLimitError(Object.assign(new Error('x'), { code: 'EMFILE' }))).toBe('EMFILE');
    expect(isWatchLimitError(Object.assign(new Error('x'), { code: 'EACCES' }))).toBeNull();
  });
});
