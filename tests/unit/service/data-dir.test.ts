// The data folder is tightened to 0700 when it is ours, and reported when it is not.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../../main/core/logger.js';
import { secureDataDir } from '../../../main/service/data-dir.js';

let root: string;
const warnings: string[] = [];
const logger: Logger = {
  debug() {},
  info() {},
  warn: (m) => void warnings.push(m),
  error() {},
};

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'cvat-sync-datadir-'));
  warnings.length = 0;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('secureDataDir', () => {
  it('chmods an existing 0755 folder of ours to 0700', () => {
    const dir = join(root, 'data');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    expect(secureDataDir(dir, logger)).toBeNull();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(warnings).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)(
    'warns, and changes nothing, when the folder belongs to another user',
    () => {
      const dir = join(root, 'theirs');
      mkdirSync(dir);
      chmodSync(dir, 0o755);
      chownSync(dir, 65534, 65534);
      const warning = secureDataDir(dir, logger);
      expect(warning).toBe(
        `The data folder ${dir} belongs to another user (uid 65534) and is readable by others (mode 755).`,
      );
      expect(warnings).toEqual([warning]);
      expect(statSync(dir).mode & 0o777).toBe(0o755);
    },
  );
});
