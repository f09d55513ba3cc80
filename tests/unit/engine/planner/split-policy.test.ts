import { describe, expect, it } from 'vitest';
import { uniqueTaskNames } from '../../../../main/core/file-name.js';
import { mediaKindOf } from '../../../../main/core/media.js';
import type { PlanFile } from '../../../../main/core/split-policy.js';
import { groupForPlanning, parseSplit } from '../../../../main/core/split-policy.js';

const T = 1_000_000;
function f(relPath: string, changedAt = T): PlanFile {
  return {
    id: null,
    relPath,
    size: 1,
    mtimeMs: 1,
    sha256: relPath,
    kind: mediaKindOf(relPath),
    changedAt,
  };
}
const settled = { now: T + 10_000, settleMs: 10_000, flush: false };

describe('split policies', () => {
  it('parses the stored forms', () => {
    expect(parseSplit('subfolder')).toEqual({ kind: 'subfolder' });
    expect(parseSplit('count:25')).toEqual({ kind: 'count', count: 25 });
    expect(parseSplit('count:0')).toBeNull();
    expect(parseSplit('bogus')).toBeNull();
  });

  it('subfolder: one task per immediate subfolder, root files apart, solo media alone', () => {
    const groups = groupForPlanning(
      { kind: 'subfolder' },
      [
        f('a/1.jpg'),
        f('a/deep/2.jpg'),
        f('b/1.png'),
        f('r.jpg'),
        f('a/clip.mp4'),
        f('x.zip'),
        f('doc.pdf'),
        f('s.mp3'),
      ],
      [],
      settled,
    );
    const summary = groups.map((g) => [g.groupKey, g.media, g.files.map((x) => x.relPath)]);
    expect(summary).toEqual([
      ['file:a/clip.mp4', 'video', ['a/clip.mp4']],
      ['file:doc.pdf', 'pdf', ['doc.pdf']],
      ['file:s.mp3', 'audio', ['s.mp3']],
      ['file:x.zip', 'archive', ['x.zip']],
      ['subfolder:a', 'images', ['a/1.jpg', 'a/deep/2.jpg']],
      ['subfolder:b', 'images', ['b/1.png']],
      ['root', 'images', ['r.jpg']],
    ]);
  });

  it('subfolder: waits while any file of the subfolder is settling or changed recently', () => {
    const groups = groupForPlanning(
      { kind: 'subfolder' },
      [f('a/1.jpg'), f('b/1.jpg'), f('c/1.jpg', T + 5_000)],
      [{ relPath: 'a/2.jpg', changedAt: T }],
      settled,
    );
    expect(groups.map((g) => g.groupKey)).toEqual(['subfolder:b']);
    const flushed = groupForPlanning(
      { kind: 'subfolder' },
      [f('a/1.jpg'), f('c/1.jpg', T + 5_000)],
      [{ relPath: 'a/2.jpg', changedAt: T }],
      {
        ...settled,
        flush: true,
      },
    );
    expect(flushed.map((g) => g.groupKey)).toEqual(['subfolder:a', 'subfolder:c']);
  });

  it('count:N: rolling full batches in path order; the partial one waits for a quiet folder', () => {
    const files = ['e.jpg', 'a.jpg', 'd/b.jpg', 'c.jpg', 'v.mp4'].map((p) => f(p));
    const busy = groupForPlanning(
      { kind: 'count', count: 2 },
      files,
      [{ relPath: 'z.jpg', changedAt: T }],
      settled,
    );
    expect(busy.map((g) => g.files.map((x) => x.relPath))).toEqual([
      ['v.mp4'],
      ['a.jpg', 'c.jpg'],
      ['d/b.jpg', 'e.jpg'],
    ]);
    const quiet = groupForPlanning({ kind: 'count', count: 3 }, files, [], settled);
    expect(quiet.map((g) => g.files.map((x) => x.relPath))).toEqual([
      ['v.mp4'],
      ['a.jpg', 'c.jpg', 'd/b.jpg'],
      ['e.jpg'],
    ]);
    const recent = groupForPlanning(
      { kind: 'count', count: 3 },
      [...files, f('n.jpg', T + 1)],
      [],
      settled,
    );
    expect(recent.map((g) => g.files.length)).toEqual([1, 3]);
  });

  it('file: one task per file', () => {
    const groups = groupForPlanning(
      { kind: 'file' },
      [f('a/1.jpg'), f('2.jpg')],
      [{ relPath: 'x.jpg', changedAt: T }],
      settled,
    );
    expect(groups.map((g) => [g.groupKey, g.nameKind, g.file, g.subfolder])).toEqual([
      ['file:2.jpg', 'file', '2.jpg', ''],
      ['file:a/1.jpg', 'file', '1.jpg', 'a'],
    ]);
  });
});

describe('unique basenames inside a task', () => {
  it('keeps unique basenames and flattens colliding ones deterministically', () => {
    expect(uniqueTaskNames(['a/x.jpg', 'b/x.jpg', 'y.jpg', 'c/Y.JPG', 'z.jpg'])).toEqual([
      'a_x.jpg',
      'b_x.jpg',
      'y.jpg',
      'c_Y.JPG',
      'z.jpg',
    ]);
  });

  it('adds a counter when the flattened name is taken too', () => {
    expect(uniqueTaskNames(['a_x.jpg', 'a/x.jpg', 'b/x.jpg'])).toEqual([
      'a_x.jpg',
      'a_x_2.jpg',
      'b_x.jpg',
    ]);
  });
});
