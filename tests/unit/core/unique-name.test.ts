import { describe, expect, it } from 'vitest';
import { CVAT_FILE_NAMES } from '../../../main/core/file-name.js';
import { FILE_COPIES } from '../../../main/core/safe-filename.js';
import { copyMark, firstFreeName, numberedName } from '../../../main/core/unique-name.js';

describe('unique names', () => {
  it('numbers copies before the extension, double extensions kept whole', () => {
    expect(numberedName('a.zip', 1, FILE_COPIES)).toBe('a.zip');
    expect(numberedName('a.zip', 2, FILE_COPIES)).toBe('a (2).zip');
    expect(numberedName('b.tar.gz', 3, FILE_COPIES)).toBe('b (3).tar.gz');
  });

  it('numbers file names inside a task with CVAT’s _N, the last extension kept as it is', () => {
    expect(numberedName('x.JPG', 2, CVAT_FILE_NAMES)).toBe('x_2.JPG');
    expect(numberedName('.profile', 2, CVAT_FILE_NAMES)).toBe('.profile_2');
    expect(numberedName('noext', 3, CVAT_FILE_NAMES)).toBe('noext_3');
  });

  it('takes the first name not taken, and cuts the stem to stay within a length', () => {
    const taken = new Set(['t', 't (2)', 't (3)']);
    expect(firstFreeName('t', (c) => taken.has(c), { mark: copyMark })).toBe('t (4)');
    expect(firstFreeName('u', (c) => taken.has(c), { mark: copyMark })).toBe('u');
    const long = 'é'.repeat(10);
    const name = numberedName(long, 12, { mark: copyMark, maxChars: 10 });
    expect(name).toBe(`${'é'.repeat(5)} (12)`);
    expect([...name].length).toBe(10);
  });
});
