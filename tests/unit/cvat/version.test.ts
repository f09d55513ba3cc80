import { describe, expect, it } from 'vitest';
import { compareVersions, parseVersion, versionAtLeast } from '../../../main/cvat/version.js';

describe('server versions', () => {
  it('parses release, dev and short forms', () => {
    expect(parseVersion('2.73.0')).toEqual({ raw: '2.73.0', major: 2, minor: 73, patch: 0 });
    expect(parseVersion('v2.5.1-dev')).toMatchObject({ major: 2, minor: 5, patch: 1 });
    expect(parseVersion('2.16')).toMatchObject({ major: 2, minor: 16, patch: 0 });
    expect(parseVersion('unknown')).toBeNull();
  });

  it('compares numerically, not as text', () => {
    const v = (s: string) => parseVersion(s)!;
    expect(compareVersions(v('2.9.0'), v('2.16.0'))).toBeLessThan(0);
    expect(compareVersions(v('2.48.0'), v('2.47.9'))).toBeGreaterThan(0);
    expect(compareVersions(v('3.0.0'), v('2.99.99'))).toBeGreaterThan(0);
    expect(compareVersions(v('2.16.0'), v('2.16'))).toBe(0);
  });

  it('answers feature thresholds', () => {
    expect(versionAtLeast(parseVersion('2.15.9')!, '2.16')).toBe(false);
    expect(versionAtLeast(parseVersion('2.16.0')!, '2.16')).toBe(true);
    expect(versionAtLeast(parseVersion('2.47.0')!, '2.48.0')).toBe(false);
    expect(versionAtLeast(parseVersion('2.73.0')!, '2.48.0')).toBe(true);
  });
});
