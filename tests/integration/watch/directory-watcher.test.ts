// DirectoryWatcher on real temp directories and real fs.watch: which directories it watches as
// the tree changes (counted through its ports, so a leaked watch shows), how it coalesces a
// burst, and the watch-limit fallback when fs.watch refuses.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FileSystem } from '../../../main/fs/file-system.js';
import { nodeFileSystem } from '../../../main/fs/node-file-system.js';
import {
  DirectoryWatcher,
  directoryWatcherFactory,
} from '../../../main/watch/directory-watcher.js';
import type { Logger } from '../../../main/core/logger.js';
import { silentLogger } from '../../../main/core/logger.js';
import { systemClock } from '../../../main/service/system-clock.js';
import { compileFilter } from '../../../main/watch/filter.js';
import type { Harness } from './harness.js';
import { makeHarness } from './harness.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

/** Real ports that count open OS watches and directory listings, with an optional refusal. */
function countingPorts(refuse?: (path: string) => string | null): {
  ports: FileSystem;
  open: Set<string>;
  listed: string[];
} {
  const open = new Set<string>();
  const listed: string[] = [];
  const ports: FileSystem = {
    ...nodeFileSystem,
    readdir: (p) => {
      listed.push(p);
      return nodeFileSystem.readdir(p);
    },
    watch(path, onChange) {
      const code = refuse?.(path);
      if (code) throw Object.assign(new Error(`${code}: injected, watch '${path}'`), { code });
      const h = nodeFileSystem.watch(path, onChange);
      open.add(path);
      return {
        on: (event, listener) => h.on(event, listener),
        close() {
          open.delete(path);
          h.close();
        },
      };
    },
  };
  return { ports, open, listed };
}

function tree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cvat-sync-dirwatch-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'media');
  mkdirSync(root);
  return root;
}

function start(
  root: string,
  ports: FileSystem,
  over: { exclude?: string[] } = {},
): { w: DirectoryWatcher; hints: string[][]; errors: unknown[] } {
  const filter = compileFilter({ include: [], exclude: over.exclude ?? [] });
  const hints: string[][] = [];
  const errors: unknown[] = [];
  const w = new DirectoryWatcher(
    {
      root,
      polling: false,
      pollIntervalMs: 1000,
      ignoreDir: (rel) => filter.dir(rel) !== null,
      onHint: (rels) => hints.push([...rels].sort()),
      onError: (e) => errors.push(e),
    },
    ports,
  );
  cleanup.push(() => w.close());
  return { w, hints, errors };
}

describe('DirectoryWatcher', () => {
  it('watches every directory but hidden, excluded and outside-symlinked ones', async () => {
    const root = tree();
    const outside = join(root, '..', 'outside');
    mkdirSync(join(root, 'a/b'), { recursive: true });
    mkdirSync(join(root, '.hidden/inner'), { recursive: true });
    mkdirSync(join(root, 'skip'), { recursive: true });
    mkdirSync(outside);
    symlinkSync(join(root, 'a/b'), join(root, 'link-in'));
    symlinkSync(outside, join(root, 'link-out'));
    symlinkSync(root, join(root, 'a/loop'));
    writeFileSync(join(root, 'a/b/1.jpg'), '1');
    const { ports, open } = countingPorts();
    const { w } = start(root, ports, { exclude: ['skip'] });
    await w.ready;
    // a/b and link-in are the same directory: watched once, under whichever name came first.
    expect(w.watchedDirs.filter((d) => d !== 'link-in' && d !== 'a/b')).toEqual(['', 'a']);
    expect(w.watchedDirs.filter((d) => d === 'link-in' || d === 'a/b')).toHaveLength(1);
    expect(open.size).toBe(3);
  });

  it('watches a subdirectory created after start, nested ones too, and hints them', async () => {
    const root = tree();
    const { ports, open } = countingPorts();
    const { w, hints } = start(root, ports);
    await w.ready;
    expect(w.watchedDirs).toEqual(['']);
    mkdirSync(join(root, 'new/deeper/deepest'), { recursive: true });
    await until('the new directories', () => w.watchedDirs.length === 4);
    expect(w.watchedDirs).toEqual(['', 'new', 'new/deeper', 'new/deeper/deepest']);
    await until('their hint', () => hints.flat().includes('new'));
    // A file written into the deepest new directory is hinted through its own watch.
    const before = hints.length;
    writeFileSync(join(root, 'new/deeper/deepest/x.jpg'), 'x');
    await until('the file hint', () => hints.slice(before).flat().includes('new/deeper/deepest'));
    expect(open.size).toBe(4);
  });

  it('closes the watches of a removed or renamed directory (no leak)', async () => {
    const root = tree();
    mkdirSync(join(root, 'gone/sub'), { recursive: true });
    mkdirSync(join(root, 'moved/sub'), { recursive: true });
    mkdirSync(join(root, 'kept'), { recursive: true });
    const { ports, open } = countingPorts();
    const { w, hints } = start(root, ports);
    await w.ready;
    expect(open.size).toBe(6);
    rmSync(join(root, 'gone'), { recursive: true });
    await until('the removal', () => !w.watchedDirs.includes('gone'));
    expect(w.watchedDirs).toEqual(['', 'kept', 'moved', 'moved/sub']);
    expect(open.size).toBe(4);
    // The removed directory is hinted: the scanner then marks its files missing.
    await until('its hint', () => hints.flat().includes('gone'));
    renameSync(join(root, 'moved'), join(root, 'renamed'));
    await until('the rename', () => w.watchedDirs.includes('renamed/sub'));
    expect(w.watchedDirs).toEqual(['', 'kept', 'renamed', 'renamed/sub']);
    expect(open.size).toBe(4);
    await w.close();
    expect(open.size).toBe(0);
    expect(w.watchedDirs).toEqual([]);
  });

  it('turns a burst of 1,000 new files in one directory into a few re-reads of it', async () => {
    const root = tree();
    mkdirSync(join(root, 'burst'));
    mkdirSync(join(root, 'quiet'));
    const { ports, listed } = countingPorts();
    const { w, hints } = start(root, ports);
    await w.ready;
    listed.length = 0;
    // Written without yielding, as a fast copy lands: every event is queued before the first.
    for (let i = 0; i < 1000; i++) writeFileSync(join(root, 'burst', `${i}.jpg`), `${i}`);
    await until('the hint', () => hints.length > 0);
    await new Promise((r) => setTimeout(r, 300));
    expect(hints).toEqual([['burst']]);
    expect(listed).toEqual([join(root, 'burst')]);
  });

  it('leaves polled folders (network shares) to chokidar', async () => {
    const root = tree();
    const w = directoryWatcherFactory({
      root,
      polling: true,
      pollIntervalMs: 1000,
      ignoreDir: () => false,
      onHint: () => undefined,
      onError: () => undefined,
    });
    cleanup.push(() => w.close());
    await w.ready;
    expect(w).not.toBeInstanceOf(DirectoryWatcher);
  });

  it('reports ENOSPC from fs.watch and closes everything it had opened', async () => {
    const root = tree();
    mkdirSync(join(root, 'a'));
    mkdirSync(join(root, 'b'));
    const { ports, open } = countingPorts((p) => (p.endsWith('b') ? 'ENOSPC' : null));
    const { w, errors } = start(root, ports);
    await w.ready;
    expect(errors).toMatchObject([{ code: 'ENOSPC' }]);
    expect(open.size).toBe(0);
    expect(w.watchedDirs).toEqual([]);
  });

  it('reports EMFILE for a directory created after start', async () => {
    const root = tree();
    const { ports, open } = countingPorts((p) => (p.endsWith('late') ? 'EMFILE' : null));
    const { w, errors } = start(root, ports);
    await w.ready;
    expect(open.size).toBe(1);
    mkdirSync(join(root, 'late'));
    await until('the error', () => errors.length > 0);
    expect(errors).toMatchObject([{ code: 'EMFILE' }]);
    expect(open.size).toBe(0);
  });
});

