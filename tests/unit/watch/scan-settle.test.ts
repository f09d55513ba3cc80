// The scanner and the stability gate over the FileSystem port, on real temp files and on the
// in-memory fake: the same walks, symlink verdicts, hashes and failures on both, with a real
// journal file behind them.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../main/core/clock.js';
import type { FileSystem } from '../../../main/fs/file-system.js';
import { MemoryFileSystem } from '../../../main/fs/memory-file-system.js';
import { nodeFileSystem } from '../../../main/fs/node-file-system.js';
import type { Db } from '../../../main/journal/database.js';
import { openJournal } from '../../../main/journal/database.js';
import { FileRepo } from '../../../main/journal/file-repo.js';
import { FolderRepo } from '../../../main/journal/folder-repo.js';
import { compileFilter } from '../../../main/watch/filter.js';
import { Scanner } from '../../../main/watch/scanner.js';
import { StabilityGate } from '../../../main/watch/stability-gate.js';
import { rule, SERVER } from '../../integration/watch/harness.js';
import { overriding } from '../fs/overriding.js';
import { mediaFixture } from '../../cvat-server/fixture-media.js';

interface Tree {
  fs: FileSystem;
  /** The parent of the synced folder: room for things outside it. */
  base: string;
  write(path: string, content: string): void;
  symlink(target: string, path: string): void;
  remove(path: string): void;
  cleanup(): void;
}

