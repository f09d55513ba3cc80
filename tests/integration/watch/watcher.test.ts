import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../main/service/system-clock.js';
import { directoryWatcherFactory } from '../../../main/watch/directory-watcher.js';
import type { WatcherFactory } from '../../../main/watch/folder-watcher.js';
import { chokidarWatcherFactory } from '../../../main/watch/folder-watcher.js';
import type { Harness } from './harness.js';
import { SERVER, makeHarness, rule } from './harness.js';
import { jpegWithTag } from '../../cvat-server/fixture-media.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

// Both OS watchers must give the same hints: each shared test runs against each of them.
const watchers: Array<[string, WatcherFactory]> = [
  ['chokidar', chokidarWatcherFactory],
  ['directory', directoryWatcherFactory],
];

describe.each(watchers)('%s hint + real clock', (_name, factory) => {
  it('plans new files found through watcher events, long before the next full scan', async () => {
    h = makeHarness(
      { settleSeconds: 0.2, split: { kind: 'file' } },
      { watcherFactory: factory, clock: systemClock, fullScanIntervalMs: 3_600_000 },
    );
    h.write('old.jpg', 'old');
    const planned: string[] = [];
    const first = new Promise<void>((resolve) =>
      h.sync.events.on('planned', (e) => {
        planned.push(...e.batches.map((b) => b.name));
        if (planned.includes('media/new.jpg') && planned.includes('media/new.jpg (2)')) resolve();
      }),
    );
    const watching = new Promise<void>((resolve) =>
      h.sync.events.on('health', (e) => e.health.state === 'watching' && resolve()),
    );
    await h.sync.start();
    await watching;
    h.write('sub/new.jpg', 'new');
    h.write('new.jpg', 'new too');
    await first;
    expect(h.folders.get(h.folderId)?.lastScanAt).toBeLessThan(systemClock.now() - 100);
    expect(planned.sort()).toEqual(['media/new.jpg', 'media/new.jpg (2)', 'media/old.jpg']);
  });
});

describe.each(watchers)(
  'watchFolder with the %s watcher (cvat-sync watch DIR)',
  (_name, factory) => {
    it('runs an unsaved folder with the OS watcher, leaving the saved folders stopped', async () => {
      const hints: string[] = [];
      h = makeHarness(
        { settleSeconds: 0.2, split: { kind: 'file' } },
        {
          clock: systemClock,
          fullScanIntervalMs: 3_600_000,
          watcherFactory: (o) => {
            hints.push(o.root);
            return factory({
              ...o,
              onHint: (rels) => {
                hints.push(...rels);
                o.onHint(rels);
              },
            });
          },
        },
      );
      const adHoc = join(h.dir, 'adhoc');
      mkdirSync(adHoc);
      writeFileSync(join(adHoc, 'old.jpg'), jpegWithTag('old'));
      const id = h.folders.insert(
        rule({ path: adHoc, settleSeconds: 0.2, split: { kind: 'file' } }),
        {
          server: SERVER,
          saved: false,
        },
      ).id;
      const planned: string[] = [];
      const got = new Promise<void>((resolve) =>
        h.sync.events.on('planned', (e) => {
          if (e.folderId !== id) return;
          planned.push(...e.batches.map((b) => b.name));
          if (planned.includes('adhoc/new.jpg')) resolve();
        }),
      );
      const watching = new Promise<void>((resolve) =>
        h.sync.events.on(
          'health',
          (e) => e.folderId === id && e.health.state === 'watching' && resolve(),
        ),
      );
      await h.sync.watchFolder(id);
      await watching;
      writeFileSync(join(adHoc, 'new.jpg'), jpegWithTag('new'));
      await got;
      // Found through the watcher's hint, not a reconcile scan (the last one ran at start).
      expect(hints[0]).toBe(adHoc);
      expect(hints.slice(1)).toContain('');
      expect(h.folders.get(id)?.lastScanAt).toBeLessThan(systemClock.now() - 100);
      expect(planned.sort()).toEqual(['adhoc/new.jpg', 'adhoc/old.jpg']);
      // The saved folder of the harness was never started.
      expect(h.sync.health(h.folderId).state).toBe('paused');
      expect(h.folders.get(h.folderId)?.lastScanAt).toBeNull();
      await expect(h.sync.watchFolder(9999)).rejects.toThrow('No sync folder with id 9999');
    });
  },
);
