// A result larger than 2 GiB (the size at which CVAT users report truncated or empty files),
// generated on the fly by the test server: the file must be complete and byte-exact, and the
// process must not hold it in memory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransferRepo } from '../../../main/journal/download-repo.js';
import { syntheticSha256 } from '../../cvat-server/index.js';
import type { Harness } from './harness.js';
import { createImageTask, sha256File, startHarness } from './harness.js';

const SIZE = Math.round(2.1 * 1024 ** 3);
const MiB = 1024 * 1024;

describe('a download larger than 2 GiB', () => {
  let h: Harness;
  let taskId: number;

  beforeAll(async () => {
    h = await startHarness();
    taskId = await createImageTask(h.client, h.dir, 'large', 1);
  });
  afterAll(async () => {
    await h.close(); // removes the 2 GiB file with the temp dir
  });

  it('arrives complete and byte-exact with flat memory', { timeout: 600_000 }, async () => {
    const synthetic = h.server.admin.addSyntheticResult(taskId, SIZE);
    const engine = h.engine();
    const row = engine.exportDataset({
      target: { kind: 'task', id: taskId },
      format: 'CVAT for images 1.1',
      withImages: false,
    });
    // As if the export had been requested by the engine: it polls it and downloads the result.
    new TransferRepo(h.db).update(row.id, { rqId: synthetic.rqId }, Date.now());

    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    let done;
    try {
      engine.start();
      done = await engine.waitFor(row.id);
    } finally {
      clearInterval(sampler);
    }
    expect(done.state).toBe('done');
    expect(done.bytesDone).toBe(SIZE);
    const growthMiB = (peak - baseline) / MiB;
    console.log(
      `2.1 GiB download: peak RSS growth ${growthMiB.toFixed(1)} MiB (baseline ${(baseline / MiB).toFixed(0)} MiB)`,
    );
    expect(growthMiB).toBeLessThan(150);
    expect(await sha256File(done.finalPath as string)).toBe(await syntheticSha256(SIZE));
  });
});
