import { rmSync, unlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { WatcherFactory, WatcherOptions } from '../../../main/watch/folder-watcher.js';
import type { FileHandle, FileSystem } from '../../../main/fs/file-system.js';
import { nodeFileSystem } from '../../../main/fs/node-file-system.js';
import type { Harness } from './harness.js';
import { makeHarness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

function fsError(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected, open '${path}'`), { code });
}

/** The real filesystem, with failures injected per path (tests run as root, where chmod 000 denies nothing). */
function faultyFs(faults: {
  open?: (p: string) => string | null;
  readdir?: (p: string) => string | null;
  /** Wraps the handle a file is read through. */
  reading?: (p: string, file: FileHandle) => FileHandle;
}): FileSystem {
  return {
    ...nodeFileSystem,
    async readdir(p) {
      const code = faults.readdir?.(p);
      if (code) throw fsError(code, p);
      return nodeFileSystem.readdir(p);
    },
    async open(p, mode) {
      const code = faults.open?.(p);
      if (code) throw fsError(code, p);
      const file = await nodeFileSystem.open(p, mode);
      return mode === 'read' && faults.reading ? faults.reading(p, file) : file;
    },
  };
}

describe('robustness', () => {
  it('records permission denied and picks the file up once it can be read', async () => {
    let denied = true;
    const fs = faultyFs({
      open: (p) => (denied && p.endsWith('locked.jpg') ? 'EACCES' : null),
    });
    h = makeHarness({ split: { kind: 'file' } }, { fs });
    h.write('locked.jpg', 'l');
    h.write('open.jpg', 'o');
    await h.syncOnce();
    const row = h.files.byPath(h.folderId, 'locked.jpg');
    expect([row?.state, row?.reason, row?.detail]).toEqual([
      'ignored',
      'permission-denied',
      'cannot open it for reading',
    ]);
    expect(h.planned().map((b) => b.files)).toEqual([['open.jpg']]);
    denied = false;
    await h.syncOnce();
    expect(h.planned().map((b) => b.files)).toEqual([['open.jpg'], ['locked.jpg']]);
  });

  it('an unreadable subfolder is reported and its known files are not marked missing', async () => {
    let denied = false;
    const fs = faultyFs({ readdir: (p) => (denied && p.endsWith('/private') ? 'EACCES' : null) });
    h = makeHarness({}, { fs });
    h.write('private/a.jpg', 'a');
    await h.syncOnce();
    denied = true;
    await h.sync.step(h.folderId, { full: true });
    expect(h.sync.health(h.folderId).message).toBe(
      '1 folder could not be read (permission denied): private.',
    );
    expect(h.files.byPath(h.folderId, 'private/a.jpg')?.missingSince).toBeNull();
  });

  it('a file vanishing mid-hash is not planned', async () => {
    let vanish = true;
    const fs = faultyFs({
      // The first read gets one byte; then the file is deleted and the next read fails.
      reading: (p, file) => {
        let reads = 0;
        return {
          ...file,
          async read(buffer, offset, length, position) {
            reads += 1;
            if (reads > 1 && vanish && p.endsWith('gone.jpg')) {
              unlinkSync(p);
              throw fsError('ENOENT', p);
            }
            return file.read(buffer, offset, reads === 1 ? 1 : length, position);
          },
        };
      },
    });
    h = makeHarness({ split: { kind: 'file' } }, { fs });
    h.write('gone.jpg', 'going away');
    h.write('stays.jpg', 'staying');
    await h.syncOnce();
    expect(h.files.byPath(h.folderId, 'gone.jpg')?.missingSince).not.toBeNull();
    expect(h.planned().map((b) => b.files)).toEqual([['stays.jpg']]);
    // Deleted after the hash completed, before the re-stat: caught by the re-stat.
    vanish = false;
    const late = faultyFs({
      reading: (p, file) => ({
        ...file,
        async read(buffer, offset, length, position) {
          const n = await file.read(buffer, offset, length, position);
          if (p.endsWith('late.jpg')) rmSync(p, { force: true });
          return n;
        },
      }),
    });
    h.restart({ fs: late });
    h.write('late.jpg', 'late');
    await h.syncOnce();
    expect(h.files.byPath(h.folderId, 'late.jpg')?.missingSince).not.toBeNull();
    expect(h.planned()).toHaveLength(1);
  });

  it('falls back to periodic scans with the exact fix when the watcher hits the watch limit', async () => {
    const made: WatcherOptions[] = [];
    const factory: WatcherFactory = (o) => {
      made.push(o);
      queueMicrotask(() => o.onError(fsError('ENOSPC', o.root)));
      return { ready: Promise.resolve(), close: async () => undefined };
    };
    h = makeHarness({}, { watcherFactory: factory, fallbackScanIntervalMs: 60_000 });
    const health = new Promise((resolve) =>
      h.sync.events.on('health', (e) => e.health.state === 'watch-limit' && resolve(e.health)),
    );
    h.write('a/1.jpg', '1');
    await h.sync.start();
    expect(await health).toMatchObject({
      state: 'watch-limit',
      message: expect.stringMatching(/ran out of file watches.*full scan every 1 min/),
      fix: expect.stringContaining('sudo sysctl fs.inotify.max_user_watches=524288'),
    });
    expect(h.sync.health(h.folderId).fix).toContain('/etc/sysctl.d/');
    expect(made).toHaveLength(1);
    // New files are still found: by the fallback scan, without any watcher event.
    const planned = new Promise((resolve) =>
      h.sync.events.on('planned', (e) => resolve(e.batches.map((b) => b.name))),
    );
    h.write('b/2.jpg', '2');
    for (let i = 0; i < 200 && h.planned().length < 2; i++) {
      await h.clock.advance(10_000);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await planned).toBeTruthy();
    expect(h.planned().map((b) => b.name)).toEqual(['media/a', 'media/b']);
    expect(made).toHaveLength(1);
  });
});
