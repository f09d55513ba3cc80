import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../main/service/system-clock.js';
import { chokidarWatcherFactory } from '../../../main/watch/folder-watcher.js';
import type { Harness } from './harness.js';
import { makeHarness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('chokidar hint + real clock', () => {
  it('plans new files found through watcher events, long before the next full scan', async () => {
    h = makeHarness(
      { settleSeconds: 0.2, split: { kind: 'file' } },
      { watcherFactory: chokidarWatcherFactory, clock: systemClock, fullScanIntervalMs: 3_600_000 },
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
