// Archive extraction through the FileSystem port, on real temp files and on the in-memory fake.
import { zipSync, strToU8 } from 'fflate';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SyncError } from '../../../../main/core/errors.js';
import { extractZip, unsafeEntryReason } from '../../../../main/engine/results/extract-zip.js';
import type { ExtractLimits } from '../../../../main/engine/results/extract-zip.js';
import type { FileSystem } from '../../../../main/fs/file-system.js';
import { MemoryFileSystem } from '../../../../main/fs/memory-file-system.js';
import { nodeFileSystem } from '../../../../main/fs/node-file-system.js';

const disks: Array<{
  name: string;
  make: () => Promise<{ fs: FileSystem; root: string; cleanup: () => Promise<void> }>;
}> = [
  {
    name: 'real files',
    async make() {
      const root = await mkdtemp(join(tmpdir(), 'extract-'));
      return {
        fs: nodeFileSystem,
        root,
        cleanup: () => rm(root, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'the in-memory fake',
    async make() {
      const fs = new MemoryFileSystem();
      await fs.mkdir('/home/user/results', { recursive: true });
      return { fs, root: '/home/user/results', cleanup: async () => undefined };
    },
  },
];

let fs: FileSystem;
let root: string;
let dest: string;

async function readdir(path: string): Promise<string[]> {
  return (await fs.readdir(path)).map((e) => e.name);
}

async function readFile(path: string): Promise<Buffer>;
async function readFile(path: string, encoding: 'utf8'): Promise<string>;
async function readFile(path: string, encoding?: 'utf8'): Promise<Buffer | string> {
  const parts: Buffer[] = [];
  for await (const c of fs.readStream(path)) parts.push(Buffer.from(c as Uint8Array));
  const bytes = Buffer.concat(parts);
  return encoding ? bytes.toString(encoding) : bytes;
}

async function writeFile(path: string, data: string | Uint8Array): Promise<void> {
  const file = await fs.open(path, 'truncate');
  await file.write(typeof data === 'string' ? Buffer.from(data) : data);
  await file.close();
}

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

async function refused(zip: string, limits?: ExtractLimits): Promise<SyncError> {
  const err = await extractZip(fs, zip, dest, 't1', limits).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SyncError);
  return err as SyncError;
}

describe.each(disks)('extractZip on $name', ({ make }) => {
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ fs, root, cleanup } = await make());
    dest = join(root, 'out');
  });
  afterEach(async () => {
    await cleanup();
  });

  it('extracts nested entries into a folder named after the archive, "(2)" when taken', async () => {
    const zip = await writeZip('task_1 coco.zip', {
      'annotations/instances_default.json': strToU8('{"images":[]}'),
      'images/': {},
      'images/a.jpg': strToU8('jpeg bytes'),
    });
    const first = await extractZip(fs, zip, root, 't1');
    expect(first).toBe(join(root, 'task_1 coco'));
    expect(await readFile(join(first, 'annotations/instances_default.json'), 'utf8')).toBe(
      '{"images":[]}',
    );
    expect(await readFile(join(first, 'images/a.jpg'), 'utf8')).toBe('jpeg bytes');
    const second = await extractZip(fs, zip, root, 't2');
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

  it('refuses Windows device names in any segment, with any extension or case', async () => {
    const names = [
      'CON',
      'con.txt',
      'aux/x.txt',
      'images/LPT1.tar.gz',
      'Nul',
      'com9.log',
      'prn .txt',
      'a/CONOUT$',
    ];
    const archives: string[] = [];
    for (const [i, name] of names.entries()) {
      const file = `dev${i}.zip`;
      archives.push(file);
      const err = await refused(
        await writeZip(file, { 'ok.txt': strToU8('x'), [name]: strToU8('x') }),
      );
      expect(err.code).toBe('unsafe-archive');
      expect(err.message).toContain('Windows device name');
    }
    await expectNothingWritten(archives);
  });

  it('refuses alternate data streams and names ending in a dot or space', async () => {
    const cases: [string, RegExp][] = [
      ['a.txt:ads', /alternate data stream/],
      ['dir:stream/x.txt', /alternate data stream/],
      ['a.txt.', /dot or space/],
      ['dir /x.txt', /dot or space/],
      ['images/x ', /dot or space/],
    ];
    const archives: string[] = [];
    for (const [i, [name, reason]] of cases.entries()) {
      const file = `name${i}.zip`;
      archives.push(file);
      const err = await refused(await writeZip(file, { [name]: strToU8('x') }));
      expect(err.code).toBe('unsafe-archive');
      expect(err.message).toMatch(reason);
    }
    await expectNothingWritten(archives);
  });

  it('refuses more entries than the cap before writing anything', async () => {
    const entries: Record<string, Uint8Array> = {};
    for (let i = 0; i < 5; i++) entries[`f${i}.txt`] = strToU8('x');
    const zip = await writeZip('many.zip', entries);
    const err = await refused(zip, { maxEntries: 4 });
    expect(err.code).toBe('archive-too-large');
    expect(err.message).toBe(
      'Refused to extract the archive: it unpacks to 5 entries; the limit is 4 entries.',
    );
    await expectNothingWritten(['many.zip']);
    expect(await readdir(await extractZip(fs, zip, dest, 't2', { maxEntries: 5 }))).toHaveLength(5);
  });

  it('refuses a zip bomb: more uncompressed bytes than the cap, counted as written', async () => {
    const mib = new Uint8Array(1024 * 1024); // zeros: a few hundred bytes compressed
    const zip = await writeZip('bomb.zip', { 'a.bin': mib, 'b.bin': mib, 'c.bin': mib });
    const err = await refused(zip, { maxBytes: 2.5 * 1024 * 1024 });
    expect(err.code).toBe('archive-too-large');
    expect(err.message).toMatch(
      /more than 2621440 bytes \(at "c\.bin"\); the limit is 2621440 bytes/,
    );
    expect(err.hint).toMatch(/kept/);
    await expectNothingWritten(['bomb.zip']);
    const ok = await extractZip(fs, zip, dest, 't2', { maxBytes: 3 * 1024 * 1024 });
    expect((await readFile(join(ok, 'c.bin'))).length).toBe(1024 * 1024);
  });

  it('a header that understates the size does not get past the cap', async () => {
    const real = new Uint8Array(1024 * 1024);
    const bytes = zipSync({ 'small.bin': real });
    // Claim 10 bytes in the local header (offset 22) and the central directory entry (offset 24).
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    view.setUint32(22, 10, true);
    let cd = -1;
    for (let i = bytes.length - 22; i >= 0; i--)
      if (view.getUint32(i, true) === 0x02014b50) {
        cd = i;
        break;
      }
    expect(cd).toBeGreaterThan(0);
    view.setUint32(cd + 24, 10, true);
    const path = join(root, 'liar.zip');
    await writeFile(path, bytes);
    const err = await refused(path, { maxBytes: 1000 });
    expect(err.code).toBe('unsafe-archive');
    expect(err.message).toMatch(/"small\.bin" does not match the size its header claims/);
    await expectNothingWritten(['liar.zip']);
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
    for (const fine of [
      'console.txt',
      'auxiliary/x.txt',
      'com10.txt',
      'CONFIG',
      '.hidden',
      'a. b',
      'nul-data/a',
    ])
      expect(unsafeEntryReason(fine)).toBeNull();
  });
});