const trees: Array<{ name: string; make: () => Tree }> = [
  {
    name: 'real files',
    make() {
      const base = mkdtempSync(join(tmpdir(), 'cvat-sync-scan-'));
      return {
        fs: nodeFileSystem,
        base,
        write(path, content) {
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, bytes(path, content));
        },
        symlink: (target, path) => symlinkSync(target, path),
        remove: (path) => rmSync(path, { recursive: true, force: true }),
        cleanup: () => rmSync(base, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'the in-memory fake',
    make() {
      const fs = new MemoryFileSystem();
      return {
        fs,
        base: '/srv/data',
        write: (path, content) => fs.writeFile(path, bytes(path, content)),
        symlink: (target, path) => fs.symlink(target, path),
        remove: (path) => void fs.removeTree(path),
        cleanup: () => undefined,
      };
    },
  },
];

const SETTLE_MS = 10_000;
const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
/** A real image tagged with the text (the gate keeps out bytes that are not what the name says). */
const bytes = (name: string, tag: string): Buffer => mediaFixture(name, tag) ?? Buffer.from(tag);

describe.each(trees)('scanner and stability gate on $name', ({ make }) => {
  let tree: Tree;
  let root: string;
  let dbDir: string;
  let db: Db;
  let files: FileRepo;
  let folderId: number;
  let clock: FakeClock;

  beforeEach(async () => {
    tree = make();
    root = join(tree.base, 'media');
    await tree.fs.mkdir(root, { recursive: true });
    dbDir = mkdtempSync(join(tmpdir(), 'cvat-sync-scan-db-'));
    db = openJournal(join(dbDir, 'journal.sqlite'));
    clock = new FakeClock();
    folderId = new FolderRepo(db, clock).insert(rule({ path: root }), { server: SERVER }).id;
    files = new FileRepo(db);
  });
  afterEach(() => {
    db.close();
    rmSync(dbDir, { recursive: true, force: true });
    tree.cleanup();
  });

  const target = () => ({ folderId, root, filter: compileFilter(rule({ path: root })) });
  const gateTarget = () => ({ folderId, root, settleMs: SETTLE_MS });
  const row = (rel: string) => files.byPath(folderId, rel);

  async function scanAndSettle(fs: FileSystem = tree.fs) {
    const scan = await new Scanner(files, fs, clock).scanFull(target());
    await clock.advance(SETTLE_MS + 1);
    const gate = await new StabilityGate(files, fs, clock).process(gateTarget());
    return { scan, gate };
  }

  it('walks the tree and records each settled file with its SHA-256', async () => {
    tree.write(join(root, 'a.jpg'), 'alpha');
    tree.write(join(root, 'day', 'b.png'), 'bravo!');
    tree.write(join(root, '.hidden', 'c.jpg'), 'hidden');
    const early = await new Scanner(files, tree.fs, clock).scanFull(target());
    // Three entries: two files and the hidden folder, recorded as ignored and not walked.
    expect(early).toMatchObject({ status: 'ok', files: 3, unreadable: [] });
    expect([row('a.jpg')?.state, row('a.jpg')?.size]).toEqual([
      'seen',
      bytes('a.jpg', 'alpha').length,
    ]);
    // Not settled yet: nothing is hashed.
    expect(await new StabilityGate(files, tree.fs, clock).process(gateTarget())).toMatchObject({
      stable: 0,
      nextDueAt: clock.now() + SETTLE_MS,
    });
    await clock.advance(SETTLE_MS + 1);
    const gate = await new StabilityGate(files, tree.fs, clock).process(gateTarget());
    expect(gate).toMatchObject({ stable: 2, changed: 0, missing: 0 });
    expect([row('a.jpg')?.state, row('a.jpg')?.sha256]).toEqual([
      'stable',
      sha(bytes('a.jpg', 'alpha')),
    ]);
    expect(row('day/b.png')?.sha256).toBe(sha(bytes('b.png', 'bravo!')));
    expect(row('.hidden')?.state).toBe('ignored');
    expect(row('.hidden/c.jpg')).toBeUndefined();
  });

  it('gives symbolic links their verdicts: inside followed, outside, loops and broken ones not', async () => {
    tree.write(join(root, 'real', 'x.jpg'), 'x');
    tree.write(join(tree.base, 'outside', 'y.jpg'), 'y');
    tree.symlink(join(root, 'real'), join(root, 'alias'));
    tree.symlink(join(tree.base, 'outside'), join(root, 'out'));
    tree.symlink(root, join(root, 'real', 'up'));
    tree.symlink(join(root, 'nothing'), join(root, 'broken.jpg'));
    await new Scanner(files, tree.fs, clock).scanFull(target());
    expect(row('real/x.jpg')?.state).toBe('seen');
    expect([row('out')?.state, row('out')?.reason]).toEqual(['ignored', 'symlink-outside']);
    expect(row('real/up')?.reason).toBe('symlink-loop');
    expect(row('broken.jpg')?.reason).toBe('broken-symlink');
    // A link to a directory inside the folder is walked like the directory itself.
    expect(row('alias/x.jpg')?.state).toBe('seen');
  });

  it('a file that changes after it was seen starts over; a deleted one is missing', async () => {
    tree.write(join(root, 'grows.jpg'), 'v1');
    tree.write(join(root, 'goes.jpg'), 'bye');
    await new Scanner(files, tree.fs, clock).scanFull(target());
    tree.write(join(root, 'grows.jpg'), 'v2 longer');
    tree.remove(join(root, 'goes.jpg'));
    await clock.advance(SETTLE_MS + 1);
    const gate = await new StabilityGate(files, tree.fs, clock).process(gateTarget());
    expect(gate).toMatchObject({ stable: 0, changed: 1, missing: 1 });
    expect([row('grows.jpg')?.state, row('grows.jpg')?.size]).toEqual([
      'seen',
      bytes('grows.jpg', 'v2 longer').length,
    ]);
    expect(row('goes.jpg')?.missingSince).not.toBeNull();
    await clock.advance(SETTLE_MS + 1);
    await new StabilityGate(files, tree.fs, clock).process(gateTarget());
    expect(row('grows.jpg')?.sha256).toBe(sha(bytes('grows.jpg', 'v2 longer')));
  });

  it('keeps an unreadable file out with its reason, and a vanished root marks nothing missing', async () => {
    tree.write(join(root, 'locked.jpg'), 'l');
    tree.write(join(root, 'open.jpg'), 'o');
    const denied = overriding(tree.fs, {
      open: async (path, mode) => {
        if (path.endsWith('locked.jpg'))
          throw Object.assign(new Error(`EACCES: open '${path}'`), { code: 'EACCES' });
        return tree.fs.open(path, mode);
      },
    });
    const { gate } = await scanAndSettle(denied);
    expect(gate).toMatchObject({ stable: 1, ignored: 1 });
    expect([row('locked.jpg')?.state, row('locked.jpg')?.reason]).toEqual([
      'ignored',
      'permission-denied',
    ]);
    tree.remove(root);
    expect(await new Scanner(files, tree.fs, clock).scanFull(target())).toEqual({
      status: 'missing',
      why: 'absent',
    });
    expect(row('open.jpg')?.missingSince).toBeNull();
  });
});
