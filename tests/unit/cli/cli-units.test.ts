import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, exitCodeOf } from '../../../main/cli/exit-codes.js';
import { defaultDataDir } from '../../../main/cli/paths.js';
import { ruleFromFlags } from '../../../main/cli/rule-options.js';
import type { RuleFlags } from '../../../main/cli/rule-options.js';
import { closeMatches } from '../../../main/service/suggest.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cvat-sync-cli-unit-'));
  writeFileSync(join(dir, 'labels.json'), '[{"name":"car"}]');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const flags = (over: Partial<RuleFlags>): RuleFlags => ({
  split: 'subfolder',
  include: [],
  exclude: [],
  settle: '10',
  imageQuality: '70',
  ...over,
});

describe('defaultDataDir', () => {
  it("matches Electron's userData for productName CVAT Sync", () => {
    expect(defaultDataDir({}, 'linux', '/home/u')).toBe('/home/u/.config/CVAT Sync');
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/cfg' }, 'linux', '/home/u')).toBe('/cfg/CVAT Sync');
    expect(defaultDataDir({}, 'darwin', '/Users/u')).toBe(
      '/Users/u/Library/Application Support/CVAT Sync',
    );
    expect(
      defaultDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u'),
    ).toMatch(/Roaming.CVAT Sync$/);
    expect(defaultDataDir({ CVAT_SYNC_HOME: '/srv/sync' }, 'linux', '/home/u')).toBe('/srv/sync');
  });
});

describe('ruleFromFlags', () => {
  it('builds a validated rule from the options', () => {
    const rule = ruleFromFlags(
      dir,
      flags({
        project: '4',
        split: 'count:500',
        name: '{folder} #{index}',
        include: ['*.jpg', '*.png'],
        settle: '2.5',
        segmentSize: '300',
        sortingMethod: 'natural',
        frameStep: '2',
        subset: 'train',
      }),
      'acme',
    );
    expect(rule).toEqual({
      path: dir,
      target: { kind: 'project', projectId: 4 },
      org: 'acme',
      split: { kind: 'count', count: 500 },
      nameTemplate: '{folder} #{index}',
      include: ['*.jpg', '*.png'],
      exclude: [],
      settleSeconds: 2.5,
      polling: false,
      taskOptions: {
        imageQuality: 70,
        segmentSize: 300,
        frameStep: 2,
        sortingMethod: 'natural',
        subset: 'train',
      },
    });
    expect(ruleFromFlags(dir, flags({ labels: join(dir, 'labels.json') }), null).target).toEqual({
      kind: 'labels',
      labels: [{ name: 'car' }],
    });
  });

  it('refuses bad values with usage errors', () => {
    expect(() => ruleFromFlags(dir, flags({}), null)).toThrow(/--project ID or --labels FILE/);
    expect(() => ruleFromFlags(dir, flags({ project: '1', labels: 'x' }), null)).toThrow(
      /one of them/,
    );
    expect(() => ruleFromFlags(dir, flags({ project: 'x' }), null)).toThrow(
      /--project must be a whole number/,
    );
    expect(() => ruleFromFlags(dir, flags({ project: '1', split: 'count:0' }), null)).toThrow(
      /--split/,
    );
    expect(() => ruleFromFlags(dir, flags({ project: '1', imageQuality: '101' }), null)).toThrow(
      /--image-quality: Image quality must be a whole number from 1 to 100/,
    );
    expect(() => ruleFromFlags(join(dir, 'labels.json'), flags({ project: '1' }), null)).toThrow(
      /is not a folder/,
    );
    expect(() => ruleFromFlags(dir, flags({ labels: join(dir, 'none.json') }), null)).toThrow(
      /no such file/,
    );
  });
});

describe('exit codes', () => {
  it('maps the error taxonomy to the documented codes', () => {
    expect(exitCodeOf({ code: 'unknown-format', kind: 'item' })).toBe(EXIT.usage);
    expect(exitCodeOf({ code: 'missing-path', kind: 'item' })).toBe(EXIT.usage);
    expect(exitCodeOf({ code: 'auth', kind: 'fatal', status: 401 })).toBe(EXIT.auth);
    expect(exitCodeOf({ code: 'signed-out', kind: 'fatal' })).toBe(EXIT.auth);
    expect(exitCodeOf({ code: 'network', kind: 'transient', status: 0 })).toBe(EXIT.unreachable);
    expect(exitCodeOf({ code: 'server', kind: 'transient', status: 502 })).toBe(EXIT.unreachable);
    expect(exitCodeOf({ code: 'not-found', kind: 'item', status: 404 })).toBe(EXIT.itemsFailed);
    expect(exitCodeOf({ code: 'engine-locked', kind: 'fatal' })).toBe(EXIT.itemsFailed);
  });
});

describe('closeMatches', () => {
  const names = [
    'COCO 1.0',
    'COCO Keypoints 1.0',
    'CVAT for images 1.1',
    'YOLO 1.1',
    'PASCAL VOC 1.1',
  ];
  it('suggests by containment and by edit distance', () => {
    expect(closeMatches('coco', names)).toEqual(['COCO 1.0', 'COCO Keypoints 1.0']);
    expect(closeMatches('YOLO 1.0', names)).toEqual(['YOLO 1.1']);
    expect(closeMatches('pascal voc', names)).toEqual(['PASCAL VOC 1.1']);
    expect(closeMatches('zzzzzz', names)).toEqual([]);
  });
});
