// Header values as Django writes them (django/http/response.py): encoded words decode to the
// exact name, Latin-1 passes through, unknown charsets stay visible.
import { describe, expect, it } from 'vitest';
import { decodeHeaderValue } from '../../../main/cvat/mime-header.js';
import { tusChunkLimit, tusGoneAnswers500, parseVersion } from '../../../main/cvat/version.js';

describe('decodeHeaderValue', () => {
  it.each([
    // Produced by Python's Header(v, "utf-8", maxlinelen=sys.maxsize).encode()
    ['=?utf-8?b?5aSc6Ze05b2V5YOPLdCX0LDQv9C40YHRjC5tcDQ=?=', '夜间录像-Запись.mp4'],
    ['=?utf-8?b?8J+OpSBjbGlwLm1wNA==?=', '🎥 clip.mp4'],
    ['=?utf-8?b?Y2FmZcyBLXXMiC5tcDQ=?=', 'cafe\u0301-u\u0308.mp4'],
    [
      '=?utf-8?q?a_long_ascii_name_with_one_=E2=82=AC_sign=2Emp4?=',
      'a long ascii name with one € sign.mp4',
    ],
    ['=?UTF-8?B?0LLQuNC00LXQvi5tcDQ=?=', 'видео.mp4'],
    ['=?utf-8?b?0LLQuNC0?= =?utf-8?b?0LXQvi5tcDQ=?=', 'видео.mp4'],
    ['=?iso-8859-1?q?caf=E9.mp4?=', 'café.mp4'],
    ['café.mp4', 'café.mp4'],
    ['day1.mp4', 'day1.mp4'],
    ['=?koi8-r?b?zsXU?=', '=?koi8-r?b?zsXU?='],
  ])('%s -> %s', (raw, name) => {
    expect(decodeHeaderValue(raw)).toBe(name);
  });
});

describe('TUS quirks by version', () => {
  const v = (s: string) => parseVersion(s)!;
  it('caps chunks at 100 MiB before 2.55', () => {
    expect(tusChunkLimit(v('2.54.9'))).toBe(100 * 1024 * 1024);
    expect(tusChunkLimit(v('2.15.0'))).toBe(100 * 1024 * 1024);
    expect(tusChunkLimit(v('2.55.0'))).toBeNull();
  });
  it('reads 500 as "gone" on 2.39-2.54 only', () => {
    expect(tusGoneAnswers500(v('2.38.0'))).toBe(false);
    expect(tusGoneAnswers500(v('2.39.0'))).toBe(true);
    expect(tusGoneAnswers500(v('2.54.1'))).toBe(true);
    expect(tusGoneAnswers500(v('2.55.0'))).toBe(false);
  });
});