describe('DirectoryWatcher in FolderSync', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('falls back to periodic scans with the sysctl fix when fs.watch hits the watch limit', async () => {
    const { ports, open } = countingPorts((p) => (p.endsWith('deep') ? 'ENOSPC' : null));
    let made = 0;
    h = makeHarness(
      {},
      {
        watcherFactory: (o) => {
          made += 1;
          return new DirectoryWatcher(o, ports);
        },
        fallbackScanIntervalMs: 60_000,
      },
    );
    h.write('a/deep/1.jpg', '1');
    const health = new Promise((resolve) =>
      h.sync.events.on('health', (e) => e.health.state === 'watch-limit' && resolve(e.health)),
    );
    await h.sync.start();
    expect(await health).toMatchObject({
      state: 'watch-limit',
      message: expect.stringMatching(/ran out of file watches.*full scan every 1 min/),
      fix: expect.stringContaining('sudo sysctl fs.inotify.max_user_watches=524288'),
    });
    expect(open.size).toBe(0);
    h.write('b/2.jpg', '2');
    for (let i = 0; i < 200 && h.planned().length < 2; i++) {
      await h.clock.advance(10_000);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(h.planned().map((b) => b.name)).toEqual(['media/a', 'media/b']);
    expect(made).toBe(1);
  });

  it('moves a folder that outgrew the threshold from chokidar to the directory watcher', async () => {
    const chosen: unknown[] = [];
    const logger: Logger = {
      ...silentLogger,
      info: (message, fields) => {
        if (message === 'watching folder') chosen.push(fields?.watcher);
      },
    };
    h = makeHarness(
      { settleSeconds: 0.2, split: { kind: 'file' } },
      {
        watcherFactory: undefined,
        watcherChoice: { platform: 'darwin', directoryMinFiles: 2 },
        logger,
        clock: systemClock,
        fullScanIntervalMs: 3_600_000,
      },
    );
    for (const n of [1, 2, 3]) h.write(`${n}.jpg`, `${n}`);
    const planned: string[] = [];
    h.sync.events.on('planned', (e) => planned.push(...e.batches.map((b) => b.name)));
    await h.sync.start();
    await until('the switch', () => chosen.length === 2);
    expect(chosen).toEqual(['chokidar', 'directory']);
    // Hints still arrive through the new watcher, long before the next full scan.
    await until('the first plans', () => planned.length === 3);
    h.write('sub/new.jpg', 'new');
    await until('the new file', () => planned.includes('media/new.jpg'));
    expect(h.folders.get(h.folderId)?.lastScanAt).toBeLessThan(systemClock.now() - 100);
    expect(chosen).toEqual(['chokidar', 'directory']);
  });
});
