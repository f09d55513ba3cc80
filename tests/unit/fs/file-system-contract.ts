// One contract for every FileSystem adapter: the same cases run on real temp files (Node) and on
// the in-memory fake, so the fake fails where the disk fails, with the same error codes.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileSystem } from '../../../main/fs/file-system.js';
import { errorCode } from '../../../main/fs/file-system.js';
import { readChunks } from '../../../main/fs/read-chunks.js';

/** A fresh, empty directory on an adapter, with the set-up steps the port itself does not offer. */
export interface ContractFixture {
  fs: FileSystem;
  /** An existing empty directory (absolute). */
  root: string;
  writeFile(path: string, content: string | Uint8Array): void;
  symlink(target: string, path: string): void;
  cleanup(): void | Promise<void>;
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return errorCode(e) ?? `not an fs error: ${String(e)}`;
  }
  return 'no error';
}

async function streamText(s: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts).toString('utf8');
}

async function text(fs: FileSystem, path: string): Promise<string> {
  return fs.readText(path);
}

export function fileSystemContract(
  name: string,
  make: () => ContractFixture | Promise<ContractFixture>,
): void {
  describe(`FileSystem contract: ${name}`, () => {
    let fx: ContractFixture;
    let fs: FileSystem;
    let at: (...parts: string[]) => string;
    beforeEach(async () => {
      fx = await make();
      fs = fx.fs;
      at = (...parts) => join(fx.root, ...parts);
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('stats files and directories, and lists a directory with entry types', async () => {
      fx.writeFile(at('a.txt'), 'hello');
      await fs.mkdir(at('sub'));
      fx.symlink(at('a.txt'), at('link'));
      const st = await fs.stat(at('a.txt'));
      expect([st.size, st.isFile(), st.isDirectory()]).toEqual([5, true, false]);
      expect(st.mtimeMs).toBeGreaterThan(0);
      expect((await fs.stat(at('sub'))).isDirectory()).toBe(true);
      expect((await fs.lstat(at('link'))).isSymbolicLink()).toBe(true);
      expect((await fs.stat(at('link'))).isFile()).toBe(true);
      // The same file under two names has one identity (dev, ino).
      const viaLink = await fs.stat(at('link'));
      expect([viaLink.dev, viaLink.ino]).toEqual([st.dev, st.ino]);
      const entries = (await fs.readdir(fx.root))
        .map(
          (e) =>
            `${e.name}:${e.isFile() ? 'f' : e.isDirectory() ? 'd' : e.isSymbolicLink() ? 'l' : '?'}`,
        )
        .sort();
      expect(entries).toEqual(['a.txt:f', 'link:l', 'sub:d']);
    });

    it('fails like Node: ENOENT, ENOTDIR, EEXIST, EISDIR, ENOTEMPTY', async () => {
      fx.writeFile(at('file'), 'x');
      await fs.mkdir(at('full'));
      fx.writeFile(at('full', 'inside'), 'y');
      await fs.mkdir(at('empty'));
      expect(await codeOf(fs.stat(at('missing')))).toBe('ENOENT');
      expect(await codeOf(fs.lstat(at('missing')))).toBe('ENOENT');
      expect(await codeOf(fs.readdir(at('missing')))).toBe('ENOENT');
      expect(await codeOf(fs.readdir(at('file')))).toBe('ENOTDIR');
      expect(await codeOf(fs.stat(at('file', 'below')))).toBe('ENOTDIR');
      expect(await codeOf(fs.open(at('missing'), 'read'))).toBe('ENOENT');
      expect(await codeOf(fs.open(at('nodir', 'x'), 'append'))).toBe('ENOENT');
      expect(await codeOf(fs.open(at('file'), 'create-new'))).toBe('EEXIST');
      expect(await codeOf(fs.open(at('full'), 'truncate'))).toBe('EISDIR');
      expect(await codeOf(fs.readText(at('full')))).toBe('EISDIR');
      expect(await codeOf(fs.mkdir(at('file')))).toBe('EEXIST');
      expect(await codeOf(fs.mkdir(at('full')))).toBe('EEXIST');
      expect(await codeOf(fs.mkdir(at('a', 'b')))).toBe('ENOENT');
      expect(await codeOf(fs.mkdir(at('file', 'b'), { recursive: true }))).toBe('ENOTDIR');
      expect(await codeOf(fs.mkdir(at('file'), { recursive: true }))).toBe('EEXIST');
      expect(await codeOf(fs.unlink(at('missing')))).toBe('ENOENT');
      expect(await codeOf(fs.unlink(at('full')))).toBe('EISDIR');
      expect(await codeOf(fs.rename(at('missing'), at('x')))).toBe('ENOENT');
      expect(await codeOf(fs.rename(at('empty'), at('full')))).toBe('ENOTEMPTY');
      expect(await codeOf(fs.rename(at('file'), at('empty')))).toBe('EISDIR');
      expect(await codeOf(fs.rename(at('empty'), at('file')))).toBe('ENOTDIR');
      expect(await codeOf(fs.link(at('file'), at('full', 'inside')))).toBe('EEXIST');
      expect(await codeOf(fs.link(at('missing'), at('new')))).toBe('ENOENT');
      expect(await codeOf(fs.truncate(at('missing'), 0))).toBe('ENOENT');
      expect(await codeOf(fs.realpath(at('missing')))).toBe('ENOENT');
      // Nothing was changed by the failures.
      expect((await fs.readdir(at('full'))).map((e) => e.name)).toEqual(['inside']);
      expect(await text(fs, at('file'))).toBe('x');
    });

    it('resolves symbolic links, and reports loops and broken links', async () => {
      await fs.mkdir(at('real', 'deep'), { recursive: true });
      fx.writeFile(at('real', 'deep', 'f.txt'), 'f');
      fx.symlink(at('real'), at('alias'));
      fx.symlink(at('loop-b'), at('loop-a'));
      fx.symlink(at('loop-a'), at('loop-b'));
      fx.symlink(at('nowhere'), at('broken'));
      const realRoot = await fs.realpath(fx.root);
      expect(await fs.realpath(at('alias', 'deep', 'f.txt'))).toBe(
        join(realRoot, 'real', 'deep', 'f.txt'),
      );
      expect(await text(fs, at('alias', 'deep', 'f.txt'))).toBe('f');
      expect(await codeOf(fs.realpath(at('loop-a')))).toBe('ELOOP');
      expect(await codeOf(fs.stat(at('loop-a')))).toBe('ELOOP');
      expect(await codeOf(fs.realpath(at('broken')))).toBe('ENOENT');
      expect(await codeOf(fs.stat(at('broken')))).toBe('ENOENT');
      expect((await fs.lstat(at('broken'))).isSymbolicLink()).toBe(true);
    });

    it('opens files to read at positions, append, truncate and create exclusively', async () => {
      fx.writeFile(at('data'), '0123456789');
      const r = await fs.open(at('data'), 'read');
      const buf = new Uint8Array(4);
      expect(await r.read(buf, 0, 4, 3)).toBe(4);
      expect(Buffer.from(buf).toString()).toBe('3456');
      expect(await r.read(buf, 0, 4, null)).toBe(4);
      expect(Buffer.from(buf).toString()).toBe('0123');
      expect(await r.read(buf, 0, 4, 8)).toBe(2);
      expect(await r.read(buf, 0, 4, 10)).toBe(0);
      await r.close();

      const a = await fs.open(at('data'), 'append');
      await a.write(Buffer.from('ab'));
      await a.sync();
      await a.close();
      expect(await text(fs, at('data'))).toBe('0123456789ab');

      const t = await fs.open(at('data'), 'truncate');
      await t.write(Buffer.from('new'));
      await t.write(Buffer.from('er'));
      await t.close();
      expect(await text(fs, at('data'))).toBe('newer');

      const c = await fs.open(at('fresh'), 'create-new');
      await c.write(Buffer.from('one'));
      await c.close();
      expect(await text(fs, at('fresh'))).toBe('one');
      expect(await codeOf(fs.open(at('fresh'), 'create-new'))).toBe('EEXIST');

      await fs.truncate(at('fresh'), 1);
      expect(await text(fs, at('fresh'))).toBe('o');
      await fs.truncate(at('fresh'), 3);
      expect([...Buffer.from(await fs.readText(at('fresh')))]).toEqual([0x6f, 0, 0]);
    });

    it('streams a byte range, and fails the stream for a missing file', async () => {
      const big = Buffer.alloc(300 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = i % 251;
      fx.writeFile(at('big'), big);
      const parts: Buffer[] = [];
      for await (const c of fs.readStream(at('big'), { start: 1000, end: 250_000 }))
        parts.push(Buffer.from(c as Uint8Array));
      expect(Buffer.concat(parts).equals(big.subarray(1000, 250_000))).toBe(true);
      fx.writeFile(at('small'), 'abcdef');
      expect(await streamText(fs.readStream(at('small')))).toBe('abcdef');
      expect(await streamText(fs.readStream(at('small'), { start: 2 }))).toBe('cdef');
      expect(await streamText(fs.readStream(at('small'), { start: 2, end: 2 }))).toBe('');
      // A range past the end stops at the end: a file that shrank yields fewer bytes.
      expect(await streamText(fs.readStream(at('small'), { start: 4, end: 100 }))).toBe('ef');
      expect(await codeOf(streamText(fs.readStream(at('gone'))))).toBe('ENOENT');
      expect(await codeOf(streamText(fs.readStream(at('gone'), { start: 0, end: 0 })))).toBe(
        'ENOENT',
      );
    });

    it('reads a whole file in chunks through one open (readChunks)', async () => {
      const bytes = Buffer.alloc(2_500_000, 7);
      fx.writeFile(at('f'), bytes);
      let total = 0;
      for await (const c of readChunks(fs, at('f'), bytes.length)) total += c.length;
      expect(total).toBe(bytes.length);
      expect(
        await codeOf(
          (async () => {
            for await (const _ of readChunks(fs, at('none'))) void _;
          })(),
        ),
      ).toBe('ENOENT');
    });

    it('renames, links and unlinks without overwriting what it must not', async () => {
      fx.writeFile(at('a'), 'A');
      fx.writeFile(at('b'), 'B');
      await fs.rename(at('a'), at('b'));
      expect(await text(fs, at('b'))).toBe('A');
      expect(await codeOf(fs.stat(at('a')))).toBe('ENOENT');
      await fs.link(at('b'), at('c'));
      await fs.unlink(at('b'));
      expect(await text(fs, at('c'))).toBe('A');
      await fs.mkdir(at('d1'));
      fx.writeFile(at('d1', 'x'), 'x');
      await fs.mkdir(at('d2'));
      await fs.rename(at('d1'), at('d2'));
      expect(await text(fs, at('d2', 'x'))).toBe('x');
      await fs.mkdir(at('p', 'q', 'r'), { recursive: true });
      await fs.mkdir(at('p', 'q'), { recursive: true });
      fx.writeFile(at('p', 'q', 'r', 'f'), 'f');
      await fs.removeTree(at('p'));
      await fs.removeTree(at('p'));
      expect(await codeOf(fs.stat(at('p')))).toBe('ENOENT');
      await fs.syncDir(fx.root);
      const free = await fs.freeBytes(fx.root);
      expect(free === null || free > 0).toBe(true);
    });

    it('watches a directory: a new entry, a removed one and a written file are changes', async () => {
      await fs.mkdir(at('w'));
      let changes = 0;
      const h = fs.watch(at('w'), () => (changes += 1));
      h.on('error', () => undefined);
      const until = async (n: number): Promise<void> => {
        for (let i = 0; i < 200 && changes < n; i++) await new Promise((r) => setTimeout(r, 5));
        expect(changes).toBeGreaterThanOrEqual(n);
      };
      try {
        const f = await fs.open(at('w', 'new'), 'create-new');
        await f.close();
        await until(1);
        const seen = changes;
        await fs.unlink(at('w', 'new'));
        await until(seen + 1);
      } finally {
        h.close();
      }
      expect(() => fs.watch(at('nope'), () => undefined)).toThrow(
        expect.objectContaining({ code: 'ENOENT' }),
      );
    });
  });
}
