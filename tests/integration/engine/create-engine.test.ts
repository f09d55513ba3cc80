// The engine end to end on a real journal, real files and the CVAT test server: a stable file
// becomes a task and its row "uploaded" without the service, and a file changed after planning
// is re-planned by a look at its own batch, not by a scan of the folder.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FolderRule } from '../../../preload/contract.js';
import { silentLogger } from '../../../main/core/logger.js';
import { TokenBucket } from '../../../main/core/token-bucket.js';
import { createEngine } from '../../../main/engine/create-engine.js';
import type { Engine } from '../../../main/engine/create-engine.js';
import type { EngineJournal } from '../../../main/engine/engine-journal.js';
import { Journal } from '../../../main/journal/journal.js';
import { systemClock } from '../../../main/service/system-clock.js';
import { nodeFileSystem } from '../../../main/fs/node-file-system.js';
import type { FileSystem } from '../../../main/fs/file-system.js';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatTestServer } from '../../cvat-server/index.js';
import { makeClient, seeded, tokenAuth } from '../upload/client-setup.js';
import { writeVideo } from '../upload/media-files.js';

let server: CvatTestServer;
let dir: string;
let journal: EngineJournal;
let engine: Engine;
const calls: Array<{ call: string; path: string }> = [];

/** Node's filesystem, recording each call and its path. */
const recordingFs: FileSystem = {
  ...nodeFileSystem,
  readdir: (p) => (calls.push({ call: 'readdir', path: p }), nodeFileSystem.readdir(p)),
  lstat: (p) => (calls.push({ call: 'lstat', path: p }), nodeFileSystem.lstat(p)),
  stat: (p) => (calls.push({ call: 'stat', path: p }), nodeFileSystem.stat(p)),
  realpath: (p) => (calls.push({ call: 'realpath', path: p }), nodeFileSystem.realpath(p)),
  open: (p, mode) => (calls.push({ call: 'open', path: p }), nodeFileSystem.open(p, mode)),
  readStream: (p, options) => (
    calls.push({ call: 'readStream', path: p }),
    nodeFileSystem.readStream(p, options)
  ),
  readText: (p) => (calls.push({ call: 'readText', path: p }), nodeFileSystem.readText(p)),
};

function rule(path: string): FolderRule {
  return {
    path,
    target: { kind: 'labels', labels: [{ name: 'cat' }] },
    org: null,
    split: { kind: 'subfolder' },
    nameTemplate: null,
    include: [],
    exclude: [],
    settleSeconds: 0.1,
    maxFileSizeBytes: null,
    polling: false,
    taskOptions: { imageQuality: 70 },
    autoExport: null,
  };
}

beforeEach(async () => {
  server = await startCvatServer({ seed: 3, processingDelayMs: 20 });
  dir = mkdtempSync(join(tmpdir(), 'cvat-sync-engine-'));
  journal = Journal.open(join(dir, 'journal.db'), systemClock);
  const api = makeClient(server.url, tokenAuth(server));
  engine = createEngine({
    clock: systemClock,
    random: seeded(5),
    fs: recordingFs,
    journal,
    logger: silentLogger,
    cvat: () => api,
    run: true,
    throttle: new TokenBucket(systemClock, null),
    uploads: { concurrency: 2, chunkSize: 64 * 1024, bulkThreshold: 256 * 1024, paused: false },
    results: { downloadsDir: join(dir, 'downloads'), chunkSize: 64 * 1024 },
    onFolder: () => undefined,
  });
  await engine.setApi(api);
  calls.length = 0;
});
afterEach(async () => {
  await engine.stop();
  journal.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const FREE_BOX = Buffer.concat([Buffer.from([0, 0, 0, 12]), Buffer.from('freemore', 'latin1')]);

describe('createEngine', () => {
  it('re-plans a file changed during its upload from its own batch, without a scan', async () => {
    const media = join(dir, 'media');
    mkdirSync(media);
    const ws = { media };
    const clip = writeVideo(ws, 'take.mp4', 300_000);
    writeVideo(ws, 'ride.mp4', 300_000);
    let changedAt: number | null = null;
    // The clip grows once as its batch starts sending: the upload engine parks the batch.
    engine.uploads?.events.on('batch', (b) => {
      if (changedAt === null && b.name.endsWith('take.mp4') && b.state === 'sending') {
        // A whole MP4 box (a 12-byte `free` box), so the grown file is still a valid video.
        appendFileSync(clip.absPath, FREE_BOX);
        changedAt = calls.length;
      }
    });
    const summary = await engine.folders.syncOnce(rule(media));

    expect(changedAt).not.toBeNull();
    expect(journal.activity.list().map((a) => a.kind)).toContain('batch-replan');
    const after = calls.slice(changedAt ?? 0);
    // From the change on: no directory was listed, and only the parked batch's file was read.
    expect(after.filter((c) => c.call === 'readdir')).toEqual([]);
    expect(new Set(after.map((c) => c.path))).toEqual(new Set([clip.absPath]));

    const take = summary.tasks.find((t) => t.name.endsWith('take.mp4'));
    expect(take?.state).toBe('done');
    const batch = journal.batches.get(take?.batchId ?? -1);
    expect(batch?.replanReason).toBeNull();
    expect(statSync(clip.absPath).size).toBe(300_012);
    expect(journal.batches.files(batch?.id ?? -1).map((f) => f.size)).toEqual([300_012]);
    // The batch's completion marked the file uploaded in the same transaction.
    expect(journal.files.byPath(journal.folders.list()[0]?.id ?? -1, 'take.mp4')?.state).toBe(
      'uploaded',
    );
    const stored = server.admin.tasks().find((t) => t.id === batch?.taskId);
    expect(stored).toBeDefined();
  });
});
