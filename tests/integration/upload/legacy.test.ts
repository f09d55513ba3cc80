// Servers older than 2.16: Upload-Finish answers no rq_id; the deprecated task status tells how
// the creation went (GET /api/tasks/{id}/status).
import { createHash, randomBytes } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import {
  expectExactlyOnce,
  makeClient,
  plan,
  workspace,
  writeImage,
  writeVideo,
} from './helpers.js';
import type { Workspace } from './helpers.js';

let server: CvatTestServer;
let ws: Workspace;

beforeEach(async () => {
  server = await startCvatServer({ version: '2.15.0', seed: 5, processingDelayMs: 20 });
  // No personal access tokens before 2.16-era servers: the legacy login key.
  ws = workspace(server, {
    api: makeClient(server.url, { kind: 'key', key: server.users.alice.key }),
  });
});
afterEach(async () => {
  await ws.cleanup();
  await server.close();
});

describe('upload pipeline on CVAT 2.15', () => {
  it('waits for the task’s creation status and ends with every file exactly once', async () => {
    const a = ws.engine.batches.insertPlanned(
      plan(
        'old-images',
        Array.from({ length: 6 }, (_, i) => writeImage(ws, `old/img_${i}.png`, i + 1)),
      ),
    );
    const v = ws.engine.batches.insertPlanned(
      plan('old-video', [writeVideo(ws, 'old.mp4', 300_000)]),
    );
    ws.engine.start();
    await ws.engine.idle();
    expectExactlyOnce(server, ws.engine, [a, v]);
    expect(ws.engine.batches.get(a)).toMatchObject({ rqId: null, taskSize: 6 });
    const polled = server.faults
      .stats()
      .log.filter((l) => /\/api\/tasks\/\d+\/status$/.test(l.path));
    expect(polled.length).toBeGreaterThan(0);
  });

  it('fails a batch no planner can re-plan (its file has no planner row) with CVAT’s message', async () => {
    const good = writeImage(ws, 'alone/one.png', 1);
    const broken = writeImage(ws, 'alone/two.png', 2);
    const bytes = randomBytes(broken.size);
    writeFileSync(broken.absPath, bytes);
    const planned = {
      ...broken,
      mtimeMs: statSync(broken.absPath).mtimeMs,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
    const id = ws.engine.batches.insertPlanned(plan('old-alone', [good, planned]));
    ws.engine.start();
    await ws.engine.idle();
    const b = ws.engine.batches.get(id);
    expect(b).toMatchObject({ state: 'failed', lastError: { code: 'processing-failed' } });
    expect(b?.lastError?.message).toMatch(/cannot identify image file/);
  });

  it('a file CVAT cannot open (named in its failure) parks the batch to be planned again without it', async () => {
    const good = writeImage(ws, 'bad/one.png', 1);
    // Not an image at all, under an image's name: the server cannot decode it.
    const broken = writeImage(ws, 'bad/two.png', 2);
    const bytes = randomBytes(broken.size);
    writeFileSync(broken.absPath, bytes);
    const planned = {
      ...broken,
      // A folder's batch: the planner's row of the file, which the re-plan sets aside.
      fileId: 7,
      mtimeMs: statSync(broken.absPath).mtimeMs,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
    const id = ws.engine.batches.insertPlanned(plan('old-broken', [good, planned]));
    ws.engine.start();
    await ws.engine.idle();
    const b = ws.engine.batches.get(id);
    // Not failed: the task CVAT failed is queued for deletion and the batch waits for the planner.
    expect(b).toMatchObject({ state: 'planned', taskId: null, discardedTasks: 1 });
    expect(b?.replanReason).toBe('bad/two.png: CVAT cannot open it');
    const skipped = ws.engine.batches.files(id).find((f) => f.relPath === 'bad/two.png');
    expect(skipped).toMatchObject({ state: 'skipped' });
    expect(skipped?.skipReason).toMatch(
      /^unreadable: .*cannot identify image file '.*\/raw\/two\.png'$/,
    );
  });
});
