import { zipSync, strToU8 } from 'fflate';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SyncError } from '../../../main/core/errors.js';
import { extractZip, unsafeEntryReason } from '../../../main/engine/results/extract-zip.js';

let root: string;
let dest: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'extract-'));
  dest = join(root, 'out');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeZip(name: string, entries: Parameters<typeof zipSync>[0]): Promise<string> {
  const path = join(root, name);
  await writeFile(path, zipSync(entries));
  return path;
}

/** Only the archives next to the destination, and the destination empty (no temp folder left). */
async function expectNothingWritten(archives: string[]): Promise<void> {
  expect((await readdir(root)).sort()).toEqual([...archives, 'out'].sort());
  expect(await readdir(dest)).toEqual([]);
}

async function refused(zip: string): Promise<SyncError> {
  const err = await extractZip(zip, dest, 't1').then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SyncError);
  return err as SyncError;
}

describe('extractZip', () => {
  it('extracts nested entries into a folder named after the archive, "(2)" when taken', async () => {
    const zip = await writeZip('task_1 coco.zip', {
      'annotations/instances_default.json': strToU8('{"images":[]}'),
      'images/': {},
      'images/a.jpg': strToU8('jpeg bytes'),
    });
    const first = await extractZip(zip, root, 't1');
    expect(first).toBe(join(root, 'task_1 coco'));
    expect(await readFile(join(first, 'annotations/instances_default.json'), 'utf8')).toBe(
      '{"images":[]}',
    );
    expect(await readFile(join(first, 'images/a.jpg'), 'utf8')).toBe('jpeg bytes');
    const second = await extractZip(zip, root, 't2');
    expect(second).toBe(join(root, 'task_1 coco (2)'));
    expect((await readdir(root)).sort()).toEqual([
      'task_1 coco',
      'task_1 coco (2)',
      'task_1 coco.zip',
    ]);
  });

  it('refuses a zip-slip archive and writes nothing, inside or outside', async () => {
    const zip = await writeZip('slip.zip', {
      'ok.txt': strToU8('fine'),
      '../evil.txt': strToU8('owned'),
    });
    const err = await refused(zip);
    expect(err.code).toBe('unsafe-archive');
    expect(err.message).toContain('../evil.txt');
    await expectNothingWritten(['slip.zip']);
  });

  it('refuses absolute paths and drive letters', async () => {
    expect((await refused(await writeZip('abs.zip', { '/tmp/evil.txt': strToU8('x') }))).code).toBe(
      'unsafe-archive',
    );
    expect((await refused(await writeZip('drive.zip', { 'C:/evil.txt': strToU8('x') }))).code).toBe(
      'unsafe-archive',
    );
    await expectNothingWritten(['abs.zip', 'drive.zip']);
  });

  it('refuses symbolic links', async () => {
    const zip = await writeZip('link.zip', {
      'a.txt': strToU8('fine'),
      link: [strToU8('/etc'), { os: 3, attrs: (0o120777 << 16) >>> 0 }],
    });
    const err = await refused(zip);
    expect(err.code).toBe('unsafe-archive');
    expect(err.message).toContain('symbolic link');
    await expectNothingWritten(['link.zip']);
  });

  it('reports a corrupt archive as such', async () => {
    const path = join(root, 'bad.zip');
    await writeFile(path, 'not a zip at all');
    expect((await refused(path)).code).toBe('bad-archive');
  });
});

describe('unsafeEntryReason', () => {
  it('accepts plain relative names and names the problem otherwise', () => {
    expect(unsafeEntryReason('a/b/c.txt')).toBeNull();
    expect(unsafeEntryReason('a/..b/c..txt')).toBeNull();
    expect(unsafeEntryReason('a/../../c')).toMatch(/\.\./);
    expect(unsafeEntryReason('a\\b')).toMatch(/backslash/);
    expect(unsafeEntryReason('D:x')).toMatch(/drive/);
    expect(unsafeEntryReason('/x')).toMatch(/absolute/);
  });
});
