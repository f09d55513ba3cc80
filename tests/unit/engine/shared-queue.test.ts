// Uploads and results in one JobQueue: a credential the server rejects holds both engines, and
// new credentials let both continue where they stopped.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { FakeClock } from '../../../main/core/clock.js';
import { JobQueue } from '../../../main/engine/job-queue.js';
import { Journal } from '../../../main/journal/journal.js';
import { ResultsEngine } from '../../../main/engine/results/results-engine.js';
import { settle, until } from './results/helpers.js';
import { httpStatus } from './fake-cvat.js';
import { makeHarness } from './upload/harness.js';
import type { Harness } from './upload/harness.js';

let h: Harness;
let results: ResultsEngine;

afterEach(async () => {
  await results.stop();
  await h.close();
});

it('a 401 of an upload holds the results transfers too, until new credentials', async () => {
  const clock = new FakeClock();
  const queue = new JobQueue(clock);
  h = makeHarness({ clock, queue });
  const downloads = join(h.dir, 'out');
  mkdirSync(downloads);
  results = new ResultsEngine({
    journal: new Journal(h.db, clock),
    api: h.cvat,
    clock,
    random: () => 0.5,
    downloadsDir: downloads,
    queue,
  });
  h.cvat.addTask(500);
  const batch = h.batch('cams', [h.file('a.jpg', 1500), h.file('b.jpg', 2500)]);
  h.cvat.faults.push({ op: 'uploadMultiple', when: 'before', error: httpStatus(401, 'upload') });
  h.engine.start();
  results.start();
  await h.engine.idle();
  expect(h.engine.status().authError?.status).toBe(401);
  expect(results.blockedBy()?.status).toBe(401);

  const row = results.exportDataset({
    target: { kind: 'task', id: 500 },
    format: 'COCO 1.0',
    withImages: false,
  });
  await clock.advance(120_000);
  expect(results.get(row.id)?.state).toBe('queued');
  expect(h.cvat.exportCalls).toEqual([]);

  h.engine.setApi(h.cvat);
  expect(results.blockedBy()).toBeNull();
  expect((await settle(results, row.id, clock)).state).toBe('done');
  await until(() => h.engine.batches.get(batch)?.state === 'done', 'the batch to finish');
  expect(h.engine.status().authError).toBeNull();
});
